"""GGUF export: a bot's model folder as one `<name>.gguf` file for llama.cpp and Ollama, with an
Ollama `Modelfile` beside it that samples as the original did:

    written = export_gguf(Path("bots/dot/model"), quant="q8_0")
    written.gguf, written.modelfile        # bots/dot/dot.gguf, bots/dot/Modelfile
    # ollama create dot -f bots/dot/Modelfile && ollama run dot "My dream is"

Written with the `gguf` package (llama.cpp's own Python writer) for the architectures bots are
made from: GPT-2 (gpt2, distilgpt2, the scratch model), Llama (SmolLM2), Qwen2 and Qwen3.
Tensors are named, laid out and typed as llama.cpp's convert_hf_to_gguf.py writes them;
the tokenizer (byte-level BPE: tokens, merges, special tokens) goes in the same file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._io import atomic_path, safe_name, write_text
from .bot_folder import MARKER, BotFolder
from .card import card_people, join_names
from .errors import ConfigError
from .models import load_model
from .post_format import ends_at_line_break, post_format
from .recipe import GENERATION_DEFAULTS

QUANTS = ("q8_0", "f16")  # 4-bit makes models this small useless, as llama.cpp's authors warn
# transformers' model_type → llama.cpp's architecture name
ARCHITECTURES = {"gpt2": "gpt2", "llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3"}
QK8_0 = 32  # Q8_0 quantizes rows in blocks of 32 values


@dataclass(frozen=True)
class GgufFiles:
    gguf: Path
    modelfile: Path
    architecture: str
    quant: str
    tensors: int


def export_gguf(model_dir: Path, *, quant: str = "q8_0", name: str | None = None,
                out_dir: Path | None = None) -> GgufFiles:
    """Write ``<name>.gguf`` and ``Modelfile`` into ``out_dir`` (default: beside ``model_dir``, a
    bot's folder or its model/, or any model folder)."""
    if quant not in QUANTS:
        raise ConfigError(f"--quant must be one of {', '.join(QUANTS)}, got {quant!r}")
    model_dir = BotFolder.model_path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise ConfigError(f"{model_dir} holds no model (no config.json)",
                          fix="Pass a bot's folder (bots/<name>) or its model folder (bots/<name>/model)")
    out_dir = Path(out_dir) if out_dir else model_dir.parent
    folder = BotFolder.holding(model_dir)
    # a bot's GGUF is named as its zip; any name made safe: it goes into a file name, the Modelfile, a shell line
    name = safe_name(name or (folder.name() if folder else model_dir.name), "model")
    description = _description(model_dir / "README.md")

    target, modelfile = out_dir / f"{name}.gguf", out_dir / "Modelfile"
    if not (out_dir / MARKER).is_file():  # not a bot's folder: the files there may be the user's own
        for path in (target, modelfile):
            if path.exists() or path.is_symlink():
                raise ConfigError(f"{path} is already there and huggingtweets did not write it",
                                  fix="Move it away, or export a bot's folder (bots/<name>)")
    # loaded as generate loads it (its own code refused): weights that don't fit the config, or files
    # that won't load, are one line
    model, tokenizer = load_model(str(model_dir))
    arch = ARCHITECTURES.get(model.config.model_type)
    if arch is None:
        raise ConfigError(f"GGUF export knows GPT-2, Llama, Qwen2 and Qwen3 models; {model_dir} is "
                          f"{model.config.model_type!r}",
                          fix="Train the bot on gpt2, SmolLM2 or Qwen3 to export it as GGUF")
    with atomic_path(target) as tmp:
        count = _write(tmp, arch, model, tokenizer, quant=quant, name=name, description=description)
    write_text(modelfile, modelfile_text(target.name, tokenizer, description=description,
                                         keep_newlines=not ends_at_line_break(model.generation_config, tokenizer)))
    return GgufFiles(target, modelfile, arch, quant, count)


def _description(card: Path) -> str:
    """The bot's one-line description for the GGUF metadata and the Modelfile, naming its people
    (from its card: `card_people`)."""
    people = card_people(card.read_text(encoding="utf-8")) if card.is_file() else []
    # a handle from a CSV column is any text: only the characters a handle can hold reach the Modelfile
    handles = [h for h in ("@" + _NOT_HANDLE.sub("", p) for p in people) if len(h) > 1]
    who = f" in the style of {join_names(handles)}" if handles else ""
    return (f"AI-generated posts{who}, written by a fine-tuned model (huggingtweets). "
            "Nothing it writes was written or endorsed by the people it imitates.")


_NOT_HANDLE = re.compile(r"[^\w.-]")


def modelfile_text(gguf_name: str, tokenizer: Any, *, description: str, keep_newlines: bool = False) -> str:
    """An Ollama Modelfile: the original's sampling (top-p 0.95, temperature 1.0), a post ends
    where our sampler ends it (post_format.py: at the separator the model was trained to put
    between posts, and at a line break unless the bot keeps newlines), and every prompt starts
    a new post after that separator, as in training."""
    fmt = post_format(tokenizer, keep_newlines=keep_newlines)
    if _NOT_FILE_NAME.search(gguf_name):
        raise ConfigError(f"the GGUF file name {gguf_name!r} can't go into a Modelfile", fix="Name it with letters, "
                          "digits, dots, dashes and underscores")
    # Everything from the model's files is quoted for where it goes: the comment lines hold no line
    # break; the separator reaches the template as a Go string literal (a `{{` or `"""` in it is
    # text, not a directive); each stop string as Ollama's triple-quoted text, or refused.
    lines = [f"# {_one_line(line)}" for line in description.split(". ") if line]
    lines += [
        f"FROM ./{gguf_name}",
        f'TEMPLATE """{_template_text(fmt.separator)}{{{{ .Prompt }}}}"""',
        f"PARAMETER temperature {GENERATION_DEFAULTS['temperature']}",
        f"PARAMETER top_p {GENERATION_DEFAULTS['top_p']}",
        f"PARAMETER min_p {GENERATION_DEFAULTS['min_p']}",  # llama.cpp's own default is 0.05: say ours
        f"PARAMETER num_predict {GENERATION_DEFAULTS['max_length']}",
        *(f'PARAMETER stop {_modelfile_string(stop)}' for stop in fmt.modelfile_stops()),
    ]
    return "\n".join(lines) + "\n"


_NOT_FILE_NAME = re.compile(r"[^\w.-]")


def _one_line(text: str) -> str:
    """A comment's text: control characters (line breaks among them) as spaces."""
    return "".join(" " if not c.isprintable() else c for c in text)


def _template_text(text: str) -> str:
    """``text`` as literal output of Ollama's Go template: as it is when it is plain, else through
    a string literal (`_go_string`), so nothing in it can close the template's quotes or open an action."""
    plain = text.isprintable() and not any(c in text for c in '"\\{}')
    return text if plain else f"{{{{ {_go_string(text)} }}}}"


def _go_string(text: str) -> str:
    """``text`` as a Go string literal, for Ollama's template: no quote, backslash, brace or control
    character of it left as it is."""
    escaped = "".join(c if c.isprintable() and c not in '"\\{}' else
                      f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}" for c in text)
    return f'"{escaped}"'


def _modelfile_string(text: str) -> str:
    """A stop string as Ollama's Modelfile reads it: "..." for plain text, a line break in triple
    quotes; any other (a quote, a control character) is refused, never written loose."""
    if text == "\n":
        return '"""\n"""'
    if text and '"' not in text and "\\" not in text and text.isprintable():
        return f'"{text}"'
    raise ConfigError(f"the tokenizer's stop text {text!r} can't be written into a Modelfile safely",
                      fix="Export the model folder itself and run it with transformers")


def _write(path: Path, arch: str, model: Any, tokenizer: Any, *, quant: str, name: str, description: str) -> int:
    import gguf
    import numpy as np

    config = model.config
    writer = gguf.GGUFWriter(str(path), arch)
    writer.add_name(name)
    writer.add_description(description)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0 if quant == "q8_0" else gguf.LlamaFileType.MOSTLY_F16)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    _hyperparameters(writer, arch, config)
    _tokenizer(writer, tokenizer, vocab_size=config.vocab_size)

    n_blocks = config.num_hidden_layers
    names = gguf.get_tensor_name_map(getattr(gguf.MODEL_ARCH, arch.upper()), n_blocks)
    count = 0
    for hf_name, tensor in _tensors(arch, model):
        gguf_name = "output.weight" if hf_name == "lm_head.weight" else names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if gguf_name is None:
            raise ConfigError(f"GGUF export doesn't know the tensor {hf_name} of this {arch} model",
                              fix="Export the model folder as it is, without --gguf")
        data = tensor.detach().to("cpu").float().numpy()
        kind = _tensor_type(gguf_name, data, quant)
        if kind == gguf.GGMLQuantizationType.Q8_0:
            data = gguf.quants.quantize(data, kind)
        else:
            data = data.astype(np.float16 if kind == gguf.GGMLQuantizationType.F16 else np.float32)
        writer.add_tensor(gguf_name, data, raw_dtype=kind)
        count += 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return count


