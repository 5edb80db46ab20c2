"""The recipe: every number the product inherited from the original or chose by measurement,
each with its reason: how much a person must have written, how long, how fast and in what
batches a bot is trained, and how it samples.

Two recipes, each chosen by measurement on held-out posts rather than inherited:
a pre-trained base (fine-tuning: `benchmarks/fine_tune_quality.py`) and the small
`scratch` model (training from nothing: `benchmarks/train_speed.py`):

    recipe = choose_recipe(pretrained=True)
    recipe.epochs, recipe.learning_rate   # what `train_model` is given
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Recipe:
    epochs: float  # at most this many passes over the posts; fewer when validation stops improving
    learning_rate: float  # peak, after warmup; cosine decay to 0 over the planned steps
    batch_size: int  # blocks per optimizer step (per process)
    block_size: int  # tokens per packed block
    warmup_ratio: float  # share of the steps over which the learning rate rises from 0
    weight_decay: float = 0.0
    embedding_lr_scale: float = 1.0  # the token embeddings learn at this × the rate: a new language is new tokens
    min_steps: int = 0  # a small archive trains at least this many steps: its epochs rise to reach them
    peak_margin: float | None = None  # ... unless validation has clearly peaked: `patience` validations in a row
    #                                   this far (nats per token) above the best end training under the floor too
    max_steps: int | None = None  # a large archive trains at most this many: its epochs fall to fit them
    evals_per_epoch: float = 1.0  # validations per pass over the posts (and one at the end)
    patience: int | None = None  # validations in a row without a new best that end training; None: never
    refit_epochs: float = 0.0  # then passes over the validation posts, the newest, once they have chosen the length
    refit_lr_scale: float = 0.3  # ... at this × the rate (fresh AdamW, cosine decay, no warmup)

    def plan(self, train_blocks: int, processes: int = 1) -> Plan:
        """How long to train on ``train_blocks`` blocks, shared by ``processes`` data-parallel
        processes: the epochs (lowered to fit `max_steps`, raised to reach `min_steps`), the
        steps between validations, and the warmup in steps."""
        per_epoch = max(1, math.ceil(train_blocks / (self.batch_size * processes)))  # optimizer steps
        epochs = min(self.epochs, self.max_steps / per_epoch) if self.max_steps else self.epochs
        epochs = max(epochs, self.min_steps / per_epoch)
        steps = math.ceil(epochs * per_epoch)
        return Plan(epochs=epochs, steps=steps, eval_steps=max(1, round(per_epoch / self.evals_per_epoch)),
                    warmup_steps=round(self.warmup_ratio * steps))


@dataclass(frozen=True)
class Plan:
    """A recipe applied to one bot's data (`Recipe.plan`)."""

    epochs: float
    steps: int  # at most: validation may end training sooner (Recipe.patience)
    eval_steps: int
    warmup_steps: int


