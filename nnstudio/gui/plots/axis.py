"""An axis that draws its grid lines several times faster, with the same pixels.

pyqtgraph's AxisItem draws its grid lines (translucent lines across the whole
plot) with no clip set. Measured offscreen on Qt 6.11, the loss plot then took
about 9 ms to redraw on the GUI thread, for every snapshot of a training run.
With a clip rectangle one pixel larger than the axis's bounding rectangle it
took about 4 ms, and every pixel stayed the same (checked at four plot sizes).
A clip four or more pixels larger was as slow as none, so the margin stays small.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QPainter

# Pixels beyond the bounding rectangle that the clip keeps: the ends of the axis
# line reach one pixel past it (with no margin, two pixels of a 700 x 300 plot changed).
CLIP_MARGIN = 1


class FastGridAxis(pg.AxisItem):
    """A pyqtgraph AxisItem whose picture is drawn with a clip rectangle set first."""

    def drawPicture(self, p: QPainter, *specs: object) -> None:  # noqa: N802 (pyqtgraph's name)
        m = CLIP_MARGIN
        p.setClipRect(self.boundingRect().adjusted(-m, -m, m, m))
        super().drawPicture(p, *specs)


def fast_grid_axes() -> dict[str, pg.AxisItem]:
    """Return new bottom and left axes for a PlotWidget's ``axisItems``."""
    return {side: FastGridAxis(side) for side in ("bottom", "left")}
