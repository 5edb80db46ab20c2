"""The loss curve: training loss per step and validation loss per epoch, as a PNG.

    plot_losses(result.log_history, out / "loss.png")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._io import atomic_path


def plot_losses(log_history: list[dict[str, Any]], path: Path, *, title: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no screen needed (servers, Colab, CI)
    import matplotlib.pyplot as plt

    train = [(row["epoch"], row["loss"]) for row in log_history if "loss" in row and "epoch" in row]
    evals = [(row["epoch"], row["eval_loss"]) for row in log_history if "eval_loss" in row]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    if train:
        ax.plot(*zip(*train), color="#9ab", linewidth=1, label="training loss (per step)")
    if evals:
        ax.plot(*zip(*evals), "o-", color="#c33", label="validation loss (per epoch)")
        best = min(evals, key=lambda e: e[1])
        ax.annotate(f"best: {best[1]:.3f}", best, textcoords="offset points", xytext=(0, 10), ha="center")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy (nats per token)")
    ax.set_title(title or "Loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
