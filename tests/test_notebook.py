"""The notebook app: its widgets driven headless in pytest, and huggingtweets-demo.ipynb run by nbclient."""

from __future__ import annotations

import html
import os
import re
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("ipywidgets", reason="the notebook app needs ipywidgets (pip install -e '.[test]')")

from helpers import TINY, tiny_notebook  # noqa: E402

from huggingtweets.notebook import SHARED_LABEL, App, AppState, download_link, samples_html  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parents[1] / "huggingtweets-demo.ipynb"


@pytest.fixture(scope="module")
def clicked(tmp_path_factory):
    """An app taken through every step by clicking, as a user does: (app, folder, what each step showed)."""
    import os

    folder = tmp_path_factory.mktemp("app")
    before = Path.cwd()
    os.chdir(folder)  # the app writes bots/ and uploads/ beside the notebook
    try:
        app = App(AppState(epochs=1.0, scratch=TINY))
        seen = {"disabled at start": [b.disabled for b in (app.train_button, app.generate_button,
                                                           app.download_button, app.push_button)]}
        app.handles[0].value = "sample"
        app.get_posts.click()
        seen["after posts"] = [b.disabled for b in (app.train_button, app.generate_button)]
        app.train_button.click()
        app.prompt.value = "Kevin"
        app.generate_button.click()
        app.quiz_button.click()
        seen["quiz round"] = app.quiz_round.value
        seen["quiz rounds"] = list(app.state.quiz.rounds)
        for n in range(len(seen["quiz rounds"])):  # always "A": right about half the time
            app.quiz_picks[0].click()
            seen.setdefault("quiz results", []).append(app.quiz_result.value)
        app.download_button.click()
        seen["zip link"] = app.download_link.outputs[-1]["data"]["text/html"]
        app.gguf_button.click()
    finally:
        os.chdir(before)
    return app, folder, seen


def test_each_button_opens_the_next_step(clicked) -> None:
    app, _, seen = clicked
    assert seen["disabled at start"] == [True, True, True, True]
    assert seen["after posts"] == [False, True]  # train is live, generate waits for a model
    for button in (app.get_posts, app.train_button, app.generate_button, app.download_button):
        assert button.button_style == "success", (button.description, app.train_log.text.value)
        assert not button.disabled
    for log in (app.posts_log, app.train_log, app.generate_log, app.download_log):
        assert log.error_line.value == ""


def test_get_posts_shows_the_stats_table_and_cleaned_posts(clicked) -> None:
    app, _, _ = clicked
    shown = app.posts_log.text.value
    assert "Posts downloaded" in shown and "Posts kept" in shown and "527" in shown
    assert shown.count("<li>") == 5


def test_training_shows_progress_and_live_perplexity(clicked) -> None:
    app, folder, _ = clicked
    assert app.progress.max > 1 and app.progress.value == app.progress.max
    assert app.progress.bar_style == "success"
    assert re.search(r"loss \d+\.\d{3} · validation perplexity [\d,]+\.\d", app.live.value)
    assert "validation perplexity" in app.train_log.text.value  # before → after, from the train stage
    assert (folder / "bots" / "gullhaven_dot" / "model" / "README.md").is_file()
    assert '<img src="data:image/png;base64,' in app.train_log.text.value and 'alt="the loss curve"' in \
        app.train_log.text.value  # the loss curve, inline
    assert "`" not in app.posts_log.text.value  # commands to copy show as code, not backticks


def test_the_posts_come_as_a_picture_to_share_labelled_ai_generated(clicked) -> None:
    import base64
    import io

    from PIL import Image

    app, folder, _ = clicked
    picture = folder / "bots" / "gullhaven_dot" / "predictions.png"
    shown = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="the posts as a picture to share"',
                      app.samples_table.value)
    assert shown and base64.b64decode(shown.group(1)) == picture.read_bytes()  # the generated posts, not training's
    width, height = Image.open(io.BytesIO(picture.read_bytes())).size
    assert width == 960 and height > 600  # ten posts, one box each


