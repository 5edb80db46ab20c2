"""How long `huggingtweets demo` takes, end to end, as a user runs it, and where the time goes.

The README promises the demo's time as measured here. The baseline measured in the same run is
the fixed cost every command pays before any work: starting Python and importing torch +
transformers. A second run of the same demo, in-process with a handler that times the pipeline's
events, splits the wall time by stage.

    python benchmarks/demo_time.py
    python benchmarks/demo_time.py --wandb offline   # the demo as tracked by W&B (offline files)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAGES = r"""
import json, sys, time
t0 = time.perf_counter()
from huggingtweets.cli import _config, build_parser
from huggingtweets.pipeline import make_bot
from _timing import stage_clock  # benchmarks/, put on the path by timed()
imported = time.perf_counter()
spans, on_event = stage_clock()
make_bot(_config(build_parser().parse_args(sys.argv[1:])), on_event=on_event)
end = time.perf_counter()
print(json.dumps({"imports": imported - t0, "stages": spans, "total": end - t0}))
"""


def timed(cmd: list[str]) -> tuple[float, str]:
    """Wall seconds and stdout of ``cmd``, run with this folder on its path (for _timing)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent),
                                                        os.environ.get("PYTHONPATH", "")])}
    started = time.perf_counter()
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wandb", choices=("online", "offline", "disabled"), help="pass --wandb to the demo")
    args = parser.parse_args()
    flags = ["--wandb", args.wandb] if args.wandb else []
    baseline, _ = timed([sys.executable, "-c", "import torch, transformers, datasets, huggingtweets.pipeline"])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo"
        wall, _ = timed([sys.executable, "-m", "huggingtweets.cli", "demo", "--out", str(out), *flags])
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        metrics = json.loads((out / "metrics.json").read_text())
        _, shown = timed([sys.executable, "-c", STAGES, "demo", "--out", str(Path(tmp) / "again"), *flags])
    split = json.loads(shown.strip().splitlines()[-1])
    print(f"start-up baseline (python + imports): {baseline:6.1f} s")
    print(f"huggingtweets demo {' '.join(flags)}, wall: {wall:6.1f} s  ({wall / baseline:.1f}× the baseline)")
    print(f"  of which the training loop:         {metrics['train_seconds']:6.1f} s  "
          f"({metrics['tokens_per_second']:,.0f} tokens/s, {metrics['steps']} steps, {metrics['device']})")
    print(f"  validation perplexity:              {metrics['perplexity_before']:.1f} → {metrics['perplexity_after']:.1f}")
    print(f"peak memory of one child process:     {peak_mib:6.0f} MiB")
    print(f"\nwhere the time goes (a second demo, timed by its events; {split['total']:.1f} s in all):")
    rows = {"imports": split["imports"], **split["stages"]}
    rows["between stages (tracking, set-up)"] = split["total"] - sum(rows.values())
    for name, seconds in rows.items():
        print(f"  {name:<36}{seconds:6.1f} s  {seconds / split['total']:5.0%}")


if __name__ == "__main__":
    main()
