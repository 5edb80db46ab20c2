from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from huggingtweets.generate import _cache_argument  # noqa: E402
from huggingtweets.kv_cache import ReservedLayer, reserved_cache  # noqa: E402
from huggingtweets.models import load_base_model  # noqa: E402

TEXTS = [f"Tide report {i}: fog, gulls, and a late ferry. Kevin is on the roof again." for i in range(60)]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from helpers import TINY

    model, tokenizer = load_base_model("scratch", texts=TEXTS, folder=tmp_path_factory.mktemp("base"), shape=TINY)
    return model.eval(), tokenizer


def test_cached_steps_give_the_logits_of_the_whole_text_and_rows_can_leave(tiny_model) -> None:
    model, _ = tiny_model
    name = _cache_argument(model)
    ids = torch.randint(0, model.config.vocab_size, (4, 12), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        whole = model(ids).logits  # (rows, tokens, vocab), no cache
        cache = reserved_cache(model, max_length=12)
        assert all(isinstance(layer, ReservedLayer) for layer in cache.layers)
        step = model(input_ids=ids[:, :5], use_cache=True, **{name: cache})  # the prompt at once
        torch.testing.assert_close(step.logits, whole[:, :5], rtol=1e-4, atol=1e-4)
        rows = torch.arange(4)
        for t in range(5, 12):
            if t == 8:  # rows 0 and 2 finished their posts
                rows = torch.tensor([1, 3])
                cache.batch_select_indices(torch.tensor([1, 3]))
            step = model(input_ids=ids[rows, t : t + 1], use_cache=True, **{name: cache})
            torch.testing.assert_close(step.logits[:, -1], whole[rows, t], rtol=1e-4, atol=1e-4)
        assert cache.get_seq_length() == 12


def test_tokens_are_written_in_place_and_the_room_is_not_exceeded() -> None:
    layer = ReservedLayer(capacity=4)
    keys, values = layer.update(torch.ones(2, 3, 3, 8), torch.zeros(2, 3, 3, 8))
    assert keys.shape == (2, 3, 3, 8) and layer.get_seq_length() == 3
    room = layer._keys.data_ptr()
    keys, _ = layer.update(torch.full((2, 3, 1, 8), 2.0), torch.zeros(2, 3, 1, 8))
    assert layer._keys.data_ptr() == room  # no copy of the cache to add a token
    assert keys[:, :, 3].eq(2).all() and keys[:, :, :3].eq(1).all()
    with pytest.raises(ValueError, match="holds 4 tokens"):
        layer.update(torch.ones(2, 3, 1, 8), torch.ones(2, 3, 1, 8))
