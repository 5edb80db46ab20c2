"""Sources: turn what the user typed into `Post`s and a `Profile`.

A source is recognised by its shape; each kind lives in its own module:

    fetched = fetch_posts("tweets.csv")      # a file
    fetched = fetch_posts("twitter-2024.zip")  # an X account archive
    fetched = fetch_posts("sample")          # the embedded demo persona
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import SourceError
from ..post import Post, Profile
from .archive import read_archive
from .files import SUFFIXES, read_posts
from .sample import load_sample

SAMPLE_NAMES = ("sample", "demo")


@dataclass(frozen=True)
class Fetched:
    posts: list[Post]
    profile: Profile


def source_kind(spec: str) -> str:
    """Name the kind of source a string looks like: sample, archive, file, mastodon, bluesky or x."""
    if spec.lower() in SAMPLE_NAMES:
        return "sample"
    if Path(spec).suffix.lower() in (".zip", ".js"):
        return "archive"
    if Path(spec).exists() or Path(spec).suffix.lower() in SUFFIXES:
        return "file"
    if re.fullmatch(r"@?[\w.]+@[\w-]+(\.[\w-]+)+", spec) or "/@" in spec:
        return "mastodon"
    if "bsky" in spec or re.fullmatch(r"@?[\w-]+(\.[\w-]+)+", spec):
        return "bluesky"
    if re.fullmatch(r"@?\w{1,15}", spec):
        return "x"
    raise SourceError(
        f"can't tell what '{spec}' is. Pass a file (CSV, JSON, JSONL, TXT) or `sample`"
    )


def fetch_posts(spec: str, *, text_column: str | None = None) -> Fetched:
    """Read all posts of one person from ``spec``."""
    kind = source_kind(spec)
    if kind == "sample":
        posts, profile = load_sample()
        return Fetched(posts, profile)
    if kind == "archive":
        posts, profile = read_archive(Path(spec))
        return Fetched(posts, profile)
    if kind == "file":
        posts, handle = read_posts(Path(spec), text_column=text_column)
        return Fetched(posts, Profile(handle=handle, display_name=handle, source="file"))
    raise SourceError(
        f"'{spec}' looks like a {_KIND_NAMES[kind]} account, and this version reads only X archives, "
        "files and the sample. Pass your X archive zip, or export the posts to CSV or JSON"
    )


_KIND_NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X/Twitter"}

__all__ = ["Fetched", "fetch_posts", "source_kind", "read_archive", "read_posts", "load_sample"]
