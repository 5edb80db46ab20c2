"""Posts from a Mastodon account through the server's public REST API, no login:

    with Http() as http:
        posts, profile = fetch_mastodon("@dot@mastodon.social", max_posts=3200, http=http)

`/api/v1/accounts/lookup?acct=` finds the account; `/api/v1/accounts/:id/statuses?limit=40`
pages back in time by `max_id` until a page comes back empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from ..errors import SourceError
from ..post import Post, Profile
from ..recipe import MAX_POSTS
from .cache import PageCache, download
from .files import parse_time
from .http import Http, NotFound

PAGE_SIZE = 40  # the API's maximum


def parse_account(spec: str) -> tuple[str, str]:
    """`@user@host`, `user@host` or `https://host/@user` → (base URL, user)."""
    url = re.fullmatch(r"(https?://[^/]+)/@([\w.]+)/?", spec)
    if url:
        return url.group(1), url.group(2)
    acct = re.fullmatch(r"@?([\w.]+)@([\w.-]+\.[\w-]+(?::\d+)?)", spec)
    if acct:
        return f"https://{acct.group(2)}", acct.group(1)
    raise SourceError(f"'{spec}' is not a Mastodon account. Write it as @user@instance.social")


def fetch_mastodon(
    spec: str, *, max_posts: int = MAX_POSTS, cache: PageCache | None = None, http: Http,
    on_progress: Callable[[int], None] = lambda n: None, newer_than: datetime | None = None,
) -> tuple[list[Post], Profile]:
    base, user = parse_account(spec)
    try:
        account = http.get_json(f"{base}/api/v1/accounts/lookup", {"acct": user})
    except NotFound as e:
        raise SourceError(f"no account @{user} on {base.split('//')[1]}. Check the spelling") from e
    account_id = str(account["id"])
    handle = f"{account.get('username') or user}@{base.split('//')[1]}"

    def fetch_page(max_id: Any) -> tuple[list[Post], Any]:
        params = {"limit": PAGE_SIZE, **({"max_id": max_id} if max_id else {})}
        statuses = http.get_json(f"{base}/api/v1/accounts/{account_id}/statuses", params)
        page = [status_to_post(s, handle, account_id) for s in statuses]
        return page, (str(statuses[-1]["id"]) if statuses else None)

    posts = download(cache, fetch_page, max_posts=max_posts, on_progress=on_progress, newer_than=newer_than)
    profile = Profile(handle=handle, display_name=account.get("display_name") or user, source="mastodon",
                      avatar_url=account.get("avatar"), description=html_to_text(account.get("note") or "")[0])
    return posts, profile


def status_to_post(status: dict[str, Any], handle: str, account_id: str) -> Post:
    reblog = status.get("reblog")
    shown = reblog or status  # a boost's own content is empty; the original is under "reblog"
    text, urls = html_to_text(shown.get("content") or "")
    return Post(
        id=str(status["id"]),
        handle=handle,
        text=text,
        source="mastodon",
        created_at=parse_time(status.get("created_at")),
        is_repost=reblog is not None,
        # a reply to one's own post is a thread: the person's own voice
        is_reply=status.get("in_reply_to_id") is not None
        and str(status.get("in_reply_to_account_id")) != account_id,
        urls=tuple(urls),
    )


def html_to_text(fragment: str) -> tuple[str, list[str]]:
    """Mastodon's HTML → (plain text with line breaks, link targets that are not mentions/tags)."""
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    text = re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()
    return text, parser.urls


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.urls: list[str] = []
        # Long links arrive as <span class="invisible">https://</span>example.com/lo…: keeping
        # the invisible parts rebuilds the whole URL, which cleaning then removes.

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")
        elif tag == "a":
            classes = (a.get("class") or "").split()
            if a.get("href") and "mention" not in classes and "hashtag" not in classes:
                self.urls.append(a["href"])  # type: ignore[arg-type]

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
