"""The decision boundary: the network's output as a heatmap over its two inputs.

A diverging colormap of the current palette (blue-white-orange by default)
puts white at 0.5, so the two classes read as two colours that colour-blind
viewers tell apart, and the 0.5
contour draws the boundary itself. The data points use the same colours, so a
point whose colour differs from the ground under it is misclassified.

The contour is a set of straight segments (project/contour.py). The training
worker sends them with each grid, so during a run the GUI thread only turns
them into a path. For any other grid the plot computes the contour itself.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QLabel, QStackedLayout, QWidget

from nnstudio.gui.look import current_look
from nnstudio.gui.plots import style
from nnstudio.gui.plots.style import make_plot_widget
from nnstudio.project.boundary import BOUNDARY_LEVEL, Extent
from nnstudio.project.contour import contour_segments

# The default palette's colormap; the plot draws with style.boundary_colormap().
BOUNDARY_COLORMAP = style.boundary_colormap()
OUTLINE = "#1a1a1a"
POINT_SIZE = 16  # pixels across a data point in the normal look
HALO_WIDTH = 6  # pixels the white ring under a point adds to its diameter
NO_BOUNDARY_TEXT = "The decision boundary needs exactly two inputs"


# Magenta is far from the blue-white-orange map, so invalid cells stand out.
INVALID_RGBA = (204, 0, 204, 255)


class BoundaryPlot(QWidget):
    """A heatmap of the output over the input plane, its 0.5 contour, and the data points."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

        # plot and items, created once and updated in place
        self.plot_widget = make_plot_widget("x₁", "x₂")
        item = self.plot_widget.getPlotItem()
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setColorMap(style.boundary_colormap())
        item.addItem(self.image_item)
        # A child of the image, in its pixel units: grid point (i, j) is the centre
        # of pixel (j, i), so the contour's grid-index points move by half a pixel.
        self._contour_item = QGraphicsPathItem(self.image_item)
        self._contour_item.setPos(0.5, 0.5)
        self._contour_item.setPen(_contour_pen())
        # Cells where the output is NaN or infinite (a diverging run) in one marked colour.
        self.invalid_item = pg.ImageItem(axisOrder="row-major")
        self.invalid_item.setZValue(5)
        item.addItem(self.invalid_item)
        self._scatter = pg.ScatterPlotItem(size=POINT_SIZE, pen=style.pen(OUTLINE, 2))
        self._scatter.setZValue(10)
        item.addItem(self._scatter)
        # A white ring under each point: a point has its class's colour, which is also
        # the ground's colour where it is classified right, and would read as a hole.
        self._halo = pg.ScatterPlotItem(size=POINT_SIZE + HALO_WIDTH, pen=None, brush="w")
        self._halo.setZValue(9)
        item.addItem(self._halo)

        # the message shown in place of the plot without two inputs
        self._message = QLabel(NO_BOUNDARY_TEXT)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._pages = QStackedLayout(self)
        self._pages.addWidget(self.plot_widget)
        self._pages.addWidget(self._message)

        self._grid: NDArray[np.float32] | None = None
        self._extent: Extent | None = None
        self._contour = np.zeros((0, 2, 2))
        self._points: tuple[NDArray[np.float64], NDArray[np.int64]] | None = None

    def restyle(self) -> None:
        """Draw again in the current look: palette, axis fonts and line widths."""
        style.style_plot(self.plot_widget)
        self.image_item.setColorMap(style.boundary_colormap())
        self._contour_item.setPen(_contour_pen())
        self._scatter.setPen(style.pen(OUTLINE, 2))
        self._scatter.setSize(POINT_SIZE * current_look().scale)
        self._halo.setSize((POINT_SIZE + HALO_WIDTH) * current_look().scale)
        if self._points is not None:
            self.set_points(*self._points)

    def set_points(self, X: NDArray[np.floating], labels: NDArray[np.integer]) -> None:
        """Show the samples X (samples, features) at their first two inputs, coloured by class."""
        X = np.asarray(X, dtype=np.float64)
        labels = np.asarray(labels, dtype=np.int64)
        self._points = (X, labels)
        if X.ndim != 2 or X.shape[1] < 2 or len(X) == 0:
            self._scatter.clear()
            self._halo.clear()
            return
        classes = max(int(labels.max()) + 1, 2)
        colormap = style.boundary_colormap()
        brushes = [QBrush(colormap.map(c / (classes - 1), mode="qcolor")) for c in range(classes)]
        self._scatter.setData(x=X[:, 0], y=X[:, 1], brush=[brushes[c] for c in labels])
        self._halo.setData(x=X[:, 0], y=X[:, 1])

    def set_grid(
        self,
        grid: NDArray[np.floating] | None,
        extent: Extent | None,
        contour: NDArray[np.float64] | None = None,
    ) -> None:
        """Show ``grid`` (rows = y from y_min, columns = x from x_min) over ``extent``.

        Grid points lie on the extent's edges, as boundary_grid makes them, so
        each image pixel is centred on its grid point. None shows a message.
        ``contour`` is contour_segments(grid, BOUNDARY_LEVEL) when the caller has
        it already; None computes it here.
        """
        if grid is None or extent is None:
            self._grid = None
            self._pages.setCurrentWidget(self._message)
            return
        self._pages.setCurrentWidget(self.plot_widget)

        grid = np.ascontiguousarray(grid, dtype=np.float32)
        rows, cols = grid.shape
        x_min, x_max, y_min, y_max = extent
        dx = (x_max - x_min) / max(cols - 1, 1)
        dy = (y_max - y_min) / max(rows - 1, 1)
        rect = QRectF(x_min - dx / 2, y_min - dy / 2, cols * dx, rows * dy)
        self.image_item.setImage(grid, autoLevels=False, levels=(0.0, 1.0), rect=rect)
        self._mark_invalid(grid, rect)
        if extent != self._extent:
            self.plot_widget.getPlotItem().setRange(rect=rect, padding=0)
        self._grid, self._extent = grid, extent
        self._draw_contour(grid, contour)

    def _mark_invalid(self, grid: NDArray[np.float32], rect: QRectF) -> None:
        invalid = ~np.isfinite(grid)
        if not invalid.any():
            self.invalid_item.hide()
            return
        overlay = np.zeros((*grid.shape, 4), dtype=np.uint8)
        overlay[invalid] = INVALID_RGBA
        self.invalid_item.setImage(overlay, autoLevels=False, levels=(0, 255), rect=rect)
        self.invalid_item.show()

    def value_at(self, x: float, y: float) -> float:
        """Return the grid value the image shows at data point (x, y); NaN outside it."""
        if self._grid is None:
            return math.nan
        pixel = self.image_item.mapFromView(QPointF(x, y))
        row, col = math.floor(pixel.y()), math.floor(pixel.x())
        rows, cols = self._grid.shape
        if not (0 <= row < rows and 0 <= col < cols):
            return math.nan
        return float(self._grid[row, col])

    def contour(self) -> NDArray[np.float64]:
        """Return the segments the 0.5 contour shows, in grid-index units (see contour.py)."""
        return self._contour.copy()

    def _draw_contour(self, grid: NDArray[np.float32], contour: NDArray[np.float64] | None) -> None:
        # The contour of a grid with NaN (weights on their way to diverging) is undefined.
        if not np.isfinite(grid).all():
            contour = np.zeros((0, 2, 2))
        elif contour is None:
            contour = contour_segments(grid, BOUNDARY_LEVEL)
        self._contour = contour
        points = contour.reshape(-1, 2)
        path = (
            pg.arrayToQPath(points[:, 0], points[:, 1], connect="pairs", finiteCheck=False)
            if len(points)
            else QPainterPath()
        )
        self._contour_item.setPath(path)


def _contour_pen() -> QPen:
    # Round caps join the separate segments as smoothly as one line would.
    pen: QPen = style.pen(OUTLINE, 2)  # type: ignore[assignment]
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen
