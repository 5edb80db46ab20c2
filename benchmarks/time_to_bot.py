"""Time to bot: the whole `huggingtweets train`, as a user waits for it, split by stage.

A user's wait is the whole command, not the training loop. This runs the real `train` path
(the CLI's own config, `make_bot`) on trump_tweets.csv with a GPT-2-124M-shaped base (random
init, built offline with the real GPT-2 tokenizer of ../shared/models/gpt2-standin, saved in
float32 as the Hub's gpt2 is) and prints the wall time of each stage and the share spent
outside the training loop's own steps.

Stages are timed from outside, by wrapping the functions each one calls (Trainer.evaluate,
Trainer._save_checkpoint, render_card, export_model, zip_folder, ...), so the same measurement
runs on any revision of the code. With ``--before REV`` the same measurement also runs on that
git revision (checked out in a temporary worktree), in the same run, as the baseline.

    python benchmarks/time_to_bot.py --max-posts 200 --epochs 1 --before 830e155   # this CPU
    python benchmarks/time_to_bot.py                                               # a GPU: all 8,020 posts
    python benchmarks/time_to_bot.py --tiny --max-posts 100 --epochs 1             # a quick check of the plumbing
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
TRUMP = SHARED / "data" / "trump_tweets.csv"
STANDIN = SHARED / "models" / "gpt2-standin"
CACHE = Path.home() / ".cache" / "huggingtweets" / "benchmarks"
SHAPES = {"124m": dict(n_layer=12, n_embd=768, n_head=12), "tiny": dict(n_layer=2, n_embd=128, n_head=4)}
GOAL_GPU_SECONDS = 20.0  # whole train on an H100 (issue 13)

# Run in a child process, with the revision under test first on sys.path. Every stage is
# timed by wrapping what it calls; names that a revision lacks are skipped, not failed.
CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import transformers
from huggingtweets import export, pipeline
from huggingtweets.cli import _config, build_parser
from _timing import stage_clock  # benchmarks/, on the path after the revision's src/
imported = time.perf_counter()
totals, calls = {}, {}

def wrap(owner, attr, label):
    if not hasattr(owner, attr):
        return
    inner = getattr(owner, attr)
    def timed(*args, **kwargs):
        calls[label] = calls.get(label, 0) + 1
        label_ = label
        if label == "evaluations" and calls[label] == 1:
            label_ = "evaluation before"  # train_model's first evaluation: the base, before training
        started = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            totals[label_] = totals.get(label_, 0.0) + time.perf_counter() - started
    setattr(owner, attr, timed)

wrap(transformers.Trainer, "evaluate", "evaluations")
wrap(transformers.Trainer, "_save_checkpoint", "checkpoints")
wrap(transformers.Trainer, "_load_best_model", "best model reloaded")
wrap(pipeline, "render_card", "card")
wrap(pipeline, "plot_losses", "plots")
wrap(pipeline, "plot_predictions", "plots")
wrap(pipeline, "export_model", "model write + zip")
wrap(export, "zip_folder", "zip")
spans, on_event = stage_clock()
bot = pipeline.make_bot(_config(build_parser().parse_args(sys.argv[1:])), on_event=on_event)
end = time.perf_counter()
print(json.dumps({"imports": imported - t0, "spans": spans, "totals": totals, "total": end - t0,
                  "train_seconds": bot.metrics["train_seconds"], "steps": bot.metrics["steps"],
                  "tokens_per_second": bot.metrics["tokens_per_second"], "device": bot.metrics["device"],
                  "precision": bot.metrics["precision"], "perplexity_after": bot.metrics["perplexity_after"]}))
"""


def build_base(shape: str) -> Path:
    """A random-init GPT-2 of the given shape with the real GPT-2 tokenizer, saved once."""
    folder = CACHE / f"gpt2-{shape}-random"
    if (folder / "config.json").is_file():
        return folder
    import torch
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(STANDIN)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_positions=1024, **SHAPES[shape]))
    tmp = folder.with_name(folder.name + ".tmp")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    tmp.rename(folder)
    return folder


def newest_posts(n: int | None, folder: Path) -> Path:
    """trump_tweets.csv, or its newest ``n`` rows (a person with a smaller archive)."""
    if n is None:
        return TRUMP
    with TRUMP.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows = sorted((r for r in rows if r.get("Date")), key=lambda r: r["Date"])
    path = folder / "realDonaldTrump.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[-n:])
    return path


def worktree(rev: str, folder: Path) -> Path:
    root = Path(__file__).resolve().parents[1]
    subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", "-q", str(folder), rev], check=True)
    return folder / "src"


