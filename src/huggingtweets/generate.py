"""Generation: sample new posts with the original's defaults, and catch near-copies.

A sample that repeats a post the bot learned (a run of 8+ tokens holding 32+ bytes of text, or
80%+ of its words) is flagged and, by default, replaced by a fresh one: users of older tools got their
training tweets back word for word and took them for new ones.

Sampling is our own short loop rather than `model.generate`, for speed on a CPU: a row
stops where its post ends (post_format.py: the separator, and its first line break unless
the bot keeps newlines) and leaves the batch; a row writes only characters the bot learned
(characters.py);
draws come from exactly the nucleus transformers keeps, one uniform number a row. On a
CPU the model multiplies with int8 weights while it samples (quantize.py).

    copies = CopyDetector(training_texts, tokenizer)
    run = sample_posts(model, tokenizer, prompt="My dream is", n=10, seed=0, copies=copies)
    run.texts, run.copy_rate
"""

from __future__ import annotations

import inspect
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING, Any

from .characters import LearnedCharacters
from .errors import ConfigError
from .post_format import post_format, post_separator
from .recipe import GENERATION_DEFAULTS

if TYPE_CHECKING:  # typing only: transformers loads when a stage runs
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

_MAX_ROUNDS = 5  # rounds of fresh samples for empty outputs and copies before giving up
_WORD = re.compile(r"[\w']+")
COPY_RUN_TOKENS = 8  # shared tokens in a row that make a copy ...
# ... when they hold this much text (UTF-8): 8 English tokens are ~6 words, ~32 bytes, but 8
# byte-level tokens of Japanese are 3 characters ("ます！！"); 32 bytes are ~11 of them
COPY_RUN_BYTES = 32
COPY_WORD_SHARE = 0.8  # ... or this share of the sample's distinct words, found in one post


@dataclass(frozen=True)
class Sample:
    text: str
    copy: bool = False  # a near-copy of a training post (kept only when no fresh one came)


@dataclass(frozen=True)
class SampleRun:
    posts: list[Sample]
    drawn: int  # non-empty samples drawn in all, replacements included
    copies: int  # how many of the drawn ones were near-copies
    precision: str = "fp32"  # of the weights that wrote them: "int8" on a CPU (quantize.py)

    @property
    def texts(self) -> list[str]:
        return [p.text for p in self.posts]

    @property
    def copy_rate(self) -> float:
        """Share of drawn samples that were near-copies: how often this model parrots."""
        return self.copies / self.drawn if self.drawn else 0.0


class CopyDetector:
    """Knows the training posts; says whether a sample repeats one of them."""

    def __init__(self, texts: list[str], tokenizer: PreTrainedTokenizerBase, *, run_tokens: int = COPY_RUN_TOKENS,
                 run_bytes: int = COPY_RUN_BYTES, word_share: float = COPY_WORD_SHARE, min_words: int = 5) -> None:
        self.tokenizer = tokenizer
        self.run_tokens = run_tokens
        self.run_bytes = run_bytes
        self.word_share = word_share  # share of the sample's distinct words found in one post
        self.min_words = min_words  # shorter samples share most words with something by chance
        unique = sorted(set(texts))
        self.exact = {t.strip().lower() for t in unique}
        self.runs: set[tuple[int, ...]] = set()
        for ids in tokenizer(unique, add_special_tokens=False)["input_ids"] if unique else []:
            self.runs.update(tuple(ids[i : i + run_tokens]) for i in range(len(ids) - run_tokens + 1))
        self.posts_with_word: dict[str, list[int]] = defaultdict(list)
        for n, text in enumerate(unique):
            for word in set(_WORD.findall(text.lower())):
                self.posts_with_word[word].append(n)
        self.texts = unique
        self._characters: dict[frozenset[int], LearnedCharacters | None] = {}

    def characters(self, always: set[int]) -> LearnedCharacters | None:
        """The mask that keeps samples to the characters of these posts (built once: ~0.3 s)."""
        key = frozenset(always)
        if key not in self._characters:
            self._characters[key] = LearnedCharacters.for_tokenizer(self.tokenizer, self.texts, always)
        return self._characters[key]

    def is_copy(self, text: str, prompt: str = "") -> bool:
        if text.strip().lower() in self.exact:
            return True
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        in_prompt = len(self.tokenizer(prompt, add_special_tokens=False)["input_ids"]) if prompt else 0
        first = max(0, in_prompt - self.run_tokens + 1)  # runs made only of the prompt don't count
        if self._shares_a_run(ids, first):
            return True
        words = set(_WORD.findall(text.lower()))
        if len(words) < self.min_words:
            return False
        shared = Counter(n for w in words for n in self.posts_with_word.get(w, ()))
        return bool(shared) and max(shared.values()) >= self.word_share * len(words)

    def _shares_a_run(self, ids: list[int], first: int) -> bool:
        """A stretch of ``run_tokens`` or more tokens, each window of them found in a learned post,
        that holds ``run_bytes`` of text."""
        windows = range(first, len(ids) - self.run_tokens + 1)
        for shared, stretch in groupby(windows, key=lambda i: tuple(ids[i : i + self.run_tokens]) in self.runs):
            if not shared:
                continue
            starts = list(stretch)
            span = str(self.tokenizer.decode(ids[starts[0] : starts[-1] + self.run_tokens]))
            if len(span.encode("utf-8", "replace")) >= self.run_bytes:
                return True
        return False


