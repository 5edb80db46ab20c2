"""How long `huggingtweets demo` takes, end to end, as a user runs it.

Goal (issue: package skeleton): at most 2 minutes wall on a 2-core CPU. The baseline
measured in the same run is the fixed cost every command pays before any work:
starting Python and importing torch + transformers.

    python benchmarks/demo_time.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_SECONDS = 120.0


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    baseline = timed([sys.executable, "-c", "import torch, transformers, datasets, huggingtweets.pipeline"])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo"
        wall = timed([sys.executable, "-m", "huggingtweets.cli", "demo", "--out", str(out)])
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        metrics = json.loads((out / "metrics.json").read_text())
    print(f"start-up baseline (python + imports): {baseline:6.1f} s")
    print(f"huggingtweets demo, wall:             {wall:6.1f} s  "
          f"({wall / GOAL_SECONDS:.2f}× the {GOAL_SECONDS:.0f} s goal, {wall / baseline:.1f}× the baseline)")
    print(f"  of which training:                  {metrics['train_seconds']:6.1f} s  "
          f"({metrics['tokens_per_second']:,.0f} tokens/s, {metrics['steps']} steps, {metrics['device']})")
    print(f"  validation perplexity:              {metrics['perplexity_before']:.1f} → {metrics['perplexity_after']:.1f}")
    print(f"peak memory of one child process:     {peak_mib:6.0f} MiB")
    print("PASS" if wall <= GOAL_SECONDS else "OVER GOAL")


if __name__ == "__main__":
    main()
