"""Continued training: a finished bot learns the posts written since, without forgetting the old."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from huggingtweets.bot_folder import BotFolder
from huggingtweets.config import BotConfig
from huggingtweets.errors import ConfigError, DataError
from huggingtweets.pipeline import make_bot
from huggingtweets.sources import load_sample

CUT = 0.8  # the first bot learns the oldest 80% of the posts; the update, the rest


def _csv(path, posts) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "created_at"])
        writer.writerows([p.id, p.text, p.created_at.isoformat()] for p in posts)
    return str(path)


def _config(source: str, out, **kw) -> BotConfig:
    from helpers import TINY

    return BotConfig.of(sources=(source,), out_dir=out, num_samples=2, batch_size=8, block_size=64, scratch=TINY,
                        **kw)


@pytest.fixture(scope="module")
def continued(tmp_path_factory):
    """A scratch bot made from the older posts, then continued with the whole file: (first, second, posts)."""
    tmp = tmp_path_factory.mktemp("continued")
    posts = sorted(load_sample()[0], key=lambda p: p.created_at)
    old = posts[: int(len(posts) * CUT)]
    bot = tmp / "bots" / "dot"
    make_bot(_config(_csv(tmp / "then" / "dot.csv", old), bot, base_model="scratch", epochs=6))
    first_metrics = json.loads((bot / "metrics.json").read_text())
    first_metrics["learned"] = BotFolder(bot).learned_texts()  # what version 1 learned, before the update
    second = make_bot(_config(_csv(tmp / "now" / "dot.csv", posts), None, continue_from=str(bot)))
    return first_metrics, second, posts, old


def test_the_update_learns_only_the_newer_posts_with_a_replay_of_the_old(continued) -> None:
    first, second, posts, old = continued
    update = second.metrics["update"]
    newer = len(posts) - len(old)
    assert 0 < update["new_posts"] <= newer  # cleaning may drop a few; none of the old ones come back
    assert update["replayed_posts"] > 0 and update["version"] == 2
    assert second.out_dir == Path(first["config"]["out_dir"])  # updated in its own folder
    train = [json.loads(line)["text"] for line in (second.out_dir / "data" / "train.jsonl").read_text().splitlines()]
    old_texts = {p.text for p in old}
    assert any(t in old_texts for t in train) and any(t not in old_texts for t in train)  # old and new, for the next one
    raw = [json.loads(line) for line in next((second.out_dir / "raw").glob("file-*.jsonl")).read_text().splitlines()]
    assert len(raw) == len(posts)  # raw/ keeps everything read, once


def test_samples_are_checked_against_every_post_any_version_learned(continued) -> None:
    from huggingtweets.generate import CopyDetector
    from huggingtweets.notebook import App, AppState

    first, second, _, _ = continued
    learned = BotFolder(second.out_dir).learned_texts()
    assert learned and set(first["learned"]) < set(learned)  # version 1's posts, not only this update's replay
    from huggingtweets import pipeline

    app = App(AppState())
    app.state.bot = second
    app.state.data = pipeline.PreparedData(second.out_dir, "dot", [], [], {}, pipeline.Splits([], [], {}, 42, {}))
    _, _, copies = app._loaded()  # the notebook's Generate button
    assert isinstance(copies, CopyDetector) and set(first["learned"]) <= set(copies.texts)


def test_it_does_not_forget_the_old_posts(continued) -> None:
    _, second, _, _ = continued
    update = second.metrics["update"]
    assert update["old_validation_perplexity_after"] <= 1.10 * update["old_validation_perplexity_before"]
    assert update["forgetting"] == pytest.approx(update["old_validation_perplexity_after"]
                                                 / update["old_validation_perplexity_before"])


def test_the_lineage_is_in_the_metrics_and_the_card(continued) -> None:
    first, second, posts, old = continued
    lineage = json.loads((second.out_dir / "metrics.json").read_text())["lineage"]
    assert [v["version"] for v in lineage] == [1, 2]
    assert lineage[0] == first["lineage"][0] and lineage[0]["base_model"] == "scratch"
    assert lineage[0]["last_post"] == old[-1].created_at.isoformat()
    assert lineage[1]["last_post"] == posts[-1].created_at.isoformat()
    card = (second.model_dir / "README.md").read_text()
    assert "## Updates" in card and f"| 2 | {lineage[1]['made'][:10]} | {lineage[1]['new_posts']:,} new posts" in card
    assert "random initial weights" in card  # still described from its first base, not from its own folder


def test_the_version_it_replaced_is_kept_and_still_writes(continued) -> None:
    from huggingtweets.generate import sample_posts
    from huggingtweets.models import load_model

    _, second, _, _ = continued
    kept = BotFolder(second.out_dir).version_dir(1)
    assert "## Updates" not in (kept / "model" / "README.md").read_text()  # version 1's own card
    assert len(json.loads((kept / "metrics.json").read_text()).get("lineage", [{}])) == 1
    model, tokenizer = load_model(str(kept / "model"))
    assert len(sample_posts(model, tokenizer, n=2, seed=1).texts) == 2


@pytest.mark.parametrize("option, says", [
    ({"out_dir": "elsewhere"}, "continue_from updates the bot in its own folder, where its earlier versions are, so "
                               "out_dir can't be used with it"),
    ({"base_model": "distilgpt2"}, "continue_from trains the bot's own model further, so base_model can't be used"),
])
def test_options_an_update_cannot_follow_are_refused_not_ignored(tmp_path, option, says) -> None:
    from huggingtweets.errors import error_line

    with pytest.raises(ConfigError, match=says) as caught:
        BotConfig.of(sources=("sample",), continue_from=str(tmp_path / "bots" / "dot"), **option)
    cli = error_line(caught.value)
    assert cli.startswith("Error: --continue ") and ("--out" in cli or "--base-model" in cli)


def test_another_person_s_posts_are_refused_before_anything_is_written(continued, tmp_path) -> None:
    _, second, posts, _ = continued
    before = sorted(p.name for p in second.out_dir.rglob("*"))
    with pytest.raises(ConfigError, match=r"learned the posts of @dot, and .*other.csv holds @other's") as caught:
        make_bot(_config(_csv(tmp_path / "other.csv", posts), None, continue_from=str(second.out_dir)))
    assert "--name dot" in str(caught.value.fix)
    assert sorted(p.name for p in second.out_dir.rglob("*")) == before


def test_with_nothing_new_there_is_nothing_to_continue(continued, tmp_path) -> None:
    _, second, posts, _ = continued
    with pytest.raises(DataError, match="no posts newer than the ones the bot has learned from"):
        make_bot(_config(_csv(tmp_path / "dot.csv", posts), None, continue_from=str(second.out_dir)))


def test_continuing_a_folder_without_a_bot_is_one_line(tmp_path) -> None:
    with pytest.raises(ConfigError, match="holds no finished bot"):
        make_bot(_config("sample", None, continue_from=str(tmp_path / "nothing")))


def test_an_update_that_fails_leaves_the_bot_as_it_was_and_its_posts_new(tmp_path, monkeypatch) -> None:
    """Ctrl-C, a divergence, kill -9: the update's posts must not count as learned. Its raw/ and
    data/ go into place only once it has succeeded; the same command then tries again."""
    from huggingtweets import pipeline
    from huggingtweets.errors import TrainingError

    posts = sorted(load_sample()[0], key=lambda p: p.created_at)
    bot = tmp_path / "bots" / "dot"
    make_bot(_config(_csv(tmp_path / "then" / "dot.csv", posts[: int(len(posts) * CUT)]), bot, base_model="scratch",
                     epochs=1))
    before = {p.relative_to(bot): p.read_bytes() for p in sorted(bot.rglob("*")) if p.is_file()}
    now = _csv(tmp_path / "now" / "dot.csv", posts)

    def diverges(*args, **kwargs):
        raise TrainingError("training diverged: the training loss became nan. Lower --learning-rate")

    monkeypatch.setattr(pipeline, "train_model", diverges)
    with pytest.raises(TrainingError):
        make_bot(_config(now, None, continue_from=str(bot)))
    after = {p.relative_to(bot): p.read_bytes() for p in sorted(bot.rglob("*")) if p.is_file()}
    assert {k: v for k, v in after.items() if k.parts[0] != "update" and k.name != ".huggingtweets.lock"} == {
        k: v for k, v in before.items() if k.name != ".huggingtweets.lock"}  # raw/, data/ (stats too), model/: as they were

    monkeypatch.undo()
    events = []
    second = make_bot(_config(now, None, continue_from=str(bot)), on_event=events.append)
    assert second.metrics["update"]["new_posts"] > 0 and not (bot / "update").exists()
    assert any("posts newer than the bot's newest" in getattr(e, "message", "") and not
               getattr(e, "message", "").startswith("@gullhaven_dot: 0 ") for e in events)


def test_the_demo_persona_s_bot_can_be_updated_offline(tmp_path) -> None:
    """Her newest 40 posts are held back from `sample`: a continued demo bot reads them as the
    posts she made since, with no network."""
    held_back = load_sample(newest=True)[0][len(load_sample()[0]):]
    assert len(held_back) == 40 and min(p.created_at for p in held_back) > max(p.created_at for p in load_sample()[0])
    first = make_bot(_config("sample", tmp_path / "dot", base_model="scratch", epochs=1))
    assert not {p.text for p in held_back} & set(BotFolder(first.out_dir).learned_texts())
    make_bot(_config("sample", None, continue_from=str(first.out_dir)))
    lineage = json.loads((first.out_dir / "metrics.json").read_text())["lineage"]
    assert [v["new_posts"] for v in lineage[1:]] == [40]
    assert {p.text for p in held_back} <= set(BotFolder(first.out_dir).learned_texts())
