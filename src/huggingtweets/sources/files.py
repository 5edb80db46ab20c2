"""Posts from a file someone exported: CSV/TSV, JSON, JSONL or plain text.

The text column is found by name (`text`, `full_text`, `content`, `rawContent`, ...);
date, id, author, reply and repost columns are used when present:

    posts, handle = read_posts(Path("tweets.csv"))
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..errors import SourceError, cause
from ..post import Post

SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".txt")

# Column names seen in exports from X, snscrape, twscrape, Mastodon, Bluesky and
# spreadsheet tools, in order of preference; matched case-insensitively.
TEXT_COLUMNS = ("full_text", "text", "rawcontent", "content", "tweet", "body", "post", "message")
DATE_COLUMNS = ("created_at", "createdat", "date", "datetime", "timestamp", "time", "indexedat")
ID_COLUMNS = ("id_str", "id", "tweet id", "tweet_id", "post_id", "uri")
AUTHOR_COLUMNS = ("handle", "screen_name", "username", "user", "author", "acct")
REPLY_COLUMNS = ("in_reply_to_screen_name", "in_reply_to_status_id_str", "in_reply_to_status_id",
                 "in_reply_to_id", "inreplytotweetid", "is_reply", "reply_to")
REPOST_COLUMNS = ("is_retweet", "is_repost", "retweeted", "isretweet", "reblog")

# X's own: "Thu Nov 03 08:50:26 +0000 2022" (parsed by hand: strptime is slow on large archives)
_X_TIME = re.compile(r"\w{3} (\w{3}) (\d\d) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d) (\d{4})")
_MONTHS = {m: n for n, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
NAME_THE_COLUMN: dict[str, Any] = {
    "fix": "Name the one holding the posts with --text-column",
    "notebook_fix": "Rename the one holding the posts to `text` and upload the file again",
    "library_fix": "Name the one holding the posts with text_column=",
}


def read_posts(
    path: Path, *, source: str = "file", text_column: str | None = None, handle: str | None = None
) -> tuple[list[Post], str]:
    """Read every post in ``path``; return them and the author's handle: ``handle`` if given, else
    the file's author column, else the file's name (`names_author` says which)."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"no such file: {path}", fix="Check the path, or run `huggingtweets demo` to try the sample",
                          notebook_fix="Check the path, or upload the file, or type `sample` to try the demo")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SourceError(
            f"can't read {path.name}: unknown file type '{suffix}'. "
            f"Use one of {', '.join(SUFFIXES)}"
        )
    text = _read_text(path)
    if suffix == ".txt":
        # the lines str.splitlines() would give, found one at a time (empty ones never made)
        rows: list[dict[str, Any]] = [{"text": m.group()} for m in _TEXT_LINE.finditer(text) if m.group().strip()]
    elif suffix in (".csv", ".tsv"):
        rows = _csv_rows(text, sep="\t" if suffix == ".tsv" else ",", name=path.name)
    elif suffix == ".json":
        rows = _json_rows(_load_json(text, path.name), path.name)
    else:
        # JSON Lines end at "\n" only: a JSON string may hold U+2028 and other characters that
        # str.splitlines() would split a row at
        rows = [_as_row(_load_json(line, path.name, n)) for n, line in _lines(text) if line.strip()]
    if not rows:
        raise SourceError(f"{path.name} holds no posts. Check that it is the right file")
    columns = list(dict.fromkeys(key for row in rows for key in row))  # rows of a JSON file may differ
    text_key = _pick(columns, (text_column,) if text_column else TEXT_COLUMNS)
    if text_key is None:
        picked = f"no column '{text_column}'" if text_column else "no text column"
        raise SourceError(f"{path.name} has {picked}; its columns are {_listed(columns)}", **NAME_THE_COLUMN)
    if not any(isinstance(row.get(text_key), str) and row[text_key].strip() for row in rows):
        others = [c for c in columns if c != text_key]
        raise SourceError(
            f"{path.name}'s column '{text_key}' holds no text ({_kinds(row.get(text_key) for row in rows)}); "
            f"its other columns are {_listed(others) or 'none'}", **NAME_THE_COLUMN
        )
    handle = (handle or "").lstrip("@") or _handle(rows, columns) or path.stem
    return _to_posts(rows, columns, text_key, handle, source, path.name), handle


