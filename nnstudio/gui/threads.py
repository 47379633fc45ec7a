"""Starting worker threads safely next to PySide's garbage collection.

Python's cyclic garbage collector runs in whichever thread happens to allocate
when a collection is due. It may then run in a worker thread and free the
wrapper of a Qt object that belongs to the GUI thread, such as a closed dialog
or menu still caught in a reference cycle. PySide6 6.11.3 then deletes the C++
object from the worker, and if the GUI thread is deleting another one at that
moment, the two threads can deadlock on Qt's mutex and the GIL. A test run hung
this way while a large CSV file was read on a worker.

So while any worker thread runs, automatic collection is off and the GUI
thread collects on a timer instead; the worker never collects.

For the same reason no worker object is destroyed in its worker thread: a
worker that ends hands itself back to the GUI thread (end_worker).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Slot

COLLECT_INTERVAL_MS = 1000  # collections on the GUI thread while workers run


class _GuiThreadCollector(QObject):
    """Counts running workers; a QObject of the GUI thread, so its slot runs there."""

    def __init__(self) -> None:
        # Parented to the application, so it and its timer live in the GUI thread.
        super().__init__(QCoreApplication.instance())
        self.running = 0
        self.timer = QTimer(self)
        self.timer.setInterval(COLLECT_INTERVAL_MS)
        self.timer.timeout.connect(gc.collect)

    def worker_started(self) -> None:
        self.running += 1
        gc.disable()
        self.timer.start()

    @Slot()
    def worker_finished(self) -> None:
        self.running = max(0, self.running - 1)
        if self.running == 0:
            self.timer.stop()
            gc.enable()


_collector: _GuiThreadCollector | None = None


def start_worker_thread(thread: QThread) -> None:
    """Start ``thread`` with garbage collection moved to the GUI thread until it finishes.

    Call this from the GUI thread. It first collects what is pending, so the
    worker starts with no garbage to find.
    """
    global _collector
    if _collector is None:
        _collector = _GuiThreadCollector()
    gc.collect()
    _collector.worker_started()
    thread.finished.connect(_collector.worker_finished)
    thread.start()


def workers_running() -> int:
    """Return how many threads started here have not finished yet."""
    return 0 if _collector is None else _collector.running


def end_worker(worker: QObject) -> None:
    """Move ``worker`` back to the GUI thread, then end the worker thread it ran in.

    Call it from the worker thread as the last step of the worker's run. While
    PySide6 6.11 destroys a QObject of a Python class, it takes the GIL while
    Qt holds the mutex of the object's connections. Destroyed in the worker
    thread (by deleteLater as the thread finished), a worker deadlocked with
    the GUI thread, which held the GIL and waited for that mutex to connect a
    toolbar button: a full test run hung so. Back on the GUI thread, the
    worker is destroyed there.
    """
    application = QCoreApplication.instance()
    if application is not None:
        worker.moveToThread(application.thread())
    QThread.currentThread().quit()
