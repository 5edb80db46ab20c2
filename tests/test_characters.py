from __future__ import annotations

import pytest

from huggingtweets.characters import LearnedCharacters
from huggingtweets.generate import CopyDetector, sample_posts
from huggingtweets.models import load_base_model

# an untrained model writes any token: byte pieces of kana and kanji joined at random
WIDE = [f"今日は{i}回目の海です。カモメが鳴いている！ Kevin は屋根の上、寿司と猫と雨 {i}" for i in range(60)]
LEARNED = ["きょうは うみ です", "かもめ が ないている", "Kevin is on the roof"]  # kana and Latin only


@pytest.fixture(scope="module")
def wide_model(tmp_path_factory):
    from helpers import TINY

    return load_base_model("scratch", texts=WIDE, folder=tmp_path_factory.mktemp("wide"), shape=TINY)


def unlearned(texts: list[str]) -> set[str]:
    allowed = set("".join(LEARNED))
    return {c for t in texts for c in t if c not in allowed and not c.isspace()}


def test_samples_write_only_the_characters_the_bot_learned(wide_model) -> None:
    model, tokenizer = wide_model
    copies = CopyDetector(LEARNED, tokenizer)
    open_ = sample_posts(model, tokenizer, n=12, seed=3, copies=copies, learned_characters=False)
    assert unlearned(open_.texts)  # without the mask, kanji and stray bytes appear
    run = sample_posts(model, tokenizer, n=12, seed=3, copies=copies)
    assert len(run.texts) == 12 and any(run.texts)
    assert unlearned(run.texts) == set()


def test_a_prompts_own_characters_are_allowed(wide_model) -> None:
    model, tokenizer = wide_model
    run = sample_posts(model, tokenizer, prompt="寿司", n=4, seed=1, copies=CopyDetector(LEARNED, tokenizer))
    assert all(t.startswith("寿司") for t in run.texts)
    assert unlearned(run.texts) <= {"寿", "司"}  # the prompt's characters may come again, no others


def test_pending_bytes_finish_only_learned_characters(wide_model) -> None:
    _, tokenizer = wide_model
    characters = LearnedCharacters.for_tokenizer(tokenizer, LEARNED)
    assert characters is not None
    # "き" is E3 81 8D: after its first two bytes only the byte that ends "き" (or another learned kana) may come
    pending = "き".encode()[:2]
    allowed = characters.allowed(pending, len(tokenizer))
    spelled = {characters.token_bytes[i] for i in allowed.nonzero().flatten().tolist() if characters.token_bytes[i]}
    assert "き".encode()[2:] in spelled
    assert all((pending + b).decode("utf-8", "ignore") == "" or
               set((pending + b).decode("utf-8", "ignore")) <= set("".join(LEARNED)) | set(" \n\r")
               for b in spelled if len(pending + b) == 3)
    assert characters.after(pending, tokenizer.convert_tokens_to_ids(tokenizer.convert_ids_to_tokens(
        next(i for i, b in enumerate(characters.token_bytes) if b == "き".encode()[2:])))) == b""
    # the kanji "海" was never learned: none of its byte pieces may start it
    assert "海".encode()[:1] not in characters.prefixes


def test_texts_without_characters_give_no_mask(wide_model) -> None:
    _, tokenizer = wide_model
    assert LearnedCharacters.for_tokenizer(tokenizer, []) is None
