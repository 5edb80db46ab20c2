"""Events: how the pipeline tells its observers (CLI, notebook, tracking) what is happening.

The stages never print; they call ``on_event`` with one of these:

    make_bot(config, on_event=lambda e: print(e))

A stage that made something says what in its `StageFinished.result`: `DataReady` (the dataset),
`BaseReady`, `Trained`, `Sampled`, `Exported`; observers match on its type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class DataReady:
    """The posts are cleaned, split and written to ``out_dir``/data."""
    out_dir: Path
    name: str  # the bot's name: its folder and artifacts are named after it
    handles: list[str]
    sources: list[str]  # each person's source kind
    stats: list[dict[str, Any]]  # each person's `CleanStats.to_dict()`
    seed: int
    repeats: dict[str, float]  # handle → how many times its posts appear per epoch
    train_posts: int
    validation_posts: int
    written: Path | None = None  # where raw/ and data/ went, when not out_dir: an update's staging folder


@dataclass(frozen=True)
class BaseReady:
    """The base model is loaded for the bot in ``out_dir``."""
    out_dir: Path
    name: str
    model_config: dict[str, Any]
    base_model: str = ""  # the pretrained model the bot comes from: a continued bot's first version's base


@dataclass(frozen=True)
class Trained:
    metrics: dict[str, Any]  # train.py's metrics, with the pipeline's dtypes and split
    training_args: dict[str, Any]  # the Trainer's arguments, as it records them


@dataclass(frozen=True)
class Sampled:
    samples: list[str]
    copies: list[bool]  # per sample: a near-copy of a training post, kept because no fresh one came
    copy_rate: float  # share of all samples drawn that were near-copies


@dataclass(frozen=True)
class VoiceChecked:
    """How often a style detector told the bot's posts from the people's newest real ones (voice.py)."""
    accuracy: float | None  # None: too few held-out posts to measure
    posts: int  # bot posts and real ones, as many of each


@dataclass(frozen=True)
class Exported:
    model_dir: Path
    zip_path: Path


StageResult = DataReady | BaseReady | Trained | Sampled | VoiceChecked | Exported


@dataclass(frozen=True)
class StageStarted:
    stage: str  # "fetch", "clean", "dataset", "base", "train", "generate", "voice", "export"
    message: str


@dataclass(frozen=True)
class StageFinished:
    stage: str
    message: str
    result: StageResult | None = None  # what the stage made, when observers need more than the message


@dataclass(frozen=True)
class FetchProgress:
    handle: str
    posts: int  # fetched so far
    max_posts: int


@dataclass(frozen=True)
class TrainProgress:
    step: int
    total_steps: int
    epoch: float
    metrics: dict[str, float]  # "loss", "eval_loss", "perplexity", "learning_rate" as logged


@dataclass(frozen=True)
class Notice:
    message: str
    level: Literal["info", "warning"] = "warning"


Event = StageStarted | StageFinished | FetchProgress | TrainProgress | Notice
EventHandler = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The default observer: nobody is listening."""
