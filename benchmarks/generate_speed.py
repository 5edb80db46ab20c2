"""Seconds to write 10 posts with a GPT-2-124M-architecture model on this CPU.

The baseline, measured in the same run on the same weights, is what the original's users
ran: `transformers.pipeline("text-generation")(..., num_return_sequences=10)`, float32, every
row sampled to max_length=160 tokens and cut at its first newline afterwards. Ours is
`sample_posts`: one batch, the same sampling settings, int8 weights on a CPU, and each row
stops at its first line end or end-of-post token.

The weights are random (nothing can be downloaded here), and a random model never ends a
post, so two lengths are timed: 160 tokens, the worst case, and the length at which a batch
of 10 real posts ends — the longest of 10 posts drawn from the data, median over 1,000 draws,
in the model's own tokens — which is where a trained model's batch ends. The first int8 call
also packs the weights (once per model): it is timed on its own.
Goal: at most 2 s for 10 posts.

    python benchmarks/generate_speed.py    # ../shared/data/trump_tweets.csv if present, else the demo persona
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

import torch
import transformers
from _timing import best_of

from huggingtweets.config import ScratchShape
from huggingtweets.export import store_generation_defaults
from huggingtweets.generate import CopyDetector, sample_posts
from huggingtweets.models import build_scratch_model, load_model
from huggingtweets.post_format import post_separator

REAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "trump_tweets.csv"
GOAL_SECONDS = 2.0


def batch_length(texts: list[str], tokenizer, draws: int = 1000) -> int:
    """Tokens until a batch of 10 real posts has ended: the longest of 10, median over draws."""
    lengths = [len(ids) + 1 for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]  # + the end
    rng = random.Random(0)
    return int(statistics.median(max(rng.sample(lengths, 10)) for _ in range(draws)))


def main() -> None:
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    from huggingtweets.clean import clean_posts
    from huggingtweets.sources import fetch_posts

    data = str(REAL_DATA) if REAL_DATA.is_file() else "sample"
    texts = [p.text for p in clean_posts(fetch_posts(data).posts, handle="benchmark")[0]]
    with tempfile.TemporaryDirectory() as tmp:
        # GPT-2 124M: 12 layers × 768, 1024 positions; a 50,257-token vocabulary like gpt2's
        shape = ScratchShape(n_layer=12, n_embd=768, n_head=12, n_positions=1024, vocab_size=50_257)
        folder = build_scratch_model(texts, Path(tmp) / "gpt2-124m", shape=shape, seed=0)
        model, tokenizer = load_model(str(folder))
        model.resize_token_embeddings(50_257)  # the BPE may learn fewer merges than gpt2's; pad to its size
        store_generation_defaults(model, tokenizer)
        separator = post_separator(tokenizer)
        model.save_pretrained(folder)
        prompt_tokens = len(tokenizer(separator, add_special_tokens=False)["input_ids"])
        post_length = batch_length(texts, tokenizer)
        print(f"data: {data} ({len(texts):,} posts); model: {model.num_parameters() / 1e6:.0f}M parameters, "
              f"random init; {torch.get_num_threads()} CPU threads")

        copies = CopyDetector(texts, tokenizer)
        pipe = transformers.pipeline("text-generation", model=str(folder), tokenizer=tokenizer)
        baseline = best_of(lambda: pipe("", num_return_sequences=10, prefix=separator))
        fp32 = best_of(lambda: sample_posts(model, tokenizer, n=10, seed=0, copies=copies, int8=False))
        started = time.perf_counter()
        sample_posts(model, tokenizer, n=10, seed=0, copies=copies, max_length=prompt_tokens + post_length)
        first = time.perf_counter() - started
        worst = best_of(lambda: sample_posts(model, tokenizer, n=10, seed=0, copies=copies))
        real = best_of(lambda: sample_posts(model, tokenizer, n=10, seed=0, copies=copies,
                                            max_length=prompt_tokens + post_length))
    print(f"baseline, transformers pipeline, fp32, 10 × 160 tokens: {baseline:6.2f} s")
    print(f"ours, fp32 (--no-int8),            10 × 160 tokens: {fp32:6.2f} s  ({fp32 / baseline:.2f}× the baseline)")
    print(f"ours, int8,                        10 × 160 tokens: {worst:6.2f} s  ({worst / baseline:.2f}× the baseline, "
          f"{worst / GOAL_SECONDS:.2f}× the goal); {worst / 160 * 1000:.0f} ms per token")
    print(f"ours, int8, 10 real-length posts,  10 × {post_length} tokens: {real:6.2f} s  "
          f"({real / GOAL_SECONDS:.2f}× the {GOAL_SECONDS:.0f} s goal)")
    print(f"ours, int8, first call (packs the weights, then 10 × {post_length} tokens): {first:6.2f} s")


if __name__ == "__main__":
    main()
