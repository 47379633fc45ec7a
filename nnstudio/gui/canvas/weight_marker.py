"""The canvas marks of the weight being edited by hand: a band or a ring, and its value.

A selected weight's edge gets a dark band under its line (drawn by the
connection item) and a selected bias a ring round its marker (a child item of
the layer, so it follows the layer when dragged). A label with the value sits
on the edge's middle or left of the bias marker.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nnstudio.gui.canvas.connections import ConnectionItem
from nnstudio.gui.canvas.items import BIAS_X, LayerItem
from nnstudio.gui.canvas.overlay import ValueLabel
from nnstudio.gui.canvas.view import NetworkCanvas
from nnstudio.gui.weight_values import WeightRef, edge_ends, format_weight, read_value

RING = QColor("#202020")
RING_WIDTH = 2.0
RING_GAP = 3.0  # scene units between the largest bias marker and the ring
LABEL_TONE = QColor("#202020")
LABEL_FRACTION = 0.5  # where along the edge the value label sits, from the source


class BiasRing(QGraphicsItem):
    """A ring round the bias marker of neuron ``index``, as a child of its layer item."""

    def __init__(self, layer_item: LayerItem, index: int) -> None:
        super().__init__(layer_item)
        self.index = index
        column = layer_item.column
        self._center = QPointF(BIAS_X, column.y(index))
        self._radius = column.bias_radius + RING_GAP
        # Clicks go through to the marker and the layer underneath.
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def boundingRect(self) -> QRectF:
        r = self._radius + RING_WIDTH
        return QRectF(self._center.x() - r, self._center.y() - r, 2 * r, 2 * r)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        painter.setPen(QPen(RING, RING_WIDTH))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(self._center, self._radius, self._radius)


class WeightMarker:
    """Marks one weight or bias on a NetworkCanvas; ``show(None)`` removes every mark."""

    def __init__(self, canvas: NetworkCanvas) -> None:
        self.canvas = canvas
        self.scene = canvas.canvas_scene
        self.ref: WeightRef | None = None
        self.label: ValueLabel | None = None
        self._connection: ConnectionItem | None = None
        self._ring: BiasRing | None = None

    def show(self, ref: WeightRef | None) -> None:
        """Mark ``ref`` (after removing the previous marks) and label it with its value."""
        self._clear()
        self.ref = ref
        if ref is None:
            return
        project = self.canvas.document.project
        if ref.kind == "W":
            ends = edge_ends(project, ref)
            connection = None
            if ends is not None:
                connection = self.scene.connections.get((ends.source, ends.target))
            if ends is None or connection is None:
                return
            connection.set_selected_edge((ends.source_unit, ends.unit))
            connection.add_geometry_listener(self.refresh)
            self._connection = connection
        else:
            layer_item = self.scene.layers.get(ref.layer)
            if layer_item is None or ref.unit >= layer_item.units:
                return
            self._ring = BiasRing(layer_item, ref.unit)
        self.refresh()

    def refresh(self) -> None:
        """Show the current value in the label, at the mark's current place."""
        _remove(self.label)
        self.label = None
        if self.ref is None:
            return
        value = read_value(self.canvas.document.project.parameters, self.ref)
        if value is None:
            return
        prefix = "w = " if self.ref.kind == "W" else "b = "
        text = f"{prefix}{format_weight(value)}"
        if self._connection is not None and shiboken6.isValid(self._connection):
            ends = self._connection.selected_edge
            if ends is None:
                return
            self.label = ValueLabel(text, LABEL_TONE, "center")
            self.label.setPos(self._connection.edge_point(*ends, LABEL_FRACTION))
            self.scene.addItem(self.label)
        elif self._ring is not None and shiboken6.isValid(self._ring):
            layer_item = self._ring.parentItem()
            assert isinstance(layer_item, LayerItem)
            self.label = ValueLabel(text, LABEL_TONE, "right")
            self.label.setParentItem(layer_item)
            self.label.setPos(layer_item.bias_label_anchor(self._ring.index) - QPointF(8.0, 0.0))

    def _clear(self) -> None:
        if self._connection is not None and shiboken6.isValid(self._connection):
            self._connection.set_selected_edge(None)
            self._connection.remove_geometry_listener(self.refresh)
        self._connection = None
        _remove(self._ring)
        self._ring = None
        _remove(self.label)
        self.label = None


def _remove(item: QGraphicsItem | None) -> None:
    """Take ``item`` out of its scene, unless it is gone already (its layer was removed)."""
    if item is None or not shiboken6.isValid(item):
        return
    scene = item.scene()
    if scene is not None:
        scene.removeItem(item)
