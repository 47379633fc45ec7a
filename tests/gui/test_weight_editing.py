"""Setting weights by hand on the canvas, driven with the mouse in the real main window."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QGraphicsView

from nnstudio.gui import dialogs
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.weight_values import MAX_WEIGHT
from nnstudio.project.fileformat import load_project
from tests.conftest import EXAMPLES
from tests.gui.mouse import click

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]
LEFT = Qt.MouseButton.LeftButton
NO_BUTTON = Qt.MouseButton.NoButton
NO_KEYS = Qt.KeyboardModifier.NoModifier
# The edge from input unit 2 to hidden unit 1, and a point on it clear of the other lines.
EDGE = ("input", "hidden 1", 1, 0)
ALONG = 0.8


def send_mouse(
    view: QGraphicsView, kind: QMouseEvent.Type, point: QPoint, button: Qt.MouseButton
) -> None:
    buttons = button if kind != QMouseEvent.Type.MouseButtonRelease else NO_BUTTON
    event = QMouseEvent(
        kind, QPointF(point), QPointF(view.viewport().mapToGlobal(point)), button, buttons, NO_KEYS
    )
    QApplication.sendEvent(view.viewport(), event)


def double_click(view: QGraphicsView, scene_point: QPointF) -> None:
    """Double-click the left button at ``scene_point``, with the events Qt sends for one."""
    point = view.mapFromScene(scene_point)
    send_mouse(view, QMouseEvent.Type.MouseButtonPress, point, LEFT)
    send_mouse(view, QMouseEvent.Type.MouseButtonRelease, point, LEFT)
    send_mouse(view, QMouseEvent.Type.MouseButtonDblClick, point, LEFT)
    send_mouse(view, QMouseEvent.Type.MouseButtonRelease, point, LEFT)


def hover(view: QGraphicsView, scene_point: QPointF) -> None:
    send_mouse(view, QMouseEvent.Type.MouseMove, view.mapFromScene(scene_point), NO_BUTTON)


def wheel(
    view: QGraphicsView, scene_point: QPointF, notches: int = 1, keys: Qt.KeyboardModifier = NO_KEYS
) -> None:
    """Turn the wheel by ``notches`` (120 eighths of a degree each) over ``scene_point``."""
    point = QPointF(view.mapFromScene(scene_point))
    event = QWheelEvent(
        point,
        QPointF(view.viewport().mapToGlobal(point.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        NO_BUTTON,
        keys,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), event)


def edge_point(window: MainWindow, edge: tuple[str, str, int, int] = EDGE) -> QPointF:
    source, target, i, j = edge
    return window.canvas.connection_item(source, target).edge_point(i, j, ALONG)


def weight(window: MainWindow, layer: str = "hidden 1", row: int = 1, unit: int = 0) -> float:
    parameters = window.document.project.parameters
    assert parameters is not None
    return float(parameters[layer].W[row, unit])


def boundary_image(window: MainWindow) -> np.ndarray:
    image = window.boundary_plot.image_item.image
    assert image is not None
    return np.array(image, copy=True)


def answer_with(monkeypatch: pytest.MonkeyPatch, text: str | None) -> list[str]:
    """Make the value dialog return ``text``; the returned list records each dialog's start text."""
    asked: list[str] = []

    def ask(_parent: object, _title: str, _label: str, start: str) -> str | None:
        asked.append(start)
        return text

    monkeypatch.setattr(dialogs, "ask_weight_value", ask)
    return asked


@pytest.fixture
def by_hand(make_window: WindowFactory) -> MainWindow:
    return make_window(path=EXAMPLES / "xor-by-hand.nnproj")


