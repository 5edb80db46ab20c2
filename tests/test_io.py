"""Files: atomic writes that leave the user's usual permissions and no leftovers, and safe names."""

from __future__ import annotations

import os
import stat

import pytest

from huggingtweets._io import atomic_dir, safe_name, write_text


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_written_files_and_folders_get_the_umasks_permissions(tmp_path, umask_022) -> None:
    write_text(tmp_path / "card.md", "# card\n")
    with atomic_dir(tmp_path / "model") as folder:
        (folder / "weights").write_bytes(b"0")
        (folder / "model.safetensors").write_bytes(b"0")
        (folder / "model.safetensors").chmod(0o600)  # as a library may write its files
    assert stat.S_IMODE((tmp_path / "card.md").stat().st_mode) == 0o644  # not mkstemp's 0600
    assert stat.S_IMODE((tmp_path / "model").stat().st_mode) == 0o755  # not mkdtemp's 0700
    assert stat.S_IMODE((tmp_path / "model" / "model.safetensors").stat().st_mode) == 0o644


def test_a_killed_writes_leftovers_go_with_the_next_write(tmp_path) -> None:
    (tmp_path / ".model.abc123.tmp").mkdir()  # what kill -9 during an export leaves
    (tmp_path / ".model.abc123.tmp" / "model.safetensors").write_bytes(b"half")
    (tmp_path / ".metrics.json.x1.tmp").write_text("{")
    (tmp_path / ".other.tmp").write_text("not ours to touch")
    with atomic_dir(tmp_path / "model") as folder:
        (folder / "config.json").write_text("{}")
    write_text(tmp_path / "metrics.json", "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.tmp", "metrics.json", "model"]


@pytest.mark.parametrize("name", ["x/../../../../ESC", "..", ".", ".hidden", "a\\b", "/etc/passwd", "", "@@@",
                                  "dot\x00", "~root", "con:1"])
def test_a_safe_name_is_one_plain_path_component(name) -> None:
    safe = safe_name(name, "bot")
    assert safe and os.sep not in safe and "\\" not in safe and not safe.startswith((".", "-", "~"))
    assert all(c.isalnum() or c in "_.-" for c in safe)


def test_a_librarys_own_error_on_a_full_disk_is_the_disk_full_error(tmp_path, monkeypatch) -> None:
    import errno

    import huggingtweets._io as io_
    from huggingtweets.errors import TrainingError, as_user_error

    def save_on_full_disk(folder):  # torch.save and safetensors say so in their own words
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 3110464 vs 3110352")

    with pytest.raises(RuntimeError, match="unexpected pos"):  # room left: a bug stays a bug
        with atomic_dir(tmp_path / "model") as folder:
            save_on_full_disk(folder)
    monkeypatch.setattr(io_, "disk_full", lambda path: True)
    with pytest.raises(OSError) as caught:
        with atomic_dir(tmp_path / "model") as folder:
            save_on_full_disk(folder)
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(tmp_path / "model")
    assert str(as_user_error(caught.value)).startswith(f"the disk is full writing {tmp_path / 'model'}.")
    with pytest.raises(TrainingError):  # our own errors pass as they are
        with atomic_dir(tmp_path / "model"):
            raise TrainingError("loss is nan. Lower --learning-rate")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing half-written is left
