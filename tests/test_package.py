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
