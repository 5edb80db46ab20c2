"""`Post`, the one record between sources and cleaning, and `Profile`, who wrote them.

Every source maps its own format onto these; nothing downstream knows where a
post came from:

    Post(id="1", handle="gullhaven_dot", text="Kevin has been sighted.", source="sample")
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_lone_surrogates(record: Any, *names: str) -> None:
    """A JSON "\ud800" with no partner decodes to a lone surrogate, which no file can hold in
    UTF-8: each becomes "�", as a decoder shows a broken character."""
    for name in names:
        value = getattr(record, name)
        if isinstance(value, str) and _SURROGATE.search(value):
            object.__setattr__(record, name, _SURROGATE.sub("\ufffd", value))


@dataclass(frozen=True)
class Post:
    id: str
    handle: str  # without the leading @
    text: str  # as the source gave it: HTML entities and URLs still in
    source: str  # "sample", "file", "archive", "mastodon", ...
    created_at: datetime | None = None
    is_repost: bool = False  # a native retweet/boost/repost; "RT @" texts are caught in clean.py
    is_reply: bool = False
    urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _no_lone_surrogates(self, "handle", "text")

    def to_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["created_at"] = self.created_at.isoformat() if self.created_at else None
        row["urls"] = list(self.urls)
        return row

    @classmethod
    def from_dict(cls, row: Any) -> Post:
        """The post `to_dict` wrote; TypeError or ValueError, naming the field, for a row it could
        not have written (a hand-edited or damaged file). A time without a zone is UTC, as every
        source writes it: a naive and an aware time can't be compared."""
        if not isinstance(row, dict):
            raise TypeError(f"a row is {type(row).__name__}, not a post")
        for key in ("id", "handle", "text", "source"):
            if not isinstance(row.get(key), (str, int) if key == "id" else str):
                raise TypeError(f"a post's {key} is {type(row.get(key)).__name__}, not text")
        created = row.get("created_at")
        when = datetime.fromisoformat(created) if created else None
        urls = row.get("urls") or ()
        if not isinstance(urls, (list, tuple)) or not all(isinstance(u, str) for u in urls):
            raise TypeError("a post's urls are not a list of addresses")
        return cls(
            id=str(row["id"]),
            handle=row["handle"],
            text=row["text"],
            source=row["source"],
            created_at=when.replace(tzinfo=timezone.utc) if when and when.tzinfo is None else when,
            is_repost=bool(row.get("is_repost", False)),
            is_reply=bool(row.get("is_reply", False)),
            urls=tuple(urls),
        )


@dataclass(frozen=True)
class Profile:
    """What the model card shows about a person."""

    handle: str
    display_name: str
    source: str
    avatar_url: str | None = None
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _no_lone_surrogates(self, "handle", "display_name", "description")
