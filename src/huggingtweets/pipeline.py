"""The whole pipeline for both front doors: sources → clean → dataset → train → generate → card → export.

Each stage is its own module; this one only strings them together, writes what each
produces to the bot's folder, and reports progress as events:

    bot = make_bot(BotConfig.of(("sample",), base_model="scratch"), on_event=print)
    bot.zip_path   # bots/gullhaven_dot/gullhaven_dot.zip
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from itertools import count
from pathlib import Path
from typing import Any

from . import hub
from ._io import write_json, write_jsonl
from .bot_folder import BotFolder, FinishedBot, release_folders
from .card import CardFacts, join_names, render_card
from .clean import CleanStats, check_enough, clean_posts, stats_table
from .config import BotConfig, bot_name
from .continued import continued_splits, newer_posts
from .dataset import Splits, pack_blocks, split_and_mix
from .errors import ConfigError, DataError, TrainingError
from .events import (
    BaseReady,
    DataReady,
    EventHandler,
    Exported,
    FetchProgress,
    Notice,
    Sampled,
    StageFinished,
    StageStarted,
    Trained,
    VoiceChecked,
    ignore,
)
from .export import export_model
from .generate import CopyDetector, Sample, prompt_tokens, sample_posts
from .models import add_lora, load_base_model
from .plots import plot_losses, plot_predictions
from .post import Post, Profile
from .post_format import post_separator
from .recipe import MAX_POSTS, Recipe, choose_recipe
from .sources import LIVE, Fetched, fetch_posts, handle_hint, source_kind
from .sources.sample import HANDLE as SAMPLE_HANDLE
from .tracking import tracking
from .train import TrainRun, choose_device, end_data_parallel, evaluate_loss, is_main_process, perplexity, processes, train_model
from .voice import MIN_POSTS, VOICE_POSTS, style_check


@dataclass(frozen=True)
class PreparedData:
    """What `prepare_data` leaves: the cleaned, split posts and who wrote them. A bot being
    continued (``previous``) has only its new posts in ``kept`` and ``stats``."""

    out_dir: Path
    name: str
    profiles: list[Profile]
    stats: list[CleanStats]
    kept: dict[str, list[Post]]
    splits: Splits
    previous: FinishedBot | None = None
    replayed: int = 0  # old training posts mixed in with the new ones

    @property
    def folder(self) -> BotFolder:
        return BotFolder(self.out_dir)

    @property
    def written(self) -> BotFolder:
        """Where raw/ and data/ were written: the bot's folder, or for an update its staging
        folder, moved into place only once the update has succeeded (`BotFolder.commit_update`)."""
        return self.folder.update if self.previous else self.folder


@dataclass(frozen=True)
class Bot:
    """A finished bot and where its files are."""

    out_dir: Path
    model_dir: Path
    zip_path: Path
    stats: list[CleanStats]
    samples: list[Sample]
    metrics: dict[str, Any]

    @property
    def folder(self) -> BotFolder:
        return BotFolder(self.out_dir)


def prepare_data(config: BotConfig, on_event: EventHandler = ignore) -> PreparedData:
    """Fetch, clean and split; write raw/ and data/ in the bot's folder."""
    main = is_main_process()
    previous = BotFolder(Path(config.train.continue_from)).read() if config.train.continue_from else None
    if previous:  # the bot is updated in its own folder
        config = replace(config, out_dir=previous.folder.path, if_bot_exists="replace")
    config, people = _fetch_people(config, main, on_event, previous)
    out = Path(config.out_dir)  # type: ignore[arg-type]
    # an update writes what it read and split beside the bot, not over it: a failed or stopped
    # update leaves the bot as it was, and its posts still new for the next try
    written = BotFolder(out).update if previous else BotFolder(out)
    handles = [f.profile.handle for f in people]
    if len(set(handles)) < len(handles):
        raise DataError(f"the same person was given twice ({', '.join(handles)}). Give each person once")
    if previous:
        people = _only_new(people, previous, written, main, on_event)
    stats, kept = _clean_people(config, people, written, main, on_event, check=previous is None)
    name = bot_name(handles)
    splits, replayed = _split(config, kept, written, main, on_event, previous)
    on_event(StageFinished(
        "dataset", f"{len(splits.train):,} training and {len(splits.validation):,} validation posts",
        DataReady(out_dir=out, name=name, handles=handles, sources=[f.profile.source for f in people],
                  stats=[s.to_dict() for s in stats], seed=splits.seed, repeats=splits.repeats,
                  train_posts=len(splits.train), validation_posts=len(splits.validation), written=written.path),
    ))
    return PreparedData(out, name, [f.profile for f in people], stats, kept, splits, previous, replayed)


