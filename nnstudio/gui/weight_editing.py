"""Setting single weights and biases by hand on the canvas, as undoable edits.

Mouse on the canvas:
- click an edge or a bias marker: select that weight for the Weight panel;
- double-click one: type its value in a dialog;
- wheel over the selected weight: nudge it by WHEEL_STEP per notch, FINE_WHEEL_STEP
  with Shift held (elsewhere the wheel zooms as before).

Each typed value is one undo step. Wheel steps on one weight, and the values
of one slider drag, merge into one undo step until the user does something
else (clicks, selects another weight, types, starts a new drag, undoes).

Edits work before training and while a run is paused: the paused run's worker
gets the same values before its next step, so its optimizer state, epoch count
and loss history stay. While a run trains, editing is rejected with a message.
"""

from __future__ import annotations

import logging
import math
from itertools import count

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QMouseEvent, QWheelEvent

from nnstudio.engine.network import Parameters
from nnstudio.gui import dialogs
from nnstudio.gui.canvas.view import NetworkCanvas
from nnstudio.gui.canvas.weight_marker import WeightMarker
from nnstudio.gui.commands import SetWeightCommand
from nnstudio.gui.document import ProjectDocument
from nnstudio.gui.weight_values import (
    FINE_WHEEL_STEP,
    WHEEL_STEP,
    WeightRef,
    check_weight,
    describe,
    edge_ref,
    format_weight,
    parse_weight,
    read_value,
    write_value,
)
from nnstudio.gui.worker import TrainingController

log = logging.getLogger(__name__)

PICK_TOLERANCE = 6.0  # device pixels between the pointer and an edge or bias marker it picks
NOTCH = 120  # QWheelEvent.angleDelta of one wheel notch (eighths of a degree)
RUNNING_MESSAGE = "weights cannot be edited while training runs; pause (F6) or stop it first"
NO_WEIGHTS_MESSAGE = "the drawing is not a network yet, so it has no weights to edit"