def test_generate_shows_ten_posts_from_the_prompt_with_share_links(clicked) -> None:
    app, _, _ = clicked
    table = app.samples_table.value
    posts = re.findall(r"<td style='text-align:left'>(.*?)</td>", table)
    assert len(posts) == 10 and all(p.startswith("Kevin") for p in posts)
    assert table.count("https://x.com/intent/post?text=Kevin") == 10
    assert table.count("https://bsky.app/intent/compose?text=Kevin") == 10
    assert [s.text for s in app.state.samples] == [p.replace("&#x27;", "'").replace("&amp;", "&")
                                                    .replace("&lt;", "<").replace("&gt;", ">")
                                                    .replace("&quot;", '"') for p in posts]


def test_training_says_how_often_a_style_detector_tells_the_bot_apart(clicked) -> None:
    app, _, _ = clicked
    assert re.search(r"A simple style detector tells this bot's posts from @gullhaven_dot's newest real posts "
                     r"\d+% of the time \(50% would mean it can't tell them apart", html.unescape(app.train_log.text.value))


def test_bot_or_not_sets_held_out_real_posts_beside_the_bots_and_keeps_the_tally(clicked) -> None:
    app, _, seen = clicked
    rounds = seen["quiz rounds"]
    assert len(rounds) == 10 and "Round 1 of 10" in seen["quiz round"]
    a, b = rounds[0].posts
    assert html.escape(a) in seen["quiz round"] and html.escape(b) in seen["quiz round"]
    validation, train = set(app.state.data.splits.validation_texts), set(app.state.data.splits.train_texts)
    assert all(r.real in validation and r.real not in train and r.bot not in validation for r in rounds)
    right = sum(r.bot_at == 0 for r in rounds)  # every pick was "A"
    assert re.search(rf"You spotted the bot {right} of 10 times", seen["quiz results"][-1])
    assert [("Right:" in shown) for shown in seen["quiz results"]] == [r.bot_at == 0 for r in rounds]
    assert all(button.layout.display == "none" for button in app.quiz_picks)  # the game is over
    assert app.quiz_button.button_style == "success" and app.generate_log.error_line.value == ""


def test_download_links_the_zip_which_loads(clicked, tmp_path) -> None:
    from transformers import pipeline

    app, folder, seen = clicked
    shown = seen["zip link"]  # IPython's FileLink, as Jupyter shows it
    href = re.search(r"href='([^']+)'", shown).group(1)
    assert href == "bots/gullhaven_dot/gullhaven_dot.zip" and re.search(r"\(\d[\d,.]* [KM]B\)$", shown)
    with zipfile.ZipFile(folder / href) as zf:
        zf.extractall(tmp_path)
    out = pipeline("text-generation", model=str(tmp_path / "gullhaven_dot"))("Kevin", max_new_tokens=5, min_length=0)
    assert out[0]["generated_text"].startswith("Kevin")


def test_the_gguf_button_links_the_gguf_and_its_modelfile(clicked) -> None:
    from gguf import GGUFReader

    app, folder, _ = clicked
    assert app.gguf_button.button_style == "success", app.download_log.error_line.value
    links = [re.search(r"href='([^']+)'", o["data"]["text/html"]).group(1) for o in app.download_link.outputs]
    # the zip's link stays; the GGUF is named as the zip; a small file's size is in KB, never "0.0 MB"
    assert links == ["bots/gullhaven_dot/gullhaven_dot.zip", "bots/gullhaven_dot/gullhaven_dot.gguf",
                     "bots/gullhaven_dot/Modelfile"]
    assert re.search(r"Modelfile</a>\s*\(\d+ KB\)", app.download_link.outputs[-1]["data"]["text/html"])
    assert "ollama create gullhaven_dot -f Modelfile" in app.download_log.text.value
    assert len(GGUFReader(folder / links[1]).tensors) > 10


