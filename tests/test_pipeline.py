"""One real run of every stage on the persona with a tiny scratch model, checked on disk."""

from __future__ import annotations

import json
import zipfile

import pytest

from huggingtweets.config import BotConfig
from huggingtweets.events import StageFinished, StageStarted, TrainProgress
from huggingtweets.pipeline import make_bot, prepare_data


@pytest.fixture(scope="module")
def bot_run(tmp_path_factory):
    from helpers import TINY

    out = tmp_path_factory.mktemp("bot")
    events = []
    config = BotConfig.of(sources=("sample",), base_model="scratch", out_dir=out, epochs=3,
                       num_samples=4, scratch=TINY, batch_size=8, block_size=64)
    return make_bot(config, on_event=events.append), events


def test_writes_every_file_the_design_lists(bot_run) -> None:
    bot, _ = bot_run
    out = bot.out_dir
    for rel in ("raw/sample-gullhaven_dot.jsonl", "data/stats.json", "data/train.jsonl",
                "data/validation.jsonl", "samples.jsonl", "metrics.json", "gullhaven_dot.zip", "loss.png",
                "model/config.json", "model/generation_config.json", "model/model.safetensors",
                "model/tokenizer.json", "model/README.md"):
        assert (out / rel).is_file(), rel
    assert not list(out.rglob("*.tmp")), "a temp file was left behind"


def test_stats_json_adds_up_and_matches_the_card(bot_run) -> None:
    bot, _ = bot_run
    stats = json.loads((bot.out_dir / "data/stats.json").read_text())["handles"]
    assert len(stats) == 1
    s = stats[0]
    assert s["handle"] == "gullhaven_dot" and s["downloaded"] == 616
    assert s["downloaded"] == s["retweets"] + s["short"] + s["duplicates"] + s["replies"] + s["kept"]
    card = (bot.model_dir / "README.md").read_text()
    assert f"| Posts kept | {s['kept']} |" in card
    assert f"| Posts downloaded | {s['downloaded']} |" in card


def test_splits_are_jsonl_with_handle_and_text(bot_run) -> None:
    bot, _ = bot_run
    rows = [json.loads(line) for line in (bot.out_dir / "data/validation.jsonl").read_text().splitlines()]
    assert rows and all(set(r) == {"handle", "text"} for r in rows)
    train = {json.loads(line)["text"] for line in (bot.out_dir / "data/train.jsonl").read_text().splitlines()}
    assert not train & {r["text"] for r in rows}


def test_training_lowers_validation_perplexity(bot_run) -> None:
    bot, _ = bot_run
    metrics = json.loads((bot.out_dir / "metrics.json").read_text())
    assert metrics["perplexity_after"] < metrics["perplexity_before"]
    for key in ("epochs", "tokens_seen", "tokens_per_second", "wall_seconds", "device", "precision"):
        assert key in metrics
    assert metrics["device"] == "cpu" and metrics["precision"] == "fp32"


def test_events_tell_the_story_in_order(bot_run) -> None:
    _, events = bot_run
    started = [e.stage for e in events if isinstance(e, StageStarted)]
    assert started == ["fetch", "clean", "dataset", "base", "train", "generate", "voice", "export"]
    progress = [e for e in events if isinstance(e, TrainProgress)]
    assert progress[-1].step == progress[-1].total_steps
    assert any("eval_loss" in e.metrics for e in progress)
    clean = next(e for e in events if isinstance(e, StageFinished) and e.stage == "clean")
    assert "Posts kept" in clean.message


def test_the_bots_voice_is_checked_against_the_newest_real_posts(bot_run) -> None:
    bot, events = bot_run
    metrics = json.loads((bot.out_dir / "metrics.json").read_text())
    validation = (bot.out_dir / "data/validation.jsonl").read_text().splitlines()
    assert 0.0 <= metrics["style_detector_accuracy"] <= 1.0
    assert metrics["style_detector_posts"] == min(100, len(validation))  # as many bot posts as real ones
    said = next(e for e in events if isinstance(e, StageFinished) and e.stage == "voice")
    assert said.message.startswith("A simple style detector tells this bot's posts from @gullhaven_dot's newest real "
                                   f"posts {metrics['style_detector_accuracy']:.0%} of the time")
    assert said.message in (bot.model_dir / "README.md").read_text()  # the card says it in the same words


