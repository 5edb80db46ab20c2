"""Training: fine-tune a causal LM on packed blocks with transformers' `Trainer`.

Validation perplexity is measured before training and after every epoch; the best
epoch is kept (its trained weights copied in memory, not written to disk). A loss that stops
being finite ends training at once with a `TrainingError`. Checkpoints (weights + optimizer,
for `resume`) are written only once training has run ``checkpoint_seconds`` since the last one:
a short run writes none. The loop reports through `TrainProgress` events and prints nothing:

    result = train_model(model, tokenizer, train_blocks, eval_blocks, choose_recipe(pretrained=True),
                         TrainRun(out / "checkpoints", on_event=print))
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ._cpu import keep_freed_memory
from ._io import disk_full
from .errors import TrainingError
from .events import EventHandler, TrainProgress, ignore
from .recipe import CHECKPOINT_MINUTES

if TYPE_CHECKING:  # typing only: transformers loads when a stage runs
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from .recipe import Plan, Recipe


CHECKPOINT_SECONDS = CHECKPOINT_MINUTES * 60
LOG_POINTS = 200  # training losses logged per run, at most: the loss curve and progress read them
BEST_RECORD = "best.json"  # in a checkpoint: the best validation loss so far, and its step
BEST_WEIGHTS = "best.safetensors"  # ... and its trained weights, when they are not the checkpoint's own


def is_main_process() -> bool:
    """Under `accelerate launch` or torchrun every process runs the pipeline and trains its
    share; only rank 0 writes files and samples."""
    return int(os.environ.get("RANK", "0")) == 0


def processes() -> int:
    """How many processes train together (`accelerate launch`, torchrun): each takes its share of a step."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def end_data_parallel() -> None:
    """Close the process group that several `accelerate launch` processes trained over, on each of
    them once all have trained (a barrier first: no process leaves another mid-collective). A
    process that exits with it open can abort at exit (gloo: "terminate called without an active
    exception"), failing the launch after a finished training. One process: nothing to close."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


@dataclass(frozen=True)
class TrainResult:
    metrics: dict[str, Any]  # what goes into metrics.json
    log_history: list[dict[str, Any]]  # the Trainer's own log, for the loss curve
    training_args: dict[str, Any]  # the TrainingArguments used (tokens masked by transformers)


def perplexity(loss: float) -> float:
    """exp(loss), guarded: a diverged model reports inf rather than crashing."""
    try:
        return math.exp(loss)
    except OverflowError:
        return float("inf")


def choose_device() -> tuple[str, str]:
    """(device, precision): bf16 on GPUs that have it, fp16 with loss scaling on older ones
    such as Colab's T4, fp32 on CPU."""
    import torch

    if torch.cuda.is_available():
        return "cuda", "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if torch.backends.mps.is_available():
        return "mps", "fp32"
    return "cpu", "fp32"


@dataclass(frozen=True)
class TrainRun:
    """Where and how one training run goes (what it trains, and how long, is the recipe's)."""

    output_dir: Path  # checkpoints, for a resume
    seed: int = 42
    resume: bool = False  # continue from the last complete checkpoint in output_dir
    precision: str | None = None  # "bf16", "fp16", "fp32": the autocast; None: the hardware's best
    checkpoint_seconds: float = CHECKPOINT_SECONDS  # training time between checkpoints (0: after every step)
    # torch.compile the model first: a fixed cost of tens of seconds, off until a GPU measurement
    # shows it paying for itself at a person's data size (benchmarks/gpu_figures.py)
    compile: bool = False
    on_event: EventHandler = ignore


