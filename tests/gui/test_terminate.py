"""SIGTERM ends the app cleanly: no lock file stays behind, and unsaved work stays recoverable.

Each test starts the real app (nnstudio.gui.app.main) in a subprocess, offscreen,
with the autosave folder of this test's isolated data folder, and sends SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from nnstudio.gui import dialogs
from nnstudio.gui.autosave import autosave_folder
from nnstudio.gui.main_window import MainWindow
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]

EXIT_WAIT_SECONDS = 60
XOR = EXAMPLES / "xor.nnproj"

# Runs the app's main() on argv[1]. argv[2] chooses what happens once the event
# loop runs: "open" does nothing, "edit" adds a layer (an unsaved change),
# "prompt" adds a layer and presses the close button, which opens the real
# unsaved-changes question, and "train" presses Train. The script prints "ready"
# when that state is reached: the question shown, or the first epochs trained.
START_APP = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
import nnstudio.gui.app as app_module
from nnstudio.gui.main_window import MainWindow

create = app_module.create_application

def create_for_tests():
    app = create()
    app.setOrganizationName("nnstudio-tests")  # the data folder the tests' windows use
    return app

def act():
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    if sys.argv[2] in ("edit", "prompt"):
        window.add_layer_action.trigger()
    if sys.argv[2] == "prompt":
        QTimer.singleShot(0, report_question)
        window.close()  # returns only once the question is answered
    elif sys.argv[2] == "train":
        window.training.train_action.trigger()
        report_training(window)
    else:
        print("ready", flush=True)

def report_training(window):
    running = window.training.controller.state == "running"
    if running and window.document.project.history.epoch_count > 0:
        print("ready", flush=True)
    else:
        QTimer.singleShot(20, lambda: report_training(window))

def report_question():
    if isinstance(QApplication.activeModalWidget(), QMessageBox):
        print("ready", flush=True)
    else:
        QTimer.singleShot(20, report_question)

app_module.create_application = create_for_tests
QTimer.singleShot(0, act)
sys.exit(app_module.main(sys.argv[1]))
"""


def terminate_app(
    tmp_path: Path, action: str, project: Path = XOR
) -> subprocess.CompletedProcess[str]:
    """Start the app on ``project``, do ``action``, send SIGTERM, and wait for the end."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", START_APP, str(project), action],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        child.send_signal(signal.SIGTERM)
        stdout, stderr = child.communicate(timeout=EXIT_WAIT_SECONDS)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)


def slot_files() -> list[str]:
    """The suffixes of the files in the autosave folder, sorted."""
    folder = autosave_folder()
    return sorted(path.suffix for path in folder.iterdir()) if folder.is_dir() else []


def test_terminate_without_changes_leaves_nothing(tmp_path: Path) -> None:
    result = terminate_app(tmp_path, "open")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert slot_files() == []


@pytest.mark.parametrize("action", ["edit", "prompt"])
def test_terminate_keeps_unsaved_work(
    tmp_path: Path, make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    result = terminate_app(tmp_path, action)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    # the copy and its note stay for recovery; the lock file is gone
    assert slot_files() == [".json", ".nnproj"]

    questions: list[str] = []
    monkeypatch.setattr(dialogs, "ask_recover", lambda _p, q: questions.append(q) or True)
    window = make_window()
    assert window.offer_recovery()
    assert str(XOR) in questions[0]
    project = window.document.project
    assert [layer.name for layer in project.layers] == ["input", "hidden 1", "output", "hidden 2"]
    assert window.document.path == XOR
    assert window.document.is_modified()


def test_terminate_while_training(
    tmp_path: Path, make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # XOR with a run far longer than the test, so SIGTERM arrives while it trains.
    document = json.loads(XOR.read_text(encoding="utf-8"))
    document["training"]["epochs"] = 10_000_000
    long_run = tmp_path / "long run.nnproj"
    long_run.write_text(json.dumps(document), encoding="utf-8")

    result = terminate_app(tmp_path, "train", long_run)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert slot_files() == [".json", ".nnproj"]

    monkeypatch.setattr(dialogs, "ask_recover", lambda _p, _q: True)
    window = make_window()
    assert window.offer_recovery()
    assert window.document.path == long_run
    history = window.document.project.history
    assert 0 < history.epoch_count < 10_000_000
    assert len(history.loss) > 0
