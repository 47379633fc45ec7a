"""Step-through mode driven as a user would: the worked example step by step, in the window."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableWidget

from nnstudio.gui.canvas.items import STEP_HALO
from nnstudio.gui.canvas.overlay import LABEL_POINT_SIZE, ValueLabel
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.stepthrough.panel import StepThroughPanel
from nnstudio.project.model import default_project
from tests.conftest import EXAMPLES, reference_dir
from tests.gui.mouse import click, drag

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]
LEFT = Qt.MouseButton.LeftButton
TITLES = [
    "Forward: hidden 1",
    "Forward: output",
    "Loss",
    "Backward: output",
    "Backward: hidden 1",
    "Update",
]


@pytest.fixture
def worked(make_window: WindowFactory) -> tuple[MainWindow, StepThroughPanel]:
    window = make_window(path=EXAMPLES / "worked-example.nnproj")
    panel = window.step_through
    panel.sample.setValue(1)  # the first (and only) sample: dataset row 0
    return window, panel


def press_next(qtbot: object, panel: StepThroughPanel) -> None:
    qtbot.mouseClick(panel.next_button, LEFT)  # type: ignore[attr-defined]


def go_to(qtbot: object, panel: StepThroughPanel, title: str) -> None:
    for _ in TITLES:
        if panel.active and panel.title.text() == title:
            return
        press_next(qtbot, panel)
    assert panel.title.text() == title


def cell(table: QTableWidget, symbol: str, column: int = 1) -> str:
    for row in range(table.rowCount()):
        first = table.item(row, 0)
        if first is not None and first.text() == symbol:
            item = table.item(row, column)
            assert item is not None
            return item.text()
    raise AssertionError(f"no row {symbol!r}")


def matrix_texts(panel: StepThroughPanel, layer: str, key: str) -> list[str]:
    assert panel.matrices is not None
    table = panel.matrices.tables[(layer, key)]
    return [
        table.item(r, c).text() for r in range(table.rowCount()) for c in range(table.columnCount())
    ]


def weights(window: MainWindow) -> dict[str, np.ndarray]:
    parameters = window.document.project.parameters
    assert parameters is not None
    return {name: p.W.copy() for name, p in parameters.items()}


def test_next_through_every_step(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object
) -> None:
    _window, panel = worked
    seen = []
    for _ in TITLES:
        press_next(qtbot, panel)
        seen.append(panel.title.text())
    assert seen == TITLES
    assert panel.position.text() == "Step 6 of 6"
    assert not panel.next_button.isEnabled()


def test_worked_example_numbers(worked: tuple[MainWindow, StepThroughPanel], qtbot: object) -> None:
    _window, panel = worked
    go_to(qtbot, panel, "Forward: output")
    assert cell(panel.table, "ŷ") == "2.162"

    go_to(qtbot, panel, "Loss")
    assert cell(panel.table, "ŷ", column=3) == "1.162"

    go_to(qtbot, panel, "Backward: output")
    assert cell(panel.table, "∂L/∂w₁⁽²⁾") == "1.15038"
    assert cell(panel.table, "∂L/∂w₂⁽²⁾") == "1.1039"
    assert matrix_texts(panel, "output", "dW") == ["1.15038", "1.1039"]
    assert matrix_texts(panel, "hidden 1", "dW") == ["", "", "", ""]

    go_to(qtbot, panel, "Backward: hidden 1")
    displayed = [cell(panel.table, f"∂L/∂w{s}⁽¹⁾") for s in ("₁₁", "₁₂", "₂₁", "₂₂")]
    assert displayed == ["4.1832", "0.9296", "6.2748", "1.3944"]
    assert matrix_texts(panel, "hidden 1", "dW") == ["4.1832", "0.9296", "6.2748", "1.3944"]
    assert matrix_texts(panel, "hidden 1", "W") == ["-0.78", "0.13", "0.85", "0.23"]


def test_back_returns_to_previous_step(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object
) -> None:
    _window, panel = worked
    go_to(qtbot, panel, "Backward: output")
    qtbot.mouseClick(panel.back_button, LEFT)  # type: ignore[attr-defined]
    assert panel.title.text() == "Loss"
    assert cell(panel.table, "ŷ", column=3) == "1.162"


def test_keys_move_between_steps(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object
) -> None:
    window, panel = worked
    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)  # type: ignore[attr-defined]
    assert panel.title.text() == "Forward: hidden 1"
    qtbot.keyClick(window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)  # type: ignore[attr-defined]
    assert panel.title.text() == "Forward: output"
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)  # type: ignore[attr-defined]
    assert panel.title.text() == "Forward: hidden 1"

    window.activateWindow()
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus, timeout=5000)  # type: ignore[attr-defined]
    qtbot.keyClick(panel.table, Qt.Key.Key_Period)  # type: ignore[attr-defined]
    assert panel.title.text() == "Forward: output"
    qtbot.keyClick(panel.table, Qt.Key.Key_Comma)  # type: ignore[attr-defined]
    assert panel.title.text() == "Forward: hidden 1"
    qtbot.keyClick(panel.table, Qt.Key.Key_Right)  # type: ignore[attr-defined]
    assert panel.title.text() == "Forward: output"


def test_click_edge_shows_chain_rule(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object
) -> None:
    window, panel = worked
    go_to(qtbot, panel, "Backward: output")
    edge = window.canvas.connection_item("hidden 1", "output")
    click(window.canvas, edge.edge_point(0, 0, 0.9))
    assert "1.162 × 0.99 = 1.15038" in panel.chain.text()
    assert edge.marked_edge == (0, 0)

    go_to(qtbot, panel, "Backward: hidden 1")
    assert panel.canvas_link is not None
    overlay = panel.canvas_link.overlay  # type: ignore[attr-defined]
    label = overlay.edge_labels[("input", "hidden 1", 1, 1)]
    click(window.canvas, label.scenePos())
    assert "1.162 × 0.4 × 3 = 1.3944" in panel.chain.text()
    assert label.marked


def test_chain_rule_waits_for_its_step(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object
) -> None:
    window, panel = worked
    go_to(qtbot, panel, "Forward: output")
    click(window.canvas, window.canvas.connection_item("hidden 1", "output").edge_point(0, 0, 0.9))
    assert "computed in the step “Backward: output”" in panel.chain.text()
    go_to(qtbot, panel, "Backward: output")
    assert "= 1.15038" in panel.chain.text()


def test_matrix_cell_selects_weight(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object
) -> None:
    _window, panel = worked
    go_to(qtbot, panel, "Backward: hidden 1")
    assert panel.matrices is not None
    table = panel.matrices.tables[("hidden 1", "dW")]
    item = table.item(1, 0)
    qtbot.mouseClick(table.viewport(), LEFT, pos=table.visualItemRect(item).center())  # type: ignore[attr-defined]
    assert "∂L/∂w₂₁⁽¹⁾ = (ŷ − y) · w₁⁽²⁾ · x₂ = 1.162 × 1.8 × 3 = 6.2748" in panel.chain.text()


def test_apply_update_and_undo(worked: tuple[MainWindow, StepThroughPanel], qtbot: object) -> None:
    window, panel = worked
    case = json.loads((reference_dir() / "seed-worked-example.json").read_text())
    (sgd,) = [entry for entry in case["optimizers"] if entry["name"] == "sgd"]
    assert sgd["lr"] == window.document.project.settings.learning_rate
    before = weights(window)

    go_to(qtbot, panel, "Update")
    qtbot.mouseClick(panel.apply_button, LEFT)  # type: ignore[attr-defined]
    after = weights(window)
    for name, expected in zip(("hidden 1", "output"), sgd["weights_after"], strict=True):
        np.testing.assert_allclose(after[name], expected["W"], rtol=1e-12, atol=1e-15)
    assert len(window.document.project.history) == 0
    assert panel.title.text() == "Forward: hidden 1"
    go_to(qtbot, panel, "Loss")
    assert float(panel.summary.text().split(" = ")[2].split(":")[0]) < 0.675122

    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # type: ignore[attr-defined]
    restored = weights(window)
    for name, W in before.items():
        assert np.array_equal(restored[name], W)
    assert cell(panel.table, "ŷ", column=3) == "1.162"


def check_gradients(qtbot: object, panel: StepThroughPanel) -> str:
    """Click Check gradients and return the result text once the worker has finished."""
    check = panel.gradient_check
    qtbot.mouseClick(check.button, LEFT)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: check.button.isEnabled(), timeout=30_000)  # type: ignore[attr-defined]
    return check.result.text()


def test_gradient_check_passes(worked: tuple[MainWindow, StepThroughPanel], qtbot: object) -> None:
    _window, panel = worked
    lines = check_gradients(qtbot, panel).splitlines()
    assert lines[0].startswith("layer 1 (hidden 1): largest relative error")
    assert lines[0].endswith("pass")
    assert lines[1].endswith("pass")
    assert "— pass (threshold 1e-06)" in lines[2]


def test_gradient_check_rejects_step_network(make_window: WindowFactory, qtbot: object) -> None:
    project = default_project()
    project.layer("hidden 1").activation = "step"
    window = make_window(project)
    panel = window.step_through
    text = check_gradients(qtbot, panel)
    assert text.startswith("Gradient check not possible: cannot backpropagate")
    assert "step activation" in text


def test_gradient_check_runs_off_gui_thread(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object
) -> None:
    window, panel = worked
    check = panel.gradient_check
    go_to(qtbot, panel, "Update")
    qtbot.mouseClick(check.button, LEFT)  # type: ignore[attr-defined]

    # The click returns before the result: the button waits for the worker.
    assert not check.button.isEnabled()
    assert check.button.text() == "Checking…"

    # An edit before the result reaches the window makes the result stale.
    qtbot.mouseClick(panel.apply_button, LEFT)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: check.button.isEnabled(), timeout=30_000)  # type: ignore[attr-defined]
    assert check.result.text() == "The weights changed while the check ran; check again."
    assert window.document.undo_stack.count() == 1


def test_dock_close_button_ends_mode(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object
) -> None:
    window, panel = worked
    go_to(qtbot, panel, "Loss")
    assert window.docks["Training"].isHidden()

    window.docks["Step through"].close()  # what the dock's X button does

    assert not panel.active
    assert not panel.mode_action.isChecked()
    assert not window.docks["Training"].isHidden()


def test_overlay_labels_follow_steps(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object
) -> None:
    window, panel = worked
    assert panel.canvas_link is not None
    overlay = panel.canvas_link.overlay  # type: ignore[attr-defined]
    go_to(qtbot, panel, "Forward: hidden 1")
    assert overlay.neuron_labels[("input", 0)].text == "x₁ = 2"
    assert overlay.neuron_labels[("hidden 1", 0)].text == "z = 0.99 · h₁ = 0.99"
    assert window.canvas.layer_item("hidden 1").step_highlight

    go_to(qtbot, panel, "Backward: output")
    # The long form "∂L/∂z = 1.162" gives way to the number where it would leave the view.
    assert overlay.neuron_labels[("output", 0)].text.endswith("1.162")
    assert overlay.edge_labels[("hidden 1", "output", 0, 0)].text == "1.15038"
    assert (
        overlay.edge_labels[("hidden 1", "output", 0, 0)].text_font.pointSize() >= LABEL_POINT_SIZE
    )
    assert not window.canvas.layer_item("hidden 1").step_highlight

    go_to(qtbot, panel, "Update")
    assert overlay.edge_labels[("input", "hidden 1", 0, 0)].text == "-0.821832"

    qtbot.mouseClick(panel.mode_button, LEFT)  # type: ignore[attr-defined]
    labels = [item for item in window.canvas.canvas_scene.items() if isinstance(item, ValueLabel)]
    assert labels == []
    assert not panel.active
    assert window.docks["Layer"].isVisible()
    assert window.docks["Training"].isVisible()


def test_bias_marker_selects_bias(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window(default_project())
    panel = window.step_through
    go_to(qtbot, panel, "Update")
    marker = window.canvas.layer_item("hidden 1").bias_marker(2)
    assert marker is not None
    click(window.canvas, marker.center)
    assert panel.chain.text().startswith("∂L/∂b₃⁽¹⁾ = δ₃⁽¹⁾ · 1 = ")
    assert window.canvas.layer_item("hidden 1").marked_bias == 2


def test_training_ends_step_through(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object
) -> None:
    window, panel = worked
    go_to(qtbot, panel, "Loss")
    window.training.train_action.trigger()
    assert not panel.active
    controller = window.training.controller
    qtbot.waitUntil(lambda: controller.state == "idle", timeout=30_000)  # type: ignore[attr-defined]
    assert panel.mode_action.isEnabled()


def test_screenshot_mid_backward(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object, tmp_path: Path
) -> None:
    window, panel = worked
    go_to(qtbot, panel, "Backward: hidden 1")
    path = tmp_path / "step-through-backward.png"
    assert window.grab().save(str(path))
    image = window.canvas.grab().toImage()
    halo = QColor(STEP_HALO)
    amber = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            pixel = image.pixelColor(x, y)
            close = abs(pixel.red() - halo.red()) + abs(pixel.green() - halo.green())
            amber += close + abs(pixel.blue() - halo.blue()) < 30
    assert amber > 20  # the highlighted layer's halo is on screen
    box = window.canvas.mapFromScene(QPointF(0, 0))
    assert window.canvas.viewport().rect().contains(box)


def test_invalid_drawing_is_explained(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object
) -> None:
    window, panel = worked
    go_to(qtbot, panel, "Loss")
    window.add_layer_action.trigger()
    assert panel.title.text() == "Cannot step through"
    assert "has no incoming connection" in panel.summary.text()
    assert not panel.next_button.isEnabled()

    window.undo_action.trigger()
    assert panel.title.text() == "Loss"
    assert cell(panel.table, "ŷ", column=3) == "1.162"


def test_labels_follow_dragged_layer(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object
) -> None:
    window, panel = worked
    go_to(qtbot, panel, "Backward: output")
    assert panel.canvas_link is not None
    overlay = panel.canvas_link.overlay  # type: ignore[attr-defined]
    item = window.canvas.layer_item("output")
    before = overlay.neuron_labels[("output", 0)].scenePos()
    start = item.body_scene_pos()
    drag(window.canvas, start, start + QPointF(0.0, 80.0))
    after = overlay.neuron_labels[("output", 0)].scenePos()
    assert after.y() - before.y() == pytest.approx(80.0, abs=1.0)
    assert window.document.project.layer("output").position[1] == pytest.approx(80.0, abs=1.0)


def test_opening_another_file_ends_mode(
    worked: tuple[MainWindow, StepThroughPanel], qtbot: object
) -> None:
    window, panel = worked
    go_to(qtbot, panel, "Loss")
    assert window.open_path(EXAMPLES / "xor.nnproj")
    assert not panel.active
    assert panel.sample.maximum() == 4
    labels = [item for item in window.canvas.canvas_scene.items() if isinstance(item, ValueLabel)]
    assert labels == []
