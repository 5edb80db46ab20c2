from __future__ import annotations

import re

import pytest
from helpers import TRUMP_CSV, make_post, needs_trump_csv

from huggingtweets.clean import (
    CleanStats,
    check_enough,
    clean_posts,
    normalise_text,
    stats_table,
)
from huggingtweets.errors import DataError
from huggingtweets.recipe import MIN_CHARS, WARN_CHARS
from huggingtweets.sources import fetch_posts


@pytest.mark.parametrize("raw, expected", [
    ("Make America Great Again!MAGAhttps://t.co/abc123", "Make America Great Again!MAGA"),
    ("Great rally tonight https://t.co/x1 and http://example.com/a?b=c", "Great rally tonight and"),
    ("Look at this pic.twitter.com/7YfZ9kjB23", "Look at this"),
    ("once and for all.pic.twitter.com/F73I5gu0Q5", "once and for all."),
    ("Read the whole story here… https://t.co/abc", "Read the whole story here"),
    ("Order yours now!  http://shop.example/x … … …", "Order yours now!"),
    ("Fish &amp; chips &lt;3 &quot;yes&quot; &eacute;", 'Fish & chips <3 "yes" é'),
    ("double &amp;amp; escaped", "double & escaped"),
    ("Cafe\u0301 au lait", "Café au lait"),
    ("line one\n\nline   two\t three", "line one line two three"),
    ("Kevin 🐦 stole my 🍞!!", "Kevin 🐦 stole my 🍞!!"),
])
def test_normalise_text(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


def test_keep_newlines_keeps_single_breaks() -> None:
    assert normalise_text("one\n\n  two  \nthree", keep_newlines=True) == "one\ntwo\nthree"


def test_mentions_can_be_dropped() -> None:
    text = ".@harbour_len thanks @marjorie, email me@example.com"
    assert normalise_text(text) == text
    assert normalise_text(text, keep_mentions=False) == "thanks , email me@example.com"


def test_each_drop_is_counted_under_its_reason() -> None:
    posts = [
        make_post("RT @ferry: All sailings cancelled today due to weather", 1),
        make_post("Native repost of something long enough to keep", 2, is_repost=True),
        make_post('"@fan: you are the best baker on the island!"', 3),  # old-style manual retweet
        make_post("lol", 4),
        make_post("@len thanks!", 5),  # under 3 words once the mention is set aside
        make_post("#KevinWatch https://t.co/x", 6),
        make_post("The ferry is late again, mark my words.", 7),
        make_post("The ferry is late again, mark my words.", 8),  # exact duplicate
        make_post("The ferry is late again,   mark my words. https://t.co/zz", 9),  # same after cleaning
        make_post("@len the bench is in the car park again.", 10, is_reply=True),
        make_post("Old Barnaby is bubbling like the harbour in a squall.", 11),
    ]
    kept, stats = clean_posts(posts, handle="dot")
    assert [p.text for p in kept] == [
        "The ferry is late again, mark my words.",
        "@len the bench is in the car park again.",
        "Old Barnaby is bubbling like the harbour in a squall.",
    ]
    assert (stats.retweets, stats.short, stats.duplicates, stats.replies, stats.kept) == (3, 3, 2, 0, 3)
    assert stats.downloaded == 11 == stats.retweets + stats.short + stats.duplicates + stats.replies + stats.kept
    assert stats.chars == sum(len(p.text) for p in kept)


def test_quoting_yourself_is_not_a_retweet() -> None:
    kept, stats = clean_posts([make_post('"@dot: as I said last year, bake more rye"', handle="dot")], handle="dot")
    assert stats.retweets == 0 and stats.kept == 1


def test_replies_dropped_only_when_asked() -> None:
    posts = [make_post("@len see you at the quay tomorrow morning", 1),
             make_post("Reply without a leading mention, but flagged", 2, is_reply=True),
             make_post("A post of my own about the weather today", 3)]
    assert clean_posts(posts, handle="dot")[1].kept == 3
    kept, stats = clean_posts(posts, handle="dot", drop_replies=True)
    assert stats.replies == 2 and [p.text for p in kept] == ["A post of my own about the weather today"]


def test_too_little_text_is_an_error_that_names_the_fix() -> None:
    with pytest.raises(DataError, match=r"only 3 posts \(5,999 characters\).*Add another handle"):
        check_enough(CleanStats(handle="dot", downloaded=3, kept=3, chars=MIN_CHARS - 1))


def test_thin_text_is_a_warning_and_plenty_is_fine() -> None:
    warning = check_enough(CleanStats(handle="dot", kept=100, chars=MIN_CHARS))
    assert warning is not None and "40,000" in warning
    assert check_enough(CleanStats(handle="dot", kept=900, chars=WARN_CHARS)) is None


def test_stats_table_has_a_column_per_person() -> None:
    people = [CleanStats("dot", downloaded=616, kept=527), CleanStats("<b>len", downloaded=90, kept=80)]
    lines = stats_table(people, style="markdown").splitlines()
    assert lines[0] == "| Data | @dot | @<b>len |"
    assert "| Posts downloaded | 616 | 90 |" in lines
    assert "| Posts kept | 527 | 80 |" in lines
    text = stats_table(people).splitlines()  # aligned for a terminal: numbers end in one column
    assert len({len(line) for line in text}) == 1 and text[-1].endswith("527       80")
    html = stats_table(people, style="html")  # a real table for the notebook's proportional font
    assert html.count("<tr>") == 1 + len(text) - 1 and "@&lt;b&gt;len" in html and "<b>len" not in html
    assert '<td style="text-align:right;padding:2px 10px">527</td>' in html


def test_sample_persona_has_the_noise_the_issue_asks_for() -> None:
    fetched = fetch_posts("sample")
    kept, stats = clean_posts(fetched.posts, handle=fetched.profile.handle)
    assert stats.downloaded >= 600
    assert 0.06 <= stats.retweets / stats.downloaded <= 0.10
    assert 0.03 <= stats.short / stats.downloaded <= 0.07
    assert stats.duplicates >= 3
    assert stats.chars >= 45_000
    texts = " ".join(p.text for p in fetched.posts)
    assert "&amp;" in texts and "https://" in texts and "#" in texts and "🍞" in texts
    assert sum(p.is_reply for p in fetched.posts) >= 20
    years = {p.created_at.year for p in fetched.posts}
    assert len(years) >= 2


@needs_trump_csv
def test_real_scraped_csv_comes_out_clean() -> None:
    fetched = fetch_posts(str(TRUMP_CSV))
    kept, stats = clean_posts(fetched.posts, handle=fetched.profile.handle)
    assert stats.downloaded == 13_091
    assert stats.downloaded == stats.retweets + stats.short + stats.duplicates + stats.replies + stats.kept
    for post in kept:
        assert "http" not in post.text and "pic.twitter.com" not in post.text and "&amp;" not in post.text
        assert not re.match(r'^["“]@\w+', post.text), post.text
    assert stats.retweets > 3_000  # the file has no native retweets: these are "@user: quotes
    again, _ = clean_posts(fetched.posts, handle=fetched.profile.handle)
    assert [p.text for p in again] == [p.text for p in kept]


def test_fast_link_stripping_says_exactly_what_the_pattern_says() -> None:
    """strip_links finds links with str.find; on thousands of tricky strings it must agree with
    the one regex that defines a link (glued, cut-off "…", case, look-alikes such as "est.co/")."""
    import random

    from huggingtweets.clean import LINK_PATTERN, strip_links

    pieces = ["http://a.b/c", "https://t.co/x1", "t.co/y", "est.co/z", "www.q.com", "_www.r", ".t.co/s",
              "pic.twitter.com/p", "HTTPS://U.RL", "Www.Up", "…", "...", " ", "  ", "\n", "\u00a0", "word",
              "MAGA", "é", "İstanbul", "#tag", "@len", "(", ")", "http", "t.co", "https:/", "www"]
    rng = random.Random(0)
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        assert strip_links(text) == LINK_PATTERN.sub(" ", text), repr(text)


def test_nul_bytes_and_escape_sequences_never_reach_training_text() -> None:
    assert normalise_text("Kevin\x00 is \x1b[31mred\x1b[0m on the roof\x07") == "Kevin is [31mred [0m on the roof"
    assert normalise_text("one\x00\ntwo", keep_newlines=True) == "one\ntwo"


@pytest.mark.parametrize("text, boring", [
    ("できるっぽい、すごいな！", False),  # Japanese: one "word" to str.split(), a whole sentence
    ("我下周必去成海边！", False),  # Chinese
    ("在职ブログもよいなぁ", False),
    ("ぬるぽ", True),  # 3 characters: ~1.5 words, as short as "Hatte Hals."
    ("@hogem 😋", True),
    ("Hatte Hals.", True),
    ("Clonflakes pfuistücken today", False),
])
def test_posts_in_scripts_without_spaces_are_counted_by_their_words(text: str, boring: bool) -> None:
    posts = [make_post(text, handle="a_know")]
    _, stats = clean_posts(posts, handle="a_know")
    assert (stats.short == 1) is boring
