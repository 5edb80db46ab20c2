"""The bot folder: where each thing a bot is made of lives, and what a later command reads back."""

from __future__ import annotations

import json

import pytest

from huggingtweets.bot_folder import MARKER, BotFolder
from huggingtweets.errors import ConfigError, error_line


def _finished(folder: BotFolder, *, train=("an old post",), validation=("a newer post",), metrics=None) -> BotFolder:
    """A bot folder as `train` leaves it (a model config stands in for the model)."""
    folder.claim()
    folder.model_dir.mkdir()
    (folder.model_dir / "config.json").write_text("{}")
    folder.data_dir.mkdir()
    folder.train_path.write_text("".join(json.dumps({"handle": "dot", "text": t}) + "\n" for t in train))
    folder.validation_path.write_text("".join(json.dumps({"handle": "dot", "text": t}) + "\n" for t in validation))
    folder.metrics_path.write_text(json.dumps(metrics or {"base_model": "gpt2", "made": "2026-11-01"}))
    return folder


UPDATE = {"version": 2, "base_model": "the previous version", "new_posts": 40, "replayed_posts": 80,
          "old_validation_perplexity_before": 30.5, "old_validation_perplexity_after": 31.0, "forgetting": 1.02}


def test_a_bot_is_found_from_its_folder_or_its_model_folder_and_nowhere_else(tmp_path) -> None:
    bot = _finished(BotFolder(tmp_path / "bots" / "dot"))
    assert BotFolder.holding(bot.path) == bot and BotFolder.holding(bot.model_dir) == bot
    assert BotFolder.model_path(bot.path) == bot.model_dir and BotFolder.model_path(bot.model_dir) == bot.model_dir
    other = tmp_path / "downloaded"  # a model folder of another making: used as it is, no bot around it
    other.mkdir()
    (other / "config.json").write_text("{}")
    assert BotFolder.holding(other) is None and BotFolder.model_path(other) == other
    assert BotFolder.holding(bot.data_dir) is None
    assert BotFolder.model_path("gpt2").name == "gpt2"  # a hub id passes through


def test_it_reads_back_what_the_bot_learned_every_version_and_its_first_base(tmp_path) -> None:
    metrics = {"base_model": "bots/dot/model", "lineage": [{"version": 1, "base_model": "gpt2"}, UPDATE]}
    bot = _finished(BotFolder(tmp_path / "dot"), train=("old", "new"), validation=("held out",), metrics=metrics)
    assert bot.learned_texts() == ["old", "new", "held out"]  # validation too: training ends with passes over it
    assert bot.original_base() == "gpt2"
    finished = bot.read()
    assert finished.original_base == "gpt2" and [v["version"] for v in finished.lineage] == [1, 2]
    assert BotFolder(tmp_path / "elsewhere").learned_texts() is None  # nothing learned to check against
    assert BotFolder(tmp_path / "elsewhere").original_base() is None


def test_raw_posts_skip_an_unfinished_download(tmp_path) -> None:
    bot = _finished(BotFolder(tmp_path / "dot"))
    bot.raw_dir.mkdir()
    post = {"id": "1", "text": "a whole post", "handle": "dot", "source": "mastodon", "created_at": "2026-11-01T10:00:00+00:00"}
    bot.raw_file("mastodon", "dot").write_text(json.dumps(post) + "\n")
    (bot.raw_dir / "bluesky-dot.partial.jsonl").write_text(json.dumps({**post, "source": "bluesky"}) + "\n")
    assert [p.name for p in bot.raw_files()] == ["mastodon-dot.jsonl"]
    assert list(bot.read().raw) == [("mastodon", "dot")]
    assert bot.raw_file("x", "../../etc").parent == bot.raw_dir  # a handle can't climb out of raw/


def test_a_damaged_or_unfinished_bot_is_one_line_in_each_door(tmp_path) -> None:
    bot = _finished(BotFolder(tmp_path / "dot"))
    bot.train_path.write_text('{"text": "fine"}\n{"text": "cut of')
    with pytest.raises(ConfigError, match="train.jsonl is damaged") as caught:
        bot.learned_texts()
    assert len(error_line(caught.value).splitlines()) == 1
    with pytest.raises(ConfigError, match="is damaged .* so it can't be continued"):
        bot.read()
    bot.metrics_path.unlink()
    with pytest.raises(ConfigError) as caught:
        bot.read()
    assert "metrics.json is missing" in str(caught.value)
    assert error_line(caught.value).endswith("Pass --continue with a bot's folder, such as bots/<name>.")
    assert error_line(caught.value, "notebook").endswith("Train a bot first, then continue it.")
    assert "continue_from=" in str(caught.value)  # a library call names its parameter, not the CLI's flag


