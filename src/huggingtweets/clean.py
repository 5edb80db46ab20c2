"""Cleaning: normalise each post's text and drop what would teach the model the wrong voice.

Every dropped post is counted under its reason, so the stats table adds up
(downloaded = retweets + short + duplicates + replies + kept):

    kept, stats = clean_posts(posts, handle="gullhaven_dot")
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import asdict, dataclass

from .errors import DataError
from .post import Post
from .recipe import MIN_CHARS, WARN_CHARS

# A link anywhere, glued to the word before it too ("MAGAhttps://t.co/x" leaves "MAGA"),
# with the "…" that X puts before the link of a cut-off text (scrapers put it after).
# `strip_links` finds the starts with str.find; this regex says the same thing (the tests
# hold them equal) but costs more: it tries its alternatives at every character.
LINK_PATTERN = re.compile(
    r"(?:…\s*)?(?:https?://|pic\.twitter\.com/|(?<![\w.])(?:t\.co/|www\.))\S*(?:\s*…)*", re.IGNORECASE
)
_LINK_STARTS = ("http://", "https://", "pic.twitter.com/", "t.co/", "www.")
_LINK_TAIL = re.compile(r"\S*(?:\s*…)*")  # the rest of a link, and "…" after it
_RETWEET = re.compile(r"^\s*RT\s+@\w+")
# Old-style manual retweet: "@user: their words" pasted inside quotes (the colon is optional).
_QUOTE_RETWEET = re.compile(r'^\s*["“]\s*@(\w+)')
_MENTION = re.compile(r"(?<![\w@])\.?@\w+")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")


@dataclass
class CleanStats:
    handle: str
    downloaded: int = 0
    retweets: int = 0
    short: int = 0
    duplicates: int = 0
    replies: int = 0
    kept: int = 0
    chars: int = 0  # characters of kept text, not tokens

    def to_dict(self) -> dict[str, int | str]:
        return asdict(self)


# Control characters other than tab and line breaks: a NUL or an escape sequence in a post is
# never part of how a person writes (and a terminal would act on it when the bot prints it).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")


def normalise_text(text: str, *, keep_newlines: bool = False, keep_mentions: bool = True) -> str:
    """Entities decoded, NFC, links gone, control characters (NUL, escape sequences) gone,
    whitespace collapsed."""
    if _CONTROL.search(text):
        text = _CONTROL.sub(" ", text)
    for _ in range(2):  # scraped text is sometimes escaped twice ("&amp;amp;")
        if "&" not in text:
            break
        text = html.unescape(text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = strip_links(text)
    if not keep_mentions:
        text = _MENTION.sub(" ", text)
    if not keep_newlines:  # str.split() splits on every Unicode space and line break
        return " ".join(text.replace("\u200b", " ").split())
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def strip_links(text: str) -> str:
    """Every link (and the "…" around it) replaced by a space; `LINK_PATTERN.sub(" ", text)`."""
    lowered = text.lower()
    if "http" not in lowered and "t.co/" not in lowered and "www." not in lowered and "pic.twitter" not in lowered:
        return text  # most posts: no link at all
    if len(lowered) != len(text):  # a few characters change length when lowered: take the slow road
        return LINK_PATTERN.sub(" ", text)
    parts: list[str] = []
    pos = 0
    while (start := _next_link(lowered, pos)) >= 0:
        lead = start
        while lead > pos and text[lead - 1].isspace():
            lead -= 1
        lead = lead - 1 if lead > pos and text[lead - 1] == "…" else start
        end = _LINK_TAIL.match(text, start).end()  # type: ignore[union-attr]
        parts += (text[pos:lead], " ")
        pos = end
    return "".join(parts) + text[pos:] if parts else text


def _next_link(lowered: str, pos: int) -> int:
    """Where the next link starts at or after ``pos``, or -1."""
    best = -1
    for marker in _LINK_STARTS:
        at = lowered.find(marker, pos)
        # "t.co/" and "www." only start a link at a word's start ("est.co/" is no link)
        while at > 0 and marker[0] in "tw" and (lowered[at - 1].isalnum() or lowered[at - 1] in "_."):
            at = lowered.find(marker, at + 1)
        if at >= 0 and (best < 0 or at < best):
            best = at
    return best


def is_retweet(post: Post) -> bool:
    if post.is_repost or _RETWEET.match(post.text):
        return True
    quoted = _QUOTE_RETWEET.match(html.unescape(post.text))
    return quoted is not None and quoted.group(1).lower() != post.handle.lower()


def is_reply(post: Post) -> bool:
    return post.is_reply or post.text.lstrip().startswith("@")


# Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar): there a
# "word" of text.split() is a whole sentence, so words are counted as ~2 of their characters each.
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def is_boring(text: str) -> bool:
    """Fewer than 3 words that carry none of http, @, # (the original's rule); in scripts written
    without spaces, every 2 characters count as a word ("今日は良い天気" is 3.5 words, "ぬるぽ" 1.5)."""
    words = 0.0
    for word in text.split():
        if "@" not in word and "#" not in word and "http" not in word.lower():
            unspaced = len(_UNSPACED.findall(word))
            words += unspaced / 2 if unspaced > 1 else 1
            if words >= 3:
                return False
    return True


def clean_posts(
    posts: list[Post],
    *,
    handle: str,
    keep_newlines: bool = False,
    drop_replies: bool = False,
    keep_mentions: bool = True,
) -> tuple[list[Post], CleanStats]:
    """Normalise and filter one person's posts; return the kept ones and why the rest went."""
    stats = CleanStats(handle=handle, downloaded=len(posts))
    seen: set[str] = set()
    kept: list[Post] = []
    for post in posts:
        if is_retweet(post):
            stats.retweets += 1
            continue
        if drop_replies and is_reply(post):
            stats.replies += 1
            continue
        text = normalise_text(post.text, keep_newlines=keep_newlines, keep_mentions=keep_mentions)
        # Judged on the text as the person wrote it: a reply's "@len" is not a word.
        plain = text if keep_mentions else normalise_text(post.text, keep_newlines=keep_newlines)
        if is_boring(plain):
            stats.short += 1
            continue
        if text in seen:
            stats.duplicates += 1
            continue
        seen.add(text)
        kept.append(Post(post.id, post.handle, text, post.source, post.created_at,  # not replace(): cheaper per post
                         post.is_repost, post.is_reply, post.urls))
    stats.kept = len(kept)
    stats.chars = sum(len(p.text) for p in kept)
    return kept, stats