def _read_since(previous: FinishedBot | None, kind: str, hint: str) -> datetime | None:
    """How far back a continued bot reads a source again: a live account to the newest post the
    bot has, the demo persona with her held-back newest posts (`load_sample`); files are read whole."""
    if previous is None:
        return None
    if kind == "sample":
        return previous.last_post(SAMPLE_HANDLE)
    return previous.last_post(hint) if kind in LIVE else None


def _fetch_people(config: BotConfig, main: bool, on_event: EventHandler,
                  previous: FinishedBot | None = None) -> tuple[BotConfig, list[Fetched]]:
    """Each source's posts, in the order given, and the config with the bot's folder filled in.
    A live account of a bot being continued is read back only to the newest post it has."""
    kinds = [config.data.source or source_kind(spec) for spec in config.sources]

    def fetch(i: int, cache_dir: Path | None) -> Fetched:
        spec, kind = config.sources[i], kinds[i]
        hint = handle_hint(spec, kind) if kind in LIVE else spec
        on_event(StageStarted("fetch", f"Reading posts from {spec}"))
        result = fetch_posts(
            spec, kind=kind, text_column=config.data.text_column, max_posts=config.data.max_posts,
            cache_dir=cache_dir if main else None, refresh=config.data.refresh,
            on_progress=lambda n: on_event(FetchProgress(hint, n, config.data.max_posts or MAX_POSTS)),
            newer_than=_read_since(previous, kind, hint), name=config.data.name,
        )
        if result.named_by_file:
            on_event(Notice(f"{Path(spec).name} names no author (no author, handle or username column), so its "
                            f"person is called @{result.profile.handle} after the file: give the handle with --name, "
                            "or add an author column", level="info"))
        reused = " (from raw/; --refresh downloads them again)" if result.reused else ""
        on_event(StageFinished("fetch", f"{len(result.posts):,} posts by @{result.profile.handle}{reused}"))
        return result

    # Files name their person only once read; live accounts are cached in the bot's folder,
    # so local sources come first and settle the folder's name.
    fetched: dict[int, Fetched] = {i: fetch(i, None) for i, k in enumerate(kinds) if k not in LIVE}
    names = [fetched[i].profile.handle if i in fetched else handle_hint(spec, kinds[i])
             for i, spec in enumerate(config.sources)]
    if previous:
        _check_same_people(previous, names, config.sources)
    config = config.with_out_dir(names)
    folder = BotFolder(config.out_dir)  # type: ignore[arg-type]
    if config.if_bot_exists == "new" and folder.holds_bot():
        taken = folder.path
        folder = next(f for f in (BotFolder(taken.with_name(f"{taken.name}-{n}")) for n in count(2)) if not f.holds_bot())
        on_event(Notice(f"{taken} holds a bot made earlier, which is kept: this one goes to {folder.path}", level="info"))
        config = replace(config, out_dir=folder.path)
    if main:
        folder.claim(replace_bot=config.if_bot_exists == "replace" or config.train.resume)
        if previous:
            folder.discard_update()  # an earlier update's that never finished: this one starts over
    for i, kind in enumerate(kinds):
        if kind in LIVE:  # read into the bot's raw/ as pages arrive; an update's, beside it
            fetched[i] = fetch(i, (folder.update if previous else folder).raw_dir)
    return config, [fetched[i] for i in range(len(kinds))]


