"""The canvas scene: items that mirror the document, and the mouse edits made on them.

The scene never changes the project directly. Moving a layer and dragging a
connection push undo commands; the items then follow the document's signals
like every other view.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QLineF, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPen, QTransform
from PySide6.QtWidgets import QGraphicsLineItem, QGraphicsScene, QGraphicsSceneMouseEvent

from nnstudio.gui.canvas.colors import RUBBER_LINE
from nnstudio.gui.canvas.connections import ConnectionItem
from nnstudio.gui.canvas.items import HandleItem, LayerItem
from nnstudio.gui.canvas.weights import WeightLookup
from nnstudio.gui.commands import MoveLayerCommand, connect_layers
from nnstudio.gui.document import ProjectDocument
from nnstudio.project.model import INPUT

log = logging.getLogger(__name__)

# Empty space kept around the items, so the view can pan past the outermost layers.
SCENE_MARGIN = 600.0
# Moves shorter than this (scene units) are not worth an undo step.
MOVE_TOLERANCE = 0.05


class CanvasScene(QGraphicsScene):
    """Layer and connection items for the document's project.

    Signals:
        message(str): why an edit made with the mouse did not happen.
    """

    message = Signal(str)

    def __init__(self, document: ProjectDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.weights = WeightLookup(document)
        self.editable = True
        self.layers: dict[str, LayerItem] = {}
        self.connections: dict[tuple[str, str], ConnectionItem] = {}
        self._extent = QRectF()  # what the scene rect has grown to since the last rebuild

        # the connection being dragged from an output handle
        self._link_source: LayerItem | None = None
        self._link_target: LayerItem | None = None
        self._rubber_line: QGraphicsLineItem | None = None

        document.structure_changed.connect(self._on_structure_changed)
        document.layer_moved.connect(self._on_layer_moved)
        document.parameters_changed.connect(self._on_parameters_changed)
        document.project_replaced.connect(self.rebuild)
        self.rebuild()

    # syncing from the document

    def rebuild(self) -> None:
        """Drop every item and build them again from the project."""
        self.cancel_link()
        for key in list(self.connections):
            self._remove_connection(key)
        for name in list(self.layers):
            self.removeItem(self.layers.pop(name))
        self._extent = QRectF()
        self._on_structure_changed()

    def _on_structure_changed(self) -> None:
        project = self.document.project
        self.weights.refresh()
        if self._link_source is not None and not project.has_layer(self._link_source.name):
            self.cancel_link()
        self._sync_layers()
        self._sync_connections()
        self.grow_scene_rect()
        self.update()

    def _sync_layers(self) -> None:
        """Create, update and remove layer items; items of layers still there are kept."""
        layers = self.document.project.layers
        names = {layer.name for layer in layers}
        for name in [name for name in self.layers if name not in names]:
            for key in [key for key in self.connections if name in key]:
                self._remove_connection(key)
            self.removeItem(self.layers.pop(name))
        for layer in layers:
            item = self.layers.get(layer.name)
            if item is None:
                item = LayerItem(layer, self.weights)
                self.layers[layer.name] = item
                self.addItem(item)
            else:
                item.set_layer(layer)
            if item.handle is not None:
                item.handle.setVisible(self.editable)

    def _sync_connections(self) -> None:
        """Create and remove connection items, then fit every one to its layers' sizes."""
        pairs = self.document.project.connections
        wanted = set(pairs)
        for key in [key for key in self.connections if key not in wanted]:
            self._remove_connection(key)
        for source, target in pairs:
            if (source, target) in self.connections:
                continue
            if source not in self.layers or target not in self.layers:
                log.warning("connection %s -> %s names a missing layer", source, target)
                continue
            connection = ConnectionItem(self.layers[source], self.layers[target], self.weights)
            self.connections[(source, target)] = connection
            self.addItem(connection)
        for connection in self.connections.values():
            connection.update_geometry()

    def _remove_connection(self, key: tuple[str, str]) -> None:
        item = self.connections.pop(key)
        item.detach()
        self.removeItem(item)

    def _on_layer_moved(self, name: str) -> None:
        item = self.layers.get(name)
        if item is None:
            return
        item.setPos(QPointF(*self.document.project.layer(name).position))
        self.grow_scene_rect()

    def _on_parameters_changed(self) -> None:
        # Called up to 30 times a second while training: repaint, never rebuild.
        self.weights.refresh()
        for connection in self.connections.values():
            connection.update()
        for layer in self.layers.values():
            layer.update()

    def grow_scene_rect(self) -> None:
        """Widen the scene rect to hold every item with a margin; it never shrinks."""
        m = SCENE_MARGIN
        bounds = self.itemsBoundingRect().adjusted(-m, -m, m, m)
        self._extent = bounds if self._extent.isNull() else self._extent.united(bounds)
        self.setSceneRect(self._extent)

    def set_editable(self, editable: bool) -> None:
        """Allow or forbid connecting; the output handles show only while it is allowed."""
        self.editable = editable
        if not editable:
            self.cancel_link()
        for item in self.layers.values():
            if item.handle is not None:
                item.handle.setVisible(editable)

    # mouse: moving layers and dragging connections

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.editable:
            item = self.itemAt(event.scenePos(), QTransform())
            if isinstance(item, HandleItem):
                self._begin_link(item.layer_item, event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._link_source is not None:
            self._drag_link(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._link_source is not None and event.button() == Qt.MouseButton.LeftButton:
            self._end_link(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self._commit_moves()

    def _commit_moves(self) -> None:
        """Push one move command per layer the mouse dragged away from its stored position."""
        moves = []
        for name, item in self.layers.items():
            old = self.document.project.layer(name).position
            new = (round(item.x(), 1), round(item.y(), 1))
            if abs(new[0] - old[0]) > MOVE_TOLERANCE or abs(new[1] - old[1]) > MOVE_TOLERANCE:
                moves.append(MoveLayerCommand(self.document, name, old, new))
        if not moves:
            return
        stack = self.document.undo_stack
        if len(moves) > 1:
            stack.beginMacro(f"Move {len(moves)} layers")
        for command in moves:
            stack.push(command)
        if len(moves) > 1:
            stack.endMacro()
        self.grow_scene_rect()

    def _begin_link(self, source: LayerItem, position: QPointF) -> None:
        self._link_source = source
        pen = QPen(RUBBER_LINE, 1.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self._rubber_line = QGraphicsLineItem(QLineF(source.output_handle_scene_pos(), position))
        self._rubber_line.setPen(pen)
        self._rubber_line.setZValue(10.0)
        self._rubber_line.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.addItem(self._rubber_line)

    def _drag_link(self, position: QPointF) -> None:
        assert self._link_source is not None and self._rubber_line is not None
        self._rubber_line.setLine(QLineF(self._link_source.output_handle_scene_pos(), position))
        target = self.layer_at(position)
        if target is self._link_source:
            target = None
        if target is not self._link_target:
            self._set_link_target(target)

    def _end_link(self, position: QPointF) -> None:
        source = self._link_source
        target = self.layer_at(position)
        self.cancel_link()
        if source is None or target is None:
            return
        if target is source:
            self.message.emit(f"cannot connect {source.name} to itself")
            return
        command = connect_layers(self.document, source.name, target.name)
        if command is None:
            self.message.emit(self._refusal(source.name, target.name))
            return
        self.document.undo_stack.push(command)

    def _refusal(self, source: str, target: str) -> str:
        """Explain why connect_layers rejected a connection from ``source`` to ``target``."""
        connections = self.document.project.connections
        if target == INPUT:
            return (
                f"cannot connect {source} to input: connections run from a layer to a later one, "
                "and the input comes first"
            )
        if (source, target) in connections:
            return f"{source} is already connected to {target}"
        if (target, source) in connections:
            return (
                f"cannot connect {source} to {target}: {target} already feeds {source}, "
                "and connections run only forward"
            )
        return f"cannot connect {source} to {target}"

    def cancel_link(self) -> None:
        """Stop dragging a connection without making it."""
        self._set_link_target(None)
        if self._rubber_line is not None:
            self.removeItem(self._rubber_line)
            self._rubber_line = None
        self._link_source = None

    def _set_link_target(self, target: LayerItem | None) -> None:
        if self._link_target is not None:
            self._link_target.link_target = False
            self._link_target.update()
        self._link_target = target
        if target is not None:
            target.link_target = True
            target.update()

    def layer_at(self, position: QPointF) -> LayerItem | None:
        """Return the topmost layer whose box, caption or handle is at ``position``."""
        for item in self.items(position):
            if isinstance(item, LayerItem):
                return item
            if isinstance(item, HandleItem):
                return item.layer_item
        return None
