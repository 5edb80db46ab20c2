"""Files: atomic writes (a temp file or folder beside the target, then a rename), and names
made from input that stay where they are put.

An interrupted run therefore never leaves a half-written file behind, and a
rerun can trust whatever it finds on disk:

    write_json(out / "metrics.json", {"perplexity_after": 41.2})
    out / "raw" / f"{source}-{safe_name(handle)}.jsonl"     # a handle can't climb out of raw/
"""

from __future__ import annotations

import errno
import glob
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import HuggingTweetsError

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
MAX_NAME = 100  # characters: file systems allow 255 bytes a name, and a name gets prefixes and suffixes


def safe_name(text: str, fallback: str = "_") -> str:
    """``text`` (a handle, a base model's name) as one file, folder or W&B artifact name: runs of
    anything but letters, digits, "_", "." and "-" become "_", and leading or trailing dots,
    dashes and underscores go, so it is never "..", hidden, or a path; at most MAX_NAME long;
    ``fallback`` when nothing is left."""
    return _UNSAFE.sub("_", text.lstrip("@"))[:MAX_NAME].strip("._-") or fallback


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path in the target's folder; rename it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        tmp_path.chmod(0o666 & ~_umask())  # mkstemp's 0600 would outlive the rename
        os.replace(tmp_path, target)
    except Exception as error:
        mapped = _write_error(error, tmp_path, target)
        if mapped is error:
            raise
        raise mapped from error
    finally:
        tmp_path.unlink(missing_ok=True)


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield an empty temp folder; swap it in for ``target`` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        _usual_permissions(tmp)  # mkdtemp's 0700, and libraries' 0600 files, would outlive the rename
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except Exception as error:
        mapped = _write_error(error, tmp, target)
        if mapped is error:
            raise
        raise mapped from error
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _usual_permissions(folder: Path) -> None:
    """The permissions the user's umask gives a new file or folder, on ``folder`` and all in it."""
    mask = _umask()
    folder.chmod(0o777 & ~mask)
    for path in folder.rglob("*"):
        if not path.is_symlink():
            path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


def _write_error(error: Exception, tmp: Path, target: Path) -> Exception:
    """A failed write as the error a user can act on: one that names the file they will look for,
    not its hidden temp copy (a full disk names none), and a library's own error on a full disk
    (torch, safetensors) as the OSError it stands for."""
    if not isinstance(error, OSError):
        if isinstance(error, HuggingTweetsError) or not disk_full(target):
            return error
        error = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    if error.filename is None or str(error.filename).startswith(str(tmp)):
        error.filename = str(target)
    return error


def disk_full(path: Path, *, margin: int = 64 * 2**20) -> bool:
    """Whether the disk holding ``path`` has (nearly) no room left: what a library's write error
    that is not an OSError (torch.save's RuntimeError, safetensors' own) most likely meant."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free < margin
    except OSError:
        return False


def file_size(path: Path) -> str:
    """A file's size as people read it: "12 KB" under a megabyte, "1.5 MB" above."""
    size = Path(path).stat().st_size
    return f"{max(1, round(size / 1e3)):,} KB" if size < 1e6 else f"{size / 1e6:,.1f} MB"


def _umask() -> int:
    """The process's umask (only readable by setting it, so it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove_stale(target: Path) -> None:
    """The temp files and folders an earlier write of ``target`` left when it was killed (kill -9,
    a full disk): only this process writes a bot's folder, so any that are there are leftovers."""
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


MAX_READ_BYTES = 2**30  # a file this program wrote holds a few MB; a bigger one is not one of ours


def read_jsonl(path: Path, *, max_bytes: int = MAX_READ_BYTES) -> list[dict[str, Any]]:
    """The rows of a JSON Lines file this program wrote: a regular file (never a device, a pipe
    or a link, which could stream for ever or read somewhere else) of at most ``max_bytes``."""
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        raise ValueError(f"{path.name} is not a plain file (a link, a device or a pipe)")
    if path.stat().st_size > max_bytes:
        raise ValueError(f"{path.name} holds {path.stat().st_size:,} bytes, more than the {max_bytes:,} it may")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
