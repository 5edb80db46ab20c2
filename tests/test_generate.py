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
    from helpers import TINY

    return load_base_model("scratch", texts=TEXTS + TRAINING, folder=tmp_path_factory.mktemp("base"), shape=TINY)


def test_samples_start_with_the_prompt_and_hold_no_newline(tiny_model) -> None:
    model, tokenizer = tiny_model
    run = sample_posts(model, tokenizer, prompt="My dream is", n=6, seed=1)
    assert len(run.texts) == 6 and run.drawn >= 6
    assert all(p.startswith("My dream is") and "\n" not in p for p in run.texts)
    assert all("<|endoftext|>" not in p for p in run.texts)


def test_a_prompt_with_an_emoji_sequence_and_a_no_break_space_starts_every_post(tiny_model) -> None:
    model, tokenizer = tiny_model
    prompt = "Family\u00a0night 👨\u200d👩\u200d👧 🇳🇴"
    run = sample_posts(model, tokenizer, prompt=prompt, n=3, seed=1)
    assert len(run.texts) == 3 and all(p.startswith(prompt) for p in run.texts)


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
    from helpers import PLANTED

    model, tokenizer, _, _ = memorised
    copies = CopyDetector([PLANTED], tokenizer)
    unfiltered = sample_posts(model, tokenizer, n=10, seed=5)
    assert any(copies.is_copy(t) for t in unfiltered.texts)  # the model does parrot its training post

    # the characters it may write are left open: the one planted post holds few of the model's
    run = sample_posts(model, tokenizer, n=10, seed=5, copies=copies, learned_characters=False)
    assert run.copies >= 1 and run.copy_rate == run.copies / run.drawn > 0
    assert len(run.texts) == 10 and not any(p.copy or copies.is_copy(p.text) for p in run.posts)

    # flagged, same draw
    kept = sample_posts(model, tokenizer, n=10, seed=5, copies=copies, replace_copies=False, learned_characters=False)
    assert [p.copy for p in kept.posts] == [copies.is_copy(t) for t in unfiltered.texts]


@pytest.mark.parametrize("cut, warper, values", [("_nucleus", "TopPLogitsWarper", (0.5, 0.95, 0.99)),
                                                  ("_min_p", "MinPLogitsWarper", (0.02, 0.1, 0.5)),
                                                  ("_typical", "TypicalLogitsWarper", (0.2, 0.9, 0.95))])
def test_each_cut_keeps_the_tokens_transformers_keeps(cut, warper, values) -> None:
    import torch
    from transformers.generation import logits_process

    from huggingtweets import generate

    g = torch.Generator().manual_seed(0)
    for spread in (0.5, 2.0, 10.0):  # flat to peaked
        for value in values:
            logits = torch.randn(8, 5000, generator=g) * spread
            theirs = getattr(logits_process, warper)(value)(None, logits.clone()) > -float("inf")
            ours = getattr(generate, cut)(torch.softmax(logits, dim=-1), value) > 0
            assert torch.equal(ours, theirs), (spread, value)
            assert 0 < ours.sum() < ours.numel() or spread == 0.5  # a real cut, not all or nothing


def test_tokens_are_drawn_in_proportion_from_the_nucleus() -> None:
    import torch

    from huggingtweets.generate import _next_tokens
    from huggingtweets.recipe import GENERATION_DEFAULTS

    probs = torch.tensor([0.5, 0.3, 0.1, 0.07, 0.03])  # top_p 0.95 keeps the first four
    logits = probs.log().repeat(30_000, 1)  # (rows, vocab): one draw a row
    tokens = _next_tokens(logits, 20, GENERATION_DEFAULTS, eos=4, generator=torch.Generator().manual_seed(0))
    share = torch.bincount(tokens, minlength=5) / len(tokens)
    assert share[4] == 0
    assert torch.allclose(share[:4], probs[:4] / probs[:4].sum(), atol=0.01)


def test_the_sampler_applies_min_p_and_typical_p() -> None:
    import torch

    from huggingtweets.generate import _next_tokens
    from huggingtweets.recipe import GENERATION_DEFAULTS

    probs = torch.tensor([0.5, 0.3, 0.1, 0.07, 0.03])
    logits = probs.log().repeat(5_000, 1)
    drawn = {}
    for name, value in (("min_p", 0.5), ("typical_p", 0.5)):
        settings = {**GENERATION_DEFAULTS, "top_p": 1.0, name: value}
        drawn[name] = set(_next_tokens(logits.clone(), 20, settings, eos=4,
                                       generator=torch.Generator().manual_seed(0)).tolist())
    assert drawn == {"min_p": {0, 1}, "typical_p": {0, 1}}  # 0.3 ≥ 0.5 × 0.5; the two nearest the entropy (1.23 nats)


