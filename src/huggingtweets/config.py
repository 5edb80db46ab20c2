"""`BotConfig`: every choice of one run, frozen, validated where it is made, in groups: the
data (`DataOptions`), training (`TrainOptions`), samples (`SampleOptions`) and tracking
(`TrackOptions`). Each option's CLI flag, help text and notebook label live with its field
(`option()`); the CLI's parser is built from them, and a bad value's error names the option as
each front door calls it:

    config = BotConfig(sources=("sample",), out_dir=Path("bots/demo"), train=TrainOptions(base_model="scratch"))
    config = BotConfig.of(("sample",), base_model="scratch", epochs=1)   # the same, from flat names
    config.train.base_model, config.updated(epochs=2).train.epochs
    flag("max_posts"), label("max_posts")                                # "--max-posts", "Max posts"
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import Field, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

from ._io import safe_name
from .errors import ConfigError
from .recipe import CHECKPOINT_MINUTES, MAX_POSTS, VALIDATION_FRACTION

# what a one-line prompt can't hold: control characters (line breaks, escapes), line and paragraph
# separators, lone surrogates; a family emoji's joiner, a flag or a non-breaking space are text
UNTYPED = frozenset({"Cc", "Cs", "Zl", "Zp"})
HANDLE = re.compile(r"@?[\w.-]{1,64}")  # a person's handle as --name gives it
MAX_PEOPLE = 3  # the original mixed at most 3 people; more blurs every voice
SourceKind = Literal["sample", "archive", "file", "mastodon", "bluesky", "x"]
SOURCE_KINDS: tuple[SourceKind, ...] = get_args(SourceKind)  # what --source may force
WandbMode = Literal["online", "offline", "disabled"]
WANDB_MODES: tuple[WandbMode, ...] = get_args(WandbMode)  # what --wandb may say
# a bot already in out_dir is never replaced silently: "refuse" (one line naming --overwrite),
# "replace" (--overwrite, and --resume, which continues it), or "new": the first free <out>-2, -3, ...
IfBotExists = Literal["refuse", "replace", "new"]
IF_BOT_EXISTS: tuple[IfBotExists, ...] = get_args(IfBotExists)
Command = Literal["demo", "data", "train", "generate"]  # the CLI commands that take config options


def option(default: Any = None, help: str = "", *, flag: str | tuple[str, ...] | None = None, label: str = "",
           commands: tuple[Command, ...] | None = None, parse: Any = None, default_factory: Any = None,
           **argparse_kw: Any) -> Any:
    """A config field with its CLI flag ("--name-with-dashes" unless given; "" for an option only
    the library has), its help text ("{default}" and "{recipe}" are filled in), its notebook label,
    the commands that have it (its group's unless given), ``parse`` (the flag's text to the
    field's value, where the type alone can't say) and argparse's own keywords (choices, metavar)."""
    metadata = {"help": help, "flag": flag, "label": label, "commands": commands, "parse": parse,
                "argparse": argparse_kw}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def flag(name: str) -> str:
    """An option's CLI flag, its long one where it has two: "--max-posts"."""
    given = OPTIONS[name].metadata.get("flag")
    flags = (given,) if isinstance(given, str) else given or ("--" + name.replace("_", "-"),)
    return flags[-1] or name


def label(name: str) -> str:
    """An option's notebook label: "Max posts"."""
    return OPTIONS[name].metadata.get("label") or name.replace("_", " ").capitalize()


def option_error(name: str, problem: str, *, fix: str | None = None, notebook_fix: str | None = None,
                 library_fix: str | None = None) -> ConfigError:
    """A bad value of option ``name``: "<the option> <problem>", the option named as each front
    door calls it (a flag in the CLI, a label in the notebook, the parameter in Python)."""
    return ConfigError(f"{name} {problem}", fix=fix, notebook_fix=notebook_fix, library_fix=library_fix,
                       names={"cli": f"{flag(name)} {problem}", "notebook": f"{label(name)} {problem}"})


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


def _words(text: str) -> tuple[str, ...]:
    """"attn, mlp" → ("attn", "mlp"): a comma-separated flag as a tuple."""
    return tuple(t.strip() for t in text.split(",") if t.strip())


