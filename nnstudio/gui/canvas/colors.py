"""Colours and pen widths of the canvas: role colours and the weight colour scale.

A weight's sign picks its colour from the current palette (nnstudio.gui.look),
a pair that colour-blind viewers can tell apart; the default is blue for
positive and vermillion for negative, from ColorBrewer's RdBu scheme. Its
magnitude, relative to the largest absolute parameter in the network, sets
the pen width and how far the colour fades towards the background, so
near-zero weights are faint.
Magnitudes are rounded to one of ``LEVELS`` steps so that a connection draws
all its lines with a few cached pens. The look's scale and contrast widen the
pens, and high contrast also raises the faintest lines' colour share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen

from nnstudio.gui.look import DEFAULT_PALETTE, PALETTES, Look, current_look

# The default palette's colours; the drawing reads positive_color() and negative_color().
POSITIVE = QColor(PALETTES[DEFAULT_PALETTE].positive)
NEGATIVE = QColor(PALETTES[DEFAULT_PALETTE].negative)
NEUTRAL = QColor("#9a9a9a")  # lines while the drawing is not a valid network
ZERO_BIAS = QColor("#8a8a8a")

BACKGROUND = QColor("#fafaf7")
GRID = QColor("#ecece6")
CAPTION_TEXT = QColor("#1f1f1f")
CAPTION_BACKGROUND = QColor(255, 255, 255, 215)
SELECTION = QColor("#202020")
SELECTION_HALO = QColor(32, 32, 32, 45)
LINK_TARGET = QColor("#1b9e77")  # outline of the layer a new connection would reach
RUBBER_LINE = QColor("#303030")

LEVELS = 48
MIN_WIDTH = 0.5  # device pixels, for a weight of about 0
MAX_WIDTH = 6.0  # device pixels, for the largest absolute parameter
MIN_STRENGTH = 0.25  # colour share of the faintest line; the rest is background
HIGH_CONTRAST_MIN_STRENGTH = 0.5  # faint lines wash out on a projector
NEUTRAL_WIDTH = 1.0


@dataclass(frozen=True)
class RoleColors:
    """The fill and outline of a layer box and of its neurons."""

    fill: QColor
    border: QColor
    neuron: QColor


ROLE_COLORS = {
    "input": RoleColors(QColor("#e5f2e1"), QColor("#2e7d32"), QColor("#ffffff")),
    "hidden": RoleColors(QColor("#ece8f5"), QColor("#5e4fa2"), QColor("#ffffff")),
    "output": RoleColors(QColor("#fbf1d3"), QColor("#9c6b00"), QColor("#ffffff")),
}


def role_colors(role: str) -> RoleColors:
    return ROLE_COLORS.get(role, ROLE_COLORS["hidden"])


def magnitude_levels(values: NDArray[np.floating], scale: float) -> NDArray[np.intp]:
    """Return each value's magnitude relative to ``scale`` as a step 0 .. LEVELS - 1."""
    relative = np.clip(np.abs(values) / scale, 0.0, 1.0)
    # NaN weights (a diverged run) count as zero rather than breaking the drawing.
    relative = np.nan_to_num(relative, nan=0.0)
    levels: NDArray[np.intp] = np.rint(relative * (LEVELS - 1)).astype(np.intp)
    return levels


def positive_color() -> QColor:
    return QColor(current_look().palette.positive)


def negative_color() -> QColor:
    return QColor(current_look().palette.negative)


def level_width(level: int) -> float:
    """Return the pen width in device pixels of magnitude step ``level`` in the current look."""
    return current_look().line_width(MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * level / (LEVELS - 1))


# One pen per step, sign and look: a few looks at most are used in one session.
_pens: dict[tuple[int, bool, Look], QPen] = {}


def weight_pen(level: int, negative: bool) -> QPen:
    """Return the cached cosmetic pen for a weight of magnitude step ``level`` and sign."""
    look = current_look()
    key = (level, negative, look)
    pen = _pens.get(key)
    if pen is None:
        weakest = HIGH_CONTRAST_MIN_STRENGTH if look.high_contrast else MIN_STRENGTH
        strength = weakest + (1.0 - weakest) * level / (LEVELS - 1)
        color = _fade(negative_color() if negative else positive_color(), strength)
        pen = QPen(color, level_width(level))
        pen.setCosmetic(True)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        _pens[key] = pen
    return pen


def _fade(color: QColor, strength: float) -> QColor:
    """Mix ``color`` into the background; an opaque colour, not a translucent one.

    Qt's raster engine strokes wide antialiased translucent lines through its
    slow path, about ten times slower than opaque ones, which training cannot
    afford at 30 repaints a second.
    """
    rest = 1.0 - strength
    return QColor.fromRgbF(
        color.redF() * strength + BACKGROUND.redF() * rest,
        color.greenF() * strength + BACKGROUND.greenF() * rest,
        color.blueF() * strength + BACKGROUND.blueF() * rest,
    )


def pen_for_weight(weight: float, scale: float) -> QPen:
    level = int(magnitude_levels(np.array([weight]), scale)[0])
    return weight_pen(level, weight < 0)


def neutral_pen() -> QPen:
    pen = QPen(NEUTRAL, current_look().line_width(NEUTRAL_WIDTH))
    pen.setCosmetic(True)
    return pen


def bias_color(bias: float, scale: float) -> QColor:
    """Return the sign colour of a bias, grey when it is about zero."""
    if not np.isfinite(bias) or abs(bias) < 1e-3 * scale:
        return QColor(ZERO_BIAS)
    return negative_color() if bias < 0 else positive_color()


def bias_fraction(bias: float, scale: float) -> float:
    """Return the bias magnitude relative to ``scale``, between 0 and 1."""
    if not np.isfinite(bias):
        return 0.0
    return min(1.0, abs(bias) / scale)
