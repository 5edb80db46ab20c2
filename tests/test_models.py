from __future__ import annotations

import pytest

from huggingtweets.post_format import post_separator
from huggingtweets.errors import ModelError, error_line
from huggingtweets.models import SCRATCH_EOS, load_base_model, load_model

TEXTS = [f"Tide report {i}: fog, gulls, and a late ferry. Kevin is on the roof again." for i in range(100)]


def test_scratch_builds_a_gpt2_folder_and_loads_it_like_any_other(tmp_path, tiny_shape) -> None:
    model, tokenizer = load_base_model("scratch", texts=TEXTS, folder=tmp_path / "base", shape=tiny_shape)
    assert (tmp_path / "base" / "config.json").is_file()
    assert (tmp_path / "base" / "model.safetensors").is_file()
    assert len(tokenizer) > 256  # 256 byte symbols plus merges learned from the posts
    assert len(tokenizer) <= tiny_shape.vocab_size
    assert model.config.model_type == "gpt2"
    assert model.config.vocab_size == len(tokenizer)
    assert tokenizer.eos_token == tokenizer.bos_token == SCRATCH_EOS == post_separator(tokenizer)
    assert tokenizer.pad_token_id == tokenizer.eos_token_id == model.config.eos_token_id
    text = "Kevin stole a scone 🍞 &"
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text  # byte-level: lossless
    reloaded, tok2 = load_model(str(tmp_path / "base"))
    assert len(tok2) == len(tokenizer)


def test_missing_folder_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ModelError, match="no such folder.*--base-model scratch") as base:
        load_base_model(str(tmp_path / "no" / "such" / "model"))
    assert "choose another base model" in error_line(base.value, "notebook")
    # a bot's model (generate) takes no --base-model: the fix is where bots are
    with pytest.raises(ModelError, match=r"no such folder.*Check the path: a bot's model is in bots/<name>/model"):
        load_model(str(tmp_path / "no" / "such" / "model"))


def test_folder_without_a_model_is_a_clear_error(tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="can't load the model in folder.*config.json"):
        load_model(str(tmp_path / "empty"))


def test_hub_id_that_cannot_be_downloaded_names_the_alternatives() -> None:
    # conftest sets HF_HUB_OFFLINE=1, as on a machine with no internet
    with pytest.raises(ModelError, match="can't load the base model 'gpt2'.*--base-model scratch"):
        load_base_model("gpt2")


@pytest.fixture
def hub_out_of_reach(monkeypatch):
    """A machine whose network is down: the hub's address refuses every connection."""
    import socket

    from huggingface_hub import constants

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # conftest set it for the rest
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")


def test_a_hub_model_that_cannot_be_reached_fails_at_once(hub_out_of_reach) -> None:
    import time

    started = time.perf_counter()
    with pytest.raises(ModelError, match="can't load the base model 'gpt2': the Hugging Face Hub can't be reached"
                                         ".*--base-model scratch"):
        load_base_model("gpt2")
    assert time.perf_counter() - started < 10  # not huggingface_hub's minute of retries


def test_a_cached_hub_model_loads_with_the_hub_out_of_reach(hub_out_of_reach, tmp_path, tiny_shape,
                                                           monkeypatch) -> None:
    import shutil

    from huggingface_hub import constants

    built = load_base_model("scratch", texts=TEXTS, folder=tmp_path / "built", shape=tiny_shape)[0]
    cache = tmp_path / "hub"  # huggingface_hub's cache layout, as a download leaves it
    shutil.copytree(tmp_path / "built", cache / "models--dot--tiny" / "snapshots" / "abc123")
    (cache / "models--dot--tiny" / "refs").mkdir()
    (cache / "models--dot--tiny" / "refs" / "main").write_text("abc123")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    model, tokenizer = load_model("dot/tiny")
    assert len(tokenizer) == built.config.vocab_size and model.num_parameters() == built.num_parameters()


@pytest.mark.parametrize("what", ["base model", "model"])
def test_a_model_that_does_not_write_text_is_refused_by_name(tmp_path, what) -> None:
    # BERT loads as a causal model in transformers (with a warning) and would train nonsense
    from transformers import BertConfig, BertForMaskedLM, DistilBertConfig, DistilBertForMaskedLM

    BertForMaskedLM(BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                               intermediate_size=32)).save_pretrained(tmp_path / "bert")
    DistilBertForMaskedLM(DistilBertConfig(vocab_size=64, dim=16, n_layers=1, n_heads=2,
                                           hidden_dim=32)).save_pretrained(tmp_path / "distilbert")
    for name, kind in (("bert", "BertForMaskedLM"), ("distilbert", "DistilBertForMaskedLM")):
        with pytest.raises(ModelError, match=rf"the {what} .*{name} is a {kind}, which does not write text left "
                                             "to right. Use a text-generation model such as gpt2"):
            load_model(str(tmp_path / name), what=what)