@dataclass(frozen=True)
class DataOptions:
    """Where the posts come from and how they are cleaned and split."""

    source: SourceKind | None = option(None, "read every SOURCE as this kind instead of guessing", label="Source",
                                       choices=SOURCE_KINDS)  # None: told by each source's shape
    max_posts: int | None = option(None, "read only each person's newest N posts (default: every post of a file or "
                                   f"archive; a live account's {MAX_POSTS:,}, as X's API served)", metavar="N")
    refresh: bool = option(False, "download live accounts again instead of reusing raw/")
    text_column: str | None = option(None, "the column holding the posts, if it isn't found by name")
    name: str | None = option(None, "the handle of the person a file's posts are by (default: the file's author, "
                              "handle or username column, else the file's name)", metavar="HANDLE")
    keep_newlines: bool = option(False, "keep line breaks inside posts")  # the original found samples better without
    # the original kept replies: they are most of many people's voice
    drop_replies: bool = option(False, "leave replies out of the training data")
    keep_mentions: bool = option(True, "keep or drop @mentions (default: keep)", flag="--mentions", choices=("keep", "drop"),
                                 parse=lambda v: v == "keep")  # "@user" stays in the text, as the original
    validation_fraction: float = option(VALIDATION_FRACTION, "of each person's posts held out: at least 1, at most "
                                        "250", flag="")  # the library's only

    def __post_init__(self) -> None:
        if self.name is not None and not HANDLE.fullmatch(self.name):
            raise option_error("name", f"must be a handle (letters, digits, '_', '.', '-'; at most 64), "
                               f"got {self.name!r}")
        if self.max_posts is not None and self.max_posts < 1:
            raise option_error("max_posts", f"must be at least 1, got {self.max_posts}")
        if not 0 < self.validation_fraction < 0.5:
            raise option_error("validation_fraction", f"must be between 0 and 0.5, got {self.validation_fraction}")


@dataclass(frozen=True)
class TrainOptions:
    """The base model and how it is trained; None: chosen by recipe.choose_recipe for the base."""

    base_model: str = option("gpt2", "hub id, local folder, or `scratch` (default: {default})", label="Base model",
                             commands=("train",))  # the original fine-tuned gpt2
    epochs: float | None = option(None, "passes over the posts, all trained; the best on validation is kept (default: "
                                  "{recipe}; a pre-trained base stops sooner once validation stops improving)",
                                  label="Epochs")
    learning_rate: float | None = option(None, "peak learning rate (default: {recipe}, lower for wider bases)",
                                         commands=("train",))
    batch_size: int | None = option(None, "blocks per step (default: {recipe})", commands=("train",))
    block_size: int | None = option(None, "tokens per block (default: {recipe})", commands=("train",))
    resume: bool = option(False, "continue an interrupted run from its last checkpoint")  # Colab disconnects
    checkpoint_minutes: float = option(CHECKPOINT_MINUTES, "training time between checkpoints for --resume; shorter "
                                       "runs write none (0: every step; default: {default})")
    continue_from: str | None = option(None, "train that finished bot further on the posts newer than its newest, "
                                       "with a replay of its old ones (SOURCE: the same account, or a newer archive "
                                       "or file)", flag="--continue", metavar="BOT_DIR", commands=("train",))
    # low-rank adapters instead of every weight: for bases too big to fine-tune whole
    lora: bool = option(False, "train LoRA adapters (merged on export) instead of all weights", commands=("train",))
    lora_rank: int = option(16, "adapter rank (default: {default})",  # enough for one person's style
                            commands=("train",))
    lora_alpha: int = option(32, "adapter scale numerator (default: {default})",  # alpha/r = 2, peft's usual
                             commands=("train",))
    lora_targets: tuple[str, ...] | None = option(None, "comma-separated module names (default: peft's for the model)",
                                                  commands=("train",), parse=_words)
    scratch: ScratchShape = option(help="the model `base_model=\"scratch\"` builds", flag="",
                                   default_factory=ScratchShape)

    def __post_init__(self) -> None:
        if self.epochs is not None and not 0 < self.epochs < 10_000:
            raise option_error("epochs", f"must be more than 0 and finite, got {self.epochs}",
                               fix="Try --epochs 4", notebook_fix="Choose another number of epochs",
                               library_fix="Try epochs=4")
        if self.learning_rate is not None and not 0 < self.learning_rate < math.inf:
            raise option_error("learning_rate", f"must be more than 0 and finite, got {self.learning_rate}")
        if not 0 <= self.checkpoint_minutes < math.inf:
            raise option_error("checkpoint_minutes", f"must be 0 or more, got {self.checkpoint_minutes}")
        if self.block_size is not None and self.block_size < 16:
            raise option_error("block_size", f"must be at least 16 tokens, got {self.block_size}")
        if self.batch_size is not None and self.batch_size < 1:
            raise option_error("batch_size", f"must be at least 1, got {self.batch_size}")
        if self.continue_from and self.resume:
            raise ConfigError("--continue and --resume can't go together. Resume the interrupted run, then continue it",
                              names={"notebook": "a run can't be resumed and continued at once"},
                              library_fix="Resume the interrupted run (resume=True), then continue it (continue_from=)")
        if self.lora and self.from_scratch:
            raise option_error("lora", "needs a pre-trained base model", fix="Drop --lora or pass --base-model gpt2",
                               notebook_fix="Choose a pre-trained base model", library_fix="Pass base_model=\"gpt2\"")
        if self.lora_rank < 1 or self.lora_alpha < 1:
            raise option_error("lora_rank", f"and {flag('lora_alpha')} must be at least 1, got {self.lora_rank}, "
                               f"{self.lora_alpha}")

    @property
    def from_scratch(self) -> bool:
        return self.base_model == "scratch"