def run(src: Path, data: Path, base: Path, out: Path, epochs: float | None) -> dict:
    """One whole `huggingtweets train` of the code in ``src``, timed by stage."""
    argv = ["train", str(data), "--base-model", str(base), "--out", str(out), "--wandb", "disabled"]
    if epochs is not None:
        argv += ["--epochs", str(epochs)]
    path = os.pathsep.join([str(src), str(Path(__file__).resolve().parent), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run([sys.executable, "-c", CHILD, *argv], check=True, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return json.loads(done.stdout.strip().splitlines()[-1])


def rows_of(r: dict) -> dict[str, float]:
    """Wall seconds by stage; what no stage accounts for is its own row."""
    s, t = r["spans"], r["totals"]
    evaluations = t.get("evaluations", 0.0)
    checkpoints = t.get("checkpoints", 0.0) + t.get("best model reloaded", 0.0)
    write_and_zip = t.get("model write + zip", 0.0)
    rows = {
        "python + imports": r["imports"],
        "read": s.get("fetch", 0.0),
        "clean + split": s.get("clean", 0.0) + s.get("dataset", 0.0),
        "load base": s.get("base", 0.0),
        "trainer set-up": s.get("train", 0.0) - r["train_seconds"] - t.get("evaluation before", 0.0),
        "evaluation before": t.get("evaluation before", 0.0),
        "training loop (steps)": r["train_seconds"] - evaluations - checkpoints,
        "evaluations after epochs": evaluations,
        "checkpoints (+ best reloaded)": checkpoints,
        "sampling": s.get("generate", 0.0),
        "card": t.get("card", 0.0),
        "plots": t.get("plots", 0.0),
        "model write": write_and_zip - t.get("zip", 0.0),
        "zip": t.get("zip", 0.0),
        "samples file, metrics, clean-up": s.get("export", 0.0) - t.get("card", 0.0) - t.get("plots", 0.0) - write_and_zip,
    }
    rows["between stages (tracking)"] = r["total"] - sum(rows.values())
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-posts", type=int, help="train on the newest N posts (default: all 8,020 kept)")
    parser.add_argument("--epochs", type=float, help="passes over the posts (default: the recipe's)")
    parser.add_argument("--tiny", action="store_true", help="a 2-layer, 128-wide base instead of 124M")
    parser.add_argument("--before", metavar="REV", help="also measure this git revision, in the same run")
    args = parser.parse_args()
    if not TRUMP.is_file() or not STANDIN.is_dir():
        sys.exit(f"needs {TRUMP} and {STANDIN} (the shared folder beside the repo)")

    base = build_base("tiny" if args.tiny else "124m")
    here = Path(__file__).resolve().parents[1] / "src"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = newest_posts(args.max_posts, tmp)
        runs = {}
        if args.before:
            before_src = worktree(args.before, tmp / "before")
            runs[f"before ({args.before})"] = run(before_src, data, base, tmp / "bot-before", args.epochs)
        runs["now"] = run(here, data, base, tmp / "bot-now", args.epochs)
        if args.before:
            subprocess.run(["git", "-C", str(here.parent), "worktree", "remove", "--force", str(tmp / "before")],
                           check=False)

    first = next(iter(runs.values()))
    print(f"time to bot: `huggingtweets train` on {args.max_posts or 'all'} trump posts, "
          f"base {'tiny' if args.tiny else 'GPT-2 124M'} (random init), device {first['device']} "
          f"({first['precision']}), {first['steps']} steps")
    table = {label: rows_of(r) for label, r in runs.items()}
    print(f"{'stage':<36}" + "".join(f"{label:>22}" for label in table))
    for stage in next(iter(table.values())):
        print(f"{stage:<36}" + "".join(f"{rows[stage]:>20.1f} s" for rows in table.values()))
    print(f"{'whole command':<36}" + "".join(f"{r['total']:>20.1f} s" for r in runs.values()))
    shares = {label: 1 - rows["training loop (steps)"] / runs[label]["total"] for label, rows in table.items()}
    print(f"{'share outside the training loop':<36}" + "".join(f"{s:>22.0%}" for s in shares.values()))
    print(f"{'training tokens/s':<36}" + "".join(f"{r['tokens_per_second']:>22,.0f}" for r in runs.values()))
    print(f"{'validation perplexity after':<36}" + "".join(f"{r['perplexity_after']:>22.1f}" for r in runs.values()))
    if len(runs) == 2:
        print(f"now / before: {runs['now']['total'] / first['total']:.2f}× the wall time; "
              f"outside the loop {shares[list(shares)[0]]:.0%} → {shares['now']:.0%}")
    if first["device"] == "cuda" and args.max_posts is None and not args.tiny:
        wall = runs["now"]["total"]
        print(f"goal: whole train ≤ {GOAL_GPU_SECONDS:.0f} s on an H100: {'met' if wall <= GOAL_GPU_SECONDS else 'not met'}"
              f" ({wall:.1f} s)")


if __name__ == "__main__":
    main()
