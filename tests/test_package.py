"""The package's front: every name it offers resolves, and IDEs see the same names it serves."""

from __future__ import annotations

import ast
from pathlib import Path

import huggingtweets


def test_every_exported_name_resolves_from_the_module_it_is_listed_under() -> None:
    for name in huggingtweets.__all__:
        assert getattr(huggingtweets, name) is not None, name


def test_the_type_checkers_imports_are_the_lazy_exports() -> None:
    tree = ast.parse(Path(huggingtweets.__file__).read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen = {alias.name: node.module for node in block.body for alias in node.names}
    assert seen == huggingtweets._EXPORTS


ROOT = Path(__file__).resolve().parents[1]


def test_the_notebooks_install_cell_installs_this_package_by_its_name(tmp_path) -> None:
    """The notebook's first code cell, run by a fresh Python that lacks huggingtweets, with its
    `%pip` (IPython runs pip for the kernel's own interpreter) pointed at the wheel built from
    this tree instead of PyPI: it installs this package, at this version, with its notebook extra."""
    import json
    import shlex
    import shutil
    import subprocess
    import sys

    tree = tmp_path / "tree"  # built from a copy, so the checkout gets no build/ folder
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        tree.mkdir(exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(wheels), str(tree)], check=True, capture_output=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"

    notebook = json.loads((ROOT / "huggingtweets-demo.ipynb").read_text(encoding="utf-8"))
    cell = next("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    lines = []
    for line in cell.splitlines():
        if line.strip().startswith("import huggingtweets"):
            break  # the rest needs the dependencies, which this offline test does not install
        if line.strip().startswith("%pip install"):
            args = shlex.split(line.strip().removeprefix("%pip install"))
            assert args == ["-q", "huggingtweets[notebook]"], "the notebook must install by package name"
            pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                   "--find-links", str(wheels), *args]
            line = line[: len(line) - len(line.lstrip())] + f"import subprocess; subprocess.run({pip!r}, check=True)"
        lines.append(line)
    subprocess.run([str(python), "-c", "\n".join(lines)], check=True, capture_output=True)

    shown = subprocess.run([str(python), "-c", "import huggingtweets, importlib.metadata as m; "
                            "print(huggingtweets.__version__, m.version('huggingtweets'), "
                            "m.metadata('huggingtweets').get_all('Provides-Extra'))"],
                           check=True, capture_output=True, text=True).stdout
    assert shown.startswith(f"{huggingtweets.__version__} {huggingtweets.__version__} ") and "'notebook'" in shown
    assert (venv / "bin" / "huggingtweets").is_file()
