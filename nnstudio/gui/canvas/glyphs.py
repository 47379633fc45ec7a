"""Small drawings of activation functions, painted inside the neurons of a mixed layer.

Every glyph shares one frame, z from -2 to 2 and a from -1.25 to 1.25, with
the axis a = 0 drawn faintly, so that sigmoid (above the axis) and tanh
(crossing it) stay apart although both are S-shaped.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

from nnstudio.engine.activations import make_activation

Z_REACH = 2.0
A_REACH = 1.25
SAMPLES = 81  # enough for step's jump to look vertical at neuron size
GLYPH_FRACTION = 0.68  # half-width of the glyph over the neuron's radius
AXIS = QColor(0, 0, 0, 60)


@cache
def glyph_points(name: str) -> tuple[tuple[float, float], ...]:
    """Return the curve of activation ``name`` as (x, y) points in [-1, 1], y pointing up."""
    z = np.linspace(-Z_REACH, Z_REACH, SAMPLES).reshape(1, -1)
    # A steeper leaky slope than the usual 0.01, so leaky ReLU looks unlike ReLU.
    activation = make_activation(name, slope=0.2)
    a = np.clip(activation.forward(z)[0], -A_REACH, A_REACH)
    return tuple(zip((z[0] / Z_REACH).tolist(), (a / A_REACH).tolist(), strict=True))


def draw_glyph(painter: QPainter, center: QPointF, radius: float, name: str, color: QColor) -> None:
    """Paint the curve of ``name`` inside a neuron of ``radius`` centred at ``center``."""
    half = GLYPH_FRACTION * radius
    painter.setPen(QPen(AXIS, max(0.4, 0.06 * radius)))
    painter.drawLine(QPointF(center.x() - half, center.y()), QPointF(center.x() + half, center.y()))

    path = QPainterPath()
    for index, (x, y) in enumerate(glyph_points(name)):
        point = QPointF(center.x() + x * half, center.y() - y * half)
        if index == 0:
            path.moveTo(point)
        else:
            path.lineTo(point)
    painter.setPen(QPen(color, max(0.7, 0.14 * radius)))
    painter.drawPath(path)
