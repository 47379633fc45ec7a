"""Choosing the activation of single neurons in the inspector, as a user would."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.gui import dialogs
from nnstudio.gui.main_window import MainWindow
from nnstudio.project.fileformat import load_project
from tests.gui.mouse import click

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]


def select_hidden(window: MainWindow) -> None:
    canvas = window.canvas
    click(canvas, canvas.layer_item("hidden 1").body_scene_pos())
    assert window.inspector.layer_name == "hidden 1"


def pick(window: MainWindow, neuron: int, name: str) -> None:
    """Choose ``name`` in the combo box of ``neuron`` (counted from 1) in the per-neuron table."""
    combo = window.inspector.neurons.combo(neuron - 1)
    combo.setCurrentIndex(combo.findData(name))


def test_pick_save_undo_train(
    make_window: WindowFactory, qtbot: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    window = make_window()
    select_hidden(window)
    table = window.inspector.neurons
    assert table.table.rowCount() == 4
    assert [table.combo(i).currentData() for i in range(4)] == ["tanh"] * 4

    # relu for neuron 2: the project, the canvas caption and the tooltip show it
    pick(window, 2, "relu")
    layer = window.document.project.layer("hidden 1")
    assert layer.activations == ["tanh", "relu", "tanh", "tanh"]
    item = window.canvas.layer_item("hidden 1")
    assert item.caption == "hidden 1 · 4 · mixed"
    assert "neuron 2: relu" in item.toolTip()
    assert window.undo_action.text() == "&Undo Set hidden 1 neuron 2 activation relu"

    # saved in the file
    target = tmp_path / "mixed.nnproj"
    monkeypatch.setattr(dialogs, "ask_save_path", lambda _parent, _suggestion: target)
    window.files.save_action.trigger()
    stored = json.loads(target.read_text())["network"]["layers"]
    hidden = next(entry for entry in stored if entry["name"] == "hidden 1")
    assert hidden["activations"] == ["tanh", "relu", "tanh", "tanh"]
    assert load_project(target).layer("hidden 1").activations == ["tanh", "relu", "tanh", "tanh"]

    # undo brings every neuron back to tanh, redo sets relu again
    window.undo_action.trigger()
    layer = window.document.project.layer("hidden 1")
    assert layer.activations is None
    assert table.combo(1).currentData() == "tanh"
    assert item.caption == "hidden 1 · 4 · tanh"
    window.redo_action.trigger()
    assert window.document.project.layer("hidden 1").activations == ["tanh", "relu", "tanh", "tanh"]
    assert table.combo(1).currentData() == "relu"

    # training runs with the mixed layer
    window.training.train_action.trigger()
    controller = window.training.controller
    qtbot.waitUntil(lambda: controller.state == "idle", timeout=60_000)  # type: ignore[attr-defined]
    history = window.document.project.history
    assert len(history.loss) == window.document.project.settings.epochs
    assert np.isfinite(history.loss[-1])
    assert history.loss[-1] < history.loss[0]


def test_layer_activation_keeps_chosen_neurons(make_window: WindowFactory) -> None:
    window = make_window()
    select_hidden(window)
    pick(window, 3, "abs")

    combo = window.inspector.activation
    combo.setCurrentIndex(combo.findData("sigmoid"))
    layer = window.document.project.layer("hidden 1")
    assert layer.activation == "sigmoid"
    assert layer.activations == ["sigmoid", "sigmoid", "abs", "sigmoid"]

    window.inspector.neurons.apply_all.click()
    assert window.document.project.layer("hidden 1").activations is None
    assert window.canvas.layer_item("hidden 1").caption == "hidden 1 · 4 · sigmoid"
    assert not window.inspector.neurons.apply_all.isEnabled()


def test_same_name_everywhere_is_no_mix(make_window: WindowFactory) -> None:
    window = make_window()
    select_hidden(window)
    pick(window, 1, "relu")
    for neuron in (2, 3, 4):
        pick(window, neuron, "relu")
    layer = window.document.project.layer("hidden 1")
    assert layer.activation == "relu"
    assert layer.activations is None


def test_more_neurons_take_layer_activation(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    select_hidden(window)
    pick(window, 1, "identity")

    units = window.inspector.units
    units.selectAll()
    qtbot.keyClicks(units, "6")  # type: ignore[attr-defined]
    qtbot.keyClick(units, Qt.Key.Key_Return)  # type: ignore[attr-defined]
    layer = window.document.project.layer("hidden 1")
    assert layer.units == 6
    assert layer.activations == ["identity"] + ["tanh"] * 5
    assert window.inspector.neurons.table.rowCount() == 6


def test_softmax_output_has_no_neuron_choice(make_window: WindowFactory) -> None:
    from tests.conftest import EXAMPLES

    window = make_window(path=EXAMPLES / "iris.nnproj")
    click(window.canvas, window.canvas.layer_item("output").body_scene_pos())
    table = window.inspector.neurons
    assert window.document.project.layer("output").activation == "softmax"
    assert not table.table.isEnabled()
    assert "softmax couples the neurons" in table.note.text()
