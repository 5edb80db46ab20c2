"""Posts per second to read and clean a 50,000-post X archive.

The archive is built by repeating the test fixture's tweets (new ids, same shapes: entities,
t.co links, HTML entities, retweets, replies). The baseline, measured in the same run, is
the floor any reader pays: unzipping and `json.loads` of the same tweets.js.
Goal (issue: sources): at least 100,000 posts/s on a 2-core machine.

    python benchmarks/archive_speed.py
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

from _timing import best_of

from huggingtweets.clean import clean_posts
from huggingtweets.sources import read_archive

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "x_archive" / "data"
N_POSTS = 50_000
GOAL = 100_000  # posts/s


def build(target: Path) -> None:
    text = (FIXTURE / "tweets.js").read_text()
    items = json.loads(text[text.index("=") + 1:])
    tweets = []
    for n in range(N_POSTS):
        tweet = json.loads(json.dumps(items[n % len(items)]))
        tweet["tweet"]["id_str"] = tweet["tweet"]["id"] = str(1_600_000_000_000_000_000 + n)
        tweet["tweet"]["full_text"] = f"{n} " + tweet["tweet"]["full_text"]  # no two alike
        tweets.append(tweet)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data/tweets.js", "window.YTD.tweets.part0 = " + json.dumps(tweets, indent=2))
        for name in ("account.js", "profile.js", "manifest.js"):
            zf.write(FIXTURE / name, f"data/{name}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "archive.zip"
        build(path)

        def floor() -> None:
            with zipfile.ZipFile(path) as zf:
                text = zf.read("data/tweets.js").decode()
            json.loads(text[text.index("=") + 1:])

        def ours() -> None:
            posts, profile = read_archive(path)
            kept, _ = clean_posts(posts, handle=profile.handle)
            assert len(posts) == N_POSTS and kept

        base, full = best_of(floor), best_of(ours)
        parse = best_of(lambda: read_archive(path))
    print(f"archive: {N_POSTS:,} posts, {path.name}")
    print(f"baseline, unzip + json.loads:      {N_POSTS / base:10,.0f} posts/s ({base:.2f} s)")
    print(f"ours, read_archive:                {N_POSTS / parse:10,.0f} posts/s ({parse:.2f} s)")
    print(f"ours, read_archive + clean_posts:  {N_POSTS / full:10,.0f} posts/s ({full:.2f} s), "
          f"{base / full:.2f}× the baseline's speed; goal {GOAL:,} posts/s: "
          f"{'met' if N_POSTS / full >= GOAL else 'not met'}")


if __name__ == "__main__":
    main()