# --- pre-trained bases (gpt2, distilgpt2, SmolLM2, ...) ---
# Chosen with benchmarks/fine_tune_quality.py: held-out newest posts of two people, against the
# original recipe (4 epochs of 1,024-token blocks cut wherever they fall, batch 1, lr 1.372e-4)
# from the same base. First on ../shared/models/gpt2-standin, demo persona (474 training posts),
# posts packed as the original did (blocks cut mid-post):
#   original                          ppl 259.8  135 s
#   ours, 8 epochs, lr 4e-4, 8×128    ppl 143.2  167 s   (still improving: steps were what it lacked)
#   ours, 3 epochs, lr 1e-3, 8×128    ppl 157.9   65 s
#   ours, 2 epochs, lr 1e-3, 8×128    ppl 202.9   43 s
#   ours, 2 epochs, lr 1e-3, 4×128    ppl 163.7   46 s
#   ours, 2 epochs, lr 1e-3, 2×128    ppl 166.6   56 s
#   ours, 2 epochs, lr 2e-3, 4×128    ppl 205.9   47 s
#   (frozen token embeddings: faster, but ppl 274-286: the embeddings must learn the person's words)
# Then with whole posts in every block (dataset.pack_posts: a block starts where a post starts, as
# the bot's own posts and the scoring do), 4×128, lr scaled by width:
#                          original        2 epochs        1.5 epochs      1 epoch
#   standin, demo          259.8  135 s    164.2   60 s    177.6   45 s
#   standin, trump 1,000   308.0  292 s        -           255.4  118 s
#   SmolLM2-135M, demo      52.1  582 s     33.8  340 s     35.0  243 s    39.3  171 s
#   SmolLM2-135M, trump 900 46.1 1703 s        -            32.2  513 s   (best epoch 1.0)
#   standin, trump 8,020   259.3 1926 s        -           276.7  493 s   (validation: the newest 10%, 722 posts)
#     ... 2.5 epochs: 264.7 (best epoch the last); validation capped at 250 posts: 232.7 in 663 s (0.90×, 0.34×)
# Two epochs cost SmolLM2 more than half the original's time; 1.5 keeps every row ≤ 0.5×. More epochs
# help at every size measured (demo 2 vs 1.5: -8% standin, -3% SmolLM2; trump 8,020, 2.5 vs 1.5: -4%),
# and cost time in proportion at every size, as the original's 4 epochs do: its time and ours both
# grow with the data, so epochs that grow with it would buy the large archive nothing the small
# ones can't afford. What the large archive lacked was its newest posts (MAX_VALIDATION_POSTS below).
#
# That recipe (1.5 epochs at 1e-3) lost to the original on real people it was never tuned on, so the
# length now comes from each person's data, chosen on ten voices (benchmarks/fine_tune_quality.py
# --people: eight real accounts in six languages, trump_tweets, the demo persona; each split by time,
# the newest 150 original posts scored, the 1,000 posts before them as input). Held-out perplexity
# ours / the original's, gpt2-standin, 2-core CPU ("@n": the best validation point, in epochs):
#                           a_know  dog_r  drikk  dril   jair   julia  purpl  stile  trump  gullh | median worst
#   1.5 epochs, lr 1e-3      0.60   0.78   0.84   0.92   0.65   0.71   0.88   1.02   0.87   0.64  |  0.81  1.02
#   4 epochs, lr 1e-3        0.38   0.75   0.53   0.99   0.31   0.67   0.41   1.04   0.79   0.53  |  0.60  1.04
#   4 epochs, lr 3e-4        0.47   0.68   0.57   0.83   0.45   0.59     -      -      -      -   |   (six voices)
#   ≤6 epochs, lr 3e-4,      0.17   0.73   0.48   0.92   0.29   0.65   0.24   1.04   0.77   0.51  |  0.58  1.04
#     embeddings 1e-3        @6     @1.95  @5.1   @2.0   @5.5   @3.4   @6     @2.0   @3.0   @3.1
# English voices overfit at 1e-3 (dril 0.99 against 0.83 at 3e-4); voices in other languages and
# scripts need many steps at a high rate, because their words are tokens the base barely knows
# (a_know 0.47 at 3e-4, 0.17 with the embeddings alone at 1e-3). Validation tracks the test posts:
# stopping after an epoch and a half without a new best, or after one, picks the same points on all
# ten. stiles stays at 1.02-1.04 under every recipe tried: its validation posts (the newest ~90 before
# the test) are much nearer its test posts (val ppl 547, test 771), and the original trains on them.
# So once validation has chosen the length, its posts are learned too (refit), from the best point
# with a fresh AdamW, cosine decay, no warmup. Test perplexity after / before, same ten bots:
#                           a_know  dog_r  drikk  dril   gullh  jair   julia  purpl  stile  trump
#   validation ×1, 0.3× lr   1.04   0.91   0.94   0.94   1.00   0.97   0.95   1.02   0.86   0.93
#   validation ×1, 1× lr     1.37   0.92   0.99   0.98   1.00   1.03   1.02   1.14   0.87   0.96
#   validation ×2, 0.3× lr   1.00   0.88   0.92   0.92   0.96   0.93   0.93   1.01   0.83   0.91   <- chosen
#   + as many training blocks,
#     ×1, 0.3× lr            1.01   0.92   0.97   0.94   0.98   0.99   0.95   1.02   0.87   0.95
# (a fresh Adam's first steps at the full rate undo what the voices in other scripts had learned.)
# The shipped recipe, held-out perplexity ours / the original's (trump, gullh: from the refit experiment):
#                           a_know  dog_r  drikk  dril   jair   julia  purpl  stile  trump  gullh | median worst
#   ≤6 epochs + refit        0.18   0.64   0.45   0.85   0.27   0.60   0.25   0.87   0.70   0.49  |  0.55  0.87
#   the same, all ten in one  0.18   0.64   0.45   0.85   0.27   0.60   0.25   0.87   0.70   0.50  |  0.55  0.87
#   run (2026-11-30): our time 2,047 s against the original's 3,106 s summed (0.66×); style detector on
#   ours 86 78 79 77 85 85 83 68 87 71% (median 81%, worst 87%), on the original's median 88%; copies ≤1%.
# SmolLM2-135M, --originals 300 (each person's 300 newest original posts before the test as input),
# after the floor of steps was scaled by width (below); four voices, one in another script:
#                           held-out ppl, original → ours   ratio   time, original → ours   detector, orig → ours
#   gullhaven_dot               46.0 → 33.6                 0.73       825 s → 377 s           83% → 74%
#   purplerain_o3o              23.6 → 16.3                 0.69       916 s → 766 s           98% → 87%
#   dril                       204.7 → 153.6                0.75       290 s → 212 s           79% → 69%
#   dog_rates                   44.5 → 30.7                 0.69       332 s → 280 s           94% → 86%
#   median 0.71×, worst 0.75×; time 0.69× summed (gullhaven and purplerain's original times were
#   measured while another benchmark shared the CPU, so that ratio flatters ours); detector median 80%.
# Small archives (--originals 200: each voice's 200 newest original posts before its test posts, ~9-12
# steps an epoch), gpt2-standin, all ten voices, 2026-12-01. The floor of 150 steps ran seven of them 9-17
# epochs for a best at 1.6-4.0, while a_know, jairbolsonaro and purplerain_o3o (other scripts) improved to
# their last step. So the floor now yields once validation has clearly peaked: `patience` validations in a
# row 5% (0.05 nats) above the best. Replayed on the ten validation curves, margins of 0, 0.02, 0.05 and 0.1
# keep every voice's best point (each curve rose steadily after its peak); 0.05 costs 6-18 steps more than 0.
#                  a_know dog_r  drikk  dril   jair   julia  purpl  stile  trump  gullh | median worst | time, summed
#   ppl ratio       0.05   0.53   0.36   0.68   0.14   0.53   0.11   0.73   0.71   0.53 |  0.53  0.73 | (the same both ways)
#   steps, floor     150    156    156    153    150    153    174    154    153    156 |               2.24× the original's
#   steps, yields    150     48     84     32    150     36    174     48    112     78 |               1.18×
# The same best points, so the same bots (each run is deterministic up to its stop); the three voices in
# other scripts keep the floor, which is their whole lead (0.05-0.14×). Times were measured with other work
# on the CPU at moments (dril's and julia's floor runs most). Not re-run at 1,000 posts: there the floor can
# bind only where the best came near epoch 2 (dog_rates, dril, stiles: ~40-70 steps an epoch); those runs may
# end a validation sooner with the same bot, unless a curve rose 5% three times and then fell below its best,
# which none of the twenty curves seen here did.
# Best fit puts a block's longest post first, and a bot writes its own post where a block's first post stands
# (after the lone separator; the test posts are scored there too), so the first posts it learns run long:
# +23% tokens against the mean post for dril, +73% for drikkes. Each block's posts in a random order instead
# (same blocks, no more padding; first posts +16% on a synthetic set against +39%), same ten 200-post voices:
#                  a_know dog_r  drikk  dril   jair   julia  purpl  stile  trump  gullh | median worst
#   ppl ratio       0.04   0.56   0.37   0.67   0.13   0.53   0.11   0.75   0.71   0.56 |  0.54  0.75
#   detector         88%    86%    80%    81%    92%    83%    98%    74%    89%    80% |  84.5%  98%
# against 0.53 / 0.73 and 82% / 99% in longest-first order: no better, so best fit keeps its order.
# A large archive against the time goal (2026-12-01): trump_tweets' whole history before its test posts
# (12,933 posts, 8,761 after cleaning), gpt2-standin: ours 1,000 steps (the ceiling: ~2 epochs, best at the
# last validation) and 46 refit steps, 1,340 s, held-out perplexity 140.7 (~213 from its last 1,000 posts);
# the original's 4 epochs 3,275 s, scaled from the time of its first 100 steps (`--time-original 100`): 0.41×.
# a_know's whole history (15,182 posts, 8,919 after cleaning): ours 1,000 steps (1.15 epochs, best at the last
# validation) and 54 refit steps, 1,423 s, perplexity 30.9 (68.4 from its last 1,000 posts); the original's
# 5,627 s, scaled the same way: 0.25×. Both runs ended at the ceiling while validation still fell (-1% over the
# last 128 steps for a_know), so the ceiling trades some perplexity for time on the largest archives.
# Training past validation's choice, judged by the style detector (2026-12-01; one-off script, not shipped):
# five 200-post bots as shipped (best point + refit), then more epochs over all their posts at 3e-4, AdamW,
# batch 4 × 128; held-out perplexity (the script's own count, within 4% of the benchmark's) / detector
# (seed 1, 150 posts) / copies after each:
#                   as shipped           + 3 epochs           + 8 epochs           + 15 epochs
#   a_know          192 / 87% / 0%       183 / 91% / 0%       102 / 90% / 0%        89 / 84% / 0%
#   dog_rates       198 / 82% / 0%       190 / 82% / 0%       253 / 78% / 0%       380 / 80% / 3.1%
#   drikkes         955 / 80% / 0%       973 / 77% / 0%      1169 / 78% / 0%      1671 / 77% / 0%
#   dril            855 / 81% / 0%       895 / 73% / 0%      1383 / 73% / 0%      2189 / 77% / 0.7%
#   gullhaven_dot   162 / 73% / 0%       173 / 78% / 0%       255 / 71% / 0%       431 / 78% / 3.7%
#   median                81%                  78%                  78%                  78%
# Three points of median, while single voices swing 4-8 points from column to column (dril -8, gullhaven_dot +5
# after 3 epochs), for perplexity 1.2-1.6× worse on four of five voices after 8 epochs (1.7-2.7× after 15) and
# copies rising: the detector does not reward memorising. a_know is the exception the other way: its 150
# floor steps leave a Japanese voice far from done (perplexity halves with 8 more epochs), which its ratio of
# 0.05× already hides.
FINE_TUNE = Recipe(
    epochs=6.0,  # at most: validation ends most runs sooner (see the ten-voice table above)
    learning_rate=3e-4,  # for a 256-wide base (scaled by width below): English voices overfit at 1e-3
    embedding_lr_scale=10 / 3,  # the token embeddings at 1e-3: a person's own words and scripts are new tokens
    batch_size=4,  # 4 × 128 = 512 tokens a step: more steps beat bigger ones here
    block_size=128,  # posts are ~40 tokens: 1,024-token blocks spend compute on attention across posts
    warmup_ratio=0.06,  # a few steps at a low rate first spare the pretrained weights a jolt
    evals_per_epoch=2,  # the held-out posts are scored twice an epoch and the best point kept (train.py)
    patience=3,  # an epoch and a half without a new best ends training (one epoch lost no voice its best)
    min_steps=150,  # a 200-post archive is ~15 steps an epoch: 6 epochs would be too few (256 wide; fewer when wider)
    peak_margin=0.05,  # ... unless validation has clearly peaked: 3 validations in a row 5% (perplexity) above the best
    max_steps=1_000,  # 512,000 tokens: a large archive stays within the original's time (it trains 4 epochs)
    refit_epochs=2.0,  # then the validation posts, each person's newest, are learned too: see the table above
    refit_lr_scale=0.3,  # ... at 0.3 × the rate (1×: worse than none for five of ten voices)
)
REFERENCE_BATCH = FINE_TUNE.batch_size  # a batch size given without a learning rate scales it by sqrt(batch / this)
# Wider models want lower rates. Fit on the two bases measured: gpt2-standin (256 wide) best at
# 1e-3 of {4e-4, 1e-3, 2e-3}; SmolLM2-135M (576 wide, demo persona, original ppl 52.1, blocks cut
# mid-post, 2 epochs) ppl 54.2 at 1e-3, 49.4 at 4.4e-4, 47.8 at 2.5e-4 (whole posts, 1 epoch: 41.7 at
# 4e-4, 39.3 at 2.5e-4). lr = 1e-3 × (256 / width)^1.7 gives 2.5e-4 there,
# and 1.5e-4 for GPT-2 (768 wide), next to the 1.372e-4 the original's own sweep found for it.
# Wider bases also learn a voice in fewer steps, so a small archive's floor of steps scales the same
# way: on SmolLM2-135M (300 original posts, ~19 steps an epoch) the floor of 150 steps ran 4.1 and
# 8.0 epochs, 2.2× and 3.7× the original's time, for validation's best at epoch 2.05 (purplerain_o3o)
# and 2.11 (gullhaven_dot); scaled, it is 38 steps there, 23 for GPT-2, and patience ends the run.
REFERENCE_WIDTH = 256
WIDTH_EXPONENT = 1.7

