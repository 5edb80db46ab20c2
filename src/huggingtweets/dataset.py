"""Dataset building: hold out each person's newest posts, mix people fairly, tokenise and pack.

    splits = split_and_mix({"dot": dot_posts, "len": len_posts}, validation_fraction=0.1, seed=42)
    blocks = pack_blocks(splits.train_texts, tokenizer, block_size=128)   # datasets.Dataset
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .post import Post


@dataclass(frozen=True)
class Splits:
    train: list[dict[str, str]]  # {"handle", "text"}, mixed and shuffled, repeats included
    validation: list[dict[str, str]]  # {"handle", "text"}, never repeated
    repeats: dict[str, float]  # handle → how many times its training posts appear per epoch
    seed: int
    held_out: dict[str, str]  # handle → "newest" (by date) or "random" (posts without dates)

    @property
    def train_texts(self) -> list[str]:
        return [row["text"] for row in self.train]

    @property
    def validation_texts(self) -> list[str]:
        return [row["text"] for row in self.validation]


def split_and_mix(
    posts_by_handle: dict[str, list[Post]], *, validation_fraction: float = 0.1, seed: int = 42
) -> Splits:
    """Hold out a share of each person's posts, then repeat the smaller people's training
    posts so everyone contributes about the same characters per epoch (the original's rule).

    The held-out posts are each person's newest when their posts have dates: the validation
    perplexity then says how the bot does on posts written after everything it learned from,
    as its own posts will be. Posts without dates are held out at random."""
    rng = random.Random(seed)
    train_by_handle: dict[str, list[str]] = {}
    validation: list[dict[str, str]] = []
    held_out: dict[str, str] = {}
    for handle, posts in posts_by_handle.items():
        n_val = max(1, round(len(posts) * validation_fraction)) if len(posts) > 1 else 0
        if _dated(posts):
            texts = [p.text for p in sorted(posts, key=lambda p: p.created_at)]  # oldest first
            held, kept = texts[len(texts) - n_val:], texts[: len(texts) - n_val]
            held_out[handle] = "newest"
        else:
            texts = [p.text for p in posts]
            rng.shuffle(texts)
            held, kept = texts[:n_val], texts[n_val:]
            held_out[handle] = "random"
        validation += [{"handle": handle, "text": t} for t in held]
        train_by_handle[handle] = kept

    chars = {h: sum(map(len, texts)) for h, texts in train_by_handle.items()}
    target = max(chars.values(), default=0)
    train: list[dict[str, str]] = []
    repeats: dict[str, float] = {}
    for handle, texts in train_by_handle.items():
        mixed = _repeat_to(texts, target, rng)
        repeats[handle] = round(len(mixed) / len(texts), 3) if texts else 0.0
        train += [{"handle": handle, "text": t} for t in mixed]
    rng.shuffle(train)  # interleaves people instead of feeding them in blocks
    rng.shuffle(validation)
    return Splits(train=train, validation=validation, repeats=repeats, seed=seed, held_out=held_out)


def _dated(posts: list[Post]) -> bool:
    """Every post has a date, and they are not all the same one: "newest" means something."""
    dates = {p.created_at for p in posts}
    return None not in dates and len(dates) > 1


def _repeat_to(texts: list[str], target_chars: int, rng: random.Random) -> list[str]:
    """Whole copies of ``texts``, then a random part of one more, to reach ``target_chars``."""
    total = sum(map(len, texts))
    if not texts or total >= target_chars:
        return list(texts)
    copies, rest = divmod(target_chars, total)
    out = texts * copies
    extra = texts[:]
    rng.shuffle(extra)
    for text in extra:
        if rest <= 0:
            break
        out.append(text)
        rest -= len(text)
    return out


def tokenize_posts(batch: dict[str, list[str]], tokenizer: Any) -> dict[str, list[list[int]]]:
    """Each post becomes separator + text (`<|endoftext|>` for GPT-2: see `post_separator`), so
    the model learns where posts start and end."""
    from .models import post_separator

    separator = post_separator(tokenizer)
    texts = [separator + text for text in batch["text"]]
    return {"input_ids": tokenizer(texts, add_special_tokens=False)["input_ids"]}


def group_into_blocks(batch: dict[str, list[list[int]]], block_size: int) -> dict[str, list[list[int]]]:
    """Concatenate token lists and cut them into ``block_size`` blocks; the ragged tail is
    dropped unless it is all there is (as in transformers' run_clm)."""
    ids = [token for seq in batch["input_ids"] for token in seq]
    total = len(ids)
    if total >= block_size:
        total = (total // block_size) * block_size
    blocks = [ids[i : i + block_size] for i in range(0, total, block_size)]
    return {"input_ids": blocks, "labels": [list(b) for b in blocks]}


def pack_blocks(texts: list[str], tokenizer: Any, *, block_size: int) -> Any:
    """Tokenise and pack posts into a `datasets.Dataset` of (block_size,) rows."""
    import datasets

    datasets.disable_progress_bars()
    ds = datasets.Dataset.from_dict({"text": texts})
    # One map batch per 10k posts keeps the dropped tails to a few tokens per 10k posts.
    ds = ds.map(tokenize_posts, batched=True, batch_size=10_000, remove_columns=["text"],
                fn_kwargs={"tokenizer": tokenizer})
    return ds.map(group_into_blocks, batched=True, batch_size=10_000, fn_kwargs={"block_size": block_size})