def _check_same_people(previous: FinishedBot, names: list[str], sources: tuple[str, ...]) -> None:
    """An update learns the newer posts of the people the bot learned: another person's posts are
    refused, not mixed into their voice without a word."""
    known = previous.folder.handles()
    strangers = [(name, spec) for name, spec in zip(names, sources) if known and name not in known]
    if strangers:
        name, spec = strangers[0]
        raise ConfigError(
            f"{previous.folder.path} learned the posts of {join_names(['@' + h for h in known])}, and {spec} holds "
            f"@{name}'s: an update learns the same people's newer posts",
            fix=f"Pass their posts (name a file's person with --name {known[0]}), or make a new bot for @{name}",
            notebook_fix=f"Type their handles or upload their posts, or press Get posts to make a new bot for @{name}",
            library_fix=f"Pass their posts (name a file's person with name=), or make a new bot for @{name}")


def _only_new(people: list[Fetched], previous: FinishedBot, written: BotFolder, main: bool,
              on_event: EventHandler) -> list[Fetched]:
    """Each person's posts newer than the bot's newest; raw/ keeps everything read, old and new."""
    fresh = []
    for f in people:
        handle, source = f.profile.handle, f.profile.source
        new = newer_posts(previous, handle, f.posts)
        last = previous.last_post(handle)
        on_event(Notice(f"@{handle}: {len(new):,} posts newer than the bot's newest"
                        + (f" ({last:%Y-%m-%d %H:%M})" if last else ""), level="info"))
        if main:
            write_jsonl(written.raw_file(source, handle),
                        (p.to_dict() for p in previous.merged_raw(source, handle, f.posts)))
        fresh.append(replace(f, posts=new, cached=True))  # raw/ written above
    return fresh


def _clean_people(config: BotConfig, people: list[Fetched], written: BotFolder, main: bool,
                  on_event: EventHandler, *, check: bool = True) -> tuple[list[CleanStats], dict[str, list[Post]]]:
    """Each person's posts as read (raw/), cleaned, counted (data/stats.json). ``check``: refuse a
    person with too little text (a bot being continued already knows them)."""
    on_event(StageStarted("clean", "Cleaning posts"))
    stats, kept = [], {}
    for f in people:
        handle = f.profile.handle
        if main and not f.cached:  # live sources were written to raw/ page by page
            write_jsonl(written.raw_file(f.profile.source, handle), (p.to_dict() for p in f.posts))
        posts, person_stats = clean_posts(
            f.posts, handle=handle, keep_newlines=config.data.keep_newlines,
            drop_replies=config.data.drop_replies, keep_mentions=config.data.keep_mentions,
        )
        warning = check_enough(person_stats) if check else None
        if warning:
            on_event(Notice(warning))
        stats.append(person_stats)
        kept[handle] = posts
    if main:
        write_json(written.data_dir / "stats.json", {"handles": [s.to_dict() for s in stats]})
    on_event(StageFinished("clean", stats_table(stats)))
    return stats, kept