# --- the scratch model: random weights, a tokenizer trained on the posts ---
# Measured by benchmarks/train_speed.py and the ScratchShape sweep: 128-token blocks train
# faster per token than 1,024; the best held-out loss comes after ~20 epochs at 2e-3.
SCRATCH = Recipe(epochs=20.0, learning_rate=2e-3, batch_size=16, block_size=128, warmup_ratio=0.0)


def choose_recipe(*, pretrained: bool, width: int = REFERENCE_WIDTH, epochs: float | None = None,
                  learning_rate: float | None = None, batch_size: int | None = None,
                  block_size: int | None = None) -> Recipe:
    """The recipe for a pre-trained base ``width`` wide (hidden size) or the scratch model; any
    value the user gave replaces the chosen one; epochs given are all trained, with no early stop
    and no floor of steps. A wider base gets a lower rate and a lower floor of steps, both by
    (REFERENCE_WIDTH / width) ** WIDTH_EXPONENT. A batch size given without a learning rate scales
    the rate by the square root of the batch ratio (Adam's rule of thumb)."""
    recipe = SCRATCH if not pretrained else FINE_TUNE
    if pretrained:
        by_width = min(1.0, REFERENCE_WIDTH / width) ** WIDTH_EXPONENT  # never above the measured: narrower bases weren't
        recipe = replace(recipe, min_steps=round(recipe.min_steps * by_width))
        if learning_rate is None:
            learning_rate = recipe.learning_rate * by_width
            if batch_size is not None:
                learning_rate *= math.sqrt(batch_size / REFERENCE_BATCH)
    given: dict[str, Any] = {"epochs": epochs, "learning_rate": learning_rate, "batch_size": batch_size, "block_size": block_size}
    chosen = replace(recipe, **{k: v for k, v in given.items() if v is not None})
    if epochs is None:
        return chosen
    return replace(chosen, patience=None, min_steps=0, max_steps=None)  # the user's own count: all trained


