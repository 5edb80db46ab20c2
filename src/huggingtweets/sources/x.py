"""X/Twitter live, tried honestly: twscrape with the user's own browser cookies when given,
else snscrape's `twitter-user` scraper.

X has walled off logged-out reading since 2023 (snscrape issue #996), so snscrape mostly
fails; the error then names the two routes that work: the account archive, or twscrape
with cookies from a logged-in browser, passed in HUGGINGTWEETS_X_COOKIES. The cookies stay
in this process: twscrape's account database (a file) is replaced by one in memory.

    posts, profile = fetch_x("@dot", max_posts=3200)
"""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import datetime, timezone
from itertools import islice
from typing import Any

from ..errors import SourceError, cause
from ..post import Post, Profile
from ..recipe import MAX_POSTS

COOKIES_ENV = "HUGGINGTWEETS_X_COOKIES"
UPLOAD_LABEL = "X archive / CSV"  # the notebook's fields these texts point to
COOKIES_LABEL = "X cookies"
ARCHIVE_HOWTO = (
    "Download your archive from X (Settings → Your account → Download an archive of your data) "
    "and pass the zip: huggingtweets train twitter-archive.zip"
)
COOKIES_HOWTO = (
    f"Or read X as yourself: pip install 'huggingtweets[twscrape]' and set {COOKIES_ENV} to the "
    "auth_token and ct0 cookies of a browser logged in to x.com (\"auth_token=...; ct0=...\")"
)
# the same two routes in the notebook's terms: its upload button and its cookie field
ARCHIVE_HOWTO_NOTEBOOK = (
    "Download your archive from X (Settings → Your account → Download an archive of your data) "
    f"and upload the zip with “{UPLOAD_LABEL}”"
)
COOKIES_HOWTO_NOTEBOOK = (
    "Or read X as yourself: run %pip install \"huggingtweets[twscrape]\" in a cell and paste the auth_token "
    f"and ct0 cookies of a browser logged in to x.com into “{COOKIES_LABEL}” (\"auth_token=...; ct0=...\")"
)
BOTH: dict[str, Any] = {"fix": f"{ARCHIVE_HOWTO}. {COOKIES_HOWTO}", "notebook_fix": f"{ARCHIVE_HOWTO_NOTEBOOK}. {COOKIES_HOWTO_NOTEBOOK}"}
ARCHIVE: dict[str, Any] = {"fix": ARCHIVE_HOWTO, "notebook_fix": ARCHIVE_HOWTO_NOTEBOOK}
_RATE_LIMIT_WAIT = 15 * 60  # seconds: X's rate-limit windows are 15 minutes
FETCH_TIMEOUT = 45 * 60  # seconds for a whole fetch: 3,200 posts with two rate-limit waits fit
X_HOME = "https://x.com"  # asked once before twscrape starts: is X there at all?


def fetch_x(spec: str, *, max_posts: int = MAX_POSTS) -> tuple[list[Post], Profile]:
    handle = spec.lstrip("@")
    cookies = os.environ.get(COOKIES_ENV, "").strip()
    if cookies:
        return _with_twscrape(handle, cookies, max_posts)
    try:
        import snscrape.modules.twitter as sntwitter
    except Exception as e:  # not installed, or broken on this Python
        raise SourceError(f"X does not let tools read @{handle}'s posts without a login", **BOTH) from e
    try:
        tweets = list(islice(sntwitter.TwitterUserScraper(handle).get_items(), max_posts))
    except Exception as e:  # X answers scrapers with 4xx walls; snscrape raises its own types
        raise SourceError(f"X refused to show @{handle}'s posts ({cause(e)})", **BOTH) from e
    if not tweets:
        raise SourceError(f"X showed no posts of @{handle}", **BOTH)
    return _posts(tweets, handle), _profile(tweets[0].user, handle)


