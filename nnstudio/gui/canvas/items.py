"""Layer items: a rounded box with a column of neurons, their bias markers and a caption.

A layer item's position is its box centre, the point stored in Layer.position.
Neurons and bias markers are painted by the layer item itself rather than being
items of their own, because training repaints them up to 30 times a second.
The output handle, the small circle a connection is dragged from, is a child
item so that the scene can tell a press on it from a press on the body.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from nnstudio.gui.canvas.colors import (
    CAPTION_BACKGROUND,
    CAPTION_TEXT,
    LINK_TARGET,
    SELECTION,
    SELECTION_HALO,
    ZERO_BIAS,
    bias_color,
    bias_fraction,
    role_colors,
)
from nnstudio.gui.canvas.glyphs import draw_glyph
from nnstudio.gui.canvas.weights import Array, WeightLookup
from nnstudio.gui.look import current_look
from nnstudio.project.model import Layer

if TYPE_CHECKING:
    from nnstudio.gui.canvas.connections import ConnectionItem

# Geometry in scene units, relative to the box centre.
BOX_HALF_WIDTH = 30.0
CORNER_RADIUS = 8.0
NEURON_X = 6.0  # right of centre, leaving room for the bias markers
INPUT_NEURON_X = 0.0  # input neurons have no bias
BIAS_X = -15.0
PAD_Y = 12.0  # between the box edge and the outermost neuron
MAX_SPACING = 30.0  # between neuron centres
MAX_COLUMN = 420.0  # larger layers squeeze their neurons into this height
MAX_RADIUS = 10.0
MAX_BIAS_RADIUS = 6.5
HANDLE_RADIUS = 6.5
CAPTION_GAP = 5.0
CAPTION_POINT_SIZE = 10

# Step-through mode: the halo of the layer a step works on, and the ring around the
# edge or bias marker whose chain rule is shown. Amber and magenta stay apart from
# the blue and vermillion of the weights.
STEP_HALO = QColor("#e6ab02")
MARK = QColor("#e7298a")
MARK_WIDTH = 2.5


@dataclass(frozen=True)
class NeuronColumn:
    """Where the neurons of a layer with ``units`` neurons sit inside its box."""

    units: int
    spacing: float
    radius: float
    bias_radius: float  # radius of the largest bias marker

    def y(self, index: int) -> float:
        return (index - (self.units - 1) / 2) * self.spacing

    def box(self) -> QRectF:
        half_height = (self.units - 1) * self.spacing / 2 + self.radius + PAD_Y
        return QRectF(-BOX_HALF_WIDTH, -half_height, 2 * BOX_HALF_WIDTH, 2 * half_height)


def neuron_column(units: int) -> NeuronColumn:
    units = max(units, 1)
    spacing = min(MAX_SPACING, MAX_COLUMN / units)
    radius = min(MAX_RADIUS, 0.36 * spacing)
    return NeuronColumn(units, spacing, radius, min(MAX_BIAS_RADIUS, 0.36 * spacing))


@dataclass(frozen=True)
class BiasMarker:
    """The marker beside one neuron: colour gives the bias's sign, size its magnitude."""

    center: QPointF  # scene coordinates, except inside LayerItem
    radius: float
    brush: QBrush
    pen: QPen


def caption_text(layer: Layer) -> str:
    if layer.role == "input":
        return f"{layer.name} · {layer.units}"
    names = set(layer.unit_activations())
    activation = "mixed" if len(names) > 1 else names.pop()
    return f"{layer.name} · {layer.units} · {activation}"


def mixed_activations(layer: Layer) -> tuple[str, ...]:
    """Return each neuron's activation when the layer mixes several, or () when it does not."""
    names = tuple(layer.unit_activations())
    return names if layer.role != "input" and len(set(names)) > 1 else ()


class HandleItem(QGraphicsEllipseItem):
    """The circle on a layer's right side that the user drags to another layer to connect."""

    def __init__(self, layer_item: LayerItem) -> None:
        r = HANDLE_RADIUS
        super().__init__(-r, -r, 2 * r, 2 * r, layer_item)
        self.layer_item = layer_item
        self.setPos(BOX_HALF_WIDTH, 0.0)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Drag to a later layer to connect")
        self._hovered = False
        self.restyle()

    def restyle(self) -> None:
        colors = role_colors(self.layer_item.role)
        self.setBrush(QBrush(colors.fill if self._hovered else colors.border))
        self.setPen(QPen(colors.border if self._hovered else Qt.GlobalColor.white, 1.5))

    def hoverEnterEvent(self, event: object) -> None:
        self._hovered = True
        self.restyle()

    def hoverLeaveEvent(self, event: object) -> None:
        self._hovered = False
        self.restyle()


