"""Generation: sample new posts with the original's defaults, and catch near-copies.

A sample that repeats a training post (8+ tokens in a row, or 80%+ of its words) is
flagged and, by default, replaced by a fresh one: users of older tools got their
training tweets back word for word and took them for new ones.

    copies = CopyDetector(training_texts, tokenizer)
    run = sample_posts(model, tokenizer, prompt="My dream is", n=10, seed=0, copies=copies)
    run.texts, run.copy_rate
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

# The original project's sampling settings; stored with every exported model so that
# `pipeline("text-generation", model=folder)` samples the same way.
GENERATION_DEFAULTS: dict[str, Any] = {
    "do_sample": True,
    "min_length": 10,  # tokens, prompt included: no one-word posts
    "max_length": 160,  # tokens, prompt included: longer than any 280-character post
    "temperature": 1.0,
    "top_p": 0.95,
}
PREFIX = "<|endoftext|>"  # every training post starts with it, so every sample does too

_MAX_ROUNDS = 5  # rounds of fresh samples for empty outputs and copies before giving up
_WORD = re.compile(r"[\w']+")


@dataclass(frozen=True)
class Sample:
    text: str
    copy: bool = False  # a near-copy of a training post (kept only when no fresh one came)


@dataclass(frozen=True)
class SampleRun:
    posts: list[Sample]
    drawn: int  # non-empty samples drawn in all, replacements included
    copies: int  # how many of the drawn ones were near-copies

    @property
    def texts(self) -> list[str]:
        return [p.text for p in self.posts]

    @property
    def copy_rate(self) -> float:
        """Share of drawn samples that were near-copies: how often this model parrots."""
        return self.copies / self.drawn if self.drawn else 0.0


class CopyDetector:
    """Knows the training posts; says whether a sample repeats one of them."""

    def __init__(self, texts: list[str], tokenizer: Any, *, run_tokens: int = 8, word_share: float = 0.8,
                 min_words: int = 5) -> None:
        self.tokenizer = tokenizer
        self.run_tokens = run_tokens  # shared tokens in a row that make a copy
        self.word_share = word_share  # share of the sample's distinct words found in one post
        self.min_words = min_words  # shorter samples share most words with something by chance
        unique = sorted(set(texts))
        self.exact = {t.strip().lower() for t in unique}
        self.runs: set[tuple[int, ...]] = set()
        for ids in tokenizer(unique, add_special_tokens=False)["input_ids"] if unique else []:
            self.runs.update(tuple(ids[i : i + run_tokens]) for i in range(len(ids) - run_tokens + 1))
        self.posts_with_word: dict[str, list[int]] = defaultdict(list)
        for n, text in enumerate(unique):
            for word in set(_WORD.findall(text.lower())):
                self.posts_with_word[word].append(n)

    def is_copy(self, text: str, prompt: str = "") -> bool:
        if text.strip().lower() in self.exact:
            return True
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        in_prompt = len(self.tokenizer(prompt, add_special_tokens=False)["input_ids"]) if prompt else 0
        first = max(0, in_prompt - self.run_tokens + 1)  # runs made only of the prompt don't count
        if any(tuple(ids[i : i + self.run_tokens]) in self.runs for i in range(first, len(ids) - self.run_tokens + 1)):
            return True
        words = set(_WORD.findall(text.lower()))
        if len(words) < self.min_words:
            return False
        shared = Counter(n for w in words for n in self.posts_with_word.get(w, ()))
        return bool(shared) and max(shared.values()) >= self.word_share * len(words)


def sample_posts(
    model: Any,
    tokenizer: Any,
    *,
    prompt: str = "",
    n: int = 10,
    seed: int | None = None,
    copies: CopyDetector | None = None,
    replace_copies: bool = True,
    **overrides: Any,
) -> SampleRun:
    """``n`` generated posts, each starting with ``prompt`` and cut at the first newline."""
    import torch
    from transformers import set_seed

    if seed is not None:
        set_seed(seed)
    settings = {**GENERATION_DEFAULTS, **overrides}
    inputs = tokenizer(PREFIX + prompt, return_tensors="pt", add_special_tokens=False).to(model.device)
    eos = tokenizer.eos_token_id
    model.eval()
    fresh: list[Sample] = []
    spare_copies: list[Sample] = []  # set aside, shown only if no fresh sample comes
    drawn = n_copies = 0
    for round_ in range(_MAX_ROUNDS):
        wanted = n - len(fresh)
        with torch.inference_mode():
            out = model.generate(  # (rows, length): one batch, all rows share the prompt
                **inputs, num_return_sequences=wanted if round_ == 0 else 2 * wanted,  # retries over-draw
                eos_token_id=eos, pad_token_id=tokenizer.pad_token_id or eos, **settings,
            )
        for text in tokenizer.batch_decode(out, skip_special_tokens=True):
            text = text.split("\n")[0].strip()
            if not text or text == prompt.strip():
                continue  # empty: sample again
            is_copy = copies is not None and copies.is_copy(text, prompt)
            drawn += 1
            n_copies += is_copy
            if is_copy and replace_copies:
                spare_copies.append(Sample(text, copy=True))
            else:
                fresh.append(Sample(text, copy=is_copy))
        if len(fresh) >= n:
            break
    posts = fresh[:n] + spare_copies[: max(0, n - len(fresh))]
    return SampleRun(posts=posts, drawn=drawn, copies=n_copies)