def test_claiming_a_folder_marks_it_and_refuses_a_user_s_own_files(tmp_path) -> None:
    fresh = BotFolder(tmp_path / "new")
    fresh.claim()
    assert (fresh.path / MARKER).is_file()
    fresh.claim()  # its own folder, claimed again
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="holds files that huggingtweets did not write"):
        BotFolder(theirs).claim()
    made = _finished(BotFolder(tmp_path / "made"))
    with pytest.raises(ConfigError, match="already holds a bot") as caught:
        made.claim()
    assert "--overwrite" in error_line(caught.value) and "if_bot_exists=" in str(caught.value)
    made.claim(replace_bot=True)


def test_an_out_folder_whose_name_is_too_long_is_one_line(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"can't write to .* \(File name too long\)"):
        BotFolder(tmp_path / ("a" * 300)).claim()


def test_a_bot_is_named_after_its_people_whatever_its_folder_is_called(tmp_path) -> None:
    bot = _finished(BotFolder(tmp_path / "bots" / "gullhaven_dot-2"))  # a second bot of the same person
    assert bot.name() == "gullhaven_dot-2"  # no stats: the folder's name
    (bot.data_dir / "stats.json").write_text(json.dumps({"handles": [{"handle": "gullhaven_dot"}, {"handle": "len"}]}))
    assert bot.handles() == ["gullhaven_dot", "len"] and bot.name() == "gullhaven_dot-len"  # as its zip is named


def test_a_link_out_of_the_bot_folder_is_never_followed(tmp_path) -> None:
    """A zip from someone else unpacks its links: data/ pointing at the user's own folder must not
    get our files, and raw/ posts linked to /dev/zero or a pipe must not fill memory or hang."""
    import os

    bot = _finished(BotFolder(tmp_path / "shared"))
    theirs = tmp_path / "my-documents"
    theirs.mkdir()
    os.rename(bot.data_dir, tmp_path / "old-data")
    bot.data_dir.symlink_to(theirs, target_is_directory=True)
    with pytest.raises(ConfigError, match="data is a link") as caught:
        bot.claim(replace_bot=True)
    assert len(error_line(caught.value).splitlines()) == 1 and list(theirs.iterdir()) == []

    bot.data_dir.unlink()
    os.rename(tmp_path / "old-data", bot.data_dir)
    bot.raw_dir.mkdir()
    bot.raw_file("file", "zero").symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="is damaged .*zero.jsonl is not a plain file"):
        bot.read()
    bot.raw_file("file", "zero").unlink()
    os.mkfifo(bot.raw_file("file", "pipe"))
    with pytest.raises(ConfigError, match="pipe.jsonl is not a plain file"):  # at once, not waiting on a writer
        bot.read()


def test_two_runs_into_one_folder_the_second_is_refused_until_the_first_ends(tmp_path) -> None:
    import subprocess
    import sys

    from huggingtweets.bot_folder import release_folders

    folder = BotFolder(tmp_path / "dot")
    other_run = [sys.executable, "-c", "import sys; from huggingtweets.bot_folder import BotFolder; "
                 "from huggingtweets.errors import ConfigError, error_line\n"
                 "try: BotFolder(sys.argv[1]).claim()\nexcept ConfigError as e: sys.exit(error_line(e))", str(folder.path)]
    folder.claim()
    try:
        refused = subprocess.run(other_run, capture_output=True, text=True)
        assert refused.returncode == 1
        assert refused.stderr.strip() == (f"Error: another huggingtweets run is making a bot in {folder.path} right "
                                          "now. Let it finish (or stop it), or pass --out another folder.")
        folder.claim()  # this run's own folder, claimed again by it
    finally:
        release_folders()
    assert subprocess.run(other_run, capture_output=True, text=True).returncode == 0  # the first run is over


@pytest.mark.parametrize("metrics", [
    "[]", "null", '"figures"', '{"lineage": 5}', '{"lineage": [5]}', '{"lineage": []}', '{"lineage": NaN}',
    '{"lineage": [{"version": 1, "base_model": 3}]}', '{"lineage": [{"version": 1, "last_post": ["2026"]}]}',
    '{"lineage": [{"version": 1}, {"version": 2}]}',  # an update's figures missing
    '{"lineage": [{"version": 1}, {"version": 2, "new_posts": "40"}]}',
    '{"made": 7}',  # no lineage: the first version is made from these figures
    "[" * 100_000,  # nested past Python's stack
])
def test_a_tampered_metrics_json_is_one_line_not_a_traceback_after_training(tmp_path, metrics) -> None:
    bot = _finished(BotFolder(tmp_path / "dot"))
    bot.metrics_path.write_text(metrics)
    with pytest.raises(ConfigError) as caught:
        bot.read()
    line = error_line(caught.value)
    assert line.startswith(f"Error: {bot.path} is damaged (") and "so it can't be continued" in line
    assert len(line.splitlines()) == 1


