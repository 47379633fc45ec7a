"""Runs the gradient check on a worker thread, so a large dataset leaves the window responsive."""

from __future__ import annotations

import copy
import logging

from PySide6.QtCore import QObject, QThread, Signal, Slot

from nnstudio.gui.stepthrough.gradient_check import GradientReport, run_gradient_check
from nnstudio.gui.threads import end_worker, start_worker_thread
from nnstudio.project.model import Project

log = logging.getLogger(__name__)

SHUTDOWN_WAIT_MS = 30_000  # maximum wait for a running check when the window closes


class _CheckWorker(QObject):
    """Computes one report on the thread it was moved to.

    Signals:
        finished(object): the GradientReport.
    """

    finished = Signal(object)

    def __init__(self, project: Project) -> None:
        super().__init__()
        self.project = project

    @Slot()
    def run(self) -> None:
        try:
            self.finished.emit(run_gradient_check(self.project))
        except Exception as error:  # noqa: BLE001 - shown to the user, the app keeps running
            log.exception("gradient check failed")
            self.finished.emit(GradientReport(error=f"the check failed: {error}"))
        finally:
            end_worker(self)


class GradientJob(QObject):
    """Starts one check at a time on a copy of the project and reports its result.

    The copy is taken on the GUI thread when the check starts, so edits made
    while it runs never reach the worker. The caller decides whether a result
    still matches the weights.

    Signals:
        finished(object): the GradientReport, on the GUI thread.
    """

    finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: _CheckWorker | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, project: Project) -> None:
        """Start checking a copy of ``project``, unless a check is already running."""
        if self._thread is not None:
            return
        thread = QThread(self)
        worker = _CheckWorker(copy.deepcopy(project))
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.finished.connect(self._on_worker_finished)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        start_worker_thread(thread)

    def shutdown(self) -> None:
        """Wait for a running check to end, so its thread never outlives the window."""
        if self._thread is not None and not self._thread.wait(SHUTDOWN_WAIT_MS):
            log.warning("gradient check still running after %d ms at shutdown", SHUTDOWN_WAIT_MS)

    @Slot(object)
    def _on_worker_finished(self, report: GradientReport) -> None:
        self.finished.emit(report)

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._worker is not None:
            self._worker.deleteLater()
        if self._thread is not None:
            self._thread.deleteLater()
        self._thread, self._worker = None, None
