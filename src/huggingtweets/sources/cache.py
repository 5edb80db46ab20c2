"""The raw-post cache: `<out>/raw/<source>-<handle>.jsonl`, written as pages arrive.

A finished download is reused by the next run (unless `--refresh`); an interrupted one
keeps the pages it got, and the next run carries on from the saved cursor:

    cache = PageCache(out / "raw", "mastodon", "dot@mastodon.social")
    cached = cache.finished()           # (posts, profile) or None
    posts, cursor = cache.partial()     # what an interrupted run got, and where it stopped
    cache.add_page(page_posts, cursor, total)  # appended and flushed at once
    cache.finish(posts, profile)        # the finished file, written atomically
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from .._io import write_json, write_jsonl
from ..bot_folder import PARTIAL, raw_file
from ..post import Post, Profile


class PageCache:
    def __init__(self, folder: Path, source: str, handle: str) -> None:
        self.done = raw_file(folder, source, handle)
        stem = self.done.name.removesuffix(".jsonl")
        self.part = Path(folder) / f"{stem}{PARTIAL}"
        self.cursor_file = Path(folder) / f"{stem}.cursor.json"
        self.profile_file = Path(folder) / f"{stem}.profile.json"

    def finished(self) -> tuple[list[Post], Profile] | None:
        if not (self.done.is_file() and self.profile_file.is_file()):
            return None
        profile = Profile(**json.loads(self.profile_file.read_text(encoding="utf-8")))
        return _read_posts(self.done), profile

    def partial(self) -> tuple[list[Post], Any]:
        """Posts of an interrupted download and the cursor to go on from (None: start over)."""
        if not (self.part.is_file() and self.cursor_file.is_file()):
            return [], None
        saved = json.loads(self.cursor_file.read_text(encoding="utf-8"))
        # Posts past the count are from a page cut short: the cursor refetches that page.
        return _read_posts(self.part)[: saved["posts"]], saved["cursor"]

    def clear(self) -> None:
        for path in (self.done, self.part, self.cursor_file, self.profile_file):
            path.unlink(missing_ok=True)

    def add_page(self, posts: list[Post], cursor: Any, total: int) -> None:
        """Append a page; ``total`` is the number of posts saved once it is in."""
        self.part.parent.mkdir(parents=True, exist_ok=True)
        with self.part.open("a", encoding="utf-8") as f:
            for post in posts:
                f.write(json.dumps(post.to_dict(), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        write_json(self.cursor_file, {"cursor": cursor, "posts": total})  # only once the page is on disk

    def finish(self, posts: list[Post], profile: Profile) -> None:
        write_jsonl(self.done, (p.to_dict() for p in posts))
        write_json(self.profile_file, asdict(profile))
        self.part.unlink(missing_ok=True)
        self.cursor_file.unlink(missing_ok=True)


def download(
    cache: PageCache | None,
    fetch_page: Callable[[Any], tuple[list[Post], Any]],
    *,
    max_posts: int,
    on_progress: Callable[[int], None] = lambda n: None,
    newer_than: datetime | None = None,
) -> list[Post]:
    """Page through a timeline, newest first: ``fetch_page(cursor)`` gives a page and the next
    cursor (None at the end; the first call gets None). Stops at ``max_posts``, or after the
    page that reaches back to ``newer_than`` (a bot being continued has the older ones)."""
    posts, cursor = cache.partial() if cache else ([], None)
    if posts and cursor is None:
        return posts[:max_posts]
    while len(posts) < max_posts:
        page, cursor = fetch_page(cursor)
        if not page:
            break
        posts += page
        if cache:
            cache.add_page(page, cursor, len(posts))
        on_progress(min(len(posts), max_posts))
        if cursor is None or (newer_than and any(p.created_at and p.created_at <= newer_than for p in page)):
            break
    return posts[:max_posts]


def _read_posts(path: Path) -> list[Post]:
    """The posts of a cache file; a link (a bot folder unzipped from elsewhere may hold one) or a
    file that isn't plain counts as no cache: the posts are fetched again and the file replaced."""
    if path.is_symlink() or not path.is_file():
        return []
    posts = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            try:
                posts.append(Post.from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError):  # ValueError: JSONDecodeError among them
                break  # a line cut by the interruption (or damaged): the pages before it are whole
    return posts
