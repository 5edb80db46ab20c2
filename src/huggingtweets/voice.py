"""The bot's voice, measured: how often a simple style detector tells its posts from the person's.

Perplexity says how well a model predicts a person's posts; users ask "does it sound like
them?". This stage answers with a stylometric detector, character n-grams (TF-IDF) and a
logistic regression, trained to tell the bot's samples from the person's newest real posts
(the held-out validation posts, which training learns only after they have chosen its length:
Recipe.refit_epochs), balanced and 5-fold cross-validated. Its accuracy
is the number: 50% means it can't tell them apart, 100% that every bot post gives itself away.

    check = style_check(real_posts, bot_posts, seed=42)
    check.accuracy, check.sentence("@gullhaven_dot")
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FOLDS = 5  # cross-validation folds: every post is judged once by a detector that never saw it
MIN_POSTS = 10  # of each kind; fewer leave folds of one or two posts, and the accuracy means little
VOICE_POSTS = 100  # bot posts a new bot is checked with (as many real ones): ~10-20 s of sampling on a CPU
NGRAMS = (1, 4)  # characters, within word boundaries: spelling, punctuation, emoji, casing, short words


@dataclass(frozen=True)
class StyleCheck:
    accuracy: float  # share of posts the detector labelled right (bot or real), 0.5 = chance
    posts: int  # of each kind: bot posts and real ones, as many of each

    def sentence(self, who: str) -> str:
        """The figure in plain words, for the card, the terminal and the notebook."""
        return (f"A simple style detector tells this bot's posts from {who}'s newest real posts "
                f"{self.accuracy:.0%} of the time (50% would mean it can't tell them apart; "
                f"{self.posts} posts of each, cross-validated).")

    def to_dict(self) -> dict[str, float | int]:
        return {"style_detector_accuracy": self.accuracy, "style_detector_posts": self.posts}


def style_check(real: list[str], bot: list[str], *, seed: int = 42) -> StyleCheck | None:
    """How often a detector trained on the rest tells each post's author (bot or person) from
    its characters alone; None when either side has fewer than `MIN_POSTS` posts. The larger
    side is cut at random to the smaller one's size, so chance is exactly 50%."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    real, bot = [t for t in real if t.strip()], [t for t in bot if t.strip()]
    n = min(len(real), len(bot))
    if n < MIN_POSTS:
        return None
    rng = random.Random(seed)
    texts = rng.sample(real, n) + rng.sample(bot, n)
    labels = [0] * n + [1] * n
    # the vectoriser is fitted inside each fold: the held-out posts' n-grams never shape the features
    detector = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, lowercase=False, sublinear_tf=True),
        LogisticRegression(max_iter=2000),
    )
    folds = StratifiedKFold(n_splits=min(FOLDS, n), shuffle=True, random_state=seed)
    scores = cross_val_score(detector, texts, labels, cv=folds, scoring="accuracy")
    return StyleCheck(accuracy=float(scores.mean()), posts=n)
