"""Training in a worker thread, and the GUI-thread controller that starts and steers it.

Each run gets its own QThread and TrainingWorker. The worker's run loop blocks
its thread's event loop, so pause, resume, step and stop are not slots: they
are plain thread-safe methods on the run's RunControl (a threading.Condition),
which the controller calls directly from the GUI thread.

Only snapshots (copies) travel back, at most about 30 a second. The controller
forwards those of the current run and drops late ones from runs it replaced.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Signal, Slot

from nnstudio.engine.errors import EngineError, TrainingDiverged
from nnstudio.gui.perceptron_run import PerceptronRun, make_run
from nnstudio.gui.threads import end_worker, start_worker_thread
from nnstudio.gui.training_run import (
    RunControl,
    TrainingRun,
    TrainingSnapshot,
    apply_weight_edits,
)
from nnstudio.gui.weight_values import WeightRef
from nnstudio.project.model import Project

__all__ = ["TrainingController", "TrainingSnapshot", "TrainingWorker"]

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 1 / 30  # seconds between progressed snapshots, at least
# The share of the time left to training when the GUI is slow to draw: after a
# snapshot that took d seconds to display, the next waits at least
# d * TRAINING_SHARE / (1 - TRAINING_SHARE) seconds.
TRAINING_SHARE = 0.85
DISPLAY_TIMEOUT = 0.5  # seconds the worker waits at most for the GUI to draw a snapshot
SHUTDOWN_TIMEOUT_MS = 2000
# The event that releases a worker waiting for its snapshot to be drawn. It is
# posted below Qt's low priority, which repaints use, so it runs after every event
# that the snapshot's slots posted. DISPLAY_PASSES such events in a row also let
# the repaints and layouts that those events post run while the worker still waits.
_DISPLAYED_EVENT = QEvent.Type(QEvent.registerEventType())
_DISPLAYED_PRIORITY = Qt.EventPriority.LowEventPriority.value - 1
DISPLAY_PASSES = 2


class TrainingWorker(QObject):
    """Runs one TrainingRun on the thread it was moved to.

    Signals:
        progressed(TrainingSnapshot): throttled progress, never once per step.
        finished(TrainingSnapshot): the final snapshot of a run that ended normally
            ("completed", "target loss reached" or "stopped").
        failed(str, TrainingSnapshot): the message and the final snapshot of a run
            that diverged (weights are the last finite ones) or raised an error.
    """

    progressed = Signal(object)
    finished = Signal(object)
    failed = Signal(str, object)

    def __init__(self, run: TrainingRun | PerceptronRun, control: RunControl) -> None:
        super().__init__()
        self._run = run
        self._control = control
        self._last_progress = 0.0
        self._interval = PROGRESS_INTERVAL

    # thread-safe controls, called from the GUI thread

    def pause(self) -> None:
        self._control.pause()

    def resume(self) -> None:
        self._control.resume()

    def step(self) -> None:
        self._control.step()

    def stop(self) -> None:
        self._control.stop()

    # the run loop, in the worker thread

    @Slot()
    def run(self) -> None:
        """Train until the run ends; always emits exactly one of finished or failed."""
        try:
            reason = self._train()
        except TrainingDiverged as error:
            log.warning("training run %d diverged: %s", self._run.run_id, error)
            self.failed.emit(str(error), self._final_snapshot("diverged"))
        except EngineError as error:
            # The engine's messages already name the problem and the fix.
            log.warning("training run %d failed: %s", self._run.run_id, error)
            self.failed.emit(str(error), self._final_snapshot("error"))
        except Exception as error:
            log.exception("training run %d failed", self._run.run_id)
            message = f"training stopped by an unexpected error: {error}"
            snapshot = self._final_snapshot("error")
            snapshot.details = traceback.format_exc()
            self.failed.emit(message, snapshot)
        else:
            self.finished.emit(self._final_snapshot(reason))
        finally:
            # The run loop owns this thread; with it done, let the thread end.
            self._control.end()
            end_worker(self)

    def _train(self) -> str:
        while True:
            turn = self._control.next_turn(before_waiting=self._flush)
            apply_weight_edits(self._run.trainer.network.parameters, turn.weight_edits)
            if turn.stop:
                return "stopped"
            if turn.learning_rate is not None:
                self._run.trainer.set_learning_rate(turn.learning_rate)
            if turn.settings:
                self._run.trainer.change_settings(**turn.settings)
            reason = self._run.step()
            if reason:
                return reason
            if time.monotonic() - self._last_progress >= self._interval:
                self._emit_progress()

    def _flush(self) -> None:
        # About to pause: show the weights the pause or the single step left.
        if self._run.changed:
            self._emit_progress()

    def _emit_progress(self) -> None:
        snapshot = self._run.snapshot()
        self._control.expect_display()
        sent = time.monotonic()
        self.progressed.emit(snapshot)
        self._control.wait_until_displayed(DISPLAY_TIMEOUT)
        self._last_progress = time.monotonic()

        # A slow redraw (a busy machine, a big window) gets fewer snapshots, so
        # that drawing never takes more than 1 - TRAINING_SHARE of the run.
        display = self._last_progress - sent
        self._interval = max(PROGRESS_INTERVAL, display * TRAINING_SHARE / (1 - TRAINING_SHARE))

    def _final_snapshot(self, reason: str) -> TrainingSnapshot:
        try:
            return self._run.snapshot(final=True, reason=reason)
        except Exception:
            # The boundary is the only extra computation; the weights matter more.
            log.exception("could not draw the boundary for the final snapshot")
            self._run.view = None
            return self._run.snapshot(final=True, reason=reason)


@dataclass
class _Run:
    """A run's thread, worker and controls, kept referenced until its thread has finished."""

    thread: QThread
    worker: TrainingWorker
    control: RunControl
    run: TrainingRun | PerceptronRun