def _tensor_type(gguf_name: str, data: Any, quant: str) -> Any:
    """As convert_hf_to_gguf.py: norms, biases and position embeddings in float32; matrices whose
    rows split into 32-value blocks in Q8_0 (or float16), the rest in float16."""
    import gguf

    if data.ndim <= 1 or gguf_name.startswith("position_embd") or gguf_name.endswith("_norm.weight"):
        return gguf.GGMLQuantizationType.F32
    if quant == "q8_0" and data.shape[-1] % QK8_0 == 0:
        return gguf.GGMLQuantizationType.Q8_0
    return gguf.GGMLQuantizationType.F16


def _tensors(arch: str, model: Any) -> Any:
    """(Hugging Face name, tensor) in llama.cpp's layout: GPT-2's Conv1D matrices transposed, Llama's
    query and key rows permuted for llama.cpp's rotary embedding; GPT-2's output head always
    written (tied to the token embeddings in Hugging Face), Llama's only when it isn't tied."""
    config = model.config
    state = model.state_dict()
    tied = getattr(config, "tie_word_embeddings", True)
    for hf_name, tensor in state.items():
        if hf_name.endswith((".attn.bias", ".attn.masked_bias", "rotary_emb.inv_freq")):
            continue  # buffers, not weights
        if hf_name == "lm_head.weight" and arch != "gpt2" and tied:
            continue  # llama.cpp uses token_embd for the output when there's no output tensor
        if arch == "gpt2" and hf_name.endswith((".c_attn.weight", ".c_proj.weight", ".c_fc.weight")):
            tensor = tensor.T
        if arch == "llama" and hf_name.endswith("self_attn.q_proj.weight"):
            tensor = _permute(tensor, config.num_attention_heads)
        if arch == "llama" and hf_name.endswith("self_attn.k_proj.weight"):
            tensor = _permute(tensor, config.num_key_value_heads)
        yield hf_name, tensor
    if arch == "gpt2" and "lm_head.weight" not in state:
        yield "lm_head.weight", model.get_output_embeddings().weight


