"""W&B tracking with the real wandb library in offline mode, checked in the run files on disk."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from huggingtweets.config import BotConfig
from huggingtweets.events import Notice
from huggingtweets.pipeline import make_bot
from huggingtweets.tracking import wandb_mode

wandb = pytest.importorskip("wandb", reason="wandb is a dependency of huggingtweets; install it")


def read_records(path: Path):
    """The records of an offline run's .wandb file (a LevelDB-style log of protobuf records)."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path} is not a W&B transaction log"
    pos, block, pending = 7, 32 * 1024, b""
    while pos + 7 <= len(data):
        left = block - pos % block
        if left < 7:  # block trailer
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if length == 0 and kind == 0:
            pos += left
            continue
        pending += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):  # a full record, or the last piece of one
            record = pb.Record()
            record.ParseFromString(pending)
            pending = b""
            yield record


def offline_runs(out: Path) -> dict[str, dict]:
    """job_type → {"name", "artifacts": {name: (type, [paths])}, "config": {...}, "history": [...]}"""
    runs = {}
    for log in sorted(out.glob("wandb/offline-run-*/run-*.wandb")):
        run: dict = {"artifacts": {}, "config": {}, "history": []}
        for r in read_records(log):
            kind = r.WhichOneof("record_type")
            if kind == "run":
                run["name"], run["job_type"], run["group"] = r.run.display_name, r.run.job_type, r.run.run_group
                run["config"].update({item.key: json.loads(item.value_json) for item in r.run.config.update})
            elif kind == "config":
                run["config"].update({item.key: json.loads(item.value_json) for item in r.config.update})
            elif kind == "artifact":
                run["artifacts"][r.artifact.name] = (r.artifact.type, [e.path for e in r.artifact.manifest.contents])
            elif kind == "history":
                row: dict = {}
                for item in r.history.item:  # ("samples", "nrows") → row["samples"]["nrows"]
                    *parents, leaf = [item.key] if item.key else list(item.nested_key)
                    node = row
                    for parent in parents:
                        node = node.setdefault(parent, {})
                    node[leaf] = json.loads(item.value_json)
                run["history"].append(row)
        runs[run["job_type"]] = run
    return runs


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    from helpers import TINY

    out = tmp_path_factory.mktemp("tracked")
    events = []
    config = BotConfig.of(sources=("sample",), base_model="scratch", out_dir=out, epochs=2, num_samples=3,
                       scratch=TINY, batch_size=8, block_size=64, wandb="offline", prompt="Kevin")
    bot = make_bot(config, on_event=events.append)
    return bot, offline_runs(out), events


def test_a_preprocess_and_a_train_run_are_written(tracked) -> None:
    _, runs, _ = tracked
    assert set(runs) == {"preprocess", "train"}
    assert runs["preprocess"]["name"] == "@gullhaven_dot-preprocess"
    assert runs["train"]["name"] == "@gullhaven_dot-train"
    assert runs["preprocess"]["group"] == runs["train"]["group"] == "gullhaven_dot"


def test_the_data_is_logged_as_raw_and_train_dataset_artifacts(tracked) -> None:
    _, runs, _ = tracked
    artifacts = runs["preprocess"]["artifacts"]
    kind, files = artifacts["raw-dataset-gullhaven_dot"]
    assert kind == "raw-dataset" and files == ["sample-gullhaven_dot.jsonl"]
    kind, files = artifacts["train-dataset-gullhaven_dot"]
    assert kind == "train-dataset"
    assert {"train.jsonl", "validation.jsonl", "stats.json", "split.json"} <= set(files)
    assert runs["preprocess"]["config"]["handles"] == ["gullhaven_dot"]
    assert runs["preprocess"]["config"]["seed"] == 42


def test_the_train_run_records_every_config_and_both_models(tracked) -> None:
    _, runs, _ = tracked
    train = runs["train"]
    config = train["config"]
    assert config["bot"]["train"]["base_model"] == "scratch" and config["bot"]["train"]["epochs"] == 2
    assert config["model"]["n_layer"] == 2 and config["model"]["n_embd"] == 32
    assert config["training_args"]["lr_scheduler_type"] == "cosine"
    assert config["training_args"]["per_device_train_batch_size"] == 8
    assert config["dataset_artifact"] == "train-dataset-gullhaven_dot"
    assert train["artifacts"]["pretrained-model-scratch"][0] == "pretrained-model"
    kind, files = train["artifacts"]["finetuned-model-gullhaven_dot"]
    assert kind == "finetuned-model"
    assert {"model.safetensors", "config.json", "tokenizer.json", "README.md"} <= set(files)


