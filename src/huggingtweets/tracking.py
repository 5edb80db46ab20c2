"""W&B tracking: watches the pipeline's events and records them as two W&B runs.

It observes and never steers: the stages don't know it exists. A preprocess run logs the
raw posts and the cleaned splits as artifacts; a train run uses them, records the whole
config, streams the Trainer's metrics, logs the samples as a table and the finished model
as an artifact. wandb is imported only when tracking is on:

    with tracking(config, on_event=print) as tracked:
        data = prepare_data(config, tracked.on_event)
        bot = train_bot(config, data, tracked.on_event, links=tracked.links)   # the card links the runs
"""

from __future__ import annotations

import math
import netrc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from . import events
from ._io import safe_name
from .bot_folder import BotFolder
from .errors import ConfigError
from .events import (
    Event,
    EventHandler,
    Notice,
    StageFinished,
    StageStarted,
    TrainProgress,
    ignore,
)

_WANDB_ENV_MODES = {"online": "online", "run": "online", "offline": "offline", "dryrun": "offline",
                    "disabled": "disabled"}


def wandb_mode(requested: str | None) -> str:
    """The mode a run uses: ``requested`` (the --wandb flag) if given, else ``WANDB_MODE``,
    else online when logged in to W&B and offline when not."""
    if requested:
        return requested
    if os.environ.get("WANDB_DISABLED", "").lower() in ("1", "true", "yes"):
        return "disabled"
    from_env = _WANDB_ENV_MODES.get(os.environ.get("WANDB_MODE", "").lower())
    if from_env:
        return from_env
    return "online" if _logged_in() else "offline"


