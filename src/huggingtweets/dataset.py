"""Dataset building: hold out each person's newest posts, mix people fairly, tokenise and pack.

    splits = split_and_mix({"dot": dot_posts, "len": len_posts}, validation_fraction=0.1, seed=42)
    blocks = pack_blocks(splits.train_texts, tokenizer, block_size=128)   # datasets.Dataset, posts whole
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .post import Post
from .post_format import post_separator, separator_id
from .recipe import MAX_VALIDATION_POSTS, VALIDATION_FRACTION

if TYPE_CHECKING:  # typing only: transformers loads when a stage runs
    from datasets import Dataset
    from transformers import PreTrainedTokenizerBase


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
    posts_by_handle: dict[str, list[Post]], *, validation_fraction: float = VALIDATION_FRACTION,
    max_validation: int = MAX_VALIDATION_POSTS, seed: int = 42
) -> Splits:
    """Hold out a share of each person's posts (at most ``max_validation`` of them), then repeat
    the smaller people's training posts so everyone contributes about the same characters per
    epoch (the original's rule).

    The held-out posts are each person's newest when their posts have dates: the validation
    perplexity then says how the bot does on posts written after everything it learned from,
    as its own posts will be. Posts without dates are held out at random."""
    rng = random.Random(seed)
    train_by_handle: dict[str, list[str]] = {}
    validation: list[dict[str, str]] = []
    held_out: dict[str, str] = {}
    for handle, posts in posts_by_handle.items():
        n_val = min(max_validation, max(1, round(len(posts) * validation_fraction))) if len(posts) > 1 else 0
        if _dated(posts):
            texts = [p.text for p in sorted(posts, key=lambda p: p.created_at.timestamp() if p.created_at else 0.0)]  # oldest first
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


def tokenize_posts(batch: dict[str, list[str]], tokenizer: PreTrainedTokenizerBase) -> dict[str, list[list[int]]]:
    """Each post becomes separator + text (`<|endoftext|>` for GPT-2: see `post_separator`), so
    the model learns where posts start and end."""
    separator = post_separator(tokenizer)
    texts = [separator + text for text in batch["text"]]
    return {"input_ids": tokenizer(texts, add_special_tokens=False)["input_ids"]}


def pack_posts(sequences: list[list[int]], *, block_size: int, separator_id: int) -> dict[str, list[list[int]]]:
    """Pack tokenised posts (each separator + text) whole into ``block_size`` blocks, so every
    block starts where a post starts, as a bot's own post does (after a lone separator at
    position 0). Best fit, longest first, keeps the padding to a few percent. Each block ends
    with the separator that closes its last post; the rest is padding, which the loss skips
    (label -100). A post longer than a block fills whole blocks and packs its remainder."""
    room = block_size - 1  # the last real token of a block closes its last post
    full: list[list[int]] = []
    pieces: list[list[int]] = []
    for seq in sequences:
        start = 0  # by index, not by cutting the rest off again and again: linear in a long post
        while len(seq) - start > room:
            full.append(seq[start:start + block_size])
            start += block_size
        if start < len(seq):
            pieces.append(seq[start:])
    pieces.sort(key=len, reverse=True)  # stable: equal lengths keep their order, so runs repeat
    blocks: list[list[int]] = []
    by_space: list[list[int]] = [[] for _ in range(room + 1)]  # free space → open blocks with it
    for piece in pieces:
        space = next((s for s in range(len(piece), room + 1) if by_space[s]), None)
        if space is None:
            index, space = len(blocks), room
            blocks.append([])
        else:
            index = by_space[space].pop()
        blocks[index] += piece
        if space > len(piece):
            by_space[space - len(piece)].append(index)
    input_ids, labels = [list(b) for b in full], [list(b) for b in full]
    for block in blocks:
        block = block + [separator_id]
        padding = block_size - len(block)
        input_ids.append(block + [separator_id] * padding)
        labels.append(block + [-100] * padding)
    return {"input_ids": input_ids, "labels": labels}


def pack_blocks(texts: list[str], tokenizer: PreTrainedTokenizerBase, *, block_size: int) -> Dataset:
    """Tokenise and pack posts into a `datasets.Dataset` of (block_size,) rows (`pack_posts`)."""
    import datasets

    datasets.disable_progress_bars()
    sequences = tokenize_posts({"text": texts}, tokenizer)["input_ids"] if texts else []
    rows = pack_posts(sequences, block_size=block_size, separator_id=separator_id(tokenizer))
    return datasets.Dataset.from_dict(rows)
