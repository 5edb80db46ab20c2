"""Base models: a hub id, a local folder, or a small GPT-2 built from scratch.

`scratch` writes a randomly initialised GPT-2 and a byte-level BPE tokenizer trained
on the person's own posts to a folder, then loads that folder exactly like any other
base, so everything after loading is one code path:

    model, tokenizer = load_base_model("gpt2")
    model, tokenizer = load_base_model("scratch", texts=posts, folder=out / "base")
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from . import hub
from ._io import atomic_dir
from .config import ScratchShape
from .errors import ModelError, cause
from .post_format import post_separator

if TYPE_CHECKING:  # typing only: transformers loads when a stage runs
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

SCRATCH_EOS = "<|endoftext|>"  # the scratch tokenizer's one special token, as GPT-2's: separator, BOS, EOS, padding
HALF_DTYPES = ("float16", "bfloat16")  # checkpoints saved in these are exported in them again


ModelRole = Literal["model", "base model"]  # what a model is to the user: named so in its errors


def load_base_model(
    name: str,
    *,
    texts: list[str] | None = None,
    folder: Path | None = None,
    shape: ScratchShape = ScratchShape(),
    seed: int = 42,
    reuse: bool = False,
    dtype: str = "float32",
) -> tuple[Any, PreTrainedTokenizerBase]:
    """Load (model, tokenizer) for ``name``; ``scratch`` first builds one from ``texts`` in ``folder``
    (or, with ``reuse``, takes the one an interrupted run built there: its tokenizer must match).
    The weights are cast to ``dtype`` whatever dtype they were saved in (see `load_model`)."""
    if name == "scratch":
        if texts is None or folder is None:
            raise ValueError("scratch needs the training texts and a folder to build it in")
        if not (reuse and (Path(folder) / "config.json").is_file()):
            build_scratch_model(texts, folder, shape=shape, seed=seed)
        name = str(folder)
    return load_model(name, what="base model", dtype=dtype)


def load_model(name: str, *, what: ModelRole = "model", dtype: str = "float32") -> tuple[Any, PreTrainedTokenizerBase]:
    """`from_pretrained` on a hub id or folder, with GPT-2's missing pad token filled in.

    The weights are cast to ``dtype``, float32 unless told otherwise, whatever the checkpoint
    was saved in: training float16 or bfloat16 weights directly loses every update smaller than
    their precision, and float16 overflows to nan. The dtype it was saved in is kept as
    ``model.saved_dtype`` ("float32", "float16", "bfloat16"), so export can write the model
    back in it (an attribute of the object, not of its config, so no file repeats it)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    is_folder = Path(name).is_dir()
    if not is_folder and not hub.is_hub_id(name):
        if what != "base model":
            raise ModelError(f"no such folder: {name}. Check the path: a bot's model is in bots/<name>/model")
        raise ModelError(f"no such folder: {name}", fix="Check the path, or use a hub id such as gpt2 or --base-model "
                         "scratch", notebook_fix="Check the path, or choose another base model")
    # Offline, huggingface_hub retries every file for about a minute before it looks in its
    # cache; one quick look at the hub first lets a cached model load at once, and a missing
    # one fail at once.
    if is_folder:
        refuse_custom_code(Path(name), what)
    offline = not is_folder and not hub.reachable()
    try:
        with hub.offline(offline):
            # trust_remote_code=False, said: transformers then refuses a model's own code instead of
            # asking "Do you wish to run the custom code? [y/N]", where one keystroke would run it
            config = AutoConfig.from_pretrained(name, trust_remote_code=False)
            _check_writes_text(config, name, what)
            if is_folder:
                _check_config_fits_weights(config, Path(name), what)
            tokenizer = AutoTokenizer.from_pretrained(name, trust_remote_code=False)
            saved_dtype = _dtype_name(getattr(config, "dtype", None))
            weights = getattr(torch, dtype)
            found: Any  # (model, what loaded): output_loading_info=True
            try:
                found = AutoModelForCausalLM.from_pretrained(
                    name, config=config, dtype=weights, attn_implementation="sdpa", trust_remote_code=False,
                    output_loading_info=True)
            except ValueError:  # an architecture without SDPA support
                found = AutoModelForCausalLM.from_pretrained(
                    name, config=config, dtype=weights, trust_remote_code=False, output_loading_info=True)
            model, loaded = found
            _check_weights_found(loaded, config, name, what)
    except ModelError:
        raise
    except ValueError as e:
        if "trust_remote_code" in str(e):  # a hub model that needs its own code, refused before any ran
            raise _custom_code_error(name, what, "its config asks for it") from e
        raise _load_error(name, what, is_folder, offline, e) from e
    except Exception as e:  # missing files, a truncated safetensors, an unknown architecture: all one line
        raise _load_error(name, what, is_folder, offline, e) from e
    setattr(model, "saved_dtype", saved_dtype)  # noqa: B010 - what the checkpoint held; training casts to float32
    if tokenizer.pad_token is None:
        tokenizer.pad_token = post_separator(tokenizer)  # only ever padding, masked out
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tokenizer.pad_token_id
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