def _permute(weights: Any, heads: int) -> Any:
    """Hugging Face's Llama rotates the two halves of each head; llama.cpp rotates adjacent pairs.
    ``heads``: the projection's own heads (the key/value heads for k_proj)."""
    return (weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:])
            .swapaxes(1, 2).reshape(weights.shape))


def _hyperparameters(writer: Any, arch: str, config: Any) -> None:
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_head_count(config.num_attention_heads)
    if arch == "gpt2":
        writer.add_feed_forward_length(config.n_inner or 4 * config.hidden_size)
        writer.add_layer_norm_eps(config.layer_norm_epsilon)
        return
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    rope = getattr(config, "rope_parameters", None) or {}
    writer.add_rope_freq_base(float(rope.get("rope_theta", getattr(config, "rope_theta", 10_000.0))))
    writer.add_rope_dimension_count(head_dim)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)


def _tokenizer(writer: Any, tokenizer: Any, *, vocab_size: int) -> None:
    """A byte-level BPE as llama.cpp reads it: every token, its kind, the merges, the special ids."""
    import gguf

    backend = json.loads(tokenizer.backend_tokenizer.to_str())
    if backend["model"]["type"] != "BPE" or "ByteLevel" not in json.dumps(backend.get("pre_tokenizer")):
        raise ConfigError("GGUF export knows byte-level BPE tokenizers (GPT-2's, SmolLM2's, Qwen's); this bot's "
                          f"is {backend['model']['type']}", fix="Export the model folder as it is, without --gguf")
    by_id = {i: token for token, i in tokenizer.get_vocab().items()}
    special = set(tokenizer.all_special_ids)
    added = {t.content for t in tokenizer.added_tokens_decoder.values()}
    tokens, types = [], []
    for i in range(vocab_size):  # an embedding matrix padded past the tokenizer: unused rows
        token = by_id.get(i)
        tokens.append(token if token is not None else f"[PAD{i}]")
        types.append(gguf.TokenType.UNUSED if token is None else gguf.TokenType.CONTROL if i in special
                     else gguf.TokenType.USER_DEFINED if token in added else gguf.TokenType.NORMAL)
    merges = [m if isinstance(m, str) else " ".join(m) for m in backend["model"]["merges"]]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(_pre_tokenizer(backend.get("pre_tokenizer")))
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    for setter, token_id in ((writer.add_bos_token_id, tokenizer.bos_token_id), (writer.add_eos_token_id, tokenizer.eos_token_id),
                             (writer.add_pad_token_id, tokenizer.pad_token_id)):
        if token_id is not None:
            setter(token_id)
    writer.add_add_bos_token(False)  # prompts start with the post separator, written out (Modelfile)


def _pre_tokenizer(pre: dict[str, Any] | None) -> str:
    """llama.cpp's name for how text is split before BPE: GPT-2's regex, or it after splitting
    digits one by one (SmolLM2), or Qwen2's regex."""
    text = json.dumps(pre)
    if pre and pre.get("type") == "ByteLevel" and pre.get("use_regex", True):
        return "gpt-2"
    if '"Digits"' in text and '"individual_digits": true' in text and '"ByteLevel"' in text:
        return "smollm"
    if "\\\\p{N}" in text and "(?i:'s|'t|'re|'ve|'m|'ll|'d)" in text:
        return "qwen2"
    raise ConfigError("GGUF export doesn't know this tokenizer's pre-tokenizer, and llama.cpp would split text "
                      "differently from training", fix="Export the model folder as it is, without --gguf")
