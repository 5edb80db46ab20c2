"""Bluesky against a server on 127.0.0.1 that answers in the AppView's recorded shapes."""

from __future__ import annotations

import pytest

from huggingtweets.errors import SourceError
from huggingtweets.sources import fetch_posts, source_kind
from huggingtweets.sources.bluesky import expand_links, parse_actor
from huggingtweets.sources.http import Http

DID = "did:plc:dot4gullhaven"
PROFILE = {"did": DID, "handle": "dot.bsky.social", "displayName": "Dot Pemberton",
           "avatar": "https://cdn.bsky.example/avatar/dot.jpg", "description": "Ferry captain, retired."}


def item(n: int, text: str = "", *, reason: str | None = None, author: str = DID, reply_parent: str = "",
         facets: list | None = None) -> dict:
    record = {"$type": "app.bsky.feed.post", "text": text or f"Post {n}: Kevin is on the roof again, crew.",
              "createdAt": f"2025-02-{n % 28 + 1:02d}T09:00:00.000Z", "langs": ["en"]}
    if facets:
        record["facets"] = facets
    if reply_parent:
        record["reply"] = {"root": {"uri": reply_parent, "cid": "x"}, "parent": {"uri": reply_parent, "cid": "x"}}
    entry = {"post": {"uri": f"at://{author}/app.bsky.feed.post/{n:04d}", "cid": f"cid{n}",
                      "author": {"did": author, "handle": "dot.bsky.social" if author == DID else "len.bsky.social"},
                      "record": record, "indexedAt": record["createdAt"]}}
    if reason:
        entry["reason"] = {"$type": reason, "by": {"did": DID}}
    return entry


LINK_TEXT = "Tide times 🌊 for the week: saltloaf.example/tides/2025… and more"
start = LINK_TEXT.encode().index(b"saltloaf")
end = start + len("saltloaf.example/tides/2025…".encode())
PAGE1 = [item(0, "Pinned: welcome to the bakery account", reason="app.bsky.feed.defs#reasonPin")] + \
        [item(n) for n in range(1, 100)]
PAGE2 = [
    item(100, LINK_TEXT, facets=[{"index": {"byteStart": start, "byteEnd": end},
                                  "features": [{"$type": "app.bsky.richtext.facet#link",
                                                "uri": "https://saltloaf.example/tides/2025-02"}]}]),
    item(101, "Len's post that Dot reposted", reason="app.bsky.feed.defs#reasonRepost", author="did:plc:len"),
    item(102, "@len.bsky.social the loaf is on the bollard", reply_parent="at://did:plc:len/app.bsky.feed.post/9"),
    item(103, "...and the thread goes on", reply_parent=f"at://{DID}/app.bsky.feed.post/0100"),
]


@pytest.fixture
def api(httpserver, monkeypatch):
    httpserver.expect_request("/xrpc/app.bsky.actor.getProfile",
                              query_string={"actor": "dot.bsky.social"}).respond_with_json(PROFILE)
    feed = "/xrpc/app.bsky.feed.getAuthorFeed"
    httpserver.expect_request(feed, query_string={"actor": DID, "limit": "100"}).respond_with_json(
        {"feed": PAGE1, "cursor": "2025-02-01T00:00:00Z"})
    httpserver.expect_request(feed, query_string={"actor": DID, "limit": "100", "cursor": "2025-02-01T00:00:00Z"}
                              ).respond_with_json({"feed": PAGE2})  # no cursor: the end
    monkeypatch.setenv("HUGGINGTWEETS_BLUESKY_API", httpserver.url_for("/"))
    return httpserver


def test_pages_by_cursor_until_there_is_none(api, tmp_path) -> None:
    fetched = fetch_posts("dot.bsky.social", cache_dir=tmp_path, http=Http(sleep=lambda s: None))
    assert len(fetched.posts) == 103  # the pinned copy is left out
    assert fetched.profile.display_name == "Dot Pemberton" and fetched.profile.source == "bluesky"
    by_n = {p.id[-4:]: p for p in fetched.posts}
    assert by_n["0100"].text == "Tide times 🌊 for the week: https://saltloaf.example/tides/2025-02 and more"
    assert by_n["0100"].urls == ("https://saltloaf.example/tides/2025-02",)
    assert by_n["0101"].is_repost
    assert by_n["0102"].is_reply and not by_n["0103"].is_reply
    assert by_n["0001"].created_at.isoformat() == "2025-02-02T09:00:00+00:00"
    assert (tmp_path / "bluesky-dot.bsky.social.jsonl").is_file()


def test_unknown_handle(httpserver, monkeypatch) -> None:
    httpserver.expect_request("/xrpc/app.bsky.actor.getProfile").respond_with_json(
        {"error": "InvalidRequest", "message": "Profile not found"}, status=400)
    monkeypatch.setenv("HUGGINGTWEETS_BLUESKY_API", httpserver.url_for("/"))
    with pytest.raises(SourceError, match="no Bluesky account nobody.bsky.social"):
        fetch_posts("nobody.bsky.social", http=Http(sleep=lambda s: None))


@pytest.mark.parametrize("spec, actor", [
    ("dot.bsky.social", "dot.bsky.social"), ("@dot.example.com", "dot.example.com"),
    ("https://bsky.app/profile/dot.bsky.social", "dot.bsky.social"), ("did:plc:abc123", "did:plc:abc123"),
])
def test_handle_shapes(spec, actor) -> None:
    assert parse_actor(spec) == actor and source_kind(spec) == "bluesky"


def test_link_facets_count_bytes_not_characters() -> None:
    text = "🍞🍞 bread at example.com/b… today"
    s = text.encode().index(b"example")
    e = s + len("example.com/b…".encode())
    out, urls = expand_links(text, [{"index": {"byteStart": s, "byteEnd": e},
                                     "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/bread"}]}])
    assert out == "🍞🍞 bread at https://example.com/bread today" and urls == ["https://example.com/bread"]
