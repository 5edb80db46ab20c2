"""Bot or not? Rounds of two posts side by side, one the person's and one the bot's, in random
order; the player picks the bot and the quiz keeps the tally.

The real posts are the person's held-out newest ones (the validation split): public posts that
chose how long the bot trained. It learns them last (Recipe.refit_epochs), and any bot post that
repeats one is replaced, so the bot's side never shows a copy of the real side. The notebook draws the widgets:

    quiz = BotOrNot.of(real=validation_texts, bot=bot_posts, seed=7)
    quiz.current.posts      # ("…", "…"): which one is the bot?
    quiz.answer(1)          # True: the second was the bot
    quiz.tally()            # "You spotted the bot 7 of 10 times."
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

ROUNDS = 10


@dataclass(frozen=True)
class Round:
    real: str
    bot: str
    bot_at: int  # 0: the bot's post is shown first, 1: second

    @property
    def posts(self) -> tuple[str, str]:
        return (self.bot, self.real) if self.bot_at == 0 else (self.real, self.bot)


@dataclass
class BotOrNot:
    rounds: list[Round]
    answers: list[bool] = field(default_factory=list)  # per round played: the bot was spotted

    @classmethod
    def of(cls, *, real: list[str], bot: list[str], seed: int | None = None, rounds: int = ROUNDS) -> BotOrNot:
        """As many rounds as both sides can fill (at most ``rounds``), each real post and each bot
        post used once, the order in each round drawn at random."""
        rng = random.Random(seed)
        real = [t for t in dict.fromkeys(real) if t.strip()]  # once each, in a fixed order for the seed
        bot = [t for t in dict.fromkeys(bot) if t.strip() and t not in real]  # a "bot" post the person wrote is no round
        n = min(rounds, len(real), len(bot))
        return cls([Round(r, b, rng.randrange(2)) for r, b in zip(rng.sample(real, n), rng.sample(bot, n))])

    @property
    def done(self) -> bool:
        return len(self.answers) >= len(self.rounds)

    @property
    def current(self) -> Round:
        if self.done:
            raise IndexError("the quiz is over")
        return self.rounds[len(self.answers)]

    def answer(self, picked: int) -> bool:
        """The player says post ``picked`` (0 or 1) of this round is the bot's; True when it is."""
        right = picked == self.current.bot_at
        self.answers.append(right)
        return right

    @property
    def spotted(self) -> int:
        return sum(self.answers)

    def tally(self) -> str:
        played = len(self.answers)
        chance = " (guessing would spot it about half the time)" if self.done else ""
        return f"You spotted the bot {self.spotted} of {played} time{'' if played == 1 else 's'}{chance}."
