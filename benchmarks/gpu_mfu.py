"""Model FLOPs utilisation of our training loop: a GPT-2-124M-architecture model, random init, bf16.

This runs `train_model`, the Trainer path every bot trains with, on synthetic 1,024-token
blocks, and reports steady-state tokens/s (timed between its own progress events, so start-up,
evaluation and checkpointing are left out) and

    MFU = (6·N + 12·L·H·Q·T) × tokens/s ÷ peak      (N weights without position embeddings; PaLM, nanoGPT)

where peak is the device's dense bf16 tensor FLOP/s: looked up by the device's name, or given
with --peak-tflops. The baseline, measured in the same run on the same device, is the original
project's recipe: batch 1, fp32. Goal (issue 5): MFU at least 45% on an H100.

    python benchmarks/gpu_mfu.py                    # on a GPU
    python benchmarks/gpu_mfu.py --tiny --steps 6   # the same code on a CPU, small, to check it runs
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

GOAL = 0.45
# dense bf16 (fp16 on T4) tensor-core peaks, TFLOP/s, by a piece of torch.cuda.get_device_name()
PEAK_TFLOPS = [("H100 PCIe", 756.0), ("H100 NVL", 835.0), ("H100", 989.0), ("H200", 989.0), ("GH200", 989.0),
               ("A100", 312.0), ("L40S", 362.0), ("L4", 121.0), ("A10G", 70.0), ("T4", 65.0)]


def measure(shape: dict[str, int], block: int, batch: int, steps: int, precision: str | None,
            compile: bool = False) -> dict[str, float]:
    """Train `steps` steps; tokens/s between the 3rd step's event and the last one's."""
    import datasets
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    from huggingtweets.events import TrainProgress
    from huggingtweets.recipe import Recipe
    from huggingtweets.train import TrainRun, train_model

    torch.manual_seed(0)
    config = GPT2Config(n_positions=block, **shape)
    model = GPT2LMHeadModel(config)
    ids = torch.randint(0, config.vocab_size, (steps * batch, block)).tolist()
    train = datasets.Dataset.from_dict({"input_ids": ids, "labels": ids})
    evals = datasets.Dataset.from_dict({"input_ids": ids[:1], "labels": ids[:1]})
    times: dict[int, float] = {}

    def clock(event: object) -> None:
        if isinstance(event, TrainProgress) and "loss" in event.metrics:
            times[event.step] = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        recipe = Recipe(epochs=1, learning_rate=6e-4, batch_size=batch, block_size=block, warmup_ratio=0.0)
        result = train_model(model, None, train, evals, recipe,
                             TrainRun(Path(tmp), precision=precision, compile=compile, on_event=clock))
    first, last = 3, max(times)
    tokens_per_second = (last - first) * batch * block / (times[last] - times[first])
    n = model.num_parameters() - model.transformer.wpe.weight.numel()
    flops_per_token = 6 * n + 12 * config.n_layer * config.n_head * (config.n_embd // config.n_head) * block
    return {"tokens_per_second": tokens_per_second, "flops_per_second": flops_per_token * tokens_per_second,
            "params": n, "device": result.metrics["device"], "precision": result.metrics["precision"]}


def peak_tflops(given: float | None) -> tuple[float | None, str]:
    import torch

    if not torch.cuda.is_available():
        return given, "cpu"
    name = torch.cuda.get_device_name(0)
    if given:
        return given, name
    return next((peak for key, peak in PEAK_TFLOPS if key in name), None), name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=16, help="1,024-token blocks per step (default 16)")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--peak-tflops", type=float, help="the device's dense bf16 peak, if not in the table")
    parser.add_argument("--tiny", action="store_true", help="a 2-layer model with 256-token blocks (CPU check)")
    parser.add_argument("--compile", action="store_true", help="TrainRun(compile=True): torch.compile the model")
    args = parser.parse_args()

    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    shape = dict(n_layer=12, n_embd=768, n_head=12, vocab_size=50_257)  # GPT-2 124M
    block = 1024
    if args.tiny:
        shape, block = dict(n_layer=2, n_embd=128, n_head=4, vocab_size=2_000), 256
    peak, device = peak_tflops(args.peak_tflops)

    ours = measure(shape, block, args.batch_size, args.steps, precision=None, compile=args.compile)
    original = measure(shape, block, 1, max(args.steps // 4, 6), precision="fp32")  # batch 1, fp32
    print(f"device: {device}; model: {ours['params'] / 1e6:.1f}M weights (no position embeddings), "
          f"{block}-token blocks")
    for label, run, batch in (("original (batch 1, fp32)", original, 1),
                              (f"ours (batch {args.batch_size}, {ours['precision']}"
                               f"{', compiled' if args.compile else ''})", ours, args.batch_size)):
        line = (f"{label:28} {run['tokens_per_second']:12,.0f} tokens/s "
                f"{run['flops_per_second'] / 1e12:8.2f} TFLOP/s")
        if peak:
            line += f"  MFU {run['flops_per_second'] / (peak * 1e12):6.1%}"
        print(line)
    print(f"ours / original: {ours['tokens_per_second'] / original['tokens_per_second']:.1f}× the tokens/s")
    if peak:
        mfu = ours["flops_per_second"] / (peak * 1e12)
        print(f"peak {peak:,.0f} TFLOP/s; goal MFU ≥ {GOAL:.0%}: {'met' if mfu >= GOAL else 'not met'}")
    else:
        print("MFU: unknown peak for this device; pass --peak-tflops")


if __name__ == "__main__":
    main()
