"""Timing shared by the benchmarks (run as scripts, so this folder is on sys.path)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeats: int = 3) -> float:
    """The fastest of ``repeats`` runs, in seconds: the least disturbed by the rest of the machine."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def stage_clock() -> tuple[dict[str, float], Callable[[object], None]]:
    """An event handler for `make_bot` and the seconds it measures for each pipeline stage, from
    its StageStarted event to its StageFinished: ``spans, on_event = stage_clock()``."""
    from huggingtweets.events import StageFinished, StageStarted

    spans: dict[str, float] = {}
    started: dict[str, float] = {}

    def on_event(event: object) -> None:
        if isinstance(event, StageStarted):
            started[event.stage] = time.perf_counter()
        elif isinstance(event, StageFinished) and event.stage in started:
            spans[event.stage] = spans.get(event.stage, 0.0) + time.perf_counter() - started.pop(event.stage)

    return spans, on_event
