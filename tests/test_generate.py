from __future__ import annotations

import pytest

from huggingtweets.generate import CopyDetector, sample_posts
from huggingtweets.models import load_base_model

TEXTS = [f"Tide report {i}: fog, gulls, and a late ferry. Kevin is on the roof again." for i in range(100)]
TRAINING = [
    "Kevin stole a whole sausage roll out of Mrs Abernathy's hand in broad daylight, this is piracy",
    "Old Barnaby is bubbling like a harbour in a squall this morning",
]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from conftest import TINY

    return load_base_model("scratch", texts=TEXTS + TRAINING, folder=tmp_path_factory.mktemp("base"), shape=TINY)


def test_samples_start_with_the_prompt_and_hold_no_newline(tiny_model) -> None:
    model, tokenizer = tiny_model
    run = sample_posts(model, tokenizer, prompt="My dream is", n=6, seed=1)
    assert len(run.texts) == 6 and run.drawn >= 6
    assert all(p.startswith("My dream is") and "\n" not in p for p in run.texts)
    assert all("<|endoftext|>" not in p for p in run.texts)


def test_same_seed_same_posts(tiny_model) -> None:
    model, tokenizer = tiny_model
    first = sample_posts(model, tokenizer, n=4, seed=123).texts
    assert sample_posts(model, tokenizer, n=4, seed=123).texts == first
    assert sample_posts(model, tokenizer, n=4, seed=124).texts != first


def test_copy_detector_catches_runs_and_shared_words(tiny_model) -> None:
    _, tokenizer = tiny_model
    copies = CopyDetector(TRAINING, tokenizer)
    assert copies.is_copy(TRAINING[0])  # verbatim
    assert copies.is_copy("Honestly: Kevin stole a whole sausage roll out of Mrs Abernathy's hand, again")  # 8+ token run
    assert copies.is_copy("this morning old Barnaby is bubbling like a squall in the harbour")  # same words, reordered
    assert not copies.is_copy("The ferry is late and the scones are warm, come down to the quay")
    assert not copies.is_copy("Kevin stole it")  # too short to judge by shared words
    # a prompt taken from a training post is the user's doing, not the model's
    prompt = "Kevin stole a whole sausage roll out of"
    assert not copies.is_copy(prompt + " on the ferry, crew", prompt=prompt)


def test_planted_copy_is_flagged_and_replaced(memorised) -> None:
    from conftest import PLANTED

    model, tokenizer, _, _ = memorised
    copies = CopyDetector([PLANTED], tokenizer)
    unfiltered = sample_posts(model, tokenizer, n=10, seed=5)
    assert any(copies.is_copy(t) for t in unfiltered.texts)  # the model does parrot its training post

    run = sample_posts(model, tokenizer, n=10, seed=5, copies=copies)
    assert run.copies >= 1 and run.copy_rate == run.copies / run.drawn > 0
    assert len(run.texts) == 10 and not any(p.copy or copies.is_copy(p.text) for p in run.posts)

    kept = sample_posts(model, tokenizer, n=10, seed=5, copies=copies, replace_copies=False)
    assert [p.copy for p in kept.posts] == [copies.is_copy(t) for t in unfiltered.texts]  # flagged, same draw