class TrainingController(QObject):
    """Starts, steers and stops training runs from the GUI thread.

    Signals:
        snapshot_received(TrainingSnapshot): progress of the current run.
        run_finished(TrainingSnapshot): the current run ended, for the snapshot's reason.
        run_failed(str, TrainingSnapshot): the current run diverged or raised.
        state_changed(str): "idle", "running" or "paused".

    Call shutdown() before the controller goes away (for example in closeEvent):
    a QThread destroyed while it runs aborts the process.
    """

    snapshot_received = Signal(object)
    run_finished = Signal(object)
    run_failed = Signal(str, object)
    state_changed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = "idle"
        self._run_id = 0
        self._runs: dict[int, _Run] = {}  # current and stopping runs whose thread still lives
        self._control: RunControl | None = None  # the current run's
        self._listening: int | None = None  # the run whose signals are forwarded
        self._displayed_run = 0
        self._display_passes = 0
        self._display_holds = 0

    @property
    def state(self) -> str:
        return self._state

    @property
    def run_id(self) -> int:
        """The id of the current (or last) run; signals of older runs are dropped."""
        return self._run_id

    def start(
        self, project: Project, paused: bool = False, columns: tuple[int, int] = (0, 1)
    ) -> None:
        """Train from the project's current weights, continuing its history.

        The run stops when the history reaches ``project.settings.epochs`` epochs
        (or ``epochs`` more when it already has that many), or when an epoch of
        this run ends at or below the target loss. Any previous run is stopped
        first. Raises EngineError, and starts nothing, when the project cannot
        be trained (an invalid drawing, or a loss that does not fit the output).
        """
        run = make_run(project, self._run_id + 1, columns)
        self._stop_runs()
        self._join_stopped_runs()
        self._run_id = self._listening = run.run_id

        control = RunControl(paused)
        worker = TrainingWorker(run, control)
        thread = QThread()
        thread.setObjectName(f"nnstudio training run {run.run_id}")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progressed.connect(self._on_progressed)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        thread.finished.connect(worker.deleteLater)
        thread.finished.connect(self._on_thread_finished)
        self._runs[run.run_id] = _Run(thread, worker, control, run)
        self._control = control
        start_worker_thread(thread)
        self._set_state("paused" if paused else "running")

    def pause(self) -> None:
        if self._state == "running" and self._control is not None:
            self._control.pause()
            self._set_state("paused")

    def resume(self) -> None:
        if self._state == "paused" and self._control is not None:
            self._control.resume()
            self._set_state("running")

    def step(self, project: Project | None = None) -> None:
        """Take one update (one batch), then pause.

        When idle, this starts a paused run of ``project`` and steps it once; the
        project is needed then, and ignored while a run exists. (The controller
        keeps no project between runs: the window may have replaced it since.)
        """
        if self._state == "idle":
            if project is None:
                raise ValueError("step() while idle needs the project to train")
            self.start(project, paused=True)
        if self._control is not None:
            self._control.step()
            self._set_state("paused")

    def stop(self) -> None:
        """End the current run without waiting; its run_finished ("stopped") follows."""
        if self._control is not None:
            self._control.stop()
        self._set_state("idle")

    def set_boundary_columns(self, columns: tuple[int, int]) -> None:
        """Draw the current run's boundary over these two input columns from now on."""
        current = self._runs.get(self._run_id)
        if current is not None and current.run.view is not None:
            current.run.set_columns(columns)

    def set_learning_rate(self, value: float) -> None:
        """Use ``value`` from the next step of the current run on; no run, no effect."""
        if self._state != "idle" and self._control is not None:
            self._control.set_learning_rate(value)

    def change_setting(self, key: str, value: float) -> None:
        """Use a changed optimizer or penalty setting from the next step of the current run on."""
        if self._state != "idle" and self._control is not None:
            self._control.change_setting(key, value)

    def set_weight(self, ref: WeightRef, value: float) -> None:
        """Give a paused run a weight set by hand; it takes effect before the run's next step.

        The run keeps its optimizer state, epoch and history. Idle, there is no
        run to tell. While running, the caller must not edit weights at all.
        """
        if self._state == "paused" and self._control is not None:
            self._control.queue_weight_edit(ref, value)

    def shutdown(self) -> None:
        """Stop every run and join its thread; safe to call twice and while idle.

        Results still on their way are dropped, the final snapshot included, so
        nothing reaches a project that was reset or replaced after the shutdown.
        """
        self._listening = None
        self._stop_runs()
        self._join_stopped_runs()
        self._set_state("idle")

    # worker signals, delivered in the GUI thread

    @Slot(object)
    def _on_progressed(self, snapshot: TrainingSnapshot) -> None:
        if snapshot.run_id == self._listening:
            self.snapshot_received.emit(snapshot)
        # Release the worker once the repaints this snapshot caused have run too:
        # while it trains, every Python call of a repaint waits for the GIL.
        self._displayed_run = snapshot.run_id
        if self._display_holds == 0:
            self._post_displayed(DISPLAY_PASSES)

    def hold_display(self) -> None:
        """Keep the worker waiting for the current snapshot until release_display().

        For a receiver that draws a snapshot over several turns of the event
        loop, so that the window handles input between them. Call this in the
        slot of snapshot_received, and release_display() once the last part is drawn.
        """
        self._display_holds += 1

    def release_display(self) -> None:
        """End one hold_display(); after the last, the worker goes on once the repaints ran."""
        self._display_holds = max(self._display_holds - 1, 0)
        if self._display_holds == 0:
            self._post_displayed(DISPLAY_PASSES)

    def _post_displayed(self, passes: int) -> None:
        event = QEvent(_DISPLAYED_EVENT)
        self._display_passes = passes
        QCoreApplication.postEvent(self, event, _DISPLAYED_PRIORITY)

    def customEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() != _DISPLAYED_EVENT:
            return
        if self._display_passes > 1:
            self._post_displayed(self._display_passes - 1)
            return
        run = self._runs.get(self._displayed_run)
        if run is not None:
            run.control.displayed()

    @Slot(object)
    def _on_finished(self, snapshot: TrainingSnapshot) -> None:
        if snapshot.run_id == self._listening:
            self._set_state("idle")
            self.run_finished.emit(snapshot)

    @Slot(str, object)
    def _on_failed(self, message: str, snapshot: TrainingSnapshot) -> None:
        if snapshot.run_id == self._listening:
            self._set_state("idle")
            self.run_failed.emit(message, snapshot)

    @Slot()
    def _on_thread_finished(self) -> None:
        # Forget every run whose thread is done; wait() only covers the moment
        # between QThread.finished and the thread's real end.
        for run_id, run in list(self._runs.items()):
            if run.control.ended and run.thread.wait(SHUTDOWN_TIMEOUT_MS):
                del self._runs[run_id]

    # helpers

    def _stop_runs(self) -> None:
        for run in self._runs.values():
            run.control.stop()

    def _join_stopped_runs(self) -> None:
        # A stopped run leaves its loop within one step. Waiting for it here keeps
        # one training thread at a time: a burst of Train/Stop clicks would
        # otherwise leave dozens of threads competing with the GUI for the GIL.
        for run_id, run in list(self._runs.items()):
            run.thread.quit()
            if run.thread.wait(SHUTDOWN_TIMEOUT_MS):
                del self._runs[run_id]
            else:
                # Keep the reference: dropping a running QThread aborts the process.
                log.warning(
                    "training run %d did not stop within %d ms", run_id, SHUTDOWN_TIMEOUT_MS
                )

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)