def sample_posts(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    *,
    prompt: str = "",
    n: int = 10,
    seed: int | None = None,
    copies: CopyDetector | None = None,
    replace_copies: bool = True,
    learned_characters: bool = True,
    keep_newlines: bool = False,
    int8: bool = True,
    **overrides: Any,
) -> SampleRun:
    """``n`` generated posts, each starting with ``prompt`` and cut at the first line break
    (with ``keep_newlines``, at the end of the post: for bots trained with --keep-newlines).

    ``copies``: the posts the bot learned. Samples that repeat one are replaced
    (``replace_copies``), and a sample writes only characters those posts hold
    (``learned_characters``; characters.py), with a byte-level tokenizer.

    ``int8``: on a CPU, multiply with int8 copies of the weights (see quantize.py), several
    times faster; the model itself is left as it is. ``overrides`` replace GENERATION_DEFAULTS.
    """
    import torch

    from ._cpu import keep_freed_memory
    from .quantize import int8_weights

    if model.device.type == "cpu":
        keep_freed_memory()
    unknown = set(overrides) - set(GENERATION_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown generation settings: {', '.join(sorted(unknown))}")
    settings = {**GENERATION_DEFAULTS, **overrides}
    prompt_ids = prompt_tokens(tokenizer, prompt, settings["max_length"])
    generator = None if seed is None else torch.Generator(model.device).manual_seed(seed)
    fmt = post_format(tokenizer, keep_newlines=keep_newlines)
    ends = fmt.end_ids  # where a training post ended, and line breaks unless posts keep them
    characters = copies.characters(ends | fmt.line_end_ids) if copies is not None and learned_characters else None
    if characters is not None:
        characters = characters.with_text(prompt)  # the user's prompt may hold characters the person never wrote
    model.eval()
    fresh: list[Sample] = []
    spare_copies: list[Sample] = []  # set aside, shown only if no fresh sample comes
    drawn = n_copies = 0
    with torch.inference_mode(), int8_weights(model, enabled=int8) as used_int8:
        for round_ in range(_MAX_ROUNDS):
            wanted = n - len(fresh)
            rows = wanted if round_ == 0 else 2 * wanted  # retries over-draw
            for new in _draw(model, prompt_ids, rows, settings, fmt.separator_id, ends, generator, characters):
                text = fmt.text(str(tokenizer.decode(prompt_ids + new, skip_special_tokens=True)))
                if not text or text == prompt.strip():
                    continue  # empty: sample again
                is_copy = copies is not None and copies.is_copy(text, prompt)
                drawn += 1
                n_copies += is_copy
                if is_copy and replace_copies:
                    spare_copies.append(Sample(text, copy=True))
                else:
                    fresh.append(Sample(text, copy=is_copy))
            if len(fresh) >= n:
                break
    posts = fresh[:n] + spare_copies[: max(0, n - len(fresh))]
    precision = "int8" if used_int8 else _PRECISION.get(str(model.dtype), str(model.dtype))
    return SampleRun(posts=posts, drawn=drawn, copies=n_copies, precision=precision)


_PRECISION = {"torch.float32": "fp32", "torch.bfloat16": "bf16", "torch.float16": "fp16"}


def prompt_tokens(tokenizer: PreTrainedTokenizerBase, prompt: str,
                  max_length: int = GENERATION_DEFAULTS["max_length"]) -> list[int]:
    """The separator and ``prompt`` as token ids: every training post starts with the separator, so
    every sample does too. A prompt that leaves no room for a post is a `ConfigError`; the pipeline
    asks before training, so a long prompt never costs a training run."""
    ids = tokenizer(post_separator(tokenizer) + prompt, add_special_tokens=False)["input_ids"]
    if len(ids) >= max_length:
        raise ConfigError(f"the prompt is {len(ids)} tokens long and posts end at {max_length} tokens. "
                          "Use a shorter prompt")
    return ids


def _draw(model: PreTrainedModel, prompt_ids: list[int], rows: int, settings: dict[str, Any], eos: int, ends: set[int],
          generator: Any, characters: LearnedCharacters | None = None) -> list[list[int]]:
    """``rows`` continuations of the prompt (token ids), each ending with its first line end or
    end-of-post token: the text after it would be cut anyway, so a row stops there and leaves
    the batch, and the batch stops when its last row does. With ``characters``, each row's next
    token may only spell characters it allows."""
    import torch

    from .kv_cache import reserved_cache

    device = model.device
    ids = torch.tensor([prompt_ids] * rows, device=device)  # (rows, prompt tokens), then (active rows, 1)
    history = ids  # (active rows, tokens so far): what a repetition penalty looks back on
    end_ids = torch.tensor(sorted(ends), device=device)
    out: list[list[int]] = [[] for _ in range(rows)]
    active = list(range(rows))  # the rows still writing, in batch order
    started = b""  # the bytes of a character the prompt started and did not finish
    if characters is not None:
        for token in prompt_ids:
            started = characters.after(started, token)
    pending = [started] * rows  # per row, the bytes of a character it has started and not finished
    cache, cache_name = reserved_cache(model, settings["max_length"]), _cache_argument(model)
    for length in range(len(prompt_ids), settings["max_length"]):  # tokens so far, prompt included
        step = model(input_ids=ids, use_cache=True, logits_to_keep=1, **{cache_name: cache})
        cache = step[cache_name]  # keys and values of the tokens so far: each step feeds one token
        logits = step.logits[:, -1, :].float()  # (active rows, vocab)
        if characters is not None:
            logits = logits.masked_fill(~_allowed(characters, [pending[row] for row in active], logits.shape[-1], device),
                                        -float("inf"))
        tokens = _next_tokens(logits, length, settings, eos, generator, history)  # (active rows,)
        for row, token in zip(active, tokens.tolist()):
            out[row].append(token)
            if characters is not None:
                pending[row] = characters.after(pending[row], token)
        done = torch.isin(tokens, end_ids)
        if done.all():
            break
        history = torch.cat([history, tokens[:, None]], dim=1)
        if done.any():
            keep = (~done).nonzero().squeeze(-1)
            cache.batch_select_indices(keep)
            active = [active[i] for i in keep.tolist()]
            tokens, history = tokens[keep], history[keep]
        ids = tokens[:, None]
    return out


def _allowed(characters: LearnedCharacters, pending: list[bytes], width: int, device: Any) -> Any:
    """(rows, width) or, when every row is at a character boundary, (1, width): the tokens each
    row may write next."""
    import torch

    if not any(pending):
        return characters.allowed(b"", width).to(device)[None]
    return torch.stack([characters.allowed(p, width) for p in pending]).to(device)


def _cache_argument(model: Any) -> str:
    """``cache`` in later transformers 5.x releases, ``past_key_values`` before (input and output)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model  # under LoRA
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"


def _next_tokens(logits: Any, length: int, settings: dict[str, Any], eos: int, generator: Any,
                 history: Any = None) -> Any:
    """One token per row from (rows, vocab) logits, sampled as transformers' generate samples:
    the repetition penalty on every token the row holds so far (``history``, prompt included),
    no end-of-post before min_length, then temperature, then nucleus (top-p), min-p and typical-p."""
    import torch

    penalty = settings.get("repetition_penalty", 1.0)
    if penalty != 1.0 and history is not None:  # as RepetitionPenaltyLogitsProcessor: scale toward less likely
        seen = logits.gather(1, history)
        logits = logits.scatter(1, history, torch.where(seen < 0, seen * penalty, seen / penalty))
    if length < settings["min_length"]:
        logits[:, eos] = -float("inf")
    if not settings["do_sample"]:
        return logits.argmax(dim=-1)
    if settings["temperature"] != 1.0:
        logits = logits / settings["temperature"]
    probs = _nucleus(torch.softmax(logits, dim=-1), settings["top_p"])
    if settings.get("min_p"):
        probs = _min_p(probs, settings["min_p"])
    if settings.get("typical_p", 1.0) < 1.0:
        probs = _typical(probs, settings["typical_p"])
    # Inverse-CDF sampling: one uniform number a row (torch.multinomial draws one per token)
    cumulative = probs.cumsum(dim=-1)
    u = torch.rand((probs.shape[0], 1), generator=generator, device=probs.device) * cumulative[:, -1:]
    return torch.searchsorted(cumulative, u, right=True).clamp_(max=probs.shape[-1] - 1).squeeze(-1)


def _nucleus(probs: Any, top_p: float) -> Any:
    """``probs`` with all but the smallest set of most likely tokens that holds ``top_p`` of the
    mass set to zero; the same set as transformers' TopPLogitsWarper keeps."""
    import torch

    if top_p >= 1.0:
        return probs
    ranked = _sort_descending(probs)  # (rows, vocab)
    mass = ranked.cumsum(dim=-1)  # of the k most likely tokens
    # a token stays while the more likely ones hold less than top_p (the first always does)
    limit = torch.full((len(probs), 1), top_p, dtype=mass.dtype, device=mass.device)
    kept = (torch.searchsorted(mass, limit) + 1).clamp_(max=probs.shape[-1])  # (rows, 1)
    return probs * (probs >= ranked.gather(-1, kept - 1))


def _min_p(probs: Any, min_p: float) -> Any:
    """``probs`` without the tokens less likely than ``min_p`` × the likeliest (MinPLogitsWarper)."""
    return probs * (probs >= min_p * probs.amax(dim=-1, keepdim=True))


def _typical(probs: Any, typical_p: float) -> Any:
    """``probs`` with only the tokens locally typical sampling keeps (TypicalLogitsWarper): those
    whose surprise is nearest the distribution's entropy, the fewest that hold ``typical_p``."""
    p = probs / probs.sum(dim=-1, keepdim=True)
    logp = p.log()
    entropy = -(p * logp).nan_to_num().sum(dim=-1, keepdim=True)
    distance = (-logp - entropy).abs()  # inf for tokens already cut
    order = distance.argsort(dim=-1)
    mass = p.gather(-1, order).cumsum(dim=-1)
    last = (mass < typical_p).sum(dim=-1, keepdim=True).clamp_(max=p.shape[-1] - 1)  # the set's last token
    kept_distance = distance.gather(-1, order.gather(-1, last))
    return probs * (distance <= kept_distance)


def _sort_descending(probs: Any) -> Any:
    import numpy as np
    import torch

    if probs.device.type != "cpu":
        return probs.sort(dim=-1, descending=True).values
    # numpy's vectorised sort is ~7× faster than torch's on a CPU (3 ms vs 23 ms for 10 × 50,257)
    return torch.from_numpy(np.ascontiguousarray(np.sort(probs.numpy(), axis=-1)[:, ::-1]))