def test_the_base_list_offers_modern_bases_each_with_its_note() -> None:
    app = App(AppState())
    assert set(app.base_model.options) >= {"gpt2", "distilgpt2", "gpt2-medium", "HuggingFaceTB/SmolLM2-135M",
                                           "HuggingFaceTB/SmolLM2-360M", "Qwen/Qwen3-0.6B-Base", "scratch"}
    app.base_model.value = "Qwen/Qwen3-0.6B-Base"
    assert "0.6B weights · Apache-2.0 · LoRA adapters" in app.base_note.value
    app.base_model.value = "HuggingFaceTB/SmolLM2-135M"
    assert "135M weights · Apache-2.0 · every weight trained" in app.base_note.value


def test_continue_trains_the_bot_on_a_newer_upload(tmp_path, monkeypatch) -> None:
    from datetime import datetime, timezone

    from huggingtweets.sources import load_sample

    monkeypatch.chdir(tmp_path)
    posts = sorted(load_sample()[0], key=lambda p: p.created_at)

    def upload(rows):
        content = ("id,text,created_at\n" + "".join(f'{p.id},"{p.text.replace(chr(34), chr(39))}",'
                                                    f"{p.created_at.isoformat()}\n" for p in rows)).encode()
        app.upload.value = ({"name": "dot.csv", "type": "text/csv", "size": len(content),
                             "content": memoryview(content), "last_modified": datetime.now(timezone.utc)},)

    app = App(AppState(epochs=1.0, scratch=TINY))
    assert app.continue_button.disabled  # nothing to continue yet
    upload(posts[:500])
    app.get_posts.click()
    app.train_button.click()
    assert not app.continue_button.disabled
    upload(posts)  # the archive downloaded again, months later
    app.continue_button.click()
    assert app.continue_button.button_style == "success", app.train_log.error_line.value
    assert "Version 2: learned" in app.train_log.text.value and "old ones replayed" in app.train_log.text.value
    assert "## Updates" in (app.state.bot.model_dir / "README.md").read_text()
    app.continue_button.click()  # the same file again: nothing newer, one line
    assert app.continue_button.button_style == "danger"
    assert "no posts newer than the ones the bot has learned from" in app.train_log.error_line.value


def test_a_mistake_is_one_red_line_with_details_folded_away(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = App(AppState(epochs=1.0, scratch=TINY))
    app.get_posts.click()  # nothing typed
    assert app.get_posts.button_style == "danger" and not app.get_posts.disabled
    assert "Error: no posts to read. Type a handle (or `sample` for the demo) or upload a file." in \
        app.posts_log.error_line.value
    assert "Traceback" in app.posts_log.details.value and app.posts_log.fold.layout.display is None
    assert app.train_button.disabled
    app.handles[0].value = "missing.csv"
    app.get_posts.click()
    assert ("Error: no such file: missing.csv. Check the path, or upload the file, or type `sample` to try the "
            "demo.") in app.posts_log.error_line.value  # the notebook's fix, not the CLI's `huggingtweets demo`
    app.handles[0].value = "sample"  # fixed: the same button works again, the error is gone
    app.get_posts.click()
    assert app.get_posts.button_style == "success" and app.posts_log.error_line.value == ""
    assert app.posts_log.fold.layout.display == "none" and not app.train_button.disabled


def test_a_refused_x_handle_names_the_notebooks_upload_and_cookie_field(tmp_path, monkeypatch) -> None:
    import html
    import sys

    from huggingtweets.sources.x import COOKIES_ENV

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(COOKIES_ENV, "")  # restored after the test: the field sets it in this process
    monkeypatch.setitem(sys.modules, "snscrape.modules.twitter", None)  # logged-out X: no scraper gets in
    app = App(AppState(epochs=1.0, scratch=TINY))
    app.handles[0].value, app.source.value = "@dot", "x"
    app.get_posts.click()
    line = html.unescape(app.posts_log.error_line.value)
    assert "Error: X does not let tools read @dot's posts without a login." in line
    assert "upload the zip with “X archive / CSV”" in line and "into “X cookies”" in line
    assert "huggingtweets train" not in line and COOKIES_ENV not in line  # no CLI advice in the notebook

    app.x_cookies.field.value = "auth_token=S3CRETTOKEN; ct0=S3CRETCT0"  # typed, then Enter
    app.handles[0].value, app.source.value = "sample", "auto"
    app.get_posts.click()
    assert app.get_posts.button_style == "success"
    assert os.environ[COOKIES_ENV] == "auth_token=S3CRETTOKEN; ct0=S3CRETCT0"  # for twscrape, in memory
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and b"S3CRET" in p.read_bytes()]


