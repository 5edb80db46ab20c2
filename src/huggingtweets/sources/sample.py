"""The embedded demo persona: Dot Pemberton (@gullhaven_dot), who is made up.

A retired ferry captain who runs a bakery on the fictional island of Gullhaven.
Her 616 posts were written for this project, noise included (retweets, short
posts, duplicates, links, entities), so the offline demo has real cleaning to do:

    posts, profile = load_sample()
"""

from __future__ import annotations

from importlib import resources

from ..post import Post, Profile
from .files import read_posts

HANDLE = "gullhaven_dot"

PROFILE = Profile(
    handle=HANDLE,
    display_name="Dot Pemberton",
    source="sample",
    description=(
        "A fictional retired ferry captain who bakes bread on the made-up island of Gullhaven. "
        "Her posts were written for huggingtweets' demo; she is not a real person."
    ),
)


def load_sample(*, newest: bool = False) -> tuple[list[Post], Profile]:
    """Her posts; with ``newest``, her held-back newest ones too (the posts a continued bot learns)."""
    posts = _read(f"{HANDLE}.jsonl")
    return (posts + _read(f"{HANDLE}-newer.jsonl") if newest else posts), PROFILE


def _read(name: str) -> list[Post]:
    with resources.as_file(resources.files("huggingtweets") / "data" / name) as path:
        return read_posts(path, source="sample")[0]