def test_metrics_stream_into_the_train_run(tracked) -> None:
    _, runs, _ = tracked
    history = runs["train"]["history"]
    losses = [row["train/loss"] for row in history if "train/loss" in row]
    perplexities = [row["eval/perplexity"] for row in history if "eval/perplexity" in row]
    assert len(losses) >= 4 and len(perplexities) == 2  # every step, and every epoch
    assert losses[-1] < losses[0]


def test_samples_are_a_table_with_the_copy_flag(tracked) -> None:
    bot, runs, _ = tracked
    rows = [row["samples"] for row in runs["train"]["history"] if "samples" in row]
    assert len(rows) == 1 and rows[0]["_type"] == "table-file" and rows[0]["nrows"] == 3
    table_file = next(bot.out_dir.glob(f"wandb/offline-run-*/files/{rows[0]['path']}"))
    table = json.loads(table_file.read_text())
    assert table["columns"] == ["Input", "Prediction", "Copy"]
    assert [row[1] for row in table["data"]] == [s.text for s in bot.samples]
    assert all(row[0] == "Kevin" and isinstance(row[2], bool) for row in table["data"])


def test_offline_runs_say_how_to_upload_them_and_leave_no_card_links(tracked) -> None:
    bot, _, events = tracked
    notes = [e.message for e in events if isinstance(e, Notice)]
    assert sum("wandb sync" in n for n in notes) == 2
    card = (bot.model_dir / "README.md").read_text()
    assert "wandb.ai" not in card and "## Weights & Biases" not in card


def test_disabled_tracking_writes_no_wandb_folder(tmp_path) -> None:
    from helpers import TINY

    config = BotConfig.of(sources=("sample",), base_model="scratch", out_dir=tmp_path, epochs=1, num_samples=1,
                       scratch=TINY, batch_size=8, block_size=64, wandb="disabled")
    make_bot(config)
    assert not (tmp_path / "wandb").exists()


def test_a_wandb_failure_costs_the_tracking_not_the_bot(tmp_path, monkeypatch) -> None:
    from helpers import TINY

    def refuse(*args, **kwargs):
        raise RuntimeError("api.wandb.ai unreachable")

    monkeypatch.setattr(wandb, "init", refuse)
    events = []
    config = BotConfig.of(sources=("sample",), base_model="scratch", out_dir=tmp_path, epochs=1, num_samples=1,
                       scratch=TINY, batch_size=8, block_size=64, wandb="online")
    bot = make_bot(config, on_event=events.append)
    assert bot.zip_path.is_file()
    notes = [e.message for e in events if isinstance(e, Notice)]
    assert any("W&B tracking stopped" in n and "unreachable" in n for n in notes)


def test_the_default_mode_follows_the_login(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_DISABLED", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.netrc
    assert wandb_mode(None) == "offline"
    (tmp_path / ".netrc").write_text("machine api.wandb.ai\n  login user\n  password not-a-real-key\n")
    (tmp_path / ".netrc").chmod(0o600)
    assert wandb_mode(None) == "online"
    monkeypatch.setenv("WANDB_MODE", "dryrun")
    assert wandb_mode(None) == "offline"
    assert wandb_mode("disabled") == "disabled"  # the flag wins


def test_a_bad_mode_names_the_flag() -> None:
    from huggingtweets.errors import ConfigError, error_line

    with pytest.raises(ConfigError, match="wandb must be online, offline or disabled") as caught:
        BotConfig.of(sources=("sample",), wandb="sometimes")
    assert error_line(caught.value).startswith("Error: --wandb must be online, offline or disabled")


def test_a_continued_bot_chains_its_model_artifact(tmp_path) -> None:
    from helpers import TINY
    from test_continued import _csv

    from huggingtweets.sources import load_sample

    posts = sorted(load_sample()[0], key=lambda p: p.created_at)
    common = dict(num_samples=2, scratch=TINY, batch_size=8, block_size=64)
    make_bot(BotConfig.of(sources=(_csv(tmp_path / "then" / "dot.csv", posts[:500]),), base_model="scratch",
                          out_dir=tmp_path / "dot", epochs=2, wandb="disabled", **common))
    make_bot(BotConfig.of(sources=(_csv(tmp_path / "now" / "dot.csv", posts),), continue_from=str(tmp_path / "dot"),
                          wandb="offline", **common))
    runs = offline_runs(tmp_path / "dot")
    train = runs["train"]
    # the base it comes from is the first version's, not the default ("gpt2") its config was given
    assert train["config"]["bot"]["train"]["base_model"] == "scratch" == runs["preprocess"]["config"]["bot"]["train"]["base_model"]
    # its input is the bot's last version (offline, named: wandb can't mark an input artifact offline)
    assert train["config"]["continued_from"] == "finetuned-model-dot:latest"
    assert not [name for name in train["artifacts"] if name.startswith("pretrained-model")]
    assert train["artifacts"]["finetuned-model-dot"][0] == "finetuned-model"  # ... and its output the next version
