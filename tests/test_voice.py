from __future__ import annotations

import random

import pytest
from helpers import TRUMP_CSV, needs_trump_csv

from huggingtweets.clean import clean_posts
from huggingtweets.sources import fetch_posts
from huggingtweets.voice import MIN_POSTS, StyleCheck, style_check


def demo_posts() -> list[str]:
    fetched = fetch_posts("sample")
    kept, _ = clean_posts(fetched.posts, handle=fetched.profile.handle)
    return [p.text for p in kept]


def gamer_posts(n: int = 200) -> list[str]:
    """A second fictional writer, nothing like Dot: lowercase, no full stops, gaming slang, emoji."""
    rng = random.Random(3)
    games = ["elden ring", "valorant", "minecraft", "apex", "fortnite", "hollow knight", "league", "overwatch"]
    who = ["my duo", "the whole lobby", "this random", "my little bro", "the streamer", "our jungler"]
    end = ["lmao", "smh", "fr fr", "😭😭", "no cap", "💀", "ngl", "bruh", "lol"]
    shapes = ["cant believe {w} just threw in {g} again {e}", "ok {g} patch notes are actually insane {e}",
              "{w} carried me so hard in {g} today {e}", "who else stayed up till 4am grinding {g} {e}",
              "uninstalling {g} for the {k}th time {e}", "{g} servers down AGAIN {e} {e2}",
              "ranked {g} with {w} is pain {e}", "just hit level {k} in {g} {e}"]
    posts = {rng.choice(shapes).format(w=rng.choice(who), g=rng.choice(games), e=rng.choice(end),
                                       e2=rng.choice(end), k=rng.randrange(2, 400)) for _ in range(4 * n)}
    return sorted(posts)[:n]


def test_the_detector_tells_two_clearly_different_writers_apart() -> None:
    check = style_check(demo_posts(), gamer_posts(), seed=1)
    assert check is not None and check.accuracy >= 0.9
    assert check.posts == 200  # balanced: the larger side cut to the smaller one's size


@needs_trump_csv
def test_the_detector_tells_two_real_voices_apart() -> None:
    fetched = fetch_posts(str(TRUMP_CSV))
    trump, _ = clean_posts(fetched.posts, handle=fetched.profile.handle)
    check = style_check(demo_posts(), [p.text for p in trump[-300:]], seed=1)
    assert check is not None and check.accuracy >= 0.9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_persons_posts_split_at_random_look_alike_to_it(seed: int) -> None:
    posts = demo_posts()
    random.Random(seed).shuffle(posts)
    half = len(posts) // 2
    check = style_check(posts[:half], posts[half:], seed=seed)
    assert check is not None and 0.40 <= check.accuracy <= 0.60


def test_too_few_posts_measure_nothing() -> None:
    posts = demo_posts()
    assert style_check(posts[: MIN_POSTS - 1], gamer_posts()) is None
    assert style_check(posts, ["", "  "] * 20) is None  # empty bot posts are no posts


def test_the_figure_in_plain_words() -> None:
    sentence = StyleCheck(accuracy=0.714, posts=100).sentence("@gullhaven_dot")
    assert sentence.startswith("A simple style detector tells this bot's posts from @gullhaven_dot's newest real "
                               "posts 71% of the time (50% would mean it can't tell them apart")
