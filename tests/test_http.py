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


def _endless(piece: bytes, pause: float = 0.0):
    import time

    from werkzeug import Response

    def body():
        while True:
            yield piece
            time.sleep(pause)
    return Response(body(), mimetype="application/json")


def test_an_endless_answer_is_refused_at_a_bound_not_read_into_memory(httpserver, monkeypatch) -> None:
    from huggingtweets.sources import http

    monkeypatch.setattr(http, "MAX_ANSWER_BYTES", 2**20)
    httpserver.expect_request("/api").respond_with_response(_endless(b"[" * 65536))
    with pytest.raises(SourceError, match="sent more than 1 MB for one page.*Check the address"):
        Http(sleep=lambda s: None).get_json(httpserver.url_for("/api"))


def test_an_answer_trickling_in_is_given_up_on_in_bounded_time(httpserver, monkeypatch) -> None:
    import time

    from huggingtweets.sources import http

    monkeypatch.setattr(http, "ANSWER_SECONDS", 1.0)
    httpserver.expect_request("/api").respond_with_response(_endless(b" ", pause=0.2))  # each read well in time
    start = time.monotonic()
    with pytest.raises(SourceError, match="took more than 1 s to send one page"):
        Http(sleep=lambda s: None).get_json(httpserver.url_for("/api"))
    assert time.monotonic() - start < 5


def test_an_answer_that_is_not_json_is_one_error_line(httpserver) -> None:
    httpserver.expect_request("/api").respond_with_data("<html>Welcome to nginx</html>")
    with pytest.raises(SourceError, match="answered with something that isn't JSON.*Check the address"):
        Http(sleep=lambda s: None).get_json(httpserver.url_for("/api"))


def test_a_server_sending_its_headers_a_byte_at_a_time_is_given_up_on(monkeypatch) -> None:
    import threading
    import time

    from huggingtweets.sources import http

    monkeypatch.setattr(http, "ANSWER_SECONDS", 0.5)  # the whole answer: 5.5 s
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = server.accept()
        conn.recv(65536)
        with conn:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:  # each byte well inside the read timeout
                if stop.is_set():
                    return
                conn.sendall(bytes([byte]))
                time.sleep(0.5)

    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(SourceError, match="took more than 6 s to answer"):
        Http(sleep=lambda s: None, max_tries=1).get_json(f"http://127.0.0.1:{server.getsockname()[1]}/api")
    stop.set()
    server.close()
    assert time.monotonic() - started < 15