def test_zip_holds_the_model_folder(bot_run) -> None:
    bot, _ = bot_run
    names = zipfile.ZipFile(bot.zip_path).namelist()
    assert "gullhaven_dot/model.safetensors" in names
    assert "gullhaven_dot/README.md" in names
    assert {n.split("/", 1)[1] for n in names} == {p.name for p in bot.model_dir.iterdir()}


def test_exported_folder_works_with_transformers_pipeline(bot_run) -> None:
    """The model card's "How to use", verbatim, on the exported folder."""
    from transformers import pipeline

    bot, _ = bot_run
    generator = pipeline("text-generation", model=str(bot.model_dir))
    out = generator("My dream is", num_return_sequences=5)
    assert len(out) == 5
    assert all(o["generated_text"].startswith("My dream is") for o in out)


def test_generation_defaults_are_stored_with_the_model(bot_run) -> None:
    bot, _ = bot_run
    from huggingtweets.recipe import GENERATION_DEFAULTS

    expected = dict(GENERATION_DEFAULTS)  # what our own sampler uses: the exported model samples the same way
    assert expected["do_sample"] and expected["max_length"] == 160
    config = json.loads((bot.model_dir / "config.json").read_text())
    assert config["task_specific_params"]["text-generation"] == {**expected, "prefix": "<|endoftext|>"}
    generation = json.loads((bot.model_dir / "generation_config.json").read_text())
    assert {k: generation[k] for k in expected} == expected


def test_samples_are_saved(bot_run) -> None:
    bot, _ = bot_run
    rows = [json.loads(line) for line in (bot.out_dir / "samples.jsonl").read_text().splitlines()]
    assert [r["text"] for r in rows] == [s.text for s in bot.samples] and len(rows) == 4
    assert all(r["copy"] is False for r in rows)  # near-copies were replaced
    metrics = json.loads((bot.out_dir / "metrics.json").read_text())
    assert 0 <= metrics["copy_rate"] <= 1 and metrics["samples_drawn"] >= 4


def test_checkpoints_and_scratch_base_are_removed_after_success(bot_run) -> None:
    bot, _ = bot_run
    assert not (bot.out_dir / "checkpoints").exists() and not (bot.out_dir / "base").exists()


def _short_config(out, **kw) -> BotConfig:
    from helpers import TINY

    return BotConfig.of(sources=("sample",), base_model="scratch", out_dir=out, epochs=4, num_samples=2,
                     scratch=TINY, batch_size=8, block_size=64, **kw)


def test_a_short_run_writes_no_checkpoint(tmp_path) -> None:
    seen = []

    def watch(event) -> None:  # what a resume could use, looked at while training runs
        if isinstance(event, TrainProgress):
            seen.extend(p.name for p in (tmp_path / "short" / "checkpoints").glob("checkpoint-*"))

    bot = make_bot(_short_config(tmp_path / "short"), on_event=watch)
    assert seen == []  # minutes between checkpoints, and this run took seconds: a write would cost more than it saves
    assert bot.metrics["steps"] > 0 and bot.model_dir.is_dir()


def test_an_interrupted_run_resumes_to_the_same_step(tmp_path) -> None:
    whole = make_bot(_short_config(tmp_path / "whole"))

    def disconnect(event) -> None:  # Colab drops the session during the third epoch
        if isinstance(event, TrainProgress) and event.epoch > 2.5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        make_bot(_short_config(tmp_path / "cut", checkpoint_minutes=0), on_event=disconnect)
    assert not (tmp_path / "cut" / "model").exists()  # never a half-written model folder
    assert list((tmp_path / "cut" / "checkpoints").glob("checkpoint-*"))
    # and a second Ctrl-C (or kill -9) while the next checkpoint was being saved: it has no state yet
    (tmp_path / "cut" / "checkpoints" / "checkpoint-9999").mkdir()
    (tmp_path / "cut" / "checkpoints" / "checkpoint-9998").mkdir()
    (tmp_path / "cut" / "checkpoints" / "checkpoint-9998" / "trainer_state.json").write_text('{"global_st')

    resumed = make_bot(_short_config(tmp_path / "cut", resume=True))
    assert resumed.metrics["resumed_from_step"] > 0
    assert resumed.metrics["steps"] == whole.metrics["steps"]
    assert resumed.metrics["eval_loss_after"] == pytest.approx(whole.metrics["eval_loss_after"], rel=1e-3)


