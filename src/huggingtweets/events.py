"""Events: how the pipeline tells its observers (CLI, notebook, tracking) what is happening.

The stages never print; they call ``on_event`` with one of these:

    make_bot(config, on_event=lambda e: print(e))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StageStarted:
    stage: str  # "fetch", "clean", "dataset", "base", "train", "generate", "export"
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StageFinished:
    stage: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


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
    level: str = "warning"  # "info" or "warning"


Event = StageStarted | StageFinished | FetchProgress | TrainProgress | Notice
EventHandler = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The default observer: nobody is listening."""
