"""Shows perceptron runs: the Misclassified dock in place of the Loss dock, its counts and outcome.

The training controller's snapshots of a perceptron run carry the misclassified
count of each new epoch (perceptron_run.py). This class adds them to the
Misclassified plot, and at the end of a run it shows the outcome below the plot
and in the status bar.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot

from nnstudio.gui.training_run import TrainingSnapshot
from nnstudio.project.model import PERCEPTRON

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

LOSS_DOCK = "Loss"
MISCLASSIFIED_DOCK = "Misclassified"


class PerceptronLink(QObject):
    """Feeds the Misclassified plot and switches between it and the loss plot with the algorithm.

    It connects to the controller after TrainingLink does, so at the end of a
    perceptron run its status message replaces the one TrainingLink shows.
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.plot = window.misclassified_plot
        self._algorithm: str | None = None  # the algorithm the docks were last set for
        self._state = "idle"

        controller = window.training.controller
        controller.snapshot_received.connect(self._on_snapshot)
        controller.run_finished.connect(self._on_run_finished)
        controller.run_failed.connect(self._on_run_failed)
        controller.state_changed.connect(self._on_state_changed)
        self.document.settings_changed.connect(self._on_settings_changed)
        self.document.history_changed.connect(self._on_history_changed)
        self.document.project_replaced.connect(self._on_project_replaced)

    # worker results

    @Slot(object)
    def _on_snapshot(self, snapshot: TrainingSnapshot) -> None:
        self.plot.append(snapshot.epoch, snapshot.misclassified)

    @Slot(object)
    def _on_run_finished(self, snapshot: TrainingSnapshot) -> None:
        self._on_snapshot(snapshot)
        if not snapshot.outcome:
            return
        text = f"The perceptron rule {snapshot.outcome}."
        if snapshot.reason == "stopped":
            text = f"Stopped. {text}"
        self.plot.set_outcome(text, converged=snapshot.reason == "converged")
        self.window.statusBar().showMessage(text)

    @Slot(str, object)
    def _on_run_failed(self, _message: str, snapshot: TrainingSnapshot) -> None:
        # TrainingLink shows the message; only the counts so far are left to draw.
        self._on_snapshot(snapshot)

    @Slot(str)
    def _on_state_changed(self, state: str) -> None:
        if self._state == "idle" and state != "idle":
            self.plot.set_outcome("")  # a new run: the last outcome no longer applies
        self._state = state

    # document observers

    def _on_settings_changed(self) -> None:
        project = self.document.project
        self.plot.set_sample_count(len(project.dataset.X))
        if project.settings.algorithm != self._algorithm:
            self._show_docks(project.settings.algorithm)

    def _on_history_changed(self) -> None:
        # Reset, a redraw of the weights or an undo shortens the history; counts of
        # epochs it no longer has are dropped. Runs only add epochs, so this keeps all.
        if self.plot.keep_until(self.document.project.history.epoch_count):
            self.plot.set_outcome("")

    def _on_project_replaced(self) -> None:
        self.plot.clear()
        self._algorithm = None
        self._on_settings_changed()

    def _show_docks(self, algorithm: str) -> None:
        """Show the Misclassified dock in place of the Loss dock for the perceptron rule."""
        self._algorithm = algorithm
        perceptron = algorithm == PERCEPTRON
        docks = self.window.docks
        docks[LOSS_DOCK].setVisible(not perceptron)
        docks[MISCLASSIFIED_DOCK].setVisible(perceptron)
        if perceptron:
            docks[MISCLASSIFIED_DOCK].raise_()
