"""The look the live plots share: white background, dark readable axes, plain numbers."""

from __future__ import annotations

import pyqtgraph as pg

AXIS_COLOUR = "#333333"  # dark enough for a projector; pyqtgraph's default grey fades


def make_plot_widget(x_label: str, y_label: str) -> pg.PlotWidget:
    """Return a PlotWidget with labelled axes that show plain numbers (no "x0.001" factor)."""
    widget = pg.PlotWidget(background="w")
    item = widget.getPlotItem()
    # room above and right of the axes, so a tick label at the very end shows whole
    item.layout.setContentsMargins(2, 10, 12, 2)
    for side, label in (("bottom", x_label), ("left", y_label)):
        axis = item.getAxis(side)
        axis.setPen(AXIS_COLOUR)
        axis.setTextPen(AXIS_COLOUR)
        axis.enableAutoSIPrefix(False)
        item.setLabel(side, label)
    return widget
