"""X live: the one-line refusals, and the twscrape route with cookies kept in memory.

No test traffic goes to X: twscrape's two calls are replaced by ones returning recorded-shape
tweets, so what is tested is ours: the cookie handling, the in-memory account, the mapping; the
one request made before twscrape starts goes to a server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from huggingtweets.errors import SourceError
from huggingtweets.sources import fetch_posts
from huggingtweets.sources.x import COOKIES_ENV, _memory_pool

COOKIES = "auth_token=fake0123456789abcdef; ct0=fakecsrf9876543210"


@pytest.fixture(autouse=True)
def x_home(httpserver, monkeypatch):
    """x.com, as the reachability check sees it: a server on 127.0.0.1."""
    import huggingtweets.sources.x as x_module

    httpserver.expect_request("/").respond_with_data("")
    monkeypatch.setattr(x_module, "X_HOME", httpserver.url_for("/"))


def test_without_cookies_the_refusal_names_both_routes(monkeypatch) -> None:
    monkeypatch.delenv(COOKIES_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "snscrape", None)  # as on most machines: not installed
    with pytest.raises(SourceError) as error:
        fetch_posts("@jack")
    message = str(error.value)
    assert message.startswith("X does not let tools read @jack's posts without a login.")
    assert "Download an archive of your data" in message
    assert f"pip install 'huggingtweets[twscrape]' and set {COOKIES_ENV}" in message
    assert "\n" not in message


def test_cookies_without_twscrape_name_the_extra(monkeypatch) -> None:
    monkeypatch.setenv(COOKIES_ENV, COOKIES)
    monkeypatch.setitem(sys.modules, "twscrape", None)
    with pytest.raises(SourceError, match=r"twscrape is not installed. Run `pip install 'huggingtweets\[twscrape\]'`"):
        fetch_posts("@jack")


twscrape = pytest.importorskip("twscrape", reason="the twscrape route needs `pip install -e '.[test]'`")


def test_cookies_without_the_two_that_matter_are_refused_before_any_request(monkeypatch) -> None:
    monkeypatch.setenv(COOKIES_ENV, "lang=en; guest_id=v1")
    with pytest.raises(SourceError, match=f"{COOKIES_ENV} holds no auth_token and ct0 cookies"):
        fetch_posts("@jack")


def _tweet(n: int, text: str, **kw) -> SimpleNamespace:
    fields = {"id": n, "rawContent": text, "date": datetime(2025, 3, n + 1, tzinfo=timezone.utc),
              "retweetedTweet": None, "inReplyToUser": None, "links": [], "user": None}
    return SimpleNamespace(**{**fields, **kw})


def test_twscrape_reads_the_account_with_the_cookies_held_in_memory(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # twscrape's default database would appear here
    monkeypatch.setenv(COOKIES_ENV, COOKIES)
    seen = {}
    user = SimpleNamespace(id=42, username="dot", displayname="Dot Pemberton",
                           profileImageUrl="https://pbs.example/dot.jpg", rawDescription="Ferry captain")

    async def user_by_login(self, login, kv=None):
        seen["login"], seen["cookies"] = login, dict(self.pool.account.cookies)
        return user

    async def user_tweets(self, uid, limit=-1, kv=None):
        seen["uid"], seen["limit"] = uid, limit
        yield _tweet(1, "The ferry is late again and Kevin is on the roof.",
                     links=[SimpleNamespace(url="https://gullhaven.example/tides")])
        yield _tweet(2, "RT @harbour: cancelled", retweetedTweet=object())
        yield _tweet(3, "@len yes, the scones are back", inReplyToUser=SimpleNamespace(username="len"))
        yield _tweet(4, "more to come", inReplyToUser=SimpleNamespace(username="Dot"))  # a thread

    monkeypatch.setattr(twscrape.API, "user_by_login", user_by_login)
    monkeypatch.setattr(twscrape.API, "user_tweets", user_tweets)
    fetched = fetch_posts("@dot", max_posts=3)

    assert seen == {"login": "dot", "cookies": {"auth_token": "fake0123456789abcdef", "ct0": "fakecsrf9876543210"},
                    "uid": 42, "limit": 3}
    assert [p.id for p in fetched.posts] == ["1", "2", "3"]  # --max-posts holds
    first, retweet, reply = fetched.posts
    assert first.urls == ("https://gullhaven.example/tides",) and first.source == "x"
    assert retweet.is_repost and reply.is_reply and not first.is_reply
    assert fetched.profile.display_name == "Dot Pemberton"
    assert fetched.profile.avatar_url == "https://pbs.example/dot.jpg"
    assert list(tmp_path.iterdir()) == []  # no accounts.db: the cookies never touched the disk


def test_the_memory_pool_waits_out_a_rate_limit_and_stops_when_x_refuses() -> None:
    pool = _memory_pool(twscrape, {"auth_token": "a", "ct0": "b"})

    async def story():
        first = await pool.get_for_queue_or_wait("UserTweets")
        soon = datetime.now(timezone.utc) + timedelta(seconds=0.2)
        await pool.lock_until("huggingtweets", "UserTweets", int(soon.timestamp()) + 1)
        later = datetime.now(timezone.utc) + timedelta(hours=1)
        await pool.lock_until("huggingtweets", "Other", int(later.timestamp()))
        too_long = await pool.get_for_queue_or_wait("Other")  # past one 15-minute window: give up
        await pool.unlock("huggingtweets", "UserTweets")
        again = await pool.get_for_queue_or_wait("UserTweets")
        await pool.mark_inactive("huggingtweets", "(401) Could not authenticate you")
        refused = await pool.get_for_queue_or_wait("UserTweets")
        return first, too_long, again, refused

    first, too_long, again, refused = asyncio.run(story())
    assert first is pool.account and again is pool.account
    assert too_long is None and refused is None
    assert pool.refused == "(401) Could not authenticate you"


def _hanging_x(monkeypatch) -> None:
    """X that never answers: what twscrape does with no network is retry for ever."""
    twscrape = pytest.importorskip("twscrape")
    monkeypatch.setenv(COOKIES_ENV, COOKIES)

    async def user_by_login(self, login, kv=None):
        await asyncio.sleep(3600)

    monkeypatch.setattr(twscrape.API, "user_by_login", user_by_login)


def test_no_network_is_one_line_at_once(monkeypatch) -> None:
    import socket

    import huggingtweets.sources.x as x_module

    _hanging_x(monkeypatch)
    with socket.socket() as s:  # a port on 127.0.0.1 that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(x_module, "X_HOME", f"http://127.0.0.1:{port}/")
    with pytest.raises(SourceError, match="x.com can't be reached"):
        fetch_posts("@dot")


def test_a_fetch_that_never_ends_is_bounded(monkeypatch) -> None:
    import huggingtweets.sources.x as x_module

    _hanging_x(monkeypatch)
    monkeypatch.setattr(x_module, "FETCH_TIMEOUT", 0.5)
    with pytest.raises(SourceError, match="X did not give @dot's posts within"):
        fetch_posts("@dot")


def test_the_first_ctrl_c_stops_a_fetch(monkeypatch) -> None:
    import _thread
    import threading
    import time

    _hanging_x(monkeypatch)
    threading.Timer(0.5, _thread.interrupt_main).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        fetch_posts("@dot")
    assert time.monotonic() - started < 10