CODE_FILES = ("config.json", "tokenizer_config.json", "processor_config.json", "preprocessor_config.json")


def refuse_custom_code(folder: Path, what: ModelRole = "model") -> None:
    """Refuse, in one line, a model folder that asks transformers to run Python code it brings
    (an ``auto_map`` in its config): huggingtweets never runs a model's own code, and never asks."""
    import json

    for name in CODE_FILES:
        path = Path(folder) / name
        try:
            asks = "auto_map" in json.loads(path.read_text(encoding="utf-8")) if path.is_file() else False
        except (OSError, ValueError, TypeError):
            continue  # loading says what is wrong with it
        if asks:
            raise _custom_code_error(str(folder), what, f"auto_map in {name}")


def _custom_code_error(name: str, what: ModelRole, why: str) -> ModelError:
    return ModelError(f"the {what} {name} asks to run Python code of its own ({why}), which huggingtweets never runs",
                      fix="Use a model that transformers knows without custom code, such as gpt2, distilgpt2 or "
                          "HuggingFaceTB/SmolLM2-135M", notebook_fix="Choose another base model")


def _load_error(name: str, what: ModelRole, is_folder: bool, offline: bool, e: Exception) -> ModelError:
    """A model that won't load, in one line: missing files, truncated weights, no connection."""
    other = _other_model(what)
    if is_folder and "ignore_mismatched_sizes" in str(e):  # transformers points at a report we keep quiet
        return ModelError(f"the {what} in folder {name} has weights of other shapes than its config.json gives. "
                          "Use the folder as it was saved, config and weights together")
    if is_folder:
        return ModelError(f"can't load the {what} in folder {name} ({cause(e)}). "
                          "Point at a folder holding config.json, the weights and the tokenizer")
    if offline:
        return ModelError(f"can't load the {what} '{name}': the Hugging Face Hub can't be reached and it isn't "
                          "in the local cache", fix=f"Connect to the internet once to download it, or {other['fix']}",
                          notebook_fix=f"Connect to the internet once to download it, or {other['notebook_fix']}")
    return ModelError(f"can't load the {what} '{name}' from the Hugging Face Hub ({cause(e)})",
                      fix=f"Check the id and your internet connection, or {other['fix']}",
                      notebook_fix=f"Check the id and your internet connection, or {other['notebook_fix']}")


def _other_model(what: ModelRole) -> dict[str, str]:
    """What else to load, in each front door's terms: a base model is a choice, a bot's model a folder."""
    if what == "base model":
        return {"fix": "use a local folder or --base-model scratch",
                "notebook_fix": "choose `scratch` as the base model (it needs no download)"}
    return {"fix": "use a local folder", "notebook_fix": "use a local folder"}


