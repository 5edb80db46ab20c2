"""Shared fixtures: a tiny scratch shape, posts, and the real CSV when ../shared has it."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

# Offline, always: a test that reaches the hub fails fast instead of retrying for a minute.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["WANDB_MODE"] = "disabled"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from huggingtweets.config import ScratchShape  # noqa: E402
from huggingtweets.post import Post  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
TRUMP_CSV = REPO.parent / "shared" / "data" / "trump_tweets.csv"

needs_trump_csv = pytest.mark.skipif(
    not TRUMP_CSV.is_file(),
    reason=f"{TRUMP_CSV} is absent (it ships beside the repository in CI, not in a fresh clone)",
)

# Two layers of 32: trains in about a second on a CPU; n_positions covers max_length=160.
TINY = ScratchShape(n_layer=2, n_embd=32, n_head=2, n_positions=256, vocab_size=500)


def make_post(text: str, n: int = 0, handle: str = "dot", **kw) -> Post:
    return Post(id=str(n), handle=handle, text=text, source="test",
                created_at=datetime(2024, 1, 1, tzinfo=timezone.utc), **kw)


@pytest.fixture
def tiny_shape() -> ScratchShape:
    return TINY


PLANTED = "Kevin stole a whole sausage roll out of Mrs Abernathy's hand in broad daylight"
VARIED = [f"Tide report {i}: {w} at {i % 12 + 1} o'clock and the {x} is late again."
          for i, (w, x) in enumerate([("fog", "ferry"), ("rain", "bus"), ("sun", "post"), ("wind", "boat")] * 40)]


@pytest.fixture(scope="session")
def memorised(tmp_path_factory):
    """A tiny model trained until it writes PLANTED back often: (model, tokenizer, result, events)."""
    from huggingtweets.dataset import pack_blocks
    from huggingtweets.models import load_base_model
    from huggingtweets.train import train_model

    texts = [PLANTED] * 100 + VARIED  # ~2 posts in 5: it parrots often, not always
    work = tmp_path_factory.mktemp("memorised")
    model, tokenizer = load_base_model("scratch", texts=texts, folder=work / "base", shape=TINY)
    import random

    random.Random(0).shuffle(texts)
    train = pack_blocks(texts, tokenizer, block_size=64)
    evals = pack_blocks(texts[:40], tokenizer, block_size=64)
    events: list = []
    result = train_model(model, tokenizer, train, evals, epochs=12, learning_rate=5e-3, batch_size=8,
                         output_dir=work / "checkpoints", on_event=events.append)
    return model, tokenizer, result, events


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver's test server, on the loopback address only."""
    return ("127.0.0.1", 0)


class FakeHub:
    """What a test server on 127.0.0.1 saw while standing in for the Hugging Face Hub."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.repos: dict[str, dict] = {}  # repo id → {"private": bool, "files": {path: bytes}}
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, headers)

    def handle(self, request):
        import base64
        import json as jsonlib

        from werkzeug import Response

        self.requests.append((request.method, request.path, dict(request.headers)))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return Response(jsonlib.dumps({"error": "Invalid credentials"}), 401, content_type="application/json")
        path = request.path

        def reply(body, status=200):
            return Response(jsonlib.dumps(body), status, content_type="application/json")

        if path == "/api/repos/create":
            body = request.get_json()
            repo_id = f"{body['organization']}/{body['name']}"
            if repo_id in self.repos:
                return reply({"error": "You already created this model repo", "url": f"{self.endpoint}/{repo_id}"}, 409)
            self.repos[repo_id] = {"private": body.get("visibility") == "private" or body.get("private") is True,
                                   "files": {}}
            return reply({"url": f"{self.endpoint}/{repo_id}", "name": repo_id})
        if path == "/api/repos/delete":
            body = request.get_json()
            repo_id = f"{body['organization']}/{body['name']}"
            if self.repos.pop(repo_id, None) is None:
                return reply({"error": "Repository not found"}, 404)
            return reply({})
        if path == "/api/validate-yaml":
            return reply({"errors": [], "warnings": []})
        if "/preupload/" in path:
            files = request.get_json()["files"]
            return reply({"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                    for f in files]})
        if "/commit/" in path:
            repo_id = path.split("/api/models/")[1].split("/commit/")[0]
            for line in request.get_data().decode().splitlines():
                op = jsonlib.loads(line)
                if op["key"] == "file":
                    self.repos[repo_id]["files"][op["value"]["path"]] = base64.b64decode(op["value"]["content"])
            return reply({"commitUrl": f"{self.endpoint}/{repo_id}/commit/1", "commitOid": "1" * 40,
                          "pullRequestUrl": None})
        return reply({"error": f"not faked: {request.method} {path}"}, 404)


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
