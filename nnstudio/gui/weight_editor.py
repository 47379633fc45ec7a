"""The Weight panel: the selected weight's value in a spin box and a slider, and what it does.

Dragging the slider sets the weight live. The canvas, the decision boundary,
and this panel's loss, accuracy and outputs follow at once, and the whole drag
is one undo step. The panel lives in a dock tabbed with the Layer inspector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.engine.errors import EngineError
from nnstudio.engine.losses import make_loss
from nnstudio.engine.regularization import Regularization
from nnstudio.engine.training import accuracy
from nnstudio.gui.weight_editing import WeightEditing
from nnstudio.gui.weight_values import MAX_WEIGHT, format_weight
from nnstudio.project.model import Project

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

TICK = 0.01  # the slider's resolution
SLIDER_SPAN = 5.0  # the slider covers -5 .. 5, or more when the weight lies outside
MAX_OUTPUT_ROWS = 16  # datasets up to this size list every sample's output
VISIBLE_ROWS = 8  # rows of the outputs table shown without scrolling
STATUS_TIMEOUT = 8000  # milliseconds
HINT = (
    "Click an edge or a bias marker on the canvas to select it. Double-click it to type a "
    "value; the wheel over it nudges it by 0.1 (0.01 with Shift)."
)
RUNNING_NOTE = "Training is running: pause or stop it to edit weights."


@dataclass(frozen=True)
class Evaluation:
    """The loss and accuracy of the current weights on every sample, and the outputs."""

    loss: float | None
    accuracy: float | None
    output: NDArray[np.floating] | None
    problem: str = ""


def evaluate(project: Project) -> Evaluation:
    """Run the whole dataset through the current weights; the loss includes the L1/L2 penalty."""
    if project.parameters is None:
        return Evaluation(None, None, None, "no weights: the drawing is not a network yet")
    try:
        network = project.network()
        run = network.forward(project.dataset.network_inputs())
        y = project.dataset.y
        with np.errstate(over="ignore", invalid="ignore"):
            loss = network.loss_of(run, y, make_loss(project.settings.loss))
        s = project.settings
        loss += Regularization(s.l1, s.l2).penalty(network.parameters)
        output = run.output(network.spec)
    except EngineError as error:
        return Evaluation(None, None, None, str(error))
    return Evaluation(loss, accuracy(output, y), output)


class WeightPanel(QWidget):
    """Shows and sets the weight selected on the canvas through a WeightEditing."""

    def __init__(self, editing: WeightEditing, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editing = editing
        self.document = editing.document
        self._updating = False
        self._drag_gesture: int | None = None
        self.step_through_room: StepThroughRoom | None = None

        self.title = QLabel("No weight selected")
        self.title.setObjectName("weightTitle")
        self.title.setWordWrap(True)
        self.hint = QLabel(HINT)
        self.hint.setWordWrap(True)
        self.spin = QDoubleSpinBox()
        self.spin.setRange(-MAX_WEIGHT, MAX_WEIGHT)
        self.spin.setDecimals(4)
        self.spin.setSingleStep(0.1)
        self.spin.setKeyboardTracking(False)  # one undo step per committed value
        self.spin.setToolTip(f"The weight's value, from -{MAX_WEIGHT:g} to {MAX_WEIGHT:g}")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Drag to change the weight live; one drag is one undo step")
        self.low_label = QLabel()
        self.high_label = QLabel()
        self.loss_label = QLabel("Loss —")
        self.loss_label.setObjectName("weightLoss")
        self.accuracy_label = QLabel("Accuracy —")
        self.accuracy_label.setObjectName("weightAccuracy")
        self.outputs = QTableWidget()
        self.outputs.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.outputs.verticalHeader().setVisible(False)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setVisible(False)
        self._layout()

        self.spin.valueChanged.connect(self._on_spin_edited)
        self.slider.sliderPressed.connect(self._on_slider_pressed)
        self.slider.sliderReleased.connect(self._on_slider_released)
        self.slider.valueChanged.connect(self._on_slider_moved)
        editing.selection_changed.connect(self.refresh)
        self.document.parameters_changed.connect(self._on_parameters_changed)
        self.document.settings_changed.connect(self.show_evaluation)
        self.document.project_replaced.connect(self._on_parameters_changed)
        self.refresh()

    def _layout(self) -> None:
        slider_row = QHBoxLayout()
        slider_row.addWidget(self.low_label)
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(self.high_label)
        form = QFormLayout()
        form.addRow("Value", self.spin)
        form.addRow(slider_row)
        readout = QHBoxLayout()
        readout.addWidget(self.loss_label)
        readout.addWidget(self.accuracy_label)
        readout.addStretch(1)
        column = QVBoxLayout(self)
        column.addWidget(self.title)
        column.addLayout(form)
        column.addWidget(self.note)
        column.addLayout(readout)
        column.addWidget(self.outputs)
        column.addWidget(self.hint)
        column.addStretch(1)

    # public

    def set_running(self, running: bool) -> None:
        """Lock the controls while a run trains; a paused run can be edited."""
        self.note.setText(RUNNING_NOTE if running else "")
        self.note.setVisible(running)
        self.refresh()

    def slider_value(self) -> float:
        return self.slider.value() * TICK

    def refresh(self) -> None:
        """Show the selected weight, its value and the evaluation of the current weights."""
        value = self.editing.value()
        running = self.editing.controller.state == "running"
        self.title.setText(self.editing.description() or "No weight selected")
        self.spin.setEnabled(value is not None and not running)
        self.slider.setEnabled(value is not None and not running)
        if value is not None:
            self._show_value(value, move_range=not self.slider.isSliderDown())
        self.show_evaluation()

    def show_evaluation(self) -> None:
        result = evaluate(self.document.project)
        self.loss_label.setText("Loss —" if result.loss is None else f"Loss {result.loss:.6g}")
        acc = result.accuracy
        if acc is None or math.isnan(acc):
            self.accuracy_label.setText("Accuracy —")
        else:
            self.accuracy_label.setText(f"Accuracy {acc:.0%}")
        self.loss_label.setToolTip(
            result.problem
            or "Loss of the current weights on every sample, with the L1/L2 penalty if set"
        )
        self._show_outputs(result.output)

    # showing values

    def _show_value(self, value: float, move_range: bool) -> None:
        self._updating = True
        try:
            self.spin.setValue(value)
            if move_range:
                span = max(SLIDER_SPAN, math.ceil(abs(value)) + 1.0)
                span = min(span, MAX_WEIGHT)
                ticks = round(span / TICK)
                self.slider.setRange(-ticks, ticks)
                self.low_label.setText(format_weight(-span))
                self.high_label.setText(format_weight(span))
            if not self.slider.isSliderDown():
                self.slider.setValue(round(value / TICK))
        finally:
            self._updating = False

    def _show_outputs(self, output: NDArray[np.floating] | None) -> None:
        dataset = self.document.project.dataset
        if output is None or len(dataset.X) > MAX_OUTPUT_ROWS:
            self.outputs.setRowCount(0)
            self.outputs.setColumnCount(0)
            self.outputs.setVisible(False)
            return
        self.outputs.setVisible(True)
        inputs, targets = dataset.X.shape[1], dataset.y.shape[1]
        headers = [f"x{i + 1}" for i in range(inputs)]
        headers += [f"target {j + 1}" if targets > 1 else "target" for j in range(targets)]
        headers += [f"output {j + 1}" if targets > 1 else "output" for j in range(targets)]
        self.outputs.setColumnCount(len(headers))
        self.outputs.setHorizontalHeaderLabels(headers)
        self.outputs.setRowCount(len(dataset.X))
        for row in range(len(dataset.X)):
            cells = [*dataset.X[row], *dataset.y[row], *output[row]]
            for column, number in enumerate(cells):
                item = QTableWidgetItem(format_weight(float(number)))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.outputs.setItem(row, column, item)
        self.outputs.resizeColumnsToContents()
        self.outputs.resizeRowsToContents()
        # As tall as its rows, up to VISIBLE_ROWS of them; the rest scroll.
        shown = min(len(dataset.X), VISIBLE_ROWS)
        height = self.outputs.horizontalHeader().height() + 2 * self.outputs.frameWidth()
        height += sum(self.outputs.rowHeight(row) for row in range(shown))
        self.outputs.setFixedHeight(height)

    # user input

    def _on_parameters_changed(self) -> None:
        if self.editing.controller.state == "running":
            # Up to 30 snapshots a second: evaluating each would cost a forward pass over the
            # whole dataset in the GUI thread. The panel catches up when the run pauses or ends.
            return
        value = self.editing.value()
        if value is not None:
            self._show_value(value, move_range=not self.slider.isSliderDown())
        self.show_evaluation()

    def _on_spin_edited(self, value: float) -> None:
        if self._updating:
            return
        self.editing.end_gesture()
        if not self.editing.set_value(round(value, 10)):
            self.refresh()

    def _on_slider_pressed(self) -> None:
        self.editing.end_gesture()
        self._drag_gesture = self.editing.new_gesture()

    def _on_slider_released(self) -> None:
        self._drag_gesture = None
        self.refresh()

    def _on_slider_moved(self, ticks: int) -> None:
        if self._updating:
            return
        value = round(ticks * TICK, 10)
        if self._drag_gesture is not None:
            changed = self.editing.set_value(value, self._drag_gesture)
        else:
            # Keys and the wheel on the slider: steps that merge like wheel nudges on the canvas.
            changed = self.editing.nudge_to(value)
        if not changed and self.editing.value() != value:
            self.refresh()


class StepThroughRoom:
    """Hides the Weight dock while step-through mode runs, so the step table gets its height."""

    def __init__(self, dock: QDockWidget) -> None:
        self.dock = dock
        self.hidden = False

    def set_active(self, active: bool) -> None:
        if active and self.dock.isVisible() and not self.dock.isFloating():
            self.dock.hide()
            self.hidden = True
        elif not active and self.hidden:
            self.dock.show()
            self.hidden = False


def install_weight_editor(window: MainWindow) -> WeightPanel:
    """Add the Weight dock, tabbed with the Layer dock, and weight editing on the canvas."""
    editing = WeightEditing(window.document, window.canvas, window.training.controller, window)
    panel = WeightPanel(editing)
    dock = QDockWidget("Weight", window)
    # saveState() needs an object name to restore the dock.
    dock.setObjectName("dock Weight")
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.docks["Weight"] = dock
    layer_dock = window.docks.get("Layer")
    if layer_dock is not None:
        window.tabifyDockWidget(layer_dock, dock)
        layer_dock.raise_()

    def on_selection_changed() -> None:
        if editing.selected is not None:
            dock.raise_()

    editing.selection_changed.connect(on_selection_changed)
    room = StepThroughRoom(dock)
    panel.step_through_room = room
    window.step_through.mode_action.toggled.connect(room.set_active)
    editing.message.connect(lambda text: window.statusBar().showMessage(text, STATUS_TIMEOUT))
    window.training.controller.state_changed.connect(
        lambda state: panel.set_running(state == "running")
    )
    for action in window.menuBar().actions():
        menu = action.menu()
        if action.text().replace("&", "") == "View" and isinstance(menu, QMenu):
            menu.addAction(dock.toggleViewAction())
    return panel
