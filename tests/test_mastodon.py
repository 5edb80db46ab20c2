"""Mastodon against a server on 127.0.0.1 that answers in the API's recorded shapes."""

from __future__ import annotations

import pytest

from huggingtweets.errors import SourceError
from huggingtweets.sources import fetch_posts
from huggingtweets.sources.http import Http
from huggingtweets.sources.mastodon import html_to_text

ACCOUNT = {"id": "109", "username": "dot", "acct": "dot", "display_name": "Dot Pemberton",
           "avatar": "https://files.example/dot.png", "note": "<p>Retired ferry captain &amp; baker</p>"}


def status(n: int, content: str = "", **kw) -> dict:
    return {"id": str(1000 - n), "created_at": f"2024-05-{n % 28 + 1:02d}T08:00:00.000Z",
            "content": content or f"<p>Post {n}: the ferry is late again &amp; Kevin is on the roof.</p>",
            "in_reply_to_id": None, "in_reply_to_account_id": None, "reblog": None,
            "url": f"https://social.example/@dot/{1000 - n}", **kw}


PAGE1 = [status(n) for n in range(40)]
PAGE2 = [
    status(40, '<p>Blog post: <a href="https://saltloaf.example/blog/barnaby" rel="nofollow noopener" '
               'target="_blank"><span class="invisible">https://</span><span class="ellipsis">saltloaf.example/blo'
               '</span><span class="invisible">g/barnaby</span></a></p><p>Second line<br />third line</p>'),
    status(41, "", reblog=status(99, "<p>Someone else's words</p>")),
    status(42, '<p><span class="h-card"><a href="https://social.example/@len" class="u-url mention">@<span>len'
               '</span></a></span> the loaf is on the bollard <a href="https://social.example/tags/kevinwatch" '
               'class="mention hashtag">#<span>KevinWatch</span></a></p>',
           in_reply_to_id="5", in_reply_to_account_id="200"),
    status(43, "<p>And another thing, in my own thread.</p>", in_reply_to_id="958", in_reply_to_account_id="109"),
]


@pytest.fixture
def server(httpserver):
    httpserver.expect_request("/api/v1/accounts/lookup", query_string={"acct": "dot"}).respond_with_json(ACCOUNT)
    return httpserver


def serve_pages(server) -> None:
    path = "/api/v1/accounts/109/statuses"
    server.expect_request(path, query_string={"limit": "40"}).respond_with_json(PAGE1)
    server.expect_request(path, query_string={"limit": "40", "max_id": "961"}).respond_with_json(PAGE2)
    server.expect_request(path, query_string={"limit": "40", "max_id": "957"}).respond_with_json([])


def spec(server) -> str:
    return server.url_for("/@dot")  # a profile URL: http://127.0.0.1:PORT/@dot


def test_pages_until_an_empty_page(server, tmp_path) -> None:
    serve_pages(server)
    fetched = fetch_posts(spec(server), cache_dir=tmp_path, http=Http(sleep=lambda s: None))
    assert len(fetched.posts) == 44
    assert fetched.profile.display_name == "Dot Pemberton" and fetched.profile.handle.startswith("dot@127.0.0.1")
    assert fetched.profile.avatar_url == "https://files.example/dot.png"
    by_id = {p.id: p for p in fetched.posts}
    blog = by_id["960"]
    assert blog.text == "Blog post: https://saltloaf.example/blog/barnaby\n\nSecond line\nthird line"
    assert blog.urls == ("https://saltloaf.example/blog/barnaby",)
    assert by_id["959"].is_repost and by_id["959"].text == "Someone else's words"
    assert by_id["958"].is_reply and by_id["958"].text == "@len the loaf is on the bollard #KevinWatch"
    assert by_id["958"].urls == ()  # mentions and hashtags are not links
    assert not by_id["957"].is_reply  # a reply to oneself is a thread
    assert by_id["999"].text == "Post 1: the ferry is late again & Kevin is on the roof."


def test_max_posts_stops_early(server) -> None:
    serve_pages(server)
    fetched = fetch_posts(spec(server), max_posts=10, http=Http(sleep=lambda s: None))
    assert len(fetched.posts) == 10
    assert len([r for r, _ in server.log if "statuses" in r.path]) == 1


