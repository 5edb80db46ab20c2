"""Install huggingtweets with the PyTorch build this machine can use: the README's first command.

    python install.py                 # what `pip install .` does, with the right torch first
    python install.py -e ".[test]"    # any arguments of `pip install`
    python install.py --dry-run       # print the pip commands, run nothing

A plain `pip install .` takes torch from PyPI, which on Linux x86-64 is the CUDA build: about
3 GB of nvidia-* wheels that a machine without an NVIDIA GPU can't use. So torch comes first:

- a torch already installed (Colab, a GPU machine, a venv you prepared) is kept: nothing downloaded;
- with an NVIDIA GPU (nvidia-smi, or the driver in /proc/driver/nvidia): PyPI's torch, the CUDA build;
- on Linux x86-64 without one: the CPU build, from PyTorch's CPU index (PyPI's, when that index
  can't be reached: a larger download, but one that works);
- elsewhere (macOS, Windows, Linux on ARM): PyPI's torch, already the build for that machine.

HUGGINGTWEETS_TORCH=cpu or =cuda forces a build; HUGGINGTWEETS_TORCH_INDEX names another CPU
index (a mirror). Then pip installs the package, and keeps that torch (it satisfies `torch>=2.4`).
"""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH = "torch>=2.4"  # as setup.cfg asks
ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Torch:
    build: str  # "keep", "cuda", "cpu" or "default" (PyPI's own for this machine)
    reason: str  # said to the user, one line

    def command(self, index: str) -> list[str] | None:
        """The pip install that brings this build, or None when nothing is to be installed."""
        if self.build == "keep":
            return None
        pip = [sys.executable, "-m", "pip", "install", TORCH]
        return pip + ["--index-url", index] if self.build == "cpu" else pip


def installed_torch() -> str | None:
    """The version of the torch this Python has, when it is new enough to keep."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("torch")
    except PackageNotFoundError:
        return None
    major, minor = (int(part) for part in found.split("+")[0].split(".")[:2])
    return found if (major, minor) >= (2, 4) else None


def nvidia_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None or Path("/proc/driver/nvidia/version").is_file()


def reachable(index: str) -> bool:
    """Whether the CPU index answers within a few seconds (pip itself would retry for minutes)."""
    import urllib.request

    try:
        urllib.request.urlopen(urllib.request.Request(index.rstrip("/") + "/torch/", method="HEAD"), timeout=10)
        return True
    except (OSError, ValueError):
        return False


def choose_torch(forced: str | None = None, index: str = CPU_INDEX) -> Torch:
    """Which PyTorch build to install first, and why (see the module's docstring)."""
    if forced in ("cpu", "cuda"):
        return Torch(forced, f"HUGGINGTWEETS_TORCH={forced}")
    if forced:
        raise SystemExit(f"Error: HUGGINGTWEETS_TORCH is {forced!r}. Set it to cpu or cuda, or unset it.")
    have = installed_torch()
    if have:
        return Torch("keep", f"torch {have} is installed: kept")
    if nvidia_gpu():
        return Torch("cuda", "an NVIDIA GPU is here: PyPI's torch, the CUDA build")
    if platform.system() == "Linux" and platform.machine() in ("x86_64", "AMD64"):
        if not reachable(index):
            return Torch("default", f"no NVIDIA GPU here, but PyTorch's CPU index ({index}) can't be reached: PyPI's "
                                    "torch, the CUDA build (~3 GB more). HUGGINGTWEETS_TORCH_INDEX names a mirror")
        return Torch("cpu", "no NVIDIA GPU here: PyTorch's CPU build, not PyPI's CUDA build (~3 GB it could not use)")
    return Torch("default", f"PyPI's torch, the build for {platform.system()} on {platform.machine()}")


def main(argv: list[str]) -> int:
    dry = "--dry-run" in argv
    args = [a for a in argv if a != "--dry-run"] or [str(ROOT)]  # this checkout, wherever it is run from
    index = os.environ.get("HUGGINGTWEETS_TORCH_INDEX", "").strip() or CPU_INDEX
    torch = choose_torch(os.environ.get("HUGGINGTWEETS_TORCH", "").strip().lower() or None, index)
    steps = [step for step in (torch.command(index), [sys.executable, "-m", "pip", "install", *args]) if step]
    print(f"huggingtweets install: {torch.reason}", flush=True)
    for step in steps:
        print("$ " + shlex.join(step), flush=True)  # as a shell would take it: torch>=2.4 quoted
        if dry:
            continue
        if subprocess.run(step).returncode:
            what = f"PyTorch ({index})" if step is not steps[-1] else "huggingtweets"
            print(f"Error: pip could not install {what}; its own message is above. Check the network, or install torch "
                  "first as https://pytorch.org/get-started/locally/ says, then run this again.", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
