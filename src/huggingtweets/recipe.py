"""The training recipe: how long, how fast and in what batches a bot is trained.

Two recipes, each chosen by measurement on held-out posts rather than inherited:
a pre-trained base (fine-tuning: `benchmarks/fine_tune_quality.py`) and the small
`scratch` model (training from nothing: `benchmarks/train_speed.py`):

    recipe = choose_recipe(pretrained=True)
    recipe.epochs, recipe.learning_rate   # what `train_model` is given
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Recipe:
    epochs: float
    learning_rate: float  # peak, after warmup; cosine decay to 0 after it
    batch_size: int  # blocks per optimizer step (per process)
    block_size: int  # tokens per packed block
    warmup_ratio: float  # share of the steps over which the learning rate rises from 0


# --- pre-trained bases (gpt2, distilgpt2, SmolLM2, ...) ---
# Chosen on ../shared/models/gpt2-standin with benchmarks/fine_tune_quality.py: the held-out
# newest posts of two people, against the original recipe (4 epochs of 1,024-token blocks,
# batch 1, lr 1.372e-4) from the same base. On the demo persona (474 training posts):
#   original                          ppl 259.8  135 s
#   ours, 8 epochs, lr 4e-4, 8×128    ppl 143.2  167 s   (still improving: steps were what it lacked)
#   ours, 3 epochs, lr 1e-3, 8×128    ppl 157.9   65 s
#   ours, 2 epochs, lr 1e-3, 8×128    ppl 202.9   43 s
#   ours, 2 epochs, lr 1e-3, 4×128    ppl 163.7   46 s   <- this recipe
#   ours, 2 epochs, lr 1e-3, 2×128    ppl 166.6   56 s
#   ours, 2 epochs, lr 2e-3, 4×128    ppl 205.9   47 s
#   (frozen token embeddings: 25% faster, ppl 274-286: the embeddings must learn the person's words)
# On trump_tweets.csv, the newest 1,000: original ppl 308.0 in 292 s; this recipe 252.4 in 131 s
# (2×128: 258.8 in 153 s).
FINE_TUNE = Recipe(
    epochs=2.0,  # a third epoch still helps a little, but costs half as much again: 2 holds ≤ 0.5× the original's time
    learning_rate=1e-3,  # for a 256-wide base (scaled by width below); 2e-3 overshoots, 4e-4 needs 8 epochs
    batch_size=4,  # 4 × 128 = 512 tokens a step: twice the original's steps, and more steps beat bigger ones here
    block_size=128,  # posts are ~40 tokens: 1,024-token blocks spend compute on attention across posts
    warmup_ratio=0.06,  # a few steps at a low rate first spare the pretrained weights a jolt from 1e-3
    # every epoch is evaluated on the held-out posts and the best one kept (train.py)
)
REFERENCE_BATCH = FINE_TUNE.batch_size  # a batch size given without a learning rate scales it by sqrt(batch / this)
# Wider models want lower rates. Fit on the two bases measured: gpt2-standin (256 wide) best at
# 1e-3 of {4e-4, 1e-3, 2e-3}; SmolLM2-135M (576 wide, demo persona, original ppl 52.1) ppl 54.2
# at 1e-3, 49.4 at 4.4e-4, 47.8 at 2.5e-4. lr = 1e-3 × (256 / width)^1.7 gives 2.5e-4 there,
# and 1.5e-4 for GPT-2 (768 wide), next to the 1.372e-4 the original's own sweep found for it.
REFERENCE_WIDTH = 256
WIDTH_EXPONENT = 1.7

# --- the scratch model: random weights, a tokenizer trained on the posts ---
# Measured by benchmarks/train_speed.py and the ScratchShape sweep: 128-token blocks train
# 3.2× faster per token than 1,024; the best held-out loss comes after ~20 epochs at 2e-3.
SCRATCH = Recipe(epochs=20.0, learning_rate=2e-3, batch_size=16, block_size=128, warmup_ratio=0.0)


def choose_recipe(*, pretrained: bool, width: int = REFERENCE_WIDTH, epochs: float | None = None,
                  learning_rate: float | None = None, batch_size: int | None = None,
                  block_size: int | None = None) -> Recipe:
    """The recipe for a pre-trained base ``width`` wide (hidden size) or the scratch model; any
    value the user gave replaces the chosen one. A batch size given without a learning rate
    scales the rate by the square root of the batch ratio (Adam's rule of thumb)."""
    recipe = SCRATCH if not pretrained else FINE_TUNE
    if pretrained and learning_rate is None:
        # never above the measured rate: narrower bases were not measured
        learning_rate = recipe.learning_rate * min(1.0, REFERENCE_WIDTH / width) ** WIDTH_EXPONENT
        if batch_size is not None:
            learning_rate *= math.sqrt(batch_size / REFERENCE_BATCH)
    given = {"epochs": epochs, "learning_rate": learning_rate, "batch_size": batch_size, "block_size": block_size}
    return replace(recipe, **{k: v for k, v in given.items() if v is not None})