def test_a_typed_secret_never_stays_in_widget_state_and_forget_removes_it(monkeypatch) -> None:
    """Saving a notebook with its widget state writes every widget's value in plain text: a key
    typed into a password field moves out of it at once; Forget takes it out of the process."""
    import json

    from ipywidgets import Widget

    from huggingtweets.sources.x import COOKIES_ENV

    monkeypatch.delenv(COOKIES_ENV, raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    app = App(AppState())
    app.x_cookies.field.value = "auth_token=S3CRETTOKEN; ct0=S3CRETCT0"
    app.wandb_key.field.value = " S3CRETWANDB "
    app.hf_token.field.value = "hf_S3CRETHF"
    saved = json.dumps(Widget.get_manager_state(drop_defaults=False))  # what "Save widget state" writes
    assert "S3CRET" not in saved
    assert os.environ[COOKIES_ENV] == "auth_token=S3CRETTOKEN; ct0=S3CRETCT0"
    assert os.environ["WANDB_API_KEY"] == "S3CRETWANDB"
    assert app.hf_token.secret == "hf_S3CRETHF"  # kept in the app only, for the push
    assert "set for this session" in app.x_cookies.field.placeholder and app.x_cookies.forget.layout.display != "none"

    app.x_cookies.forget.click()
    app.wandb_key.forget.click()
    assert COOKIES_ENV not in os.environ and "WANDB_API_KEY" not in os.environ
    assert app.x_cookies.secret is None and app.x_cookies.forget.layout.display == "none"
    assert "S3CRET" not in json.dumps(Widget.get_manager_state(drop_defaults=False))


def test_the_epochs_menu_starts_on_the_recipes_count_shown_by_name() -> None:
    app = App(AppState())
    assert app.epochs.label == "the recipe's" and app.epochs.index == 0  # not an empty box


def test_an_uploaded_csv_is_read(tmp_path, monkeypatch) -> None:
    from datetime import datetime, timezone

    monkeypatch.chdir(tmp_path)
    rows = "\n".join(f'"Post {i}: the ferry is late and Kevin is on the roof again, crew. {"x" * 50}"'
                     for i in range(150))
    content = f"text\n{rows}\n".encode()
    app = App(AppState(epochs=1.0, scratch=TINY))
    app.upload.value = ({"name": "dot.csv", "type": "text/csv", "size": len(content),
                         "content": memoryview(content), "last_modified": datetime.now(timezone.utc)},)
    app.get_posts.click()
    assert app.get_posts.button_style == "success", app.posts_log.error_line.value
    assert (tmp_path / "uploads" / "dot.csv").read_bytes() == content
    assert "150" in app.posts_log.text.value


def test_push_sends_the_model_with_the_token_from_the_password_field(clicked, fake_hub, monkeypatch) -> None:
    app, _, _ = clicked
    monkeypatch.delenv("HF_TOKEN")  # only the field has it
    app.repo_id.value, app.hf_token.field.value = "dot/gullhaven_dot", fake_hub.token
    app.push_button.click()
    assert app.push_button.button_style == "success", app.download_log.error_line.value
    assert fake_hub.repos["dot/gullhaven_dot"]["private"] is True
    assert "model.safetensors" in fake_hub.repos["dot/gullhaven_dot"]["files"]
    assert "Pushed to" in app.download_log.text.value


def test_samples_are_escaped_and_labelled_when_shared() -> None:
    from huggingtweets.generate import Sample

    table = samples_html([Sample("<b>bold</b> & more"), Sample("again", copy=True)])
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in table and "<b>bold" not in table
    assert "near-copy" in table
    assert table.count("<td>new</td>") == 1  # the Copy? column says what the check found for every post
    from urllib.parse import quote

    assert quote(SHARED_LABEL) in table


def test_under_voila_the_link_points_at_voilas_file_route(monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.13")
    monkeypatch.setenv("VOILA_SERVER_URL", "/")
    (tmp_path / "bots" / "a b").mkdir(parents=True)
    (tmp_path / "bots" / "a b" / "x.zip").write_bytes(b"0" * 2_000_000)
    shown = download_link(tmp_path / "bots" / "a b" / "x.zip")._repr_html_()
    assert '<a href="/voila/files/bots/a%20b/x.zip" download="x.zip">⬇ x.zip</a> (2.0 MB)' == shown


def test_notebook_runs_top_to_bottom_pressing_every_button(tmp_path, monkeypatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = nbformat.read(tiny_notebook(NOTEBOOK, tmp_path / "driven.ipynb", click=True), as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "No GPU" in text or "GPU:" in text
    assert (tmp_path / "bots" / "gullhaven_dot" / "gullhaven_dot.zip").is_file()

    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"].values()
    buttons = {s["state"]["description"]: s["state"]["button_style"] for s in states
               if s["model_name"] == "ButtonModel"}
    for pressed in ("Get posts", "Train", "Generate", "Download model zip"):
        assert buttons[pressed] == "success", buttons
    html_values = [s["state"].get("value", "") for s in states if s["model_name"] == "HTMLModel"]
    samples = next(v for v in html_values if "huggingtweets-samples" in v)
    assert len(re.findall(r"<td style='text-align:left'>Kevin", samples)) == 10
    assert not [v for v in html_values if "Error:" in v]
    links = [o["data"]["text/html"] for s in states if s["model_name"] == "OutputModel"
             for o in s["state"].get("outputs", []) if "text/html" in o.get("data", {})]
    assert any("href='bots/gullhaven_dot/gullhaven_dot.zip'" in link for link in links)


def test_training_shows_its_step_and_time_left(monkeypatch) -> None:
    from huggingtweets import notebook
    from huggingtweets.events import TrainProgress

    app = App(AppState())
    view = notebook._View(app, app.train_log)
    clock = iter([100.0, 130.0])
    monkeypatch.setattr(notebook.time, "monotonic", lambda: next(clock))
    view(TrainProgress(step=1, total_steps=101, epoch=0.01, metrics={}))
    assert app.live.value.startswith("step 1 of 101 · epoch 0.01")
    view(TrainProgress(step=11, total_steps=101, epoch=0.11, metrics={"loss": 3.2}))  # 10 steps in 30 s
    assert app.live.value == "step 11 of 101 · 0:30 elapsed, about 4:30 left · epoch 0.11 · loss 3.200"
    assert (app.progress.value, app.progress.max) == (11, 101)


def test_the_install_cell_names_its_routes_when_pip_fails(tmp_path, monkeypatch) -> None:
    """Colab: the package isn't installed yet. A source pip can't install gets one line naming the
    other routes (a git URL, an uploaded wheel), not a ModuleNotFoundError two lines later."""
    import importlib.util

    import nbformat

    cell = nbformat.read(NOTEBOOK, as_version=4).cells[1].source
    assert 'INSTALL_FROM = "huggingtweets"' in cell.splitlines()[2]  # one line to edit, at the top
    code = cell.replace('INSTALL_FROM = "huggingtweets"', 'INSTALL_FROM = "huggingtweets-0.0.0-py3-none-any.whl"')
    monkeypatch.chdir(tmp_path)  # no such wheel here: pip fails at once, offline
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SystemExit) as caught:
        exec(compile(code, "install-cell", "exec"), {})
    message = str(caught.value)
    assert message.startswith("Error: pip could not install ./huggingtweets-0.0.0-py3-none-any.whl[notebook] (")
    assert "git+https://github.com/" in message and "wheel you uploaded" in message and "\n" not in message
