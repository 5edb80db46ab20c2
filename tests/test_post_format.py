from __future__ import annotations

import pytest

from huggingtweets.models import load_base_model

TEXTS = [f"Tide report {i}: fog, gulls, and a late ferry.\nKevin is on the roof again." for i in range(100)]
POEM = "Fog on the quay\nGulls on the roof\nKevin on the ferry"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from helpers import TINY

    return load_base_model("scratch", texts=TEXTS, folder=tmp_path_factory.mktemp("base"), shape=TINY)


@pytest.fixture(scope="module")
def poet(tmp_path_factory):
    """A tiny model trained on one three-line post until it writes it back whole."""
    from helpers import TINY

    from huggingtweets.dataset import pack_blocks
    from huggingtweets.recipe import Recipe
    from huggingtweets.train import TrainRun, train_model

    work = tmp_path_factory.mktemp("poet")
    model, tokenizer = load_base_model("scratch", texts=[POEM] * 300, folder=work / "base", shape=TINY)
    blocks = pack_blocks([POEM] * 300, tokenizer, block_size=64)
    recipe = Recipe(epochs=8, learning_rate=5e-3, batch_size=8, block_size=64, warmup_ratio=0.0)
    train_model(model, tokenizer, blocks, blocks, recipe, TrainRun(work / "checkpoints"))
    return model, tokenizer


def test_posts_end_at_a_line_end_token(tiny_model) -> None:
    from huggingtweets.post_format import line_ends

    _, tokenizer = tiny_model
    ends = line_ends(tokenizer)
    breaks = {i for i in range(len(tokenizer)) if len(f"{tokenizer.decode([i])}.".splitlines()) > 1}
    assert ends == breaks
    # byte-level: "\n" and the other line breaks a terminal would show (form feed, "\x1c") are tokens
    assert {tokenizer.convert_tokens_to_ids(t) for t in ("Ċ", "Č", "Ĝ")} <= ends


def test_a_post_is_cut_at_any_line_break() -> None:
    from huggingtweets.post_format import first_line

    for brk in ("\n", "\r", "\x0c", "\x1c", "\u2028"):
        assert first_line(f"Kevin took the scone{brk}and the jam") == "Kevin took the scone"
    assert first_line("") == "" and first_line("no break") == "no break"


def test_bytes_that_form_no_character_and_control_characters_are_left_out_of_a_post(tiny_model) -> None:
    from huggingtweets.post_format import post_format

    _, tokenizer = tiny_model
    fmt = post_format(tokenizer)
    ids = tokenizer("Kevin ate the 🍞", add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(ids[:-1]).endswith("\ufffd")  # the loaf's last byte is missing
    assert fmt.text(tokenizer.decode(ids[:-1])) == "Kevin ate the"
    assert fmt.text(tokenizer.decode(ids)) == "Kevin ate the 🍞"
    assert fmt.text("Kevin\x05 ate\tthe\x00 loaf") == "Kevin ate\tthe loaf"


def test_a_bot_that_keeps_newlines_writes_whole_posts_everywhere(poet, tmp_path) -> None:
    """--keep-newlines: our sampler, the exported model and the Modelfile all end a post at the
    separator, not at its first line break; without it, all three end it there."""
    from transformers import pipeline

    from huggingtweets.export import export_model
    from huggingtweets.generate import sample_posts
    from huggingtweets.gguf_export import modelfile_text
    from huggingtweets.post_format import ends_at_line_break

    model, tokenizer = poet
    whole = sample_posts(model, tokenizer, n=6, seed=0, keep_newlines=True).texts
    assert POEM in whole
    assert all("\n" not in t for t in sample_posts(model, tokenizer, n=6, seed=0).texts)

    for keep in (True, False):
        folder, _ = export_model(model, tokenizer, "# card\n", out_dir=tmp_path / str(keep), name="poet",
                                 keep_newlines=keep)
        exported = pipeline("text-generation", model=str(folder), device="cpu")
        assert ends_at_line_break(exported.model.generation_config, exported.tokenizer) is not keep
        # min_length 0: transformers holds back every end token until then, line ends included
        texts = [exported("Fog", max_new_tokens=30, do_sample=False, min_length=0)[0]["generated_text"]]
        assert ("Gulls on the roof" in texts[0]) is keep  # the second line comes only when posts keep it
        modelfile = modelfile_text("poet.gguf", tokenizer, description="AI-generated posts", keep_newlines=keep)
        assert ('PARAMETER stop """\n"""' in modelfile) is not keep
        assert 'PARAMETER stop "<|endoftext|>"' in modelfile
