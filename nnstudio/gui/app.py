"""Start the desktop application."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from nnstudio import __version__
from nnstudio.gui.icons import icon

RECOVERY_NOTICE_MS = 15_000
SIGNAL_POLL_MS = 200  # how often Python gets the chance to run a Ctrl+C handler


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
    close_on_interrupt(window)
    return app.exec()


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
