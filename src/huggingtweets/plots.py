"""The loss curve: training loss per step and validation loss per epoch, as a PNG.

    plot_losses(result.log_history, out / "loss.png")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._io import atomic_path
from .post_format import AI_LABEL

# every text from data (a name, a prompt, a post, a folder) is drawn as written: "$x$" in it is
# not matplotlib's mathtext, which would draw it as a formula or fail on one it can't parse
PLAIN: dict[str, Any] = {"parse_math": False}


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
    ax.set_title(title or "Loss", **PLAIN)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path




def plot_predictions(posts: list[str], who: str, path: Path, *, prompt: str = "") -> Path:
    """The bot's posts as one picture to share, each post in its own box, labelled as
    AI-generated on the picture itself (a label in a caption is lost when the picture travels)."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    wrapped = [textwrap.fill(p, width=78) for p in posts]
    heights = [t.count("\n") + 1 for t in wrapped]
    line = 0.17  # inches per line of 9-point text
    total = 1.1 + sum(h * line + 0.32 for h in heights)
    fig = plt.figure(figsize=(6.4, total), dpi=150)
    fig.patch.set_facecolor("white")
    y = total - 0.35
    fig.text(0.04, y / total, f"@{who} bot" + (f" — “{prompt}”" if prompt else ""), fontsize=12,
             fontweight="bold", va="top", **PLAIN)
    y -= 0.38
    fig.text(0.04, y / total, f"{AI_LABEL}: not written by @{who}", fontsize=8.5, color="#b00020", va="top", **PLAIN)
    y -= 0.3
    for text, h in zip(wrapped, heights):
        box = h * line + 0.14
        fig.patches.append(FancyBboxPatch((0.035, (y - box) / total), 0.93, box / total, transform=fig.transFigure,
                                          boxstyle="round,pad=0.004", facecolor="#f4f6f8", edgecolor="#d0d7de"))
        fig.text(0.055, (y - 0.07) / total, text, fontsize=9, va="top", linespacing=1.35, **PLAIN)
        y -= box + 0.18
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
