"""Continued training on a pre-trained base: does an update learn the new posts without forgetting?

A bot is made from a person's older posts (version 1), then continued with the posts written
since (`train --continue`, version 2). The baseline, measured in the same run, is what a user
could do instead: make the bot again from the base on all the posts. All three models are scored
on the same held-out posts, which none trained on:
- the old validation posts (version 1's): the no-forgetting goal is version 2 ≤ 1.10× version 1;
- the newest of the new posts (version 2's own validation).

    python benchmarks/continue_quality.py                          # gpt2-standin, trump 900 + 300 newer
    python benchmarks/continue_quality.py --old 450 --new 150      # smaller
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
TRUMP = SHARED / "data" / "trump_tweets.csv"
STANDIN = SHARED / "models" / "gpt2-standin"
GOAL = 1.10  # old-validation perplexity after the update, at most this times before it


def write_rows(rows: list[dict], path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def perplexity_on(model_dir: Path, texts: list[str]) -> float:
    from huggingtweets.dataset import pack_blocks
    from huggingtweets.models import load_model
    from huggingtweets.train import evaluate_loss, perplexity

    model, tokenizer = load_model(str(model_dir))
    return perplexity(evaluate_loss(model, pack_blocks(texts, tokenizer, block_size=128), batch_size=4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=str(STANDIN), help="base model folder or hub id (default: gpt2-standin)")
    parser.add_argument("--old", type=int, default=900, help="posts version 1 is made from")
    parser.add_argument("--new", type=int, default=300, help="newer posts the update adds")
    args = parser.parse_args()
    if not TRUMP.is_file():
        sys.exit(f"needs {TRUMP}")
    os.environ.setdefault("WANDB_MODE", "disabled")

    import transformers

    from huggingtweets.config import BotConfig
    from huggingtweets.pipeline import make_bot

    transformers.logging.set_verbosity_error()
    with TRUMP.open(newline="", encoding="utf-8") as f:
        rows = sorted((r for r in csv.DictReader(f) if r.get("Date")), key=lambda r: r["Date"])
    rows = rows[-(args.old + args.new):]
    common = dict(num_samples=1, wandb="disabled")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bot = tmp / "v" / "trump"
        t0 = time.perf_counter()
        make_bot(BotConfig.of(sources=(write_rows(rows[: args.old], tmp / "then" / "trump.csv"),), base_model=args.base,
                              out_dir=bot, **common))
        t1 = time.perf_counter()
        old_validation = [json.loads(line)["text"] for line in (bot / "data" / "validation.jsonl").read_text().splitlines()]
        first = shutil.copytree(bot / "model", tmp / "version-1")  # the update replaces it in place
        every = write_rows(rows, tmp / "now" / "trump.csv")
        updated = make_bot(BotConfig.of(sources=(every,), continue_from=str(bot), **common))
        t2 = time.perf_counter()
        validation = [json.loads(line)["text"] for line in (bot / "data" / "validation.jsonl").read_text().splitlines()]
        new_validation = [t for t in validation if t not in set(old_validation)]
        again = make_bot(BotConfig.of(sources=(every,), base_model=args.base, out_dir=tmp / "again" / "trump", **common))
        t3 = time.perf_counter()
        scores = {
            "version 1": {"old": perplexity_on(first, old_validation), "new": perplexity_on(first, new_validation),
                          "seconds": t1 - t0},
            "version 2 (continued)": {"old": perplexity_on(bot / "model", old_validation),
                                      "new": perplexity_on(bot / "model", new_validation), "seconds": t2 - t1},
            "made again from the base": {"old": perplexity_on(again.model_dir, old_validation),
                                         "new": perplexity_on(again.model_dir, new_validation), "seconds": t3 - t2},
        }
    u = updated.metrics["update"]
    print(f"base {args.base}; version 1 from the {args.old} older trump posts ({t1 - t0:.0f} s), then {args.new} newer")
    print(f"update: {u['new_posts']} new posts (after cleaning), {u['replayed_posts']} old ones replayed")
    print(f"scored on {len(old_validation)} old validation posts and the {len(new_validation)} newest new posts\n")
    print(f"{'model':<28}{'old validation ppl':>20}{'newest posts ppl':>18}{'train time':>12}")
    for label, s in scores.items():
        old = f"{s['old']:.1f}" + (" (trained on them)" if label.startswith("made again") else "")
        print(f"{label:<28}{old:>20}{s['new']:>18.1f}{s['seconds']:>10.0f} s")
    v1 = scores["version 1"]
    forgetting = scores["version 2 (continued)"]["old"] / v1["old"]
    print(f"\nforgetting: old-validation perplexity {v1['old']:.1f} → {scores['version 2 (continued)']['old']:.1f} "
          f"({forgetting:.3f}×; goal ≤ {GOAL:.2f}×: {'met' if forgetting <= GOAL else 'not met'}); "
          f"the update's own measure: {u['forgetting']:.3f}×")
    c, a = scores["version 2 (continued)"], scores["made again from the base"]
    print(f"continued / made again: {c['new'] / a['new']:.2f}× the newest-posts perplexity in "
          f"{c['seconds'] / a['seconds']:.2f}× the time (the old validation posts are training posts to a bot made "
          "again, so only the newest posts compare the two)")


if __name__ == "__main__":
    main()
