"""The main window driven as a user would: draw 2-4-1, train XOR, save, reopen."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.engine.training import Trainer
from nnstudio.gui import dialogs
from nnstudio.gui.main_window import MainWindow
from nnstudio.project.fileformat import load_project
from nnstudio.project.model import default_project
from tests.gui.mouse import click, drag

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]


def _draw_2_4_1(window: MainWindow, qtbot: object) -> None:
    """Start from input and output only, then add and wire a 4-unit tanh layer."""
    canvas = window.canvas
    click(canvas, canvas.layer_item("hidden 1").body_scene_pos())
    window.delete_action.trigger()
    assert window.document.project.connections == []

    window.add_layer_action.trigger()
    added = window.document.project.layers[-1].name
    assert window.inspector.layer_name is None or window.inspector.layer_name == added
    click(canvas, canvas.layer_item(added).body_scene_pos())
    assert window.inspector.layer_name == added

    units = window.inspector.units
    units.selectAll()
    qtbot.keyClicks(units, "4")  # type: ignore[attr-defined]
    qtbot.keyClick(units, Qt.Key.Key_Return)  # type: ignore[attr-defined]
    combo = window.inspector.activation
    combo.setCurrentIndex(combo.findData("tanh"))

    drag(
        canvas,
        canvas.layer_item("input").output_handle_scene_pos(),
        canvas.layer_item(added).body_scene_pos(),
    )
    drag(
        canvas,
        canvas.layer_item(added).output_handle_scene_pos(),
        canvas.layer_item("output").body_scene_pos(),
    )


def _wait_for_run(window: MainWindow, qtbot: object) -> None:
    controller = window.training.controller
    qtbot.waitUntil(lambda: controller.state == "idle", timeout=60_000)  # type: ignore[attr-defined]


def test_draw_train_save_reopen(
    make_window: WindowFactory, qtbot: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window()
    _draw_2_4_1(window, qtbot)
    project = window.document.project
    assert project.connections == [
        ("input", project.layers[-1].name),
        (project.layers[-1].name, "output"),
    ]
    assert project.layer(project.layers[-1].name).units == 4
    assert project.parameter_count() == 17
    assert "17 parameters" in window.network_label.text()

    # pick AND, then back to XOR, through the dataset box
    box = window.training_panel.dataset
    box.setCurrentIndex(box.findData("and"))
    assert project.dataset.name == "AND"
    box.setCurrentIndex(box.findData("xor"))
    assert window.document.project.dataset.name == "XOR"
    start = {name: p.W.copy() for name, p in window.document.project.parameters.items()}

    qtbot.mouseClick(_button(window, window.training.train_action), Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    _wait_for_run(window, qtbot)

    # the GUI reaches what a headless run of the same project reaches
    project = window.document.project
    headless = default_project()
    headless.layers, headless.connections = project.layers, project.connections
    headless.settings = project.settings
    headless.reinitialize()
    for name, W in start.items():
        assert np.array_equal(headless.initial_parameters[name].W, W)
    trainer = Trainer(headless.network(), headless.dataset.X, headless.dataset.y, headless.settings)
    trainer.train(project.settings.epochs)
    assert project.history.loss[-1] == trainer.history.loss[-1]
    assert project.history.accuracy[-1] == 1.0
    assert "Accuracy 100%" in window.status.accuracy.text()

    # the boundary puts the four corners on the right side of 0.5
    plot = window.boundary_plot
    assert plot.value_at(0.0, 0.0) < 0.5
    assert plot.value_at(0.0, 1.0) > 0.5
    assert plot.value_at(1.0, 0.0) > 0.5
    assert plot.value_at(1.0, 1.0) < 0.5

    # save, close, reopen in a new window: same weights, curve and boundary
    target = tmp_path / "xor trained.nnproj"
    monkeypatch.setattr(dialogs, "ask_save_path", lambda _parent, _suggestion: target)
    window.files.save_action.trigger()
    assert not window.document.is_modified()
    saved_curve = window.loss_plot.curve_data()[1].copy()
    saved_value = plot.value_at(0.0, 1.0)
    window.close()

    reopened = make_window()
    monkeypatch.setattr(dialogs, "ask_open_path", lambda _parent, _folder: target)
    reopened.files.open_action.trigger()
    for name, params in project.parameters.items():
        assert np.array_equal(reopened.document.project.parameters[name].W, params.W)
        assert np.array_equal(reopened.document.project.parameters[name].b, params.b)
    assert np.array_equal(reopened.loss_plot.curve_data()[1], saved_curve)
    assert reopened.boundary_plot.value_at(0.0, 1.0) == saved_value
    assert "xor trained.nnproj" in reopened.windowTitle()


def _button(window: MainWindow, action: object) -> object:
    return window.toolbar.widgetForAction(action)


def test_bad_file_keeps_open_project(
    make_window: WindowFactory, tmp_path: Path, messages: list[tuple[str, str]]
) -> None:
    window = make_window()
    before = window.document.project
    broken = tmp_path / "broken.nnproj"
    broken.write_text('{"format": "nnstudio-project", "version": 1, "network": 3}')
    assert not window.open_path(broken)
    assert window.document.project is before
    (title, text) = messages[-1]
    assert "broken.nnproj" in text
    assert "network" in text


def test_unsaved_prompt_cancel_keeps_project(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window()
    window.add_layer_action.trigger()
    assert window.document.is_modified()
    assert window.windowTitle().startswith("Untitled")
    assert window.isWindowModified()
    asked: list[str] = []
    monkeypatch.setattr(
        dialogs, "ask_save_changes", lambda _parent, name: asked.append(name) or "cancel"
    )
    before = window.document.project
    window.files.new_action.trigger()
    assert asked == ["Untitled"]
    assert window.document.project is before


def test_reset_restores_first_weights(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    first = {n: p.W.copy() for n, p in window.document.project.parameters.items()}
    window.training.step_action.trigger()
    qtbot.waitUntil(lambda: len(window.document.project.history.loss) == 1, timeout=10_000)  # type: ignore[attr-defined]
    window.training.stop_action.trigger()
    _wait_for_run(window, qtbot)
    changed = window.document.project.parameters
    assert not all(np.array_equal(changed[n].W, W) for n, W in first.items())
    window.training.reset_action.trigger()
    for name, W in first.items():
        assert np.array_equal(window.document.project.parameters[name].W, W)
    assert len(window.document.project.history) == 0
    assert window.loss_plot.curve_data()[1].size == 0


def test_invalid_drawing_says_what_to_connect(make_window: WindowFactory) -> None:
    window = make_window()
    window.add_layer_action.trigger()
    text = window.network_label.text()
    assert "hidden 2" in text
    assert "connect" in text
    assert not window.training.train_action.isEnabled()


def test_worked_example_loads(make_window: WindowFactory) -> None:
    from tests.conftest import EXAMPLES

    window = make_window(path=EXAMPLES / "worked-example.nnproj")
    assert "6 parameters" in window.network_label.text()
    output = window.document.project.network().predict(np.array([[2.0, 3.0]]))
    assert output[0, 0] == pytest.approx(2.162, rel=1e-12)
    assert load_project(EXAMPLES / "worked-example.nnproj").parameter_count() == 6


def test_gui_and_cli_reach_same_loss(make_window: WindowFactory, qtbot: object) -> None:
    import json
    import subprocess
    import sys

    from tests.conftest import EXAMPLES

    example = EXAMPLES / "xor.nnproj"
    window = make_window(path=example)
    window.training.train_action.trigger()
    _wait_for_run(window, qtbot)

    result = subprocess.run(
        [sys.executable, "-m", "nnstudio", "train", str(example), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    history = window.document.project.history
    assert report["total_epochs"] == history.epoch_count
    assert report["loss"] == history.loss[-1]
    assert report["accuracy"] == 1.0