def _split(config: BotConfig, kept: dict[str, list[Post]], folder: BotFolder, main: bool, on_event: EventHandler,
           previous: FinishedBot | None = None) -> tuple[Splits, int]:
    """Held-out and training posts, mixed (data/train.jsonl, validation.jsonl, split.json), and how
    many old training posts were replayed. A bot being continued keeps its old posts in data/ with
    the new ones, for its next update's replay and no-forgetting check."""
    on_event(StageStarted("dataset", "Splitting and mixing"))
    if previous:
        splits, new_train = continued_splits(previous, kept, validation_fraction=config.data.validation_fraction,
                                             seed=config.seed)
        replayed = len(splits.train) - len(new_train)
        if main:
            write_jsonl(folder.train_path, previous.train + new_train)
            write_jsonl(folder.validation_path, splits.validation)
            write_json(folder.data_dir / "split.json", {
                "seed": splits.seed, "validation_fraction": config.data.validation_fraction,
                "validation_held_out": splits.held_out, "continued_from_version": len(previous.lineage),
                "train_posts": len(splits.train), "replayed_posts": replayed,
                "validation_posts": len(splits.validation), "old_validation_posts": len(previous.validation),
            })
        return splits, replayed
    splits = split_and_mix(kept, validation_fraction=config.data.validation_fraction, seed=config.seed)
    if not splits.validation:
        raise DataError(f"{' and '.join(f'@{h}' for h in kept)} left only {sum(map(len, kept.values()))} post(s) after "
                        "cleaning, and at least 2 are needed: one to learn from, one to check the learning on. "
                        "Add posts or another handle")
    if main:
        write_jsonl(folder.train_path, splits.train)
        write_jsonl(folder.validation_path, splits.validation)
        write_json(folder.data_dir / "split.json", {
            "seed": splits.seed, "validation_fraction": config.data.validation_fraction, "repeats": splits.repeats,
            "validation_held_out": splits.held_out,
            "train_posts": len(splits.train), "validation_posts": len(splits.validation),
        })
    return splits, 0


def _held_out(by_handle: dict[str, str]) -> str:
    """"newest" when every person's validation posts are their newest, else "random" (or mixed)."""
    kinds = sorted(set(by_handle.values()))
    return kinds[0] if len(kinds) == 1 else "newest for some people, random for others"


def make_bot(config: BotConfig, on_event: EventHandler = ignore) -> Bot:
    """Run every stage and return the finished bot; W&B watches when enabled (tracking.py)."""
    try:
        with tracking(config, on_event, main=is_main_process()) as tracked:
            data = prepare_data(config, tracked.on_event)
            return train_bot(config, data, tracked.on_event, links=tracked.links)
    finally:
        release_folders()  # the bot's folder was this run's (BotFolder.lock)


def train_bot(config: BotConfig, data: PreparedData, on_event: EventHandler = ignore, *,
              links: dict[str, str] | None = None) -> Bot:
    """The stages after `prepare_data`: train, sample, write the card, export. The notebook
    calls the two separately, one button each. ``links`` (W&B run URLs) go into the card."""
    started = time.perf_counter()
    main = is_main_process()
    if data.previous:  # continued: the bot itself is the base, trained on its new posts and a replay of old ones
        config = config.updated(base_model=str(data.previous.model_dir))
    base = _load_base(config, data, main, on_event)
    metrics, log_history = _train(config, data, base, main, on_event)
    end_data_parallel()  # the rest is the main process's alone
    if not main:  # the other processes' share of the work ends with training
        return Bot(data.out_dir, data.folder.model_dir, data.folder.zip_path(data.name), data.stats, [], metrics)
    copies = CopyDetector(data.written.learned_texts() or [], base.tokenizer)  # data/ is written: prepare_data
    samples, metrics = _sample(config, data, base, metrics, copies, on_event)
    metrics = _check_voice(config, data, base, metrics, copies, on_event)
    # Nothing of this bot is written before here: a run that failed above leaves the folder's
    # previous bot (model, zip, samples, metrics, loss curve) as it was.
    return _export(config, data, base, samples, metrics, log_history, links or {}, started, on_event)


def original_base(config: BotConfig, data: PreparedData) -> str:
    """The pretrained model the bot comes from: for a continued bot, its first version's base (the
    config then names the bot's own folder as the base: `train_bot`)."""
    return (data.previous.original_base if data.previous else None) or config.train.base_model


