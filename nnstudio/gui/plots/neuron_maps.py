"""The Neuron maps dock: each hidden and output neuron's activation as a small heatmap.

Every map spans the same plane and pair of inputs as the decision boundary, so
a student sees which part of the input space each neuron answers to, and how
the output combines them. A layer's maps share one colour scale, fixed by its
activation's range where it has one (sigmoid 0 .. 1, tanh -1 .. 1) and by the
values on the grid otherwise (relu 0 .. largest value, identity symmetric
around 0). The colours come from the decision boundary's colour map, looked up
when a map is drawn, so a change of palette there applies here too.

While the mouse is over the decision boundary, each map marks that point with
a ring and its caption shows the neuron's value there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStackedLayout,
    QVBoxLayout,
    QWidget,
)

from nnstudio.gui.look import current_look
from nnstudio.gui.plots import boundary_plot, style

CELL_PIXELS = 3  # screen pixels per grid point, a whole number so every cell is even
# A table this long keeps each channel within about one unit (of 0..255) of the colour
# map's own interpolation for five-stop palettes, and costs a few times less per map.
LOOKUP_SIZE = 1024
LEGEND_WIDTH = 90
LEGEND_HEIGHT = 10
MARKER_RADIUS = 5.0
MARKER_COLOUR = QColor("#1a1a1a")
# Activations whose output has a fixed range; the others scale to the values shown.
FIXED_LEVELS = {
    "sigmoid": (0.0, 1.0),
    "softmax": (0.0, 1.0),
    "step": (0.0, 1.0),
    "tanh": (-1.0, 1.0),
}
FROM_ZERO = ("relu", "abs")  # never negative: 0 .. largest value
NO_MAPS_TEXT = "Neuron maps need a valid network with at least two inputs"
_RGBA = QImage.Format.Format_RGBA8888


@dataclass(frozen=True)
class LayerMaps:
    """One layer's maps: its name, each unit's activation and the grids (units, rows, columns)."""

    name: str
    activations: tuple[str, ...]
    grids: NDArray[np.float32]

    def groups(self) -> dict[str, list[int]]:
        """Return the units of each activation, in the order the activations first appear."""
        groups: dict[str, list[int]] = {}
        for index, activation in enumerate(self.activations):
            groups.setdefault(activation, []).append(index)
        return groups


def value_levels(activation: str, grids: NDArray[np.floating]) -> tuple[float, float]:
    """Return the (low, high) values that the colour map's two ends stand for."""
    if activation in FIXED_LEVELS:
        return FIXED_LEVELS[activation]
    finite = grids[np.isfinite(grids)]
    largest = float(np.abs(finite).max()) if finite.size else 0.0
    largest = largest if largest > 0 else 1.0
    if activation in FROM_ZERO:
        return (0.0, largest)
    return (-largest, largest)


def map_colours(values: NDArray[np.floating], levels: tuple[float, float]) -> NDArray[np.uint8]:
    """Return RGBA bytes (..., 4) for ``values`` on the colour map spanning ``levels``.

    NaN and infinite values get the boundary plot's invalid colour.
    """
    low, high = levels
    with np.errstate(invalid="ignore"):
        fraction = np.clip((np.asarray(values, dtype=np.float64) - low) / (high - low), 0.0, 1.0)
    finite = np.isfinite(values)
    steps = np.rint(np.where(finite, fraction, 0.0) * (LOOKUP_SIZE - 1)).astype(np.intp)
    rgba: NDArray[np.uint8] = _lookup_table()[steps]
    rgba[~finite] = boundary_plot.INVALID_RGBA
    return rgba


_tables: dict[tuple[str, ...], NDArray[np.uint8]] = {}


def _lookup_table() -> NDArray[np.uint8]:
    """Return the current palette's heatmap at LOOKUP_SIZE points as (LOOKUP_SIZE, 4) bytes."""
    key = tuple(current_look().palette.heatmap)
    table = _tables.get(key)
    if table is None:
        sampled = style.boundary_colormap().map(np.linspace(0.0, 1.0, LOOKUP_SIZE), mode="byte")
        table = _tables[key] = np.asarray(sampled, dtype=np.uint8)
    return table


def grid_image(grid: NDArray[np.floating], levels: tuple[float, float]) -> QImage:
    """Return ``grid`` (row 0 = lowest y) as an image with the highest y on top.

    Each grid point becomes a square of CELL_PIXELS x CELL_PIXELS pixels.
    """
    return colour_image(map_colours(grid, levels))


