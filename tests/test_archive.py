from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from helpers import FIXTURES

from huggingtweets.clean import clean_posts
from huggingtweets.errors import SourceError
from huggingtweets.sources import fetch_posts, read_archive


def zip_folder(folder: Path, target: Path, top: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, top + path.relative_to(folder).as_posix())
    return target


@pytest.fixture
def archive(tmp_path) -> Path:
    return zip_folder(FIXTURES / "x_archive", tmp_path / "twitter-2022-11-06-abc.zip")


def test_reads_tweets_name_and_avatar(archive) -> None:
    posts, profile = read_archive(archive)
    assert profile.handle == "gullhaven_dot" and profile.display_name == "Dot Pemberton"
    assert profile.avatar_url == "https://pbs.twimg.com/profile_images/1/dot.jpg"
    assert len(posts) == 6 and all(p.source == "archive" and p.handle == "gullhaven_dot" for p in posts)
    first = posts[0]
    assert first.id == "1588000000000000001"
    assert first.created_at.isoformat() == "2022-11-03T08:50:26+00:00"
    assert first.urls == ("https://saltloaf.example/blog/barnaby",)  # t.co expanded


def test_retweets_replies_and_threads(archive) -> None:
    posts = {p.id[-1]: p for p in read_archive(archive)[0]}
    assert posts["2"].is_repost  # recognised by "RT @": `retweeted` is always false in archives
    assert posts["3"].is_reply  # to someone else
    assert not posts["4"].is_reply  # to oneself: a thread, the person's own voice
    assert not posts["1"].is_repost and not posts["1"].is_reply


def test_long_posts_come_from_note_tweets(archive) -> None:
    posts = {p.id[-1]: p for p in read_archive(archive)[0]}
    assert posts["5"].text.endswith("I'd like that on my headstone please, crew.")
    assert "…" not in posts["5"].text and len(posts["5"].text) > 280


def test_nothing_private_is_read(archive) -> None:
    posts, profile = read_archive(archive)
    everything = repr(posts) + repr(profile)
    assert "PRIVATE-DM" not in everything and "dot.secret@example.com" not in everything


def test_cleaned_archive_text(archive) -> None:
    kept, stats = clean_posts(read_archive(archive)[0], handle="gullhaven_dot")
    assert stats.retweets == 1 and stats.kept == 5
    texts = [p.text for p in kept]
    assert "New recipe on the bakery blog: how to keep a sourdough starter alive & happy for thirty years" in texts
    assert "Kevin has been sighted on the bakery roof > all hands guard the buns #KevinWatch" in texts
    assert not any("t.co" in t for t in texts)


def test_multi_part_archive_via_the_manifest_and_the_old_first_line(tmp_path) -> None:
    posts, profile = read_archive(zip_folder(FIXTURES / "x_archive_parts", tmp_path / "old.zip", top="twitter-2023/"))
    assert profile.handle == "old_dot"
    assert len(posts) == 5  # part 9 is not in the manifest
    assert [p.text.split(":")[0] for p in posts][:4] == ["Part one post number 0", "Part one post number 1",
                                                         "Part one post number 2", "Part two post number 0"]