@pytest.mark.parametrize("model_type", ["gpt2", "evilgpt"])
def test_a_folder_asking_to_run_its_own_code_is_refused_without_asking_or_running_it(tmp_path, model_type,
                                                                                     monkeypatch) -> None:
    """transformers asks "Do you wish to run the custom code? [y/N]" for such a folder: one "y"
    would run it. We never ask and never run it, for a base, a bot's model, or an export."""
    import json
    import sys

    from huggingtweets.gguf_export import export_gguf

    folder = tmp_path / "shared-model"
    folder.mkdir()
    ran = tmp_path / "ran"
    (folder / "evil.py").write_text(f"open({str(ran)!r}, 'w').write('ran')\nfrom transformers import GPT2Config\n"
                                    "class EvilConfig(GPT2Config):\n    model_type = 'evilgpt'\n")
    (folder / "config.json").write_text(json.dumps({"model_type": model_type, "architectures": ["GPT2LMHeadModel"],
                                                    "auto_map": {"AutoConfig": "evil.EvilConfig"}}))
    monkeypatch.setattr(sys, "stdin", None)  # a prompt would fail here rather than wait
    for what, load in (("base model", lambda: load_base_model(str(folder))),
                       ("model", lambda: load_model(str(folder))),
                       ("model", lambda: export_gguf(folder))):
        with pytest.raises(ModelError) as caught:
            load()
        assert error_line(caught.value) == (
            f"Error: the {what} {folder} asks to run Python code of its own (auto_map in config.json), which "
            "huggingtweets never runs. Use a model that transformers knows without custom code, such as gpt2, "
            "distilgpt2 or HuggingFaceTB/SmolLM2-135M.")
    assert not ran.exists()


def test_weights_that_do_not_fit_their_config_are_refused_not_filled_with_noise(tmp_path, tiny_shape) -> None:
    """GPT-2's weights under a config saying llama: transformers would load it with every weight
    random, and the bot would write noise with exit 0."""
    import json

    from transformers import LlamaConfig

    from huggingtweets.gguf_export import export_gguf

    folder = tmp_path / "base"
    load_base_model("scratch", texts=TEXTS, folder=folder, shape=tiny_shape)
    config = json.loads((folder / "config.json").read_text())
    llama = LlamaConfig(num_hidden_layers=1, hidden_size=64, num_attention_heads=2, intermediate_size=128,
                        vocab_size=config["vocab_size"], eos_token_id=config["eos_token_id"])
    llama.save_pretrained(folder)
    for load in (lambda: load_model(str(folder)), lambda: load_base_model(str(folder)), lambda: export_gguf(folder)):
        with pytest.raises(ModelError) as caught:
            load()
        line = error_line(caught.value)
        assert "weights don't match its config.json" in line and "\n" not in line, line


@pytest.mark.parametrize("change, says", [
    ({"n_layer": 10**6}, "its config.json describes at least"),  # would build for minutes, filling memory
    ({"vocab_size": 10**9}, "its config.json describes at least"),
    ({"n_embd": 96}, "has weights of other shapes than its config.json gives"),
    ({"n_head": 0}, "can't load the model in folder"),
    ({"n_embd": -64}, "can't load the model in folder"),
    ({"n_embd": "wide"}, "can't load the model in folder"),
])
def test_a_config_that_does_not_describe_its_weights_is_one_line_at_once(tmp_path, tiny_shape, change, says) -> None:
    import json
    import time

    folder = tmp_path / "base"
    load_base_model("scratch", texts=TEXTS, folder=folder, shape=tiny_shape)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, **change}))
    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        load_model(str(folder))
    line = error_line(caught.value)
    assert says in line and "\n" not in line and "above report" not in line, line
    assert time.monotonic() - started < 60


def test_a_lora_rank_past_the_base_s_width_is_one_line_not_an_allocation(tmp_path, tiny_shape) -> None:
    pytest.importorskip("peft", reason="LoRA needs peft (pip install -e '.[test]')")
    from huggingtweets.models import add_lora

    model, _ = load_base_model("scratch", texts=TEXTS, folder=tmp_path / "base", shape=tiny_shape)
    with pytest.raises(ModelError, match=rf"--lora-rank 1,000,000,000 is more than the base model's width "
                                         rf"\({model.config.hidden_size}\)"):
        add_lora(model, rank=10**9, alpha=16)
    assert add_lora(model, rank=4, alpha=8) is not None
