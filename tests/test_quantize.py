from __future__ import annotations

import math

import pytest
import torch

from huggingtweets.quantize import int8_available, int8_weights


def _loss(model, ids) -> float:
    with torch.inference_mode():
        return float(model(ids, labels=ids).loss)


@pytest.fixture(scope="module")
def held_out(memorised):
    """(8, 32) token ids of posts like the training ones, in words the model never saw together."""
    _, tokenizer, _, _ = memorised
    posts = [f"<|endoftext|>Tide report {i}: hail at {i % 12 + 1} o'clock and the {x} is late again."
             for i, x in enumerate(["train", "ferry", "post", "tram"] * 6)]
    ids = tokenizer("".join(posts))["input_ids"]
    return torch.tensor(ids[: 8 * 32]).view(8, 32)


def test_int8_keeps_the_model_about_as_good(memorised, held_out) -> None:
    model, _, _, _ = memorised
    fp32 = math.exp(_loss(model, held_out))
    with int8_weights(model) as used:
        int8 = math.exp(_loss(model, held_out))
    assert used
    assert abs(int8 / fp32 - 1) < 0.02  # validation perplexity within 2%


def test_the_model_is_the_same_after_the_block(memorised, held_out) -> None:
    model, _, _, _ = memorised
    before = {k: v.clone() for k, v in model.state_dict().items()}
    layers = [type(m) for m in model.modules()]
    loss = _loss(model, held_out)
    with int8_weights(model):
        assert _loss(model, held_out) != loss  # int8 inside
    assert [type(m) for m in model.modules()] == layers
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert _loss(model, held_out) == loss


def test_int8_follows_weights_changed_since_the_last_block(memorised, held_out) -> None:
    import copy

    model = copy.deepcopy(memorised[0])
    with int8_weights(model):
        _loss(model, held_out)  # packs the weights
    with torch.no_grad():
        model.transformer.h[0].mlp.c_fc.weight.mul_(3.0)  # as an optimizer step would, in place
    fp32 = _loss(model, held_out)
    with int8_weights(model):
        assert abs(_loss(model, held_out) - fp32) < 0.02 * fp32


def test_only_float32_models_on_a_cpu_get_int8(memorised) -> None:
    import copy

    from huggingtweets.models import add_lora

    model = memorised[0]
    assert int8_available(model)
    assert not int8_available(copy.deepcopy(model).to(torch.bfloat16))
    lora = add_lora(copy.deepcopy(model), rank=4, alpha=8)
    with int8_weights(lora) as used:
        assert not used  # LoRA layers read their base layer's float weights


def test_without_int8_kernels_sampling_stays_in_float32(memorised, held_out, monkeypatch) -> None:
    import huggingtweets.quantize as quantize

    model = memorised[0]
    loss = _loss(model, held_out)

    packed = []
    real = quantize._packed

    def fails_midway(layer):  # a torch without the kernels for some layer
        if len(packed) == 3:
            raise RuntimeError("Didn't find engine for operation quantized::linear_prepack")
        packed.append(layer)
        return real(layer)

    layers = [type(m) for m in model.modules()]
    monkeypatch.setattr(quantize, "_packed", fails_midway)
    with int8_weights(model) as used:
        assert not used and _loss(model, held_out) == loss  # the three swapped layers are back
    assert [type(m) for m in model.modules()] == layers
    monkeypatch.undo()
    monkeypatch.setattr(torch.backends.quantized, "engine", "qnnpack")  # Arm's engine: not tested here, not used
    assert not int8_available(model)