def _check_writes_text(config: Any, name: str, what: ModelRole) -> None:
    """Refuse a model that can't continue text left to right (BERT, T5's encoder, a classifier):
    transformers would load some of them as a causal model anyway and train nonsense."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    causal = {c for v in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.values() for c in ((v,) if isinstance(v, str) else v)}
    architectures = getattr(config, "architectures", None) or []
    if config.model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES and (not architectures or causal & set(architectures)):
        return
    kind = ", ".join(architectures) or config.model_type
    raise ModelError(
        f"the {what} {name} is a {kind}, which does not write text left to right. "
        "Use a text-generation model such as gpt2, distilgpt2 or HuggingFaceTB/SmolLM2-135M"
    )


WEIGHT_FILES = (".safetensors", ".bin", ".pt", ".pth")


def _check_config_fits_weights(config: Any, folder: Path, what: ModelRole) -> None:
    """Refuse a config.json that claims a model far bigger than the weights beside it (10^6
    layers, a vocabulary of 10^9): building it would run for minutes and fill memory before any
    weight is found missing. The least a model of that shape holds, two width² matrices a layer
    and the token embeddings, must fit its weight files at an eighth of a byte a parameter."""
    stored = sum(p.stat().st_size for p in folder.iterdir() if p.suffix in WEIGHT_FILES and p.is_file())
    try:
        layers, width, vocab = (int(getattr(config, key, 0) or 0)
                                for key in ("num_hidden_layers", "hidden_size", "vocab_size"))
    except (TypeError, ValueError):  # not numbers: loading says what is wrong with it
        return
    least = max(layers, 0) * 2 * max(width, 0) ** 2 + max(vocab, 0) * max(width, 0)
    if stored and least > 8 * stored:
        raise ModelError(f"can't load the {what} in folder {folder}: its config.json describes at least {least:,} "
                         f"parameters ({layers:,} layers {width:,} wide, a vocabulary of {vocab:,}), far more than its "
                         f"{stored / 2**20:.1f} MB of weights hold (a file cut short, or a config that isn't theirs). "
                         "Use the folder as it was saved, config and weights together")


def _check_weights_found(loaded: dict[str, Any], config: Any, name: str, what: ModelRole) -> None:
    """Refuse weights that don't fit their config (GPT-2's under a config saying llama): transformers
    would fill the missing ones with random numbers and the bot would write noise, with exit 0."""
    missing = sorted(loaded.get("missing_keys") or ())
    if missing:
        raise ModelError(f"the {what} {name} has no weights for {len(missing)} of its {config.model_type} model's "
                         f"parts (such as {missing[0]}): its weights don't match its config.json. "
                         "Use the folder as it was saved, config and weights together")


def _dtype_name(dtype: Any) -> str:
    """"float16" for torch.float16 or "float16"; float32 when the config names none (GPT-2's)."""
    name = str(dtype or "float32").removeprefix("torch.")
    return name if name in HALF_DTYPES else "float32"


def add_lora(model: PreTrainedModel, *, rank: int, alpha: int, targets: tuple[str, ...] | None = None) -> Any:
    """Wrap ``model`` so only low-rank adapters train; `export_model` merges them back."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as e:
        raise ModelError("--lora needs the peft library. Install it with: pip install 'huggingtweets[lora]'") from e
    width = getattr(model.config, "hidden_size", None)
    if isinstance(width, int) and rank > width:  # past the width an adapter is no smaller than the weights
        raise ModelError(f"--lora-rank {rank:,} is more than the base model's width ({width:,}), where an adapter is "
                         f"as big as the weights it adapts. Use at most {width:,} (the default 16 is enough for one "
                         "person's style)")
    config = LoraConfig(task_type="CAUSAL_LM", r=rank, lora_alpha=alpha, lora_dropout=0.05,
                        target_modules=list(targets) if targets else None)
    try:
        return get_peft_model(model, config)
    except ValueError as e:  # e.g. target modules that the architecture doesn't have
        raise ModelError(f"can't add LoRA adapters ({cause(e)}). Check --lora-targets") from e


def build_scratch_model(texts: list[str], folder: Path, *, shape: ScratchShape, seed: int) -> Path:
    """Write a random-init GPT-2 and a BPE tokenizer trained on ``texts`` to ``folder``."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer(add_prefix_space=False)
    bpe.train_from_iterator(texts, vocab_size=shape.vocab_size, min_frequency=2,
                            special_tokens=[SCRATCH_EOS], show_progress=False)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe._tokenizer,  # the Rust tokenizer inside the training helper
        bos_token=SCRATCH_EOS, eos_token=SCRATCH_EOS, unk_token=SCRATCH_EOS, pad_token=SCRATCH_EOS,
        model_max_length=shape.n_positions,
    )
    eos_id = int(tokenizer.convert_tokens_to_ids(SCRATCH_EOS))  # type: ignore[arg-type]
    config = GPT2Config(
        vocab_size=len(tokenizer), n_positions=shape.n_positions, n_embd=shape.n_embd,
        n_layer=shape.n_layer, n_head=shape.n_head,
        bos_token_id=eos_id, eos_token_id=eos_id, pad_token_id=eos_id,
    )
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config)
    with atomic_dir(folder) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    return folder
