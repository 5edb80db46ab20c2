"""HTTP for the live sources: timeouts, and retries with exponential backoff on 429, 5xx and
dropped connections, honouring `Retry-After` and `X-RateLimit-Reset`:

    client = Http()
    data = client.get_json("https://mastodon.social/api/v1/accounts/lookup", {"acct": "dot"})
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from ..errors import SourceError

TIMEOUT_SECONDS = 20.0  # per read: public APIs answer in well under a second when healthy
ANSWER_SECONDS = 60.0  # per answer, however its bytes trickle in (a byte every few seconds never ends)
MAX_ANSWER_BYTES = 16 * 2**20  # a page of 40 statuses or 100 posts is well under 1 MB
MAX_TRIES = 6  # ~1+2+4+8+16 s of backoff: rides out a brief outage, gives up on a long one
MAX_WAIT_SECONDS = 300.0  # a rate-limit reset further away than this is reported, not waited for
_RETRIED = {429, 500, 502, 503, 504}


class NotFound(SourceError):
    """The server answered 404."""


class Http:
    def __init__(self, *, sleep: Callable[[float], None] = time.sleep, max_tries: int = MAX_TRIES,
                 user_agent: str = "huggingtweets/0.1 (+python-httpx)") -> None:
        import httpx

        self.sleep = sleep  # tests pass a recorder instead of waiting
        self.max_tries = max_tries
        self.client = httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=True,
                                   headers={"User-Agent": user_agent, "Accept": "application/json"})

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        body = self.get(url, params)
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as e:  # not JSON, not UTF-8, or nested past Python's stack
            raise SourceError(f"{_host(url)} answered with something that isn't JSON "
                              f"({type(e).__name__}). Check the address, or try again later") from e

    def get(self, url: str, params: dict[str, Any] | None = None) -> bytes:
        """GET with retries; returns the body of a 2xx answer, read within ``ANSWER_SECONDS`` and
        ``MAX_ANSWER_BYTES``."""
        import httpx

        for attempt in range(self.max_tries):
            last = attempt == self.max_tries - 1
            try:
                # the body's own deadline (ANSWER_SECONDS) says more, so it comes first
                body, response = _within(ANSWER_SECONDS + 5, url, lambda: self._get_once(url, params))
                if body is not None:
                    return body
            except httpx.TransportError as e:  # refused, reset, timed out, DNS
                if last:
                    raise SourceError(f"can't reach {_host(url)} ({type(e).__name__}: {e}). "
                                      "Check your internet connection and try again") from e
                self.sleep(2.0 ** attempt)
                continue
            if response.status_code == 404:
                raise NotFound(f"{_host(url)} answered 404 Not Found for {response.url.path}")
            if response.status_code in (401, 403):
                raise SourceError(
                    f"{_host(url)} refuses anonymous requests ({response.status_code}). "
                    "Export the posts from your account there and pass the file instead"
                )
            if response.status_code not in _RETRIED or last:
                raise SourceError(f"{_host(url)} answered {response.status_code} "
                                  f"{response.reason_phrase}. Try again later")
            wait = retry_wait(response.headers, attempt)
            if wait > MAX_WAIT_SECONDS:
                raise SourceError(f"{_host(url)} rate-limits us for {wait / 60:.0f} more minutes. "
                                  "Try again then; posts fetched so far are kept")
            self.sleep(wait)
        raise AssertionError("unreachable")

    def _get_once(self, url: str, params: dict[str, Any] | None) -> tuple[bytes | None, Any]:
        """One GET: (the body of a 2xx answer, or None; the response)."""
        with self.client.stream("GET", url, params=params) as response:
            return (_bounded_body(response, url) if response.status_code < 300 else None), response

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def retry_wait(headers: Any, attempt: int, now: datetime | None = None) -> float:
    """Seconds to wait before the next try: the server's word if it gave one, else 2^attempt."""
    now = now or datetime.now(timezone.utc)
    retry_after = headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(retry_after) - now).total_seconds())
            except (TypeError, ValueError):
                pass
    reset = headers.get("X-RateLimit-Reset") or headers.get("RateLimit-Reset")
    if reset:
        try:  # Bluesky: epoch seconds; Mastodon: an ISO 8601 time
            moment = datetime.fromtimestamp(float(reset), tz=timezone.utc)
        except (ValueError, OverflowError, OSError):  # not a number, NaN, or beyond any calendar
            try:
                moment = datetime.fromisoformat(reset.replace("Z", "+00:00"))
            except ValueError:
                moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return max(0.0, (moment - now).total_seconds())
    return 2.0 ** attempt


def _within(seconds: float, url: str, request: Callable[[], Any]) -> Any:
    """``request()``'s result, or SourceError once it has taken ``seconds`` in all: the client's
    timeout is per read, so a server sending its headers a byte every few seconds would hold the
    run for ever. The request runs in a daemon thread, left behind if it never ends."""
    import threading

    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = request()
        except BaseException as error:  # handed to the caller's thread, whatever it is
            outcome["error"] = error

    worker = threading.Thread(target=run, name=f"GET {_host(url)}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise SourceError(f"{_host(url)} took more than {seconds:.0f} s to answer. Try again later")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _bounded_body(response: Any, url: str) -> bytes:
    """The answer's bytes (decompressed), refused once they pass ``MAX_ANSWER_BYTES`` or take
    longer than ``ANSWER_SECONDS`` in all."""
    deadline = time.monotonic() + ANSWER_SECONDS
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise SourceError(f"{_host(url)} sent more than {MAX_ANSWER_BYTES // 2**20} MB for one page of posts. "
                              "Check the address: no Mastodon or Bluesky server answers that")
        if time.monotonic() > deadline:
            raise SourceError(f"{_host(url)} took more than {ANSWER_SECONDS:.0f} s to send one page of posts. "
                              "Try again later")
    return bytes(body)


def _host(url: str) -> str:
    return url.split("//", 1)[-1].split("/", 1)[0]
