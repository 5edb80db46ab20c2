"""What the tests share that is not a fixture: paths, the tiny model's shape, posts, the
notebook with its test cells, and a stand-in for the Hub (conftest.py holds the fixtures)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from huggingtweets.config import ScratchShape
from huggingtweets.post import Post

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
TRUMP_CSV = REPO.parent / "shared" / "data" / "trump_tweets.csv"

needs_trump_csv = pytest.mark.skipif(
    not TRUMP_CSV.is_file(),
    reason=f"{TRUMP_CSV} is absent (it ships beside the repository in CI, not in a fresh clone)",
)

# Two layers of 32: trains in about a second on a CPU; n_positions covers max_length=160.
TINY = ScratchShape(n_layer=2, n_embd=32, n_head=2, n_positions=256, vocab_size=500)


# The notebook's tests run it on the tiny model for one epoch: a cell put after the one that
# makes the app replaces it with such an app (the notebook a user opens knows nothing of tests).
TINY_APP_CELL = ("from huggingtweets.config import ScratchShape\n"
                 f"app = notebook.App(notebook.AppState(epochs=1.0, scratch=ScratchShape(**{TINY.__dict__!r})))")
# and, for nbclient (no one to click), a cell after each form that fills it in and presses its button
CLICK_CELLS = {"app.posts": 'app.handles[0].value = "sample"\napp.get_posts.click()',
               "app.train": "app.train_button.click()",
               "app.generate": 'app.prompt.value = "Kevin"\napp.generate_button.click()',
               "app.download": "app.download_button.click()"}


def tiny_notebook(source: Path, target: Path, *, click: bool = False) -> Path:
    """``source`` notebook written to ``target`` with `TINY_APP_CELL` (and, with ``click``, the
    `CLICK_CELLS`) inserted; fails if the cells they follow are gone."""
    import nbformat

    nb = nbformat.read(source, as_version=4)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        code = cell.source if cell.cell_type == "code" else ""
        if "app = notebook.App(" in code:
            cells.append(nbformat.v4.new_code_cell(TINY_APP_CELL))
        shown = next((form for form in CLICK_CELLS if f"display({form})" in code), None)
        if click and shown:
            cells.append(nbformat.v4.new_code_cell(CLICK_CELLS[shown]))
    added = len(cells) - len(nb.cells)
    assert added == (1 + len(CLICK_CELLS) if click else 1), f"the notebook's cells changed: {added} added"
    nb.cells = cells
    nbformat.write(nb, target)
    return target


def make_post(text: str, n: int = 0, handle: str = "dot", **kw) -> Post:
    return Post(id=str(n), handle=handle, text=text, source="test",
                created_at=datetime(2024, 1, 1, tzinfo=timezone.utc), **kw)


PLANTED = "Kevin stole a whole sausage roll out of Mrs Abernathy's hand in broad daylight"
VARIED = [f"Tide report {i}: {w} at {i % 12 + 1} o'clock and the {x} is late again."
          for i, (w, x) in enumerate([("fog", "ferry"), ("rain", "bus"), ("sun", "post"), ("wind", "boat")] * 40)]


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


CARD_METRICS = {"epochs": 4.0, "learning_rate": 1.372e-4, "steps": 120, "batch_size": 16, "block_size": 128,
           "tokens_seen": 245_760, "device": "cuda", "precision": "bf16",
           "perplexity_before": 812.4, "perplexity_after": 41.2,
           "copy_rate": 2 / 12, "samples_drawn": 12, "style_detector_accuracy": 0.714, "style_detector_posts": 100}


def card_facts(n_people: int = 1, base: str = "gpt2") -> Any:
    """A bot's card facts, as the pipeline gathers them: one to three people of the demo's harbour."""
    from huggingtweets.card import CardFacts
    from huggingtweets.clean import CleanStats
    from huggingtweets.post import Profile

    people = [("gullhaven_dot", "Dot Pemberton"), ("harbourmaster_len", "Len"), ("marjorie_knits", "Marjorie")]
    return CardFacts(
        profiles=[Profile(h, d, "sample", avatar_url=f"https://img.example/{h}.png") for h, d in people[:n_people]],
        stats=[CleanStats(h, downloaded=616, retweets=50, short=32, duplicates=7, kept=527, chars=64_871)
               for h, _ in people[:n_people]],
        base_model=base, base_on_hub=base != "scratch", metrics=CARD_METRICS, samples=[f"Sample <b>{i}</b> | piped" for i in range(10)],
        model_ref="huggingtweets/gullhaven_dot",
        first_post=datetime(2024, 1, 9, tzinfo=timezone.utc), last_post=datetime(2025, 12, 29, tzinfo=timezone.utc),
    )
