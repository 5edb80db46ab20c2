"""install.py, the README's first command: the PyTorch build this machine can use, then the package."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from helpers import REPO

spec = importlib.util.spec_from_file_location("install", REPO / "install.py")
install = importlib.util.module_from_spec(spec)
sys.modules["install"] = install  # dataclasses look their module up
spec.loader.exec_module(install)


def _machine(monkeypatch, *, torch: str | None, gpu: bool, system: str = "Linux", machine: str = "x86_64",
             index_answers: bool = True) -> None:
    monkeypatch.setattr(install, "installed_torch", lambda: torch)
    monkeypatch.setattr(install, "reachable", lambda index: index_answers)
    monkeypatch.setattr(install, "nvidia_gpu", lambda: gpu)
    monkeypatch.setattr(install.platform, "system", lambda: system)
    monkeypatch.setattr(install.platform, "machine", lambda: machine)


def test_a_cpu_laptop_gets_the_cpu_build_not_pypis_cuda_one(monkeypatch) -> None:
    _machine(monkeypatch, torch=None, gpu=False)
    chosen = install.choose_torch()
    assert chosen.build == "cpu" and "no NVIDIA GPU" in chosen.reason
    assert chosen.command(install.CPU_INDEX)[-4:] == ["install", "torch>=2.4", "--index-url",
                                                      "https://download.pytorch.org/whl/cpu"]


def test_without_the_cpu_index_it_still_installs_and_says_why(monkeypatch, httpserver) -> None:
    _machine(monkeypatch, torch=None, gpu=False, index_answers=False)
    chosen = install.choose_torch()
    assert chosen.build == "default" and "can't be reached" in chosen.reason and "HUGGINGTWEETS_TORCH_INDEX" in chosen.reason
    monkeypatch.undo()  # the real probe, against a server on 127.0.0.1: an index that answers, then one that doesn't
    httpserver.expect_request("/whl/cpu/torch/", method="HEAD").respond_with_data("")
    assert install.reachable(httpserver.url_for("/whl/cpu"))
    assert not install.reachable(httpserver.url_for("/nothing-here"))


def test_a_gpu_machine_or_colab_keeps_cuda(monkeypatch) -> None:
    _machine(monkeypatch, torch="2.9.0+cu126", gpu=True)  # Colab: its own torch stays, nothing downloaded
    assert install.choose_torch().build == "keep" and install.choose_torch().command(install.CPU_INDEX) is None
    _machine(monkeypatch, torch=None, gpu=True)  # a fresh GPU machine: PyPI's torch is the CUDA build
    assert install.choose_torch().command(install.CPU_INDEX)[-2:] == ["install", "torch>=2.4"]


@pytest.mark.parametrize("system, machine", [("Darwin", "arm64"), ("Windows", "AMD64"), ("Linux", "aarch64")])
def test_where_pypis_torch_is_already_the_right_build_it_is_taken(monkeypatch, system, machine) -> None:
    _machine(monkeypatch, torch=None, gpu=False, system=system, machine=machine)
    assert install.choose_torch().build == "default"


def test_the_user_can_force_a_build_and_a_typo_is_one_line(monkeypatch) -> None:
    _machine(monkeypatch, torch="2.9.0", gpu=False)
    assert install.choose_torch("cpu").build == "cpu" and install.choose_torch("cuda").build == "cuda"
    with pytest.raises(SystemExit, match="Error: HUGGINGTWEETS_TORCH is 'gpu'. Set it to cpu or cuda"):
        install.choose_torch("gpu")


def test_the_script_says_what_it_chose_and_passes_pips_arguments_on() -> None:
    got = subprocess.run([sys.executable, str(REPO / "install.py"), "--dry-run", "-e", ".[test]"],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HUGGINGTWEETS_TORCH": "cpu",
                                                              "HUGGINGTWEETS_TORCH_INDEX": "https://mirror.example/cpu"})
    assert got.returncode == 0, got.stderr
    lines = got.stdout.splitlines()
    assert lines[0] == "huggingtweets install: HUGGINGTWEETS_TORCH=cpu"
    assert lines[1].endswith("-m pip install 'torch>=2.4' --index-url https://mirror.example/cpu")
    assert lines[2].endswith("-m pip install -e '.[test]'") and len(lines) == 3
