"""The loss curves: training and validation loss per finished epoch, growing live while training.

The validation curve, dashed, and the legend show only while some epoch has a
validation loss, which is NaN for epochs trained without a validation set.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from nnstudio.engine.training import History
from nnstudio.gui.plots import style
from nnstudio.gui.plots.style import AXIS_COLOUR, make_plot_widget

CURVE_COLOUR = "#0072b2"  # Okabe-Ito blue, readable on a projector
VALIDATION_COLOUR = "#d55e00"  # Okabe-Ito vermillion, apart from blue for colour-blind viewers
TRAINING_NAME = "training loss"
VALIDATION_NAME = "validation loss"


class LossPlot(QWidget):
    """A pyqtgraph plot of the training and validation loss per epoch, with a log-scale check box.

    The points are the entries of a bounded History, each at its epoch number:
    every epoch up to the history's capacity, then the first and latest epoch
    and each bucket's min and max loss. Peak downsampling with clip-to-view
    keeps drawing them cheap.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

        # plot, curves and legend, created once and updated in place
        self.plot_widget = make_plot_widget("epoch", "loss")
        item = self.plot_widget.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.2)
        self._curve = item.plot(pen=pg.mkPen(CURVE_COLOUR, width=1))
        dashed = pg.mkPen(VALIDATION_COLOUR, width=1, style=Qt.PenStyle.DashLine)
        self._validation_curve = item.plot(pen=dashed)
        for curve in (self._curve, self._validation_curve):
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
        self.legend = pg.LegendItem(offset=(-10, 10), labelTextColor=AXIS_COLOUR)
        self.legend.setParentItem(item.vb)
        self.legend.addItem(self._curve, TRAINING_NAME)
        self.legend.addItem(self._validation_curve, VALIDATION_NAME)
        self.legend.setVisible(False)

        # log scale switch
        self.log_check = QCheckBox("Log scale")
        self.log_check.setToolTip("Show the loss on a logarithmic axis, so late small gains show")
        self.log_check.toggled.connect(self._on_log_scale_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.plot_widget)
        layout.addWidget(self.log_check)

        # The curves' data: a bounded History, downsampled as engine/history.py
        # describes, so a run of a million epochs draws at most its capacity of points.
        self._shown = History()

    def set_history(self, history: History) -> None:
        """Show ``history`` in place of whatever the plot showed."""
        self._shown = history.copy()
        self._redraw()

    def append(
        self,
        loss: NDArray[np.floating],
        validation_loss: NDArray[np.floating] | None = None,
        epochs: NDArray[np.integer] | None = None,
    ) -> None:
        """Add the losses of the epochs that followed the ones shown.

        ``validation_loss`` has one value per value of ``loss``, NaN for an epoch
        without a validation set; None means no validation set at all.
        ``epochs`` numbers the values; None means the epochs right after those shown.
        """
        loss = np.asarray(loss, dtype=np.float64).ravel()
        validation = () if validation_loss is None else validation_loss
        self._shown.extend(loss, np.full(len(loss), np.nan), validation, epochs)
        self._redraw()

    def curve_data(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return copies of the epoch numbers and losses the training curve holds."""
        return self._shown.epochs.astype(np.float64), self._shown.loss.copy()

    def validation_curve_data(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return the epochs and validation losses the dashed curve shows; empty when hidden."""
        if not self.has_validation():
            return np.zeros(0), np.zeros(0)
        return self._shown.epochs.astype(np.float64), self._shown.validation_loss.copy()

    def has_validation(self) -> bool:
        """Return True while some epoch shown has a validation loss."""
        return bool(np.any(np.isfinite(self._shown.validation_loss)))

    def restyle(self) -> None:
        """Draw again in the current look: axis fonts and curve widths."""
        style.style_plot(self.plot_widget)
        self._curve.setPen(style.pen(CURVE_COLOUR, 1))
        self._validation_curve.setPen(style.pen(VALIDATION_COLOUR, 1, style=Qt.PenStyle.DashLine))

    def set_log_scale(self, on: bool) -> None:
        self.log_check.setChecked(on)  # the check box's handler switches the axis

    def is_log_scale(self) -> bool:
        return bool(self.plot_widget.getPlotItem().getAxis("left").logMode)

    @Slot(bool)
    def _on_log_scale_changed(self, on: bool) -> None:
        self.plot_widget.getPlotItem().setLogMode(x=False, y=on)

    def _redraw(self) -> None:
        # pyqtgraph skips non-finite points (and zeros on a log axis) when it draws.
        epochs = self._shown.epochs
        self._curve.setData(epochs, self._shown.loss)
        shown = self.has_validation()
        if shown:
            self._validation_curve.setData(epochs, self._shown.validation_loss)
        elif self._validation_curve.isVisible():
            self._validation_curve.setData([], [])
        self._validation_curve.setVisible(shown)
        self.legend.setVisible(shown)

        # Fit the axes to the new data now rather than when the view paints: a
        # range changed during the paint costs a second paint of the whole plot.
        # (Without auto-range, after the user zoomed, this changes nothing.)
        self.plot_widget.getPlotItem().getViewBox().prepareForPaint()
