"""File > Import data driven as a user would, with the file dialogs replaced."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from nnstudio.gui import dialogs
from nnstudio.gui.import_dialog import ImportDialog
from nnstudio.gui.main_window import MainWindow
from tests.conftest import EXAMPLES, REPO

pytestmark = pytest.mark.timeout(60)

FIXTURES = REPO / "tests" / "project" / "fixtures" / "csv"
WindowFactory = Callable[..., MainWindow]


def _import(
    window: MainWindow,
    qtbot: object,
    monkeypatch: pytest.MonkeyPatch,
    path: Path,
    answer: Callable[[ImportDialog], bool],
) -> None:
    monkeypatch.setattr(dialogs, "ask_csv_path", lambda _parent: path)
    monkeypatch.setattr(dialogs, "run_dialog", answer)
    window.importer.action.trigger()
    qtbot.waitUntil(lambda: not window.importer.is_reading(), timeout=30_000)  # type: ignore[attr-defined]


def test_import_iris_sets_up_softmax(
    make_window: WindowFactory, qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window()
    seen: dict[str, object] = {}

    def accept(dialog: ImportDialog) -> bool:
        seen["separator"] = dialog.separator.currentData()
        seen["header"] = dialog.header.isChecked()
        seen["target"] = dialog.target.currentText()
        seen["preview rows"] = dialog.preview.rowCount()
        seen["first cell"] = dialog.preview.item(0, 0).text()
        return True

    _import(window, qtbot, monkeypatch, EXAMPLES / "iris.csv", accept)
    assert seen["separator"] == ","
    assert seen["header"] is True
    assert seen["target"] == "species"
    assert seen["preview rows"] == 20
    assert seen["first cell"] == "5.1"

    project = window.document.project
    assert project.dataset.X.shape == (150, 4)
    assert project.dataset.class_names == ["setosa", "versicolor", "virginica"]
    assert project.layer("input").units == 4
    assert project.output_layer().units == 3
    assert project.output_layer().activation == "softmax"
    assert project.settings.loss == "cross_entropy"
    assert not window.boundary_panel.chooser.isHidden()

    # the whole import is one undo step
    window.undo_action.trigger()
    assert window.document.project.dataset.name == "XOR"
    assert window.document.project.output_layer().activation == "sigmoid"


def test_problem_rows_listed_then_cancel(
    make_window: WindowFactory,
    qtbot: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window()
    questions: list[str] = []
    monkeypatch.setattr(dialogs, "ask_drop_rows", lambda _p, q: questions.append(q) or False)
    _import(window, qtbot, monkeypatch, FIXTURES / "problems.csv", lambda _dialog: True)
    assert "line 3" in questions[0]
    assert "line 4" in questions[0]
    assert "'abc'" in questions[0]
    assert window.document.project.dataset.name == "XOR"


def test_problem_rows_dropped(
    make_window: WindowFactory, qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window()
    monkeypatch.setattr(dialogs, "ask_drop_rows", lambda _p, _q: True)

    def keep_raw(dialog: ImportDialog) -> bool:
        dialog.standardize.setChecked(False)
        return True

    _import(window, qtbot, monkeypatch, FIXTURES / "problems.csv", keep_raw)
    dataset = window.document.project.dataset
    np.testing.assert_array_equal(dataset.X, [[1.0, 2.0]] + dataset.X[1:].tolist())
    assert len(dataset.X) < 5
    assert dataset.mean is None


def test_decimal_comma_detected(
    make_window: WindowFactory, qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window()
    seen: dict[str, object] = {}

    def accept(dialog: ImportDialog) -> bool:
        seen["separator"] = dialog.separator.currentData()
        seen["decimal"] = dialog.decimal.currentData()
        dialog.standardize.setChecked(False)
        return True

    _import(window, qtbot, monkeypatch, FIXTURES / "decimal_comma.csv", accept)
    assert seen["separator"] == ";"
    assert seen["decimal"] == ","
    np.testing.assert_array_equal(window.document.project.dataset.X[:2], [[1.5, 2.0], [3.0, -4.25]])


def test_wrong_separator_disables_ok(qtbot: object) -> None:
    dialog = ImportDialog("iris.csv", (EXAMPLES / "iris.csv").read_text()[:2000])
    qtbot.addWidget(dialog)  # type: ignore[attr-defined]
    dialog.separator.setCurrentIndex(dialog.separator.findData(";"))
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    assert "only one column" in dialog.message.text()


def test_large_file_reads_on_worker(
    make_window: WindowFactory, qtbot: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rng = np.random.default_rng(0)
    # 20,000 rows keep the test quick on a loaded machine; docs/importing.md
    # records the time for 100,000.
    values = rng.normal(size=(20_000, 4)).round(4)
    labels = np.where(values[:, 0] > 0, "up", "down")
    path = tmp_path / "large.csv"
    lines = ["a,b,c,d,label"] + [
        f"{a},{b},{c},{d},{label}" for (a, b, c, d), label in zip(values, labels, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")

    window = make_window()
    monkeypatch.setattr(dialogs, "ask_csv_path", lambda _parent: path)
    monkeypatch.setattr(dialogs, "run_dialog", lambda _dialog: True)
    window.importer.action.trigger()
    # The action returns while the worker thread reads the file.
    assert window.importer.is_reading()
    qtbot.waitUntil(lambda: not window.importer.is_reading(), timeout=60_000)  # type: ignore[attr-defined]

    dataset = window.document.project.dataset
    assert dataset.X.shape == (20_000, 4)
    np.testing.assert_array_equal(dataset.X[:3], values[:3])
    assert dataset.class_names == ["down", "up"]
    assert window.document.project.output_layer().activation == "sigmoid"