@dataclass(frozen=True)
class SampleOptions:
    """The posts written at the end, for the card and the terminal."""

    num_samples: int = option(10, "posts to write (default: {default})", flag=("-n", "--num-samples"),
                              label="Posts", commands=("demo", "train", "generate"))
    prompt: str = option("", "text every post starts with", label="Prompt",  # "": the model picks the opening
                         commands=("demo", "train", "generate"))
    # False: a near-copy of a training post is replaced by a fresh sample
    keep_copies: bool = option(False, "keep samples that repeat a training post (flagged) instead of replacing them",
                               commands=("train",))

    def __post_init__(self) -> None:
        if not 1 <= self.num_samples <= 100:
            raise option_error("num_samples", f"must be between 1 and 100, got {self.num_samples}")
        if any(unicodedata.category(c) in UNTYPED for c in self.prompt):
            raise option_error("prompt", f"must be one line of text, without line breaks or control characters, "
                               f"got {self.prompt!r}", fix="Posts are one line: give the words they start with",
                               notebook_fix="Posts are one line: type the words they start with")


@dataclass(frozen=True)
class TrackOptions:
    """W&B tracking."""

    wandb: WandbMode | None = option(None, "W&B tracking (default: WANDB_MODE, else online when logged in, else "
                                     "offline)", choices=WANDB_MODES)
    wandb_project: str = option("huggingtweets", "W&B project (default: {default})")  # every bot's runs side by side
    wandb_entity: str | None = option(None, "W&B user or team (default: your own)")

    def __post_init__(self) -> None:
        if self.wandb is not None and self.wandb not in WANDB_MODES:
            raise option_error("wandb", f"must be {', '.join(WANDB_MODES[:-1])} or {WANDB_MODES[-1]}, got {self.wandb!r}")


def check_seed(seed: int | None) -> None:
    """A seed every library takes (NumPy's are 32-bit), or None."""
    if seed is not None and not 0 <= seed < 2**32:
        raise option_error("seed", f"must be between 0 and {2**32 - 1}, got {seed}")