def train_model(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, train_blocks: Any, eval_blocks: Any,
                recipe: Recipe, run: TrainRun) -> TrainResult:
    """Fine-tune in place as ``recipe`` says (recipe.py: its epochs, rate, batches, validations
    and when to stop), as ``run`` says (where, seeded how, resumed or not); the weights stay in the
    dtype they have, whatever the autocast."""
    from transformers import PrinterCallback, Trainer, default_data_collator

    device, auto_precision = choose_device()
    precision = run.precision or auto_precision
    if device == "cpu":
        keep_freed_memory()
    plan = recipe.plan(len(train_blocks), processes=processes())
    args = _training_args(run, recipe, plan, device, precision)
    best = KeepBest(model, run.checkpoint_seconds, patience=recipe.patience, min_steps=recipe.min_steps,
                    peak_margin=recipe.peak_margin)
    callbacks: list[Any] = [Progress(run.on_event), FiniteLoss(recipe.learning_rate), best]  # transformers' protocol
    trainer = Trainer(
        model=model, args=args, train_dataset=train_blocks, eval_dataset=eval_blocks, processing_class=tokenizer,
        data_collator=default_data_collator, callbacks=callbacks,
        optimizers=(_optimizer(model, recipe, fused=device == "cuda"), None),  # the Trainer adds the schedule
    )
    trainer.remove_callback(PrinterCallback)  # with tqdm off it would print every log line

    # --- before: how surprised is the base model by this person? ---
    loss_before = trainer.evaluate()["eval_loss"]
    if not math.isfinite(loss_before):
        raise TrainingError(f"the base model's validation loss is {loss_before} before any training, so its "
                            "weights are broken. Check the base model (load it with transformers and generate "
                            "a sentence), or try another one")

    # --- fine-tune (from the last checkpoint when resuming) ---
    checkpoint = last_complete_checkpoint(run.output_dir) if run.resume else None
    first_step = int(Path(checkpoint).name.split("-")[-1]) if checkpoint else 0
    started = time.perf_counter()
    try:
        output = trainer.train(resume_from_checkpoint=checkpoint)
    except RuntimeError as error:  # torch.save meets a full disk as a RuntimeError, not an OSError
        if disk_full(run.output_dir):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), f"{run.output_dir} (a checkpoint)") from error
        raise
    wall = time.perf_counter() - started

    # --- after: the best point, put back in place; its loss was measured there, on the same
    # blocks, so it is not measured again ---
    best.restore()
    loss_after = best.loss if math.isfinite(best.loss) else _best_eval_loss(trainer.state.log_history)

    # --- then the validation posts, the newest, are learned too (Recipe.refit_epochs) ---
    refit_steps = _refit(model, tokenizer, eval_blocks, recipe, args, fused=device == "cuda") if recipe.refit_epochs else 0
    block_size = len(train_blocks[0]["input_ids"]) if len(train_blocks) else 0
    step_tokens = recipe.batch_size * args.world_size * block_size  # every process trains on its own batch
    tokens_this_run = (output.global_step - first_step + refit_steps) * step_tokens
    return TrainResult(
        metrics={
            "perplexity_before": perplexity(loss_before),
            "perplexity_after": perplexity(loss_after),
            "eval_loss_before": loss_before,
            "eval_loss_after": loss_after,
            "train_loss": output.training_loss,
            "epochs": plan.epochs,  # planned: training may have stopped sooner (epochs_trained)
            "epochs_trained": round(float(trainer.state.epoch or 0), 2),
            "stopped_early": best.stopped,  # validation stopped improving (Recipe.patience)
            "steps": output.global_step,
            "tokens_seen": (output.global_step + refit_steps) * step_tokens,
            "tokens_per_second": tokens_this_run / wall if wall > 0 else 0.0,
            "resumed_from_step": first_step,
            "train_seconds": wall,
            "device": device,
            "precision": precision,  # autocast; the weights' own dtypes below
            **_weight_dtypes(model),
            "batch_size": recipe.batch_size,
            "processes": args.world_size,
            "block_size": block_size,
            "learning_rate": recipe.learning_rate,
            "embedding_learning_rate": recipe.learning_rate * recipe.embedding_lr_scale,
            "best_epoch": _best_epoch(trainer.state.log_history, plan.epochs),
            "refit_epochs": recipe.refit_epochs if refit_steps else 0.0,
            "refit_steps": refit_steps,
            "refit_learning_rate": recipe.learning_rate * recipe.refit_lr_scale,
        },
        log_history=list(trainer.state.log_history),
        training_args=args.to_dict(),
    )


