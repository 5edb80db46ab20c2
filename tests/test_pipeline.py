"""One real run of every stage on the persona with a tiny scratch model, checked on disk."""

from __future__ import annotations

import json
import zipfile

import pytest

from huggingtweets.config import BotConfig
from huggingtweets.events import StageFinished, StageStarted, TrainProgress
from huggingtweets.pipeline import make_bot


@pytest.fixture(scope="module")
def bot_run(tmp_path_factory):
    from conftest import TINY

    out = tmp_path_factory.mktemp("bot")
    events = []
    config = BotConfig(sources=("sample",), base_model="scratch", out_dir=out, epochs=3,
                       num_samples=4, scratch=TINY, batch_size=8, block_size=64)
    return make_bot(config, on_event=events.append), events


def test_writes_every_file_the_design_lists(bot_run) -> None:
    bot, _ = bot_run
    out = bot.out_dir
    for rel in ("raw/sample-gullhaven_dot.jsonl", "data/stats.json", "data/train.jsonl",
                "data/validation.jsonl", "samples.jsonl", "metrics.json", "gullhaven_dot.zip",
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
    assert started == ["fetch", "clean", "dataset", "base", "train", "generate", "export"]
    progress = [e for e in events if isinstance(e, TrainProgress)]
    assert progress[-1].step == progress[-1].total_steps
    assert any("eval_loss" in e.metrics for e in progress)
    clean = next(e for e in events if isinstance(e, StageFinished) and e.stage == "clean")
    assert "Posts kept" in clean.message


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
    expected = {"do_sample": True, "min_length": 10, "max_length": 160, "temperature": 1.0, "top_p": 0.95}
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