@dataclass(frozen=True)
class BotConfig:
    """One run: whose posts, where the bot goes, the seed, and the options of each step."""

    sources: tuple[str, ...] = option(
        (), "up to 3: an X archive zip, a CSV/JSON/JSONL/TXT file, @user@instance (Mastodon), name.bsky.social "
        "(Bluesky), @user (X) or `sample`", flag="SOURCE", commands=("data", "train"), nargs="+")
    out_dir: Path | None = option(None, "output folder (default: bots/<handle>)", flag="--out", metavar="DIR",
                                  commands=("demo", "data", "train"))
    if_bot_exists: IfBotExists = option("refuse", "replace the bot already in the output folder", flag="--overwrite",
                                        commands=("demo", "data", "train"), action="store_const", const="replace")
    seed: int = option(42, "seed for splitting, training and sampling (default: {default})",  # the same bot again
                       commands=("demo", "data", "train"))
    fp16_zip: bool = option(False, "half-precision weights in the zip: half the download, same samples",
                            commands=("demo", "train"))
    data: DataOptions = field(default_factory=DataOptions)
    train: TrainOptions = field(default_factory=TrainOptions)
    sample: SampleOptions = field(default_factory=SampleOptions)
    track: TrackOptions = field(default_factory=TrackOptions)

    def __post_init__(self) -> None:
        if not self.sources:
            raise ConfigError("no source given. Pass a file, a handle or `sample`")
        check_seed(self.seed)
        if self.if_bot_exists not in IF_BOT_EXISTS:
            raise option_error("if_bot_exists", f"must be one of {', '.join(IF_BOT_EXISTS)}, got {self.if_bot_exists!r}")
        if len(self.sources) > MAX_PEOPLE:
            raise ConfigError(
                f"{len(self.sources)} sources given, at most {MAX_PEOPLE} people can be mixed. "
                "Drop some sources"
            )
        if self.train.continue_from:
            _check_continue(self)
        if self.data.name and len(self.sources) > 1:
            raise option_error("name", "names the one person of a single file, and several sources were given",
                               fix="Give each file an author column instead, or train on one file",
                               library_fix="Give each file an author column instead, or pass one source")

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


def _check_continue(config: BotConfig) -> None:
    """An update is written into the bot's own folder, trained from its own model: an out_dir
    elsewhere or another base model would be ignored, so they are refused instead."""
    continued = Path(config.train.continue_from or "")
    if config.out_dir is not None and Path(config.out_dir).resolve() != continued.resolve():
        raise _conflict("out_dir", "updates the bot in its own folder, where its earlier versions are",
                        fix="Leave {other} out; to keep the bot as it is, copy its folder and continue the copy")
    own = config.train.base_model in (TrainOptions().base_model, str(continued / "model"))  # the pipeline sets the latter
    if not own:
        raise _conflict("base_model", "trains the bot's own model further", fix="Leave {other} out, or train a "
                        "new bot on that base without {this}")


def _conflict(other: str, what: str, *, fix: str) -> ConfigError:
    """``continue_from`` and ``other`` given together, named as each front door calls them."""
    def line(this: str, that: str) -> dict[str, str]:
        return {"what": f"{this} {what}, so {that} can't be used with it", "fix": fix.format(this=this, other=that)}

    library, cli = line("continue_from", other), line(flag("continue_from"), flag(other))
    return ConfigError(library["what"], fix=cli["fix"], library_fix=library["fix"], names={"cli": cli["what"]})


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


GROUPS = {"data": DataOptions, "train": TrainOptions, "sample": SampleOptions, "track": TrackOptions}
_GROUP_OF = {f.name: group for group, options in GROUPS.items() for f in fields(options)}  # option → its group
_GROUP_COMMANDS: dict[str, tuple[Command, ...]] = {  # the commands that have a group's options, unless one says
    "data": ("data", "train"), "train": ("demo", "train"), "sample": ("demo", "train"), "track": ("demo", "data", "train")}
OPTIONS: dict[str, Field[Any]] = {f.name: f for options in (BotConfig, *GROUPS.values()) for f in fields(options)
                                  if f.name not in GROUPS}  # every option, by name, flat


def option_commands(name: str) -> tuple[Command, ...]:
    """The CLI commands with a flag for option ``name`` (none for an option only the library has)."""
    f = OPTIONS[name]
    if f.metadata.get("flag") == "":
        return ()
    return f.metadata.get("commands") or _GROUP_COMMANDS.get(_GROUP_OF.get(name, ""), ())