def colour_image(colours: NDArray[np.uint8]) -> QImage:
    """Return the RGBA bytes (rows, columns, 4) of a grid as grid_image draws them."""
    rgba = colours[::-1]
    # NumPy enlarges the cells: QImage.scaled took about 1 ms per map under cProfile.
    rgba = np.ascontiguousarray(rgba.repeat(CELL_PIXELS, axis=0).repeat(CELL_PIXELS, axis=1))
    height, width = rgba.shape[:2]
    image = QImage(rgba.data, width, height, 4 * width, _RGBA)
    return image.copy()  # own the pixels, since rgba is freed on return


def neuron_caption(index: int, value: float | None, note: str = "") -> str:
    """Return a map's caption: the 1-based neuron number, ``note``, and the hovered value."""
    caption = f"neuron {index + 1}{note}"
    if value is None:
        return caption
    return f"{caption} = {format_value(value)}"


def format_value(value: float) -> str:
    """Return an activation as the canvas and the maps show it: three significant digits."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    text = f"{value:.3g}"
    return "0" if text == "-0" else text


class NeuronTile(QWidget):
    """One neuron's heatmap with its caption."""

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.image_label = QLabel()
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel(neuron_caption(index, None))
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # A long caption wraps under its map, so every tile is as wide as its map.
        self.caption.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self._layout.setSpacing(1)
        self._layout.addWidget(self.image_label)
        self._layout.addWidget(self.caption)
        self._image = QImage()
        self._note = ""  # the unit's activation, in a layer that mixes several
        self._value: float | None = None
        self._marker: tuple[float, float] | None = None

    def set_image(self, image: QImage, note: str = "") -> None:
        self._image = image
        margins = self._layout.contentsMargins()
        self.setFixedWidth(image.width() + margins.left() + margins.right())
        if note != self._note:
            self._note = note
            self.caption.setText(neuron_caption(self.index, self._value, note))
        self._draw()

    def set_value(self, value: float | None, marker: tuple[float, float] | None) -> None:
        """Show ``value`` in the caption and a ring at ``marker``.

        ``marker`` is (column, row) in grid units, row 0 being the lowest y, and
        may fall between grid points; None shows no ring.
        """
        self._value = value
        self.caption.setText(neuron_caption(self.index, value, self._note))
        if marker != self._marker:
            self._marker = marker
            self._draw()

    def _draw(self) -> None:
        if self._image.isNull():
            return
        pixmap = QPixmap.fromImage(self._image)
        if self._marker is not None:
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(MARKER_COLOUR, 2.0))
            column, row = self._marker
            rows = self._image.height() / CELL_PIXELS
            centre = QPointF((column + 0.5) * CELL_PIXELS, (rows - 0.5 - row) * CELL_PIXELS)
            painter.drawEllipse(centre, MARKER_RADIUS, MARKER_RADIUS)
            painter.end()
        self.image_label.setPixmap(pixmap)


