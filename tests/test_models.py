from __future__ import annotations

import pytest

from huggingtweets.errors import ModelError
from huggingtweets.models import EOS, load_base_model, load_model

TEXTS = [f"Tide report {i}: fog, gulls, and a late ferry. Kevin is on the roof again." for i in range(100)]


def test_scratch_builds_a_gpt2_folder_and_loads_it_like_any_other(tmp_path, tiny_shape) -> None:
    model, tokenizer = load_base_model("scratch", texts=TEXTS, folder=tmp_path / "base", shape=tiny_shape)
    assert (tmp_path / "base" / "config.json").is_file()
    assert (tmp_path / "base" / "model.safetensors").is_file()
    assert len(tokenizer) > 256  # 256 byte symbols plus merges learned from the posts
    assert len(tokenizer) <= tiny_shape.vocab_size
    assert model.config.model_type == "gpt2"
    assert model.config.vocab_size == len(tokenizer)
    assert tokenizer.eos_token == tokenizer.bos_token == EOS
    assert tokenizer.pad_token_id == tokenizer.eos_token_id == model.config.eos_token_id
    text = "Kevin stole a scone 🍞 &"
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text  # byte-level: lossless
    reloaded, tok2 = load_model(str(tmp_path / "base"))
    assert len(tok2) == len(tokenizer)


def test_missing_folder_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ModelError, match="no such folder.*--base-model scratch"):
        load_model(str(tmp_path / "no" / "such" / "model"))


def test_folder_without_a_model_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="can't load the model in folder.*config.json"):
        load_model(str(tmp_path / "empty"))


def test_hub_id_that_cannot_be_downloaded_names_the_alternatives() -> None:
    # conftest sets HF_HUB_OFFLINE=1, as on a machine with no internet
    with pytest.raises(ModelError, match="can't load the base model 'gpt2'.*--base-model scratch"):
        load_base_model("gpt2")
