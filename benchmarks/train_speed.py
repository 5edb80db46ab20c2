"""Our training recipe against the original project's, in one run, on the same data and model.

The original: 1024-token blocks, batch 1, fp32, 4 epochs, lr 1.372e-4, cosine. Ours: the
recipe for this model (recipe.SCRATCH: 128-token blocks, batch 16, lr 2e-3).
Both train the same small random-init GPT-2 with the same tokenizer, and both are scored on
the same validation blocks (128 tokens). We report tokens/s, and the training time ours needs
(it stops there) to reach the loss the original ends with (eval time excluded; ours is checked once per epoch,
so its time is an upper bound). Goal: ours ≤ 0.5× the original's time.

With --sweep, ours is also run at 64/256/512-token blocks (same 2,048 tokens per step), which
is how the scratch recipe's block size was chosen.

    python benchmarks/train_speed.py            # ../shared/data/trump_tweets.csv if present, else the demo persona
    python benchmarks/train_speed.py --sweep
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import transformers

from huggingtweets.config import BotConfig, ScratchShape
from huggingtweets.dataset import pack_blocks
from huggingtweets.events import TrainProgress
from huggingtweets.models import build_scratch_model, load_model
from huggingtweets.pipeline import prepare_data
from huggingtweets.recipe import SCRATCH, Recipe
from huggingtweets.train import TrainRun, train_model

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "trump_tweets.csv"
ORIGINAL = {"block_size": 1024, "batch_size": 1, "epochs": 4, "learning_rate": 1.372e-4}


class _Reached(Exception):
    """Raised from the event stream to stop a run once it reached the target loss."""


def run(recipe: dict, base: Path, texts: list[str], eval_texts: list[str], work: Path,
        target: float | None = None) -> dict:
    """Train a fresh copy of the base with ``recipe`` (until ``target`` if given); return the
    validation losses with the training seconds at each, and tokens/s."""
    model, tokenizer = load_model(str(base))
    train = pack_blocks(texts, tokenizer, block_size=recipe["block_size"])
    evals = pack_blocks(eval_texts, tokenizer, block_size=128)
    curve: list[tuple[float, float]] = []  # (training seconds so far, validation loss)
    clock = {"start": time.perf_counter(), "eval": 0.0, "step": 0}

    def on_event(event) -> None:
        if not isinstance(event, TrainProgress):
            return
        clock["step"] = event.step
        if "eval_loss" in event.metrics:
            clock["eval"] += event.metrics.get("eval_runtime", 0.0)
            curve.append((time.perf_counter() - clock["start"] - clock["eval"], event.metrics["eval_loss"]))
            if target is not None and event.metrics["eval_loss"] <= target:
                raise _Reached

    clock["start"] = time.perf_counter()
    try:
        plan = Recipe(epochs=recipe["epochs"], learning_rate=recipe["learning_rate"], batch_size=recipe["batch_size"],
                      block_size=recipe["block_size"], warmup_ratio=0.0)
        result = train_model(model, tokenizer, train, evals, plan,
                             TrainRun(work / f"ckpt-{recipe['block_size']}-{recipe['batch_size']}", on_event=on_event))
        final_loss = result.metrics["eval_loss_after"]
    except _Reached:
        final_loss = curve[-1][1]
    seconds = curve[-1][0]
    tokens = clock["step"] * recipe["batch_size"] * recipe["block_size"]
    return {"curve": curve, "tokens_per_second": tokens / seconds, "final_loss": final_loss,
            "train_seconds": seconds}


def time_to(curve: list[tuple[float, float]], target: float) -> float:
    return next((t for t, loss in curve if loss <= target), math.inf)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default=str(REAL_DATA) if REAL_DATA.is_file() else "sample")
    parser.add_argument("--sweep", action="store_true", help="also try other block sizes for ours")
    parser.add_argument("--max-epochs", type=float, default=8, help="ours stops here if it never reaches the target")
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()

    defaults = BotConfig.of(sources=(args.data,), base_model="scratch")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = prepare_data(replace(defaults, out_dir=work / "bot"))
        texts, eval_texts = data.splits.train_texts, data.splits.validation_texts
        shape = ScratchShape(n_positions=1024)  # the original's blocks need 1024 positions
        base = build_scratch_model(texts + eval_texts, work / "base", shape=shape, seed=0)
        print(f"data: {args.data} ({len(texts):,} training posts); model: GPT-2 {shape.n_layer}×{shape.n_embd}, "
              f"random init; CPU threads: {__import__('torch').get_num_threads()}")

        original = run(ORIGINAL, base, texts, eval_texts, work)
        target = original["final_loss"]
        print(f"\noriginal recipe {ORIGINAL}:\n  {original['tokens_per_second']:,.0f} tokens/s, "
              f"{original['train_seconds']:.1f} s of training for 4 epochs, final validation loss {target:.3f}")

        ours_recipe = {"block_size": SCRATCH.block_size, "batch_size": SCRATCH.batch_size,
                       "epochs": args.max_epochs, "learning_rate": SCRATCH.learning_rate}
        recipes = [ours_recipe]
        if args.sweep:
            recipes += [{**ours_recipe, "block_size": b, "batch_size": 2048 // b} for b in (64, 256, 512)]
        for recipe in recipes:
            ours = run(recipe, base, texts, eval_texts, work, target=target)
            reach = time_to(ours["curve"], target)
            label = "ours" if recipe is ours_recipe else "ours, sweep"
            print(f"\n{label} {recipe}:\n  {ours['tokens_per_second']:,.0f} tokens/s "
                  f"({ours['tokens_per_second'] / original['tokens_per_second']:.1f}× the original), "
                  f"reaches {target:.3f} after {reach:.1f} s of training: "
                  f"{reach / original['train_seconds']:.2f}× the original's time (goal ≤ 0.50×)")


if __name__ == "__main__":
    main()
