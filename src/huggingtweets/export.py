"""Export: the shareable model folder (weights, tokenizer, generation defaults, card) and its zip.

    folder, zip_path = export_model(model, tokenizer, card_text, out_dir=out, name="gullhaven_dot")
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from ._io import atomic_dir, atomic_path, write_text
from .generate import GENERATION_DEFAULTS, PREFIX


def store_generation_defaults(model: Any) -> None:
    """Make `pipeline("text-generation", model=folder)` sample as the original did."""
    model.config.task_specific_params = {"text-generation": {**GENERATION_DEFAULTS, "prefix": PREFIX}}
    for key, value in GENERATION_DEFAULTS.items():
        setattr(model.generation_config, key, value)


def export_model(model: Any, tokenizer: Any, card: str, *, out_dir: Path, name: str) -> tuple[Path, Path]:
    """Write ``out_dir/model/`` (atomically) and ``out_dir/<name>.zip`` holding it as ``<name>/``.

    LoRA adapters are merged into the base first, so the folder is a plain model."""
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    store_generation_defaults(model)
    folder = Path(out_dir) / "model"
    with atomic_dir(folder) as tmp:
        model.save_pretrained(tmp)  # safetensors
        tokenizer.save_pretrained(tmp)
        write_text(tmp / "README.md", card)
    return folder, zip_folder(folder, Path(out_dir) / f"{name}.zip", root=name)


def zip_folder(folder: Path, target: Path, *, root: str) -> Path:
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{root}/{path.relative_to(folder).as_posix()}")
    return target
