"""Garbage collection and the destruction of workers stay on the GUI thread."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt

from nnstudio.gui import threads
from nnstudio.gui.main_window import MainWindow
from nnstudio.project.model import default_project

pytestmark = pytest.mark.timeout(60)

WindowFactory = Callable[..., MainWindow]


def test_collection_off_during_training(make_window: WindowFactory, qtbot: object) -> None:
    project = default_project()
    project.settings.epochs = 10_000_000  # far more than the test waits for
    window = make_window(project)
    controller = window.training.controller
    assert gc.isenabled()

    window.training.train_action.trigger()
    qtbot.waitUntil(lambda: controller.state == "running")  # type: ignore[attr-defined]

    # While the worker trains, only the GUI thread's timer collects.
    assert threads.workers_running() >= 1
    assert not gc.isenabled()

    window.training.stop_action.trigger()
    qtbot.waitUntil(lambda: controller.state == "idle")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: threads.workers_running() == 0)  # type: ignore[attr-defined]
    assert gc.isenabled()


def test_training_worker_destroyed_on_gui_thread(make_window: WindowFactory, qtbot: object) -> None:
    # Destroyed in its worker thread, a worker could deadlock with the GUI thread.
    project = default_project()
    project.settings.epochs = 10_000_000
    window = make_window(project)
    controller = window.training.controller
    window.training.train_action.trigger()
    qtbot.waitUntil(lambda: controller.state == "running")  # type: ignore[attr-defined]
    worker = next(iter(controller._runs.values())).worker
    destroyed_in: list[int] = []
    worker.destroyed.connect(
        lambda: destroyed_in.append(threading.get_ident()), Qt.ConnectionType.DirectConnection
    )

    window.training.stop_action.trigger()
    qtbot.waitUntil(lambda: bool(destroyed_in))  # type: ignore[attr-defined]

    assert destroyed_in == [threading.main_thread().ident]
