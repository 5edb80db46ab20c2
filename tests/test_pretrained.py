"""Pretrained bases as users have them: saved in half precision, with other end-of-text tokens,
and training that can go wrong. Tiny bases built here stand in for Hub checkpoints."""

from __future__ import annotations

import json

import pytest
from helpers import TINY

from huggingtweets.cli import main as cli_main
from huggingtweets.config import BotConfig
from huggingtweets.pipeline import make_bot


def _sample_texts() -> list[str]:
    from huggingtweets.sources import fetch_posts

    return [p.text for p in fetch_posts("sample").posts]


def _gpt2_base(folder, dtype: str):
    """A tiny GPT-2 with a byte-level BPE, saved in ``dtype`` as Hub checkpoints often are."""
    import torch
    from transformers import AutoModelForCausalLM

    from huggingtweets.models import build_scratch_model

    build_scratch_model(_sample_texts(), folder, shape=TINY, seed=0)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    model.to(getattr(torch, dtype)).save_pretrained(folder)
    return folder


def _llama_base(folder, dtype: str = "float32"):
    """A tiny Llama whose tokenizer says `<s>` and `</s>`, as Llama-family tokenizers do, with no pad token."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(_sample_texts(), vocab_size=400, special_tokens=["<s>", "</s>"], show_progress=False)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token="<s>", eos_token="</s>")
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    torch.manual_seed(0)
    LlamaForCausalLM(config).to(getattr(torch, dtype)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _config(base, out, **kw) -> BotConfig:
    return BotConfig.of(sources=("sample",), base_model=str(base), out_dir=out, epochs=1, num_samples=3,
                     batch_size=8, block_size=64, lora_rank=4, lora_alpha=8, **kw)


@pytest.mark.parametrize("lora", [False, True], ids=["full", "lora"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_a_half_precision_base_trains_in_float32_and_is_exported_in_its_own_dtype(tmp_path, dtype, lora) -> None:
    import math

    from safetensors import safe_open

    base = _gpt2_base(tmp_path / "base", dtype)
    bot = make_bot(_config(base, tmp_path / "bot", lora=lora))
    m = json.loads((bot.out_dir / "metrics.json").read_text())
    assert math.isfinite(m["perplexity_before"]) and math.isfinite(m["perplexity_after"])
    assert m["perplexity_after"] < m["perplexity_before"]
    assert m["trained_dtype"] == "float32"  # master weights (LoRA: the adapters) whatever the file held
    assert m.get("frozen_dtype") == ("float32" if lora else None)  # a CPU keeps a LoRA base in float32 too
    assert m["base_dtype"] == m["export_dtype"] == dtype
    with safe_open(bot.model_dir / "model.safetensors", "pt") as f:
        assert {str(f.get_tensor(k).dtype) for k in f.keys()} == {f"torch.{dtype}"}  # not doubled in size
    assert json.loads((bot.model_dir / "config.json").read_text())["dtype"] == dtype
    card = (bot.model_dir / "README.md").read_text()
    assert f"The base was saved in {dtype}, and so is this model." in card
    assert "float32 " in card.split("## Training procedure")[1].split("|")[0]
    assert len(bot.samples) == 3


def test_a_float32_base_is_exported_in_float32(tmp_path) -> None:
    base = _gpt2_base(tmp_path / "base", "float32")
    bot = make_bot(_config(base, tmp_path / "bot"))
    assert bot.metrics["base_dtype"] == bot.metrics["export_dtype"] == "float32"
    assert json.loads((bot.model_dir / "config.json").read_text())["dtype"] == "float32"


def test_posts_are_separated_by_the_tokenizers_own_end_token_everywhere(tmp_path, monkeypatch) -> None:
    """A Llama-style tokenizer ends text with `</s>`, not GPT-2's `<|endoftext|>`: training blocks,
    sampling and the exported pipeline prefix must all use the same one."""
    from transformers import AutoTokenizer, pipeline

    import huggingtweets.generate as generate
    from huggingtweets.dataset import pack_blocks

    base = _llama_base(tmp_path / "llama", "bfloat16")
    tokenizer = AutoTokenizer.from_pretrained(base)
    end = tokenizer.convert_tokens_to_ids("</s>")
    blocks = pack_blocks(["Kevin is on the roof.", "Bread at six."], tokenizer, block_size=32)
    assert tokenizer.decode(blocks[0]["input_ids"]).startswith("</s>Kevin is on the roof.</s>Bread")
    assert "<|endoftext|>" not in tokenizer.decode(blocks[0]["input_ids"])

    prompts = []
    real_draw = generate._draw
    monkeypatch.setattr(generate, "_draw", lambda model, prompt_ids, rows, settings, eos, ends, gen, *rest:
                        prompts.append((prompt_ids, eos, ends)) or real_draw(model, prompt_ids, rows, settings, eos,
                                                                             ends, gen, *rest))
    bot = make_bot(_config(base, tmp_path / "bot", prompt="Kevin"))
    prompt_ids, eos, ends = prompts[0]
    assert prompt_ids[0] == end and tokenizer.decode(prompt_ids) == "</s>Kevin"  # samples start as posts did
    assert eos == end and end in ends  # and end where they ended
    assert len(bot.samples) == 3 and all(s.text.startswith("Kevin") for s in bot.samples)

    config = json.loads((bot.model_dir / "config.json").read_text())
    assert config["prefix"] == "</s>"
    assert config["task_specific_params"]["text-generation"]["prefix"] == "</s>"
    generator = pipeline("text-generation", model=str(bot.model_dir))
    assert generator.prefix == "</s>"  # the card's "How to use" starts posts the same way
    out = generator("Kevin", max_new_tokens=5, num_return_sequences=2)
    assert all(o["generated_text"].startswith("Kevin") for o in out)


def _tree(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_diverging_run_ends_in_one_error_line_and_leaves_the_previous_bot(tmp_path, capsys) -> None:
    base = _gpt2_base(tmp_path / "base", "float16")
    out = tmp_path / "bot"
    common = ["train", "sample", "--base-model", str(base), "--out", str(out), "--epochs", "1", "-n", "2",
              "--batch-size", "8", "--block-size", "64", "--wandb", "disabled"]
    assert cli_main(common) == 0
    before = {name: _tree(out / name) for name in ("model",)}
    zip_before = (out / "gullhaven_dot.zip").read_bytes()
    metrics_before = (out / "metrics.json").read_bytes()
    capsys.readouterr()

    assert cli_main(common + ["--learning-rate", "1e30", "--overwrite"]) == 1  # far past any rate that trains
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("Error: training diverged: the ")
    assert "nothing was exported" in err[0] and "--learning-rate" in err[0]
    assert {name: _tree(out / name) for name in ("model",)} == before
    assert (out / "gullhaven_dot.zip").read_bytes() == zip_before
    assert (out / "metrics.json").read_bytes() == metrics_before


def test_a_base_whose_loss_is_already_nan_is_refused(tmp_path, capsys) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    base = _gpt2_base(tmp_path / "base", "float32")
    model = AutoModelForCausalLM.from_pretrained(base)
    with torch.no_grad():
        model.transformer.h[0].mlp.c_fc.weight.fill_(float("nan"))
    model.save_pretrained(base)
    code = cli_main(["train", "sample", "--base-model", str(base), "--out", str(tmp_path / "bot"), "--epochs", "1",
                     "--wandb", "disabled"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "validation loss is nan before any training" in err[0]
    assert not (tmp_path / "bot" / "model").exists()


def test_a_run_that_samples_nothing_is_an_error(tmp_path, monkeypatch, capsys) -> None:
    import huggingtweets.pipeline as pipeline
    from huggingtweets.generate import SampleRun

    monkeypatch.setattr(pipeline, "sample_posts", lambda *a, **k: SampleRun(posts=[], drawn=0, copies=0))
    base = _gpt2_base(tmp_path / "base", "float32")
    code = cli_main(["train", "sample", "--base-model", str(base), "--out", str(tmp_path / "bot"), "--epochs", "1",
                     "--batch-size", "8", "--block-size", "64", "--wandb", "disabled"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and err[0].startswith("Error: the trained model wrote no usable post")
    assert not (tmp_path / "bot" / "model").exists() and not (tmp_path / "bot" / "gullhaven_dot.zip").exists()
