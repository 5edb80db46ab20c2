"""Export: the shareable model folder (weights, tokenizer, generation defaults, card) and its zip:

    folder, zip_path = export_model(model, tokenizer, card_text, out_dir=out, name="gullhaven_dot")

Publishing it on the Hub is `publish.py`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._io import atomic_dir, atomic_path, write_text
from .post_format import post_format
from .recipe import GENERATION_DEFAULTS

if TYPE_CHECKING:  # typing only: transformers loads when a stage runs
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


def store_generation_defaults(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, *,
                              keep_newlines: bool = False) -> None:
    """Make `pipeline("text-generation", model=folder)` sample as the original did, each post
    starting after the same separator the model was trained with and ending where our sampler
    ends it: at the separator, and at the first line break unless the bot keeps newlines."""
    fmt = post_format(tokenizer, keep_newlines=keep_newlines)
    model.config.prefix = fmt.separator  # what transformers' text-generation pipeline puts before a prompt
    model.config.task_specific_params = {"text-generation": {**GENERATION_DEFAULTS, "prefix": fmt.separator}}
    for key, value in GENERATION_DEFAULTS.items():
        setattr(model.generation_config, key, value)
    model.generation_config.eos_token_id = [fmt.separator_id, *sorted(fmt.end_ids - {fmt.separator_id})]


def export_model(
    model: Any, tokenizer: PreTrainedTokenizerBase, card: str, *, out_dir: Path, name: str, fp16_zip: bool = False,
    dtype: str = "float32", keep_newlines: bool = False,
) -> tuple[Path, Path]:
    """Write ``out_dir/model/`` (atomically) and ``out_dir/<name>.zip`` holding it as ``<name>/``.

    LoRA adapters are merged into the base first, so the folder is a plain model. The weights
    are written in ``dtype`` (a bfloat16 base is exported in bfloat16, not doubled in size).
    With ``fp16_zip`` the zip holds half-precision weights: half the download, same samples."""
    import torch

    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    store_generation_defaults(model, tokenizer, keep_newlines=keep_newlines)
    folder = Path(out_dir) / "model"
    trained_dtype = model.dtype
    with atomic_dir(folder) as tmp:
        model.to(getattr(torch, dtype))
        try:
            model.save_pretrained(tmp)  # safetensors, config.json saying the dtype
        finally:
            model.to(trained_dtype)
        tokenizer.save_pretrained(tmp)
        write_text(tmp / "README.md", card)
        # the card's "How does it work?" picture, beside it so it shows offline and on the hub
        (tmp / "pipeline.png").write_bytes(resources.files("huggingtweets").joinpath("templates/pipeline.png").read_bytes())
    target = Path(out_dir) / f"{name}.zip"
    if not fp16_zip:
        return folder, zip_folder(folder, target, root=name)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        half = Path(tmp) / name
        shutil.copytree(folder, half)
        to_fp16(half)
        return folder, zip_folder(half, target, root=name)


def to_fp16(folder: Path) -> None:
    """Rewrite a model folder's float weights as float16, in place."""
    import torch
    from safetensors.torch import load_file, save_file

    for weights in folder.glob("*.safetensors"):
        tensors = {k: v.to(torch.float16) if v.is_floating_point() else v for k, v in load_file(weights).items()}
        save_file(tensors, weights, metadata={"format": "pt"})
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["dtype"] = "float16"  # transformers 5 (4.x read "torch_dtype")
    config["torch_dtype"] = "float16"
    write_text(config_path, json.dumps(config, indent=2) + "\n")


# Weights are dense floats: deflate saves 7% of a float16 or float32 GPT-2's weights (26% of a
# bfloat16 SmolLM2's) at 11-28 MB/s on a 2-core CPU, and took 24 of a 124M bot's 131 s there
# (benchmarks/time_to_bot.py). They go into the zip as they are; text is compressed.
STORED = (".safetensors", ".bin", ".gguf", ".png")


def zip_folder(folder: Path, target: Path, *, root: str) -> Path:
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                kind = zipfile.ZIP_STORED if path.name.endswith(STORED) else zipfile.ZIP_DEFLATED
                zf.write(path, f"{root}/{path.relative_to(folder).as_posix()}", compress_type=kind)
    return target
