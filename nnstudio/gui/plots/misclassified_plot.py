"""The misclassified plot: how many samples the perceptron rule got wrong in each epoch.

The count of an epoch is the number of samples whose output was wrong when the
rule reached them, so an epoch with a count of 0 changed no weight, and the rule
has converged. Below the plot, a line states the outcome of the last run.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike, NDArray
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPalette
from PySide6.QtWidgets import QVBoxLayout, QWidget

from nnstudio.engine.history import History
from nnstudio.gui.look import current_look
from nnstudio.gui.plots.style import make_plot_widget, pen, style_plot
from nnstudio.gui.wrapped_label import WrappedLabel

CURVE_COLOUR = "#0072b2"  # Okabe-Ito blue, as the loss curve
CONVERGED_COLOUR = "#009e73"  # Okabe-Ito bluish green
NOT_CONVERGED_COLOUR = "#b2182b"
# Above this many points, symbols would hide the line and slow the drawing.
MAX_SYMBOLS = 400
SYMBOL_SIZE = 6  # pixels in the normal look
MIN_PLOT_HEIGHT = 100  # pixels, so that the outcome's lines never squeeze the plot away
TOP_MARGIN = 10  # pixels above the plot in the normal look, as make_plot_widget leaves


class MisclassifiedPlot(QWidget):
    """A pyqtgraph plot of misclassified samples per epoch, with whole numbers on the y axis.

    The counts are kept in a bounded History (engine/history.py) in place of a
    loss. A long run keeps every epoch's count up to the history's capacity, and
    past it each bucket's lowest and highest count, so an epoch of 0 survives.
    The y axis runs from 0 to the number of samples.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

        # plot and curve, created once and updated in place
        self.plot_widget = make_plot_widget("epoch", "misclassified")
        self.plot_widget.setMinimumHeight(MIN_PLOT_HEIGHT)
        item = self.plot_widget.getPlotItem()
        item.setAxisItems({side: WholeNumberAxis(side) for side in ("left", "bottom")})
        item.setLabel("bottom", "epoch")
        item.setLabel("left", "misclassified")
        # The count differs from the accuracy of the confusion matrix, which uses the
        # weights at the end of the epoch; say so where the user reads the curve.
        self.plot_widget.setToolTip(
            "Samples the rule got wrong during each epoch, counted when it reached each "
            "one and before it corrected the weights. The confusion matrix and the "
            "accuracy use the weights at the end of the epoch, so they can differ."
        )
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setMouseEnabled(x=True, y=False)
        self._curve = item.plot(pen=pen(CURVE_COLOUR, 2))
        self._curve.setDownsampling(auto=True, method="peak")
        self._curve.setClipToView(True)

        # Outcome of the last run. Bold and colour are set as a font and a palette
        # role, not a style sheet, because a label with a style sheet keeps its font
        # when the window's font grows in presentation mode.
        self.outcome_label = WrappedLabel()
        self.outcome_label.setObjectName("perceptronOutcome")
        bold = QFont()
        bold.setBold(True)
        self.outcome_label.setFont(bold)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.outcome_label)

        self._counts = History()
        self.set_sample_count(1)
        self.restyle()

    def restyle(self) -> None:
        """Draw again in the current look: axis fonts, curve width and room for the top label."""
        style_plot(self.plot_widget)
        self._curve.setPen(pen(CURVE_COLOUR, 2))
        self._curve.setSymbolSize(SYMBOL_SIZE * current_look().scale)

        # A tick label is centred on its tick, and the top tick (the sample count)
        # sits a few pixels below the top of the plot. Up to half of its label
        # therefore reaches above the plot, and the margin there must hold that half.
        item = self.plot_widget.getPlotItem()
        left, _top, right, bottom = item.layout.getContentsMargins()
        overhang = math.ceil(item.getAxis("left").label_overhang())
        item.layout.setContentsMargins(left, max(TOP_MARGIN, overhang + 2), right, bottom)

    def set_sample_count(self, samples: int) -> None:
        """Fit the y axis to 0 .. ``samples``, the range every count lies in."""
        self.plot_widget.getPlotItem().setYRange(0, max(1, samples), padding=0.05)

    def clear(self) -> None:
        """Remove every count and the outcome."""
        self._counts = History()
        self.set_outcome("")
        self._redraw()

    def append(self, last_epoch: int, counts: ArrayLike) -> None:
        """Add the counts of the epochs that end with epoch ``last_epoch``, one per epoch."""
        values = np.asarray(counts, dtype=np.float64).ravel()
        if len(values) == 0:
            return
        first = last_epoch - len(values) + 1
        if first <= self._counts.epoch_count:
            # Epochs already shown were trained again (after an undo): forget the old ones.
            self.keep_until(first - 1)
        epochs = np.arange(first, last_epoch + 1, dtype=np.int64)
        self._counts.extend(values, np.full(len(values), math.nan), epochs=epochs)
        self._redraw()

    def keep_until(self, epoch: int) -> bool:
        """Drop the counts of the epochs after ``epoch``; return True when some were dropped."""
        if self._counts.epoch_count <= epoch:
            return False
        earlier = self._counts.epochs <= epoch
        counts = History()
        counts.extend(
            self._counts.loss[earlier],
            self._counts.accuracy[earlier],
            epochs=self._counts.epochs[earlier],
        )
        self._counts = counts
        self._redraw()
        return True

    def curve_data(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Return copies of the epoch numbers and the misclassified counts the curve holds."""
        return self._counts.epochs.copy(), self._counts.loss.astype(np.int64)

    def set_outcome(self, text: str, converged: bool = False) -> None:
        """Show ``text`` below the plot, in green for a run that converged."""
        colour = CONVERGED_COLOUR if converged else NOT_CONVERGED_COLOUR
        palette = self.outcome_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(colour))
        self.outcome_label.setPalette(palette)
        self.outcome_label.setText(text)
        self.outcome_label.setVisible(bool(text))

    def outcome(self) -> str:
        return self.outcome_label.text()

    def _redraw(self) -> None:
        epochs, counts = self._counts.epochs, self._counts.loss
        symbol = "o" if len(epochs) <= MAX_SYMBOLS else None
        self._curve.setSymbol(symbol)
        self._curve.setSymbolBrush(CURVE_COLOUR)
        self._curve.setSymbolPen(CURVE_COLOUR)
        self._curve.setData(epochs.astype(np.float64), counts)


class WholeNumberAxis(pg.AxisItem):  # type: ignore[misc]
    """An axis with ticks only at whole numbers: epochs and sample counts have no fractions."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        # pyqtgraph offers spacings of 1, 2 or 5 times a power of ten, coarsest first.
        levels = super().tickSpacing(minVal, maxVal, size)
        whole = [(spacing, offset) for spacing, offset in levels if spacing >= 1]
        return whole or [(1.0, 0.0)]

    def label_overhang(self) -> float:
        """Return how far a tick label centred on the axis's end reaches past it, in pixels."""
        font = self.style["tickFont"] or self.font()
        return QFontMetricsF(font).height() / 2

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        # With the grid shown, pyqtgraph bounds a vertical axis by the view box and
        # hides every tick label that leaves those bounds, such as the labels of 0
        # and of the sample count near the ends once the font grows. Extending the
        # bounds by half a label keeps them. Below, the corner left of the epoch axis
        # is free, and above, the plot's top margin (see restyle) leaves them room.
        rect: QRectF = super().boundingRect()
        if self.orientation == "left":
            overhang = self.label_overhang()
            rect = rect.adjusted(0, -overhang, 0, overhang)
        return rect
