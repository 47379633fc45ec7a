"""The loss curve: one value per finished epoch, growing live while training runs."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from nnstudio.engine.training import History
from nnstudio.gui.plots.style import make_plot_widget

INITIAL_CAPACITY = 1024
CURVE_COLOUR = "#0072b2"  # Okabe-Ito blue, readable on a projector


class LossPlot(QWidget):
    """A pyqtgraph plot of the loss per epoch, with a log-scale check box.

    The epochs live in preallocated buffers that double when full; only the
    filled part goes to setData, and peak downsampling with clip-to-view keep
    long runs cheap to draw.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

        # plot and curve, created once and updated in place
        self.plot_widget = make_plot_widget("epoch", "loss")
        item = self.plot_widget.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.2)
        self._curve = item.plot(pen=pg.mkPen(CURVE_COLOUR, width=1))
        self._curve.setDownsampling(auto=True, method="peak")
        self._curve.setClipToView(True)

        # log scale switch
        self.log_check = QCheckBox("Log scale")
        self.log_check.toggled.connect(self._on_log_scale_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.plot_widget)
        layout.addWidget(self.log_check)

        self._epochs = np.zeros(0)
        self._loss = np.zeros(0)
        self._count = 0
        self._reserve(INITIAL_CAPACITY)

    def set_history(self, history: History) -> None:
        """Show ``history`` in place of whatever the plot showed."""
        self._count = 0
        self.append(np.asarray(history.loss, dtype=np.float64))

    def append(self, loss: NDArray[np.floating]) -> None:
        """Add the losses of the epochs that followed the ones shown."""
        loss = np.asarray(loss, dtype=np.float64).ravel()
        start, end = self._count, self._count + len(loss)
        if end > len(self._loss):
            self._reserve(max(end, 2 * len(self._loss)))
        self._loss[start:end] = loss
        self._count = end
        self._redraw()

    def curve_data(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return copies of the epochs (1, 2, ...) and losses the curve holds."""
        return self._epochs[: self._count].copy(), self._loss[: self._count].copy()

    def set_log_scale(self, on: bool) -> None:
        self.log_check.setChecked(on)  # the check box's handler switches the axis

    def is_log_scale(self) -> bool:
        return bool(self.plot_widget.getPlotItem().getAxis("left").logMode)

    @Slot(bool)
    def _on_log_scale_changed(self, on: bool) -> None:
        self.plot_widget.getPlotItem().setLogMode(x=False, y=on)

    def _reserve(self, capacity: int) -> None:
        loss = np.empty(capacity)
        loss[: self._count] = self._loss[: self._count]
        self._loss = loss
        self._epochs = np.arange(1, capacity + 1, dtype=np.float64)

    def _redraw(self) -> None:
        # pyqtgraph skips non-finite points (and zeros on a log axis) when it draws.
        self._curve.setData(self._epochs[: self._count], self._loss[: self._count])