def _training_args(run: TrainRun, recipe: Recipe, plan: Plan, device: str, precision: str) -> Any:
    """The Trainer's arguments for ``recipe``'s ``plan`` on this hardware."""
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=str(run.output_dir),
        num_train_epochs=plan.epochs,
        learning_rate=recipe.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=plan.warmup_steps,
        weight_decay=recipe.weight_decay,
        per_device_train_batch_size=recipe.batch_size,
        per_device_eval_batch_size=recipe.batch_size,
        eval_strategy="steps",
        eval_steps=plan.eval_steps,
        # checkpoints only serve a resume: KeepBest asks for one when it would save more training
        # than it costs, and keeps the best point's weights in memory
        save_strategy="no",
        save_total_limit=1,
        # the loss every 0.5% of the steps (every step in runs under 200): reading it makes the
        # host wait for the GPU, which a step of a few milliseconds must not do each time
        logging_steps=1 / LOG_POINTS,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        tf32=device == "cuda" and _has_tf32(),  # what autocast leaves in float32 runs on tensor cores too
        torch_compile=run.compile,
        use_cpu=device == "cpu",  # also lets several CPU processes (torchrun) train data-parallel over gloo
        dataloader_num_workers=0,  # blocks are in memory already
        dataloader_pin_memory=device == "cuda",
        report_to="none",  # tracking.py observes; the Trainer does not pick a tracker itself
        disable_tqdm=True,
        seed=run.seed,
        data_seed=run.seed,
    )


def _refit(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, blocks: Any, recipe: Recipe,
           args: Any, *, fused: bool) -> int:
    """Once validation has chosen how long to train, learn its posts too: each person's newest,
    the nearest to what they write next, which the original recipe trained on and ours held out.
    ``recipe.refit_epochs`` passes over them from the best point, at ``recipe.refit_lr_scale`` ×
    the rate with a fresh AdamW and cosine decay; returns the optimizer steps taken (0: no posts)."""
    from dataclasses import replace

    from transformers import PrinterCallback, Trainer, TrainingArguments, default_data_collator

    if not len(blocks):
        return 0
    rate = recipe.learning_rate * recipe.refit_lr_scale
    refit_args = TrainingArguments(**{
        **{k: getattr(args, k) for k in ("per_device_train_batch_size", "weight_decay", "bf16", "fp16", "tf32",
                                         "use_cpu", "dataloader_num_workers", "dataloader_pin_memory", "seed",
                                         "data_seed")},
        "output_dir": str(Path(args.output_dir) / "refit"), "num_train_epochs": recipe.refit_epochs,
        "learning_rate": rate, "lr_scheduler_type": "cosine", "warmup_steps": 0, "eval_strategy": "no",
        "save_strategy": "no", "logging_steps": 1, "report_to": "none", "disable_tqdm": True,
    })
    trainer = Trainer(
        model=model, args=refit_args, train_dataset=blocks, processing_class=tokenizer,
        data_collator=default_data_collator, callbacks=[cast(Any, FiniteLoss(recipe.learning_rate))],
        optimizers=(_optimizer(model, replace(recipe, learning_rate=rate), fused=fused), None),
    )
    trainer.remove_callback(PrinterCallback)  # with tqdm off it would print every log line
    return int(trainer.train().global_step)


def _optimizer(model: PreTrainedModel, recipe: Recipe, *, fused: bool) -> Any:
    """AdamW over the weights that train, the token embeddings at ``recipe.embedding_lr_scale`` ×
    the rate; no weight decay on biases and norms, as the Trainer's own optimizer does."""
    import torch

    embeddings = {id(model.get_input_embeddings().weight)}
    output = model.get_output_embeddings()
    if output is not None:
        embeddings.add(id(output.weight))  # the same tensor when tied, as GPT-2's are
    groups: dict[tuple[float, float], list[Any]] = {}
    for p in model.parameters():
        if not p.requires_grad:
            continue
        lr = recipe.learning_rate * (recipe.embedding_lr_scale if id(p) in embeddings else 1.0)
        decay = 0.0 if p.ndim < 2 else recipe.weight_decay
        groups.setdefault((lr, decay), []).append(p)
    params = [{"params": ps, "lr": lr, "weight_decay": decay} for (lr, decay), ps in groups.items()]
    return torch.optim.AdamW(params, lr=recipe.learning_rate, fused=fused or None)


def evaluate_loss(model: PreTrainedModel, blocks: Any, *, batch_size: int, precision: str | None = None) -> float:
    """The model's loss on ``blocks``, measured as `train_model` measures validation."""
    import tempfile

    from transformers import PrinterCallback, Trainer, TrainingArguments, default_data_collator

    device, auto_precision = choose_device()
    precision = precision or auto_precision
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(output_dir=tmp, per_device_eval_batch_size=batch_size, use_cpu=device == "cpu",
                                 bf16=precision == "bf16", fp16=precision == "fp16", report_to="none",
                                 disable_tqdm=True, dataloader_num_workers=0)
        trainer = Trainer(model=model, args=args, data_collator=default_data_collator)
        trainer.remove_callback(PrinterCallback)  # with tqdm off it would print the metrics
        return trainer.evaluate(blocks)["eval_loss"]


