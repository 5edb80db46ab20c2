"""Seconds to write 10 posts with a GPT-2-124M-architecture model on this CPU.

Ours is `sample_posts` (one batch of 10, the original's sampling settings, with the copy
check); the baseline, measured in the same run on the same weights, is what the original's
users ran: `transformers.pipeline("text-generation")(..., num_return_sequences=10)`.
The weights are random (no hub here), so no sample ever ends early: every row runs to
max_length=160 tokens, the worst case. A second figure stops at 48 tokens, about the
length of a real post, where a trained model would emit its end-of-post token.
Goal: at most 2 s for 10 posts.

    python benchmarks/generate_speed.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
import transformers

from _timing import best_of

from huggingtweets.export import store_generation_defaults
from huggingtweets.generate import CopyDetector, sample_posts
from huggingtweets.models import build_scratch_model, load_model

GOAL_SECONDS = 2.0


def main() -> None:
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    from huggingtweets.config import ScratchShape
    from huggingtweets.sources import fetch_posts

    texts = [p.text for p in fetch_posts("sample").posts]
    with tempfile.TemporaryDirectory() as tmp:
        # GPT-2 124M: 12 layers × 768, 1024 positions; a 50,257-token vocabulary like gpt2's
        shape = ScratchShape(n_layer=12, n_embd=768, n_head=12, n_positions=1024, vocab_size=50_257)
        folder = build_scratch_model(texts, Path(tmp) / "gpt2-124m", shape=shape, seed=0)
        model, tokenizer = load_model(str(folder))
        model.resize_token_embeddings(50_257)  # the BPE learns fewer merges from 600 posts; pad to gpt2's size
        store_generation_defaults(model)
        model.save_pretrained(folder)
        print(f"model: {model.num_parameters() / 1e6:.0f}M parameters, fp32, {torch.get_num_threads()} CPU threads")

        copies = CopyDetector(texts, tokenizer)
        pipe = transformers.pipeline("text-generation", model=str(folder), tokenizer=tokenizer)
        baseline = best_of(lambda: pipe("", num_return_sequences=10, prefix="<|endoftext|>"))
        ours = best_of(lambda: sample_posts(model, tokenizer, n=10, seed=0, copies=copies))
        short = best_of(lambda: sample_posts(model, tokenizer, n=10, seed=0, copies=copies, max_length=48))
    print(f"baseline, transformers pipeline, 10 × 160 tokens: {baseline:6.2f} s")
    print(f"ours, sample_posts,               10 × 160 tokens: {ours:6.2f} s  ({ours / baseline:.2f}× the baseline, "
          f"{ours / GOAL_SECONDS:.1f}× the {GOAL_SECONDS:.0f} s goal)")
    print(f"ours, post-length stop,           10 × 48 tokens:  {short:6.2f} s  ({short / GOAL_SECONDS:.1f}× the goal)")
    print(f"per generated token (batch of 10): {ours / 160 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