def test_lora_trains_adapters_and_exports_a_plain_folder(tmp_path) -> None:
    from helpers import TINY
    from safetensors.torch import load_file
    from transformers import pipeline

    from huggingtweets.models import build_scratch_model
    from huggingtweets.sources import fetch_posts

    base = build_scratch_model([p.text for p in fetch_posts("sample").posts], tmp_path / "tiny-base",
                               shape=TINY, seed=0)
    bot = make_bot(BotConfig.of(sources=("sample",), base_model=str(base), out_dir=tmp_path / "lora", epochs=1,
                             num_samples=2, lora=True, lora_rank=4, lora_alpha=8, batch_size=8, block_size=64))
    files = {p.name for p in bot.model_dir.iterdir()}
    assert "adapter_config.json" not in files and "model.safetensors" in files
    weights = load_file(bot.model_dir / "model.safetensors")
    assert not [k for k in weights if "lora" in k]
    before = load_file(base / "model.safetensors")
    key = next(k for k in weights if k.endswith("attn.c_attn.weight"))
    assert not (weights[key] == before[key]).all()  # the adapters were merged into the weights
    out = pipeline("text-generation", model=str(bot.model_dir))("My dream is", num_return_sequences=2)
    assert all(o["generated_text"].startswith("My dream is") for o in out)