def _with_twscrape(handle: str, cookie_text: str, max_posts: int) -> tuple[list[Post], Profile]:
    os.environ.setdefault("TWS_TELEMETRY", "0")  # twscrape reports usage to PostHog unless told not to
    try:
        import twscrape
        from twscrape.utils import parse_cookies
    except ImportError as e:
        raise SourceError(f"{COOKIES_ENV} is set but twscrape is not installed",
                          fix="Run `pip install 'huggingtweets[twscrape]'`",
                          notebook_fix="Run %pip install \"huggingtweets[twscrape]\" in a cell, then press the button again") from e
    try:
        cookies = parse_cookies(cookie_text)
    except ValueError:
        cookies = {}
    if not (cookies.get("auth_token") and cookies.get("ct0")):
        raise SourceError(f"{COOKIES_ENV} holds no auth_token and ct0 cookies",
                          fix="Copy both from a browser logged in to x.com (developer tools → Application → Cookies)",
                          notebook_fix="“X cookies” holds no auth_token and ct0 cookies. Copy both from a browser "
                                       "logged in to x.com (developer tools → Application → Cookies)")
    _check_reachable()
    pool = _memory_pool(twscrape, cookies)

    async def fetch() -> tuple[Any, list[Any]]:
        api = twscrape.API(pool)
        user = await api.user_by_login(handle)
        if user is None:
            return None, []
        return user, [t async for t in api.user_tweets(user.id, limit=max_posts)][:max_posts]

    try:
        user, tweets = _run_bounded(fetch, FETCH_TIMEOUT)
    except TimeoutError as e:
        raise SourceError(f"X did not give @{handle}'s posts within {FETCH_TIMEOUT // 60} minutes (twscrape "
                          "retries a failing connection for ever)", **ARCHIVE) from e
    except Exception as e:  # network and X's own errors, as twscrape raises them
        raise SourceError(f"X could not be read with your cookies ({type(e).__name__}: {e})", **ARCHIVE) from e
    if pool.refused:
        raise SourceError(f"X refused your cookies ({pool.refused})",
                          fix=f"Log in to x.com again and copy fresh auth_token and ct0 cookies into {COOKIES_ENV}",
                          notebook_fix=f"Log in to x.com again and paste fresh auth_token and ct0 cookies into “{COOKIES_LABEL}”")
    if user is None:
        raise SourceError(f"X has no account @{handle}. Check the spelling")
    if not tweets:
        raise SourceError(f"X showed no posts of @{handle}", **ARCHIVE)
    return _posts(tweets, handle), _profile(user, handle)


def _check_reachable() -> None:
    """One quick request first: with no network, twscrape would retry for many minutes."""
    import httpx

    try:
        httpx.head(X_HOME, timeout=15)
    except httpx.HTTPError as e:
        raise SourceError(f"x.com can't be reached ({cause(e)})",
                          fix=f"Check the internet connection, or read your archive instead: {ARCHIVE_HOWTO}",
                          notebook_fix="Check the internet connection, or read your archive instead: "
                                       f"{ARCHIVE_HOWTO_NOTEBOOK}") from e


def _run_bounded(make: Any, timeout: float) -> Any:
    """``await make()`` on an event loop in a thread of its own (a notebook's kernel runs one in
    this thread already), for at most ``timeout`` seconds (TimeoutError). A Ctrl-C reaches the
    user at once: the fetch is cancelled, not waited for."""
    loop = asyncio.new_event_loop()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = loop.run_until_complete(asyncio.wait_for(make(), timeout))
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error
        finally:
            loop.close()

    worker = threading.Thread(target=run, name="huggingtweets-x", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        loop.call_soon_threadsafe(lambda: [task.cancel() for task in asyncio.all_tasks(loop)])
        worker.join(5)
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _memory_pool(twscrape: Any, cookies: dict[str, str]) -> Any:
    """A twscrape account pool holding one cookie-only account in memory.

    twscrape keeps accounts (cookies included) in an sqlite file; this pool never opens it."""

    class MemoryPool(twscrape.AccountsPool):
        def __init__(self) -> None:
            super().__init__(db_file=os.devnull, raise_when_no_account=True)
            self.account = twscrape.Account(
                username="huggingtweets", password="_", email="", email_password="",
                user_agent="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                           "Chrome/131.0 Safari/537.36",
                active=True, cookies=cookies)
            self.refused: str | None = None  # why X turned the account away

        async def get_for_queue_or_wait(self, queue: str) -> Any:
            if not self.account.active:
                return None
            until = self.account.locks.get(queue)
            if until is not None:
                wait = (until - datetime.now(timezone.utc)).total_seconds()
                if wait > _RATE_LIMIT_WAIT:
                    return None
                await asyncio.sleep(max(0.0, wait))  # X's rate limit: wait for the window to reset
            return self.account

        async def lock_until(self, username: str, queue: str, unlock_at: int, req_count: int = 0) -> None:
            self.account.locks[queue] = datetime.fromtimestamp(unlock_at, timezone.utc)

        async def unlock(self, username: str, queue: str, req_count: int = 0) -> None:
            self.account.locks.pop(queue, None)

        async def mark_inactive(self, username: str, error_msg: str | None) -> None:
            self.account.active = False
            self.refused = error_msg or "no reason given"

    return MemoryPool()


def _posts(tweets: list[Any], handle: str) -> list[Post]:
    """snscrape's and twscrape's tweets (twscrape keeps snscrape's model) as `Post`s."""
    return [Post(id=str(t.id), handle=handle, text=t.rawContent, source="x", created_at=t.date,
                 is_repost=t.retweetedTweet is not None,
                 is_reply=t.inReplyToUser is not None and t.inReplyToUser.username.lower() != handle.lower(),
                 urls=tuple(link.url for link in (t.links or ())))
            for t in tweets]


def _profile(user: Any, handle: str) -> Profile:
    return Profile(handle=handle, display_name=user.displayname or handle, source="x",
                   avatar_url=user.profileImageUrl, description=user.rawDescription or "")
