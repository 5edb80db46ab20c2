"""Take img/notebook-1-posts.png, notebook-2-train.png and notebook-3-generate.png: the notebook
app after a clean run, as a user sees it, one picture a step (one of the whole page is too tall
to read when scaled).

The real huggingtweets-demo.ipynb, copied into a fresh folder named `huggingtweets`, served by
Voila on 127.0.0.1 and clicked through in headless Chromium: type `sample`, Get posts, Train
(the default base and epochs for this machine), Generate with a prompt, Download. Offline (W&B
off, the Hub not asked). Needs the test extra and Debian's chromium; takes a few minutes on a CPU:

    python img/make_notebook_screenshot.py
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("HUGGINGTWEETS_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STEP = 600_000  # ms


def main() -> None:
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "huggingtweets"
        work.mkdir()
        for name in ("huggingtweets-demo.ipynb", "voila.json"):
            shutil.copy(REPO / name, work / name)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled"}
        server = subprocess.Popen([sys.executable, "-m", "voila", "huggingtweets-demo.ipynb", "--no-browser",
                                   f"--port={port}", "--Voila.ip=127.0.0.1"], cwd=work, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/"
        try:
            for _ in range(120):
                try:
                    urllib.request.urlopen(url + "api/status", timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                page = browser.new_page(viewport={"width": 1100, "height": 900})
                page.goto(url, timeout=STEP)
                page.get_by_placeholder("@user@instance, name.bsky.social, a file path or sample").fill(
                    "sample", timeout=STEP)
                page.get_by_role("button", name="Get posts").click()
                expect(page.locator("table.huggingtweets-stats")).to_be_visible(timeout=STEP)
                page.get_by_role("button", name="Train").click()
                expect(page.locator('img[alt="the loss curve"]')).to_be_visible(timeout=STEP)
                page.get_by_placeholder("optional: how every post starts, e.g. My dream is").fill("Kevin")
                page.get_by_role("button", name="Generate").click()
                expect(page.locator('img[alt="the posts as a picture to share"]')).to_be_visible(timeout=STEP)
                page.get_by_role("button", name="Download model zip").click()
                expect(page.get_by_role("link", name="⬇ gullhaven_dot.zip")).to_be_visible(timeout=STEP)
                # Voila scrolls an inner box, not the page: grow the window to the tallest box first
                height = page.evaluate("Math.max(...Array.from(document.querySelectorAll('*'), e => e.scrollHeight))")
                page.set_viewport_size({"width": 1100, "height": min(int(height) + 40, 12000)})
                whole = Path(tmp) / "whole.png"
                page.screenshot(path=str(whole), full_page=True)
                # each step from its heading to the next one's: "## 1. Whose posts?", "## 2. Train", ...
                tops = [page.get_by_role("heading", name=name).first.bounding_box()["y"]  # type: ignore[index]
                        for name in ("1. Whose posts?", "2. Train", "3. Generate", "4. Download or share")]
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
        _cut(whole, tops)


def _cut(whole: Path, tops: list[float]) -> None:
    """Three pictures of the whole page: posts, training, and generating with the download."""
    from PIL import Image

    page = Image.open(whole)
    bounds = [int(tops[0]) - 10, int(tops[1]) - 10, int(tops[2]) - 10, page.height]
    for (top, bottom), name in zip(zip(bounds, bounds[1:]), ("notebook-1-posts", "notebook-2-train",
                                                          "notebook-3-generate")):
        path = REPO / "img" / f"{name}.png"
        page.crop((0, top, page.width, bottom)).save(path, optimize=True)
        print(f"wrote {path} ({page.width}×{bottom - top} px)")


if __name__ == "__main__":
    main()
