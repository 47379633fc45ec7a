"""engine/, export/ and project/ stay free of Qt, pickle, eval and exec, at import and in source."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import nnstudio

PACKAGE = Path(nnstudio.__file__).resolve().parent
QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")
BANNED_IMPORTS = (*QT_MODULES, "pickle")
BANNED_CALLS = ("eval", "exec")

# Imports every module of both packages in a fresh interpreter, then lists the
# modules loaded, so that nothing else in the test run can add or hide one.
IMPORT_ALL = """
import importlib, json, pkgutil, sys
import nnstudio.engine, nnstudio.export, nnstudio.project
names = []
for package in (nnstudio.engine, nnstudio.export, nnstudio.project):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
        names.append(module.name)
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def source_files() -> list[Path]:
    folders = ("engine", "export", "project")
    return sorted(path for folder in folders for path in (PACKAGE / folder).rglob("*.py"))


def import_module_target(node: ast.AST) -> str | None:
    """Return the module a call like importlib.import_module("PySide6") names, if any."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    if node.func.attr != "import_module" or not node.args:
        return None
    argument = node.args[0]
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return argument.value
    return None


def imported_roots(tree: ast.AST) -> set[str]:
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif target := import_module_target(node):
            roots.add(target.split(".")[0])
    return roots


def called_names(tree: ast.AST) -> set[str]:
    return {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


def test_import_loads_no_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL],
        capture_output=True,
        text=True,
        check=False,
        cwd=PACKAGE.parent,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    loaded = [name.split(".")[0] for name in report["loaded"]]
    assert "nnstudio.engine.training" in report["imported"]
    assert "nnstudio.project.fileformat" in report["imported"]
    for module in QT_MODULES:
        assert module not in loaded, module


def test_sources_found() -> None:
    names = {path.name for path in source_files()}
    assert "network.py" in names
    assert "fileformat.py" in names


def test_sources_import_nothing_banned() -> None:
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found = imported_roots(tree) & set(BANNED_IMPORTS)
        assert not found, f"{path} imports {sorted(found)}"


def test_sources_call_no_eval() -> None:
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found = called_names(tree) & {*BANNED_CALLS, "__import__"}
        assert not found, f"{path} calls {sorted(found)}"


def test_scan_catches_banned_code() -> None:
    # The scanners themselves, on code that breaks each rule.
    tree = ast.parse(
        "import pickle\n"
        "from PySide6.QtCore import QObject\n"
        "import importlib\n"
        "importlib.import_module('pyqtgraph.graphicsItems')\n"
        "eval('1 + 1')\n"
    )
    assert {"pickle", "PySide6", "pyqtgraph"} <= imported_roots(tree)
    assert "eval" in called_names(tree)
