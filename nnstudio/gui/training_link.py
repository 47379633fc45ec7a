"""Connects the Train, Pause, Resume, Step, Stop and Reset actions to the training worker.

The worker sends snapshots (weights, new loss values, the evaluated boundary
grid and its contour) at most about 30 times a second. This class hands them to
the document, the plots and the status bar, so the GUI thread only draws. It
draws a snapshot in three turns of the event loop (the document, canvas and
status bar, then the loss plot, then the boundary), so that no single turn
blocks input for long, and holds the worker until the last is drawn.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence

from nnstudio.engine.errors import EngineError
from nnstudio.engine.losses import make_loss
from nnstudio.engine.training import History
from nnstudio.gui import commands, dialogs
from nnstudio.gui.icons import icon
from nnstudio.gui.worker import TrainingController, TrainingSnapshot
from nnstudio.project.boundary import Plane, boundary_extent, boundary_grid
from nnstudio.project.model import PERCEPTRON
from nnstudio.project.perceptron_training import ProjectPerceptron

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

log = logging.getLogger(__name__)

CONFUSION_INTERVAL = 0.5  # seconds between confusion-matrix updates during a run


class TrainingLink(QObject):
    """Owns the training actions and the controller of the worker thread."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.controller = TrainingController(self)
        self.run_history = History()
        self._from_worker = False
        self._confusion_shown_at = -math.inf
        # The parts of a snapshot still to draw, each in its own turn of the event loop.
        self._stages: deque[Callable[[], None]] = deque()
        self._stage_timer = QTimer(self)
        self._stage_timer.setSingleShot(True)
        self._stage_timer.setInterval(0)
        self._stage_timer.timeout.connect(self._on_stage_due)

        self.train_action = self._action("&Train", "train", "F5", self.train)
        self.train_action.setToolTip("Train the network from its current weights (F5)")
        self.pause_action = self._action("&Pause", "pause", "F6", self.controller.pause)
        self.pause_action.setToolTip("Pause training; weights stay as they are (F6)")
        self.resume_action = self._action("Res&ume", "train", "F7", self.controller.resume)
        self.resume_action.setToolTip("Continue a paused run (F7)")
        self.step_action = self._action("&Step", "step", "F10", self.step)
        # S as well as F10: F10 opens the menu bar on some desktops. Step-through mode
        # keeps Left, Right, Comma and Period, so those stay free here.
        self.step_action.setShortcuts([QKeySequence("F10"), QKeySequence("S")])
        self.step_action.setToolTip("Apply one weight update on one batch, then pause (F10 or S)")
        self.stop_action = self._action("St&op", "stop", "Shift+F5", self.controller.stop)
        self.stop_action.setToolTip("End the run and keep the weights reached (Shift+F5)")
        self.reset_action = self._action("&Reset", "reset", "Ctrl+R", self.reset)
        self.reset_action.setToolTip(
            "Go back to the first weights exactly and clear the loss curve (Ctrl+R)"
        )
        # Not in actions(), so it gets no toolbar button: Space is for the keyboard.
        self.toggle_action = self._action("Train or p&ause", "train", "Space", self.toggle)
        self.toggle_action.setToolTip("Start training, or pause and resume a run (Space)")

        self.controller.snapshot_received.connect(self._on_snapshot)
        self.controller.run_finished.connect(self._on_run_finished)
        self.controller.run_failed.connect(self._on_run_failed)
        self.controller.state_changed.connect(self._on_state_changed)
        window.training_panel.learning_rate_edited.connect(self.controller.set_learning_rate)
        self.document.parameters_changed.connect(self._on_parameters_changed)
        self.document.history_changed.connect(self._on_history_changed)
        self.document.settings_changed.connect(self._on_dataset_changed)
        self.document.project_replaced.connect(self._on_dataset_changed)
        window.boundary_panel.columns_changed.connect(self._on_columns_changed)
        self.document.project_replaced.connect(self._on_history_changed)

    def actions(self) -> list[QAction]:
        return [
            self.train_action,
            self.pause_action,
            self.resume_action,
            self.step_action,
            self.stop_action,
            self.reset_action,
        ]

    def _action(self, text: str, icon_name: str, shortcut: str, slot: object) -> QAction:
        action = QAction(icon(icon_name), text, self.window)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    # commands

    def train(self) -> None:
        if self.controller.state == "paused":
            self.controller.resume()
            return
        if self.controller.state == "idle" and self._check_trainable():
            self._begin_run()
            self.controller.start(self.document.project, columns=self.window.boundary_panel.columns)

    def toggle(self) -> None:
        """Pause a running run; otherwise start or resume one, as Train does."""
        if self.controller.state == "running":
            self.controller.pause()
        else:
            self.train()

    def step(self) -> None:
        if self.controller.state == "idle":
            if not self._check_trainable():
                return
            self._begin_run()
        self.controller.step(self.document.project)
        self.controller.set_boundary_columns(self.window.boundary_panel.columns)

    def reset(self) -> None:
        self._drop_stages()
        self.controller.shutdown()
        self.document.undo_stack.push(commands.reset_weights(self.document))
        self.window.statusBar().showMessage("Weights reset to the first weights", 5000)

    def stop_for_replace(self) -> None:
        """Stop any run before another project replaces this one."""
        self._drop_stages()
        self.controller.shutdown()

    def shutdown(self) -> None:
        self._drop_stages()
        self.controller.shutdown()

    def update_actions(self) -> None:
        state = self.controller.state
        valid = self.document.graph_error() is None
        self.train_action.setEnabled(valid and state != "running")
        self.pause_action.setEnabled(state == "running")
        self.resume_action.setEnabled(state == "paused")
        self.step_action.setEnabled(valid and state != "running")
        self.stop_action.setEnabled(state != "idle")
        self.reset_action.setEnabled(valid)
        self.toggle_action.setEnabled(valid or state != "idle")

    def _check_trainable(self) -> bool:
        """Show why the project cannot train, if it cannot; return True when it can."""
        project = self.document.project
        error = self.document.graph_error()
        if error is not None:
            dialogs.show_warning(
                self.window, "Cannot train", f"The drawing is not a network: {error}."
            )
            return False
        try:
            if project.settings.algorithm == PERCEPTRON:
                ProjectPerceptron(project)  # checks the network, the data and the rate
            else:
                network = project.network()
                X, y = project.dataset.network_inputs()[:1], project.dataset.y[:1]
                network.gradients(X, y, make_loss(project.settings.loss))
        except EngineError as problem:
            dialogs.show_warning(self.window, "Cannot train", f"Cannot train: {problem}.")
            return False
        return True

    def _begin_run(self) -> None:
        self.run_history = self.document.project.history.copy()

    # worker results

    @Slot(object)
    def _on_snapshot(self, snapshot: TrainingSnapshot) -> None:
        # The previous snapshot's plots first, so the loss curve grows in order.
        self._finish_stages()

        self.run_history.extend(
            snapshot.loss, snapshot.accuracy, snapshot.validation_loss, snapshot.epochs
        )
        self._from_worker = True
        try:
            self.document.set_training_state(snapshot.parameters, self.run_history)
        finally:
            self._from_worker = False
        self._show_status(snapshot.target_epochs)

        def show_loss() -> None:
            self.window.loss_plot.append(snapshot.loss, snapshot.validation_loss, snapshot.epochs)

        def show_boundary() -> None:
            plot = self.window.boundary_panel.plot
            plot.set_grid(snapshot.grid, snapshot.extent, snapshot.contour)
            self._show_confusion(force=snapshot.final)

        # The final snapshot is drawn at once: the run's end reads from the plots.
        if snapshot.final:
            show_loss()
            show_boundary()
            return
        self.controller.hold_display()
        self._stages.extend([show_loss, show_boundary])
        self._stage_timer.start()

    @Slot()
    def _on_stage_due(self) -> None:
        if self._stages:
            self._stages.popleft()()
        if self._stages:
            self._stage_timer.start()
        else:
            self.controller.release_display()

    def _finish_stages(self) -> None:
        """Draw what is left of the last snapshot now."""
        if not self._stages:
            return
        self._stage_timer.stop()
        while self._stages:
            self._stages.popleft()()
        self.controller.release_display()

    def _drop_stages(self) -> None:
        """Forget what is left of the last snapshot: its run and project are going away."""
        if not self._stages:
            return
        self._stage_timer.stop()
        self._stages.clear()
        self.controller.release_display()

    @Slot(object)
    def _on_run_finished(self, snapshot: TrainingSnapshot) -> None:
        self._on_snapshot(snapshot)
        history = self.run_history
        if len(history):
            epoch, loss = history.epoch_count, history.loss[-1]
            if snapshot.reason in ("completed", "stopped"):
                text = f"Training {snapshot.reason} at epoch {epoch:,}: loss {loss:.6g}"
                self.window.statusBar().showMessage(text, 10000)
            else:
                # A stopping criterion ended the run. The reason stays until the next
                # message, without the loss, which the status bar shows beside it.
                text = f"Training stopped at epoch {epoch:,}: {snapshot.reason}"
                self.window.statusBar().showMessage(text)

    @Slot(str, object)
    def _on_run_failed(self, message: str, snapshot: TrainingSnapshot) -> None:
        self._on_snapshot(snapshot)
        log.warning("training stopped: %s", message)
        if snapshot.details:
            dialogs.show_details(self.window, "Training stopped", message, snapshot.details)
        else:
            dialogs.show_warning(self.window, "Training stopped", message)

    @Slot(str)
    def _on_state_changed(self, state: str) -> None:
        idle = state == "idle"
        self.window.canvas.set_editable(idle)
        self.window.training_panel.set_running(not idle)
        self.window.inspector.setEnabled(idle)
        self.window.paste_action.setEnabled(idle)
        self.window.undo_action.setEnabled(idle and self.document.undo_stack.canUndo())
        self.window.redo_action.setEnabled(idle and self.document.undo_stack.canRedo())
        self.update_actions()

    # document observers (changes that did not come from the worker)

    def _on_parameters_changed(self) -> None:
        if self._from_worker:
            return
        panel = self.window.boundary_panel
        project = self.document.project
        if project.parameters is None or project.dataset.input_count < 2:
            panel.plot.set_grid(None, None)
            return
        network = project.network()
        columns = panel.columns
        extent = boundary_extent(project.dataset.X, columns)
        plane = Plane(project.dataset, columns)
        panel.plot.set_grid(boundary_grid(network, extent, plane=plane), extent)
        self._show_confusion(force=True)

    def _on_columns_changed(self, columns: tuple[int, int]) -> None:
        self.controller.set_boundary_columns(columns)
        if self.controller.state != "running":
            self._on_parameters_changed()

    def _show_confusion(self, force: bool = False) -> None:
        # Predicting every sample costs a forward pass over the whole dataset,
        # so during a run the matrix follows at most CONFUSION_INTERVAL apart.
        now = time.monotonic()
        if not force and now - self._confusion_shown_at < CONFUSION_INTERVAL:
            return
        self._confusion_shown_at = now
        project = self.document.project
        if project.parameters is None or not project.dataset.is_classification:
            return
        output = project.network().predict(project.dataset.network_inputs())
        self.window.boundary_panel.show_confusion(output)

    def _on_history_changed(self) -> None:
        if self._from_worker:
            return
        self.window.loss_plot.set_history(self.document.project.history)
        self._show_status(self.document.project.settings.epochs)

    def _on_dataset_changed(self) -> None:
        self.window.boundary_panel.set_dataset(self.document.project.dataset)
        self._on_parameters_changed()

    def _show_status(self, target: int) -> None:
        history = self.document.project.history
        loss = float(history.loss[-1]) if len(history) else None
        accuracy = float(history.accuracy[-1]) if len(history) else None
        if accuracy is not None and math.isnan(accuracy):
            accuracy = None
        self.window.status.show(history.epoch_count, target, loss, accuracy)
