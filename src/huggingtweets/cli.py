"""The `huggingtweets` command: a thin map from sub-commands to the library.

    huggingtweets demo
    huggingtweets train tweets.csv --base-model gpt2 --epochs 4
    huggingtweets generate bots/gullhaven_dot/model --prompt "My dream is" -n 5
    huggingtweets push bots/gullhaven_dot/model --repo-id me/gullhaven_dot
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, get_args

from . import __version__
from .bot_folder import BotFolder
from .config import OPTIONS, Command, option_commands
from .errors import HuggingTweetsError, as_user_error, error_line
from .gguf_export import QUANTS

DEMO_SOURCE = "sample"


# what a terminal obeys rather than shows: control characters (an escape sequence retitles the
# window, clears the screen, fakes a line) and the marks that reorder text; tab and newline stay
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` as a terminal should show it: every control character visible as its escape (\\x1b)."""
    return _CONTROLS.sub(lambda m: repr(m.group())[1:-1] if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                         text)


def _print(*values: Any, **kwargs: Any) -> None:
    """Every line the CLI writes: handles, file names and posts come from input, so they are made
    inert for the terminal first."""
    print(*(terminal_safe(str(v)) for v in values), **kwargs)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one `Error:` line naming the fix (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, terminal_safe(f"Error: {message}. Run `{self.prog} --help` to see the options.") + "\n")


def _recipe(field: str) -> str:
    """A recipe value as help text: "0.001, or 0.002 from scratch" (the one place they are set: recipe.py)."""
    from .recipe import FINE_TUNE, SCRATCH

    tuned, scratch = getattr(FINE_TUNE, field), getattr(SCRATCH, field)
    return f"{tuned:g}" if tuned == scratch else f"{tuned:g}, or {scratch:g} from scratch"


def _add_options(parser: argparse.ArgumentParser, command: Command) -> None:
    """The flags of ``command``, one per config option that has it (config.option): its flag,
    type, help and choices all come from the field."""
    for name, f in OPTIONS.items():
        if command not in option_commands(name):
            continue
        meta = f.metadata
        flags = meta.get("flag") or "--" + name.replace("_", "-")
        flags = (flags,) if isinstance(flags, str) else flags
        kind = str(f.type).split(" | ")[0]
        keywords: dict[str, Any] = dict(meta.get("argparse", {}))
        if "action" not in keywords:
            if kind == "bool" and "choices" not in keywords:
                keywords["action"] = "store_true"
            elif not meta.get("parse") and "choices" not in keywords:
                keywords["type"] = {"int": int, "float": float, "Path": Path}.get(kind, str)
        text = meta.get("help", "")
        if "{recipe}" in text:
            text = text.replace("{recipe}", _recipe(name))
        help_text = text.replace("{default}", f"{f.default}").replace("%", "%%")
        if flags[0].startswith("-"):
            parser.add_argument(*flags, dest=name, help=help_text, **keywords)
        else:  # a positional argument: SOURCE
            parser.add_argument(name, metavar=flags[0], help=help_text, **keywords)


