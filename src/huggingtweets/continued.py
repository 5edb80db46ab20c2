"""Continued training: a finished bot learns a person's posts written since it was made.

The bot's folder says what it has learned: raw/ holds every post it has read (the newest date
per person is where the new ones start), data/ its training and validation posts, metrics.json
its lineage. The new posts are split as any bot's are (each person's newest held out), and the
model trains on them mixed with a replay sample of its old training posts, so it learns the new
without forgetting the old: perplexity on the old validation posts is measured before and after.

    previous = read_previous(Path("bots/dot"))
    new = {h: newer_posts(previous, h, posts) for h, posts in kept.items()}
    splits = continued_splits(previous, new, seed=42)
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ._io import read_jsonl
from .dataset import Splits, split_and_mix
from .errors import ConfigError, DataError, cause
from .post import Post
from .sources.cache import is_partial

REPLAY_RATIO = 1.0  # old training posts replayed per new one: half of every batch reminds it of the old


@dataclass(frozen=True)
class PreviousBot:
    """What a finished bot has learned, read from its folder."""

    folder: Path
    model_dir: Path
    train: list[dict[str, str]]  # its training posts, {"handle", "text"}, repeats included
    validation: list[dict[str, str]]  # its held-out posts: the no-forgetting check
    raw: dict[tuple[str, str], list[Post]]  # (source, handle) → every post it has read
    lineage: list[dict[str, Any]]  # one entry per version, oldest first
    metrics: dict[str, Any]

    @property
    def original_base(self) -> str | None:
        """The pretrained model its first version was fine-tuned from ("gpt2", a folder, "scratch")."""
        return _first_base(self.metrics)

    def last_post(self, handle: str) -> datetime | None:
        """The newest post of ``handle`` the bot has read, or None when its posts have no dates."""
        dates = [p.created_at for (_, h), posts in self.raw.items() if h == handle for p in posts if p.created_at]
        return max(dates, default=None)

    def seen_texts(self, handle: str) -> set[str]:
        return {p.text for (_, h), posts in self.raw.items() if h == handle for p in posts}


def read_previous(folder: Path) -> PreviousBot:
    """The bot in ``folder`` (made by `train`), or a one-line error saying what is missing."""
    import json

    folder = Path(folder)
    needed = [folder / "model" / "config.json", folder / "data" / "train.jsonl", folder / "data" / "validation.jsonl",
              folder / "metrics.json"]
    missing = [p for p in needed if not p.is_file()]
    if missing:
        raise ConfigError(f"{folder} holds no finished bot ({missing[0].relative_to(folder)} is missing), so there is "
                          "nothing to continue", fix="Pass --continue with a bot's folder, such as bots/<name>",
                          notebook_fix="Train a bot first, then continue it")
    try:
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        raw: dict[tuple[str, str], list[Post]] = {}
        for path in sorted((folder / "raw").glob("*.jsonl")):
            if is_partial(path):
                continue
            for row in read_jsonl(path):
                post = Post.from_dict(row)
                raw.setdefault((post.source, post.handle), []).append(post)
        train = read_jsonl(folder / "data" / "train.jsonl")
        validation = read_jsonl(folder / "data" / "validation.jsonl")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ConfigError(f"{folder} is damaged ({cause(error)}), so it can't be continued",
                          fix="Make the bot again with `huggingtweets train`") from error
    lineage = metrics.get("lineage") or [first_version(metrics, raw)]
    return PreviousBot(folder, folder / "model", train, validation, raw, lineage, metrics)


def first_base(folder: Path) -> str | None:
    """The pretrained model the bot in ``folder`` was first fine-tuned from, read from its
    metrics.json without reading the rest of the folder; None when it can't be told."""
    import json

    try:
        return _first_base(json.loads((Path(folder) / "metrics.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, AttributeError):
        return None


def _first_base(metrics: dict[str, Any]) -> str | None:
    lineage = metrics.get("lineage")
    first = lineage[0] if isinstance(lineage, list) and lineage and isinstance(lineage[0], dict) else {}
    base = first.get("base_model") or metrics.get("base_model")
    return base if isinstance(base, str) else None


def first_version(metrics: dict[str, Any], raw: dict[tuple[str, str], list[Post]]) -> dict[str, Any]:
    """The lineage entry of a bot made from scratch (its first version)."""
    dates = [p.created_at for posts in raw.values() for p in posts if p.created_at]
    return {
        "version": 1,
        "made": metrics.get("made"),
        "base_model": metrics.get("base_model"),
        "train_posts": metrics.get("train_posts"),
        "last_post": max(dates).isoformat() if dates else None,
        "perplexity": metrics.get("perplexity_after"),
    }


def newer_posts(previous: PreviousBot, handle: str, posts: list[Post]) -> list[Post]:
    """The posts of ``handle`` written after the newest one the bot has read; for posts without
    dates, those whose text it has never read."""
    last = previous.last_post(handle)
    if last is not None and all(p.created_at for p in posts):
        return [p for p in posts if p.created_at is not None and p.created_at > last]
    seen = previous.seen_texts(handle)
    return [p for p in posts if p.text not in seen]


def merged_raw(previous: PreviousBot, source: str, handle: str, posts: list[Post]) -> list[Post]:
    """Everything the bot has read of one person from one source, the new posts included, newest first."""
    by_id = {p.id: p for p in previous.raw.get((source, handle), [])}
    by_id.update({p.id: p for p in posts})
    return sorted(by_id.values(), key=lambda p: p.created_at.timestamp() if p.created_at else -math.inf,
                  reverse=True)


def continued_splits(previous: PreviousBot, new: dict[str, list[Post]], *, validation_fraction: float,
                     seed: int) -> tuple[Splits, list[dict[str, str]]]:
    """The new posts split as any bot's (each person's newest held out), their training posts
    mixed with as many of the old ones, drawn at random (``REPLAY_RATIO``). The validation set is
    the new held-out posts and the old ones together: the best epoch is the one that writes like
    the person now without forgetting how they wrote before. Returns the splits and, of their
    training rows, the new ones (the rest are replayed)."""
    fresh = {h: posts for h, posts in new.items() if posts}
    if not fresh:
        raise DataError("there are no posts newer than the ones the bot has learned from, so there is nothing new "
                        "to learn. Continue it once the person has posted more, or pass a newer archive")
    splits = split_and_mix(fresh, validation_fraction=validation_fraction, seed=seed)
    rng = random.Random(seed)
    old = list(previous.train)
    rng.shuffle(old)
    replay = old[: min(len(old), round(len(splits.train) * REPLAY_RATIO))]
    train = splits.train + replay
    rng.shuffle(train)
    validation = splits.validation + list(previous.validation)
    return Splits(train=train, validation=validation, repeats=splits.repeats, seed=seed,
                  held_out=splits.held_out), splits.train
