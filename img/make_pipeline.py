"""Draw img/pipeline.png: the stages of huggingtweets, left to right.

The README and every model card show it. The boxes are the modules that exist, so the picture stays true: rerun after changing
the pipeline (needs matplotlib):

    python img/make_pipeline.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src" / "huggingtweets"

# (module, title, what it does), in the order a post travels
STAGES = [
    ("sources", "Get posts", "X archive · files\nMastodon · Bluesky"),
    ("clean.py", "Clean", "drop retweets,\nshort posts, copies"),
    ("dataset.py", "Dataset", "split · mix people\npack into blocks"),
    ("train.py", "Fine-tune", "GPT-2 + Trainer\nbest epoch kept"),
    ("generate.py", "Generate", "10 new posts\ntop-p 0.95"),
    ("card.py", "Model card", "data table\nmetrics · samples"),
    ("export.py", "Export", "model folder\n.zip"),
]


def main() -> None:
    missing = [m for m, *_ in STAGES if not (SRC / m).exists()]
    if missing:
        raise SystemExit(f"stages without a module: {missing}; update STAGES")
    fig, ax = plt.subplots(figsize=(14, 2.6), dpi=150)
    ax.set_xlim(0, len(STAGES) * 2)
    ax.set_ylim(0, 2.6)
    ax.axis("off")
    for i, (module, title, text) in enumerate(STAGES):
        x = i * 2 + 0.15
        ax.add_patch(FancyBboxPatch((x, 0.45), 1.7, 1.6, boxstyle="round,pad=0.03,rounding_size=0.15",
                                    facecolor="#fff4d6" if i % 2 else "#e3f0ff", edgecolor="#334"))
        ax.text(x + 0.85, 1.7, title, ha="center", va="center", fontsize=12, weight="bold", color="#223")
        ax.text(x + 0.85, 1.05, text, ha="center", va="center", fontsize=8.5, color="#334")
        ax.text(x + 0.85, 0.2, module, ha="center", va="center", fontsize=8, family="monospace", color="#667")
        if i:
            ax.add_patch(FancyArrowPatch((x - 0.32, 1.25), (x - 0.02, 1.25), arrowstyle="-|>",
                                         mutation_scale=14, color="#334"))
    ax.text(len(STAGES), 2.45, "pipeline.py runs the stages and reports progress as events",
            ha="center", fontsize=9, style="italic", color="#556")
    out = Path(__file__).with_name("pipeline.png")
    fig.savefig(out, bbox_inches="tight", facecolor="white")
    # every exported model folder carries a copy, which its card shows
    (SRC / "templates" / "pipeline.png").write_bytes(out.read_bytes())
    print(f"wrote {out} and its copy in {SRC / 'templates'}")


if __name__ == "__main__":
    main()
