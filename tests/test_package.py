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
    """The notebook's first code cell, run by a fresh Python that lacks huggingtweets, its
    INSTALL_FROM pointed at the wheel built from this tree (pip told by its environment to stay
    offline): it installs this package, at this version, with its notebook extra. Left as it
    ships, the cell installs the package by its name on PyPI."""
    import json
    import os
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
    wheel = next(wheels.glob("huggingtweets-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"

    notebook = json.loads((ROOT / "huggingtweets-demo.ipynb").read_text(encoding="utf-8"))
    cell = next("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    assert 'INSTALL_FROM = "huggingtweets"' in cell  # as it ships: by name, from PyPI
    cell = cell.replace('INSTALL_FROM = "huggingtweets"', f'INSTALL_FROM = {str(wheel)!r}')
    cell = cell[: cell.index("import huggingtweets as ht")]  # the rest needs the dependencies, not installed here
    offline = {**os.environ, "PIP_NO_DEPS": "1", "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    run = subprocess.run([str(python), "-c", cell], capture_output=True, text=True, env=offline)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"Installing {wheel}[notebook]" in run.stdout

    shown = subprocess.run([str(python), "-c", "import huggingtweets, importlib.metadata as m; "
                            "print(huggingtweets.__version__, m.version('huggingtweets'), "
                            "m.metadata('huggingtweets').get_all('Provides-Extra'))"],
                           check=True, capture_output=True, text=True).stdout
    assert shown.startswith(f"{huggingtweets.__version__} {huggingtweets.__version__} ") and "'notebook'" in shown
    assert (venv / "bin" / "huggingtweets").is_file()


def test_the_release_workflow_reads_the_version_the_package_has() -> None:
    """A tag `v<version>` publishes; the workflow's own check reads the version the way it is written."""
    import subprocess
    import sys

    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    check = next(s["run"] for s in steps if s.get("name") == "The tag names the package's version")
    reader = check.split("version=\"$(", 1)[1].split(")\"\n", 1)[0]  # python -c '...'
    assert reader.startswith("python -c '")
    code = reader.removeprefix("python -c '").removesuffix("'")
    shown = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == huggingtweets.__version__
    assert any("twine check --strict" in s.get("run", "") for s in steps)
    assert workflow[True]["push"]["tags"] == ["v*"]  # YAML reads the key `on` as True
