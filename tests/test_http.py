from __future__ import annotations

import socket
from datetime import datetime, timezone

import pytest

from huggingtweets.errors import SourceError
from huggingtweets.sources.http import Http, retry_wait

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("headers, attempt, seconds", [
    ({"Retry-After": "12"}, 0, 12.0),
    ({"Retry-After": "Wed, 25 Nov 2026 12:00:30 GMT"}, 0, 30.0),
    ({"X-RateLimit-Reset": "2026-11-25T12:01:00.000Z"}, 0, 60.0),  # Mastodon: ISO 8601
    ({"RateLimit-Reset": str(int(NOW.timestamp()) + 45)}, 0, 45.0),  # Bluesky: epoch seconds
    ({"X-RateLimit-Reset": "2026-11-25T11:00:00Z"}, 0, 0.0),  # already past
    ({}, 3, 8.0),  # no word from the server: exponential backoff
])
def test_retry_wait(headers, attempt, seconds) -> None:
    assert retry_wait(headers, attempt, now=NOW) == pytest.approx(seconds)


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as s:  # a loopback port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    with pytest.raises(SourceError, match=f"can't reach 127.0.0.1:{port}.*internet connection"):
        Http(sleep=waits.append, max_tries=3).get(f"http://127.0.0.1:{port}/api")
    assert waits == [1.0, 2.0]


def test_a_far_away_rate_limit_reset_is_reported_not_waited(httpserver) -> None:
    httpserver.expect_request("/api").respond_with_data("", status=429, headers={"Retry-After": "3600"})
    waits: list[float] = []
    with pytest.raises(SourceError, match="rate-limits us for 60 more minutes.*kept"):
        Http(sleep=waits.append).get(httpserver.url_for("/api"))
    assert waits == []


def test_x_says_which_route_works(monkeypatch) -> None:
    import sys

    from huggingtweets.sources import fetch_posts

    monkeypatch.setitem(sys.modules, "snscrape", None)  # as where snscrape is not installed
    monkeypatch.setitem(sys.modules, "snscrape.modules", None)
    monkeypatch.setitem(sys.modules, "snscrape.modules.twitter", None)
    with pytest.raises(SourceError, match="X does not let tools read @jack's posts.*Download an archive"):
        fetch_posts("@jack")


@pytest.mark.parametrize("reset", ["1e300", "nan", "-1e300", "2024-01-01T00:00:00", "9" * 400])
def test_a_hostile_rate_limit_header_is_a_number_not_a_traceback(reset) -> None:
    from datetime import datetime, timezone

    from huggingtweets.sources.http import retry_wait

    wait = retry_wait({"X-RateLimit-Reset": reset}, attempt=1, now=datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert isinstance(wait, float) and wait >= 0
