"""Widgets and the undo command that the Step through panel is built from."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from nnstudio.engine.network import Parameters, copy_parameters
from nnstudio.gui.commands import EDITS_WEIGHTS, ProjectCommand
from nnstudio.gui.document import ProjectDocument
from nnstudio.gui.stepthrough.gradient_check import THRESHOLD, GradientReport
from nnstudio.gui.stepthrough.gradient_job import GradientJob
from nnstudio.gui.stepthrough.notation import ParameterRef, format_number
from nnstudio.gui.stepthrough.step import Step
from nnstudio.project.model import Project

PASS_COLOR = "#1b7837"
FAIL_COLOR = "#b2182b"
CHECK_TEXT = "Check gradients"


def title_font(smaller: bool = False) -> QFont:
    font = QFont()
    font.setPointSize(11 if smaller else 13)
    font.setBold(True)
    return font


def apply_update_command(
    document: ProjectDocument, parameters: Parameters, text: str
) -> ProjectCommand:
    """Return the undo command that replaces the current weights with ``parameters``.

    Only the weights change: the first weights, the history and every setting
    stay, and undo brings the old weights back.
    """
    new = copy_parameters(parameters)

    def edit(project: Project) -> None:
        project.parameters = copy_parameters(new)

    return ProjectCommand(document, text, edit, EDITS_WEIGHTS)


class StepTable(QTableWidget):
    """The current step's values: one row per quantity, numbers right-aligned.

    Signals:
        parameter_clicked(object): the ParameterRef of a clicked row about a weight or bias.
    """

    parameter_clicked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stepTable")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self._parameters: list[ParameterRef | None] = []
        self.cellClicked.connect(self._on_cell_clicked)

    def show_step(self, step: Step | None) -> None:
        self.clear()
        self._parameters = []
        if step is None:
            self.setRowCount(0)
            self.setColumnCount(0)
            return
        self.setColumnCount(len(step.headers))
        self.setHorizontalHeaderLabels(list(step.headers))
        self.setRowCount(len(step.rows))
        for r, row in enumerate(step.rows):
            self._parameters.append(row.parameter)
            for c, cell in enumerate(row.cells):
                self.setItem(r, c, _cell_item(cell))
        self.resizeColumnsToContents()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

    def find_row(self, symbol: str) -> int:
        """Return the first row whose first cell is ``symbol``, or -1."""
        for row in range(self.rowCount()):
            item = self.item(row, 0)
            if item is not None and item.text() == symbol:
                return row
        return -1

    def _on_cell_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._parameters) and self._parameters[row] is not None:
            self.parameter_clicked.emit(self._parameters[row])


def _cell_item(cell: str | float) -> QTableWidgetItem:
    if isinstance(cell, str):
        item = QTableWidgetItem(cell)
        item.setToolTip(cell)  # for a column too narrow to show it all
        return item
    item = QTableWidgetItem(format_number(cell))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    # The full value, for a reader who needs more than 6 digits.
    item.setToolTip(repr(cell))
    return item


class GradientCheck(QObject):
    """The Check gradients button and the label with its result, one line per layer.

    The check runs on a worker thread. An edit of the weights or the drawing
    while it runs makes its result stale, and the label then requests a new check.
    """

    def __init__(self, document: ProjectDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.button = QPushButton(CHECK_TEXT)
        self.button.setToolTip(
            "Compare backpropagation with finite differences on the whole dataset "
            f"and the current weights; a relative error below {THRESHOLD:g} passes"
        )
        self.button.clicked.connect(self.run)
        self.result = QLabel()
        self.result.setObjectName("gradientCheckResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.job = GradientJob(self)
        self.job.finished.connect(self._on_finished)
        self._stale = False
        document.parameters_changed.connect(self.clear)
        document.structure_changed.connect(self.clear)

    def clear(self) -> None:
        """Forget the last result, which no longer matches the weights."""
        self.result.setText("")
        self._stale = self.job.running

    def run(self) -> None:
        error = self.document.graph_error()
        if error is not None:
            self._show(f"The drawing is not a network: {error}.", passed=False)
            return

        self._stale = False
        self.button.setEnabled(False)
        self.button.setText("Checking…")
        self.result.setText("")
        self.job.start(self.document.project)

    def _on_finished(self, report: GradientReport) -> None:
        self.button.setEnabled(True)
        self.button.setText(CHECK_TEXT)
        if self._stale:
            self._show("The weights changed while the check ran; check again.", passed=False)
        elif report.error is not None:
            self._show(f"Gradient check not possible: {report.error}.", passed=False)
        else:
            self._show(_report_text(report), report.passed)

    def _show(self, text: str, passed: bool) -> None:
        self.result.setText(text)
        self.result.setStyleSheet(f"color: {PASS_COLOR if passed else FAIL_COLOR};")


def _report_text(report: GradientReport) -> str:
    lines = [
        f"{result.title}: largest relative error {format_number(result.max_relative_error)}"
        f" — {'pass' if result.passed else 'FAIL'}"
        for result in report.layers
    ]
    verdict = "pass" if report.passed else "FAIL"
    lines.append(
        f"All layers, {report.samples} samples: {format_number(report.max_relative_error)}"
        f" — {verdict} (threshold {THRESHOLD:g})"
    )
    return "\n".join(lines)