def test_a_bot_being_continued_reads_back_only_to_its_newest_post(server, tmp_path) -> None:
    from datetime import datetime, timezone

    serve_pages(server)
    fetch_posts(spec(server), cache_dir=tmp_path, http=Http(sleep=lambda s: None))  # the bot's first reading
    server.log.clear()
    newest_known = datetime(2024, 5, 20, 8, tzinfo=timezone.utc)  # the first page reaches back past it
    fetched = fetch_posts(spec(server), cache_dir=tmp_path, http=Http(sleep=lambda s: None), newer_than=newest_known)
    assert len([r for r, _ in server.log if "statuses" in r.path]) == 1  # read again, but one page, not all
    assert len(fetched.posts) == 40 and not fetched.reused


def test_429_waits_as_told_and_500_is_retried(server) -> None:
    waits: list[float] = []
    path = "/api/v1/accounts/109/statuses"
    server.expect_oneshot_request(path, query_string={"limit": "40"}).respond_with_data(
        "slow down", status=429, headers={"Retry-After": "7"})
    server.expect_oneshot_request(path, query_string={"limit": "40"}).respond_with_data("oops", status=500)
    serve_pages(server)
    fetched = fetch_posts(spec(server), http=Http(sleep=waits.append))
    assert len(fetched.posts) == 44
    assert waits == [7.0, 2.0]  # the server's Retry-After, then backoff 2^1


def test_unknown_account_and_closed_server(httpserver) -> None:
    httpserver.expect_request("/api/v1/accounts/lookup").respond_with_json({"error": "Record not found"}, status=404)
    with pytest.raises(SourceError, match="no account @nobody on 127.0.0.1.*Check the spelling"):
        fetch_posts(httpserver.url_for("/@nobody"), http=Http(sleep=lambda s: None))
    httpserver.clear()
    httpserver.expect_request("/api/v1/accounts/lookup").respond_with_json(
        {"error": "This API requires an authenticated user"}, status=401)
    with pytest.raises(SourceError, match="refuses anonymous requests \\(401\\).*pass the file"):
        fetch_posts(httpserver.url_for("/@dot"), http=Http(sleep=lambda s: None))


def test_an_interrupted_download_keeps_its_pages_and_carries_on(server, tmp_path) -> None:
    path = "/api/v1/accounts/109/statuses"
    server.expect_request(path, query_string={"limit": "40"}).respond_with_json(PAGE1)
    server.expect_request(path, query_string={"limit": "40", "max_id": "961"}).respond_with_data("down", status=503)
    with pytest.raises(SourceError, match="503"):
        fetch_posts(spec(server), cache_dir=tmp_path, http=Http(sleep=lambda s: None, max_tries=2))
    assert len((tmp_path / next(p.name for p in tmp_path.glob("*.partial.jsonl"))).read_text().splitlines()) == 40

    server.clear()
    server.expect_request("/api/v1/accounts/lookup", query_string={"acct": "dot"}).respond_with_json(ACCOUNT)
    server.expect_request(path, query_string={"limit": "40", "max_id": "961"}).respond_with_json(PAGE2)
    server.expect_request(path, query_string={"limit": "40", "max_id": "957"}).respond_with_json([])
    fetched = fetch_posts(spec(server), cache_dir=tmp_path, http=Http(sleep=lambda s: None))
    assert len(fetched.posts) == 44 and len({p.id for p in fetched.posts}) == 44
    assert not [r for r, _ in server.log if r.args.get("max_id") is None and "statuses" in r.path]

    server.clear()  # a rerun reads raw/ and asks the server nothing
    again = fetch_posts(spec(server), cache_dir=tmp_path)
    assert again.reused and [p.text for p in again.posts] == [p.text for p in fetched.posts]
    assert again.profile.display_name == "Dot Pemberton" and not server.log


def test_html_to_text_keeps_breaks_and_entities() -> None:
    text, urls = html_to_text("<p>Fish &amp; chips<br>on the quay</p><p>Second &lt;para&gt;</p>")
    assert text == "Fish & chips\non the quay\n\nSecond <para>" and urls == []
