"""Values drawn on the canvas in step-through mode, beside neurons, edges and bias markers.

Labels do not shrink with the view: their text is 10 pt on screen at 100% zoom
and below, so they stay readable on a projector. Zooming in enlarges them up to
MAX_LABEL_GROWTH times, less than the drawing grows, so it also makes room.
Every placement is therefore worked out in viewport pixels. A neuron's label
sits right of its layer box and a bias's label left of it. An edge label sits
on its line, at the first of several points along it where it covers nothing.

Labels never cover each other or a layer. A layer's neuron labels come with
shorter variants (say "h₁ = 0.99" for "z = 0.99 · h₁ = 0.99"), and the layer
uses the most detailed variant that fits. A label with no room is left out,
and ``hidden_count`` counts it. The overlay builds its labels once per step,
again after a zoom or a layer move, and removes them all in clear().
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Literal

import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.gui.canvas.connections import ConnectionItem
from nnstudio.gui.canvas.items import MARK, MARK_WIDTH, LayerItem
from nnstudio.gui.canvas.view import NetworkCanvas
from nnstudio.gui.look import current_look

log = logging.getLogger(__name__)

LABEL_POINT_SIZE = 10  # at 100% zoom and below
MAX_LABEL_GROWTH = 1.6  # the largest factor zooming in enlarges the labels by
LABEL_PADDING = 3.0  # pixels between the text and the box's left and right sides
LABEL_GAP = 4.0  # pixels between a label and the point it belongs to
LABEL_TEXT = QColor("#161616")
LABEL_BACKGROUND = QColor(255, 255, 255, 242)
LABEL_Z = 20.0  # above connections (-1) and layer boxes (0)
# Above this many edge labels in one step the canvas shows none: placing them
# would take long and show little. The step's table still lists every value.
MAX_EDGE_LABELS = 128
# Points along an edge where its label may sit, as fractions of the way from the
# source, tried nearest to a preferred spot first. Lines spread apart towards the
# layer with more neurons, so labels prefer that end. Between equal layers they
# prefer a fifth of the way from either end, which leaves two columns of room.
FRACTIONS = tuple(round(0.1 + 0.05 * step, 2) for step in range(17))
# How far a label may sit off-centre from its line, as a share of its height. The
# line still crosses the label, so it stays clear which edge the number belongs to.
SHIFT_SHARE = 0.35
# Border colour of the labels for each kind of step.
TONES = {
    "forward": QColor("#5e4fa2"),
    "loss": QColor("#9c6b00"),
    "backward": QColor("#b2182b"),
    "update": QColor("#2166ac"),
    "hover": QColor("#1b7837"),  # activations at the point under the mouse on the boundary
}

NeuronKey = tuple[str, int]  # layer name, neuron index
EdgeKey = tuple[str, str, int, int]  # source layer, target layer, source neuron, target neuron
Texts = str | Sequence[str]  # one label's text, or its variants from most to least detailed
Align = Literal["left", "right", "center"]


class ValueLabel(QGraphicsItem):
    """A short text in a rounded box of fixed screen size.

    Its position is the anchor point, and ``align`` is the box's side of the
    anchor: "left" starts the box there, "right" ends it there.
    """

    def __init__(
        self, text: str, tone: QColor, align: Align, point_size: float = LABEL_POINT_SIZE
    ) -> None:
        super().__init__()
        self.text = text
        self.tone = tone
        self.marked = False
        self.text_font = QFont()
        # Presentation mode enlarges the labels with the rest of the text.
        self.text_font.setPointSizeF(current_look().point_size(point_size))
        metrics = QFontMetricsF(self.text_font)
        width = metrics.horizontalAdvance(text) + 2 * LABEL_PADDING
        height = metrics.height() + 1.0
        left = {"left": LABEL_GAP, "right": -width - LABEL_GAP, "center": -width / 2}[align]
        self._box = QRectF(left, -height / 2, width, height)
        self.setZValue(LABEL_Z)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        # Clicks go through to the edge, bias marker or layer underneath.
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def box(self) -> QRectF:
        """Return the box in pixels, relative to the anchor."""
        return QRectF(self._box)

    def set_marked(self, marked: bool) -> None:
        if marked != self.marked:
            self.marked = marked
            self.update()

    def boundingRect(self) -> QRectF:
        return self._box.adjusted(-MARK_WIDTH, -MARK_WIDTH, MARK_WIDTH, MARK_WIDTH)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        painter.setPen(QPen(MARK, MARK_WIDTH) if self.marked else QPen(self.tone, 1.2))
        painter.setBrush(LABEL_BACKGROUND)
        painter.drawRoundedRect(self._box, 4.0, 4.0)
        painter.setFont(self.text_font)
        painter.setPen(LABEL_TEXT)
        painter.drawText(self._box, Qt.AlignmentFlag.AlignCenter, self.text)


class StepOverlay:
    """The labels and highlights of one step-through step on a NetworkCanvas.

    ``hidden_count`` is how many labels of the current step were left out
    because they found no free room.
    """

    def __init__(self, canvas: NetworkCanvas) -> None:
        self.canvas = canvas
        self.scene = canvas.canvas_scene
        self.neuron_labels: dict[NeuronKey, ValueLabel] = {}
        self.bias_labels: dict[NeuronKey, ValueLabel] = {}
        self.edge_labels: dict[EdgeKey, ValueLabel] = {}
        self.hidden_count = 0
        self._kind = "forward"
        self._neurons: dict[NeuronKey, tuple[str, ...]] = {}
        self._edges: dict[EdgeKey, str] = {}
        self._biases: dict[NeuronKey, str] = {}
        self._highlighted: str | None = None
        self._marked: tuple[EdgeKey | None, NeuronKey | None] = (None, None)
        self._listened: list[ConnectionItem] = []
        canvas.scale_changed.connect(self._redraw)

    # showing and clearing

    def show(
        self,
        kind: str,
        neurons: Mapping[NeuronKey, Texts],
        edges: Mapping[EdgeKey, str],
        biases: Mapping[NeuronKey, str],
        layer: str | None,
    ) -> None:
        """Replace every label with the values of one step and highlight ``layer``."""
        self.clear()
        self._kind = kind
        self._neurons = {key: _variants(texts) for key, texts in neurons.items()}
        self._edges = dict(edges)
        self._biases = dict(biases)
        # Labels must follow a dragged layer, and every layer moves its connections.
        for connection in self.scene.connections.values():
            connection.add_geometry_listener(self._redraw)
            self._listened.append(connection)
        self._draw()
        self._set_highlight(layer)

    def clear(self) -> None:
        """Remove every label, highlight and mark."""
        self.clear_labels()
        self._set_highlight(None)
        self.mark()

    def clear_labels(self) -> None:
        """Remove every label but leave highlights and marks, which another overlay may own."""
        for connection in self._listened:
            if shiboken6.isValid(connection):
                connection.remove_geometry_listener(self._redraw)
        self._listened = []
        self._neurons, self._edges, self._biases = {}, {}, {}
        self._remove_labels()

    def _redraw(self) -> None:
        # Free room depends on the zoom and on where the layers are.
        if not (self._neurons or self._edges or self._biases):
            return
        self._remove_labels()
        self._draw()
        self.mark(*self._marked)

    def _remove_labels(self) -> None:
        for labels in (self.neuron_labels, self.bias_labels, self.edge_labels):
            for label in labels.values():
                if shiboken6.isValid(label) and label.scene() is not None:
                    self.scene.removeItem(label)
            labels.clear()
        self.hidden_count = 0

    # placing labels

    def _draw(self) -> None:
        tone = TONES.get(self._kind, TONES["forward"])
        occupied = self._layer_rects()
        for layer, entries in _by_layer(self._neurons).items():
            self._place_column(layer, entries, tone, "left", occupied, self.neuron_labels)
        biases = {key: (text,) for key, text in self._biases.items()}
        for layer, entries in _by_layer(biases).items():
            self._place_column(layer, entries, tone, "right", occupied, self.bias_labels)
        if len(self._edges) > MAX_EDGE_LABELS:
            self.hidden_count += len(self._edges)
            return
        for connection, edges in self._edges_by_connection().items():
            self._place_edges(connection, edges, tone, occupied)

    def _layer_rects(self) -> list[QRectF]:
        """Return each layer's box and caption in viewport pixels.

        The two rects are kept apart, because their bounding rect would also
        claim the empty corner beside the box, under a wide caption.
        """
        return [
            QRectF(self.canvas.mapFromScene(item.mapToScene(polygon)).boundingRect())
            for item in self.scene.layers.values()
            for polygon in item.shape().toFillPolygons()
        ]

    def _place_column(
        self,
        layer: str,
        entries: list[tuple[NeuronKey, tuple[str, ...]]],
        tone: QColor,
        align: Align,
        occupied: list[QRectF],
        labels: dict[NeuronKey, ValueLabel],
    ) -> None:
        """Label one layer's neurons (or biases) with the most detailed variant that fits.

        A variant that stays inside the viewport wins over a longer one that runs
        past its edge. When none stays inside, the first that covers nothing is used.
        """
        item = self.scene.layers.get(layer)
        entries = [(key, texts) for key, texts in entries if item and key[1] < item.units]
        if item is None or not entries:
            return
        visible = QRectF(self.canvas.viewport().rect())
        variants = max(len(texts) for _, texts in entries)
        for inside in (True, False):
            for variant in range(variants):
                plan = self._plan_column(item, entries, variant, tone, align, occupied)
                if plan is None or (inside and not all(visible.contains(p[3]) for p in plan)):
                    continue
                for key, label, anchor, rect in plan:
                    self._add(label, anchor)
                    labels[key] = label
                    occupied.append(rect)
                return
        self.hidden_count += len(entries)

    def _plan_column(
        self,
        item: LayerItem,
        entries: list[tuple[NeuronKey, tuple[str, ...]]],
        variant: int,
        tone: QColor,
        align: Align,
        occupied: list[QRectF],
    ) -> list[tuple[NeuronKey, ValueLabel, QPointF, QRectF]] | None:
        """Return the labels of one variant with their places, or None if one covers something."""
        plan: list[tuple[NeuronKey, ValueLabel, QPointF, QRectF]] = []
        for key, texts in entries:
            label = ValueLabel(texts[min(variant, len(texts) - 1)], tone, align, self._point_size())
            local = (
                item.bias_label_anchor(key[1]) if align == "right" else item.label_anchor(key[1])
            )
            anchor = item.mapToScene(local)
            rect = self._screen_box(label, anchor)
            if _collides(rect, occupied) or _collides(rect, [entry[3] for entry in plan]):
                return None
            plan.append((key, label, anchor, rect))
        return plan

    def _edges_by_connection(self) -> dict[ConnectionItem, list[tuple[EdgeKey, str]]]:
        grouped: dict[ConnectionItem, list[tuple[EdgeKey, str]]] = {}
        for key, text in self._edges.items():
            connection = self.scene.connections.get((key[0], key[1]))
            if connection is None:
                continue
            if key[2] < connection.source_item.units and key[3] < connection.target_item.units:
                grouped.setdefault(connection, []).append((key, text))
        return grouped

    def _place_edges(
        self,
        connection: ConnectionItem,
        entries: list[tuple[EdgeKey, str]],
        tone: QColor,
        occupied: list[QRectF],
    ) -> None:
        """Label one connection's edges, trying a few orders and keeping the one that fits most.

        Each label takes the first free point along its line, so the order decides
        which labels find room. The flattest lines go first, because a label on a
        flat line cannot dodge up or down by moving along it.
        """

        def rise(entry: tuple[EdgeKey, str]) -> float:
            i, j = entry[0][2], entry[0][3]
            return abs(connection.edge_point(i, j, 1.0).y() - connection.edge_point(i, j, 0.0).y())

        orders = [
            sorted(entries, key=rise),
            entries,
            sorted(entries, key=lambda entry: (entry[0][3], entry[0][2])),
        ]
        best: list[tuple[EdgeKey, ValueLabel, QPointF, QRectF]] = []
        for order in orders:
            plan = self._plan_edges(connection, order, tone, occupied)
            if len(plan) > len(best):
                best = plan
            if len(best) == len(entries):
                break
        for key, label, point, rect in best:
            self._add(label, point)
            self.edge_labels[key] = label
            occupied.append(rect)
        self.hidden_count += len(entries) - len(best)

    def _plan_edges(
        self,
        connection: ConnectionItem,
        entries: list[tuple[EdgeKey, str]],
        tone: QColor,
        occupied: list[QRectF],
    ) -> list[tuple[EdgeKey, ValueLabel, QPointF, QRectF]]:
        """Return where each label would go in this order, leaving out labels with no room."""
        blocked = list(occupied)
        plan = []
        for key, text in entries:
            label = ValueLabel(text, tone, "center", self._point_size())
            # Centred on the line first, then shifted so the line runs near its top or bottom.
            shift = SHIFT_SHARE * label.box().height() / self._scale()
            candidates = [
                connection.edge_point(key[2], key[3], fraction) + QPointF(0.0, offset)
                for offset in (0.0, shift, -shift)
                for fraction in _fractions(connection)
            ]
            for point in candidates:
                rect = self._screen_box(label, point)
                if not _collides(rect, blocked):
                    plan.append((key, label, point, rect))
                    blocked.append(rect)
                    break
        return plan

    def _add(self, label: ValueLabel, anchor: QPointF) -> None:
        self.scene.addItem(label)
        label.setPos(anchor)

    def _screen_box(self, label: ValueLabel, anchor: QPointF) -> QRectF:
        return label.box().translated(QPointF(self.canvas.mapFromScene(anchor)))

    def _scale(self) -> float:
        return max(self.canvas.transform().m11(), 1e-6)

    def _point_size(self) -> float:
        return LABEL_POINT_SIZE * min(max(self._scale(), 1.0), MAX_LABEL_GROWTH)

    # highlights

    def _set_highlight(self, layer: str | None) -> None:
        previous = self.scene.layers.get(self._highlighted or "")
        if previous is not None and shiboken6.isValid(previous):
            previous.set_step_highlight(False)
        self._highlighted = layer
        current = self.scene.layers.get(layer or "")
        if current is not None:
            current.set_step_highlight(True)

    def mark(self, edge: EdgeKey | None = None, bias: NeuronKey | None = None) -> None:
        """Ring one edge or bias marker and its label, or clear the ring with no argument."""
        self._marked = (edge, bias)
        for connection in self.scene.connections.values():
            on = edge is not None and (connection.source, connection.target) == edge[:2]
            connection.set_marked_edge((edge[2], edge[3]) if edge is not None and on else None)
        for item in self.scene.layers.values():
            item.set_marked_bias(bias[1] if bias is not None and bias[0] == item.name else None)
        for edge_key, label in self.edge_labels.items():
            label.set_marked(edge_key == edge)
        for bias_key, label in self.bias_labels.items():
            label.set_marked(bias_key == bias)

    # clicks

    def parameter_at(self, scene_pos: QPointF) -> EdgeKey | NeuronKey | None:
        """Return the edge or bias under ``scene_pos``: an edge label, a bias marker or a line.

        An edge is an EdgeKey (4 fields) and a bias a NeuronKey (layer, neuron).
        """
        pixel = QPointF(self.canvas.mapFromScene(scene_pos))
        for labels in (self.edge_labels, self.bias_labels):
            for key, label in labels.items():
                if self._screen_box(label, label.scenePos()).contains(pixel):
                    return key
        # A few pixels on screen, whatever the zoom.
        tolerance = 6.0 / self._scale()
        for item in self.scene.items(scene_pos):
            if isinstance(item, LayerItem):
                index = item.bias_at(scene_pos, tolerance)
                if index is not None:
                    return (item.name, index)
        for connection in self.scene.connections.values():
            edge = connection.edge_at(scene_pos, tolerance)
            if edge is not None:
                return (connection.source, connection.target, edge[0], edge[1])
        return None


def _variants(texts: Texts) -> tuple[str, ...]:
    return (texts,) if isinstance(texts, str) else tuple(texts)


def _by_layer(
    labels: Mapping[NeuronKey, tuple[str, ...]],
) -> dict[str, list[tuple[NeuronKey, tuple[str, ...]]]]:
    grouped: dict[str, list[tuple[NeuronKey, tuple[str, ...]]]] = {}
    for key, texts in labels.items():
        grouped.setdefault(key[0], []).append((key, texts))
    return grouped


def _collides(rect: QRectF, others: list[QRectF]) -> bool:
    # One pixel of air keeps neighbouring boxes from touching.
    grown = rect.adjusted(-1.0, -1.0, 1.0, 1.0)
    return any(grown.intersects(other) for other in others)


def _fractions(connection: ConnectionItem) -> list[float]:
    source, target = connection.source_item.units, connection.target_item.units
    preferred = (0.3,) if source > target else (0.7,) if target > source else (0.2, 0.8)

    def distance(fraction: float) -> tuple[float, float]:
        return (min(abs(fraction - spot) for spot in preferred), fraction)

    return sorted(FRACTIONS, key=distance)