# --- validation (dataset.py): each person's newest posts, held out to pick the best epoch and say
# how the bot does on posts written after everything it learned from ---
VALIDATION_FRACTION = 0.1
# ... but no more than this many: ~250 posts (~10,000 tokens) measure perplexity to a few percent,
# and every post held out beyond them is one of the newest, the most like what the person writes
# next, taken from training. gpt2-standin, trump_tweets (8,020 posts, the newest 891 scored):
# 10% held out (722 posts, four months) ppl 276.7; 3% (241) ppl 230.4; the original recipe, which
# holds out nothing, 259.3.
MAX_VALIDATION_POSTS = 250

# --- data: how many posts a live account is read back to (sources/), the original's limit: X's
# API served at most 3,200 of an account's newest posts ---
MAX_POSTS = 3200

# --- checkpoints (train.py): a Colab disconnect loses at most this much training; GPT-2 + Adam
# state is ~1.5 GB a write ---
CHECKPOINT_MINUTES = 5.0

# --- data: how much a person must have written (clean.py) ---
MIN_CHARS = 6_000  # below this the original refused: the model only parrots a handful of posts
WARN_CHARS = 40_000  # below this the original warned that results would be weak


# --- sampling (generate.py): the original project's settings, stored with every exported model
# so that `pipeline("text-generation", model=folder)` samples the same way. Measured against the
# bot's voice on the ten voices' bots (benchmarks/sampling_voice.py: 150 posts of each bot against
# its person's 150 newest real posts, one seed; the style detector's accuracy and the copy rate,
# median / worst):
#   these defaults (temperature 1.0, top-p 0.95)   79% / 86%   copies 1.3% / 14%
#   temperature 0.8                                89% / 95%          4.6% / 45%
#   temperature 0.9                                86% / 91%          4.2% / 20%
#   top-p 0.9                                      82% / 89%          1.3% / 16%
#   temperature 0.9, top-p 0.9                     89% / 93%          4.0% / 33%
#   repetition penalty 1.1                         80% / 91%          1.3% / 15%
# Every cut into the model's own distribution makes its posts easier to tell from the person's
# (they repeat themselves) and makes it copy more. On six of the voices, top-p 1.0, temperature 1.1
# and min_length 5 moved the median by under 2 points (75-77% against 76%), within one seed's
# noise: the defaults stay. What lowers the detector is a better model (the recipe above), and
# writing no character the person never used (characters.py; seven refit bots, seed 1, 150 posts):
# a_know 92% -> 83%, purplerain_o3o 88% -> 84%, jairbolsonaro 89% -> 87%, the four Latin-script
# voices within a point (76-82%); median 82% -> 82%, worst 92% -> 87%, copies unchanged (<1%).
# Cuts relative to each step's own distribution (2026-12-01; the three 1,000-post bots of a_know,
# dog_rates and drikkes, seed 1, 150 posts; detector median / worst):
#   these defaults                                 79% / 86%
#   top-p 1.0, min-p 0.05                          93% / 98%   (dog_rates' posts 88 characters, real 116)
#   top-p 1.0, min-p 0.1                           95% / 97%
#   top-p 1.0, min-p 0.1, temperature 1.2          94% / 96%
#   top-p 1.0, typical-p 0.9                       80% / 86%   (2.5× the sampling time)
#   top-p 1.0, typical-p 0.95                      78% / 90%
# min-p cuts a bot's posts short and gives it away; typical-p moves nothing beyond one seed's noise.
# Both stay off, and the Modelfile says min_p 0: llama.cpp's own default is 0.05.
# Choosing among more posts than are shown (2026-12-01; six of the ten 200-post bots: a_know, dog_rates,
# drikkes, dril, gullhaven_dot, jairbolsonaro; 3 × 150 posts drawn with these defaults, 150 kept; seed 1;
# a one-off script, not shipped). Detector median / worst, and two detectors of other kinds as a check
# (word 1-2-grams + logistic regression; a random forest on length, case, digit, punctuation and emoji shares):
#   the first 150 drawn                            80% / 95%    words 74%   forest 72%
#   the 150 the bot itself finds likeliest         88% / 93%    words 78%   forest 80%
#   lengths matched to the training posts'         82% / 96%    words 74%   forest 67%
#   a style filter (these n-grams, trained on the
#     training posts against 300 other draws)      78% / 93%    words 71%   forest 70%
# The bot's likeliest posts are its blandest, as with min-p. Matching lengths fixes the length (dril's
# posts 139 characters → 91, the person's 84) but not what gives the posts away, their words. A style
# filter, three times the sampling, gains 2-3 points on each of the three detectors: too little for its cost, and
# it would steer the sampler by the very kind of detector that measures it. So the bot shows its posts as
# drawn; what stands between ~80% and the ~55% of the person's own older posts is the base model (on the
# 17.9M stand-in, garbled words and half-formed kanji runs).
# Writing only known words (2026-12-01; one-off script, not shipped): a token was redrawn, from the same
# distribution less that token, while it would finish a word outside a known set or start one no known word
# begins with (words: letter runs in scripts written with spaces). Three 200-post bots, seed 1, 150 posts,
# char detector / words / forest:
#                                   dog_rates          drikkes            dril
#   as drawn                        82% / 75% / 86%    80% / 79% / 67%    81% / 73% / 76%
#   the person's own words only     87% / 77% / 84%    84% / 75% / 77%    86% / 74% / 85%
#   ... and the base's whole-word
#     tokens ("Ġword", 32,070)      85% / 78% / 84%    86% / 78% / 84%    79% / 74% / 78%
# No garbled word is left ("This is Pilot something little You're doing doing dogs."), and the posts are
# no harder to tell apart: every word real, the sentences still the stand-in's.
# Two of the person's training posts before each draw, as training blocks hold posts in a row (one-off script;
# six 200-post bots, seed 1, 150 posts; char detector as drawn → primed): dog_rates 82 → 84%, drikkes 80 → 80%,
# dril 81 → 76%, gullhaven_dot 73 → 74%, stiles 78 → 75%, trump_tweets 88 → 88%; median 80.5% → 78%, copies 0%.
# Lengths move toward the person's (drikkes 110 → 74 characters, real 79; trump_tweets 270 → 168, real 203),
# the detector hardly: within one seed's noise, for a prompt every export would have to carry. Not shipped. ---
GENERATION_DEFAULTS: dict[str, Any] = {
    "do_sample": True,
    "min_length": 10,  # tokens, prompt included: no one-word posts
    "max_length": 160,  # tokens, prompt included: longer than any 280-character post
    "temperature": 1.0,
    "top_p": 0.95,
    "min_p": 0.0,  # off: tokens less likely than min_p × the likeliest are dropped
    "typical_p": 1.0,  # off: locally typical sampling keeps the tokens whose surprise is nearest the entropy
    "repetition_penalty": 1.0,
}