_JSONL_LINE = re.compile("[^\n]+")
_TEXT_LINE = re.compile("[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(number, line) of each line of ``text`` that isn't empty, split at "\n" and found one at a
    time: a list of every line first would take 8 bytes a line, 4 GB for a file of 512 million
    empty lines, which are skipped here as one stretch."""
    number, last = 1, 0
    for match in _JSONL_LINE.finditer(text):
        number += text.count("\n", last, match.start())
        last = match.start()
        yield number, match.group()


MAX_FILE_BYTES = 2 * 2**30  # ten times the posts of the most prolific account in a file of posts


def _read_text(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SourceError(f"{path.name} is {size / 2**30:.1f} GB, more than any person's posts fill "
                          f"(at most {MAX_FILE_BYTES // 2**30} GB is read). Check that it is a file of posts, or "
                          "split it and pass the newest part")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")  # -sig: spreadsheet tools often prepend a BOM
    except UnicodeDecodeError as e:
        raise SourceError(
            f"{path.name} is not UTF-8 text (byte 0x{data[e.start]:02x} at position {e.start}). "
            "Save it again as UTF-8 (in a spreadsheet: 'CSV UTF-8')"
        ) from e


def _csv_rows(text: str, sep: str, name: str) -> list[dict[str, Any]]:
    import pandas as pd

    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text)))  # a post as long as the file is read, not skipped as a bad line
    try:
        # The python engine skips a truncated last row (common in scraped CSVs)
        # where the C engine gives up on the whole file.
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            engine="python", on_bad_lines="skip")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as e:
        raise SourceError(f"can't read {name} as CSV ({e}). Check that it is a CSV export") from e
    finally:
        csv.field_size_limit(limit)
    return frame.to_dict("records")


def _load_json(text: str, name: str, line: int | None = None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        where = f"line {line}" if line else f"line {e.lineno}"
        raise SourceError(f"{name} is not valid JSON ({e.msg} at {where}). Check the export") from e
    except (RecursionError, ValueError) as e:  # nested past Python's stack, or a number of thousands of digits
        where = f" (line {line})" if line else ""
        raise SourceError(f"{name}{where} is JSON no export writes ({type(e).__name__}: {cause(e)}). "
                          "Check the export") from e


def _json_rows(data: Any, name: str) -> list[dict[str, Any]]:
    if isinstance(data, dict):  # {"posts": [...]}, {"data": [...]}, {"feed": [...]}, ...
        lists = [v for v in data.values() if isinstance(v, list)]
        if not lists:
            raise SourceError(f"{name} holds no list of posts. Pass a JSON array of posts")
        data = max(lists, key=len)
    if not isinstance(data, list):
        raise SourceError(f"{name} holds no list of posts. Pass a JSON array of posts")
    return [_as_row(item) for item in data]


def _as_row(item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return {"text": item}
    if isinstance(item, dict):
        # Archive-style {"tweet": {...}} and Bluesky-style {"post": {"record": {...}}} wrappers.
        for key in ("tweet", "post", "status"):
            if isinstance(item.get(key), dict) and len(item) <= 2:
                return item[key]
        return item
    return {"text": str(item)}


def _pick(columns: Iterable[Any], wanted: Iterable[str | None]) -> Any | None:
    """The first of ``wanted`` among ``columns``, ignoring case and the spaces that a
    header like `id, text` leaves around names."""
    by_name = {str(c).strip().lower(): c for c in reversed(list(columns))}
    for name in wanted:
        if name is not None and name.strip().lower() in by_name:
            return by_name[name.strip().lower()]
    return None


def _listed(columns: list[Any]) -> str:
    """Column names as a user would type them, quoted so stray spaces show."""
    return ", ".join(f"'{c}'" for c in columns[:30]) + (f" and {len(columns) - 30} more" if len(columns) > 30 else "")


def _kinds(values: Iterable[Any]) -> str:
    names = {type(None): "empty", str: "empty", dict: "objects", list: "lists", bool: "true/false",
             int: "numbers", float: "numbers"}
    return "its values are " + " and ".join(sorted({names.get(type(v), type(v).__name__) for v in values}))


def _handle(rows: list[dict[str, Any]], columns: list[Any]) -> str | None:
    key = _pick(columns, AUTHOR_COLUMNS)
    if key is None:
        return None
    names = Counter(str(r.get(key) or "").lstrip("@") for r in rows)
    names.pop("", None)
    return names.most_common(1)[0][0] if names else None


def _to_posts(
    rows: list[dict[str, Any]], columns: list[Any], text_key: Any, handle: str, source: str, name: str
) -> list[Post]:
    date_key = _pick(columns, DATE_COLUMNS)
    id_key = _pick(columns, ID_COLUMNS)
    reply_key = _pick(columns, REPLY_COLUMNS)
    repost_key = _pick(columns, REPOST_COLUMNS)
    posts = []
    for n, row in enumerate(rows):
        text = row.get(text_key)
        if not isinstance(text, str) or not text.strip():
            continue
        posts.append(Post(
            id=str(row.get(id_key) or n) if id_key is not None else f"{name}:{n}",
            handle=handle,
            text=text,
            source=source,
            created_at=parse_time(row.get(date_key)) if date_key is not None else None,
            is_repost=_truthy(row.get(repost_key)) if repost_key is not None else False,
            is_reply=_truthy(row.get(reply_key)) if reply_key is not None else False,
        ))
    return posts


def parse_time(value: Any) -> datetime | None:
    """ISO 8601, X's `Thu Nov 03 08:50:26 +0000 2022`, or epoch seconds; naive means UTC. A date
    that can't be (NaN, beyond the year 9999, 31 February, a 99-hour offset) is no date: None."""
    try:
        return _parse_time(value)
    except (ValueError, OverflowError, OSError, TypeError):
        return None


def _parse_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    text = str(value).strip()
    if len(text) == 30 and text[25] == " " and text[20:25] == "+0000" and text[4:7] in _MONTHS:
        try:  # X's own format, always UTC in archives: sliced, faster than the regex below
            return datetime(int(text[26:]), _MONTHS[text[4:7]], int(text[8:10]), int(text[11:13]),
                            int(text[14:16]), int(text[17:19]), tzinfo=timezone.utc)
        except ValueError:
            pass
    x = _X_TIME.fullmatch(text)
    if x and x.group(1) in _MONTHS:
        mon, day, hh, mm, ss, sign, oh, om, year = x.groups()
        offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
        return datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=timezone(offset))
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "none", "null", "nan")
    return bool(value)
