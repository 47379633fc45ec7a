"""The look the live plots share: white background, dark readable axes, plain numbers.

Fonts, pen widths and the heatmap colormap come from the current look
(nnstudio.gui.look), so presentation mode and the palette setting reach every
plot that is restyled with ``style_plot`` and builds its pens with ``pen``.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFont

from nnstudio.gui.look import current_look
from nnstudio.gui.plots.axis import fast_grid_axes

AXIS_COLOUR = "#333333"  # dark enough for a projector; pyqtgraph's default grey fades
HIGH_CONTRAST_AXIS_COLOUR = "#000000"
TICK_POINT_SIZE = 9.0  # pyqtgraph draws ticks in the application font, about 9 pt on Linux
LABEL_POINT_SIZE = 10.0
AXIS_WIDTH = 1.0


def make_plot_widget(x_label: str, y_label: str) -> pg.PlotWidget:
    """Return a PlotWidget with labelled axes that show plain numbers (no "x0.001" factor)."""
    # Axes that draw their grid lines fast (axis.py), with the same pixels.
    widget = pg.PlotWidget(background="w", axisItems=fast_grid_axes())
    item = widget.getPlotItem()
    # room above and right of the axes, so a tick label at the very end shows whole
    item.layout.setContentsMargins(2, 10, 12, 2)
    for side, label in (("bottom", x_label), ("left", y_label)):
        axis = item.getAxis(side)
        axis.enableAutoSIPrefix(False)
        item.setLabel(side, label)
    style_plot(widget)
    return widget


def style_plot(widget: pg.PlotWidget) -> None:
    """Set the axis colours, widths and fonts of ``widget`` from the current look."""
    look = current_look()
    colour = HIGH_CONTRAST_AXIS_COLOUR if look.high_contrast else AXIS_COLOUR
    tick_font = QFont()
    tick_font.setPointSizeF(look.point_size(TICK_POINT_SIZE))
    item = widget.getPlotItem()
    for side in ("bottom", "left"):
        axis = item.getAxis(side)
        axis.setPen(pg.mkPen(colour, width=look.line_width(AXIS_WIDTH)))
        axis.setTextPen(colour)
        axis.setTickFont(tick_font)
        # setLabel keeps the text and replaces the style of the label's HTML.
        size = f"{look.point_size(LABEL_POINT_SIZE):g}pt"
        axis.setLabel(axis.labelText, units=axis.labelUnits, color=colour, **{"font-size": size})


def pen(colour: str, width: float = 1.0, **options: object) -> object:
    """Return a pyqtgraph pen ``width`` pixels wide in the normal look, wider in presentation."""
    return pg.mkPen(colour, width=current_look().line_width(width), **options)


def boundary_colormap() -> pg.ColorMap:
    """Return the heatmap colormap of the current palette: output 0, 0.25, 0.5, 0.75, 1."""
    colours = list(current_look().palette.heatmap)
    return pg.ColorMap(pos=[0.0, 0.25, 0.5, 0.75, 1.0], color=colours)
