"""Posts from an X/Twitter account archive ("Download an archive of your data").

Reads the zip (or a bare `tweets.js`): the tweet files the manifest lists (`data/tweets.js`,
older `data/tweet.js`, big archives' `data/tweets-part1.js`, ...), the full text of long posts
from `data/note-tweet.js`, and only the name and avatar from `account.js` / `profile.js`.
Direct messages, the e-mail address and everything else private are never opened:

    posts, profile = read_archive(Path("twitter-2024-05-01.zip"))
"""

from __future__ import annotations

import html
import re
import zipfile
import zlib
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import msgspec

from ..errors import SourceError
from ..post import Post, Profile
from .files import parse_time

# The only files read: tweets, long-post texts, and the name/avatar for the model card.
_TWEET_FILE = re.compile(r"^(?:.*/)?data/tweets?(?:-part\d+)?\.js$")
_ASSIGNMENT = re.compile(r"^\s*window\.[\w.$]+\s*=\s*", re.ASCII)


# The largest file read from an archive. X's own archives hold about 1 KB per post in tweets.js,
# split into parts of at most ~1 GB; a part past this is a zip bomb, not posts.
MAX_MEMBER_BYTES = 2 * 2**30


def read_archive(path: Path) -> tuple[list[Post], Profile]:
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"no such file: {path}. Check the path to the archive zip or tweets.js")
    if path.suffix.lower() == ".js":  # a bare tweets.js, taken out of the zip
        tweets = _tweets(path.read_bytes(), path.name)
        handle = path.parent.parent.name if path.parent.name == "data" else path.stem
        return _to_posts(tweets, {}, handle), Profile(handle=handle, display_name=handle, source="archive")
    try:
        with zipfile.ZipFile(path) as zf:
            return _read_zip(zf, path.name)
    except zipfile.BadZipFile as e:
        raise SourceError(
            f"{path.name} is not a readable zip ({e}). Download the archive again from X "
            "(Settings → Your account → Download an archive of your data)"
        ) from e


def _read_zip(zf: zipfile.ZipFile, name: str) -> tuple[list[Post], Profile]:
    names = zf.namelist()
    root = _data_root(names)
    tweet_files = _manifest_tweet_files(zf, root) or sorted(n for n in names if _TWEET_FILE.match(n))
    if not tweet_files:
        raise SourceError(
            f"{name} holds no data/tweets.js. Pass the zip X sent you, not another export"
        )
    tweets = [item for file in tweet_files for item in _tweets(_read(zf, file), file)]
    notes = _notes(zf, root + "data/note-tweet.js") if root + "data/note-tweet.js" in names else {}
    account = _first(zf, root + "data/account.js", "account")
    profile_data = _first(zf, root + "data/profile.js", "profile")
    handle = str(account.get("username") or PurePosixPath(name).stem)
    avatar = profile_data.get("avatarMediaUrl")
    profile = Profile(
        handle=handle,
        display_name=str(account.get("accountDisplayName") or handle),
        source="archive",
        avatar_url=avatar if isinstance(avatar, str) and avatar.startswith("http") else None,
        description=str(_get(profile_data, "description").get("bio") or ""),
    )
    return _to_posts(tweets, notes, handle), profile


def _data_root(names: list[str]) -> str:
    """Archives unzip to `data/...`; some re-zipped ones add a top folder."""
    for n in names:
        if n.endswith("data/manifest.js") or _TWEET_FILE.match(n):
            return n[: n.index("data/")]
    return ""


def _manifest_tweet_files(zf: zipfile.ZipFile, root: str) -> list[str]:
    try:
        manifest = _parse_js(_read(zf, root + "data/manifest.js"), "manifest.js")
    except KeyError:
        return []
    tweets = _get(_get(manifest, "dataTypes"), "tweets")
    files = tweets.get("files")
    files = files if isinstance(files, list) else []
    listed = [root + f["fileName"].lstrip("./") for f in files
              if isinstance(f, dict) and isinstance(f.get("fileName"), str)]
    listed = [f for f in listed if _TWEET_FILE.match(f)]  # never direct messages, whatever a manifest says
    names = set(zf.namelist())
    missing = [f for f in listed if f not in names]
    if missing:
        raise SourceError(f"the archive's manifest lists {', '.join(missing)}, which the zip does not hold: "
                          "it is incomplete. Download the archive again, all of its parts in one zip")
    return listed


