from __future__ import annotations

import json
import zipfile

from huggingtweets.export import export_model
from huggingtweets.models import load_base_model

TEXTS = [f"Tide report {i}: fog, gulls, and a late ferry. Kevin is on the roof again." for i in range(100)]


def test_fp16_zip_is_half_the_size_and_still_loads(tmp_path) -> None:
    from conftest import TINY
    from transformers import pipeline

    model, tokenizer = load_base_model("scratch", texts=TEXTS, folder=tmp_path / "base", shape=TINY)
    _, full = export_model(model, tokenizer, "# card\n", out_dir=tmp_path / "a", name="dot")
    folder, half = export_model(model, tokenizer, "# card\n", out_dir=tmp_path / "b", name="dot", fp16_zip=True)

    def weights_size(zip_path):
        return zipfile.ZipFile(zip_path).getinfo("dot/model.safetensors").file_size

    assert weights_size(half) < 0.55 * weights_size(full)
    assert json.loads((folder / "config.json").read_text()).get("dtype") != "float16"  # the folder stays fp32
    with zipfile.ZipFile(half) as zf:
        zf.extractall(tmp_path / "unzipped")
        assert json.loads(zf.read("dot/config.json"))["dtype"] == "float16"
    out = pipeline("text-generation", model=str(tmp_path / "unzipped" / "dot"))("My dream is", num_return_sequences=2)
    assert all(o["generated_text"].startswith("My dream is") for o in out)
    assert not list((tmp_path / "b").glob("tmp*"))  # the half-precision copy was cleaned up
