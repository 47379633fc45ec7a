"""NetworkCanvas: the view in the centre of the main window where the network is drawn.

Left button: drag a layer to move it, drag from a layer's output handle to
connect it, click a connection to select it, click a neuron to select its
layer and its row in the Layer panel, drag on empty space to select with a
rubber band, double-click empty space to add a hidden layer. Middle or
right button: pan. Wheel: zoom around the cursor. Delete or Backspace: delete
the selection.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QGraphicsView, QWidget

from nnstudio.gui.canvas.colors import BACKGROUND, GRID
from nnstudio.gui.canvas.connections import ConnectionItem
from nnstudio.gui.canvas.items import LayerItem
from nnstudio.gui.canvas.scene import CanvasScene
from nnstudio.gui.commands import add_layer, remove_items
from nnstudio.gui.document import ProjectDocument

log = logging.getLogger(__name__)

MIN_SCALE = 0.15
MAX_SCALE = 5.0
FIT_MAX_SCALE = 2.0  # a small network is not blown up further than this by fit_all
ZOOM_STEP = 1.25
WHEEL_BASE = 1.0015  # zoom factor per eighth of a degree; one wheel notch (120) is about 1.2
GRID_STEP = 40.0
FIT_MARGIN = 40.0
# Where add_layer looks for free space: steps below and above the centre of the view.
FREE_SPOT_STEP = 150.0
FREE_SPOT_TRIES = 8
NEW_LAYER_SIZE = QRectF(-50.0, -80.0, 100.0, 150.0)  # about a 3-neuron layer with caption

LOCKED_MESSAGE = "the network cannot be changed while training runs; pause or stop it first"


class NetworkCanvas(QGraphicsView):
    """The network canvas: layers, neurons and weighted connections, edited with the mouse.

    Signals:
        layer_selected(str): the name of the one selected layer, "" for none or several.
        neuron_clicked(str, int): the user clicked a neuron, given by its layer's name
            and its index from 0; sent after the click has selected the layer.
        message(str): a one-line explanation for the status bar, e.g. why a connection
            was not made.
        scale_changed: the zoom changed, so items drawn at a fixed screen size need a
            new layout.
    """

    layer_selected = Signal(str)
    neuron_clicked = Signal(str, int)
    message = Signal(str)
    scale_changed = Signal()

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        # Parented to the view: a view does not own its scene.
        self.canvas_scene = CanvasScene(document, self)
        self.setScene(self.canvas_scene)
        self._editable = True
        self._auto_fit = True  # fit on resize until the user zooms or pans
        self._pan_from: QPoint | None = None
        self._last_selected = ""
        # the neuron under the last left press, and where the press was
        self._pressed_neuron: tuple[str, int, QPoint] | None = None

        # rendering
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        # interaction
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.canvas_scene.message.connect(self.message)
        self.canvas_scene.selectionChanged.connect(self._on_selection_changed)
        # The scene connected first, so its items are rebuilt before this handler fits them.
        document.project_replaced.connect(self._on_project_replaced)

    # public API

    def set_editable(self, editable: bool) -> None:
        """Allow or forbid adding, deleting and connecting; moving layers stays allowed."""
        self._editable = editable
        self.canvas_scene.set_editable(editable)

    def add_layer(self) -> None:
        """Add a hidden layer at the centre of the visible area, or near it where there is room."""
        center = self.mapToScene(self.viewport().rect().center())
        self._add_layer_at(self._free_spot(center))

    def delete_selected(self) -> None:
        """Delete the selected hidden layers and connections; input and output stay."""
        selected = self.canvas_scene.selectedItems()
        layers = [item for item in selected if isinstance(item, LayerItem)]
        connections = [
            (item.source, item.target) for item in selected if isinstance(item, ConnectionItem)
        ]
        if not layers and not connections:
            return
        if not self._editable:
            self.message.emit(LOCKED_MESSAGE)
            return

        kept = [item.name for item in layers if item.role in ("input", "output")]
        doomed = [item.name for item in layers if item.role not in ("input", "output")]
        if kept:
            listed = " and ".join(kept)
            noun = "layers" if len(kept) > 1 else "layer"
            self.message.emit(
                f"the {listed} {noun} cannot be deleted: every network keeps its input and output"
            )
        if doomed or connections:
            self.document.undo_stack.push(remove_items(self.document, doomed, connections))

    def zoom_in(self) -> None:
        self._zoom(ZOOM_STEP)

    def zoom_out(self) -> None:
        self._zoom(1 / ZOOM_STEP)

    def fit_all(self) -> None:
        """Show every layer, at most at FIT_MAX_SCALE."""
        bounds = self.canvas_scene.itemsBoundingRect()
        if bounds.isEmpty():
            return
        bounds.adjust(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN)
        self.fitInView(bounds, Qt.AspectRatioMode.KeepAspectRatio)
        scale = self.transform().m11()
        if not MIN_SCALE <= scale <= FIT_MAX_SCALE:
            scale = min(max(scale, MIN_SCALE), FIT_MAX_SCALE)
            self.setTransform(QTransform.fromScale(scale, scale))
            self.centerOn(bounds.center())
        self.scale_changed.emit()

    def selected_layer(self) -> str | None:
        """Return the name of the selected layer; None when no layer or several are selected."""
        layers = [item for item in self.canvas_scene.selectedItems() if isinstance(item, LayerItem)]
        return layers[0].name if len(layers) == 1 else None

    def selected_layers(self) -> list[str]:
        """Return the names of every selected layer, in drawing order."""
        items = self.canvas_scene.selectedItems()
        return [item.name for item in items if isinstance(item, LayerItem)]

    def select_layers(self, names: list[str]) -> None:
        """Select exactly the layers ``names``."""
        self.canvas_scene.clearSelection()
        for name in names:
            item = self.canvas_scene.layers.get(name)
            if item is not None:
                item.setSelected(True)

    def select_layer(self, name: str) -> None:
        """Select only the layer ``name`` and scroll it into view."""
        self.canvas_scene.clearSelection()
        item = self.canvas_scene.layers.get(name)
        if item is not None:
            item.setSelected(True)
            self.ensureVisible(item, 20, 20)

    def layer_item(self, name: str) -> LayerItem:
        return self.canvas_scene.layers[name]

    def connection_item(self, source: str, target: str) -> ConnectionItem:
        return self.canvas_scene.connections[(source, target)]

    # document and scene signals

    def _on_project_replaced(self) -> None:
        self._on_selection_changed()
        self._auto_fit = True
        self.fit_all()

    def _on_selection_changed(self) -> None:
        name = self.selected_layer() or ""
        if name != self._last_selected:
            self._last_selected = name
            self.layer_selected.emit(name)

    # editing helpers

    def _add_layer_at(self, position: QPointF) -> None:
        if not self._editable:
            self.message.emit(LOCKED_MESSAGE)
            return
        name = self.document.project.new_layer_name()
        place = (round(position.x(), 1), round(position.y(), 1))
        self.document.undo_stack.push(add_layer(self.document, place))
        self.select_layer(name)

    def _free_spot(self, center: QPointF) -> QPointF:
        """Return ``center``, or the nearest point above or below it where no layer sits."""
        occupied = [item.sceneBoundingRect() for item in self.canvas_scene.layers.values()]
        for attempt in range(FREE_SPOT_TRIES):
            step = (attempt + 1) // 2 * (1 if attempt % 2 else -1)
            spot = center + QPointF(0.0, step * FREE_SPOT_STEP)
            footprint = NEW_LAYER_SIZE.translated(spot)
            if not any(footprint.intersects(rect) for rect in occupied):
                return spot
        return center

    def _zoom(self, factor: float, around: QPoint | None = None) -> None:
        """Scale the view by ``factor`` within the zoom limits, keeping ``around`` in place."""
        current = self.transform().m11()
        wanted = min(max(current * factor, MIN_SCALE), MAX_SCALE)
        if abs(wanted - current) < 1e-9:
            return
        self._auto_fit = False
        anchor = around if around is not None else self.viewport().rect().center()
        before = self.mapToScene(anchor)
        self.scale(wanted / current, wanted / current)

        # Scroll so the scene point that was under the anchor is there again.
        shift = (before - self.mapToScene(anchor)) * wanted
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + round(shift.x()))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + round(shift.y()))
        self.scale_changed.emit()

    # Qt events

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta == 0:
            super().wheelEvent(event)
            return
        self._zoom(WHEEL_BASE**delta, event.position().toPoint())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        self._pressed_neuron = None
        if event.button() == Qt.MouseButton.LeftButton:
            self._pressed_neuron = self._neuron_under(event.position().toPoint())
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            point = event.position().toPoint()
            delta = point - self._pan_from
            self._pan_from = point
            self._auto_fit = False
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.RightButton,
        ):
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)
        # A release that ends a rubber band or a click on empty space reaches no item;
        # it still belongs to the canvas, not to the widgets around it.
        event.accept()
        if event.button() == Qt.MouseButton.LeftButton:
            self._finish_neuron_click(event.position().toPoint())

    def _neuron_under(self, point: QPoint) -> tuple[str, int, QPoint] | None:
        item = self.itemAt(point)
        if not isinstance(item, LayerItem):
            return None
        index = item.neuron_at(self.mapToScene(point))
        return None if index is None else (item.name, index, point)

    def _finish_neuron_click(self, point: QPoint) -> None:
        """Send neuron_clicked when the press was on a neuron and the mouse barely moved."""
        pressed, self._pressed_neuron = self._pressed_neuron, None
        if pressed is None:
            return
        name, index, start = pressed
        # A release after dragging the layer away ends a move, not a click. Qt has
        # finished changing the selection by the release, so the Layer panel
        # already shows the clicked layer.
        if (point - start).manhattanLength() < QApplication.startDragDistance():
            self.neuron_clicked.emit(name, index)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        point = event.position().toPoint()
        if event.button() == Qt.MouseButton.LeftButton and self.itemAt(point) is None:
            self._add_layer_at(self.mapToScene(point))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selected()
            event.accept()
            return
        if key == Qt.Key.Key_Escape:
            self.canvas_scene.cancel_link()
        super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit_all()

    def drawBackground(self, painter: QPainter, exposed: QRectF | QRect) -> None:
        rect = QRectF(exposed)
        painter.fillRect(rect, BACKGROUND)
        if self.transform().m11() < 0.4:
            return  # the grid would only be noise
        pen = QPen(GRID, 1.0)
        pen.setCosmetic(True)
        painter.setPen(pen)
        left = int(rect.left() // GRID_STEP) * GRID_STEP
        top = int(rect.top() // GRID_STEP) * GRID_STEP
        x = left
        while x < rect.right():
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            x += GRID_STEP
        y = top
        while y < rect.bottom():
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            y += GRID_STEP
