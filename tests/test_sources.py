from __future__ import annotations

import json

import pytest
from helpers import TRUMP_CSV, needs_trump_csv

from huggingtweets.errors import SourceError, error_line
from huggingtweets.sources import fetch_posts, read_posts, source_kind


def test_csv_with_a_known_text_column(tmp_path) -> None:
    path = tmp_path / "dot.csv"
    path.write_text('id,created_at,full_text,username\n1,2024-03-01 10:00:00,"Hello, harbour",dot\n'
                    '2,Thu Nov 03 08:50:26 +0000 2022,Second post,dot\n', encoding="utf-8")
    posts, handle = read_posts(path)
    assert handle == "dot"
    assert [p.text for p in posts] == ["Hello, harbour", "Second post"]
    assert posts[1].created_at.year == 2022 and posts[1].created_at.utcoffset().total_seconds() == 0
    assert posts[0].id == "1"


def test_a_csv_post_longer_than_the_csv_module_s_field_limit_is_read_not_dropped(tmp_path) -> None:
    long = "word " * 40_000  # 200,000 characters: past csv's default limit of 131,072
    path = tmp_path / "long.csv"
    path.write_text(f'text\nfirst post\n"{long}"\nlast post\n', encoding="utf-8")
    posts, _ = read_posts(path)
    assert [len(p.text) for p in posts] == [10, len(long), 9]


@pytest.mark.parametrize("name, body", [
    ("posts.json", json.dumps([{"content": "one two three"}, {"content": "four five six"}])),
    ("posts.json", json.dumps({"meta": {}, "posts": [{"text": "one two three"}, {"text": "four five six"}]})),
    ("posts.jsonl", '{"rawContent": "one two three"}\n{"rawContent": "four five six"}\n'),
    ("posts.txt", "one two three\n\nfour five six\n"),
])
def test_json_jsonl_and_text_files(tmp_path, name, body) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    posts, handle = read_posts(path)
    assert [p.text for p in posts] == ["one two three", "four five six"]
    assert handle == "posts"  # no author column: the file's name


def test_a_jsonl_post_holding_a_line_separator_is_one_post(tmp_path) -> None:
    # JSON strings may hold U+2028 raw (json.dumps(ensure_ascii=False) writes it so): it is no line end
    rows = [{"text": "first line\u2028still the first post"}, {"text": "the second post"}]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    posts, _ = read_posts(path)
    assert [p.text for p in posts] == ["first line\u2028still the first post", "the second post"]


