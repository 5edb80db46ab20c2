from __future__ import annotations

import pytest

from huggingtweets.generate import sample_posts
from huggingtweets.models import load_base_model

TEXTS = [f"Tide report {i}: fog, gulls, and a late ferry. Kevin is on the roof again." for i in range(100)]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from conftest import TINY

    return load_base_model("scratch", texts=TEXTS, folder=tmp_path_factory.mktemp("base"), shape=TINY)


def test_samples_start_with_the_prompt_and_hold_no_newline(tiny_model) -> None:
    model, tokenizer = tiny_model
    posts = sample_posts(model, tokenizer, prompt="My dream is", n=6, seed=1)
    assert len(posts) == 6
    assert all(p.startswith("My dream is") and "\n" not in p for p in posts)
    assert all("<|endoftext|>" not in p for p in posts)


def test_same_seed_same_posts(tiny_model) -> None:
    model, tokenizer = tiny_model
    first = sample_posts(model, tokenizer, n=4, seed=123)
    assert sample_posts(model, tokenizer, n=4, seed=123) == first
    assert sample_posts(model, tokenizer, n=4, seed=124) != first
