"""huggingtweets-demo.ipynb, run top to bottom in a real kernel, as Run all does."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "huggingtweets-demo.ipynb"


def test_notebook_runs_top_to_bottom_on_the_demo(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HUGGINGTWEETS_NOTEBOOK_TEST", "1")  # one epoch
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()

    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "Error:" not in text
    assert "Posts kept" in text and "validation perplexity" in text
    assert " 1. " in text and "10. " in text  # the ten samples
    assert (tmp_path / "bots" / "gullhaven_dot" / "gullhaven_dot.zip").is_file()
    links = [o for o in outputs if o.output_type in ("display_data", "execute_result")]
    assert any("gullhaven_dot.zip" in str(o.get("data", {})) for o in links)
