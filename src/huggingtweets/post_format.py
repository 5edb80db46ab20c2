"""The post format, in one place: what separates posts, and where a post ends.

Training puts the separator before every post (dataset.py); the sampler, the exported model's
generation settings and the Ollama Modelfile all stop where a post ends: at the separator, and
at the first line break unless the bot was trained with `--keep-newlines` (then a post is every
line up to the separator). The exported model records which: its generation config stops at
the line-end tokens too when posts are single lines (`ends_at_line_break` reads it back).

    fmt = post_format(tokenizer, keep_newlines=False)
    fmt.separator, fmt.end_ids, fmt.text(tokenizer.decode(ids))
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ModelError

if TYPE_CHECKING:  # typing only: transformers loads when a stage runs
    from transformers import PreTrainedTokenizerBase

# control characters (tab and line breaks kept) and "�": nobody types them
_NO_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")

AI_LABEL = "AI-generated with huggingtweets"  # beside every post a bot writes, wherever it is shown or shared


def post_separator(tokenizer: PreTrainedTokenizerBase) -> str:
    """The text that separates posts, where each one starts and ends: the tokenizer's own
    end-of-sequence token (`<|endoftext|>` for GPT-2, `<|im_end|>` for SmolLM2, `</s>` for
    Llama), else its beginning-of-sequence token. Packing, sampling and the exported
    `pipeline` prefix all take it from here, so they agree for every base."""
    separator = tokenizer.eos_token or tokenizer.bos_token
    if not separator:
        raise ModelError("the base model's tokenizer has neither an end- nor a beginning-of-text token, so posts "
                         "can't be told apart. Use a base model whose tokenizer has an eos_token, such as gpt2")
    return separator


def separator_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """The token id of `post_separator`: where a sampled post ends."""
    return int(tokenizer.convert_tokens_to_ids(post_separator(tokenizer)))  # type: ignore[arg-type]


@dataclass(frozen=True)
class PostFormat:
    separator: str
    separator_id: int
    keep_newlines: bool  # a post is every line up to the separator, not just the first
    line_end_ids: frozenset[int]  # tokens whose text holds a line break

    @property
    def end_ids(self) -> set[int]:
        """The tokens after which a post is over."""
        return {self.separator_id} | (set() if self.keep_newlines else set(self.line_end_ids))

    def text(self, decoded: str) -> str:
        """The post that decoded sample text spells: its first line (every line, with
        ``keep_newlines``), without control characters or the "�" a byte-level tokenizer shows
        for bytes that form no character (a sample can stop mid-character)."""
        if not self.keep_newlines:
            decoded = first_line(decoded)
        lines = [_NO_CHARACTER.sub("", line).strip() for line in decoded.splitlines()]
        return "\n".join(line for line in lines if line)

    def modelfile_stops(self) -> list[str]:
        """Ollama's stop strings for this format."""
        return [self.separator] if self.keep_newlines else ["\n", self.separator]


def post_format(tokenizer: PreTrainedTokenizerBase, *, keep_newlines: bool = False) -> PostFormat:
    return PostFormat(post_separator(tokenizer), separator_id(tokenizer), keep_newlines, line_ends(tokenizer))


def ends_at_line_break(generation_config: Any, tokenizer: PreTrainedTokenizerBase) -> bool:
    """Whether an exported model's posts end at their first line break: its generation config stops
    at the line-end tokens (`store_generation_defaults`). A model made with --keep-newlines, or by
    another tool, stops only at its end token."""
    eos = generation_config.eos_token_id
    eos = set(eos) if isinstance(eos, (list, tuple)) else {eos}
    return bool(eos & line_ends(tokenizer))


def first_line(text: str) -> str:
    """``text`` up to its first line break: a newline, or any other boundary `str.splitlines` knows
    (carriage return, form feed, the Unicode line separator, ...), which breaks a post in two too."""
    return text.splitlines()[0] if text else ""


_LINE_ENDS: weakref.WeakKeyDictionary[Any, frozenset[int]] = weakref.WeakKeyDictionary()


def line_ends(tokenizer: PreTrainedTokenizerBase) -> frozenset[int]:
    """Ids of the tokens whose text holds a line break."""
    if tokenizer not in _LINE_ENDS:
        ids = sorted(tokenizer.get_vocab().values())
        texts = tokenizer.batch_decode([[i] for i in ids])
        _LINE_ENDS[tokenizer] = frozenset(i for i, text in zip(ids, texts) if first_line(text) != text)
    return _LINE_ENDS[tokenizer]
