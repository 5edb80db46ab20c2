"""Sampling settings against the bot's voice: for each bot that fine_tune_quality.py kept
(`--keep-bots DIR`), draw as many posts as it has test posts under each setting and measure
how often the style detector (voice.py) tells them from the person's real newest posts, and
how often they copy a training post. The product's defaults are the baseline of each row.

Settings are chosen on every voice kept (the median and the worst), never on one:

    python benchmarks/fine_tune_quality.py --people --keep-bots /tmp/bots
    python benchmarks/sampling_voice.py /tmp/bots
    python benchmarks/sampling_voice.py /tmp/bots --settings '{"temperature": 0.9}' '{"top_p": 0.9}'
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import transformers

from huggingtweets.generate import CopyDetector, sample_posts
from huggingtweets.models import load_model
from huggingtweets.recipe import GENERATION_DEFAULTS
from huggingtweets.voice import style_check

# one knob at a time around the defaults, then a few together
SETTINGS = [
    {},
    {"temperature": 0.8}, {"temperature": 0.9}, {"temperature": 1.1},
    {"top_p": 0.9}, {"top_p": 1.0},
    {"min_length": 5}, {"min_length": 20},
    {"repetition_penalty": 1.1}, {"repetition_penalty": 1.2},
    # cuts relative to each step's own distribution instead of a fixed share of its mass
    {"top_p": 1.0, "min_p": 0.05}, {"top_p": 1.0, "min_p": 0.1}, {"top_p": 1.0, "min_p": 0.1, "temperature": 1.2},
    {"top_p": 1.0, "typical_p": 0.9}, {"top_p": 1.0, "typical_p": 0.95},
]


def measure(folder: Path, settings: list[dict], seeds: list[int]) -> list[dict]:
    posts = json.loads((folder / "posts.json").read_text())
    model, tokenizer = load_model(str(folder))
    copies = CopyDetector(posts["train"], tokenizer)
    rows = []
    for setting in settings:
        accuracies, copy_rates, lengths, seconds = [], [], [], 0.0
        for seed in seeds:
            started = time.perf_counter()
            run = sample_posts(model, tokenizer, n=len(posts["test"]), seed=seed, copies=copies, **setting)
            seconds += time.perf_counter() - started
            check = style_check(posts["test"], run.texts, seed=seed)
            accuracies.append(check.accuracy if check else float("nan"))
            copy_rates.append(run.copy_rate)
            lengths.append(statistics.mean(len(t) for t in run.texts))
        rows.append({"voice": folder.name, "setting": setting, "detector": statistics.mean(accuracies),
                     "copy_rate": statistics.mean(copy_rates), "chars": statistics.mean(lengths),
                     "real_chars": statistics.mean(len(t) for t in posts["test"]), "seconds": seconds / len(seeds)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bots", type=Path, help="the folder fine_tune_quality.py --keep-bots wrote")
    parser.add_argument("--settings", nargs="+", type=json.loads, help="settings to try, as JSON (default: a sweep)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2], help="each setting's draws, averaged")
    parser.add_argument("--json", type=Path, help="write every result here")
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()
    settings = [{}] + [s for s in (args.settings or SETTINGS) if s]
    unknown = {k for s in settings for k in s} - set(GENERATION_DEFAULTS)
    if unknown:
        parser.error(f"unknown settings {sorted(unknown)}; known: {', '.join(GENERATION_DEFAULTS)}")
    print(f"defaults: {GENERATION_DEFAULTS}; CPU threads {torch.get_num_threads()}")
    folders = sorted(p.parent for p in args.bots.glob("**/posts.json"))
    rows = []
    for folder in folders:
        got = measure(folder, settings, args.seeds)
        rows += got
        for r in got:
            print(f"{folder.parent.name:>14} {r['voice']:>16} {json.dumps(r['setting']):>32}  detector {r['detector']:.0%}"
                  f"  copies {r['copy_rate']:5.1%}  {r['chars']:5.0f} chars (real {r['real_chars']:.0f})"
                  f"  {r['seconds']:.1f} s")
        sys.stdout.flush()
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
    print("\n| setting | detector, median | detector, worst | copies, median | copies, worst |")
    print("|---|---|---|---|---|")
    for setting in settings:
        got = [r for r in rows if r["setting"] == setting]
        detector = [r["detector"] for r in got]
        copies = [r["copy_rate"] for r in got]
        print(f"| {json.dumps(setting) if setting else 'defaults'} | {statistics.median(detector):.1%} "
              f"| {max(detector):.1%} | {statistics.median(copies):.1%} | {max(copies):.1%} |")


if __name__ == "__main__":
    main()
