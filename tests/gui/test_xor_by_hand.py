"""The hand-set XOR example opened from the Examples menu, read as the user sees it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPointF

from nnstudio.gui.main_window import MainWindow

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]
# The four corners with their XOR class, and a point just outside each corner, on the
# same side of the boundary: the data point itself covers the corner's pixels.
CORNERS = [((0.0, 0.0), 0), ((0.0, 1.0), 1), ((1.0, 0.0), 1), ((1.0, 1.0), 0)]
OUTSIDE = 0.2


def open_example(window: MainWindow, name: str) -> None:
    (action,) = [a for a in window.files.examples_menu.actions() if a.text() == name]
    action.trigger()


def heatmap_color(window: MainWindow, x: float, y: float) -> tuple[int, int, int]:
    """Return the colour the decision-boundary heatmap paints at data point (x, y)."""
    image_item = window.boundary_plot.image_item
    image_item.render()
    qimage = image_item.qimage
    assert qimage is not None
    pixel = image_item.mapFromView(QPointF(x, y))
    color = qimage.pixelColor(int(pixel.x()), int(pixel.y()))
    return color.red(), color.green(), color.blue()


def test_opens_with_full_accuracy(make_window: WindowFactory) -> None:
    window = make_window()
    open_example(window, "xor-by-hand")

    assert window.weight_panel.accuracy_label.text() == "Accuracy 100%"
    assert window.weight_panel.loss_label.text() == "Loss 0"
    table = window.boundary_panel.confusion
    assert [table.item(row, 2).text() for row in range(2)] == ["100%", "100%"]
    assert window.document.project.history.loss.size == 0
    for (x, y), label in CORNERS:
        outside_x = x + (OUTSIDE if x else -OUTSIDE)
        outside_y = y + (OUTSIDE if y else -OUTSIDE)
        red, _green, blue = heatmap_color(window, outside_x, outside_y)
        # Class 1 is painted orange (red above blue), class 0 blue.
        assert (red > blue) == bool(label), (x, y, red, blue)


def test_train_gives_step_unit_message(
    make_window: WindowFactory, messages: list[tuple[str, str]]
) -> None:
    window = make_window()
    open_example(window, "xor-by-hand")

    window.training.train_action.trigger()

    assert len(messages) == 1
    title, text = messages[0]
    assert title == "Cannot train"
    assert "step activation" in text
    assert window.training.controller.state == "idle"