def _logged_in() -> bool:
    """Whether wandb would find a key: the environment, or the netrc entry `wandb login` writes.
    Only presence is checked; the key itself is never read here."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")).hostname or "api.wandb.ai"
    try:
        return netrc.netrc().authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


class Tracker:
    """An event handler: passes every event on to ``forward``, then records it in W&B."""

    def __init__(self, config: Any, mode: str, forward: EventHandler = ignore) -> None:
        import wandb

        self.wandb = wandb
        self.config = config
        self.mode = mode
        self.forward = forward
        self.run: Any = None
        self.name = "bot"
        self.out_dir = Path(".")  # the bot's folder, once the data stage names it
        self.model_config: dict[str, Any] = {}
        # the pretrained base: a continued bot's first version's, not the default its config holds
        self.base_model = (BotFolder(Path(config.train.continue_from)).original_base() if config.train.continue_from else None
                           ) or config.train.base_model
        self.update: dict[str, Any] | None = None  # a continued bot's version and forgetting check
        self.links: dict[str, str] = {}  # what the model card links to; online only
        self.broken = False  # set when W&B fails: the pipeline goes on untracked

    def __call__(self, event: Event) -> None:
        self.forward(event)
        if self.broken:
            return
        try:
            self._record(event)
        except Exception as error:  # W&B trouble never costs the user their bot
            self.broken = True
            self.forward(Notice(f"W&B tracking stopped ({type(error).__name__}: {error}). "
                                "The bot is made without it; pass --wandb disabled to skip W&B"))
            try:
                self._finish(exit_code=1)
            except Exception:
                self.run = None

    def _record(self, event: Event) -> None:
        if isinstance(event, TrainProgress):
            if self.run is not None and event.metrics:  # a step whose loss wasn't read has nothing to log
                self.run.log(_history(event))
        elif isinstance(event, StageStarted) and event.stage == "train":
            self._start_train_run()
        elif isinstance(event, StageFinished):
            match event.result:
                case events.DataReady():
                    self._data_ready(event.result)
                case events.BaseReady(out_dir=out_dir, name=name, model_config=model_config, base_model=base):
                    # training may start in another call than the data (the notebook's Train button)
                    self.out_dir, self.name, self.model_config = out_dir, name, model_config
                    self.base_model = base or self.base_model
                case events.Trained():
                    self._trained(event.result)
                case events.Sampled():
                    self._sampled(event.result)
                case events.VoiceChecked(accuracy=accuracy, posts=posts) if self.run is not None and accuracy is not None:
                    self.run.summary.update({"style_detector_accuracy": accuracy, "style_detector_posts": posts})
                case events.Exported():
                    self._exported(event.result)

    # --- preprocess run: the data ---

    def _data_ready(self, ready: events.DataReady) -> None:
        self.out_dir, self.name = ready.out_dir, ready.name
        stats = ready.stats
        run = self._init("preprocess", {"handles": ready.handles, "seed": ready.seed, "bot": self._bot_config()})
        raw = self.wandb.Artifact(self._artifact("raw-dataset"), type="raw-dataset",
                                  description="The posts as read from their sources, before cleaning.",
                                  metadata={"handles": ready.handles, "sources": ready.sources})
        written = BotFolder(ready.written or self.out_dir)  # an update's staged posts, or the bot's own
        for path in written.raw_files():
            raw.add_file(str(path))
        run.log_artifact(raw)
        data = self.wandb.Artifact(self._artifact("train-dataset"), type="train-dataset",
                                   description="Cleaned posts split into training and validation sets.",
                                   metadata={"handles": ready.handles, "seed": ready.seed,
                                             "repeats": ready.repeats, "stats": stats})
        _add_folder(data, written.data_dir)
        run.log_artifact(data)
        run.summary.update({"posts_kept": sum(s["kept"] for s in stats),
                            "train_posts": ready.train_posts, "validation_posts": ready.validation_posts})
        self._finish()

    # --- train run: the model ---

    def _start_train_run(self) -> None:
        run = self._init("train", {"bot": self._bot_config(), "model": self.model_config})
        # charts over the Trainer's step, as its own W&B integration draws them (resumed runs too)
        run.define_metric("train/global_step")
        run.define_metric("*", step_metric="train/global_step", step_sync=True)
        # the base: a continued bot's last version (the artifact chain goes on), else the pretrained model
        base = f"{self._artifact('finetuned-model')}:latest" if self.config.train.continue_from else self._pretrained()
        if self.mode == "online":
            run.use_artifact(f"{self._artifact('train-dataset')}:latest")
            run.use_artifact(base)
        else:
            # wandb can't mark an input artifact offline: the base is logged from this run (a bot's
            # last version is named) and the dataset named in the config, so a later `wandb sync`
            # still shows both.
            run.config.update({"dataset_artifact": self._artifact("train-dataset")})
            if isinstance(base, str):
                run.config.update({"continued_from": base})
            else:
                run.log_artifact(base)

    def _pretrained(self) -> Any:
        """The base model as an artifact: the scratch model's files, or a reference to its folder or hub page."""
        base = self.base_model
        pretrained = self.wandb.Artifact(f"pretrained-model-{safe_name(base)}", type="pretrained-model",
                                         description=f"The base model: {base}", metadata={"base_model": base})
        if base == "scratch":
            _add_folder(pretrained, BotFolder(self.out_dir).scratch_dir)  # the random init and the posts' tokenizer
        elif Path(base).is_dir():
            pretrained.add_reference(Path(base).resolve().as_uri(), checksum=False)
        else:
            pretrained.add_reference(f"https://huggingface.co/{base}", checksum=False)
        return pretrained

    def _trained(self, trained: events.Trained) -> None:
        if self.run is None:
            return
        self.update = trained.metrics.get("update")
        self.run.config.update({"training_args": trained.training_args}, allow_val_change=True)
        self.run.summary.update({k: v for k, v in trained.metrics.items()
                                 if isinstance(v, (int, float, str)) and _finite(v)})

    def _sampled(self, sampled: events.Sampled) -> None:
        if self.run is None:
            return
        table = self.wandb.Table(columns=["Input", "Prediction", "Copy"],
                                 data=[[self.config.sample.prompt, text, copy]
                                       for text, copy in zip(sampled.samples, sampled.copies)])
        self.run.log({"samples": table})
        self.run.summary["copy_rate"] = sampled.copy_rate

    def _exported(self, exported: events.Exported) -> None:
        if self.run is None:
            return
        model = self.wandb.Artifact(self._artifact("finetuned-model"), type="finetuned-model",
                                    description=f"{self.name}'s bot, fine-tuned from {self.base_model}",
                                    metadata={"base_model": self.base_model,
                                              **({"update": self.update} if self.update else {})})
        _add_folder(model, exported.model_dir)
        self.run.log_artifact(model)
        self._finish()

    # --- runs ---

    def _bot_config(self) -> dict[str, Any]:
        """The bot's config as W&B records it, naming the base the bot really comes from."""
        bot = self.config.to_dict()
        return {**bot, "train": {**bot["train"], "base_model": self.base_model}}

    def _artifact(self, kind: str) -> str:
        """This bot's artifact of a kind: "train-dataset" → "train-dataset-gullhaven_dot"."""
        return f"{kind}-{safe_name(self.name)}"

    def _init(self, job_type: str, config: dict[str, Any]) -> Any:
        wandb = self.wandb
        self.run = wandb.init(
            project=self.config.track.wandb_project, entity=self.config.track.wandb_entity, mode=self.mode,
            job_type=job_type, name=f"@{self.name}-{job_type}", group=self.name,
            dir=str(self.out_dir), config=config, reinit="finish_previous",
            settings=wandb.Settings(silent=True, console="off", save_code=False, disable_git=True),
        )
        if self.mode == "online" and self.run.url:
            self.links[f"{job_type} run"] = self.run.url
        return self.run

    def _finish(self, exit_code: int = 0) -> None:
        run, self.run = self.run, None
        if run is None:
            return
        where = run.url if self.mode == "online" else run.dir
        run.finish(exit_code=exit_code)
        if exit_code == 0 and self.mode == "online":
            self.forward(Notice(f"W&B {run.job_type} run: {where}", level="info"))
        elif exit_code == 0:
            folder = Path(run.dir).parent
            self.forward(Notice(f"W&B {run.job_type} run saved offline; upload it with `wandb sync {folder}`",
                                level="info"))

    def close(self, failed: bool = False) -> None:
        if not self.broken:
            self._finish(exit_code=1 if failed else 0)


