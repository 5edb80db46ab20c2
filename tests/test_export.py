from __future__ import annotations

import json
import zipfile

import pytest

from huggingtweets.errors import ConfigError, HubError
from huggingtweets.export import export_model
from huggingtweets.models import load_base_model
from huggingtweets.publish import delete_model, push_model

TEXTS = [f"Tide report {i}: fog, gulls, and a late ferry. Kevin is on the roof again." for i in range(100)]


def test_fp16_zip_is_half_the_size_and_still_loads(tmp_path) -> None:
    from helpers import TINY
    from transformers import pipeline

    model, tokenizer = load_base_model("scratch", texts=TEXTS, folder=tmp_path / "base", shape=TINY)
    _, full = export_model(model, tokenizer, "# card\n", out_dir=tmp_path / "a", name="dot")
    folder, half = export_model(model, tokenizer, "# card\n", out_dir=tmp_path / "b", name="dot", fp16_zip=True)

    def weights_size(zip_path):
        return zipfile.ZipFile(zip_path).getinfo("dot/model.safetensors").file_size

    assert weights_size(half) < 0.55 * weights_size(full)
    with zipfile.ZipFile(full) as zf:  # weights as they are (deflate would buy ~7% for most of the time); text compressed
        assert zf.getinfo("dot/model.safetensors").compress_type == zipfile.ZIP_STORED
        assert zf.getinfo("dot/tokenizer.json").compress_type == zipfile.ZIP_DEFLATED
        assert zf.getinfo("dot/tokenizer.json").compress_size < zf.getinfo("dot/tokenizer.json").file_size
    assert json.loads((folder / "config.json").read_text()).get("dtype") != "float16"  # the folder stays fp32
    with zipfile.ZipFile(half) as zf:
        zf.extractall(tmp_path / "unzipped")
        assert json.loads(zf.read("dot/config.json"))["dtype"] == "float16"
    out = pipeline("text-generation", model=str(tmp_path / "unzipped" / "dot"))("My dream is", num_return_sequences=2)
    assert all(o["generated_text"].startswith("My dream is") for o in out)
    assert not list((tmp_path / "b").glob("tmp*"))  # the half-precision copy was cleaned up


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    from helpers import TINY

    from huggingtweets.card import _model_note

    work = tmp_path_factory.mktemp("exported")
    model, tokenizer = load_base_model("scratch", texts=TEXTS, folder=work / "base", shape=TINY)
    card = ("---\nlanguage: en\ntags:\n- huggingtweets\n---\n\n## How to use\n\n"
            "generator = pipeline('text-generation',\n                     model='dot')\n\n" + _model_note("dot") + "\n")
    folder, _ = export_model(model, tokenizer, card, out_dir=work, name="dot")
    return folder


def test_push_uploads_the_folder_privately_with_the_card_pointing_at_the_repo(fake_hub, model_folder) -> None:
    url = push_model(model_folder, "dot/gullhaven_dot")
    assert url == f"{fake_hub.endpoint}/dot/gullhaven_dot"
    repo = fake_hub.repos["dot/gullhaven_dot"]
    assert repo["private"] is True
    assert set(repo["files"]) == {p.name for p in model_folder.iterdir()}
    assert repo["files"]["model.safetensors"] == (model_folder / "model.safetensors").read_bytes()
    card = repo["files"]["README.md"].decode()
    assert "model='dot/gullhaven_dot'" in card and "https://huggingface.co/dot/gullhaven_dot" in card
    assert "model='dot'" in (model_folder / "README.md").read_text()  # the local card is left as it was
    assert all(h.get("Authorization") == f"Bearer {fake_hub.token}" for _, _, h in fake_hub.requests)


def test_push_again_updates_the_repo_and_public_is_opt_in(fake_hub, model_folder) -> None:
    push_model(model_folder, "dot/open_dot", private=False)
    push_model(model_folder, "dot/open_dot", private=False)  # exists already: updated, no error
    assert fake_hub.repos["dot/open_dot"]["private"] is False


def test_delete_removes_the_repo(fake_hub, model_folder) -> None:
    push_model(model_folder, "dot/gone")
    delete_model("dot/gone")
    assert "dot/gone" not in fake_hub.repos
    with pytest.raises(HubError, match=r"could not delete dot/gone \(HTTP 404\)\. dot/gone was not found"):
        delete_model("dot/gone")


def test_a_refused_token_is_one_line_saying_so(fake_hub, model_folder, monkeypatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_wrong")
    with pytest.raises(HubError, match=r"\(HTTP 401\)\. The token was refused: check HF_TOKEN"):
        push_model(model_folder, "dot/gullhaven_dot")


def test_push_without_a_token_or_with_a_bad_repo_id_names_the_fix(model_folder, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # no saved login either
    monkeypatch.setattr("huggingface_hub.get_token", lambda: None)
    with pytest.raises(ConfigError, match="no Hugging Face token. Create a write token"):
        push_model(model_folder, "dot/gullhaven_dot")
    with pytest.raises(ConfigError, match="--repo-id must look like user/name"):
        push_model(model_folder, "gullhaven_dot", token="hf_x")
    with pytest.raises(ConfigError, match="is not a model folder"):
        push_model(tmp_path, "dot/gullhaven_dot", token="hf_x")
