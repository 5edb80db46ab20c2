# ruff: noqa: F401  (the TYPE_CHECKING imports are re-exports, for IDEs and type checkers)
"""huggingtweets: make a bot that writes like a person.

    from huggingtweets import BotConfig, make_bot
    bot = make_bot(BotConfig.of(("sample",), base_model="scratch"))
    print(bot.samples)

Each stage is importable on its own (`fetch_posts`, `clean_posts`, `split_and_mix`,
`pack_blocks`, `load_base_model`, `train_model`, `sample_posts`, `render_card`,
`export_model`); `make_bot` strings them together. Heavy libraries (torch,
transformers) load only when a stage that needs them runs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name → module that defines it; resolved on first use so `import huggingtweets` stays fast
_EXPORTS = {
    "Post": "post", "Profile": "post",
    "BotConfig": "config", "ScratchShape": "config", "DataOptions": "config", "TrainOptions": "config",
    "SampleOptions": "config", "TrackOptions": "config",
    "HuggingTweetsError": "errors", "ConfigError": "errors", "SourceError": "errors",
    "DataError": "errors", "ModelError": "errors",
    "fetch_posts": "sources", "Fetched": "sources",
    "clean_posts": "clean", "normalise_text": "clean", "CleanStats": "clean", "stats_table": "clean",
    "split_and_mix": "dataset", "pack_blocks": "dataset", "Splits": "dataset",
    "load_base_model": "models", "load_model": "models",
    "train_model": "train", "TrainResult": "train",
    "sample_posts": "generate",
    "render_card": "card", "CardFacts": "card",
    "export_model": "export",
    "make_bot": "pipeline", "prepare_data": "pipeline", "train_bot": "pipeline", "Bot": "pipeline",
    "StageStarted": "events", "StageFinished": "events", "TrainProgress": "events", "Notice": "events",
    "DataReady": "events", "BaseReady": "events", "Trained": "events", "Sampled": "events", "Exported": "events",
}

if TYPE_CHECKING:  # what IDEs and type checkers see; at run time __getattr__ imports on first use
    from .card import CardFacts, render_card
    from .clean import CleanStats, clean_posts, normalise_text, stats_table
    from .config import BotConfig, DataOptions, SampleOptions, ScratchShape, TrackOptions, TrainOptions
    from .dataset import Splits, pack_blocks, split_and_mix
    from .errors import ConfigError, DataError, HuggingTweetsError, ModelError, SourceError
    from .events import (
        BaseReady,
        DataReady,
        Exported,
        Notice,
        Sampled,
        StageFinished,
        StageStarted,
        Trained,
        TrainProgress,
    )
    from .export import export_model
    from .generate import sample_posts
    from .models import load_base_model, load_model
    from .pipeline import Bot, make_bot, prepare_data, train_bot
    from .post import Post, Profile
    from .sources import Fetched, fetch_posts
    from .train import TrainResult, train_model

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'huggingtweets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
