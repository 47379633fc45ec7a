"""Training many seeds at once on a worker thread, with throttled progress and a cancel flag."""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QObject, Signal, Slot

from nnstudio.engine.errors import EngineError
from nnstudio.engine.multiseed import ManySeedsTrainer
from nnstudio.gui.threads import end_worker

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 1 / 30  # seconds between progressed signals


class ManySeedsJob(QObject):
    """Runs a ManySeedsTrainer to the end on the thread it was moved to.

    The trainer is built in the GUI thread and then used only by this job.
    ``cancel`` may be called from any thread; the job stops after the current epoch.

    Signals:
        progressed(int, int, int): epochs done, epochs in all, copies still training.
        finished(ManySeedsResult): every copy stopped.
        cancelled(int): the epoch at which a cancelled run stopped.
        failed(str): the message of an error the engine raised.
    """

    progressed = Signal(int, int, int)
    finished = Signal(object)
    cancelled = Signal(int)
    failed = Signal(str)

    def __init__(self, trainer: ManySeedsTrainer) -> None:
        super().__init__()
        self.trainer = trainer
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        """Train every copy; always emits exactly one of finished, cancelled or failed."""
        trainer = self.trainer
        last_progress = 0.0
        try:
            while not trainer.finished:
                if self._cancel.is_set():
                    self.cancelled.emit(trainer.epoch)
                    return
                trainer.run_epoch()
                now = time.monotonic()
                if now - last_progress >= PROGRESS_INTERVAL:
                    last_progress = now
                    self.progressed.emit(trainer.epoch, trainer.epochs, len(trainer.active))
            self.finished.emit(trainer.result())
        except EngineError as error:
            log.warning("training many seeds failed: %s", error)
            self.failed.emit(str(error))
        except Exception as error:
            log.exception("training many seeds failed")
            # The traceback goes to the log; the message names the error.
            self.failed.emit(f"training stopped by an unexpected error: {error}")
        finally:
            end_worker(self)