def test_a_metrics_json_as_train_writes_it_reads(tmp_path) -> None:
    lineage = [{"version": 1, "made": "2026-11-01T10:00:00+00:00", "base_model": "gpt2", "train_posts": 474,
                "last_post": "2025-12-27T07:33:11+00:00", "perplexity": 31.2}, {**UPDATE, "perplexity": float("inf")}]
    bot = _finished(BotFolder(tmp_path / "dot"), metrics={"base_model": "gpt2", "lineage": lineage})
    assert bot.read().lineage[1]["new_posts"] == 40
    assert len(_finished(BotFolder(tmp_path / "old")).read().lineage) == 1  # written before lineage was kept


@pytest.mark.parametrize("change", [{"text": ["a", "b"]}, {"handle": None}, {"created_at": 20260101},
                                    {"created_at": "yesterday"}, {"urls": "https://x"}])
def test_a_raw_post_it_could_not_have_written_is_one_line(tmp_path, change) -> None:
    bot = _finished(BotFolder(tmp_path / "dot"))
    bot.raw_dir.mkdir()
    post = {"id": "1", "text": "a post", "handle": "dot", "source": "file", "created_at": "2026-11-01T10:00:00+00:00"}
    bot.raw_file("file", "dot").write_text(json.dumps({**post, **change}) + "\n")
    with pytest.raises(ConfigError, match=r"is damaged \(.*\), so it can't be continued"):
        bot.read()


def test_a_raw_post_s_time_without_a_zone_is_utc(tmp_path) -> None:
    bot = _finished(BotFolder(tmp_path / "dot"))
    bot.raw_dir.mkdir()
    rows = [{"id": "1", "text": "naive", "handle": "dot", "source": "file", "created_at": "2026-11-01T10:00:00"},
            {"id": "2", "text": "aware", "handle": "dot", "source": "file", "created_at": "2026-11-02T10:00:00+01:00"}]
    bot.raw_file("file", "dot").write_text("".join(json.dumps(r) + "\n" for r in rows))
    finished = bot.read()
    assert finished.last_post("dot").isoformat() == "2026-11-02T10:00:00+01:00"  # the two compare
    assert finished.raw[("file", "dot")][0].created_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("which, body", [("validation", ""), ("train", '{"text": 5}\n'), ("train", "[1]\n"),
                                         ("validation", '{"handle": 3, "text": "a post"}\n')])
def test_learned_posts_it_could_not_have_written_are_one_line(tmp_path, which, body) -> None:
    bot = _finished(BotFolder(tmp_path / "dot"))
    (bot.data_dir / f"{which}.jsonl").write_text(body)
    with pytest.raises(ConfigError, match=rf"is damaged \(data/{which}.jsonl holds .*\), so it can't be continued"):
        bot.read()


def test_the_version_an_update_replaces_is_kept_with_its_gguf(tmp_path) -> None:
    bot = _finished(BotFolder(tmp_path / "dot"))
    (bot.model_dir / "model.safetensors").write_bytes(b"version one's weights")
    (bot.path / "dot.gguf").write_bytes(b"GGUF of version one")
    (bot.path / "Modelfile").write_text("FROM ./dot.gguf\n")
    kept = bot.keep_version(1, "dot")
    assert kept == bot.path / "versions" / "1"
    assert (kept / "model" / "model.safetensors").read_bytes() == b"version one's weights"
    assert (kept / "dot.gguf").read_bytes() == b"GGUF of version one" and (kept / "Modelfile").is_file()
    assert not (bot.path / "dot.gguf").exists()  # no old GGUF beside the updated model
    assert json.loads((kept / "metrics.json").read_text())["base_model"] == "gpt2"
    (bot.model_dir / "model.safetensors").unlink()  # as the update's export swaps in a new model/
    (bot.model_dir / "model.safetensors").write_bytes(b"version two's weights")
    assert (kept / "model" / "model.safetensors").read_bytes() == b"version one's weights"
    assert bot.keep_version(1, "dot") == kept  # a rerun of a stopped update keeps it again, no error


def test_a_versions_folder_that_is_a_link_is_refused(tmp_path) -> None:
    bot = _finished(BotFolder(tmp_path / "dot"))
    (tmp_path / "elsewhere").mkdir()
    (bot.path / "versions").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ConfigError, match="is a link"):
        bot.keep_version(1, "dot")
    assert not list((tmp_path / "elsewhere").iterdir())


def test_a_bot_copied_without_its_marker_is_still_a_bot_s_folder(tmp_path) -> None:
    bot = _finished(BotFolder(tmp_path / "dot"))
    (bot.path / MARKER).unlink()  # copied by a tool that leaves dotfiles behind
    bot.claim(replace_bot=True)
    assert (bot.path / MARKER).is_file()
    mine = BotFolder(tmp_path / "mine")  # a user's folder with some of those names is not
    mine.path.mkdir()
    (mine.path / "metrics.json").write_text("{}")
    with pytest.raises(ConfigError, match="already holds files that huggingtweets did not write"):
        mine.claim(replace_bot=True)
