"""Start the desktop application."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from nnstudio import __version__
from nnstudio.gui.icons import icon


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
    if not window.offer_recovery() and path is not None:
        window.open_path(Path(path))
    return app.exec()
