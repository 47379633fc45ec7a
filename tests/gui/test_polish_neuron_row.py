"""A click on a neuron on the canvas selects its row in the Layer panel's Per neuron table."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPointF, QRect
from PySide6.QtWidgets import QScrollArea

from nnstudio.gui.main_window import MainWindow
from tests.conftest import EXAMPLES
from tests.gui.mouse import click, drag

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]
XOR = EXAMPLES / "xor.nnproj"  # input 2, hidden 1 with 4 tanh neurons, output 1
BLUE_MARGIN = 60  # how much bluer than red a pixel of a highlighted row header is


def click_neuron(window: MainWindow, layer: str, index: int) -> None:
    item = window.canvas.layer_item(layer)
    click(window.canvas, item.neuron_scene_pos(index))


def selected_rows(window: MainWindow) -> list[int]:
    table = window.inspector.neurons.table
    return sorted(index.row() for index in table.selectionModel().selectedRows())


def row_label(window: MainWindow, row: int) -> str:
    return window.inspector.neurons.table.verticalHeaderItem(row).text()


def highlighted_headers(window: MainWindow) -> list[int]:
    """Return the rows whose header the user sees in the (blue) highlight colour."""
    table = window.inspector.neurons.table
    header = table.verticalHeader()
    image = header.grab().toImage()
    rows = []
    for row in range(table.rowCount()):
        middle = header.sectionViewportPosition(row) + header.sectionSize(row) // 2
        colour = image.pixelColor(header.width() // 2, middle)
        # Fusion's header is grey; the highlight is a strong blue.
        if colour.blue() - colour.red() > BLUE_MARGIN:
            rows.append(row)
    return rows


def row_rect_in(window: MainWindow, row: int, widget: object) -> QRect:
    """Return the rectangle of ``row``'s cell in the coordinates of ``widget``."""
    table = window.inspector.neurons.table
    cell = table.visualRect(table.model().index(row, 0))
    return QRect(table.viewport().mapTo(widget, cell.topLeft()), cell.size())


def test_click_neuron_selects_row(make_window: WindowFactory) -> None:
    window = make_window(path=XOR)
    table = window.inspector.neurons.table
    assert window.inspector.layer_name is None

    click_neuron(window, "hidden 1", 2)

    assert window.inspector.layer_name == "hidden 1"
    assert table.rowCount() == 4
    assert table.currentRow() == 2
    assert selected_rows(window) == [2]
    assert row_label(window, 2) == "neuron 3"
    assert highlighted_headers(window) == [2]


def test_row_follows_layer_changes(make_window: WindowFactory) -> None:
    window = make_window(path=XOR)
    table = window.inspector.neurons.table
    click_neuron(window, "hidden 1", 3)
    assert selected_rows(window) == [3]

    # another layer: its table, with the clicked neuron's row
    click_neuron(window, "output", 0)
    assert window.inspector.layer_name == "output"
    assert table.rowCount() == 1
    assert selected_rows(window) == [0]

    # back to the first layer: only the newly clicked row
    click_neuron(window, "hidden 1", 1)
    assert window.inspector.layer_name == "hidden 1"
    assert table.currentRow() == 1
    assert selected_rows(window) == [1]
    assert highlighted_headers(window) == [1]

    # a click on the layer's body, between the caption and the first neuron,
    # keeps the layer and its row
    click(window.canvas, window.canvas.layer_item("hidden 1").body_scene_pos())
    assert selected_rows(window) == [1]

    # selecting a layer without clicking a neuron starts with no row selected
    click(window.canvas, window.canvas.layer_item("output").body_scene_pos())
    assert window.inspector.layer_name == "output"
    assert selected_rows(window) == []
    click(window.canvas, window.canvas.layer_item("hidden 1").body_scene_pos())
    assert window.inspector.layer_name == "hidden 1"
    assert selected_rows(window) == []
    assert highlighted_headers(window) == []


def test_row_kept_after_edit(make_window: WindowFactory) -> None:
    window = make_window(path=XOR)
    click_neuron(window, "hidden 1", 2)

    # the bias check box rebuilds the table through an undo command
    window.inspector.bias.click()
    assert not window.document.project.layer("hidden 1").bias
    assert selected_rows(window) == [2]
    assert highlighted_headers(window) == [2]

    window.undo_action.trigger()
    assert window.document.project.layer("hidden 1").bias
    assert selected_rows(window) == [2]


def test_drag_by_neuron_moves_layer(make_window: WindowFactory) -> None:
    window = make_window(path=XOR)
    item = window.canvas.layer_item("hidden 1")
    before = item.pos()
    start = item.neuron_scene_pos(1)

    drag(window.canvas, start, start + QPointF(0.0, 120.0))

    assert item.pos().y() > before.y() + 60
    assert window.inspector.layer_name == "hidden 1"
    # a drag is a move, not a click on the neuron
    assert selected_rows(window) == []


def test_far_neuron_scrolled_into_view(make_window: WindowFactory) -> None:
    window = make_window(path=XOR)
    click(window.canvas, window.canvas.layer_item("hidden 1").body_scene_pos())
    inspector = window.inspector
    inspector.units.setValue(12)
    assert window.document.project.layer("hidden 1").units == 12
    window.canvas.fit_all()
    scroll = window.findChild(QScrollArea, "scroll Layer")
    assert scroll is not None
    # From the one-row table of the output layer, so the panel grows with the click.
    click_neuron(window, "output", 0)
    assert scroll.verticalScrollBar().maximum() == 0

    click_neuron(window, "hidden 1", 10)

    table = inspector.neurons.table
    assert table.rowCount() == 12
    assert table.currentRow() == 10
    assert row_label(window, 10) == "neuron 11"
    # inside the table, which shows six rows at a time
    viewport = table.viewport()
    assert viewport.rect().contains(row_rect_in(window, 10, viewport))
    assert not viewport.rect().contains(row_rect_in(window, 0, viewport))
    # and inside the Layer panel, which now scrolls
    assert scroll.verticalScrollBar().maximum() > 0
    panel_viewport = scroll.viewport()
    assert panel_viewport.rect().contains(row_rect_in(window, 10, panel_viewport))
