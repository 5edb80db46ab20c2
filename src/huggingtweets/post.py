"""`Post`, the one record between sources and cleaning, and `Profile`, who wrote them.

Every source maps its own format onto these; nothing downstream knows where a
post came from:

    Post(id="1", handle="gullhaven_dot", text="Kevin has been sighted.", source="sample")
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


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

    def to_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["created_at"] = self.created_at.isoformat() if self.created_at else None
        row["urls"] = list(self.urls)
        return row

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Post:
        created = row.get("created_at")
        return cls(
            id=str(row["id"]),
            handle=row["handle"],
            text=row["text"],
            source=row["source"],
            created_at=datetime.fromisoformat(created) if created else None,
            is_repost=bool(row.get("is_repost", False)),
            is_reply=bool(row.get("is_reply", False)),
            urls=tuple(row.get("urls") or ()),
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