def _config_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The config options a command's flags gave, parsed into the options' types; left out (None,
    or False for a switch), an option keeps its default."""
    given = {}
    for name, f in OPTIONS.items():
        value = getattr(args, name, None)
        if value is None or value is False:
            continue
        parse = f.metadata.get("parse")
        given[name] = parse(value) if parse else tuple(value) if isinstance(value, list) else value
    return given


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="huggingtweets", description="Make a bot that writes like a person.")
    parser.add_argument("--version", action="version", version=f"huggingtweets {__version__}")
    debug = _Parser(add_help=False)  # every command has it
    debug.add_argument("--debug", action="store_true", help="show tracebacks and library logs")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser,
                                     metavar="{demo,train,data,generate,export,push,delete}")

    def command(name: Command | str, help_text: str) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=help_text, parents=[debug])
        if name in get_args(Command):
            _add_options(p, name)  # type: ignore[arg-type]
        return p

    command("demo", "train a small bot on the built-in fictional persona, offline")
    command("data", "fetch and clean only: print the stats table, write data/")
    command("train", "fetch posts, clean them, fine-tune a model, sample posts")

    generate = command("generate", "write new posts with a trained model")
    generate.add_argument("model", metavar="MODEL_DIR", help="a bot's folder, such as bots/<handle>, or a model folder "
                                                             "(or hub id)")
    generate.add_argument("--seed", type=int, help="make the samples reproducible (default: new ones each time)")
    generate.add_argument("--no-int8", dest="int8", action="store_false",
                          help="on a CPU, sample with the float32 weights (default: int8 copies, several times faster)")

    export = command("export", "write a bot as one GGUF file, with an Ollama Modelfile")
    export.add_argument("bot", metavar="BOT_DIR", help="a bot's folder, such as bots/<handle> (or its model folder)")
    export.add_argument("--gguf", action="store_true", required=True,
                        help="write <name>.gguf and Modelfile beside the model folder, for llama.cpp and Ollama")
    export.add_argument("--quant", choices=QUANTS, default="q8_0",
                        help="weights as 8-bit blocks (q8_0, a quarter of float32) or float16 (default: %(default)s)")

    push = command("push", "upload a model folder to the Hugging Face Hub (token: HF_TOKEN)")
    push.add_argument("model", metavar="MODEL_DIR", help="a bot's model folder, such as bots/<handle>/model")
    push.add_argument("--repo-id", required=True, help="user/name (or org/name) of the repo to create or update")
    push.add_argument("--public", action="store_true", help="make a new repo public (default: private)")

    delete = command("delete", "delete a model repo from the Hugging Face Hub (token: HF_TOKEN)")
    delete.add_argument("--repo-id", required=True, help="user/name of the repo to delete")
    delete.add_argument("--yes", action="store_true", help="delete without asking")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if not args.debug:
            _quiet_libraries()  # imports transformers: a Ctrl-C here is caught below too
        if args.command == "generate":
            return _generate(args)
        if args.command == "push":
            return _push(args)
        if args.command == "export":
            return _export(args)
        if args.command == "delete":
            return _delete(args)
        if args.command == "data":
            return _data(args)
        return _train(args)
    except (HuggingTweetsError, OSError) as e:
        mistake = as_user_error(e)
        if args.debug or mistake is None:
            raise
        _print(error_line(mistake), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if getattr(args, "continue_from", None):  # an update commits only when it succeeds
            advice = " The bot is as it was; run the same command again to update it."
        elif args.command in ("train", "demo"):
            advice = " Run the same command with --resume to continue from the last checkpoint."
        else:
            advice = " Run the same command again."
        _print(f"Error: interrupted.{advice}", file=sys.stderr)
        return 130


def _train(args: argparse.Namespace) -> int:
    from .events import ignore
    from .pipeline import make_bot
    from .train import is_main_process

    if not is_main_process():  # one of several `accelerate launch` processes: rank 0 reports
        make_bot(_config(args), on_event=ignore)
        return 0
    view = _TerminalView()
    try:
        bot = make_bot(_config(args), on_event=view)
    finally:
        view.close()
    folder = bot.folder
    _print(f"\nThe bot is in {bot.out_dir}: model/ (with its model card), {bot.zip_path.name}, "
          f"{folder.samples_path.name}, {folder.metrics_path.name}, {folder.loss_plot.name} (the loss curve) and "
          f"{folder.predictions_plot.name} (its posts as a picture).")
    _print(f"Write more posts: huggingtweets generate {shlex.quote(str(bot.out_dir))} --prompt \"My dream is\"")
    if args.command == "demo":  # her held-back newest posts make an update to try
        _print(f"Teach it the posts she made since: huggingtweets train {DEMO_SOURCE} --continue "
               f"{shlex.quote(str(bot.out_dir))}")
    return 0


def _data(args: argparse.Namespace) -> int:
    from .pipeline import prepare_data
    from .tracking import tracking

    config = _config(args)
    with tracking(config, _TerminalView()) as tracked:
        data = prepare_data(config, tracked.on_event)
    _print(f"Cleaned posts, splits and stats are in {data.out_dir / 'data'}.")
    return 0


def _config(args: argparse.Namespace) -> Any:
    """The `BotConfig` for demo, train and data, from whichever of its flags the command has."""
    from .config import BotConfig

    fields = _config_fields(args)
    if args.command == "demo":
        fields.update(sources=(DEMO_SOURCE,), base_model="scratch")
    return BotConfig.of(**fields)


def _export(args: argparse.Namespace) -> int:
    from ._io import file_size
    from .gguf_export import export_gguf

    written = export_gguf(args.bot, quant=args.quant)
    _print(f"Wrote {written.gguf} ({file_size(written.gguf)}, {written.quant}, {written.tensors} tensors, {written.architecture}) "
          f"and {written.modelfile}")
    name = written.gguf.stem.lower()
    folder, gguf, name = (shlex.quote(str(p)) for p in (written.gguf.parent, written.gguf, name))  # pasted into a shell
    _print(f"Run it with Ollama: cd {folder} && ollama create {name} -f Modelfile && ollama run {name} "
           f"\"My dream is\"\nor llama.cpp: llama-cli -m {gguf} -p \"My dream is\"")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from .config import SampleOptions, check_seed
    from .generate import CopyDetector, sample_posts
    from .models import load_model
    from .post_format import ends_at_line_break

    given = _config_fields(args)
    options = SampleOptions(**{k: v for k, v in given.items() if k != "seed"})  # validated as for `train`
    check_seed(args.seed)
    model_dir = str(BotFolder.model_path(args.model))  # a bot folder, its model/, a model folder, a hub id
    model, tokenizer = load_model(model_dir)
    # a bot folder made by `train` keeps the posts it learned: samples are checked against them
    folder = BotFolder.holding(model_dir)
    learned = folder.learned_texts() if folder else None
    copies = CopyDetector(learned, tokenizer) if learned is not None else None
    # status on stderr: stdout holds only the posts, for pipes
    _print(f"• Writing {options.num_samples} posts with {model_dir}", file=sys.stderr, flush=True)
    run = sample_posts(model, tokenizer, prompt=options.prompt, n=options.num_samples, seed=args.seed, copies=copies,
                       int8=args.int8, keep_newlines=not ends_at_line_break(model.generation_config, tokenizer))
    _print_samples(run.texts, [s.copy for s in run.posts])
    return 0


def _push(args: argparse.Namespace) -> int:
    from .publish import push_model

    url = push_model(Path(args.model), args.repo_id, private=not args.public)
    _print(f"Pushed {args.model} to {url} ({'public' if args.public else 'private'}).")
    _print(f"Take it down again with: huggingtweets delete --repo-id {args.repo_id}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    from .errors import ConfigError
    from .publish import delete_model

    if not args.yes:
        if not sys.stdin.isatty():
            raise ConfigError(f"deleting {args.repo_id} can't be undone. Pass --yes to confirm")
        answer = input(f"Delete {args.repo_id} from the Hugging Face Hub? This can't be undone. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            _print("Nothing deleted.")
            return 1
    delete_model(args.repo_id)
    _print(f"Deleted {args.repo_id}.")
    return 0


def _print_samples(texts: list[str], copies: list[bool]) -> None:
    """The posts on stdout, one a line; their label above them on stderr, so a pipe gets posts only."""
    from .post_format import AI_LABEL

    _print(f"  {AI_LABEL}, not written by the person: label them so wherever you share them", file=sys.stderr,
          flush=True)
    for i, (text, copy) in enumerate(zip(texts, copies), 1):
        _print(f"{i:4}. {text}" + ("  [near-copy of a training post]" if copy else ""))


class _TerminalView:
    """Draws the pipeline's events: stage lines, the stats table, a training bar, the samples."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.loss: str | None = None  # the last training loss, kept on the bar between the steps that read it
        self.perplexity: str | None = None  # the last validation perplexity, kept on the bar

    def __call__(self, event: Any) -> None:
        from .events import (
            FetchProgress,
            Notice,
            Sampled,
            StageFinished,
            StageStarted,
            TrainProgress,
        )

        if isinstance(event, TrainProgress):
            self._progress(event)
        elif isinstance(event, FetchProgress):
            self._bar(event.max_posts, "  posts", "post").update(event.posts - self.bar.n)
        elif isinstance(event, StageStarted):
            _print(f"• {event.message}", flush=True)
        elif isinstance(event, Notice) and event.level == "info":
            _print(f"  {event.message}", flush=True)
        elif isinstance(event, Notice):
            _print(f"Warning: {event.message}", file=sys.stderr, flush=True)
        elif isinstance(event, StageFinished):
            self.close()
            if isinstance(event.result, Sampled):
                _print_samples(event.result.samples, event.result.copies)
                _print(f"  {event.result.copy_rate:.0%} of the samples drawn were near-copies of "
                      "training posts" + (" and were replaced" if event.result.copy_rate else ""))
            elif "\n" in event.message:  # a table
                _print(f"\n{event.message}\n", flush=True)
            else:
                _print(f"  {event.message}", flush=True)

    def _bar(self, total: int, desc: str, unit: str) -> Any:
        from tqdm.auto import tqdm

        if self.bar is None:
            self.bar = tqdm(total=total, unit=unit, desc=desc, leave=False, disable=None,
                            file=sys.stderr, dynamic_ncols=True)
        return self.bar

    def _progress(self, event: Any) -> None:
        self._bar(event.total_steps, "  training", "step").update(event.step - self.bar.n)
        if "loss" in event.metrics:  # read every few steps on long runs: the last one stays shown
            self.loss = f"{event.metrics['loss']:.3f}"
        if "perplexity" in event.metrics:
            self.perplexity = f"{event.metrics['perplexity']:.1f}"
        shown = {key: value for key, value in (("loss", self.loss), ("val ppl", self.perplexity)) if value}
        if shown:
            self.bar.set_postfix(shown, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _quiet_libraries() -> None:
    """The libraries' own logs and bars would bury our output; --debug brings them back."""
    import os

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore")
    import datasets
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()


if __name__ == "__main__":
    sys.exit(main())