class WeightEditing(QObject):
    """The selected weight and every hand edit of it; owns the canvas mouse handling for weights.

    Signals:
        selection_changed: another weight (or none) is selected.
        message(str): a one-line status message, e.g. why an edit was rejected.
    """

    selection_changed = Signal()
    message = Signal(str)

    def __init__(
        self,
        document: ProjectDocument,
        canvas: NetworkCanvas,
        controller: TrainingController,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.canvas = canvas
        self.controller = controller
        self.marker = WeightMarker(canvas)
        self.selected: WeightRef | None = None
        self._gestures = count(1)
        self._nudge_gesture: int | None = None  # wheel and keyboard steps merge under this
        self._pushing = False

        canvas.viewport().installEventFilter(self)
        document.parameters_changed.connect(self._on_parameters_changed)
        document.structure_changed.connect(self._on_structure_changed)
        document.project_replaced.connect(lambda: self.select(None))
        document.undo_stack.indexChanged.connect(self._on_undo_index_changed)

    # selection

    def select(self, ref: WeightRef | None) -> None:
        """Select ``ref`` for editing (None for none) and mark it on the canvas."""
        if ref is not None and read_value(self._parameters(), ref) is None:
            ref = None
        if ref == self.selected:
            return
        self.end_gesture()
        self.selected = ref
        self.marker.show(ref)
        self.selection_changed.emit()

    def value(self) -> float | None:
        """Return the selected weight's current value; None without a selection or weights."""
        if self.selected is None:
            return None
        return read_value(self._parameters(), self.selected)

    def description(self) -> str:
        if self.selected is None:
            return ""
        return describe(self.document.project, self.selected)

    def weight_at(self, scene_pos: QPointF) -> WeightRef | None:
        """Return the bias marker or edge line within PICK_TOLERANCE pixels of ``scene_pos``."""
        scene = self.canvas.canvas_scene
        tolerance = PICK_TOLERANCE / (self.canvas.transform().m11() or 1.0)
        for layer_item in scene.layers.values():
            index = layer_item.bias_at(scene_pos, tolerance)
            if index is not None:
                return WeightRef(layer_item.name, "b", index)
        best: tuple[float, WeightRef] | None = None
        for (source, target), connection in scene.connections.items():
            if not connection.sceneBoundingRect().contains(scene_pos):
                continue
            edge = connection.edge_at(scene_pos, tolerance)
            if edge is None:
                continue
            ref = edge_ref(self.document.project, source, target, *edge)
            start, end = connection.edge_point(*edge, 0.0), connection.edge_point(*edge, 1.0)
            distance = _segment_distance(scene_pos, start, end)
            if ref is not None and (best is None or distance < best[0]):
                best = (distance, ref)
        return None if best is None else best[1]

    # edits

    def can_edit(self) -> bool:
        """Return True when weights may be edited now; otherwise show why and return False."""
        if self.controller.state == "running":
            self.message.emit(RUNNING_MESSAGE)
            return False
        if self.document.project.parameters is None:
            self.message.emit(NO_WEIGHTS_MESSAGE)
            return False
        return True

    def set_value(self, value: float, gesture: int | None = None) -> bool:
        """Set the selected weight to ``value`` as an undo step; False when nothing changed.

        Steps with the same ``gesture`` merge into one; None makes a step of its own.
        """
        ref, old = self.selected, self.value()
        if ref is None or old is None or not self.can_edit():
            return False
        try:
            value = check_weight(value)
        except ValueError as error:
            self.message.emit(str(error))
            return False
        if value == old:
            return False
        text = f"Set {describe(self.document.project, ref)} to {format_weight(value)}"
        self._pushing = True
        try:
            self.document.undo_stack.push(
                SetWeightCommand(self.apply, ref, old, value, text, gesture)
            )
        finally:
            self._pushing = False
        return True

    def nudge(self, steps: float, fine: bool) -> bool:
        """Move the selected weight by ``steps`` wheel steps; consecutive nudges merge."""
        old = self.value()
        if old is None:
            return False
        step = FINE_WHEEL_STEP if fine else WHEEL_STEP
        # Rounded, so that 0.1 + 0.1 + 0.1 shows as 0.3 and not 0.30000000000000004.
        return self.nudge_to(round(old + steps * step, 10))

    def nudge_to(self, value: float) -> bool:
        """Set the selected weight to ``value`` as a nudge: consecutive nudges merge."""
        if self._nudge_gesture is None:
            self._nudge_gesture = self.new_gesture()
        return self.set_value(value, self._nudge_gesture)

    def edit_typed(self, text: str) -> bool:
        """Set the selected weight to the number in ``text``; an invalid text gets a warning."""
        self.end_gesture()
        if self.selected is None or not self.can_edit():
            return False
        try:
            value = parse_weight(text)
        except ValueError as error:
            name = describe(self.document.project, self.selected)
            dialogs.show_warning(
                self.canvas, "Invalid value", f"The {name} stays as it is: {error}."
            )
            return False
        return self.set_value(value)

    def ask_value(self) -> bool:
        """Ask for the selected weight's value in a dialog and set it; False when cancelled."""
        current = self.value()
        if self.selected is None or current is None or not self.can_edit():
            return False
        name = describe(self.document.project, self.selected)
        text = dialogs.ask_weight_value(
            self.canvas,
            "Set weight" if self.selected.kind == "W" else "Set bias",
            f"New value of the {name}:",
            format_weight(current),
        )
        if text is None:
            return False
        return self.edit_typed(text)

    def apply(self, ref: WeightRef, value: float) -> None:
        """Write ``value`` into the project (and a paused run); the undo commands call this."""
        parameters = self._parameters()
        if parameters is None or read_value(parameters, ref) is None:
            log.warning("cannot set %s: the network no longer has it", ref)
            return
        write_value(parameters, ref, value)
        # NOTE: a snapshot that a paused worker sent just before this edit but that arrives
        # after it shows the old value until the next step's snapshot. The worker sends one
        # only right after Pause or Step, before it waits, so a hand edit rarely meets one.
        self.controller.set_weight(ref, value)
        self.document.parameters_changed.emit()

    def new_gesture(self) -> int:
        """Return a token for one slider drag or run of nudges, so its steps merge."""
        return next(self._gestures)

    def end_gesture(self) -> None:
        """End the current run of nudges: the next nudge starts a new undo step."""
        self._nudge_gesture = None

    # document observers

    def _parameters(self) -> Parameters | None:
        return self.document.project.parameters

    def _on_parameters_changed(self) -> None:
        if self.selected is not None and self.value() is None:
            self.select(None)
            return
        self.marker.refresh()

    def _on_structure_changed(self) -> None:
        # Items may have been rebuilt: mark the selection again, or drop it if it is gone.
        ref = self.selected
        if ref is not None and read_value(self._parameters(), ref) is None:
            ref = None
        self.marker.show(ref)
        if ref != self.selected:
            self.end_gesture()
            self.selected = ref
            self.selection_changed.emit()

    def _on_undo_index_changed(self) -> None:
        if not self._pushing:
            self.end_gesture()

    # mouse on the canvas

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress:
            assert isinstance(event, QMouseEvent)
            if event.button() == Qt.MouseButton.LeftButton:
                self.select(self.weight_at(self._scene_pos(event)))
                self.end_gesture()
            return False
        if kind == QEvent.Type.MouseButtonDblClick:
            assert isinstance(event, QMouseEvent)
            return self._on_double_click(event)
        if kind == QEvent.Type.Wheel:
            assert isinstance(event, QWheelEvent)
            return self._on_wheel(event)
        return False

    def _on_double_click(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        ref = self.weight_at(self._scene_pos(event))
        if ref is None:
            return False  # the canvas adds a layer on empty space, as before
        self.select(ref)
        self.ask_value()
        return True

    def _on_wheel(self, event: QWheelEvent) -> bool:
        if self.selected is None or event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            return False
        point = self.canvas.mapToScene(event.position().toPoint())
        if self.weight_at(point) != self.selected:
            return False  # the wheel zooms everywhere except over the selected weight
        # Some platforms turn Shift+wheel into a horizontal wheel.
        delta = event.angleDelta().y() or event.angleDelta().x()
        fine = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if delta:
            self.nudge(delta / NOTCH, fine)
        event.accept()
        return True

    def _scene_pos(self, event: QMouseEvent) -> QPointF:
        return self.canvas.mapToScene(event.position().toPoint())


def _segment_distance(point: QPointF, start: QPointF, end: QPointF) -> float:
    """Return the distance from ``point`` to the line segment from ``start`` to ``end``."""
    dx, dy = end.x() - start.x(), end.y() - start.y()
    length2 = dx * dx + dy * dy
    t = 0.0
    if length2 > 0.0:
        t = ((point.x() - start.x()) * dx + (point.y() - start.y()) * dy) / length2
        t = min(max(t, 0.0), 1.0)
    return math.hypot(start.x() + t * dx - point.x(), start.y() + t * dy - point.y())
