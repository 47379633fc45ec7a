"""Start the desktop application."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from nnstudio import __version__
from nnstudio.gui.icons import icon

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

log = logging.getLogger(__name__)

RECOVERY_NOTICE_MS = 15_000
SIGNAL_POLL_MS = 200  # how often Python gets the chance to run a signal handler


def create_application() -> QApplication:
    """Return the QApplication, creating it with nnstudio's names and style if needed."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("nnstudio")
    app.setApplicationName("nnstudio")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(icon("nnstudio"))
    # Fusion looks the same on every platform, which matters for a projector demo.
    app.setStyle("Fusion")
    return app


def main(path: str | None = None) -> int:
    """Open the main window, on the project at ``path`` when given; return the exit status."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_application()

    from nnstudio.gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    recovered = window.offer_recovery()
    if path is not None and not recovered:
        window.open_path(Path(path))
    elif path is not None:
        window.statusBar().showMessage(
            f"Opened the recovered work; {Path(path).name} was not opened: use File > Open for it",
            RECOVERY_NOTICE_MS,
        )
    close_on_signals(window)
    return app.exec()


def close_on_signals(window: MainWindow) -> QTimer:
    """Close ``window`` on Ctrl+C (SIGINT) and end the session on SIGTERM.

    Ctrl+C asks about unsaved changes, as the close button does, because the user
    is at the terminal. SIGTERM comes from ``kill`` or from a desktop session that
    ends, when no one may be there to answer, so it never asks: see end_session.
    """
    ending = False

    def on_terminate(_number: int, _frame: object) -> None:
        # A second SIGTERM while the first one closes the window changes nothing.
        nonlocal ending
        if not ending:
            ending = True
            end_session(window)

    signal.signal(signal.SIGTERM, on_terminate)
    return close_on_interrupt(window)


def end_session(window: MainWindow) -> None:
    """Close ``window`` without a question, keep its unsaved changes, and leave the event loop.

    Unsaved changes go to the autosave slot, which stays for the next start to
    offer back, as after a crash. The slot's lock file is removed in every case.
    A question that is already open, such as the unsaved-changes prompt, cannot
    stop this, because exiting the application ends every running event loop.
    """
    log.info("SIGTERM received: closing without a question; the autosave keeps unsaved changes")
    window.end_session()
    QCoreApplication.exit(0)


def close_on_interrupt(window: QWidget) -> QTimer:
    """Close ``window`` (asking about unsaved changes) on Ctrl+C in the terminal.

    Python runs signal handlers only between bytecodes, and Qt's event loop runs
    in C++, so a timer gives the interpreter a regular chance to run the handler.
    """
    signal.signal(signal.SIGINT, lambda _number, _frame: window.close())
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(SIGNAL_POLL_MS)
    return timer
