"""A bot's folder: what `train` writes there and every later command reads back.

    bots/<name>/
      .huggingtweets                 the marker: huggingtweets wrote here and may replace what it wrote
      raw/<source>-<handle>.jsonl    every post read, as read (an unfinished download: *.partial.jsonl)
      data/                          train.jsonl, validation.jsonl, split.json, stats.json
      model/                         the exported model with its card (README.md) and sampling settings
      metrics.json                   the figures, the base it came from and its versions (lineage)
      samples.jsonl, loss.png, predictions.png, <name>.zip, <name>.gguf, Modelfile
      base/, checkpoints/            only while training (the scratch model's init, resumable steps)
      versions/<N>/                  each version an update replaced: model/, metrics.json, its GGUF

    folder = BotFolder(Path("bots/dot"))
    folder.claim()                        # made and marked, or refused in one line
    bot = folder.read()                   # a finished bot: its posts, what it learned, its versions
    BotFolder.holding(Path("bots/dot/model"))   # a model path's bot folder, or None
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ._io import read_jsonl, safe_name, write_text
from .errors import ConfigError, cause
from .post import Post

MARKER = ".huggingtweets"  # in every bot folder: what this program wrote there, it may replace
METRICS = "metrics.json"
LOCK = ".huggingtweets.lock"  # held (flock) by the run writing the folder: a second run is refused
_HELD: dict[Path, int] = {}  # the bot folders this process's run holds → their lock file's descriptor


def raw_file(folder: Path, source: str, handle: str) -> Path:
    """Where a person's posts from one source are kept, as read: ``folder/<source>-<handle>.jsonl``
    (the handle made safe: a name from input never leaves ``folder``)."""
    return Path(folder) / f"{safe_name(source)}-{safe_name(handle)}.jsonl"


PARTIAL = ".partial.jsonl"  # a download not finished yet: what is in it is never a person's whole posts


def is_partial(path: Path) -> bool:
    return path.name.endswith(PARTIAL)


@dataclass(frozen=True)
class BotFolder:
    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @classmethod
    def holding(cls, model_path: Path | str) -> BotFolder | None:
        """The bot folder a model path belongs to (the folder itself, or its model/), or None for
        a model folder of another making."""
        path = Path(model_path)
        for folder in (cls(path), cls(path.parent)):
            if folder.holds_bot() and path in (folder.path, folder.model_dir):
                return folder
        return None

    @classmethod
    def model_path(cls, path: Path | str) -> Path:
        """The model a command was given: a bot folder's model/, or ``path`` itself."""
        folder = cls(Path(path))
        return folder.model_dir if folder.holds_bot() else Path(path)

    # --- where each thing is ---

    @property
    def model_dir(self) -> Path:
        return self.path / "model"

    @property
    def data_dir(self) -> Path:
        return self.path / "data"

    @property
    def raw_dir(self) -> Path:
        return self.path / "raw"

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def scratch_dir(self) -> Path:
        """The scratch model's random init and the posts' tokenizer, while it trains."""
        return self.path / "base"

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS

    @property
    def train_path(self) -> Path:
        return self.data_dir / "train.jsonl"

    @property
    def validation_path(self) -> Path:
        return self.data_dir / "validation.jsonl"

    @property
    def samples_path(self) -> Path:
        return self.path / "samples.jsonl"

    @property
    def loss_plot(self) -> Path:
        return self.path / "loss.png"

    @property
    def predictions_plot(self) -> Path:
        return self.path / "predictions.png"

    @property
    def update(self) -> BotFolder:
        """An update's staging folder (its raw/ and data/), inside the bot's until it succeeds."""
        return BotFolder(self.path / "update")

    def discard_update(self) -> None:
        """Forget an update that never finished (stopped, failed): its posts are new again."""
        if self._own(self.update.path):
            shutil.rmtree(self.update.path)

    def version_dir(self, version: int) -> Path:
        """Where an earlier version is kept once an update replaces it: versions/<N>/."""
        return self.path / "versions" / str(version)

    def keep_version(self, version: int, gguf_name: str) -> Path:
        """Keep the version an update is about to replace in versions/<N>/: its model/ (hard
        links, so no second copy on disk, where the disk allows them), its metrics.json, and its
        GGUF and Modelfile moved there (they describe it, not the update). Any version can be
        sampled again from there: `huggingtweets generate bots/<name>/versions/<N>/model`."""
        kept = self.version_dir(version)
        self._own(kept.parent)  # a link out of the folder is refused
        if kept.exists():  # an earlier try of this update, stopped after it had kept it
            shutil.rmtree(kept)
        kept.mkdir(parents=True)
        try:
            shutil.copytree(self.model_dir, kept / "model", copy_function=os.link)
        except OSError:  # a file system without hard links
            shutil.rmtree(kept / "model", ignore_errors=True)
            shutil.copytree(self.model_dir, kept / "model")
        shutil.copy2(self.metrics_path, kept / METRICS)
        for name in (f"{gguf_name}.gguf", "Modelfile"):
            if (self.path / name).is_file() and not (self.path / name).is_symlink():
                os.replace(self.path / name, kept / name)
        return kept

    def commit_update(self) -> None:
        """Put a finished update's raw/ and data/ in place of the bot's, file by file (each an
        atomic rename), then remove the staging folder."""
        staged = self.update
        for source, target in ((staged.raw_dir, self.raw_dir), (staged.data_dir, self.data_dir)):
            if not source.is_dir():
                continue
            target.mkdir(parents=True, exist_ok=True)
            for path in sorted(source.iterdir()):
                if path.is_file() and not path.is_symlink():
                    os.replace(path, target / path.name)
        shutil.rmtree(staged.path, ignore_errors=True)

    def raw_file(self, source: str, handle: str) -> Path:
        return raw_file(self.raw_dir, source, handle)

    def zip_path(self, name: str) -> Path:
        return self.path / f"{name}.zip"

    # --- what it holds ---

    def holds_bot(self) -> bool:
        """Whether a finished bot is here (its model folder); a path that can't be looked at holds none."""
        try:
            return (self.model_dir / "config.json").is_file()
        except OSError:  # a name too long: claim() says so
            return False

    def claim(self, *, replace_bot: bool = False) -> None:
        """Make this a bot's folder (created, and marked), or refuse it with one line when it
        already holds files this program did not write there: making a bot replaces its base/,
        checkpoints/, model/ and data/, and a user's own files must never go that way. A bot made
        earlier is refused too, unless ``replace_bot``."""
        folder = self.path
        if not replace_bot and self.holds_bot():
            made = datetime.fromtimestamp((self.model_dir / "config.json").stat().st_mtime).strftime("%Y-%m-%d %H:%M")
            raise ConfigError(f"{folder} already holds a bot, made {made}",
                              fix="Pass --overwrite to replace it, or --out another folder",
                              notebook_fix="Move that folder away, then press the button again",
                              library_fix="Pass if_bot_exists=\"replace\" to replace it, or another out_dir")
        try:
            if folder.exists() and not folder.is_dir():
                raise ConfigError(f"the bot's folder {folder} is a file", fix="Pass --out with a new or empty folder",
                                  notebook_fix="Move that file away, then press the button again",
                                  library_fix="Pass out_dir= a new or empty folder")
            # a finished bot's whole layout, copied without its hidden marker (as tools that skip
            # dotfiles copy it), is a bot's folder still; any other folder with files is the user's
            if folder.is_dir() and not (folder / MARKER).is_file() and any(folder.iterdir()) and not self._is_bot_copy():
                raise ConfigError(f"{folder} already holds files that huggingtweets did not write, and making a bot "
                                  "there would replace some of them", fix="Pass --out with a new or empty folder",
                                  notebook_fix="Move that folder away, then press the button again",
                                  library_fix="Pass out_dir= a new or empty folder")
            folder.mkdir(parents=True, exist_ok=True)
            self.check_no_links()
            self.lock()
            if not (folder / MARKER).is_file():
                write_text(folder / MARKER, "Written by huggingtweets: the files in this folder are replaced when its "
                                            "bot is made again.\n")
        except OSError as error:  # under a file, read-only, no room, a name too long
            raise ConfigError(f"can't write to {folder} ({error.strerror or error})",
                              fix="Pass --out with a folder you can write to",
                              notebook_fix="Run the notebook from a folder you can write to",
                              library_fix="Pass out_dir= a folder you can write to") from error

    @property
    def finished_files(self) -> tuple[Path, ...]:
        """What a finished bot's folder holds, as `train` leaves it."""
        return (self.model_dir / "config.json", self.train_path, self.validation_path, self.metrics_path)

    def _is_bot_copy(self) -> bool:
        """Whether everything `train` leaves is here (`finished_files`; not links: `check_no_links`)."""
        return all(p.is_file() for p in self.finished_files)

    def lock(self) -> None:
        """Hold this folder for this process's run (until `release_folders`, or the process ends,
        however it ends): a second run into it, from another terminal or the notebook, is refused
        in one line instead of the two replacing each other's bot."""
        try:
            import fcntl
        except ImportError:  # Windows: no flock; runs there are not guarded against each other
            return
        key = self.path.resolve()
        if key in _HELD:
            return
        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigError(f"another huggingtweets run is making a bot in {self.path} right now",
                              fix="Let it finish (or stop it), or pass --out another folder",
                              notebook_fix="Let the other run finish, or stop it, then press the button again",
                              library_fix="Let it finish (or stop it), or pass another out_dir") from None
        _HELD[key] = fd

    def raw_posts(self) -> dict[tuple[str, str], list[Post]]:
        """(source, handle) → every post read, unfinished downloads skipped."""
        raw: dict[tuple[str, str], list[Post]] = {}
        for path in self.raw_files():
            for row in read_jsonl(path):
                post = Post.from_dict(row)
                raw.setdefault((post.source, post.handle), []).append(post)
        return raw

    def raw_files(self) -> list[Path]:
        """The posts as read, one file per person and source (unfinished downloads left out)."""
        return [p for p in sorted(self.raw_dir.glob("*.jsonl")) if not is_partial(p)] if self._own(self.raw_dir) else []

    def _own(self, path: Path) -> bool:
        """Whether ``path`` exists as this folder's own (not a link out of it); a link is refused."""
        if path.is_symlink():
            raise ConfigError(f"{path} is a link, and huggingtweets reads and writes only a bot folder's own files "
                              "(a link could lead anywhere: a zip from someone else may hold one)",
                              fix="Replace the link with a real folder, or make the bot again in a new --out",
                              notebook_fix="Make the bot again in a new folder",
                              library_fix="Replace the link with a real folder, or make the bot again in a new out_dir")
        return path.exists()

    def check_no_links(self) -> None:
        """Refuse a folder where what the bot writes (raw/, data/, model/, checkpoints/, base/ and
        the files beside them) is a link: a write there would land wherever the link points."""
        for path in (self.raw_dir, self.data_dir, self.model_dir, self.checkpoints_dir, self.scratch_dir,
                     self.update.path, self.path / "versions", self.metrics_path, self.samples_path, self.loss_plot, self.predictions_plot, self.path / MARKER):
            self._own(path)

    def learned_texts(self) -> list[str] | None:
        """Every post the bot learned, every version's (data/ keeps the old posts with the new):
        what a sample must not copy. The validation posts are among them: training ends with passes
        over them (Recipe.refit_epochs). None when the folder has no data/ (a model from elsewhere)."""
        if not self.train_path.is_file():
            return None
        texts: list[str] = []
        for path in (self.train_path, self.validation_path):
            try:
                texts += [str(row["text"]) for row in read_jsonl(path)] if path.is_file() else []
            except (OSError, ValueError, KeyError, TypeError) as error:
                raise ConfigError(f"{path} is damaged ({cause(error)}), so samples can't be checked against the "
                                  "posts the bot learned", fix="Move it away to sample without the check, or make "
                                  "the bot again") from error
        return texts

    def handles(self) -> list[str]:
        """Whose posts the bot learned (data/stats.json), or none when that can't be read."""
        try:
            stats = json.loads((self.data_dir / "stats.json").read_text(encoding="utf-8"))
            return [str(row["handle"]) for row in stats["handles"]]
        except (OSError, ValueError, KeyError, TypeError):
            return []

    def name(self) -> str:
        """The bot's name, as its zip, GGUF and repo are called: its people's handles
        (config.bot_name), else the folder's name."""
        from .config import bot_name

        handles = self.handles()
        return bot_name(handles) if handles else self.path.name

    def original_base(self) -> str | None:
        """The pretrained model its first version was fine-tuned from ("gpt2", a folder, "scratch"),
        read from metrics.json alone; None when it can't be told."""
        try:
            return first_base(json.loads(self.metrics_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, AttributeError):
            return None

    def read(self) -> FinishedBot:
        """The finished bot here (made by `train`), or a one-line error saying what is missing."""
        missing = [p for p in self.finished_files if not p.is_file()]
        if missing:
            raise ConfigError(f"{self.path} holds no finished bot ({missing[0].relative_to(self.path)} is missing), so "
                              "there is nothing to continue", fix="Pass --continue with a bot's folder, such as "
                              "bots/<name>", notebook_fix="Train a bot first, then continue it",
                              library_fix="Pass continue_from= a bot's folder, such as bots/<name>")
        try:
            metrics = json.loads(self.metrics_path.read_text(encoding="utf-8"))
            if not isinstance(metrics, dict):
                raise ValueError(f"{METRICS} holds {type(metrics).__name__}, not the bot's figures")
            raw = self.raw_posts()
            train = _learned_rows(read_jsonl(self.train_path), self.train_path)
            validation = _learned_rows(read_jsonl(self.validation_path), self.validation_path)
            lineage = metrics["lineage"] if "lineage" in metrics else [first_version(metrics, raw)]
            check_lineage(lineage)
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as error:
            raise ConfigError(f"{self.path} is damaged ({cause(error)}), so it can't be continued",
                              fix="Make the bot again with `huggingtweets train`",
                              library_fix="Make the bot again with make_bot()") from error
        return FinishedBot(self, train, validation, raw, lineage, metrics)


@dataclass(frozen=True)
class FinishedBot:
    """What a finished bot has learned, read from its folder (`BotFolder.read`)."""

    folder: BotFolder
    train: list[dict[str, str]]  # its training posts, {"handle", "text"}, repeats included
    validation: list[dict[str, str]]  # its held-out posts: the no-forgetting check
    raw: dict[tuple[str, str], list[Post]]  # (source, handle) → every post it has read
    lineage: list[dict[str, Any]]  # one entry per version, oldest first
    metrics: dict[str, Any]

    @property
    def model_dir(self) -> Path:
        return self.folder.model_dir

    @property
    def original_base(self) -> str | None:
        """The pretrained model its first version was fine-tuned from ("gpt2", a folder, "scratch")."""
        return first_base(self.metrics)

    def last_post(self, handle: str) -> datetime | None:
        """The newest post of ``handle`` the bot has read, or None when its posts have no dates."""
        dates = [p.created_at for (_, h), posts in self.raw.items() if h == handle for p in posts if p.created_at]
        return max(dates, default=None)

    def seen_texts(self, handle: str) -> set[str]:
        return {p.text for (_, h), posts in self.raw.items() if h == handle for p in posts}

    def merged_raw(self, source: str, handle: str, posts: list[Post]) -> list[Post]:
        """Everything the bot has read of one person from one source, ``posts`` included, newest first."""
        by_id = {p.id: p for p in self.raw.get((source, handle), [])}
        by_id.update({p.id: p for p in posts})
        return sorted(by_id.values(), key=lambda p: p.created_at.timestamp() if p.created_at else -math.inf,
                      reverse=True)


def first_base(metrics: dict[str, Any]) -> str | None:
    """The base of a bot's first version, from its metrics.json (its lineage, or its own base)."""
    lineage = metrics.get("lineage")
    first = lineage[0] if isinstance(lineage, list) and lineage and isinstance(lineage[0], dict) else {}
    base = first.get("base_model") or metrics.get("base_model")
    return base if isinstance(base, str) else None


def _learned_rows(rows: list[Any], path: Path) -> list[dict[str, str]]:
    """``rows`` of data/train.jsonl or validation.jsonl as `train` wrote them, each a post's handle
    and text, at least one; ValueError naming the file otherwise."""
    if not rows:
        raise ValueError(f"{path.parent.name}/{path.name} holds no posts")
    for row in rows:
        if not (isinstance(row, dict) and isinstance(row.get("text"), str) and isinstance(row.get("handle", ""), str)):
            raise ValueError(f"{path.parent.name}/{path.name} holds {str(row)[:40]!r}, not a post")
    return rows


# what each version's entry in metrics.json's lineage holds, and of what type (None: not known)
_VERSION_FIELDS: dict[str, tuple[type, ...]] = {
    "version": (int,), "made": (str,), "base_model": (str,), "last_post": (str,), "train_posts": (int,),
    "perplexity": (int, float),
}
_UPDATE_FIELDS: dict[str, tuple[type, ...]] = {  # and an update's, each one needed
    "new_posts": (int,), "replayed_posts": (int,), "old_validation_perplexity_before": (int, float),
    "old_validation_perplexity_after": (int, float), "forgetting": (int, float),
}


def check_lineage(lineage: Any) -> None:
    """Raise ValueError unless ``lineage`` is what `train` writes: a list of versions, oldest first,
    each a mapping of the fields above (a hand-edited or damaged metrics.json is caught here,
    not as a traceback while the card is written after training)."""
    if not isinstance(lineage, list) or not lineage:
        raise ValueError(f"{METRICS}'s lineage is {type(lineage).__name__}, not a list of versions")
    for number, version in enumerate(lineage, 1):
        if not isinstance(version, dict):
            raise ValueError(f"{METRICS}'s version {number} is {type(version).__name__}, not its figures")
        needed = _UPDATE_FIELDS if number > 1 else {}
        for key, types in {**_VERSION_FIELDS, **needed}.items():
            value = version.get(key)
            if (value is None and key not in needed) or (isinstance(value, types) and not isinstance(value, bool)):
                continue
            raise ValueError(f"{METRICS}'s version {number} has {key} = {str(value)[:40]!r}")


def first_version(metrics: dict[str, Any], raw: dict[tuple[str, str], list[Post]]) -> dict[str, Any]:
    """The lineage entry of a bot's first version, for a metrics.json written without one."""
    dates = [p.created_at for posts in raw.values() for p in posts if p.created_at]
    return {
        "version": 1,
        "made": metrics.get("made"),
        "base_model": metrics.get("base_model"),
        "train_posts": metrics.get("train_posts"),
        "last_post": max(dates).isoformat() if dates else None,
        "perplexity": metrics.get("perplexity_after"),
    }


def release_folders() -> None:
    """Let go of every bot folder this process's run holds (`BotFolder.lock`): the run is over."""
    while _HELD:
        os.close(_HELD.popitem()[1])
