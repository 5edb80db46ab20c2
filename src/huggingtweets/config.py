"""`BotConfig`: every choice of one run, frozen, validated where it is made, in groups: the
data (`DataOptions`), training (`TrainOptions`), samples (`SampleOptions`) and tracking
(`TrackOptions`). The CLI's flags are these fields' names:

    config = BotConfig(sources=("sample",), out_dir=Path("bots/demo"), train=TrainOptions(base_model="scratch"))
    config = BotConfig.of(("sample",), base_model="scratch", epochs=1)   # the same, from flat names
    config.train.base_model, config.updated(epochs=2).train.epochs
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ._io import safe_name
from .errors import ConfigError
from .recipe import CHECKPOINT_MINUTES, MAX_POSTS, VALIDATION_FRACTION

MAX_PEOPLE = 3  # the original mixed at most 3 people; more blurs every voice
SOURCE_KINDS = ("sample", "archive", "file", "mastodon", "bluesky", "x")  # what --source may force
WANDB_MODES = ("online", "offline", "disabled")  # what --wandb may say


@dataclass(frozen=True)
class ScratchShape:
    """The small GPT-2 that `base_model="scratch"` builds (no download needed).

    Chosen by a sweep on the demo persona (~50k characters) on a 2-core CPU: this shape
    reached 2.16 bits/char on held-out posts in 43 s of training; 192×4 and 256×2 models
    and a 3,000-token vocabulary did no better in the same time (2.17–2.21 bits/char).
    """

    n_layer: int = 4
    n_embd: int = 128  # ~1M weights: ~20k tokens of posts can't support many more
    n_head: int = 4  # 32-dim heads
    n_positions: int = 256  # must cover max_length=160 at generation time
    vocab_size: int = 2000  # byte-level BPE merges learned from the posts themselves


@dataclass(frozen=True)
class DataOptions:
    """Where the posts come from and how they are cleaned and split."""

    source: str | None = None  # force one kind for every source; None: told by each one's shape
    max_posts: int = MAX_POSTS  # per live account: the original's limit (X's API served at most 3,200)
    refresh: bool = False  # download live accounts again instead of reusing raw/
    text_column: str | None = None  # for files whose post column has an unusual name
    keep_newlines: bool = False  # the original found samples better without
    drop_replies: bool = False  # the original kept them: replies are most of many people's voice
    keep_mentions: bool = True  # "@user" stays in the text by default, as the original
    validation_fraction: float = VALIDATION_FRACTION  # of each person's posts: at least 1, at most 250

    def __post_init__(self) -> None:
        if self.max_posts < 1:
            raise ConfigError(f"--max-posts must be at least 1, got {self.max_posts}")
        if not 0 < self.validation_fraction < 0.5:
            raise ConfigError(
                # a library option only (no flag): named as the code passes it
                f"validation_fraction must be between 0 and 0.5, got {self.validation_fraction}"
            )


@dataclass(frozen=True)
class TrainOptions:
    """The base model and how it is trained; None: chosen by recipe.choose_recipe for the base."""

    base_model: str = "gpt2"  # hub id, local folder, or "scratch"; the original fine-tuned gpt2
    epochs: float | None = None
    learning_rate: float | None = None
    batch_size: int | None = None  # blocks per optimizer step
    block_size: int | None = None  # tokens per packed block
    resume: bool = False  # continue an interrupted run from its last checkpoint (Colab disconnects)
    checkpoint_minutes: float = CHECKPOINT_MINUTES  # training between checkpoints; a shorter run writes none (0: every step)
    continue_from: str | None = None  # a finished bot's folder: train it further on posts newer than it has
    lora: bool = False  # train low-rank adapters instead of every weight: for bases too big to fine-tune whole
    lora_rank: int = 16  # adapter rank r: enough for one person's style, ~1% of GPT-2's weights
    lora_alpha: int = 32  # scale alpha/r = 2, peft's usual choice
    lora_targets: tuple[str, ...] | None = None  # module names; None: peft's default for the architecture
    scratch: ScratchShape = field(default_factory=ScratchShape)  # the model `base_model="scratch"` builds

    def __post_init__(self) -> None:
        if self.epochs is not None and not 0 < self.epochs < 10_000:
            raise ConfigError(f"--epochs must be more than 0 and finite, got {self.epochs}. Try --epochs 4")
        if self.learning_rate is not None and not 0 < self.learning_rate < math.inf:
            raise ConfigError(f"--learning-rate must be more than 0 and finite, got {self.learning_rate}")
        if not 0 <= self.checkpoint_minutes < math.inf:
            raise ConfigError(f"--checkpoint-minutes must be 0 or more, got {self.checkpoint_minutes}")
        if self.block_size is not None and self.block_size < 16:
            raise ConfigError(f"--block-size must be at least 16 tokens, got {self.block_size}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.continue_from and self.resume:
            raise ConfigError("--continue and --resume can't go together. Resume the interrupted run, then continue it")
        if self.lora and self.from_scratch:
            raise ConfigError("--lora needs a pre-trained base model. Drop --lora or pass --base-model gpt2")
        if self.lora_rank < 1 or self.lora_alpha < 1:
            raise ConfigError(f"--lora-rank and --lora-alpha must be at least 1, got {self.lora_rank}, {self.lora_alpha}")

    @property
    def from_scratch(self) -> bool:
        return self.base_model == "scratch"


@dataclass(frozen=True)
class SampleOptions:
    """The posts written at the end, for the card and the terminal."""

    num_samples: int = 10
    prompt: str = ""  # samples start with this text; "" lets the model pick the opening
    keep_copies: bool = False  # False: a near-copy of a training post is replaced by a fresh sample

    def __post_init__(self) -> None:
        if not 1 <= self.num_samples <= 100:
            raise ConfigError(f"-n must be between 1 and 100, got {self.num_samples}")
        if any(not c.isprintable() for c in self.prompt):
            raise ConfigError(f"--prompt must be one line of text, without line breaks or control characters, "
                              f"got {self.prompt!r}", fix="Posts are one line: give the words they start with",
                              notebook_fix="The prompt must be one line of text, without line breaks or control "
                                           "characters. Posts are one line: type the words they start with")


@dataclass(frozen=True)
class TrackOptions:
    """W&B tracking."""

    wandb: str | None = None  # "online", "offline", "disabled"; None: WANDB_MODE, else online if logged in
    wandb_project: str = "huggingtweets"  # the original's project: every bot's runs side by side
    wandb_entity: str | None = None  # W&B user or team; None: the logged-in user's default

    def __post_init__(self) -> None:
        if self.wandb is not None and self.wandb not in WANDB_MODES:
            raise ConfigError(f"--wandb must be {', '.join(WANDB_MODES[:-1])} or {WANDB_MODES[-1]}, got {self.wandb!r}")


def check_seed(seed: int | None) -> None:
    """A seed every library takes (NumPy's are 32-bit), or None."""
    if seed is not None and not 0 <= seed < 2**32:
        raise ConfigError(f"--seed must be between 0 and {2**32 - 1}, got {seed}")


IF_BOT_EXISTS = ("refuse", "replace", "new")
GROUPS = {"data": DataOptions, "train": TrainOptions, "sample": SampleOptions, "track": TrackOptions}
_GROUP_OF = {f.name: group for group, options in GROUPS.items() for f in fields(options)}  # option → its group


@dataclass(frozen=True)
class BotConfig:
    """One run: whose posts, where the bot goes, the seed, and the options of each step."""

    sources: tuple[str, ...]  # handles, files or "sample"; up to 3 people
    out_dir: Path | None = None  # None: bots/<handle-handle>
    # a bot already in out_dir is never replaced silently: "refuse" (one line naming --overwrite),
    # "replace" (--overwrite, and --resume, which continues it), or "new": the first free <out>-2, -3, ...
    if_bot_exists: str = "refuse"
    seed: int = 42  # recorded, so the same inputs give the same bot
    fp16_zip: bool = False  # half-precision weights in the zip: half the download, same samples
    data: DataOptions = field(default_factory=DataOptions)
    train: TrainOptions = field(default_factory=TrainOptions)
    sample: SampleOptions = field(default_factory=SampleOptions)
    track: TrackOptions = field(default_factory=TrackOptions)

    def __post_init__(self) -> None:
        if not self.sources:
            raise ConfigError("no source given. Pass a file, a handle or `sample`")
        check_seed(self.seed)
        if self.if_bot_exists not in IF_BOT_EXISTS:
            raise ConfigError(f"if_bot_exists must be one of {', '.join(IF_BOT_EXISTS)}, got {self.if_bot_exists!r}")
        if len(self.sources) > MAX_PEOPLE:
            raise ConfigError(
                f"{len(self.sources)} sources given, at most {MAX_PEOPLE} people can be mixed. "
                "Drop some sources"
            )

    @classmethod
    def of(cls, sources: tuple[str, ...], **options: Any) -> BotConfig:
        """A config from flat option names, each sent to the group that has it (as the CLI's flags
        are): ``BotConfig.of(("sample",), base_model="scratch", epochs=1, num_samples=3)``."""
        return cls(sources=tuple(sources)).updated(**options)

    def updated(self, **options: Any) -> BotConfig:
        """A copy with some flat options changed, each in its group: ``config.updated(epochs=2)``.
        A name no group or the config itself has is a TypeError, as for any dataclass."""
        by_group: dict[str, dict[str, Any]] = {}
        for name in [n for n in options if n in _GROUP_OF]:
            by_group.setdefault(_GROUP_OF[name], {})[name] = options.pop(name)
        groups = {group: replace(getattr(self, group), **changes) for group, changes in by_group.items()}
        return replace(self, **options, **groups)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: paths become strings, tuples lists. Holds no secret, as the config has none."""
        return _plain(asdict(self))

    def with_out_dir(self, handles: list[str]) -> BotConfig:
        """Fill in the default output folder once the handles are known."""
        if self.out_dir is not None:
            return self
        return replace(self, out_dir=Path("bots") / bot_name(handles))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def bot_name(handles: list[str]) -> str:
    """`["dot", "len"]` → `"dot-len"`: a folder, zip and repo name safe everywhere."""
    return safe_name("-".join(safe_name(h.replace("-", "_"), "") for h in handles), "bot")
