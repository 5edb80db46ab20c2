"""Int8 weights for sampling on a CPU, several times faster than float32.

Writing a post reads every weight of the model once per token; on a CPU that memory
traffic, not arithmetic, is the cost. Inside the block, each linear layer multiplies with
a copy of its weights in int8 (one scale per output channel, activations quantized per
call: fbgemm's dynamic int8 kernels) — a quarter of the bytes. On leaving, the model is
exactly as it was: training, saving and export never see int8.

    with int8_weights(model) as used:
        model(ids)  # int8 where `used` is True, float32 otherwise
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import torch  # this module is imported only where sampling runs
from transformers.pytorch_utils import Conv1D

if TYPE_CHECKING:  # typing only
    from transformers import PreTrainedModel

# Packed int8 copies, kept while their layer lives: a notebook samples many times from one
# model, and packing GPT-2-124M takes 2–3 s on a 2-core CPU. Keyed by layer; the stamp tells
# whether the float weights changed since (training updates them in place).
_PACKED: weakref.WeakKeyDictionary[Any, tuple[tuple[int, int], Any]] = weakref.WeakKeyDictionary()


def int8_available(model: PreTrainedModel) -> bool:
    """True for a float32 model on a CPU with x86 int8 kernels; LoRA-wrapped models keep float32."""
    if hasattr(model, "peft_config"):  # LoRA layers read their base layer's float weight
        return False
    if torch.backends.quantized.engine not in ("x86", "fbgemm"):  # kernels tested here: x86 only
        return False
    params = list(model.parameters())
    return bool(params) and all(p.device.type == "cpu" and p.dtype == torch.float32 for p in params)


@contextmanager
def int8_weights(model: PreTrainedModel, enabled: bool = True) -> Iterator[bool]:
    """Within the block, the model's linear layers compute with int8 weights; yields whether they do."""
    swapped: list[tuple[Any, str, Any]] = []
    if enabled and int8_available(model):
        try:
            for parent, name, layer in _linear_layers(model):
                setattr(parent, name, _packed(layer))
                swapped.append((parent, name, layer))
        except (RuntimeError, AttributeError):  # a torch without these kernels
            _restore(swapped)
            swapped = []
    try:
        yield bool(swapped)
    finally:
        _restore(swapped)


def _restore(swapped: list[tuple[Any, str, Any]]) -> None:
    for parent, name, layer in swapped:
        setattr(parent, name, layer)


def _linear_layers(model: PreTrainedModel) -> list[tuple[Any, str, Any]]:
    """(parent, attribute, layer) for every nn.Linear and GPT-2 Conv1D (a linear layer stored transposed)."""
    return [(parent, name, child) for parent in model.modules() for name, child in parent.named_children()
            if isinstance(child, (torch.nn.Linear, Conv1D))]


def _packed(layer: Any) -> Any:
    weight = layer.weight
    stamp = (weight.data_ptr(), weight._version)
    cached = _PACKED.get(layer)
    if cached is None or cached[0] != stamp:
        cached = (stamp, _Int8Linear(weight.T if isinstance(layer, Conv1D) else weight, layer.bias))
        _PACKED[layer] = cached
    return cached[1]


class _Int8Linear(torch.nn.Module):
    """y = x Wᵀ + b with W in int8, one scale per output channel."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:  # weight: (out, in)
        super().__init__()
        with torch.no_grad():
            w = weight.detach().float()
            scale = (w.abs().amax(dim=1) / 127).clamp(min=1e-12).double()  # (out,)
            zero = torch.zeros(w.shape[0], dtype=torch.long)
            with warnings.catch_warnings():
                # torch 2.13 deprecates its quantized dtypes, whose fbgemm kernels are the fast
                # ones on x86; when a later torch drops them, sampling falls back to float32.
                warnings.filterwarnings("ignore", message="torch.quantize_per_tensor, torch.quantize_per_channel")
                q = torch.quantize_per_channel(w, scale, zero, 0, torch.qint8)
            b = None if bias is None else bias.detach().float().clone()
            self.packed = torch.ops.quantized.linear_prepack(q, b)
        self.out_features = w.shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(-1, x.shape[-1])
        # reduce_range: 7-bit activations, so AVX2's 16-bit multiply-adds cannot overflow
        y = torch.ops.quantized.linear_dynamic(flat, self.packed, True)
        return y.view(*x.shape[:-1], self.out_features)
