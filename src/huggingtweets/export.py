"""Export: the shareable model folder (weights, tokenizer, generation defaults, card), its zip,
and, when the user asks, a push to the Hugging Face Hub (and a delete to take it down):

    folder, zip_path = export_model(model, tokenizer, card_text, out_dir=out, name="gullhaven_dot")
    url = push_model(folder, "dot/gullhaven_dot")    # private; the token from HF_TOKEN
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from ._io import atomic_dir, atomic_path, write_text
from .card import with_model_ref
from .errors import ConfigError, HubError
from .generate import GENERATION_DEFAULTS
from .models import hub_endpoint, post_separator, separator_id


def store_generation_defaults(model: Any, tokenizer: Any) -> None:
    """Make `pipeline("text-generation", model=folder)` sample as the original did, each post
    starting after the same separator the model was trained with."""
    separator = post_separator(tokenizer)
    model.config.prefix = separator  # what transformers' text-generation pipeline puts before a prompt
    model.config.task_specific_params = {"text-generation": {**GENERATION_DEFAULTS, "prefix": separator}}
    for key, value in GENERATION_DEFAULTS.items():
        setattr(model.generation_config, key, value)
    if model.generation_config.eos_token_id is None:  # a tokenizer with only a bos token: posts end at it
        model.generation_config.eos_token_id = separator_id(tokenizer)


def export_model(
    model: Any, tokenizer: Any, card: str, *, out_dir: Path, name: str, fp16_zip: bool = False,
    dtype: str = "float32",
) -> tuple[Path, Path]:
    """Write ``out_dir/model/`` (atomically) and ``out_dir/<name>.zip`` holding it as ``<name>/``.

    LoRA adapters are merged into the base first, so the folder is a plain model. The weights
    are written in ``dtype`` (a bfloat16 base is exported in bfloat16, not doubled in size).
    With ``fp16_zip`` the zip holds half-precision weights: half the download, same samples."""
    import torch

    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    store_generation_defaults(model, tokenizer)
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


def zip_folder(folder: Path, target: Path, *, root: str) -> Path:
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{root}/{path.relative_to(folder).as_posix()}")
    return target


_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")  # user-or-org/name


def push_model(model_dir: Path, repo_id: str, *, token: str | None = None, private: bool = True,
               endpoint: str | None = None) -> str:
    """Upload a model folder to ``repo_id`` on the Hub (created private unless told otherwise);
    returns the repo's URL. The card's "How to use" is pointed at the repo id on the way.

    The token comes from ``token``, else ``HF_TOKEN``, else the one `hf auth login` saved; it is
    only sent to the Hub, never written anywhere."""
    from huggingface_hub import CommitOperationAdd

    folder = Path(model_dir)
    if not (folder / "config.json").is_file():
        raise ConfigError(f"{folder} is not a model folder (it has no config.json). "
                          "Pass a bot's model folder, such as bots/<handle>/model")
    api = _hub(repo_id, token, endpoint)
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "README.md"]
    operations = [CommitOperationAdd(p.relative_to(folder).as_posix(), str(p)) for p in files]
    readme = folder / "README.md"
    if readme.is_file():
        card = with_model_ref(readme.read_text(encoding="utf-8"), repo_id)
        operations.append(CommitOperationAdd("README.md", card.encode("utf-8")))
    with _hub_errors(repo_id, "push to"):
        url = api.create_repo(repo_id, private=private, exist_ok=True)
        api.create_commit(repo_id, operations=operations, commit_message="Upload a huggingtweets bot")
    return str(url)


def delete_model(repo_id: str, *, token: str | None = None, endpoint: str | None = None) -> None:
    """Delete ``repo_id`` from the Hub: the way to take a bot down again."""
    api = _hub(repo_id, token, endpoint)
    with _hub_errors(repo_id, "delete"):
        api.delete_repo(repo_id)


def _hub(repo_id: str, token: str | None, endpoint: str | None) -> Any:
    from huggingface_hub import HfApi, get_token

    if not _REPO_ID.match(repo_id):
        raise ConfigError(f"--repo-id must look like user/name, got {repo_id!r}")
    token = token or os.environ.get("HF_TOKEN") or get_token()
    if not token:
        raise ConfigError("no Hugging Face token. Create a write token at https://huggingface.co/settings/tokens "
                          "and set HF_TOKEN to it (in the notebook: paste it in the token field)")
    return HfApi(endpoint=endpoint or hub_endpoint(), token=token)


@contextmanager
def _hub_errors(repo_id: str, verb: str) -> Iterator[None]:
    """The Hub's errors as one `HubError` line that says what to do."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    try:
        yield
    except OfflineModeIsEnabled as error:
        raise HubError("HF_HUB_OFFLINE is set, so nothing can reach the Hub. Unset it and try again") from error
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else None
        fix = {401: "The token was refused: check HF_TOKEN",
               403: "The token can read but not write: create one with write access",
               404: f"{repo_id} was not found: check --repo-id"}.get(status, "Try again later")
        raise HubError(f"could not {verb} {repo_id} (HTTP {status}). {fix}") from error
    except Exception as error:
        # connection errors: huggingface_hub 1.x speaks httpx, 2.x its fork httpx2
        if isinstance(error, OSError) or type(error).__module__.split(".")[0] in ("httpx", "httpx2"):
            raise HubError(f"could not reach the Hugging Face Hub ({error}). "
                           "Check the connection and try again") from error
        raise