class LayerItem(QGraphicsItem):
    """One layer on the canvas; it mirrors a Layer of the project, found by name."""

    def __init__(self, layer: Layer, weights: WeightLookup) -> None:
        super().__init__()
        self.weights = weights
        self.edges: set[ConnectionItem] = set()
        self.name = layer.name
        self.link_target = False  # drawn highlighted while a connection is dragged onto it
        self.step_highlight = False  # drawn with an amber halo in step-through mode
        self.marked_bias: int | None = None  # index of the bias marker drawn with a ring
        self._font = QFont()
        self._take(layer)

        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setPos(QPointF(*layer.position))
        self.handle = HandleItem(self) if layer.role != "output" else None

    # syncing from the project

    def set_layer(self, layer: Layer) -> None:
        """Take over the layer's role, size, activation and position."""
        shown = (self.role, self.units, self.has_bias, self.caption, self.neuron_activations)
        taken = (layer.role, layer.units, layer.bias, caption_text(layer), mixed_activations(layer))
        if taken != shown:
            self.prepareGeometryChange()
            self._take(layer)
            if self.handle is not None:
                self.handle.restyle()
            self.update()
        self.setPos(QPointF(*layer.position))

    def caption_font(self) -> QFont:
        """Return a copy of the font the caption is drawn in."""
        return QFont(self._font)

    def restyle(self, layer: Layer) -> None:
        """Lay the caption out again in the current look's font size."""
        self.prepareGeometryChange()
        self._take(layer)
        self.update()

    def _take(self, layer: Layer) -> None:
        """Copy what is drawn from ``layer`` and lay out the box and caption for it."""
        self._font.setPointSizeF(current_look().point_size(CAPTION_POINT_SIZE))
        self.role = layer.role
        self.units = layer.units
        self.has_bias = layer.bias
        self.caption = caption_text(layer)
        self.neuron_activations = mixed_activations(layer)
        listed = "\n".join(
            f"neuron {index + 1}: {name}" for index, name in enumerate(self.neuron_activations)
        )
        self.setToolTip(f"Activation of each neuron:\n{listed}" if listed else "")
        self.column = neuron_column(layer.units)
        self.neuron_x = INPUT_NEURON_X if layer.role == "input" else NEURON_X

        self._box = self.column.box()
        metrics = QFontMetricsF(self._font)
        width = metrics.horizontalAdvance(self.caption) + 12
        height = metrics.height() + 4
        bottom = self._box.top() - CAPTION_GAP
        self._caption_rect = QRectF(-width / 2, bottom - height, width, height)
        margin = 6.0  # for the selection halo; the handle is a child item with bounds of its own
        self._bounds = self._box.adjusted(-margin, -margin, margin, margin).united(
            self._caption_rect
        )

    # points the connections and tests use

    def body_scene_pos(self) -> QPointF:
        """Return a point inside the box, between the caption and the first neuron."""
        return self.mapToScene(QPointF(0.0, self._box.top() + PAD_Y / 2))

    def output_handle_scene_pos(self) -> QPointF:
        return self.mapToScene(QPointF(BOX_HALF_WIDTH, 0.0))

    def neuron_scene_pos(self, index: int) -> QPointF:
        return self.mapToScene(QPointF(self.neuron_x, self.column.y(index)))

    def outgoing_point(self, index: int) -> QPointF:
        """Return where lines leave neuron ``index``: the box's right edge, in scene coordinates."""
        return self.mapToScene(QPointF(BOX_HALF_WIDTH, self.column.y(index)))

    def incoming_point(self, index: int) -> QPointF:
        """Return where lines reach neuron ``index``: the box's left edge, in scene coordinates."""
        return self.mapToScene(QPointF(-BOX_HALF_WIDTH, self.column.y(index)))

    def label_anchor(self, index: int) -> QPointF:
        """Return the left end of neuron ``index``'s value label, right of the output handle."""
        return QPointF(BOX_HALF_WIDTH + HANDLE_RADIUS + 3.0, self.column.y(index))

    def bias_label_anchor(self, index: int) -> QPointF:
        """Return the right end of bias ``index``'s value label, left of the box."""
        return QPointF(-BOX_HALF_WIDTH - 3.0, self.column.y(index))

    # step-through marks

    def set_step_highlight(self, highlighted: bool) -> None:
        if highlighted != self.step_highlight:
            self.step_highlight = highlighted
            self.update()

    def set_marked_bias(self, index: int | None) -> None:
        if index != self.marked_bias:
            self.marked_bias = index
            self.update()

    def neuron_at(self, scene_pos: QPointF) -> int | None:
        """Return the index of the neuron whose circle contains ``scene_pos``, if any."""
        local = self.mapFromScene(scene_pos)
        for index in range(self.units):
            offset = local - QPointF(self.neuron_x, self.column.y(index))
            if offset.x() ** 2 + offset.y() ** 2 <= self.column.radius**2:
                return index
        return None

    def bias_at(self, scene_pos: QPointF, tolerance: float) -> int | None:
        """Return the index of the bias marker within ``tolerance`` of ``scene_pos``, if any."""
        if self.role == "input" or not self.has_bias:
            return None
        local = self.mapFromScene(scene_pos)
        reach = self.column.bias_radius + tolerance
        for index in range(self.units):
            offset = local - QPointF(BIAS_X, self.column.y(index))
            if offset.x() ** 2 + offset.y() ** 2 <= reach**2:
                return index
        return None

    # biases

    def bias_marker(self, index: int) -> BiasMarker | None:
        """Return how neuron ``index``'s bias is drawn; None for input neurons and no bias."""
        marker = self._local_marker(index, self.weights.biases(self.name))
        if marker is None:
            return None
        return replace(marker, center=self.mapToScene(marker.center))

    def _local_marker(self, index: int, biases: Array | None) -> BiasMarker | None:
        """Return the bias marker of neuron ``index`` with its centre in item coordinates."""
        if self.role == "input" or not self.has_bias:
            return None
        largest = self.column.bias_radius
        smallest = 0.25 * largest
        center = QPointF(BIAS_X, self.column.y(index))
        if biases is None or biases.shape != (self.units,):
            # No weights while the drawing is not a network: a neutral ring.
            return BiasMarker(center, smallest, QBrush(Qt.BrushStyle.NoBrush), QPen(ZERO_BIAS, 1.0))
        bias = float(biases[index])
        scale = self.weights.scale
        color = bias_color(bias, scale)
        # The radius grows with the square root of the magnitude, so the area roughly follows it.
        radius = smallest + (largest - smallest) * bias_fraction(bias, scale) ** 0.5
        return BiasMarker(center, radius, QBrush(color), QPen(color.darker(130), 0.6))

    # QGraphicsItem

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self._box, CORNER_RADIUS, CORNER_RADIUS)
        path.addRect(self._caption_rect)
        return path

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_geometry()
        return super().itemChange(change, value)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        colors = role_colors(self.role)
        box = self._box
        selected = self.isSelected()

        # halo, then the box
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self.step_highlight:
            painter.setPen(QPen(STEP_HALO, 7.0))
            painter.drawRoundedRect(box, CORNER_RADIUS, CORNER_RADIUS)
        if self.link_target:
            painter.setPen(QPen(LINK_TARGET, 6.0))
            painter.drawRoundedRect(box, CORNER_RADIUS, CORNER_RADIUS)
        elif selected:
            painter.setPen(QPen(SELECTION_HALO, 8.0))
            painter.drawRoundedRect(box, CORNER_RADIUS, CORNER_RADIUS)
        painter.setPen(QPen(SELECTION if selected else colors.border, 2.5 if selected else 1.5))
        painter.setBrush(colors.fill)
        painter.drawRoundedRect(box, CORNER_RADIUS, CORNER_RADIUS)

        # neurons
        radius = self.column.radius
        painter.setPen(QPen(colors.border, max(0.6, min(1.4, 0.14 * radius))))
        painter.setBrush(colors.neuron)
        for index in range(self.units):
            painter.drawEllipse(QPointF(self.neuron_x, self.column.y(index)), radius, radius)
        for index, name in enumerate(self.neuron_activations):
            center = QPointF(self.neuron_x, self.column.y(index))
            draw_glyph(painter, center, radius, name, colors.border)

        # bias markers
        biases = self.weights.biases(self.name)
        for index in range(self.units):
            marker = self._local_marker(index, biases)
            if marker is None:
                break
            painter.setPen(marker.pen)
            painter.setBrush(marker.brush)
            painter.drawEllipse(marker.center, marker.radius, marker.radius)
        if self.marked_bias is not None and self.marked_bias < self.units:
            ring = self.column.bias_radius + 2.0
            center = QPointF(BIAS_X, self.column.y(self.marked_bias))
            painter.setPen(QPen(MARK, MARK_WIDTH))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(center, ring, ring)

        # caption
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(CAPTION_BACKGROUND)
        painter.drawRoundedRect(self._caption_rect, 4.0, 4.0)
        painter.setFont(self._font)
        painter.setPen(CAPTION_TEXT)
        painter.drawText(self._caption_rect, Qt.AlignmentFlag.AlignCenter, self.caption)