def _has_tf32() -> bool:
    import torch

    return torch.cuda.get_device_capability()[0] >= 8  # Ampere and newer; not Colab's T4


def last_complete_checkpoint(folder: Path) -> str | None:
    """The newest ``checkpoint-N`` in ``folder`` that was written to the end, or None. The Trainer
    writes trainer_state.json last, so one without a readable state was cut off (Ctrl-C or kill -9
    while saving): it is removed, as are any newer ones, and the one before it is used."""
    numbered = [p for p in Path(folder).glob("checkpoint-*") if p.is_dir() and p.name.rpartition("-")[2].isdigit()]
    for path in sorted(numbered, key=lambda p: int(p.name.rpartition("-")[2]), reverse=True):
        try:
            json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
            return str(path)
        except (OSError, ValueError):
            shutil.rmtree(path, ignore_errors=True)
    return None


def _weight_dtypes(model: PreTrainedModel) -> dict[str, str]:
    """{"trained_dtype": ...} of the weights the optimizer updates (float32 master weights), and
    {"frozen_dtype": ...} of the ones it doesn't, when there are any (a LoRA base)."""
    def name(params: list[Any]) -> str:
        return ", ".join(sorted({str(p.dtype).removeprefix("torch.") for p in params}))

    trained = [p for p in model.parameters() if p.requires_grad]
    frozen = [p for p in model.parameters() if not p.requires_grad]
    return {"trained_dtype": name(trained), **({"frozen_dtype": name(frozen)} if frozen else {})}


