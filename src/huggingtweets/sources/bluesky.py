"""Posts from a Bluesky account through the public AppView's XRPC API, no login:

    with Http() as http:
        posts, profile = fetch_bluesky("dot.bsky.social", max_posts=3200, http=http)

`app.bsky.actor.getProfile` names the account; `app.bsky.feed.getAuthorFeed?limit=100`
pages back in time by passing the returned cursor until there is none.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..errors import SourceError
from ..post import Post, Profile
from ..recipe import MAX_POSTS
from .cache import PageCache, download
from .files import parse_time
from .http import Http, NotFound

API = "https://public.api.bsky.app"  # the public AppView: no account needed
PAGE_SIZE = 100  # the API's maximum
_REPOST = "app.bsky.feed.defs#reasonRepost"
_PIN = "app.bsky.feed.defs#reasonPin"
_LINK = "app.bsky.richtext.facet#link"


def parse_actor(spec: str) -> str:
    """`name.bsky.social`, `@dot.example.com`, a `did:plc:...` or a bsky.app profile URL → actor."""
    url = re.fullmatch(r"https?://bsky\.app/profile/([^/?#]+)/?", spec)
    actor = url.group(1) if url else spec.lstrip("@")
    if re.fullmatch(r"did:[a-z]+:[\w.:%-]+|[\w-]+(\.[\w-]+)+", actor):
        return actor
    raise SourceError(f"'{spec}' is not a Bluesky handle. Write it as name.bsky.social")


def fetch_bluesky(
    spec: str, *, max_posts: int = MAX_POSTS, cache: PageCache | None = None, http: Http,
    api: str | None = None, on_progress: Callable[[int], None] = lambda n: None, newer_than: datetime | None = None,
) -> tuple[list[Post], Profile]:
    actor = parse_actor(spec)
    api = (api or os.environ.get("HUGGINGTWEETS_BLUESKY_API") or API).rstrip("/")
    try:
        profile = http.get_json(f"{api}/xrpc/app.bsky.actor.getProfile", {"actor": actor})
    except NotFound as e:
        raise SourceError(f"no Bluesky account {actor}. Check the spelling") from e
    except SourceError as e:
        if "400" in str(e):  # the AppView answers 400 "Profile not found" for unknown handles
            raise SourceError(f"no Bluesky account {actor}. Check the spelling") from e
        raise
    did, handle = profile["did"], profile.get("handle") or actor

    def fetch_page(cursor: Any) -> tuple[list[Post], Any]:
        params = {"actor": did, "limit": PAGE_SIZE, **({"cursor": cursor} if cursor else {})}
        data = http.get_json(f"{api}/xrpc/app.bsky.feed.getAuthorFeed", params)
        items = data.get("feed") or []
        page = [feed_item_to_post(item, handle, did) for item in items
                if (item.get("reason") or {}).get("$type") != _PIN]  # a pinned post also comes in its place
        return page, data.get("cursor") if items else None

    posts = download(cache, fetch_page, max_posts=max_posts, on_progress=on_progress, newer_than=newer_than)
    return posts, Profile(handle=handle, display_name=profile.get("displayName") or handle, source="bluesky",
                          avatar_url=profile.get("avatar"), description=profile.get("description") or "")


def feed_item_to_post(item: dict[str, Any], handle: str, did: str) -> Post:
    post = item["post"]
    record = post.get("record") or {}
    text, urls = expand_links(record.get("text") or "", record.get("facets") or [])
    parent = ((record.get("reply") or {}).get("parent") or {}).get("uri", "")
    return Post(
        id=post.get("uri") or post.get("cid") or "",
        handle=handle,
        text=text,
        source="bluesky",
        created_at=parse_time(record.get("createdAt") or post.get("indexedAt")),
        is_repost=(item.get("reason") or {}).get("$type") == _REPOST
        or (post.get("author") or {}).get("did", did) != did,
        is_reply=bool(parent) and not parent.startswith(f"at://{did}/"),  # own thread: not a reply
        urls=tuple(urls),
    )


def expand_links(text: str, facets: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """Put each link facet's full URI back in place of its shortened text.

    Facet offsets count UTF-8 bytes, not characters, so the work happens on bytes.
    """
    data = text.encode("utf-8")
    links = []
    for facet in facets:
        index = facet.get("index") or {}
        for feature in facet.get("features") or []:
            if feature.get("$type") == _LINK and feature.get("uri"):
                links.append((int(index.get("byteStart", 0)), int(index.get("byteEnd", 0)), feature["uri"]))
    for start, end, uri in sorted(links, reverse=True):  # from the end, so earlier offsets stay valid
        if 0 <= start <= end <= len(data):
            data = data[:start] + uri.encode("utf-8") + data[end:]
    return data.decode("utf-8", errors="replace"), [uri for _, _, uri in sorted(links)]