def check_enough(stats: CleanStats) -> str | None:
    """Raise if a person has too little text to learn from; return a warning if it is thin."""
    if stats.chars < MIN_CHARS:
        raise DataError(
            f"only {stats.kept} posts ({stats.chars:,} characters) of @{stats.handle} are left after "
            f"cleaning, and at least {MIN_CHARS:,} characters are needed",
            fix="Add another handle, keep replies (don't pass --drop-replies), or use the X archive for the full history",
            notebook_fix="Add another person, or upload the X archive for the full history")
    if stats.chars < WARN_CHARS:
        return (
            f"@{stats.handle} has only {stats.chars:,} characters of posts (under {WARN_CHARS:,}): "
            "the bot may repeat itself. More posts, such as the full X archive, give better results"
        )
    return None


_TABLE_ROWS = (
    ("Posts downloaded", "downloaded"),
    ("Retweets", "retweets"),
    ("Short posts", "short"),
    ("Duplicates", "duplicates"),
    ("Replies dropped", "replies"),
    ("Posts kept", "kept"),
)


def stats_table(stats: list[CleanStats], *, style: str = "text") -> str:
    """The Data/Quantity table, one column per person: aligned text for a terminal, ``markdown``
    for the model card, ``html`` (handles escaped) for the notebook, whose font is proportional."""
    header = ["Data", *(f"@{s.handle}" for s in stats)]
    rows = [[label, *(f"{getattr(s, key):,}" for s in stats)] for label, key in _TABLE_ROWS]
    if style == "markdown":
        lines = [header, ["---"] * len(header), *rows]
        return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)
    if style == "html":
        from html import escape

        cell = lambda tag, i, text: (f'<{tag} style="text-align:{"left" if i == 0 else "right"};padding:2px 10px">'  # noqa: E731
                                     f"{escape(text)}</{tag}>")
        head = "".join(cell("th", i, c) for i, c in enumerate(header))
        body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r)) + "</tr>" for r in rows)
        return f'<table class="huggingtweets-stats"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = lambda cells: "  ".join(  # noqa: E731
        c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
    )
    return "\n".join(fmt(r) for r in [header, *rows])