def test_parts_without_a_manifest_are_found_by_name(tmp_path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(FIXTURES / "x_archive_parts", folder)
    (folder / "data" / "manifest.js").unlink()
    posts, _ = read_archive(zip_folder(folder, tmp_path / "nomanifest.zip"))
    assert len(posts) == 6


def test_a_bare_tweets_js(tmp_path) -> None:
    bare = tmp_path / "tweets.js"
    shutil.copy(FIXTURES / "x_archive" / "data" / "tweets.js", bare)
    fetched = fetch_posts(str(bare))
    assert len(fetched.posts) == 6 and fetched.profile.source == "archive"


def test_corrupt_and_wrong_zips_are_clear_errors(tmp_path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(SourceError, match="not a readable zip.*Download the archive again"):
        read_archive(broken)
    other = tmp_path / "photos.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("IMG_0001.jpg", b"...")
    with pytest.raises(SourceError, match="holds no data/tweets.js"):
        read_archive(other)
    damaged = tmp_path / "tweets.js"
    damaged.write_text("window.YTD.tweets.part0 = [ {\"tweet\": {\"full_text\": \"cut off")
    with pytest.raises(SourceError, match="damaged"):
        read_archive(damaged)


@pytest.mark.parametrize("declared", [True, False])
def test_a_zip_bomb_is_refused_before_it_fills_memory(tmp_path, monkeypatch, declared) -> None:
    """A few KB that unpack to far more than any account's posts: one line, nothing held."""
    import huggingtweets.sources.archive as archive_module

    monkeypatch.setattr(archive_module, "MAX_MEMBER_BYTES", 4 * 2**20)  # 4 MB here, 2 GB in use
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data/tweets.js", b"window.YTD.tweets.part0 = [" + b" " * (16 * 2**20) + b"]")
    assert bomb.stat().st_size < 100_000
    expected = r"data/tweets.js in the archive unpacks to over 4 MB.*not an X archive"
    if not declared:  # a zip that declares less than it holds: zipfile reads only what it declared
        real_getinfo = zipfile.ZipFile.getinfo

        def lying(self, name):
            info = real_getinfo(self, name)
            info.file_size = 100
            return info

        monkeypatch.setattr(zipfile.ZipFile, "getinfo", lying)
        expected = r"data/tweets.js in the archive (is damaged|unpacks to over 4 MB)"
    with pytest.raises(SourceError, match=expected):
        read_archive(bomb)


def test_a_member_whose_checksum_fails_is_one_line(tmp_path) -> None:
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(damaged, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("data/tweets.js", 'window.YTD.tweets.part0 = [{"tweet": {"full_text": "the ferry is late"}}]')
    data = damaged.read_bytes()
    at = data.index(b"the ferry")
    damaged.write_bytes(data[:at] + b"THE" + data[at + 3:])  # a flipped bit in transfer: the CRC no longer fits
    with pytest.raises(SourceError, match="data/tweets.js in the archive is damaged.*Download the archive again"):
        read_archive(damaged)


@pytest.mark.parametrize("cut", [False, True], ids=["corrupt", "cut short"])
def test_a_member_whose_compressed_stream_is_damaged_is_one_line(tmp_path, cut) -> None:
    import json
    import random

    damaged = tmp_path / "damaged.zip"
    posts = [{"tweet": {"full_text": f"post {i}: the ferry is late again", "id_str": str(i)}} for i in range(2000)]
    with zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data/tweets.js", "window.YTD.tweets.part0 = " + json.dumps(posts))
    data = bytearray(damaged.read_bytes())
    start = data.index(b"data/tweets.js") + len("data/tweets.js") + 40  # inside the deflate stream
    if cut:
        end = data.index(b"PK\x01\x02")  # the central directory: keep it, lose the stream's second half
        middle = (start + end) // 2
        data[middle:end] = bytes(end - middle)
    else:
        data[start:start + 300] = random.Random(1).randbytes(300)
    damaged.write_bytes(bytes(data))
    with pytest.raises(SourceError, match="data/tweets.js in the archive is damaged.*Download the archive again"):
        read_archive(damaged)


def test_a_member_compressed_in_an_unknown_way_is_one_line_saying_so(tmp_path) -> None:
    odd = zip_folder(FIXTURES / "x_archive", tmp_path / "odd.zip")
    data = bytearray(odd.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # compression method 99 everywhere
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset:start + offset + 2] = (99).to_bytes(2, "little")
            start += 4
    odd.write_bytes(bytes(data))
    with pytest.raises(SourceError, match="compressed in a way that can't be read.*unzip it") as caught:
        read_archive(odd)
    assert "encrypted" not in str(caught.value)


def test_an_encrypted_member_is_one_line(tmp_path) -> None:
    locked = zip_folder(FIXTURES / "x_archive", tmp_path / "locked.zip")
    data = bytearray(locked.read_bytes())
    # set the "encrypted" flag bit in every local and central header
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 1
            start += 4
    locked.write_bytes(bytes(data))
    with pytest.raises(SourceError, match="encrypted"):
        read_archive(locked)


def _parts_with_manifest(tmp_path, files) -> Path:
    import json

    folder = tmp_path / "copy"
    shutil.copytree(FIXTURES / "x_archive_parts", folder)
    (folder / "data" / "direct-messages.js").write_text(
        'window.YTD.direct_messages.part0 = [{"tweet": {"full_text": "my bank PIN is 1234, do not tell", "id_str": "9"}}]')
    (folder / "data" / "manifest.js").write_text(
        "window.__THAR_CONFIG = " + json.dumps({"dataTypes": {"tweets": {"files": files}}}))
    return zip_folder(folder, tmp_path / "parts.zip")


def test_a_manifest_naming_a_missing_part_says_the_archive_is_incomplete(tmp_path) -> None:
    archive = _parts_with_manifest(tmp_path, [{"fileName": "data/tweets-part1.js"}, {"fileName": "data/tweets-part3.js"}])
    with pytest.raises(SourceError, match="lists .*data/tweets-part3.js, which the zip does not hold"):
        read_archive(archive)


def test_a_manifest_cannot_make_direct_messages_or_odd_entries_read(tmp_path) -> None:
    archive = _parts_with_manifest(tmp_path, [{"fileName": "data/direct-messages.js"}, {"fileName": 5}, "part",
                                              {"fileName": "data/tweets-part1.js"}])
    posts, _ = read_archive(archive)
    assert len(posts) == 3 and not any("PIN" in p.text for p in posts)


def test_odd_account_and_profile_files_read_as_empty(tmp_path) -> None:
    folder = tmp_path / "odd"
    shutil.copytree(FIXTURES / "x_archive", folder)
    (folder / "data" / "profile.js").write_text('window.YTD.profile.part0 = [{"profile": {"description": "a string"}}]')
    (folder / "data" / "account.js").write_text('window.YTD.account.part0 = [{"account": "not an object"}]')
    posts, profile = read_archive(zip_folder(folder, tmp_path / "odd.zip"))
    assert posts and profile.handle == "odd" and profile.description == ""
