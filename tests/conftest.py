"""Shared fixtures (helpers.py holds the plain values and functions they and the tests use)."""

from __future__ import annotations

import os

import pytest

# Offline, always: a test that reaches the hub fails fast instead of retrying for a minute.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["WANDB_MODE"] = "disabled"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from helpers import PLANTED, TINY, VARIED, FakeHub  # noqa: E402

from huggingtweets.config import ScratchShape  # noqa: E402


@pytest.fixture(scope="session")
def tiny_shape() -> ScratchShape:
    return TINY


@pytest.fixture(scope="session")
def memorised(tmp_path_factory):
    """A tiny model trained until it writes PLANTED back often: (model, tokenizer, result, events)."""
    from huggingtweets.dataset import pack_blocks
    from huggingtweets.models import load_base_model
    from huggingtweets.recipe import Recipe
    from huggingtweets.train import TrainRun, train_model

    texts = [PLANTED] * 100 + VARIED  # ~2 posts in 5: it parrots often, not always
    work = tmp_path_factory.mktemp("memorised")
    model, tokenizer = load_base_model("scratch", texts=texts, folder=work / "base", shape=TINY)
    import random

    random.Random(0).shuffle(texts)
    train = pack_blocks(texts, tokenizer, block_size=64)
    evals = pack_blocks(texts[:40], tokenizer, block_size=64)
    events: list = []
    recipe = Recipe(epochs=12, learning_rate=5e-3, batch_size=8, block_size=64, warmup_ratio=0.0)
    result = train_model(model, tokenizer, train, evals, recipe, TrainRun(work / "checkpoints", on_event=events.append))
    return model, tokenizer, result, events


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver's test server, on the loopback address only."""
    return ("127.0.0.1", 0)


@pytest.fixture
def fake_hub(httpserver, monkeypatch) -> FakeHub:
    """A stand-in for the Hub on 127.0.0.1; HF_TOKEN and HF_ENDPOINT point at it."""
    import re

    import huggingface_hub.constants

    hub = FakeHub(httpserver.url_for("").rstrip("/"))
    hub.token = "hf_fakeTokenForTests0123456789abcdef"
    httpserver.expect_request(re.compile(".*")).respond_with_handler(hub.handle)
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    monkeypatch.setenv("HF_TOKEN", hub.token)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # conftest set it for the rest
    return hub
