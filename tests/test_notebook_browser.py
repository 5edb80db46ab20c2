"""huggingtweets-demo.ipynb as a user meets it: served by Voila on 127.0.0.1, driven in headless
Chromium through Playwright. Type the demo handle, click through every step, download the zip.

Needs Debian's `chromium` package (/usr/bin/chromium; Playwright's own browser download does not
work here) and `voila` + `playwright` from the test extra. `.ci/run` installs them and sets
HUGGINGTWEETS_REQUIRE_BROWSER=1, which turns a missing browser into a failure instead of a skip.

HUGGINGTWEETS_VOILA_PYTHON names another Python to serve the notebook with: `.ci/run` gives it a
fresh venv holding only the built wheel and its `app` extra, the README's Voila route, so the
test shows that the extra alone is enough for the app (its kernel runs in that venv too).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from helpers import tiny_notebook

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("HUGGINGTWEETS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STEP_TIMEOUT = 240_000  # ms: a step on a loaded 2-core CI machine
VOILA_PYTHON = os.environ.get("HUGGINGTWEETS_VOILA_PYTHON", sys.executable)


def _missing() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium chromium-driver)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing: pip install -e '.[test]'"
    if subprocess.run([VOILA_PYTHON, "-c", "import voila"], capture_output=True).returncode:
        return f"{VOILA_PYTHON} has no voila: pip install -e '.[test]'"
    return None


@pytest.fixture(scope="module")
def voila_url(tmp_path_factory):
    reason = _missing()
    if reason:
        if os.environ.get("HUGGINGTWEETS_REQUIRE_BROWSER"):
            pytest.fail(f"THE REAL-BROWSER TEST CANNOT RUN: {reason}")
        print(f"\n*** SKIPPING THE REAL-BROWSER TEST OF THE NOTEBOOK: {reason} ***", file=sys.stderr)
        pytest.skip(f"REAL-BROWSER TEST NOT RUN: {reason}")
    work = tmp_path_factory.mktemp("voila")
    shutil.copy(REPO / "voila.json", work / "voila.json")
    tiny_notebook(REPO / "huggingtweets-demo.ipynb", work / "huggingtweets-demo.ipynb")  # the tiny model, one epoch
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled"}
    env.pop("HUGGINGTWEETS_X_COOKIES", None)  # an X handle then fails at once, with no traffic (no snscrape here)
    if VOILA_PYTHON != sys.executable:  # that venv's own packages only, not this checkout's
        env.pop("PYTHONPATH", None)
    log = open(work / "voila.log", "w")
    server = subprocess.Popen(
        [VOILA_PYTHON, "-m", "voila", "huggingtweets-demo.ipynb", "--no-browser", f"--port={port}",
         "--Voila.ip=127.0.0.1", "--Voila.open_browser=False"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "api/status", timeout=2)
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"voila exited: {(work / 'voila.log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield url, work
    server.terminate()
    server.wait(timeout=30)
    log.close()


def test_a_user_clicks_through_the_notebook_to_the_zip(voila_url, tmp_path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, work = voila_url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900}, accept_downloads=True)
        try:
            page.goto(url, timeout=STEP_TIMEOUT)
            handle = page.get_by_placeholder("@user@instance, name.bsky.social, a file path or sample")
            if importlib.util.find_spec("snscrape") is None:  # with it, the X attempt would go to x.com
                handle.fill("@dot", timeout=STEP_TIMEOUT)  # waits for Voila to run the cells
                page.get_by_role("button", name="Get posts").click()
                refused = page.locator("b", has_text="Error: X does not let tools read @dot's posts without a login")
                expect(refused).to_be_visible(timeout=STEP_TIMEOUT)
                said = refused.inner_text()  # the notebook's fix: its upload button and cookie field
                assert "upload the zip with “X archive / CSV”" in said and "into “X cookies”" in said, said
                assert "huggingtweets train" not in said and "HUGGINGTWEETS_X_COOKIES" not in said, said
            handle.fill("sample", timeout=STEP_TIMEOUT)

            page.get_by_role("button", name="Get posts").click()
            kept = page.locator("table.huggingtweets-stats tr", has_text="Posts kept")  # a real table, aligned
            expect(kept).to_be_visible(timeout=STEP_TIMEOUT)
            assert kept.locator("td").all_inner_texts() == ["Posts kept", "527"]

            # the base list: modern small bases beside GPT-2, each with its note; Qwen3 trains LoRA adapters
            menu = page.locator(".widget-dropdown", has_text="Base model").locator("select")
            offered = menu.locator("option").all_inner_texts()
            assert {"gpt2", "HuggingFaceTB/SmolLM2-135M", "HuggingFaceTB/SmolLM2-360M", "Qwen/Qwen3-0.6B-Base",
                    "scratch"} <= set(offered), offered
            menu.select_option("Qwen/Qwen3-0.6B-Base")
            expect(page.get_by_text("0.6B weights · Apache-2.0 · LoRA adapters")).to_be_visible(timeout=STEP_TIMEOUT)
            menu.select_option("scratch")  # offline here: the one base that needs no download
            expect(page.get_by_text("scratch: ~1M weights")).to_be_visible(timeout=STEP_TIMEOUT)

            train = page.get_by_role("button", name="Train")
            expect(train).to_be_enabled()
            train.click()
            expect(page.get_by_text("validation perplexity").first).to_be_visible(timeout=STEP_TIMEOUT)
            expect(train).to_have_class(_success, timeout=STEP_TIMEOUT)
            expect(page.locator('img[alt="the loss curve"]')).to_be_visible()
            expect(page.get_by_text("A simple style detector tells this bot's posts from @gullhaven_dot's newest real "
                                    "posts")).to_be_visible()

            page.get_by_placeholder("optional: how every post starts, e.g. My dream is").fill("Kevin")
            page.get_by_role("button", name="Generate").click()
            rows = page.locator("table.huggingtweets-samples tr")
            expect(rows).to_have_count(11, timeout=STEP_TIMEOUT)  # a header and ten posts
            expect(page.get_by_role("button", name="Generate")).to_have_class(_success, timeout=STEP_TIMEOUT)
            assert all(t.startswith("Kevin") for t in
                       page.locator("table.huggingtweets-samples td:nth-child(2)").all_inner_texts())
            picture = page.locator('img[alt="the posts as a picture to share"]')
            expect(picture).to_be_visible()
            assert picture.evaluate("img => img.naturalWidth") == 960

            # Bot or not? a real held-out post beside a bot post; the player picks, the quiz keeps the tally
            page.get_by_role("button", name="Bot or not?").click()
            expect(page.get_by_text("Round 1 of 10")).to_be_visible(timeout=STEP_TIMEOUT)
            for round_ in range(1, 11):
                expect(page.get_by_text(f"Round {round_} of 10")).to_be_visible()
                page.get_by_role("button", name="B is the bot").click()
                expect(page.get_by_text("You spotted the bot ")).to_contain_text(f" of {round_} time")
            tally = page.get_by_text("You spotted the bot ").inner_text()
            assert __import__("re").search(r"You spotted the bot \d+ of 10 times", tally), tally
            expect(page.get_by_role("button", name="A is the bot")).to_be_hidden()

            saved = _download(page, "Download model zip", "gullhaven_dot.zip", tmp_path / "downloaded.zip")
            gguf_file = _download(page, "Download GGUF (Ollama, llama.cpp)", "gullhaven_dot.gguf",
                                  tmp_path / "downloaded.gguf")
            expect(page.get_by_role("link", name="⬇ Modelfile")).to_be_visible()
        finally:
            _screenshot(page, tmp_path)
            browser.close()

    with zipfile.ZipFile(saved) as zf:
        names = set(zf.namelist())
        assert {"gullhaven_dot/model.safetensors", "gullhaven_dot/README.md", "gullhaven_dot/config.json"} <= names
        zf.extractall(tmp_path / "unzipped")
    assert saved.read_bytes() == (work / "bots" / "gullhaven_dot" / "gullhaven_dot.zip").read_bytes()
    from transformers import pipeline

    out = pipeline("text-generation", model=str(tmp_path / "unzipped" / "gullhaven_dot"))(
        "Kevin", max_new_tokens=5, min_length=0)
    assert out[0]["generated_text"].startswith("Kevin")
    from gguf import GGUFReader

    reader = GGUFReader(gguf_file)
    assert bytes(reader.fields["general.architecture"].parts[-1]).decode() == "gpt2"
    assert {t.name for t in reader.tensors} >= {"token_embd.weight", "output.weight"}


def _download(page, button: str, file_name: str, to: Path) -> Path:
    """Press a download button, then the link it shows, as a user does; the file the browser saved."""
    page.get_by_role("button", name=button).click()
    with page.expect_download(timeout=STEP_TIMEOUT) as download:
        page.get_by_role("link", name=f"⬇ {file_name}").click()
    download.value.save_as(to)
    return to


_success = __import__("re").compile(r"mod-success")  # ipywidgets' class for button_style="success"


def _screenshot(page, tmp_path: Path) -> None:
    """The finished page, kept with the test's files (and in $HUGGINGTWEETS_SCREENSHOTS if set)."""
    shot = tmp_path / "notebook-finished.png"
    # Voila scrolls an inner box, not the page: grow the window to the tallest box first
    height = page.evaluate("Math.max(...Array.from(document.querySelectorAll('*'), e => e.scrollHeight))")
    page.set_viewport_size({"width": 1100, "height": min(int(height) + 40, 12000)})
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("HUGGINGTWEETS_SCREENSHOTS"):
        folder = Path(os.environ["HUGGINGTWEETS_SCREENSHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, folder / shot.name)
    print(f"screenshot: {shot}")
