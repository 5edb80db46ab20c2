"""Only the person's characters: the sampler may write no character the bot never learned.

A byte-level tokenizer (GPT-2's, SmolLM2's) spells a Japanese or Chinese character as two or
three byte tokens, and a small model fine-tuned on a few hundred posts joins bytes that start
one character to bytes that end another: "囥閬誳", rare characters the person never typed. In
a Japanese voice most samples held one (93% of a_know's bot's posts), the first thing a reader
and the style detector notice. This mask lets a token through only when the bytes it adds
spell characters found in the learned posts, or the start of one; the model's probabilities
over what is left are renormalised as top-p renormalises them.

    characters = LearnedCharacters.for_tokenizer(tokenizer, texts)  # None unless byte-level BPE
    pending = b""                                   # bytes of a character started, not finished
    mask = characters.allowed(pending, vocab_size)  # (vocab,) bool tensor
    pending = characters.after(pending, token)
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

_CONTINUATION = range(0x80, 0xC0)  # UTF-8 bytes that continue a character, never start one


@lru_cache(maxsize=1)
def _byte_of_symbol() -> dict[str, int]:
    """The inverse of GPT-2's bytes_to_unicode: the printable symbol byte-level BPE writes for
    each of the 256 bytes."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    symbols, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            symbols[chr(byte)] = byte
        else:
            symbols[chr(256 + extra)] = byte
            extra += 1
    return symbols


def _char_length(lead: int) -> int:
    """Bytes in the UTF-8 character that ``lead`` starts (1 for a stray continuation byte)."""
    return 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4


class LearnedCharacters:
    """Which tokens may come next so that a sample spells only ``characters``."""

    def __init__(self, token_bytes: list[bytes | None], characters: Iterable[str], always: Iterable[int]) -> None:
        import torch

        self.characters = frozenset(characters)
        self.token_bytes = token_bytes  # None: a special token, always allowed
        self.always = sorted(set(always) | {i for i, b in enumerate(token_bytes) if b is None})
        self.prefixes = {c.encode("utf-8")[:k] for c in self.characters for k in range(1, len(c.encode("utf-8")))}
        self._torch = torch
        self._masks: dict[tuple[bytes, int], Any] = {}
        # tokens that can finish a pending character: those that start with a continuation byte
        self._finishers = [i for i, b in enumerate(token_bytes) if b and b[0] in _CONTINUATION]

    @classmethod
    def for_tokenizer(cls, tokenizer: Any, texts: Iterable[str], always: Iterable[int] = ()) -> LearnedCharacters | None:
        """The mask for a byte-level BPE tokenizer and the characters of ``texts``; None for any
        other kind of tokenizer (its tokens are whole characters: nothing to join wrongly) or
        when there are no texts. ``always``: tokens allowed whatever they spell (the end of a post)."""
        characters = set("".join(texts))
        if not characters:
            return None
        byte_of = _byte_of_symbol()
        special = set(tokenizer.all_special_ids)
        pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        token_bytes: list[bytes | None] = []
        for i, piece in enumerate(pieces):
            if i in special or piece is None:
                token_bytes.append(None)
            elif all(symbol in byte_of for symbol in piece):
                token_bytes.append(bytes(byte_of[symbol] for symbol in piece))
            else:
                return None  # not byte-level
        return cls(token_bytes, characters | {" "}, always)

    def with_text(self, text: str) -> LearnedCharacters:
        """This mask with the characters of ``text`` allowed too (itself when it holds no new one)."""
        if set(text) <= self.characters:
            return self
        return LearnedCharacters(self.token_bytes, self.characters | set(text), self.always)

    def allowed(self, pending: bytes, width: int) -> Any:
        """A (width,) bool tensor: the tokens that may follow when ``pending`` bytes of an unfinished
        character have been written. ``width``: the model's vocabulary, which may hold more rows
        than the tokenizer has tokens (those are never allowed)."""
        if (pending, width) not in self._masks:
            torch = self._torch
            mask = torch.zeros(max(width, len(self.token_bytes)), dtype=torch.bool)
            candidates = self._finishers if pending else range(len(self.token_bytes))
            ok = [i for i in candidates if (piece := self.token_bytes[i]) and self._spell(pending + piece)[0]]
            mask[ok] = True
            mask[self.always] = True
            self._masks[pending, width] = mask[:width]
        return self._masks[pending, width]

    def after(self, pending: bytes, token: int) -> bytes:
        """The bytes of an unfinished character once ``token`` is written."""
        piece = self.token_bytes[token] if token < len(self.token_bytes) else None
        if piece is None:
            return b""
        return self._spell(pending + piece)[1]

    def _spell(self, data: bytes) -> tuple[bool, bytes]:
        """Whether ``data`` is whole learned characters and then the start of one, and that start."""
        i = 0
        while i < len(data):
            n = _char_length(data[i])
            if i + n > len(data):
                tail = data[i:]
                return tail in self.prefixes, tail
            try:
                char = data[i : i + n].decode("utf-8")
            except UnicodeDecodeError:
                return False, b""
            if char not in self.characters and not char.isspace():
                return False, b""
            i += n
        return True, b""
