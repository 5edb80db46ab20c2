"""Shared fixtures: a tiny scratch shape, posts, and the real CSV when ../shared has it."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

# Offline, always: a test that reaches the hub fails fast instead of retrying for a minute.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["WANDB_MODE"] = "disabled"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from huggingtweets.config import ScratchShape  # noqa: E402
from huggingtweets.post import Post  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
TRUMP_CSV = REPO.parent / "shared" / "data" / "trump_tweets.csv"

needs_trump_csv = pytest.mark.skipif(
    not TRUMP_CSV.is_file(),
    reason=f"{TRUMP_CSV} is absent (it ships beside the repository in CI, not in a fresh clone)",
)

# Two layers of 32: trains in about a second on a CPU; n_positions covers max_length=160.
TINY = ScratchShape(n_layer=2, n_embd=32, n_head=2, n_positions=256, vocab_size=500)


def make_post(text: str, n: int = 0, handle: str = "dot", **kw) -> Post:
    return Post(id=str(n), handle=handle, text=text, source="test",
                created_at=datetime(2024, 1, 1, tzinfo=timezone.utc), **kw)


@pytest.fixture
def tiny_shape() -> ScratchShape:
    return TINY