def _get(value: Any, key: str) -> dict[str, Any]:
    """``value[key]`` when both are objects, else an empty one: odd manifests and profiles read as empty."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _read(zf: zipfile.ZipFile, member: str, limit: int | None = None) -> bytes:
    """One member's bytes, read in chunks and refused past ``limit`` (MAX_MEMBER_BYTES): the size
    a zip declares is checked first, and the bytes that actually come out while reading, as a
    crafted zip can declare less than it holds."""
    limit = MAX_MEMBER_BYTES if limit is None else limit
    info = zf.getinfo(member)
    if info.file_size > limit:
        raise _too_big(member, info.file_size, limit)
    chunks, size = [], 0
    try:
        with zf.open(info) as stream:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise _too_big(member, size, limit)
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:  # a bad CRC, a corrupt or cut-short compressed stream
        raise SourceError(f"{member} in the archive is damaged ({e}). Download the archive again") from e
    except NotImplementedError as e:  # a compression method zipfile can't read (a RuntimeError: first)
        raise SourceError(f"{member} in the archive is compressed in a way that can't be read ({e}). "
                          "Pass the archive as X sent it, or unzip it and pass data/tweets.js") from e
    except RuntimeError as e:  # an encrypted member
        raise SourceError(f"{member} in the archive is encrypted ({e}). Pass the archive as X sent it") from e
    return b"".join(chunks)


def _too_big(member: str, size: int, limit: int) -> SourceError:
    return SourceError(f"{member} in the archive unpacks to over {limit // 2**20:,} MB ({size // 2**20:,} MB or more), "
                       "more than any account's posts: this is not an X archive. Pass the zip X sent you")


class _Url(msgspec.Struct):
    expanded_url: str | None = None


class _Entities(msgspec.Struct):
    urls: list[_Url] = []


class _Tweet(msgspec.Struct):
    """The fields of an archive tweet that we use; the decoder skips the rest unread."""

    full_text: str | None = None
    text: str | None = None
    id_str: str | None = None
    id: str | int | None = None
    created_at: str | None = None
    in_reply_to_status_id_str: str | None = None
    in_reply_to_screen_name: str | None = None
    entities: _Entities | None = None


class _Item(msgspec.Struct):
    tweet: _Tweet


_TWEETS = msgspec.json.Decoder(list[_Item])


def _tweets(data: bytes, name: str) -> list[_Tweet]:
    """Tweet files, decoded into just the fields we use (faster than whole objects: benchmarks/)."""
    try:
        return [item.tweet for item in _TWEETS.decode(_js_body(data, name))]
    except msgspec.ValidationError:  # an unusual shape: decode it whole, keep what fits
        return [_loose(d) for d in _items(data, name, "tweet")]
    except msgspec.DecodeError as e:
        raise SourceError(f"{name} in the archive is damaged ({e}). Download the archive again") from e


def _loose(d: dict[str, Any]) -> _Tweet:
    """A tweet whose fields have unexpected types, made a `_Tweet` field by field."""
    def text(key: str) -> str | None:
        value = d.get(key)
        return str(value) if isinstance(value, (str, int)) else None

    entities = d.get("entities")
    entities = entities if isinstance(entities, dict) else {}
    urls = [_Url(u["expanded_url"]) for u in entities.get("urls") or ()
            if isinstance(u, dict) and isinstance(u.get("expanded_url"), str)]
    return _Tweet(full_text=text("full_text"), text=text("text"), id_str=text("id_str"), id=text("id"),
                  created_at=text("created_at"), in_reply_to_status_id_str=text("in_reply_to_status_id_str"),
                  in_reply_to_screen_name=text("in_reply_to_screen_name"), entities=_Entities(urls))


def _js_body(data: bytes, name: str) -> bytes:
    """The JSON after `window.YTD.tweets.part0 = ` (or `= [ {` on the first line)."""
    head = data[:200].decode("utf-8-sig", errors="replace")
    match = _ASSIGNMENT.match(head)
    if not match:
        raise SourceError(f"{name} does not start with `window.YTD...= `. Pass the files of an X archive")
    body = data[len(head[: match.end()].encode("utf-8")) + (3 if data.startswith(b"\xef\xbb\xbf") else 0):]
    return body.rstrip().rstrip(b";")


def _parse_js(data: bytes, name: str) -> Any:
    try:
        return msgspec.json.decode(_js_body(data, name))
    except msgspec.DecodeError as e:
        raise SourceError(f"{name} in the archive is damaged ({e}). Download the archive again") from e


def _items(data: bytes, name: str, key: str) -> list[dict[str, Any]]:
    value = _parse_js(data, name)
    if not isinstance(value, list):
        raise SourceError(f"{name} holds no list. Pass the files of an X archive")
    return [item.get(key, item) for item in value if isinstance(item, dict)]


def _first(zf: zipfile.ZipFile, member: str, key: str) -> dict[str, Any]:
    try:
        items = _items(_read(zf, member), member, key)
    except KeyError:
        return {}
    return items[0] if items and isinstance(items[0], dict) else {}


def _notes(zf: zipfile.ZipFile, member: str) -> dict[datetime, str]:
    """Long posts' full text by creation time (note ids don't match tweet ids in exports)."""
    notes: dict[datetime, str] = {}
    for note in _items(_read(zf, member), member, "noteTweet"):
        text = ((note.get("core") or {}).get("text"))
        created = parse_time(note.get("createdAt"))
        if isinstance(text, str) and created is not None:
            notes[created.replace(microsecond=0)] = text
    return notes


def _to_posts(tweets: list[_Tweet], notes: dict[datetime, str], handle: str) -> list[Post]:
    posts: list[Post] = []
    me = handle.lower()
    for tweet in tweets:
        text = tweet.full_text or tweet.text
        if text is None:
            continue
        created = parse_time(tweet.created_at)
        if notes and created is not None:
            note = notes.get(created)
            if note and _same_start(note, text):
                text = note  # the tweet's copy is cut at 280 characters
        urls = tuple(u.expanded_url for u in tweet.entities.urls if u.expanded_url) if tweet.entities else ()
        reply_to = (tweet.in_reply_to_screen_name or "").lower()
        posts.append(Post(
            str(tweet.id_str or tweet.id or len(posts)), handle, text, "archive", created,
            text.startswith("RT @"),  # is_repost: `retweeted` is always false in archives
            # is_reply: a reply to oneself continues a thread, the person's own voice
            bool(tweet.in_reply_to_status_id_str or reply_to) and reply_to != me,
            urls,
        ))
    return posts


def _same_start(note: str, text: str) -> bool:
    """Is ``text`` (the cut copy: HTML-escaped, ending in "…" and a link) the start of ``note``?"""
    def flat(s: str) -> str:
        return re.sub(r"\s+", " ", html.unescape(s)).strip()

    head = flat(text.split("https://t.co/")[0]).rstrip("…").strip()[:50]
    return bool(head) and flat(note).startswith(head)
