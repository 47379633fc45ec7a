"""Autosave while changes are unsaved, and the recovery offer after the process is killed."""

from __future__ import annotations

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

pytestmark = pytest.mark.timeout(90)

WindowFactory = Callable[..., MainWindow]

EDIT_AND_WAIT = """
import sys, time
from nnstudio.gui.app import create_application
from nnstudio.gui.main_window import MainWindow
app = create_application()
app.setOrganizationName("nnstudio-tests")  # the data folder the tests' windows use
window = MainWindow()
window.show()
window.add_layer_action.trigger()
slot = window.autosaver.slot
deadline = time.monotonic() + 30
while not slot.exists() and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.02)
print("saved" if slot.exists() else "not saved", flush=True)
app.exec()
"""


def test_recovery_after_kill(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "NNSTUDIO_AUTOSAVE_MS": "200",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", EDIT_AND_WAIT], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "saved"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    questions: list[str] = []
    monkeypatch.setattr(dialogs, "ask_recover", lambda _p, q: questions.append(q) or True)
    window = make_window()
    assert window.offer_recovery()
    assert "did not close normally" in questions[0]
    assert "untitled project" in questions[0]
    project = window.document.project
    assert [layer.name for layer in project.layers] == ["input", "hidden 1", "output", "hidden 2"]
    assert window.document.is_modified()
    assert window.isWindowModified()
    # the recovered copy is now this window's own slot, not offered again
    assert not window.offer_recovery()


def test_declined_recovery_is_discarded(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashed = make_window()
    crashed.add_layer_action.trigger()
    assert crashed.autosaver.save_now()
    slot = crashed.autosaver.slot
    # A killed process leaves its slot behind with the lock free.
    crashed.autosaver._lock.unlock()

    monkeypatch.setattr(dialogs, "ask_recover", lambda _p, _q: False)
    other = make_window()
    assert not other.offer_recovery()
    assert not slot.exists()


def test_unchanged_project_not_autosaved(make_window: WindowFactory) -> None:
    window = make_window()
    assert not window.autosaver.save_now()
    assert not window.autosaver.slot.exists()


def test_save_and_close_remove_copy(make_window: WindowFactory, tmp_path: Path) -> None:
    window = make_window()
    window.add_layer_action.trigger()
    assert window.autosaver.save_now()
    slot = window.autosaver.slot
    assert slot.exists()
    assert slot.parent == autosave_folder()

    window.files._write(tmp_path / "saved.nnproj")
    assert not slot.exists()

    window.add_layer_action.trigger()
    assert window.autosaver.save_now()
    window.close()
    assert not slot.exists()
