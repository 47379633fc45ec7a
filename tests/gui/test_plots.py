"""The loss curve and the decision-boundary plot, checked by what they show."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage

from nnstudio.engine.training import History
from nnstudio.gui.plots.boundary_plot import NO_BOUNDARY_TEXT, BoundaryPlot
from nnstudio.gui.plots.loss_plot import LossPlot
from nnstudio.project.contour import contour_segments

WAIT_MS = 5000


@pytest.fixture
def loss_plot(qtbot) -> LossPlot:
    plot = LossPlot()
    qtbot.addWidget(plot)
    return plot


@pytest.fixture
def boundary_plot(qtbot) -> BoundaryPlot:
    plot = BoundaryPlot()
    qtbot.addWidget(plot)
    plot.resize(400, 400)
    plot.show()
    qtbot.waitExposed(plot)
    return plot


# loss curve


def test_set_history_shows_every_epoch(loss_plot):
    loss = [0.5, 0.25, 0.125, 0.1]
    loss_plot.set_history(History(loss, [0.5] * 4))
    x, y = loss_plot.curve_data()
    np.testing.assert_array_equal(x, [1, 2, 3, 4])
    np.testing.assert_array_equal(y, loss)


def test_append_grows_the_curve_past_its_first_buffer(loss_plot):
    loss_plot.set_history(History([1.0, 0.9], [0.5, 0.5]))
    chunks = [np.linspace(0.8, 0.1, 700), np.linspace(0.1, 0.01, 700)]
    for chunk in chunks:
        loss_plot.append(chunk)
    x, y = loss_plot.curve_data()
    np.testing.assert_array_equal(y, np.concatenate([[1.0, 0.9], *chunks]))
    np.testing.assert_array_equal(x, np.arange(1, 1403))
    # the curve item holds the filled part only, not the spare buffer
    shown_x, _ = loss_plot.plot_widget.getPlotItem().listDataItems()[0].getOriginalDataset()
    assert len(shown_x) == 1402


def test_set_history_replaces_what_was_shown(loss_plot):
    loss_plot.append(np.ones(50))
    loss_plot.set_history(History([0.3], [np.nan]))
    np.testing.assert_array_equal(loss_plot.curve_data()[1], [0.3])
    loss_plot.set_history(History())
    assert len(loss_plot.curve_data()[0]) == 0


def test_log_scale_follows_the_check_box(qtbot, loss_plot):
    assert loss_plot.log_check.text() == "Log scale"
    loss_plot.set_log_scale(True)
    assert loss_plot.log_check.isChecked()
    assert loss_plot.is_log_scale()
    loss_plot.show()
    qtbot.waitExposed(loss_plot)
    box = loss_plot.log_check
    indicator = QPoint(8, box.height() // 2)  # the box stretches; its label does not
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=indicator)
    assert not loss_plot.log_check.isChecked()
    assert not loss_plot.is_log_scale()


def test_axis_labels(loss_plot):
    item = loss_plot.plot_widget.getPlotItem()
    assert item.getAxis("bottom").labelText == "epoch"
    assert item.getAxis("left").labelText == "loss"


@pytest.mark.parametrize("log_scale", [False, True])
def test_non_finite_and_zero_losses_do_not_break_the_plot(qtbot, loss_plot, log_scale):
    loss_plot.resize(400, 300)
    loss_plot.show()
    qtbot.waitExposed(loss_plot)
    loss_plot.set_log_scale(log_scale)
    loss_plot.append(np.array([0.5, np.nan, np.inf, 0.0, 0.25]))
    image = loss_plot.grab().toImage()
    assert not image.isNull()
    assert len(loss_plot.curve_data()[1]) == 5
    (x_low, x_high), (y_low, y_high) = loss_plot.plot_widget.getPlotItem().viewRange()
    assert np.isfinite([x_low, x_high, y_low, y_high]).all()


# decision boundary


def _grid(rows: int, cols: int) -> np.ndarray:
    return (np.arange(rows * cols, dtype=np.float32) / (rows * cols)).reshape(rows, cols)


def _colour_at(plot: BoundaryPlot, image: QImage, x: float, y: float) -> QColor:
    """The colour the widget shows at data point (x, y)."""
    view = plot.plot_widget
    scene = view.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
    pixel = view.mapTo(plot, view.mapFromScene(scene))
    return image.pixelColor(pixel)


def test_value_at_reads_the_grid_point_nearest_to_a_data_point(boundary_plot):
    grid = _grid(5, 9)  # x from -1 to 3 in steps of 0.5, y from 0 to 2 in steps of 0.5
    boundary_plot.set_grid(grid, (-1.0, 3.0, 0.0, 2.0))
    assert boundary_plot.value_at(-1.0, 0.0) == grid[0, 0]
    assert boundary_plot.value_at(3.0, 0.0) == grid[0, 8]
    assert boundary_plot.value_at(-1.0, 2.0) == grid[4, 0]
    assert boundary_plot.value_at(3.0, 2.0) == grid[4, 8]
    assert boundary_plot.value_at(0.2, 1.1) == grid[2, 2]  # nearest: x = 0, y = 1
    assert boundary_plot.value_at(0.26, 0.74) == grid[1, 3]  # nearest: x = 0.5, y = 0.5
    assert np.isnan(boundary_plot.value_at(3.3, 1.0))  # outside the image


def test_the_image_shows_0_blue_0_5_white_and_1_orange(qtbot, boundary_plot):
    grid = np.zeros((50, 50), dtype=np.float32)
    grid[:, 25:] = 1.0
    grid[40:, :] = 0.5  # a white band along the top
    boundary_plot.set_grid(grid, (0.0, 1.0, 0.0, 1.0))
    qtbot.wait(50)
    image = boundary_plot.grab().toImage()

    low = _colour_at(boundary_plot, image, 0.2, 0.3)
    high = _colour_at(boundary_plot, image, 0.8, 0.3)
    middle = _colour_at(boundary_plot, image, 0.5, 0.95)
    assert boundary_plot.value_at(0.2, 0.3) == 0.0
    assert boundary_plot.value_at(0.8, 0.3) == 1.0
    assert low.blue() > low.red() + 80  # blue
    assert high.red() > high.blue() + 80  # orange
    assert min(middle.red(), middle.green(), middle.blue()) > 240  # white


def test_points_are_coloured_by_class(qtbot, boundary_plot):
    boundary_plot.set_grid(np.full((10, 10), 0.5, np.float32), (-0.5, 1.5, -0.5, 1.5))
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    boundary_plot.set_points(X, np.array([0, 1]))
    qtbot.wait(50)
    image = boundary_plot.grab().toImage()
    class_0 = _colour_at(boundary_plot, image, 0.0, 0.0)
    class_1 = _colour_at(boundary_plot, image, 1.0, 1.0)
    assert class_0.blue() > class_0.red() + 80
    assert class_1.red() > class_1.blue() + 80


def test_point_keeps_white_ring_on_its_own_colour(qtbot, boundary_plot):
    # Ground of output 0 (blue) under a class-0 point: the point must still stand out.
    boundary_plot.set_grid(np.zeros((10, 10), np.float32), (-0.5, 1.5, -0.5, 1.5))
    boundary_plot.set_points(np.array([[0.5, 0.5]]), np.array([0]))
    qtbot.wait(50)
    image = boundary_plot.grab().toImage()
    centre = boundary_plot.plot_widget.getPlotItem().vb.mapViewToScene(QPointF(0.5, 0.5))
    x, y = round(centre.x()), round(centre.y())

    # Just outside the black outline lies the white ring, whiter than the blue ground.
    ring = max((image.pixelColor(x + dx, y) for dx in range(9, 13)), key=lambda c: c.lightness())
    ground = image.pixelColor(x + 30, y)
    assert ring.lightness() > 230
    assert ground.lightness() < 200


def test_without_a_grid_the_plot_gives_way_to_a_message(boundary_plot):
    boundary_plot.set_grid(None, None)
    assert boundary_plot.findChild(type(boundary_plot._message)).text() == NO_BOUNDARY_TEXT
    assert boundary_plot._message.isVisible()
    assert not boundary_plot.plot_widget.isVisible()
    assert np.isnan(boundary_plot.value_at(0.0, 0.0))

    boundary_plot.set_grid(_grid(4, 4), (0.0, 1.0, 0.0, 1.0))
    assert boundary_plot.plot_widget.isVisible()
    assert not boundary_plot._message.isVisible()


def test_axis_labels_and_image_settings(boundary_plot):
    item = boundary_plot.plot_widget.getPlotItem()
    assert item.getAxis("bottom").labelText == "x₁"
    assert item.getAxis("left").labelText == "x₂"
    boundary_plot.set_grid(_grid(4, 4), (0.0, 1.0, 0.0, 1.0))
    image = boundary_plot.image_item
    assert image.axisOrder == "row-major"
    assert tuple(image.getLevels()) == (0.0, 1.0)


def test_image_and_contour_follow_every_grid(qtbot, boundary_plot):
    extent = (0.0, 1.0, 0.0, 1.0)  # 20 grid points across: x = column / 19
    for column in range(1, 19):
        grid = np.zeros((20, 20), np.float32)
        grid[:, column:] = 1.0
        boundary_plot.set_grid(grid, extent)
        assert boundary_plot.image_item.image is not None
        np.testing.assert_array_equal(boundary_plot.image_item.image, grid)
        # the 0.5 line runs halfway between the last 0 column and the first 1 column
        np.testing.assert_array_equal(boundary_plot.contour()[:, :, 0], column - 0.5)

    # The line is drawn there: dark on the line, the colour of class 0 beside it.
    qtbot.wait(50)
    image = boundary_plot.grab().toImage()
    on_line = _colour_at(boundary_plot, image, (18 - 0.5) / 19, 0.5)
    beside = _colour_at(boundary_plot, image, (18 - 3) / 19, 0.5)
    assert max(on_line.red(), on_line.green(), on_line.blue()) < 80
    assert beside.blue() > beside.red() + 80


def test_a_contour_sent_with_the_grid_is_drawn_as_sent(boundary_plot):
    grid = np.zeros((10, 10), np.float32)
    grid[:, 5:] = 1.0
    sent = np.array([[[4.5, -0.5], [4.5, 9.5]]])
    boundary_plot.set_grid(grid, (0.0, 1.0, 0.0, 1.0), sent)
    np.testing.assert_array_equal(boundary_plot.contour(), sent)


def test_a_grid_with_nan_does_not_break_the_plot(qtbot, boundary_plot):
    grid = _grid(10, 10)
    grid[3:6, 3:6] = np.nan
    boundary_plot.set_grid(grid, (0.0, 1.0, 0.0, 1.0))
    qtbot.wait(150)
    boundary_plot.set_grid(grid, (0.0, 1.0, 0.0, 1.0))
    assert not boundary_plot.grab().toImage().isNull()
    assert np.isnan(boundary_plot.value_at(0.4, 0.4))


def test_contour_matches_pyqtgraphs_isocurve_on_a_smooth_grid():
    # pyqtgraph's own marching squares, an independent implementation, on a grid
    # without saddle cells (where the two may resolve a cell differently).
    rows, columns = np.mgrid[0:60, 0:80]
    grid = 1 / (1 + np.exp(-(3 * np.sin(columns / 9) + (rows - 30) / 8)))
    reference = pg.functions.isocurve(grid.T, 0.5, connected=False, extendToEdge=True)
    # pyqtgraph puts grid point (i, j) at (j + 0.5, i + 0.5), the centre of its pixel.
    expected = sorted(
        tuple(sorted((round(x - 0.5, 9), round(y - 0.5, 9)) for x, y in pair)) for pair in reference
    )
    got = sorted(
        tuple(sorted((round(x, 9), round(y, 9)) for x, y in segment))
        for segment in contour_segments(grid, 0.5)
    )
    assert len(got) > 100
    assert got == expected
