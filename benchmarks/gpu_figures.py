"""Every GPU figure issue 13 asks for, in one run: the whole `huggingtweets train` on all of
trump_tweets.csv with a GPT-2-124M base (benchmarks/time_to_bot.py; goal ≤ 20 s on an H100) and
the training path's MFU at 16 × 1,024-token blocks, eager and compiled (benchmarks/gpu_mfu.py;
goal ≥ 40%). Each runs in its own process; the output is printed and, when $OUT is set, written
to $OUT/gpu_figures.txt.

    python benchmarks/gpu_figures.py            # on the GPU machine
    python benchmarks/gpu_figures.py --tiny     # the same steps, small, on a CPU: checks the script
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="small models and few posts: a CPU check of the script")
    parser.add_argument("--before", metavar="REV", help="time_to_bot.py's baseline revision (needs the git history)")
    args = parser.parse_args()
    small = ["--tiny", "--max-posts", "100", "--epochs", "1"] if args.tiny else []
    runs = [
        ["time_to_bot.py", *small, *(["--before", args.before] if args.before else [])],
        ["gpu_mfu.py", *(["--tiny", "--steps", "6"] if args.tiny else [])],
        ["gpu_mfu.py", "--compile", *(["--tiny", "--steps", "6"] if args.tiny else [])],
    ]
    report = []
    for script, *flags in runs:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(HERE / script), *flags], text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        lines = [ln for ln in done.stdout.splitlines() if "Writing model shards" not in ln]
        tail = lines if done.returncode == 0 else lines[-30:]
        report += [f"$ python benchmarks/{script} {' '.join(flags)}   ({time.perf_counter() - started:.0f} s, "
                   f"exit {done.returncode})", *tail, ""]
        print("\n".join(report[-len(tail) - 2:]), flush=True)
    if os.environ.get("OUT"):
        (Path(os.environ["OUT"]) / "gpu_figures.txt").write_text("\n".join(report), encoding="utf-8")


if __name__ == "__main__":
    main()
