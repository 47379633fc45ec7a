"""The decision boundary: the network's output as a heatmap over its two inputs.

A diverging blue-white-orange colormap puts white at 0.5, so the two classes
read as blue and orange (a pair colour-blind viewers tell apart), and the 0.5
isocurve draws the boundary itself. The data points use the same colours, so a
point whose colour differs from the ground under it is misclassified.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Slot
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QLabel, QStackedLayout, QWidget

from nnstudio.gui.plots.style import make_plot_widget
from nnstudio.project.boundary import Extent

# ColorBrewer PuOr's orange half with a blue in place of purple, white at 0.5.
BOUNDARY_COLORMAP = pg.ColorMap(
    pos=[0.0, 0.25, 0.5, 0.75, 1.0],
    color=["#2166ac", "#92c5de", "#ffffff", "#fdb863", "#e66101"],
)
OUTLINE = "#1a1a1a"
ISOCURVE_INTERVAL = 0.1  # seconds; an isocurve costs several ms, the image under one
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
        self.image_item.setColorMap(BOUNDARY_COLORMAP)
        item.addItem(self.image_item)
        self._isocurve = pg.IsocurveItem(
            level=0.5, pen=pg.mkPen(OUTLINE, width=2), axisOrder="row-major"
        )
        self._isocurve.setParentItem(self.image_item)
        # Cells where the output is NaN or infinite (a diverging run) in one marked colour.
        self.invalid_item = pg.ImageItem(axisOrder="row-major")
        self.invalid_item.setZValue(5)
        item.addItem(self.invalid_item)
        self._scatter = pg.ScatterPlotItem(size=16, pen=pg.mkPen(OUTLINE, width=2))
        self._scatter.setZValue(10)
        item.addItem(self._scatter)

        # the message shown in place of the plot without two inputs
        self._message = QLabel(NO_BOUNDARY_TEXT)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._pages = QStackedLayout(self)
        self._pages.addWidget(self.plot_widget)
        self._pages.addWidget(self._message)

        # The isocurve follows the image at most every ISOCURVE_INTERVAL; the timer
        # draws the last grid of a burst once the interval has passed.
        self._isocurve_timer = QTimer(self)
        self._isocurve_timer.setSingleShot(True)
        self._isocurve_timer.timeout.connect(self._on_isocurve_due)
        self._isocurve_drawn_at = -math.inf

        self._grid: NDArray[np.float32] | None = None
        self._extent: Extent | None = None

    def set_points(self, X: NDArray[np.floating], labels: NDArray[np.integer]) -> None:
        """Show the samples X (samples, features) at their first two inputs, coloured by class."""
        X = np.asarray(X, dtype=np.float64)
        labels = np.asarray(labels, dtype=np.int64)
        if X.ndim != 2 or X.shape[1] < 2 or len(X) == 0:
            self._scatter.clear()
            return
        classes = max(int(labels.max()) + 1, 2)
        brushes = [
            QBrush(BOUNDARY_COLORMAP.map(c / (classes - 1), mode="qcolor")) for c in range(classes)
        ]
        self._scatter.setData(x=X[:, 0], y=X[:, 1], brush=[brushes[c] for c in labels])

    def set_grid(self, grid: NDArray[np.floating] | None, extent: Extent | None) -> None:
        """Show ``grid`` (rows = y from y_min, columns = x from x_min) over ``extent``.

        Grid points lie on the extent's edges, as boundary_grid makes them, so
        each image pixel is centred on its grid point. None shows a message.
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

        wait = self._isocurve_drawn_at + ISOCURVE_INTERVAL - time.monotonic()
        if wait <= 0:
            self._draw_isocurve()
        elif not self._isocurve_timer.isActive():
            self._isocurve_timer.start(math.ceil(wait * 1000))

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

    def isocurve_data(self) -> NDArray[np.float32] | None:
        """Return the grid the 0.5 contour was last drawn from (for tests)."""
        data: NDArray[np.float32] | None = self._isocurve.data
        return data

    @Slot()
    def _on_isocurve_due(self) -> None:
        if self._grid is not None:
            self._draw_isocurve()

    def _draw_isocurve(self) -> None:
        self._isocurve_drawn_at = time.monotonic()
        # The contour of a grid with NaN (weights on their way to diverging) is undefined.
        grid = self._grid
        finite = grid is not None and bool(np.isfinite(grid).all())
        self._isocurve.setData(grid if finite else None)