@dataclass(frozen=True)
class _Base:
    """The loaded base model, ready to train: what it was saved as, and the recipe and blocks for it."""

    model: Any
    tokenizer: Any
    saved_dtype: str
    recipe: Recipe
    block_size: int
    train_blocks: Any
    eval_blocks: Any


def _load_base(config: BotConfig, data: PreparedData, main: bool, on_event: EventHandler) -> _Base:
    out = data.out_dir
    on_event(StageStarted("base", f"Loading base model {config.train.base_model}"))
    device, precision = choose_device()
    # float32 master weights whatever the checkpoint holds; only a frozen LoRA base may stay in
    # bfloat16, on a GPU that computes in it (on a CPU bfloat16 matmuls are slow)
    weights = "bfloat16" if config.train.lora and device == "cuda" and precision == "bf16" else "float32"
    with tempfile.TemporaryDirectory() as own:
        # scratch: rank 0 builds it in the bot's folder; any other process builds the same one
        # (seeded weights, deterministic BPE) in a folder of its own, so none reads a half-swapped one
        folder = data.folder.scratch_dir if main else Path(own) / "base"
        model, tokenizer = load_base_model(
            config.train.base_model, texts=data.splits.train_texts,  # scratch: the tokenizer never sees validation
            folder=folder, shape=config.train.scratch, seed=config.seed, reuse=config.train.resume and main, dtype=weights,
        )
    prompt_tokens(tokenizer, config.sample.prompt)  # a prompt too long to sample from fails now, not after training
    saved_dtype = model.saved_dtype
    if config.train.lora:
        model = add_lora(model, rank=config.train.lora_rank, alpha=config.train.lora_alpha, targets=config.train.lora_targets)
    recipe = choose_recipe(pretrained=not config.train.from_scratch, width=model.config.hidden_size, epochs=config.train.epochs,
                           learning_rate=config.train.learning_rate, batch_size=config.train.batch_size,
                           block_size=config.train.block_size)
    block_size = min(recipe.block_size, model.config.max_position_embeddings)
    train_blocks = pack_blocks(data.splits.train_texts, tokenizer, block_size=block_size)
    eval_blocks = pack_blocks(data.splits.validation_texts, tokenizer, block_size=block_size)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    on_event(StageFinished("base", f"{model.num_parameters():,} parameters ({trainable:,} trained, saved in "
                                   f"{saved_dtype}, trained in {weights if not config.train.lora else 'float32'}); "
                                   f"{len(train_blocks):,} training blocks of {block_size} tokens, posts "
                                   f"separated by {post_separator(tokenizer)}",
                           BaseReady(out, data.name, model.config.to_dict(), original_base(config, data))))
    return _Base(model, tokenizer, saved_dtype, recipe, block_size, train_blocks, eval_blocks)


def _train(config: BotConfig, data: PreparedData, base: _Base, main: bool,
           on_event: EventHandler) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Train (resuming when asked); the metrics, and the Trainer's log for the loss curve."""
    recipe = base.recipe
    plan = recipe.plan(len(base.train_blocks), processes=processes())
    length = (f"up to {plan.epochs:.3g} epochs ({plan.steps:,} steps), stopping once validation stops improving"
              if recipe.patience is not None else f"{plan.epochs:.3g} epoch{'' if plan.epochs == 1 else 's'}")
    on_event(StageStarted("train", f"Training for {length} (learning rate {recipe.learning_rate:g}, "
                                   f"{recipe.batch_size} × {base.block_size} tokens a step)"))
    checkpoints = data.folder.checkpoints_dir
    if config.train.resume:
        if not checkpoints.is_dir():
            on_event(Notice(f"--resume: no checkpoint in {checkpoints}, so training starts at step 0", level="info"))
    elif main:
        shutil.rmtree(checkpoints, ignore_errors=True)  # another run's steps would mix with ours
    old_before = _old_validation_loss(data, base)
    result = train_model(base.model, base.tokenizer, base.train_blocks, base.eval_blocks, recipe, TrainRun(
        checkpoints, seed=config.seed, resume=config.train.resume,
        checkpoint_seconds=config.train.checkpoint_minutes * 60, on_event=on_event))
    # exported in the dtype it was saved in: float16/bfloat16 as saved, float32 otherwise (models.load_model)
    m = {**result.metrics, "base_dtype": base.saved_dtype, "export_dtype": base.saved_dtype,
         "warmup_ratio": recipe.warmup_ratio, "validation_held_out": _held_out(data.splits.held_out)}
    if data.previous:
        old_after = _old_validation_loss(data, base)
        m["update"] = {
            "version": len(data.previous.lineage) + 1,
            "new_posts": sum(len(posts) for posts in data.kept.values()),
            "replayed_posts": data.replayed,
            "old_validation_posts": len(data.previous.validation),
            "old_validation_perplexity_before": perplexity(old_before),
            "old_validation_perplexity_after": perplexity(old_after),
            "forgetting": perplexity(old_after) / perplexity(old_before),  # ≤ 1.10: the no-forgetting goal
        }
    if main:
        refit = (f"; then the validation posts learned too ({m['refit_epochs']:.3g} passes, {m['refit_steps']:,} steps)"
                 if m.get("refit_steps") else "")
        on_event(StageFinished("train", f"validation perplexity {m['perplexity_before']:.1f} → "
                                        f"{m['perplexity_after']:.1f}{refit}",
                               Trained(m, result.training_args)))
    return m, result.log_history


def _old_validation_loss(data: PreparedData, base: _Base) -> float:
    """A continued bot's loss on the posts its previous version was validated on (nan otherwise)."""
    if data.previous is None:
        return float("nan")
    texts = [row["text"] for row in data.previous.validation]
    blocks = pack_blocks(texts, base.tokenizer, block_size=base.block_size)
    return evaluate_loss(base.model, blocks, batch_size=base.recipe.batch_size)


def _sample(config: BotConfig, data: PreparedData, base: _Base, m: dict[str, Any], copies: CopyDetector,
            on_event: EventHandler) -> tuple[list[Sample], dict[str, Any]]:
    """The card's and the terminal's sample posts, near-copies of training posts replaced."""
    on_event(StageStarted("generate", f"Writing {config.sample.num_samples} posts"))
    run = sample_posts(base.model, base.tokenizer, prompt=config.sample.prompt, n=config.sample.num_samples, seed=config.seed,
                       copies=copies, replace_copies=not config.sample.keep_copies,
                       keep_newlines=config.data.keep_newlines)
    if not run.posts:
        raise TrainingError(
            f"the trained model wrote no usable post (every sample it drew was empty), so nothing was exported"
            f" (validation perplexity {m['perplexity_after']:.1f})", fix="Train longer with more --epochs, or try "
            "another base model", notebook_fix="Train longer (more Epochs), or choose another base model")
    m = {**m, "copy_rate": run.copy_rate, "samples_written": len(run.posts), "samples_drawn": run.drawn,
         "sampling_precision": run.precision}
    on_event(StageFinished("generate", "\n".join(run.texts),
                           Sampled(run.texts, [s.copy for s in run.posts], run.copy_rate)))
    return run.posts, m


def _check_voice(config: BotConfig, data: PreparedData, base: _Base, m: dict[str, Any], copies: CopyDetector,
                 on_event: EventHandler) -> dict[str, Any]:
    """Does the bot sound like the person? A style detector against their newest real posts, the
    held-out ones (voice.py), and the bot's posts as it writes them: no prompt, copies replaced."""
    real = data.splits.validation_texts
    n = min(VOICE_POSTS, len(real))
    who = join_names([f"@{p.handle}" for p in data.profiles])
    on_event(StageStarted("voice", f"Checking the bot's voice: {n} of its posts against {who}'s newest real ones"))
    check = None
    if n >= MIN_POSTS:
        run = sample_posts(base.model, base.tokenizer, n=n, seed=config.seed + 1, copies=copies,
                           keep_newlines=config.data.keep_newlines)
        check = style_check(real, run.texts, seed=config.seed)
    if check is None:
        message = (f"Only {len(real)} held-out post(s) by {who}: too few to check the bot's voice "
                   f"(a style detector needs {MIN_POSTS})")
        m = {**m, "style_detector_accuracy": None, "style_detector_posts": 0}
    else:
        message = check.sentence(who)
        m = {**m, **check.to_dict()}
    on_event(StageFinished("voice", message, VoiceChecked(m["style_detector_accuracy"], m["style_detector_posts"])))
    return m


