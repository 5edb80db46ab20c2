"""Generation: sample new posts from a trained model, with the original's defaults.

    posts = sample_posts(model, tokenizer, prompt="My dream is", n=10, seed=0)
"""

from __future__ import annotations

from typing import Any

# The original project's sampling settings; stored with every exported model so that
# `pipeline("text-generation", model=folder)` samples the same way.
GENERATION_DEFAULTS: dict[str, Any] = {
    "do_sample": True,
    "min_length": 10,  # tokens, prompt included: no one-word posts
    "max_length": 160,  # tokens, prompt included: longer than any 280-character post
    "temperature": 1.0,
    "top_p": 0.95,
}
PREFIX = "<|endoftext|>"  # every training post starts with it, so every sample does too

_MAX_ROUNDS = 4  # re-sampling rounds for empty outputs before giving up


def sample_posts(
    model: Any,
    tokenizer: Any,
    *,
    prompt: str = "",
    n: int = 10,
    seed: int | None = None,
    **overrides: Any,
) -> list[str]:
    """``n`` generated posts, each starting with ``prompt`` and cut at the first newline."""
    import torch
    from transformers import set_seed

    if seed is not None:
        set_seed(seed)
    settings = {**GENERATION_DEFAULTS, **overrides}
    inputs = tokenizer(PREFIX + prompt, return_tensors="pt", add_special_tokens=False).to(model.device)
    eos = tokenizer.eos_token_id
    model.eval()
    posts: list[str] = []
    for _ in range(_MAX_ROUNDS):
        with torch.inference_mode():
            out = model.generate(  # (n, length): one batch, all rows share the prompt
                **inputs, num_return_sequences=n - len(posts),
                eos_token_id=eos, pad_token_id=tokenizer.pad_token_id or eos, **settings,
            )
        for text in tokenizer.batch_decode(out, skip_special_tokens=True):
            text = text.split("\n")[0].strip()
            if text and text != prompt.strip():
                posts.append(text)
        if len(posts) >= n:
            break
    return posts[:n]