class NeuronMapsPanel(QWidget):
    """A grid of NeuronTiles, one row of tiles (or more) per layer under a header with its scale."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tiles: dict[tuple[str, int], NeuronTile] = {}
        self.headers: dict[str, QLabel] = {}
        self.legends: dict[str, QLabel] = {}
        self._header_rows: dict[str, QWidget] = {}
        self._shape: list[tuple[str, int]] = []
        self._columns = 0

        self._content = QWidget()
        self._grid = QGridLayout(self._content)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setWidget(self._content)
        self._message = QLabel(NO_MAPS_TEXT)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setWordWrap(True)
        self._pages = QStackedLayout(self)
        self._pages.addWidget(self._scroll)
        self._pages.addWidget(self._message)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    @property
    def showing_maps(self) -> bool:
        return self._pages.currentWidget() is self._scroll

    def show_message(self, text: str = NO_MAPS_TEXT) -> None:
        self._message.setText(text)
        self._pages.setCurrentWidget(self._message)

    def show_maps(self, layers: list[LayerMaps]) -> None:
        """Draw every neuron of ``layers``; tiles are rebuilt only when the layers change."""
        self._pages.setCurrentWidget(self._scroll)
        shape = [(layer.name, len(layer.grids)) for layer in layers]
        if shape != self._shape:
            self._rebuild(shape)
        for layer in layers:
            self._show_layer(layer)
        # New tiles only know their width once they have an image.
        if self._fitting_columns() != self._columns:
            self._place()

    def _show_layer(self, layer: LayerMaps) -> None:
        """Colour a layer's maps, one scale per activation, and label its header and legend."""
        groups = layer.groups()
        mixed = len(groups) > 1
        scales = []
        for activation, units in groups.items():
            levels = value_levels(activation, layer.grids[units])
            scales.append((activation if mixed else "", levels))
            # one colour lookup for all units of a scale, which costs less than one per map
            colours = map_colours(layer.grids[units], levels)
            for colour, index in zip(colours, units, strict=True):
                tile = self.tiles[(layer.name, index)]
                tile.setToolTip(f"{activation}: colour scale {_scale_text(levels)}")
                tile.set_image(colour_image(colour), f" ({activation})" if mixed else "")

        kinds = ", ".join(groups) if mixed else layer.activations[0]
        self.headers[layer.name].setText(f"{layer.name} ({kinds})")
        self.legends[layer.name].setPixmap(_legend(scales))

    def show_values(
        self, values: Mapping[str, NDArray[np.floating]] | None, marker: tuple[float, float] | None
    ) -> None:
        """Show each neuron's value at the hovered point, or clear them with None."""
        for (layer, index), tile in self.tiles.items():
            layer_values = None if values is None else values.get(layer)
            # A network that just changed shape can have fewer units than the tiles.
            value = None
            if layer_values is not None and index < len(layer_values):
                value = float(layer_values[index])
            tile.set_value(value, None if value is None else marker)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        if self._shape and self._fitting_columns() != self._columns:
            self._place()

    def _rebuild(self, shape: list[tuple[str, int]]) -> None:
        for widget in [*self.tiles.values(), *self._header_rows.values()]:
            widget.setParent(None)
            widget.deleteLater()
        self.tiles, self.headers, self.legends, self._header_rows = {}, {}, {}, {}
        self._shape = shape
        for name, units in shape:
            self.headers[name] = QLabel(name)
            self.headers[name].setStyleSheet("font-weight: bold;")
            self.legends[name] = QLabel()
            row = QWidget()
            column = QVBoxLayout(row)
            column.setContentsMargins(0, 6, 0, 0)
            column.setSpacing(2)
            column.addWidget(self.headers[name])
            column.addWidget(self.legends[name])
            self._header_rows[name] = row
            for index in range(units):
                self.tiles[(name, index)] = NeuronTile(index)
        self._place()

    def _fitting_columns(self) -> int:
        tile_width = next(iter(self.tiles.values())).sizeHint().width() if self.tiles else 1
        # The panel's own width: the scroll area's viewport may not have its new size yet.
        available = self.width() - self._scroll.verticalScrollBar().sizeHint().width() - 24
        return max(1, available // max(tile_width + self._grid.horizontalSpacing(), 1))

    def _place(self) -> None:
        """Lay the tiles out in as many columns as fit, each layer from a new row."""
        while self._grid.count():
            self._grid.takeAt(0)
        self._columns = self._fitting_columns()
        row = 0
        for name, units in self._shape:
            self._grid.addWidget(self._header_rows[name], row, 0, 1, self._columns)
            row += 1
            for index in range(units):
                tile = self.tiles[(name, index)]
                self._grid.addWidget(tile, row + index // self._columns, index % self._columns)
            row += math.ceil(units / self._columns)


def _scale_text(levels: tuple[float, float]) -> str:
    return f"from {format_value(levels[0])} to {format_value(levels[1])}"


def _legend(scales: list[tuple[str, tuple[float, float]]]) -> QPixmap:
    """Return colour bars for ``scales``, one line each: "title low [bar] high"."""
    probe = QLabel()
    metrics = probe.fontMetrics()
    gap = 4
    texts = [
        (f"{title} {format_value(low)}".strip(), format_value(high))
        for title, (low, high) in scales
    ]
    title_width = max(metrics.horizontalAdvance(left) for left, _ in texts)
    high_width = max(metrics.horizontalAdvance(right) for _, right in texts)
    line_height = max(metrics.height(), LEGEND_HEIGHT) + 2
    pixmap = QPixmap(title_width + LEGEND_WIDTH + high_width + 2 * gap, line_height * len(texts))
    pixmap.fill(Qt.GlobalColor.transparent)

    painter = QPainter(pixmap)
    painter.setFont(probe.font())
    painter.setPen(QColor(boundary_plot.OUTLINE))
    for line, ((left, right), (_, levels)) in enumerate(zip(texts, scales, strict=True)):
        top = line * line_height
        text_y = top + (line_height + metrics.ascent() - metrics.descent()) // 2
        # low ends line up under each other, so the bars do too
        painter.drawText(title_width - metrics.horizontalAdvance(left), text_y, left)
        ramp = np.linspace(levels[0], levels[1], LEGEND_WIDTH)[np.newaxis, :]
        bar = np.ascontiguousarray(np.repeat(map_colours(ramp, levels), LEGEND_HEIGHT, axis=0))
        image = QImage(bar.data, LEGEND_WIDTH, LEGEND_HEIGHT, 4 * LEGEND_WIDTH, _RGBA)
        painter.drawImage(title_width + gap, top + (line_height - LEGEND_HEIGHT) // 2, image)
        painter.drawText(title_width + LEGEND_WIDTH + 2 * gap, text_y, right)
    painter.end()
    return pixmap
