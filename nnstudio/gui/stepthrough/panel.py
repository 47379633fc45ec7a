"""The Step through dock: pick a sample, walk through its forward and backward pass.

The panel owns the step-through state: the Walkthrough of the chosen sample,
the current step and the weight or bias whose chain rule is shown. The canvas
overlay and the matrix view observe its signals. The panel rebuilds the
walkthrough whenever the project changes, and it changes the project only
through the undo command of Apply update.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.engine.errors import EngineError
from nnstudio.gui.document import ProjectDocument
from nnstudio.gui.stepthrough.matrix_view import MatrixView
from nnstudio.gui.stepthrough.notation import ParameterRef, format_number
from nnstudio.gui.stepthrough.panel_parts import (
    GradientCheck,
    StepTable,
    apply_update_command,
    title_font,
)
from nnstudio.gui.stepthrough.step import Step
from nnstudio.gui.stepthrough.walkthrough import Walkthrough

log = logging.getLogger(__name__)

CHAIN_PLACEHOLDER = (
    "Click an edge or a bias marker on the canvas, a row of the table above, or a cell of "
    "the matrices to see the chain rule for that weight or bias."
)
# A batch of more samples would make the step tables too long to read.
MAX_BATCH = 16
MIN_PART_HEIGHT = 40  # pixels, for the step table and the chain-rule text


class StepThroughPanel(QWidget):
    """Sample picker, Back and Next, the current step's values and the chain rule.

    Signals:
        step_changed: the walkthrough or its current step changed, or the mode ended.
        parameter_selected(object): the ParameterRef whose chain rule is shown, or None.
        message(str): a one-line note for the status bar.
    """

    step_changed = Signal()
    parameter_selected = Signal(object)
    message = Signal(str)

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stepThroughPanel")
        self.document = document
        self.walkthrough: Walkthrough | None = None
        self.index = 0
        self.selected: ParameterRef | None = None
        self.active = False
        self._locked = False  # while training runs
        self._error: str | None = None
        # Set by install_stepthrough: the Matrices dock's view and the canvas link.
        self.matrices: MatrixView | None = None
        self.canvas_link: QObject | None = None

        self._create_actions()
        self._create_widgets()
        self._lay_out()

        document.structure_changed.connect(self._on_project_changed)
        document.parameters_changed.connect(self._on_project_changed)
        document.settings_changed.connect(self._on_settings_changed)
        document.project_replaced.connect(self._on_project_replaced)
        self._update_sample_range()
        self._show()

    # building

    def _create_actions(self) -> None:
        self.mode_action = QAction("Step &through a pass", self)
        self.mode_action.setCheckable(True)
        self.mode_action.setToolTip("Show one forward and backward pass step by step")
        self.mode_action.toggled.connect(self.set_active)
        self.back_action = QAction("Step &back", self)
        self.back_action.setShortcut(QKeySequence("Alt+Left"))
        self.back_action.setToolTip("Go to the previous step (Alt+Left)")
        self.back_action.triggered.connect(self.back)
        self.next_action = QAction("&Next step", self)
        self.next_action.setShortcut(QKeySequence("Alt+Right"))
        self.next_action.setToolTip("Go to the next step; starts step-through mode (Alt+Right)")
        self.next_action.triggered.connect(self.next)

        # Plain keys while the panel or one of its widgets has focus. A spin box
        # keeps Left and Right for its cursor, because it accepts them first.
        for key, slot in (
            (Qt.Key.Key_Left, self.back),
            (Qt.Key.Key_Comma, self.back),
            (Qt.Key.Key_Right, self.next),
            (Qt.Key.Key_Period, self.next),
        ):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def _create_widgets(self) -> None:
        self.sample = QSpinBox()
        self.sample.setPrefix("Sample ")
        self.sample.setToolTip("The dataset row to step through, counted from 1")
        self.sample.valueChanged.connect(self._on_sample_changed)
        self.batch = QCheckBox("All as one batch")
        self.batch.setToolTip(f"Step through the whole dataset at once (up to {MAX_BATCH} rows)")
        self.batch.toggled.connect(self._on_sample_changed)
        self.sample_label = QLabel()
        self.sample_label.setObjectName("sampleLabel")
        # Wrapping lets a long input vector shrink the label instead of widening the dock.
        self.sample_label.setWordWrap(True)

        self.mode_button = QToolButton()
        self.mode_button.setDefaultAction(self.mode_action)
        self.mode_button.setText("Step through")
        self.back_button = QPushButton("◀ Back")
        self.back_button.setToolTip(self.back_action.toolTip())
        self.back_button.clicked.connect(self.back)
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip(self.next_action.toolTip())
        self.next_button.clicked.connect(self.next)

        self.title = QLabel()
        self.title.setObjectName("stepTitle")
        self.title.setFont(title_font())
        self.position = QLabel()
        self.summary = QLabel()
        self.summary.setObjectName("stepSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.legend = QLabel()
        self.legend.setObjectName("stepLegend")
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("font-style: italic;")
        self.table = StepTable()
        self.table.parameter_clicked.connect(self.select_parameter)

        self.chain = QLabel(CHAIN_PLACEHOLDER)
        self.chain.setObjectName("chainRule")
        self.chain.setWordWrap(True)
        self.chain.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.chain.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.apply_button = QPushButton("Apply update")
        self.apply_button.setToolTip("Store the Update step's new weights; Ctrl+Z undoes it")
        self.apply_button.clicked.connect(self.apply_update)
        self.gradient_check = GradientCheck(self.document, self)

    def _lay_out(self) -> None:
        column = QVBoxLayout(self)
        picker = QHBoxLayout()
        picker.addWidget(self.sample)
        picker.addWidget(self.sample_label, 1)
        picker.addWidget(self.batch)
        column.addLayout(picker)

        navigation = QHBoxLayout()
        navigation.addWidget(self.mode_button)
        navigation.addStretch(1)
        navigation.addWidget(self.back_button)
        navigation.addWidget(self.next_button)
        column.addLayout(navigation)

        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.position)
        column.addLayout(heading)

        # The step's table and the chain rule share the height, and the user moves the divider.
        step_part = QWidget()
        step_column = QVBoxLayout(step_part)
        step_column.setContentsMargins(0, 0, 0, 0)
        step_column.addWidget(self.summary)
        step_column.addWidget(self.legend)
        step_column.addWidget(self.table, 1)
        chain_part = QWidget()
        chain_column = QVBoxLayout(chain_part)
        chain_column.setContentsMargins(0, 0, 0, 0)
        chain_title = QLabel("Chain rule")
        chain_title.setFont(title_font(smaller=True))
        chain_column.addWidget(chain_title)
        scroller = QScrollArea()
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setWidget(self.chain)
        # Small minimums keep the dock within the height of the Training dock it is tabbed with.
        scroller.setMinimumHeight(MIN_PART_HEIGHT)
        self.table.setMinimumHeight(MIN_PART_HEIGHT)
        chain_column.addWidget(scroller, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(step_part)
        splitter.addWidget(chain_part)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        column.addWidget(splitter, 1)

        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.gradient_check.button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        column.addWidget(self.gradient_check.result)

    # the mode

    def set_active(self, active: bool) -> None:
        """Enter step-through mode at the first step, or leave it."""
        if active and self._locked:
            active = False
        if self.mode_action.isChecked() != active:
            self.mode_action.setChecked(active)  # calls set_active again with the same value
            return
        if active == self.active:
            return
        self.active = active
        self.index = 0
        self.selected = None
        if active:
            self._rebuild()
        else:
            self.walkthrough = None
            self._error = None
        self._show()
        self.parameter_selected.emit(None)

    def set_locked(self, locked: bool) -> None:
        """Leave and lock step-through mode while training runs: the weights keep changing."""
        self._locked = locked
        if locked:
            self.set_active(False)
        self.mode_action.setEnabled(not locked)
        self._update_buttons()

    def next(self) -> None:
        if not self.active:
            self.set_active(True)
            return
        if self.walkthrough is not None and self.index < len(self.walkthrough.steps) - 1:
            self.index += 1
            self._show()

    def back(self) -> None:
        if self.active and self.index > 0:
            self.index -= 1
            self._show()

    def current_step(self) -> Step | None:
        if self.walkthrough is None:
            return None
        return self.walkthrough.steps[self.index]

    def samples(self) -> list[int]:
        """Return the 0-based dataset rows the walkthrough uses."""
        if self.batch.isChecked():
            return list(range(len(self.document.project.dataset.X)))
        return [self.sample.value() - 1]

    # selection and edits

    def select_parameter(self, ref: ParameterRef | None) -> None:
        """Show the chain rule of ``ref``, which the canvas and matrices mark too."""
        self.selected = ref
        self._show_chain_rule()
        self.parameter_selected.emit(ref)

    def apply_update(self) -> None:
        """Push the Update step's new weights as one undo command, then start from step 1."""
        walk = self.walkthrough
        if walk is None or walk.updated is None:
            return
        rows = ", ".join(str(index + 1) for index in walk.samples)
        noun = "samples" if len(walk.samples) > 1 else "sample"
        command = apply_update_command(
            self.document, walk.updated, f"Apply update of {noun} {rows}"
        )
        self.document.undo_stack.push(command)
        self.index = 0
        self._show()
        self.message.emit("Update applied: the walkthrough starts again with the new weights")

    # document observers

    def _on_project_changed(self) -> None:
        if self.active:
            self._rebuild()
            self._show()

    def _on_settings_changed(self) -> None:
        self._update_sample_range()
        self._on_project_changed()

    def _on_project_replaced(self) -> None:
        self.set_active(False)
        self._update_sample_range()
        self.sample.setValue(1)
        self.gradient_check.clear()

    def _on_sample_changed(self) -> None:
        self.sample.setEnabled(not self.batch.isChecked())
        self._update_sample_label()
        self._on_project_changed()

    # showing

    def _rebuild(self) -> None:
        """Build the walkthrough again, keeping the step and selection where they still fit."""
        try:
            self.walkthrough = Walkthrough(self.document.project, self.samples())
            self._error = None
        except (EngineError, ValueError) as error:
            log.info("step-through unavailable: %s", error)
            self.walkthrough = None
            self._error = str(error)
            return
        self.index = min(self.index, len(self.walkthrough.steps) - 1)
        if self.selected is not None and self.selected not in self._all_parameters():
            self.selected = None
            self.parameter_selected.emit(None)

    def _all_parameters(self) -> list[ParameterRef]:
        walk = self.walkthrough
        if walk is None:
            return []
        return [ref for layer in walk.spec.order for ref in walk.parameters_of(layer)]

    def _show(self) -> None:
        step = self.current_step()
        if step is None:
            self.title.setText("Step through" if not self.active else "Cannot step through")
            self.position.setText("")
            self.summary.setText(self._idle_text())
            self.legend.setText("")
            self.table.show_step(None)
        else:
            assert self.walkthrough is not None
            self.title.setText(step.title)
            self.position.setText(f"Step {self.index + 1} of {len(self.walkthrough.steps)}")
            self.summary.setText(step.summary)
            self.legend.setText(step.legend)
            self.table.show_step(step)
        self._show_chain_rule()
        self._update_buttons()
        self.step_changed.emit()

    def _idle_text(self) -> str:
        if self._error is not None:
            return f"This project cannot be stepped through: {self._error}."
        return (
            "Press Next or Step through to follow one sample through the forward pass, "
            "the loss, the backward pass and the weight update, with the numbers on the canvas."
        )

    def _show_chain_rule(self) -> None:
        walk, step, ref = self.walkthrough, self.current_step(), self.selected
        if walk is None or step is None or ref is None:
            self.chain.setText(CHAIN_PLACEHOLDER)
            return
        if ref.layer not in step.revealed:
            symbol = walk.notation.gradient(ref)
            where = f"“Backward: {ref.layer}”"
            self.chain.setText(
                f"{symbol} is computed in the step {where}; press Next to get there."
            )
            return
        self.chain.setText(walk.chain_rule(ref))

    def _update_buttons(self) -> None:
        walk = self.walkthrough
        count = 0 if walk is None else len(walk.steps)
        running = self.active and walk is not None
        self.back_action.setEnabled(running and self.index > 0)
        # Outside the mode Next starts it. Inside, it needs a step to go to.
        can_advance = running and self.index < count - 1
        self.next_action.setEnabled(not self._locked and (not self.active or can_advance))
        self.back_button.setEnabled(self.back_action.isEnabled())
        self.next_button.setEnabled(self.next_action.isEnabled())
        self.apply_button.setEnabled(running and walk is not None and walk.updated is not None)

    def _update_sample_range(self) -> None:
        count = len(self.document.project.dataset.X)
        self.sample.setRange(1, max(count, 1))
        self.sample.setSuffix(f" of {count}")
        self.batch.setEnabled(1 < count <= MAX_BATCH)
        if not self.batch.isEnabled():
            self.batch.setChecked(False)
        self._update_sample_label()

    def _update_sample_label(self) -> None:
        dataset = self.document.project.dataset
        if self.batch.isChecked() or not len(dataset.X):
            self.sample_label.setText(f"{len(dataset.X)} samples as one batch")
            return
        row = min(self.sample.value() - 1, len(dataset.X) - 1)
        inputs = ", ".join(format_number(float(v)) for v in dataset.X[row])
        targets = ", ".join(format_number(float(v)) for v in dataset.y[row])
        self.sample_label.setText(f"x = ({inputs}),  y = ({targets})")