def test_unknown_columns_are_listed_with_the_flag_to_pick_one(tmp_path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("when,words\n2024-01-01,hello there friend\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"columns are 'when', 'words'.*text_column=") as caught:
        read_posts(path)  # a Python caller reads the parameter; the CLI, its flag
    assert error_line(caught.value).endswith("Name the one holding the posts with --text-column.")
    posts, _ = read_posts(path, text_column="words")
    assert posts[0].text == "hello there friend" and posts[0].created_at is None


def test_a_column_named_as_the_error_lists_it_is_found(tmp_path) -> None:
    # a header typed "id, text" leaves a space before the name; the listed name, typed back, must work
    path = tmp_path / "spaced.csv"
    path.write_text("id, words\n1, hello there friend\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"columns are 'id', ' words'"):
        read_posts(path)
    assert [p.text.strip() for p in read_posts(path, text_column="words")[0]] == ["hello there friend"]
    path.write_text("id, text\n1, found by name\n", encoding="utf-8")
    assert [p.text.strip() for p in read_posts(path)[0]] == ["found by name"]


def test_a_text_column_without_text_names_the_other_columns(tmp_path) -> None:
    # every row's columns count (the first row of a JSON file may lack the text), and a column of
    # objects is not text: the error lists where else to look instead of failing the same way again
    path = tmp_path / "nested.json"
    path.write_text(json.dumps([{"id": 1}, {"id": 2, "tweet": {"full_text": "hi"}, "body_text": "hello there"}]))
    with pytest.raises(SourceError, match=r"column 'tweet' holds no text \(its values are empty and objects\); "
                                          r"its other columns are 'id', 'body_text'.*text_column="):
        read_posts(path)
    assert [p.text for p in read_posts(path, text_column="body_text")[0]] == ["hello there"]


def test_non_utf8_file_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("text\ncaf\xe9 au lait\n".encode("latin-1"))
    with pytest.raises(SourceError, match=r"not UTF-8.*0xe9.*Save it again as UTF-8"):
        read_posts(path)


def test_missing_and_unknown_files(tmp_path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        fetch_posts(str(tmp_path / "nope.csv"))
    (tmp_path / "x.docx").write_text("hi")
    with pytest.raises(SourceError, match="unknown file type '.docx'"):
        fetch_posts(str(tmp_path / "x.docx"))


@pytest.mark.parametrize("spec, kind", [
    ("sample", "sample"), ("@user@mastodon.social", "mastodon"), ("name.bsky.social", "bluesky"),
    ("@jack", "x"), ("jack", "x"), ("tweets.csv", "file"), ("twitter-2024.zip", "archive"), ("data/tweets.js", "archive"),
])
def test_source_kind_by_shape(spec, kind) -> None:
    assert source_kind(spec) == kind


def test_sample_persona_is_packaged() -> None:
    fetched = fetch_posts("sample")
    assert fetched.profile.handle == "gullhaven_dot" and fetched.profile.display_name == "Dot Pemberton"
    assert len(fetched.posts) >= 600
    assert all(p.source == "sample" and p.created_at is not None for p in fetched.posts)


@needs_trump_csv
def test_real_scraped_csv_with_a_truncated_last_row() -> None:
    fetched = fetch_posts(str(TRUMP_CSV))
    assert len(fetched.posts) == 13_091
    assert all(p.created_at is not None for p in fetched.posts)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e300, -1e300, 10**30, True,
                                   "Thu Feb 31 08:50:26 +0000 2022", "Thu Nov 03 08:50:26 +9999 2022",
                                   "2024-02-31T10:00:00Z", "2024-01-01T10:00:00+99:00", "yesterday", "9" * 5000])
def test_a_date_that_cannot_be_is_no_date(value) -> None:
    from huggingtweets.sources.files import parse_time

    assert parse_time(value) is None


def test_a_file_with_impossible_dates_still_reads(tmp_path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text("text,created_at\n" + "".join(
        f"post number {i} about the ferry and the gulls,{d}\n"
        for i, d in enumerate(["nan", "Thu Feb 31 08:50:26 +0000 2022", "2024-01-01T10:00:00+99:00", "1e300"])))
    fetched = fetch_posts(str(path))
    assert len(fetched.posts) == 4 and all(p.created_at is None for p in fetched.posts)


def test_max_posts_keeps_each_person_s_newest_posts_from_any_source(tmp_path) -> None:
    csv = tmp_path / "dot.csv"  # oldest first, as many exports are
    csv.write_text("text,created_at\n" + "".join(f"post {i} about the tide,2025-01-{i:02d}T10:00:00Z\n"
                                                  for i in range(1, 21)))
    assert len(fetch_posts(str(csv)).posts) == 20  # a file's every post by default
    newest = fetch_posts(str(csv), max_posts=5).posts
    assert [p.text for p in newest] == [f"post {i} about the tide" for i in range(16, 21)]  # in the file's order
    undated = tmp_path / "notes.txt"
    undated.write_text("\n".join(f"note number {i} from the harbour" for i in range(10)))
    assert [p.text for p in fetch_posts(str(undated), max_posts=3).posts] == [
        f"note number {i} from the harbour" for i in range(3)]  # no dates: the first N, as the file holds them
    sample = fetch_posts("sample", max_posts=40).posts
    every = fetch_posts("sample").posts
    assert len(sample) == 40 and min(p.created_at for p in sample) >= sorted(p.created_at for p in every)[-40]


@pytest.mark.parametrize("name, body", [
    ("posts.json", '[{"text": "hi \\ud800 there, a post long enough"}, {"text": "\\udfff alone at the start"}]'),
    ("posts.jsonl", '{"text": "hi \\ud800 there, a post long enough"}\n{"text": "a whole post \\ud83d\\ude00"}\n'),
])
def test_a_lone_surrogate_in_a_json_post_becomes_a_replacement_character(tmp_path, name, body) -> None:
    from huggingtweets._io import write_jsonl

    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    posts, _ = read_posts(path)
    assert "hi \ufffd there" in posts[0].text
    assert not any("\ud800" <= c <= "\udfff" for p in posts for c in p.text)
    assert posts[1].text.endswith("😀") or posts[1].text.startswith("\ufffd")  # a whole pair stays a character
    write_jsonl(tmp_path / "raw.jsonl", (p.to_dict() for p in posts))  # raw/ can hold them


def test_blank_lines_in_a_jsonl_are_skipped_as_they_come_and_errors_name_the_right_line(tmp_path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text('{"text": "first post"}\n' + "\n" * 2_000_000 + '{"text": "second post"}\n{broken\n')
    with pytest.raises(SourceError, match="posts.jsonl is not valid JSON .* at line 2000003"):
        read_posts(path)
    path.write_text('{"text": "first post"}\n' + "\n" * 2_000_000 + '{"text": "second post"}\n')
    assert [p.text for p in read_posts(path)[0]] == ["first post", "second post"]


def test_a_text_file_splits_at_every_line_break_a_text_editor_knows(tmp_path) -> None:
    path = tmp_path / "posts.txt"
    path.write_text("one post\r\nanother\rthird\u2028fourth\n\n\nfifth\n", encoding="utf-8", newline="")
    assert [p.text for p in read_posts(path)[0]] == ["one post", "another", "third", "fourth", "fifth"]


def test_a_file_bigger_than_any_person_s_posts_is_refused_before_it_is_read(tmp_path) -> None:
    path = tmp_path / "posts.csv"
    with path.open("wb") as f:  # sparse: 3 GB that take no disk
        f.truncate(3 * 2**30)
    with pytest.raises(SourceError, match=r"posts.csv is 3.0 GB, more than any person's posts fill \(at most 2 GB"):
        read_posts(path)
