"""The network canvas driven as a user would: mouse drags, clicks and keys on the viewport."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from nnstudio.engine.network import LayerParameters, copy_parameters
from nnstudio.gui import commands
from nnstudio.gui.canvas.colors import MIN_WIDTH, NEGATIVE, POSITIVE
from nnstudio.gui.canvas.view import NetworkCanvas
from nnstudio.gui.document import ProjectDocument
from nnstudio.project.model import default_project

LEFT = Qt.MouseButton.LeftButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def document() -> ProjectDocument:
    return ProjectDocument(default_project())


@pytest.fixture
def canvas(qtbot, document: ProjectDocument) -> NetworkCanvas:
    view = NetworkCanvas(document)
    qtbot.addWidget(view)
    view.resize(900, 520)
    view.show()
    qtbot.waitExposed(view)
    return view


# helpers


def view_point(view: NetworkCanvas, scene_point: QPointF) -> QPoint:
    return view.mapFromScene(scene_point)


def press_and_move(view: NetworkCanvas, start: QPointF, end: QPointF) -> QPoint:
    """Press at ``start``, move a little, then past the start-drag distance to ``end``."""
    viewport = view.viewport()
    a = view_point(view, start)
    b = view_point(view, end)
    assert (b - a).manhattanLength() > QApplication.startDragDistance()
    QTest.mousePress(viewport, LEFT, NO_MODIFIER, a)
    QTest.mouseMove(viewport, a + QPoint(2, 1))
    QTest.mouseMove(viewport, b)
    return b


def drag(view: NetworkCanvas, start: QPointF, end: QPointF) -> None:
    b = press_and_move(view, start, end)
    QTest.mouseRelease(view.viewport(), LEFT, NO_MODIFIER, b)


def click(view: NetworkCanvas, scene_point: QPointF) -> None:
    QTest.mouseClick(view.viewport(), LEFT, NO_MODIFIER, view_point(view, scene_point))


def press_delete(view: NetworkCanvas) -> None:
    QTest.keyClick(view, Qt.Key.Key_Delete)


def set_weights(document: ProjectDocument, **layers: tuple[list, list | None]) -> None:
    """Send weights as training would; keyword names use _ for spaces in layer names."""
    params = copy_parameters(document.project.parameters)
    for key, (W, b) in layers.items():
        params[key.replace("_", " ")] = LayerParameters(
            np.array(W, dtype=float), None if b is None else np.array(b, dtype=float)
        )
    document.set_training_state(params, document.project.history)


def connect_by_drag(view: NetworkCanvas, source: str, target: str) -> None:
    drag(
        view,
        view.layer_item(source).output_handle_scene_pos(),
        view.layer_item(target).body_scene_pos(),
    )


# moving


def test_drag_moves_layer_and_undo_restores(canvas, document):
    item = canvas.layer_item("hidden 1")
    old = document.project.layer("hidden 1").position
    start = item.body_scene_pos()
    end = start + QPointF(60, 45)

    b = press_and_move(canvas, start, end)
    assert document.undo_stack.count() == 0  # no command while the mouse is held
    QTest.mouseRelease(canvas.viewport(), LEFT, NO_MODIFIER, b)

    new = document.project.layer("hidden 1").position
    assert new[0] == pytest.approx(old[0] + 60, abs=2)
    assert new[1] == pytest.approx(old[1] + 45, abs=2)
    assert document.undo_stack.count() == 1
    document.undo_stack.undo()
    assert document.project.layer("hidden 1").position == old
    assert (item.x(), item.y()) == old


def test_connection_follows_moved_layer(canvas, document):
    connection = canvas.connection_item("input", "hidden 1")
    before = connection.midpoint_scene_pos()
    item = canvas.layer_item("hidden 1")
    drag(canvas, item.body_scene_pos(), item.body_scene_pos() + QPointF(0, 80))
    assert connection.midpoint_scene_pos().y() > before.y() + 30


# adding and connecting


def test_double_click_adds_layer_there(canvas, document):
    spot = QPointF(110, 150)
    QTest.mouseDClick(canvas.viewport(), LEFT, NO_MODIFIER, view_point(canvas, spot))
    layer = document.project.layer("hidden 2")
    assert layer.role == "hidden"
    assert layer.position[0] == pytest.approx(spot.x(), abs=2)
    assert layer.position[1] == pytest.approx(spot.y(), abs=2)
    assert canvas.selected_layer() == "hidden 2"


def test_add_layer_does_not_cover_another(canvas, document):
    canvas.add_layer()
    canvas.add_layer()
    boxes = [canvas.layer_item(layer.name).sceneBoundingRect() for layer in document.project.layers]
    for i, first in enumerate(boxes):
        for second in boxes[i + 1 :]:
            assert not first.intersects(second)


def test_drag_from_handle_connects_layers(canvas, document):
    canvas.add_layer()
    canvas.add_layer()
    canvas.fit_all()
    connect_by_drag(canvas, "input", "hidden 2")
    assert ("input", "hidden 2") in document.project.connections
    connect_by_drag(canvas, "hidden 2", "hidden 3")
    assert ("hidden 2", "hidden 3") in document.project.connections
    assert canvas.connection_item("hidden 2", "hidden 3").source == "hidden 2"
    connect_by_drag(canvas, "hidden 3", "output")
    assert document.graph_error() is None


def test_build_2_4_1_from_input_and_output(canvas, document):
    # Start from a project with only input and output.
    click(canvas, canvas.layer_item("hidden 1").body_scene_pos())
    press_delete(canvas)
    assert [layer.name for layer in document.project.layers] == ["input", "output"]
    assert document.project.connections == []

    canvas.add_layer()
    document.undo_stack.push(commands.set_layer(document, "hidden 1", units=4))
    connect_by_drag(canvas, "input", "hidden 1")
    connect_by_drag(canvas, "hidden 1", "output")

    assert document.project.connections == [("input", "hidden 1"), ("hidden 1", "output")]
    assert document.project.parameter_count() == 17


def test_connect_to_input_is_refused_with_message(canvas, document, qtbot):
    before = list(document.project.connections)
    with qtbot.waitSignal(canvas.message) as blocker:
        connect_by_drag(canvas, "hidden 1", "input")
    assert "cannot connect hidden 1 to input" in blocker.args[0]
    assert document.project.connections == before
    assert document.undo_stack.count() == 0


def test_connect_to_itself_is_refused_with_message(canvas, document, qtbot):
    with qtbot.waitSignal(canvas.message) as blocker:
        connect_by_drag(canvas, "hidden 1", "hidden 1")
    assert "itself" in blocker.args[0]
    assert document.undo_stack.count() == 0


# selecting and deleting


def test_click_connection_and_delete(canvas, document):
    connection = canvas.connection_item("input", "hidden 1")
    click(canvas, connection.midpoint_scene_pos())
    assert connection.isSelected()
    press_delete(canvas)
    assert ("input", "hidden 1") not in document.project.connections
    assert document.project.has_layer("hidden 1")


def test_delete_input_keeps_it_and_explains(canvas, document, qtbot):
    click(canvas, canvas.layer_item("input").body_scene_pos())
    assert canvas.selected_layer() == "input"
    with qtbot.waitSignal(canvas.message) as blocker:
        press_delete(canvas)
    assert "input" in blocker.args[0]
    assert "cannot be deleted" in blocker.args[0]
    assert document.project.has_layer("input")
    assert document.undo_stack.count() == 0


def test_layer_selected_signal(canvas, qtbot):
    with qtbot.waitSignal(canvas.layer_selected) as blocker:
        click(canvas, canvas.layer_item("hidden 1").body_scene_pos())
    assert blocker.args == ["hidden 1"]
    with qtbot.waitSignal(canvas.layer_selected) as blocker:
        click(canvas, QPointF(110, 120))  # empty space below the first connection
    assert blocker.args == [""]
    assert canvas.selected_layer() is None


def test_rubber_band_selects_layer(canvas):
    box = canvas.layer_item("hidden 1").sceneBoundingRect()
    drag(canvas, box.topLeft() + QPointF(-20, -20), box.bottomRight() + QPointF(20, 20))
    assert canvas.selected_layer() == "hidden 1"


def test_structure_change_keeps_items_and_selection(canvas, document):
    canvas.select_layer("hidden 1")
    item = canvas.layer_item("hidden 1")
    document.undo_stack.push(commands.set_layer(document, "hidden 1", units=6))
    assert canvas.layer_item("hidden 1") is item
    assert item.isSelected()
    assert item.units == 6
    assert canvas.connection_item("hidden 1", "output").source_item is item


def test_locked_canvas_moves_but_does_not_edit(canvas, document, qtbot):
    canvas.set_editable(False)
    assert not canvas.layer_item("input").handle.isVisible()

    canvas.select_layer("hidden 1")
    with qtbot.waitSignal(canvas.message):
        press_delete(canvas)
    assert document.project.has_layer("hidden 1")

    item = canvas.layer_item("hidden 1")
    drag(canvas, item.body_scene_pos(), item.body_scene_pos() + QPointF(40, 0))
    assert document.project.layer("hidden 1").position[0] == pytest.approx(260, abs=2)


# weights on screen


def known_weights(document: ProjectDocument) -> None:
    set_weights(
        document,
        hidden_1=([[1.0, 0.1, 0.5, 0.2], [-1.0, -0.3, 0.0, 0.4]], [0.8, -0.8, 0.0, 0.1]),
        output=([[0.5], [-2.0], [0.25], [2.0]], [0.0]),
    )


def same_rgb(color: QColor, expected: QColor) -> bool:
    return color.name() == expected.name()


def test_edge_pen_colour_from_sign(canvas, document):
    known_weights(document)
    connection = canvas.connection_item("hidden 1", "output")
    # The largest absolute weights (2.0) get the full colours.
    assert same_rgb(connection.edge_pen(3, 0).color(), POSITIVE)
    assert same_rgb(connection.edge_pen(1, 0).color(), NEGATIVE)


def test_edge_pen_width_from_magnitude(canvas, document):
    known_weights(document)
    first = canvas.connection_item("input", "hidden 1")
    assert first.edge_pen(0, 0).widthF() > first.edge_pen(0, 1).widthF()  # 1.0 against 0.1
    assert first.edge_pen(1, 2).widthF() == pytest.approx(MIN_WIDTH)  # a zero weight
    assert first.edge_pen(0, 0).isCosmetic()
    second = canvas.connection_item("hidden 1", "output")
    assert second.edge_pen(3, 0).widthF() > second.edge_pen(0, 0).widthF()  # 2.0 against 0.5


def test_edge_pen_of_second_source_uses_row_offset(canvas, document):
    document.undo_stack.push(commands.connect_layers(document, "input", "output"))
    # The output's W stacks hidden 1 (4 rows), then input (2 rows).
    set_weights(document, output=([[0.1], [0.1], [0.1], [0.1], [-1.0], [1.0]], [0.0]))
    skip = canvas.connection_item("input", "output")
    assert same_rgb(skip.edge_pen(0, 0).color(), NEGATIVE)
    assert same_rgb(skip.edge_pen(1, 0).color(), POSITIVE)


def test_invalid_drawing_draws_grey_lines(canvas, document):
    canvas.add_layer()  # an unconnected layer leaves the drawing invalid
    assert document.project.parameters is None
    pen = canvas.connection_item("input", "hidden 1").edge_pen(0, 0)
    assert pen.color().red() == pen.color().green() == pen.color().blue()


def test_bias_marker_colour_and_size(canvas, document):
    known_weights(document)
    item = canvas.layer_item("hidden 1")
    positive, negative, small = item.bias_marker(0), item.bias_marker(1), item.bias_marker(3)
    assert same_rgb(positive.brush.color(), POSITIVE)
    assert same_rgb(negative.brush.color(), NEGATIVE)
    assert positive.radius > small.radius
    assert canvas.layer_item("input").bias_marker(0) is None


def test_training_update_changes_pen_without_new_items(canvas, document):
    known_weights(document)
    connection = canvas.connection_item("hidden 1", "output")
    items = set(canvas.scene().items())
    before = connection.edge_pen(3, 0).color().name()

    set_weights(document, output=([[0.5], [-2.0], [0.25], [-2.0]], [0.3]))

    assert connection.edge_pen(3, 0).color().name() != before
    assert canvas.connection_item("hidden 1", "output") is connection
    assert set(canvas.scene().items()) == items


# view


def test_zoom_in_and_out_change_scale(canvas):
    scale = canvas.transform().m11()
    canvas.zoom_in()
    assert canvas.transform().m11() > scale
    canvas.zoom_out()
    assert canvas.transform().m11() == pytest.approx(scale)


def test_wheel_zooms_around_cursor(canvas):
    scale = canvas.transform().m11()
    cursor = view_point(canvas, canvas.layer_item("hidden 1").body_scene_pos())
    under_cursor = canvas.mapToScene(cursor)
    event = QWheelEvent(
        QPointF(cursor),
        QPointF(canvas.viewport().mapToGlobal(cursor)),
        QPoint(),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        NO_MODIFIER,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), event)
    assert canvas.transform().m11() > scale
    after = canvas.mapToScene(cursor)
    assert after.x() == pytest.approx(under_cursor.x(), abs=2)
    assert after.y() == pytest.approx(under_cursor.y(), abs=2)


def test_project_replaced_rebuilds_items(canvas, document):
    project = default_project("and")
    project.layers = [layer for layer in project.layers if layer.name != "hidden 1"]
    project.connections = [("input", "output")]
    document.replace(project, None)
    assert set(canvas.canvas_scene.layers) == {"input", "output"}
    assert set(canvas.canvas_scene.connections) == {("input", "output")}


def test_screenshot_of_2_4_1(canvas, document):
    known_weights(document)
    canvas.fit_all()
    image = canvas.grab().toImage()
    canvas.grab().save("/tmp/canvas.png")
    assert image.width() >= 900

    # The middle of the strongest positive line shows its colour.
    connection = canvas.connection_item("hidden 1", "output")
    start = canvas.layer_item("hidden 1").outgoing_point(3)
    end = canvas.layer_item("output").incoming_point(0)
    point = canvas.mapFromScene((start + end) / 2) * image.devicePixelRatio()
    shown = image.pixelColor(point)
    assert shown.blue() > shown.red() + 60
    assert same_rgb(connection.edge_pen(3, 0).color(), POSITIVE)


def test_deleting_selected_layer_clears_selection(canvas, qtbot):
    click(canvas, canvas.layer_item("hidden 1").body_scene_pos())
    with qtbot.waitSignal(canvas.layer_selected) as blocker:
        press_delete(canvas)
    assert blocker.args == [""]


def test_undo_of_delete_brings_items_back(canvas, document):
    canvas.select_layer("hidden 1")
    canvas.delete_selected()
    assert "hidden 1" not in canvas.canvas_scene.layers
    document.undo_stack.undo()
    assert canvas.layer_item("hidden 1").units == 4
    assert set(canvas.canvas_scene.connections) == set(document.project.connections)


def test_document_outlives_deleted_canvas(qtbot, document):
    view = NetworkCanvas(document)
    with qtbot.waitSignal(view.destroyed):
        view.deleteLater()
    # The document's signals now reach no deleted scene or view.
    known_weights(document)
    document.undo_stack.push(commands.set_layer(document, "hidden 1", units=5))
    document.replace(default_project(), None)


def test_middle_drag_pans(canvas):
    viewport = canvas.viewport()
    center = viewport.rect().center()
    before = canvas.mapToScene(center)
    middle = Qt.MouseButton.MiddleButton
    QTest.mousePress(viewport, middle, NO_MODIFIER, center)
    QTest.mouseMove(viewport, center + QPoint(5, 0))
    QTest.mouseMove(viewport, center + QPoint(80, 40))
    QTest.mouseRelease(viewport, middle, NO_MODIFIER, center + QPoint(80, 40))
    after = canvas.mapToScene(center)
    assert after.x() < before.x() - 20
    assert after.y() < before.y() - 10
