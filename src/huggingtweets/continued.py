"""Continued training: a finished bot learns a person's posts written since it was made.

The bot's folder (bot_folder.py) says what it has learned: raw/ holds every post it has read
(the newest date per person is where the new ones start), data/ its training and validation
posts, metrics.json its lineage. The new posts are split as any bot's are (each person's newest
held out), and the model trains on them mixed with a replay sample of its old training posts, so
it learns the new without forgetting the old: perplexity on the old validation posts is measured
before and after.

    previous = BotFolder(Path("bots/dot")).read()
    new = {h: newer_posts(previous, h, posts) for h, posts in kept.items()}
    splits = continued_splits(previous, new, seed=42)
"""

from __future__ import annotations

import random

from .bot_folder import FinishedBot
from .dataset import Splits, split_and_mix
from .errors import DataError
from .post import Post

REPLAY_RATIO = 1.0  # old training posts replayed per new one: half of every batch reminds it of the old


def newer_posts(previous: FinishedBot, handle: str, posts: list[Post]) -> list[Post]:
    """The posts of ``handle`` written after the newest one the bot has read; for posts without
    dates, those whose text it has never read."""
    last = previous.last_post(handle)
    if last is not None and all(p.created_at for p in posts):
        return [p for p in posts if p.created_at is not None and p.created_at > last]
    seen = previous.seen_texts(handle)
    return [p for p in posts if p.text not in seen]


def continued_splits(previous: FinishedBot, new: dict[str, list[Post]], *, validation_fraction: float,
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