def test_only_rank_zero_writes_under_a_multi_process_launch(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RANK", "1")  # what torchrun / accelerate launch set in a second process
    data = prepare_data(BotConfig.of(sources=("sample",), out_dir=tmp_path / "bot"))
    assert data.splits.train and not (tmp_path / "bot").exists()
    monkeypatch.setenv("RANK", "0")
    prepare_data(BotConfig.of(sources=("sample",), out_dir=tmp_path / "bot"))
    assert (tmp_path / "bot" / "data" / "stats.json").is_file()


@pytest.mark.parametrize("lora", [False, True], ids=["full", "lora"])
def test_a_llama_family_base_trains_samples_and_exports(tmp_path, lora) -> None:
    """Any causal LM, not only GPT-2 (SmolLM, Qwen, ... are Llama-shaped): grouped-query
    attention, no pad token in its tokenizer, nn.Linear layers, LoRA's default targets."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM, pipeline

    from huggingtweets.config import ScratchShape
    from huggingtweets.models import build_scratch_model
    from huggingtweets.sources import fetch_posts

    texts = [p.text for p in fetch_posts("sample").posts]
    build_scratch_model(texts, tmp_path / "bpe", shape=ScratchShape(n_layer=1, n_embd=32, n_head=2, vocab_size=500),
                        seed=0)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "bpe")
    tokenizer.pad_token = None  # as Llama-family tokenizers ship
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(tmp_path / "llama")
    tokenizer.save_pretrained(tmp_path / "llama")

    bot = make_bot(BotConfig.of(sources=("sample",), base_model=str(tmp_path / "llama"), out_dir=tmp_path / "bot",
                             epochs=1, num_samples=3, lora=lora, lora_rank=4, lora_alpha=8, block_size=64))
    m = bot.metrics
    assert m["perplexity_after"] < m["perplexity_before"]
    assert len(bot.samples) == 3 and all(s.text for s in bot.samples)
    assert m["sampling_precision"] == ("fp32" if lora else "int8")  # int8 on a CPU, LoRA layers aside
    out = pipeline("text-generation", model=str(bot.model_dir))("Kevin", max_new_tokens=5)
    assert out[0]["generated_text"].startswith("Kevin")


@pytest.mark.parametrize("handle", ["x/../../../../ESC", "../../evil", "/etc/cron.d/x", "..", ".hidden",
                                    "a\\..\\..\\b", "dot\x00null"])
def test_no_name_from_input_places_a_file_outside_the_bot_folder(tmp_path, monkeypatch, handle) -> None:
    """The author column of a file (an archive's username, a server's account name) names files:
    whatever it says, every file lands inside the bot's folder, and the default folder inside bots/."""
    import csv

    from huggingtweets._io import safe_name

    work = tmp_path / "a" / "b" / "c" / "d"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    with open(work / "posts.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["username", "text"])
        writer.writerows([handle, f"Post {i}: the ferry is late again and Kevin is on the roof. " + "x" * 90]
                         for i in range(80))
    before = {p for p in tmp_path.rglob("*")}
    for out in (work / "o", None):  # --out given, and the default bots/<name>
        data = prepare_data(BotConfig.of(sources=("posts.csv",), out_dir=out))
        folder = (work / "o") if out else (work / "bots")
        assert data.out_dir.resolve().is_relative_to(folder.resolve())
    made = {p for p in tmp_path.rglob("*")} - before
    assert made and all(p.resolve().is_relative_to((work / "o").resolve()) or
                        p.resolve().is_relative_to((work / "bots").resolve()) for p in made), sorted(made)
    name = safe_name(handle)
    assert "/" not in name and "\\" not in name and not name.startswith(".") and "\x00" not in name


def test_a_folder_holding_someone_elses_files_is_refused_and_kept(tmp_path) -> None:
    from huggingtweets.errors import ConfigError

    theirs = tmp_path / "work"
    (theirs / "model").mkdir(parents=True)
    (theirs / "model" / "thesis.tex").write_text("four years of it")
    (theirs / "checkpoints").mkdir()
    with pytest.raises(ConfigError, match="already holds files that huggingtweets did not write"):
        prepare_data(BotConfig.of(sources=("sample",), out_dir=theirs))
    assert (theirs / "model" / "thesis.tex").read_text() == "four years of it"
    assert sorted(p.name for p in theirs.iterdir()) == ["checkpoints", "model"]

    ours = tmp_path / "bot"
    prepare_data(BotConfig.of(sources=("sample",), out_dir=ours))
    prepare_data(BotConfig.of(sources=("sample",), out_dir=ours))  # a bot folder is made again freely
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        prepare_data(BotConfig.of(sources=("sample",), out_dir=tmp_path / "a_file"))
    with pytest.raises(ConfigError, match="can't write to"):
        prepare_data(BotConfig.of(sources=("sample",), out_dir=tmp_path / "a_file" / "under"))


def test_one_long_post_is_one_line_not_a_trainer_traceback(tmp_path) -> None:
    from huggingtweets.errors import DataError

    (tmp_path / "one.txt").write_text("Kevin " + "and the gulls on the harbour wall " * 240 + "\n")
    with pytest.raises(DataError, match="at least 2 are needed"):
        prepare_data(BotConfig.of(sources=(str(tmp_path / "one.txt"),), out_dir=tmp_path / "bot"))


def test_a_bot_made_earlier_is_never_replaced_silently(tmp_path) -> None:
    from huggingtweets.errors import ConfigError, error_line
    from huggingtweets.events import Notice

    out = tmp_path / "bots" / "gullhaven_dot"
    prepare_data(BotConfig.of(sources=("sample",), out_dir=out))
    (out / "model").mkdir()
    (out / "model" / "config.json").write_text("{}")  # a finished bot, as export leaves it
    with pytest.raises(ConfigError, match=r"already holds a bot, made 20.*Pass if_bot_exists=\"replace\" to replace "
                                          r"it, or another out_dir") as caught:  # a library call: its parameters
        prepare_data(BotConfig.of(sources=("sample",), out_dir=out))
    assert error_line(caught.value).endswith("Pass --overwrite to replace it, or --out another folder.")  # the CLI's
    assert (out / "model" / "config.json").read_text() == "{}"

    events: list = []
    moved = prepare_data(BotConfig.of(sources=("sample",), out_dir=out, if_bot_exists="new"), events.append)
    assert moved.out_dir == out.with_name("gullhaven_dot-2") and (moved.out_dir / "data" / "train.jsonl").is_file()
    assert any(isinstance(e, Notice) and "is kept: this one goes to" in e.message for e in events)
    assert (out / "model" / "config.json").read_text() == "{}"

    replaced = prepare_data(BotConfig.of(sources=("sample",), out_dir=out, if_bot_exists="replace"))
    assert replaced.out_dir == out
