from __future__ import annotations

from huggingtweets.quiz import BotOrNot

REAL = [f"real post number {i}, as the person wrote it" for i in range(30)]
BOT = [f"bot post number {i}, as the model wrote it" for i in range(12)]


def test_ten_rounds_each_a_real_post_beside_a_bot_post() -> None:
    quiz = BotOrNot.of(real=REAL, bot=BOT, seed=3)
    assert len(quiz.rounds) == 10
    for r in quiz.rounds:
        assert r.real in REAL and r.bot in BOT and set(r.posts) == {r.real, r.bot}
    assert len({r.real for r in quiz.rounds}) == 10 and len({r.bot for r in quiz.rounds}) == 10
    assert {r.bot_at for r in quiz.rounds} == {0, 1}  # the bot is not always on the same side


def test_the_tally_counts_the_bots_spotted() -> None:
    quiz = BotOrNot.of(real=REAL, bot=BOT, seed=3)
    picks = [r.bot_at if i < 7 else 1 - r.bot_at for i, r in enumerate(quiz.rounds)]  # right 7 times
    results = [quiz.answer(p) for p in picks]
    assert results == [True] * 7 + [False] * 3 and quiz.done
    assert quiz.tally().startswith("You spotted the bot 7 of 10 times")


def test_rounds_are_as_many_as_both_sides_can_fill() -> None:
    assert len(BotOrNot.of(real=REAL[:4], bot=BOT, seed=0).rounds) == 4
    assert BotOrNot.of(real=[], bot=BOT, seed=0).rounds == []
    # a "bot" post that is one of the person's own is no round: it would be real beside real
    assert len(BotOrNot.of(real=REAL[:3], bot=REAL[:3], seed=0).rounds) == 0
