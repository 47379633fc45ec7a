"""The connection item: every weighted edge between two layers, drawn in one paint().

One item per connection keeps the scene small even for 64 x 64 neurons. Its
lines run in scene coordinates from the source box's right edge to the target
box's left edge, at the height of each neuron, and sit below the layer boxes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF, QTransform
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

from nnstudio.gui.canvas.colors import (
    SELECTION_HALO,
    magnitude_levels,
    neutral_pen,
    pen_for_weight,
    weight_pen,
)
from nnstudio.gui.canvas.items import MARK, LayerItem
from nnstudio.gui.canvas.weights import Array, WeightLookup

# Scene units around the lines, for the wide cosmetic pens at ordinary zoom levels.
BOUNDS_MARGIN = 12.0
# Above this many lines a connection is drawn without antialiasing. Measured offscreen
# on Qt 6.11: 4096 antialiased lines took about 50 ms to draw, without antialiasing 5 to
# 10 ms, and training repaints up to 30 times a second.
ANTIALIAS_LIMIT = 1024
MARKED_EDGE_WIDTH = 4.0  # device pixels, for the edge whose chain rule step-through shows
# The edge selected for editing by hand: a wide dark band under its own line.
SELECTED_EDGE = QColor(32, 32, 32, 110)
SELECTED_EDGE_WIDTH = 9.0  # device pixels
HOVER_TOLERANCE = 6.0  # device pixels between the pointer and a line whose value the tooltip shows


class ConnectionItem(QGraphicsItem):
    """All edges from the neurons of ``source_item`` to those of ``target_item``."""

    def __init__(self, source_item: LayerItem, target_item: LayerItem, weights: WeightLookup):
        super().__init__()
        self.source_item = source_item
        self.target_item = target_item
        self.weights = weights
        self._starts: list[QPointF] = []
        self._ends: list[QPointF] = []
        self._lines: list[QLineF] | None = None  # built on the next paint
        self._bounds = QRectF()
        self._hull = QPainterPath()
        self.marked_edge: tuple[int, int] | None = None  # (source neuron, target neuron)
        self.selected_edge: tuple[int, int] | None = None  # the edge being edited by hand
        # Called after the lines moved, so labels placed along them can follow.
        self._geometry_listeners: list[Callable[[], None]] = []

        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(-1.0)
        source_item.edges.add(self)
        target_item.edges.add(self)
        self.update_geometry()

    @property
    def source(self) -> str:
        return self.source_item.name

    @property
    def target(self) -> str:
        return self.target_item.name

    def detach(self) -> None:
        """Forget the layer items, before this item leaves the scene."""
        self.source_item.edges.discard(self)
        self.target_item.edges.discard(self)

    def update_geometry(self) -> None:
        """Recompute the line ends after a layer moved or changed size."""
        self.prepareGeometryChange()
        self._starts = [self.source_item.outgoing_point(i) for i in range(self.source_item.units)]
        self._ends = [self.target_item.incoming_point(j) for j in range(self.target_item.units)]
        self._lines = None

        # The hull, a quadrilateral around all lines, is what a click or rubber band hits.
        first, last = self._starts[0], self._starts[-1]
        polygon = QPolygonF([first, self._ends[0], self._ends[-1], last])
        self._hull = QPainterPath()
        self._hull.setFillRule(Qt.FillRule.WindingFill)
        self._hull.addPolygon(polygon)
        self._hull.closeSubpath()
        m = BOUNDS_MARGIN
        self._bounds = polygon.boundingRect().adjusted(-m, -m, m, m)
        self.setToolTip(self.summary_tooltip())
        for listener in list(self._geometry_listeners):
            listener()

    def add_geometry_listener(self, listener: Callable[[], None]) -> None:
        self._geometry_listeners.append(listener)

    def remove_geometry_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._geometry_listeners:
            self._geometry_listeners.remove(listener)

    # what tests and the main window ask

    def midpoint_scene_pos(self) -> QPointF:
        """Return the middle of the connection, where a click selects it."""
        start = (self._starts[0] + self._starts[-1]) / 2
        end = (self._ends[0] + self._ends[-1]) / 2
        return (start + end) / 2

    def edge_point(self, i: int, j: int, fraction: float) -> QPointF:
        """Return the point ``fraction`` of the way along the line from neuron ``i`` to ``j``."""
        start, end = self._starts[i], self._ends[j]
        return start + (end - start) * fraction

    def edge_at(self, scene_pos: QPointF, tolerance: float) -> tuple[int, int] | None:
        """Return (i, j) of the line nearest ``scene_pos`` if it is within ``tolerance``."""
        starts = np.array([(p.x(), p.y()) for p in self._starts])
        ends = np.array([(p.x(), p.y()) for p in self._ends])
        # Every line as start + t * direction, row-major like the weight block.
        origin = np.repeat(starts, len(ends), axis=0)
        direction = np.tile(ends, (len(starts), 1)) - origin
        point = np.array([scene_pos.x(), scene_pos.y()])
        length2 = np.maximum((direction**2).sum(axis=1), 1e-12)
        t = np.clip(((point - origin) * direction).sum(axis=1) / length2, 0.0, 1.0)
        distance = np.hypot(*(origin + t[:, None] * direction - point).T)
        nearest = int(np.argmin(distance))
        if distance[nearest] > tolerance:
            return None
        return divmod(nearest, len(ends))

    def summary_tooltip(self) -> str:
        return (
            f"{self.source} → {self.target}: "
            f"{self.source_item.units * self.target_item.units} weights"
        )

    def edge_tooltip(self, i: int, j: int) -> str:
        """Return the tooltip of the line from source neuron ``i`` to target neuron ``j``."""
        block = self._block()
        value = "—" if block is None else f"{float(block[i, j]):.6g}"
        return (
            f"w = {value}: {self.source} unit {i + 1} → {self.target} unit {j + 1}\n"
            "Double-click to type a value; the wheel nudges a selected weight"
        )

    def set_selected_edge(self, edge: tuple[int, int] | None) -> None:
        if edge != self.selected_edge:
            self.selected_edge = edge
            self.update()

    def set_marked_edge(self, edge: tuple[int, int] | None) -> None:
        if edge != self.marked_edge:
            self.marked_edge = edge
            self.update()

    def edge_pen(self, i: int, j: int) -> QPen:
        """Return the pen of the line from source neuron ``i`` to target neuron ``j``."""
        block = self._block()
        if block is None:
            return neutral_pen()
        return pen_for_weight(float(block[i, j]), self.weights.scale)

    def _block(self) -> Array | None:
        block = self.weights.block(self.source, self.target)
        if block is None or block.shape != (self.source_item.units, self.target_item.units):
            return None
        return block

    def _line_list(self) -> list[QLineF]:
        # Row-major like the weight block: line i * target units + j joins i to j.
        if self._lines is None:
            self._lines = [QLineF(start, end) for start in self._starts for end in self._ends]
        return self._lines

    # QGraphicsItem

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        # The tooltip names the value of the line under the pointer, if one is close enough.
        scale = _view_transform(event).m11() or 1.0
        edge = self.edge_at(event.scenePos(), HOVER_TOLERANCE / scale)
        self.setToolTip(self.summary_tooltip() if edge is None else self.edge_tooltip(*edge))
        super().hoverMoveEvent(event)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._hull

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        if self.isSelected():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(SELECTION_HALO)
            painter.drawPath(self._hull)

        lines = self._line_list()
        self._paint_selected_edge(painter, lines)
        if len(lines) > ANTIALIAS_LIMIT:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        block = self._block()
        if block is None:
            painter.setPen(neutral_pen())
            painter.drawLines(lines)
        else:
            self._paint_weights(painter, lines, block)
        self._paint_marked_edge(painter, lines)

    def _paint_weights(self, painter: QPainter, lines: list[QLineF], block: Array) -> None:
        # One pen per magnitude step and sign, the faintest lines first.
        keys = magnitude_levels(block, self.weights.scale).ravel() * 2 + (block < 0).ravel()
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        firsts = np.flatnonzero(np.diff(sorted_keys, prepend=-1))
        lasts = np.append(firsts[1:], len(order))
        for first, last in zip(firsts, lasts, strict=True):
            key = int(sorted_keys[first])
            painter.setPen(weight_pen(key // 2, bool(key % 2)))
            painter.drawLines([lines[k] for k in order[first:last]])

    def _paint_selected_edge(self, painter: QPainter, lines: list[QLineF]) -> None:
        if self.selected_edge is None:
            return
        i, j = self.selected_edge
        if i >= len(self._starts) or j >= len(self._ends):
            return
        pen = QPen(SELECTED_EDGE, SELECTED_EDGE_WIDTH)
        pen.setCosmetic(True)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLine(lines[i * len(self._ends) + j])

    def _paint_marked_edge(self, painter: QPainter, lines: list[QLineF]) -> None:
        if self.marked_edge is None:
            return
        i, j = self.marked_edge
        if i >= len(self._starts) or j >= len(self._ends):
            return
        pen = QPen(MARK, MARKED_EDGE_WIDTH)
        pen.setCosmetic(True)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(pen)
        painter.drawLine(lines[i * len(self._ends) + j])


def _view_transform(event: QGraphicsSceneHoverEvent) -> QTransform:
    """Return the transform of the view the hover event came from; identity without one."""
    widget = event.widget()
    view = widget.parent() if widget is not None else None
    if isinstance(view, QGraphicsView):
        return view.viewportTransform()
    return QTransform()
