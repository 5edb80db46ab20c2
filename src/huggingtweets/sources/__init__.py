"""Sources: turn what the user typed into `Post`s and a `Profile`.

A source is recognised by its shape; each kind lives in its own module:

    fetched = fetch_posts("tweets.csv")      # a file
    fetched = fetch_posts("twitter-2024.zip")  # an X account archive
    fetched = fetch_posts("@dot@mastodon.social", cache_dir=out / "raw")  # live, cached
    fetched = fetch_posts("sample")          # the embedded demo persona
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..config import SOURCE_KINDS, option_error
from ..errors import SourceError
from ..post import Post, Profile
from ..recipe import MAX_POSTS
from .archive import read_archive
from .bluesky import fetch_bluesky, parse_actor
from .cache import PageCache
from .files import SUFFIXES, read_posts
from .http import Http
from .mastodon import fetch_mastodon, parse_account
from .sample import load_sample
from .x import fetch_x

SAMPLE_NAMES = ("sample", "demo")
KINDS = SOURCE_KINDS  # every kind a source may be, as --source offers them
LIVE = ("mastodon", "bluesky", "x")  # fetched over the network (Mastodon and Bluesky cached in raw/)


@dataclass(frozen=True)
class Fetched:
    posts: list[Post]
    profile: Profile
    cached: bool = False  # the raw posts already lie in the cache folder
    reused: bool = False  # they came from there, not from the network
    named_by_file: bool = False  # a file naming no author: its person is called after the file


def source_kind(spec: str) -> str:
    """Name the kind of source a string looks like: sample, archive, file, mastodon, bluesky or x."""
    if spec.lower() in SAMPLE_NAMES:
        return "sample"
    if Path(spec).suffix.lower() in (".zip", ".js"):
        return "archive"
    if Path(spec).exists() or Path(spec).suffix.lower() in SUFFIXES:
        return "file"
    if re.fullmatch(r"@?[\w.]+@[\w-]+(\.[\w-]+)+(:\d+)?", spec) or re.match(r"https?://[^/]+/@[\w.]+/?$", spec):
        return "mastodon"
    if "bsky" in spec or spec.startswith("did:") or re.fullmatch(r"@?[\w-]+(\.[\w-]+)+", spec):
        return "bluesky"
    if re.fullmatch(r"@?\w{1,15}", spec):
        return "x"
    raise SourceError(
        f"can't tell what '{spec}' is. Pass an X archive zip, a file (CSV, JSON, JSONL, TXT), "
        "@user@instance (Mastodon), name.bsky.social (Bluesky) or `sample`"
    )


def handle_hint(spec: str, kind: str | None = None) -> str:
    """The handle a live source will have, known before fetching (names the cache and out folder)."""
    kind = kind or source_kind(spec)
    if kind == "mastodon":
        base, user = parse_account(spec)
        return f"{user}@{base.split('//')[1]}"
    if kind == "bluesky":
        return parse_actor(spec)
    return spec.lstrip("@")


def fetch_posts(
    spec: str,
    *,
    kind: str | None = None,
    text_column: str | None = None,
    max_posts: int | None = None,
    cache_dir: Path | None = None,
    refresh: bool = False,
    on_progress: Callable[[int], None] = lambda n: None,
    http: Http | None = None,
    newer_than: datetime | None = None,
    name: str | None = None,
) -> Fetched:
    """Read the posts of one person from ``spec`` (``kind`` forces the source): the newest
    ``max_posts`` of them, or every post of a file or archive and `MAX_POSTS` of a live account
    when None. With ``newer_than``, a live source is read again from its newest post back to that
    date only. ``name``: the handle of a file's person, instead of its author column or its name."""
    kind = kind or source_kind(spec)
    limit = max_posts or MAX_POSTS  # how far back a live account is read
    if kind not in KINDS:
        raise SourceError(f"unknown source '{kind}'. Use one of {', '.join(KINDS)}")
    if name and kind != "file":
        raise option_error("name", f"names the person of a file, and {spec} names its own", fix="Leave it out")
    if kind == "sample":  # read again for an update: her held-back newest posts come too
        posts, profile = load_sample(newest=newer_than is not None)
        return Fetched(newest(posts, max_posts), profile)
    if kind == "archive":
        posts, profile = read_archive(Path(spec))
        return Fetched(newest(posts, max_posts), profile)
    if kind == "file":
        posts, handle = read_posts(Path(spec), text_column=text_column, handle=name)
        return Fetched(newest(posts, max_posts), Profile(handle=handle, display_name=handle, source="file"),
                       named_by_file=not name and handle == Path(spec).stem)
    if kind == "x":
        posts, profile = fetch_x(spec, max_posts=limit)
        return Fetched(posts, profile)

    cache = PageCache(cache_dir, kind, handle_hint(spec, kind)) if cache_dir else None
    if cache and (refresh or newer_than):
        cache.clear()
    if cache and (done := cache.finished()):
        return Fetched(done[0][:limit], done[1], cached=True, reused=True)
    fetch = fetch_mastodon if kind == "mastodon" else fetch_bluesky
    with http or Http() as client:
        posts, profile = fetch(spec, max_posts=limit, cache=cache, http=client, on_progress=on_progress,
                               newer_than=newer_than)
    if cache:
        cache.finish(posts, profile)
    return Fetched(posts, profile, cached=cache is not None)


def newest(posts: list[Post], n: int | None) -> list[Post]:
    """The ``n`` newest of ``posts`` in their own order (all of them when None); when some have
    no date, the first ``n`` as the file holds them."""
    if n is None or len(posts) <= n:
        return posts
    if not all(p.created_at for p in posts):
        return posts[:n]
    kept = {id(p) for p in sorted(posts, key=lambda p: p.created_at, reverse=True)[:n]}  # type: ignore[arg-type, return-value]
    return [p for p in posts if id(p) in kept]


__all__ = ["Fetched", "fetch_posts", "source_kind", "handle_hint", "read_archive", "read_posts", "load_sample"]