def test_the_repetition_penalty_is_transformers_own() -> None:
    import torch
    from transformers import RepetitionPenaltyLogitsProcessor

    from huggingtweets.generate import _next_tokens
    from huggingtweets.recipe import GENERATION_DEFAULTS

    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 50, generator=g) * 3
    history = torch.randint(0, 50, (6, 9), generator=g)
    history[:, 0] = logits.argmax(dim=-1)  # each row has used its likeliest token already
    theirs = RepetitionPenaltyLogitsProcessor(2.0)(history, logits.clone())
    settings = {**GENERATION_DEFAULTS, "repetition_penalty": 2.0, "do_sample": False}
    for row in range(6):  # greedy: the most likely token after the penalty, row by row
        ours = _next_tokens(logits[row : row + 1].clone(), 20, settings, eos=49, generator=None,
                            history=history[row : row + 1])
        assert ours.item() == theirs[row].argmax().item()
    ours = _next_tokens(logits.clone(), 20, settings, eos=49, generator=None, history=history)
    assert torch.equal(ours, theirs.argmax(dim=-1))
    assert not torch.equal(ours, logits.argmax(dim=-1))  # the penalty changed some rows' choice


def test_no_end_of_post_before_min_length() -> None:
    import torch

    from huggingtweets.generate import _next_tokens
    from huggingtweets.recipe import GENERATION_DEFAULTS

    logits = torch.tensor([[0.0, 0.0, 20.0]]).repeat(1000, 1)  # token 2, the end, is all but certain
    early = _next_tokens(logits.clone(), GENERATION_DEFAULTS["min_length"] - 1, GENERATION_DEFAULTS, eos=2,
                         generator=None)
    assert not (early == 2).any()
    assert (_next_tokens(logits.clone(), GENERATION_DEFAULTS["min_length"], GENERATION_DEFAULTS, eos=2,
                         generator=None) == 2).all()


def test_each_row_stops_at_its_own_end_and_keeps_its_own_context(memorised) -> None:
    """Rows leave the batch as they finish; every token of a row must still be one the model
    could pick given that row's own text (recomputed without the cache)."""
    import torch

    from huggingtweets.generate import _draw, _nucleus
    from huggingtweets.recipe import GENERATION_DEFAULTS

    model, tokenizer, _, _ = memorised
    eos = tokenizer.eos_token_id
    prompt = [eos]  # the separator every post starts after
    with torch.inference_mode():
        rows = _draw(model, prompt, 12, GENERATION_DEFAULTS, eos, {eos}, torch.Generator().manual_seed(3))
        assert all(row[-1] == eos and eos not in row[:-1] for row in rows)  # every post finished, once
        assert len({len(row) for row in rows}) > 1  # so rows left the batch at different steps
        for row in rows:
            logits = model(torch.tensor([prompt + row])).logits[0, len(prompt) - 1 : -1].float()  # (row, vocab)
            logits[: max(0, GENERATION_DEFAULTS["min_length"] - len(prompt)), eos] = -float("inf")  # as drawn
            kept = _nucleus(torch.softmax(logits, dim=-1), GENERATION_DEFAULTS["top_p"])
            assert (kept[torch.arange(len(row)), torch.tensor(row)] > 0).all()


def test_int8_sampling_on_a_cpu_is_reported_and_can_be_turned_off(tiny_model) -> None:
    model, tokenizer = tiny_model
    assert sample_posts(model, tokenizer, n=2, seed=0).precision == "int8"
    assert sample_posts(model, tokenizer, n=2, seed=0, int8=False).precision == "fp32"


def test_a_prompt_longer_than_a_post_is_refused(tiny_model) -> None:
    from huggingtweets.errors import ConfigError

    model, tokenizer = tiny_model
    with pytest.raises(ConfigError, match="shorter prompt"):
        sample_posts(model, tokenizer, prompt="gulls " * 200, n=1)


def test_a_shared_run_must_hold_as_much_text_in_every_script(tiny_model) -> None:
    _, tokenizer = tiny_model
    learned = ["@mattn_jp 今日は本当にありがとうございました！また来週の勉強会でお会いしましょう"]
    copies = CopyDetector(learned, tokenizer)
    assert len(tokenizer("ありがとう", add_special_tokens=False)["input_ids"]) >= 8  # 8 tokens, 5 characters
    # a mention and a stock phrase are how this person writes, not a copy ...
    assert not copies.is_copy("@mattn_jp えっ、ほんとにありがとう！")
    # ... a whole clause of theirs is
    assert copies.is_copy("きょうも、本当にありがとうございました！また来週の勉強会で")
    assert copies.is_copy(learned[0][:30] + "ね")
