"""Closing the window in the middle of a run exits cleanly, with no thread left running."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(120)

SCRIPT = """
from PySide6.QtCore import QTimer
from nnstudio.gui.app import create_application
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui import dialogs

app = create_application()
app.setOrganizationName("nnstudio-close-test")
dialogs.ask_save_changes = lambda parent, name: "discard"
window = MainWindow()
window.document.project.settings.epochs = 10_000_000
window.show()
window.training.train_action.trigger()

def close_when_running():
    assert window.training.controller.state == "running", window.training.controller.state
    assert len(window.document.project.history.loss) > 0
    window.close()

QTimer.singleShot(1500, close_when_running)
QTimer.singleShot(30000, lambda: app.exit(7))
raise SystemExit(app.exec())
"""


def test_close_during_training_exits_cleanly(tmp_path: object) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=90, env=env
    )
    assert result.returncode == 0, result.stderr
    assert "QThread: Destroyed" not in result.stderr
    assert "Traceback" not in result.stderr