def _epoch_evals(log_history: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """(validation loss, epoch) after each epoch; the evaluation before training is not one of them."""
    return [(row["eval_loss"], row["epoch"]) for row in log_history if "eval_loss" in row and row.get("epoch")]


def _best_eval_loss(log_history: list[dict[str, Any]]) -> float:
    """The validation loss of the epoch that load_best_model_at_end put back in place."""
    return min(_epoch_evals(log_history))[0]


def _best_epoch(log_history: list[dict[str, Any]], epochs: float) -> float | None:
    """The epoch whose weights were kept: ``epochs`` when it was the last evaluation (a fractional
    run's last epoch ends a step or so off ``epochs``), else that evaluation's epoch."""
    evals = _epoch_evals(log_history)
    if not evals:
        return None
    best = min(evals)
    return epochs if best[1] >= evals[-1][1] else round(best[1], 2)


class Callback:
    """A Trainer callback without importing transformers when this module loads (the CLI's and the
    notebook's start stays quick): every event a subclass doesn't handle does nothing, as
    `transformers.TrainerCallback`'s do."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("on_"):
            return _nothing
        raise AttributeError(name)


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


class FiniteLoss(Callback):
    """Ends training with a `TrainingError` at the first non-finite training or validation loss:
    a model past that point is broken, and must not be shipped."""

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = learning_rate
        self.training = False  # the evaluation before training is checked by train_model: the base is broken

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.training = True

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not self.training:
            return
        for key in ("loss", "eval_loss"):
            value = (logs or {}).get(key)
            if isinstance(value, (int, float)) and not math.isfinite(value):
                what = "training" if key == "loss" else "validation"
                rate = self.learning_rate
                raise TrainingError(
                    f"training diverged: the {what} loss became {value} at step {state.global_step} of "
                    f"{state.max_steps}, so nothing was exported",
                    fix=f"Train again with a lower --learning-rate (this run used {rate:g}; try {rate / 4:g})",
                    notebook_fix=f"Train again, or choose another base model (this run's learning rate, {rate:g}, "
                                 "was too high for it)",
                    library_fix=f"Train again with a lower learning_rate (this run used {rate:g}; try {rate / 4:g})")


class KeepBest(Callback):
    """Keeps the trained weights of the point with the lowest validation loss, copied to CPU memory
    only once training moves on from them (a run whose last point is its best copies nothing);
    ``restore()`` puts them back after training. ``patience`` validations in a row without a new
    best end training, once ``min_steps`` have run; before that, only when each of them was
    ``peak_margin`` (nats per token) or more above the best: validation has clearly peaked.

    It also asks for a checkpoint once ``checkpoint_seconds`` of training have passed since the
    last one (or the start), never at the last step: training's end is exported, not resumed.
    The best so far goes into the checkpoint's folder first (`BEST_RECORD`, `BEST_WEIGHTS`), so a
    checkpoint the Trainer finished (its trainer_state.json, written last) holds it, and a resumed
    run keeps it."""

    def __init__(self, model: PreTrainedModel, checkpoint_seconds: float, *, patience: int | None = None,
                 min_steps: int = 0, peak_margin: float | None = None) -> None:
        self.model, self.checkpoint_seconds, self.patience, self.min_steps = model, checkpoint_seconds, patience, min_steps
        self.peak_margin = peak_margin
        self.training = False
        self.loss = math.inf
        self.step: int | None = None  # the step whose weights are the best
        self.copy: dict[str, Any] | None = None  # their copy, once training has moved past them
        self.saved = 0.0  # when the last checkpoint was written (or training began)
        self.stale = 0  # evaluations since the best
        self.risen = 0  # of them, the last ones in a row at least peak_margin above it
        self.stopped = False  # by us: validation stopped improving

    def _trained(self) -> dict[str, Any]:
        return {name: p for name, p in self.model.named_parameters() if p.requires_grad}

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.training, self.saved = True, time.monotonic()
        checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if state.global_step and (checkpoint / BEST_RECORD).is_file():  # resumed: the best before the cut
            record = json.loads((checkpoint / BEST_RECORD).read_text(encoding="utf-8"))
            self.loss, self.step, self.stale = record["loss"], record["step"], record.get("stale", 0)
            self.risen = record.get("risen", 0)
            if (checkpoint / BEST_WEIGHTS).is_file():
                from safetensors.torch import load_file

                self.copy = load_file(checkpoint / BEST_WEIGHTS)

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None,
                    **kwargs: Any) -> None:
        loss = (metrics or {}).get("eval_loss", math.inf)
        if self.training and loss < self.loss:  # the model as it is now is the best
            self.loss, self.step, self.copy, self.stale, self.risen = loss, state.global_step, None, 0, 0
        elif self.training:
            self.stale += 1
            self.risen = self.risen + 1 if self.peak_margin is not None and loss >= self.loss + self.peak_margin else 0
            floor_met = state.global_step >= self.min_steps or self.risen >= (self.patience or 0)
            if self.patience is not None and self.stale >= self.patience and floor_met:
                control.should_training_stop = self.stopped = state.global_step < state.max_steps

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.step is not None and self.copy is None:  # this step moves the weights past the best
            self.copy = {name: p.detach().to("cpu", copy=True) for name, p in self._trained().items()}

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # the Trainer saves right after this, before any evaluation of this step
        if state.global_step >= state.max_steps or time.monotonic() - self.saved < self.checkpoint_seconds:
            return
        control.should_save = True  # on every process: the Trainer saves together
        if self.step is not None and state.is_world_process_zero:  # one writer for the record
            from safetensors.torch import save_file

            checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            checkpoint.mkdir(parents=True, exist_ok=True)
            if self.copy is not None:  # else the best is these weights: the checkpoint's own
                save_file({k: v.contiguous() for k, v in self.copy.items()}, checkpoint / BEST_WEIGHTS)
            (checkpoint / BEST_RECORD).write_text(json.dumps({"loss": self.loss, "step": self.step, "stale": self.stale,
                                                              "risen": self.risen}),
                                                  encoding="utf-8")

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.saved = time.monotonic()

    def restore(self) -> None:
        """Put the best weights back, when training went on past them."""
        import torch

        self.training = False
        if self.copy is None:
            return
        with torch.no_grad():
            for name, p in self._trained().items():
                p.copy_(self.copy[name].to(p.device))


class Progress(Callback):
    """Turns the Trainer's logs into `TrainProgress` events."""

    def __init__(self, on_event: EventHandler) -> None:
        self.on_event = on_event
        self.training = False  # the evaluations before and after training are reported by train_model

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.training = True

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.training = False

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step % state.logging_steps:  # the bar moves on steps whose loss isn't read
            self.on_event(TrainProgress(state.global_step, state.max_steps, float(state.epoch or 0), {}))

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not self.training:
            return
        metrics = {k: float(v) for k, v in (logs or {}).items() if isinstance(v, (int, float))}
        if "eval_loss" in metrics:
            metrics["perplexity"] = perplexity(metrics["eval_loss"])
        self.on_event(TrainProgress(state.global_step, state.max_steps, float(state.epoch or 0), metrics))