@dataclass(frozen=True)
class Tracked:
    """What `tracking` gives the pipeline: the handler to send events to, and the links the model
    card should carry (the W&B runs' pages, filled in as the runs start online; else empty)."""
    on_event: EventHandler
    links: dict[str, str] = field(default_factory=dict)


@contextmanager
def tracking(config: Any, on_event: EventHandler = ignore, *, main: bool = True) -> Iterator[Tracked]:
    """``on_event``, plus W&B tracking when ``config.track.wandb`` (or the environment) turns it on.

    A run open when the block raises is marked failed. Tracking never stops a bot being made:
    if W&B can't start, a notice says so and the pipeline goes on untracked."""
    mode = wandb_mode(config.track.wandb)
    if mode == "disabled" or not main:
        yield Tracked(on_event)
        return
    try:
        tracker = Tracker(config, mode, on_event)
    except ImportError:
        if config.track.wandb:
            raise ConfigError(f"--wandb {config.track.wandb} needs the wandb package. Run `pip install wandb`, "
                              "or pass --wandb disabled") from None
        on_event(Notice("wandb is not installed, so this run is not tracked. `pip install wandb` to track it",
                        level="info"))
        yield Tracked(on_event)
        return
    try:
        yield Tracked(tracker, tracker.links)
    except BaseException:
        tracker.close(failed=True)
        raise
    tracker.close()


def _add_folder(artifact: Any, folder: Path) -> None:
    """`artifact.add_dir`, file by file: the same entries without wandb printing to the terminal."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            artifact.add_file(str(path), name=path.relative_to(folder).as_posix())


def _history(event: TrainProgress) -> dict[str, float]:
    """The Trainer's log keys in W&B's usual sections: eval_loss → eval/loss, loss → train/loss."""
    row = {"train/global_step": float(event.step), "train/epoch": event.epoch}
    for key, value in event.metrics.items():
        if key == "perplexity":
            row["eval/perplexity"] = value
        elif key.startswith("eval_"):
            row[f"eval/{key[5:]}"] = value
        else:
            row[f"train/{key}"] = value
    return {k: v for k, v in row.items() if _finite(v)}


def _finite(value: Any) -> bool:
    return not isinstance(value, float) or math.isfinite(value)