def _export(config: BotConfig, data: PreparedData, base: _Base, samples: list[Sample], m: dict[str, Any],
            log_history: list[dict[str, Any]], links: dict[str, str], started: float,
            on_event: EventHandler) -> Bot:
    """Loss curve, samples, card, model folder and zip, metrics; then the training leftovers go."""
    out = data.out_dir
    on_event(StageStarted("export", "Writing the model folder, card and zip"))
    folder = data.folder
    plot_losses(log_history, folder.loss_plot, title=f"{data.name} on {config.train.base_model}")
    write_jsonl(folder.samples_path, ({"prompt": config.sample.prompt, "text": s.text, "copy": s.copy} for s in samples))
    plot_predictions([s.text for s in samples], data.name, folder.predictions_plot, prompt=config.sample.prompt)
    dates = [p.created_at for posts in data.kept.values() for p in posts if p.created_at]
    made = datetime.now(timezone.utc).isoformat(timespec="seconds")
    version = {"version": 1, "made": made, "base_model": config.train.base_model,
               "train_posts": len(data.splits.train), "last_post": max(dates).isoformat() if dates else None,
               "perplexity": m["perplexity_after"]}
    if data.previous:
        version = {**version, "base_model": "the previous version", **m["update"]}
    lineage = [*(data.previous.lineage if data.previous else []), version]
    base_model = original_base(config, data)
    card = render_card(CardFacts(
        profiles=data.profiles, stats=data.stats, base_model=base_model, updates=lineage if data.previous else [],
        metrics=m, samples=[s.text for s in samples if not s.copy], model_ref=data.name,
        first_post=min(dates, default=None), last_post=max(dates, default=None), seed=config.seed,
        links=links,  # the W&B runs, when online: filled in as the runs start
        base_on_hub=hub.is_hub_id(base_model),
    ))
    if data.previous:  # the version this update replaces stays recoverable, its GGUF with it
        kept = folder.keep_version(len(data.previous.lineage), data.name)
        on_event(Notice(f"Version {len(data.previous.lineage)} is kept in {kept} (model/, metrics.json and its GGUF, "
                        "if one was made)", level="info"))
    model_dir, zip_path = export_model(base.model, base.tokenizer, card, out_dir=out, name=data.name,
                                       fp16_zip=config.fp16_zip, dtype=m["export_dtype"],
                                       keep_newlines=config.data.keep_newlines)
    metrics = {**m, "base_model": base_model, "seed": config.seed, "made": made, "lineage": lineage,
               "wall_seconds": time.perf_counter() - started,
               "config": config.to_dict()}
    if data.previous:
        folder.commit_update()  # the update's raw/ and data/ go into place: its posts are learned now
    write_json(folder.metrics_path, metrics)
    # The model folder holds the result; checkpoints (weights + optimizer, several times the
    # model) and the random-init scratch base only matter while training.
    shutil.rmtree(folder.checkpoints_dir, ignore_errors=True)
    shutil.rmtree(folder.scratch_dir, ignore_errors=True)
    on_event(StageFinished("export", f"Model in {model_dir}, zip in {zip_path}", Exported(model_dir, zip_path)))
    return Bot(out, model_dir, zip_path, data.stats, samples, metrics)