def test_double_click_edge_sets_weight(
    by_hand: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = by_hand
    asked = answer_with(monkeypatch, "0.3")
    before = boundary_image(window)

    double_click(window.canvas, edge_point(window))

    assert asked == ["1"]
    assert weight(window) == 0.3
    # The other three weights of the layer keep their hand-set 1.
    W = window.document.project.parameters["hidden 1"].W
    assert W[0, 0] == W[0, 1] == W[1, 1] == 1.0
    hover(window.canvas, edge_point(window))
    tooltip = window.canvas.connection_item("input", "hidden 1").toolTip()
    assert tooltip.startswith("w = 0.3: input unit 2 → hidden 1 unit 1")
    marker = window.weight_panel.editing.marker
    assert marker.label is not None
    assert marker.label.text == "w = 0.3"
    assert not np.array_equal(boundary_image(window), before)
    # By hand: with 0.3 in place of 1, hidden unit 1 no longer fires for (0, 1), so the
    # output misses that corner: accuracy 3/4, and the loss ½ · (1 - 0)² / 4 = 0.125.
    assert window.weight_panel.accuracy_label.text() == "Accuracy 75%"
    assert window.weight_panel.loss_label.text() == "Loss 0.125"
    assert window.weight_panel.outputs.item(1, 3).text() == "0"


def test_double_click_bias_sets_bias(by_hand: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    window = by_hand
    answer_with(monkeypatch, "-0.25")
    marker = window.canvas.layer_item("output").bias_marker(0)
    assert marker is not None

    double_click(window.canvas, marker.center)

    b = window.document.project.parameters["output"].b
    assert b is not None
    assert b[0] == -0.25
    assert window.weight_panel.title.text() == "bias of output unit 1"
    # step(h1 - h2 - 0.25) still gives 0, 1, 1, 0 at the four corners.
    assert window.weight_panel.accuracy_label.text() == "Accuracy 100%"


def test_undo_restores_exact_value(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(path=EXAMPLES / "xor.nnproj")
    old = weight(window)
    before = boundary_image(window)
    answer_with(monkeypatch, "-1.75")

    double_click(window.canvas, edge_point(window))
    assert weight(window) == -1.75

    window.undo_action.trigger()
    assert weight(window) == old
    assert np.array_equal(boundary_image(window), before)


def test_empty_double_click_adds_layer(by_hand: MainWindow) -> None:
    window = by_hand
    layers = len(window.document.project.layers)
    empty = window.canvas.layer_item("output").scenePos() + QPointF(0.0, 250.0)

    double_click(window.canvas, empty)

    assert len(window.document.project.layers) == layers + 1


def test_wheel_steps_merge_into_one_undo(by_hand: MainWindow, qtbot: object) -> None:
    window = by_hand
    stack = window.document.undo_stack
    point = edge_point(window)
    click(window.canvas, point)
    assert window.weight_panel.title.text() == "weight input unit 2 → hidden 1 unit 1"
    steps_before = stack.count()

    for _ in range(3):
        wheel(window.canvas, point)
    assert weight(window) == 1.3
    assert stack.count() == steps_before + 1

    wheel(window.canvas, point, notches=-1, keys=Qt.KeyboardModifier.ShiftModifier)
    assert weight(window) == 1.29
    assert stack.count() == steps_before + 1

    stack.undo()
    assert weight(window) == 1.0


def test_wheel_elsewhere_zooms(by_hand: MainWindow) -> None:
    window = by_hand
    click(window.canvas, edge_point(window))
    zoom = window.canvas.transform().m11()
    elsewhere = edge_point(window, ("hidden 1", "output", 0, 0))

    wheel(window.canvas, elsewhere)

    assert window.canvas.transform().m11() > zoom
    assert weight(window) == 1.0


def test_click_ends_wheel_merge(by_hand: MainWindow) -> None:
    window = by_hand
    stack = window.document.undo_stack
    point = edge_point(window)
    click(window.canvas, point)
    wheel(window.canvas, point)
    click(window.canvas, point)
    wheel(window.canvas, point)

    assert weight(window) == 1.2
    stack.undo()
    assert weight(window) == 1.1


def slider_handle(window: MainWindow) -> QPoint:
    from PySide6.QtWidgets import QStyle, QStyleOptionSlider

    slider = window.weight_panel.slider
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    rect = slider.style().subControlRect(
        QStyle.ComplexControl.CC_Slider, option, QStyle.SubControl.SC_SliderHandle, slider
    )
    return rect.center()


def test_slider_drag_is_one_undo_step(by_hand: MainWindow, qtbot: object) -> None:
    window = by_hand
    panel = window.weight_panel
    window.docks["Weight"].raise_()
    click(window.canvas, edge_point(window))
    stack = window.document.undo_stack
    steps_before = stack.count()
    seen: list[float] = []
    window.document.parameters_changed.connect(lambda: seen.append(weight(window)))
    images = [boundary_image(window)]

    start = slider_handle(window)
    qtbot.mousePress(panel.slider, LEFT, pos=start)  # type: ignore[attr-defined]
    for offset in range(-4, -80, -4):
        qtbot.mouseMove(panel.slider, start + QPoint(offset, 0))  # type: ignore[attr-defined]
        images.append(boundary_image(window))
    qtbot.mouseRelease(panel.slider, LEFT, pos=start + QPoint(-76, 0))  # type: ignore[attr-defined]

    # The weight went down step by step, and each value reached the boundary at once.
    assert len(set(seen)) >= 10
    assert seen == sorted(seen, reverse=True)
    assert weight(window) == seen[-1] < 1.0
    assert panel.spin.value() == pytest.approx(seen[-1])
    assert not np.array_equal(images[0], images[-1])
    assert stack.count() == steps_before + 1

    stack.undo()
    assert weight(window) == 1.0
    assert np.array_equal(boundary_image(window), images[0])


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("abc", "'abc' is not a number"),
        ("nan", "nan is not a finite number"),
        ("-inf", "-inf is not a finite number"),
        ("1e6", f"1e+06 is outside the allowed range -{MAX_WEIGHT:g} to {MAX_WEIGHT:g}"),
        ("  ", "no value was typed"),
    ],
)
def test_invalid_entry_changes_nothing(
    by_hand: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    messages: list[tuple[str, str]],
    text: str,
    problem: str,
) -> None:
    window = by_hand
    answer_with(monkeypatch, text)
    steps = window.document.undo_stack.count()
    before = boundary_image(window)

    double_click(window.canvas, edge_point(window))

    assert len(messages) == 1
    title, message = messages[0]
    assert title == "Invalid value"
    assert "weight input unit 2 → hidden 1 unit 1 stays as it is" in message
    assert problem in message
    assert weight(window) == 1.0
    assert window.document.undo_stack.count() == steps
    assert np.array_equal(boundary_image(window), before)


def test_cancelled_dialog_changes_nothing(
    by_hand: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = by_hand
    answer_with(monkeypatch, None)
    steps = window.document.undo_stack.count()

    double_click(window.canvas, edge_point(window))

    assert weight(window) == 1.0
    assert window.document.undo_stack.count() == steps


def wait_for_epochs(window: MainWindow, qtbot: object, epochs: int) -> None:
    def reached() -> None:
        assert len(window.document.project.history.loss) == epochs
        assert window.training.controller.state == "paused"

    qtbot.waitUntil(reached, timeout=20_000)  # type: ignore[attr-defined]


def test_edit_between_steps_keeps_run(
    make_window: WindowFactory, qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nnstudio.engine.training import Trainer

    project = load_project(EXAMPLES / "xor.nnproj")
    project.settings.optimizer = "momentum"
    window = make_window(project)
    point = edge_point(window)

    # Two steps, a weight typed by hand while paused, then one more step.
    for epochs in (1, 2):
        window.training.step_action.trigger()
        wait_for_epochs(window, qtbot, epochs)
    history = list(window.document.project.history.loss)
    answer_with(monkeypatch, "0.5")
    double_click(window.canvas, point)
    assert weight(window) == 0.5
    assert list(window.document.project.history.loss) == history
    window.training.step_action.trigger()
    wait_for_epochs(window, qtbot, 3)

    # The same in the engine: momentum keeps its velocity across the edit. Restarting
    # the optimizer (velocity 0) would give other weights.
    reference = load_project(EXAMPLES / "xor.nnproj")
    reference.settings.optimizer = "momentum"
    data = reference.dataset
    trainer = Trainer(reference.network(), data.network_inputs(), data.y, reference.settings)
    trainer.step()
    trainer.step()
    trainer.network.parameters["hidden 1"].W[1, 0] = 0.5
    trainer.step()
    parameters = window.document.project.parameters
    for name, layer in trainer.network.parameters.items():
        np.testing.assert_allclose(parameters[name].W, layer.W, rtol=0, atol=1e-14)
    assert list(window.document.project.history.loss)[:2] == history
    np.testing.assert_allclose(
        window.document.project.history.loss, trainer.history.loss, rtol=0, atol=1e-14
    )

    fresh = load_project(EXAMPLES / "xor.nnproj")
    fresh.settings.optimizer = "momentum"
    restarted = Trainer(fresh.network(), data.network_inputs(), data.y, fresh.settings)
    restarted.step()
    restarted.step()
    restarted.network.parameters["hidden 1"].W[1, 0] = 0.5
    again = Trainer(restarted.network, data.network_inputs(), data.y, fresh.settings)
    again.step()
    assert not np.allclose(parameters["output"].W, again.network.parameters["output"].W)


def test_stop_after_edit_keeps_edit(
    make_window: WindowFactory, qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(path=EXAMPLES / "xor.nnproj")
    window.training.step_action.trigger()
    wait_for_epochs(window, qtbot, 1)
    answer_with(monkeypatch, "2.5")
    double_click(window.canvas, edge_point(window))

    window.training.stop_action.trigger()
    qtbot.waitUntil(lambda: not window.training.controller._runs, timeout=20_000)  # type: ignore[attr-defined]

    assert weight(window) == 2.5
    assert len(window.document.project.history.loss) == 1


def test_editing_refused_while_training(
    make_window: WindowFactory, qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = load_project(EXAMPLES / "xor.nnproj")
    project.settings.epochs = 1_000_000
    window = make_window(project)
    asked = answer_with(monkeypatch, "0.5")
    window.training.train_action.trigger()
    qtbot.waitUntil(lambda: len(window.document.project.history.loss) > 0, timeout=20_000)  # type: ignore[attr-defined]

    double_click(window.canvas, edge_point(window))

    assert asked == []
    assert "cannot be edited while training runs" in window.statusBar().currentMessage()
    assert not window.weight_panel.slider.isEnabled()
    assert not window.weight_panel.spin.isEnabled()
    assert window.document.undo_stack.count() == 0
    window.training.stop_action.trigger()


def test_selection_follows_project_changes(by_hand: MainWindow) -> None:
    window = by_hand
    marker = window.canvas.layer_item("output").bias_marker(0)
    assert marker is not None
    click(window.canvas, marker.center)
    assert window.weight_panel.title.text() == "bias of output unit 1"

    # Without hidden 1 → output the drawing is no network, so there is no weight to show.
    connection = window.canvas.connection_item("hidden 1", "output")
    click(window.canvas, edge_point(window))
    assert window.weight_panel.title.text() == "weight input unit 2 → hidden 1 unit 1"
    window.canvas.select_layers([])
    connection.setSelected(True)
    window.delete_action.trigger()
    assert window.document.project.parameters is None
    assert window.weight_panel.title.text() == "No weight selected"
    assert not window.weight_panel.slider.isEnabled()

    window.undo_action.trigger()
    click(window.canvas, edge_point(window))
    assert window.weight_panel.title.text() == "weight input unit 2 → hidden 1 unit 1"
    window.files.open_path(EXAMPLES / "xor.nnproj")
    assert window.weight_panel.title.text() == "No weight selected"
    assert window.weight_panel.editing.marker.label is None
