"""File > Export driven from the main window, with the save dialog replaced."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from nnstudio import export
from nnstudio.gui import dialogs
from nnstudio.gui.main_window import MainWindow
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.timeout(60)


def test_python_script_predicts_like_engine(
    make_window: Callable[..., MainWindow], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(path=EXAMPLES / "xor.nnproj")
    target = tmp_path / "xor.py"
    monkeypatch.setattr(dialogs, "ask_export_path", lambda *_args: target)
    window.exporter.python_action.trigger()

    inputs = tmp_path / "inputs.csv"
    inputs.write_text("0,0\n0,1\n1,0\n1,1\n")
    result = subprocess.run(
        [sys.executable, str(target), str(inputs)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    printed = np.array([[float(v) for v in line.split(",")] for line in result.stdout.split()])
    X = window.document.project.dataset.X
    expected = window.document.project.network().predict(X)
    np.testing.assert_allclose(printed, expected, rtol=1e-12)
    assert "Exported Python script" in window.statusBar().currentMessage()


def test_onnx_without_package_says_what_to_install(
    make_window: Callable[..., MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window()
    shown: list[str] = []
    monkeypatch.setattr(export, "onnx_available", lambda: False)
    monkeypatch.setattr(dialogs, "show_information", lambda _p, _t, text: shown.append(text))
    window.exporter.onnx_action.trigger()
    assert "pip install nnstudio[onnx]" in shown[0]


def test_unfinished_network_export_error(
    make_window: Callable[..., MainWindow],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    messages: list[tuple[str, str]],
) -> None:
    window = make_window()
    window.add_layer_action.trigger()
    target = tmp_path / "network.py"
    monkeypatch.setattr(dialogs, "ask_export_path", lambda *_args: target)
    window.exporter.python_action.trigger()
    assert not target.exists()
    assert "unfinished" in messages[-1][1]
