"""The look every view draws with: the colour palette, the size scale and the contrast.

One look is current for the whole application. The canvas colours
(canvas/colors.py) and the plot style (plots/style.py) read it each time they
make a pen, a font or a colormap, so a view that is restyled after
``set_look`` follows it. Presentation mode sets a larger scale and high
contrast; the View menu sets the palette.

Every palette is a diverging pair that viewers with the common forms of colour
blindness (red-green deficiencies) can tell apart. The heatmap runs from the
colour of output 0 through white at 0.5 to the colour of output 1, and output 0
takes the positive weights' colour in every palette.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Palette:
    """Colours for weights by sign and for the decision-boundary heatmap."""

    name: str  # stored in the settings
    title: str  # shown in the View menu
    positive: str  # weights and biases above zero
    negative: str  # weights and biases below zero
    heatmap: tuple[str, str, str, str, str]  # output 0, 0.25, 0.5, 0.75, 1


PALETTES: dict[str, Palette] = {
    # ColorBrewer RdBu's blue and red-orange for weights; the heatmap is ColorBrewer
    # PuOr's orange half with a blue in place of purple.
    "blue-orange": Palette(
        "blue-orange",
        "Blue and orange",
        "#2166ac",
        "#d6604d",
        ("#2166ac", "#92c5de", "#ffffff", "#fdb863", "#e66101"),
    ),
    # Okabe and Ito's colour-blind-safe set: stronger, more saturated, reads well projected.
    "okabe-ito": Palette(
        "okabe-ito",
        "Strong blue and vermillion (Okabe-Ito)",
        "#0072b2",
        "#d55e00",
        ("#0072b2", "#56b4e9", "#ffffff", "#e69f00", "#d55e00"),
    ),
    # ColorBrewer PRGn, for slides whose other colours are already blue and orange.
    "purple-green": Palette(
        "purple-green",
        "Purple and green",
        "#1b7837",
        "#762a83",
        ("#1b7837", "#a6dba0", "#f7f7f7", "#c2a5cf", "#762a83"),
    ),
}
DEFAULT_PALETTE = "blue-orange"

# Presentation scales offered in the View menu, in percent.
SCALES = (100, 150, 200)
DEFAULT_PRESENTATION_SCALE = 150
# High contrast draws lines this much wider on top of the scale.
HIGH_CONTRAST_WIDTH = 1.5


@dataclass(frozen=True)
class Look:
    """The palette, the factor that fonts and lines grow by, and whether contrast is high.

    ``pen_scale`` widens lines only. A PNG figure drawn at twice the size sets it,
    because Qt keeps cosmetic pens (the weights, the curves) at their width in
    device pixels when it enlarges everything else.
    """

    palette: Palette = PALETTES[DEFAULT_PALETTE]
    scale: float = 1.0
    high_contrast: bool = False
    pen_scale: float = 1.0

    def line_width(self, base: float) -> float:
        """Return the width of a line drawn ``base`` pixels wide in the normal look."""
        contrast = HIGH_CONTRAST_WIDTH if self.high_contrast else 1.0
        return base * self.scale * contrast * self.pen_scale

    def point_size(self, base: float) -> float:
        """Return the size of a font that is ``base`` points in the normal look."""
        return base * self.scale


_current = Look()


def current_look() -> Look:
    return _current


def set_look(look: Look) -> None:
    """Make ``look`` current; views draw with it once they are restyled."""
    global _current
    _current = look


def set_palette(name: str) -> None:
    """Make the palette called ``name`` current; unknown names raise ValueError."""
    set_look(replace(_current, palette=palette_named(name)))


def palette_named(name: str) -> Palette:
    """Return the palette called ``name``; unknown names raise ValueError listing the choices."""
    palette = PALETTES.get(name)
    if palette is None:
        choices = ", ".join(PALETTES)
        raise ValueError(f"unknown colour palette {name!r}; choose one of {choices}")
    return palette
