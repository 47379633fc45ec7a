"""Training under stress: many starts and stops, edits and loads mid-run, faults, divergence."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from nnstudio.gui import dialogs
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.training_run import TrainingRun
from nnstudio.project.fileformat import load_project
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]


def _wait_idle(window: MainWindow, qtbot: object) -> None:
    controller = window.training.controller
    qtbot.waitUntil(lambda: controller.state == "idle", timeout=60_000)  # type: ignore[attr-defined]


def test_start_stop_200_times(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    window.document.project.settings.epochs = 10_000_000
    for _ in range(200):
        window.training.train_action.trigger()
        window.training.stop_action.trigger()
    _wait_idle(window, qtbot)
    controller = window.training.controller
    qtbot.waitUntil(lambda: not controller._runs, timeout=60_000)  # type: ignore[attr-defined]

    # Still trains normally afterwards.
    window.document.project.settings.epochs = len(window.document.project.history.loss) + 50
    window.training.train_action.trigger()
    _wait_idle(window, qtbot)
    assert len(window.document.project.history.loss) == window.document.project.settings.epochs


def test_learning_rate_change_mid_run(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    window.document.project.settings.epochs = 10_000_000
    window.training.train_action.trigger()
    qtbot.waitUntil(lambda: len(window.document.project.history.loss) > 100, timeout=30_000)  # type: ignore[attr-defined]
    spin = window.training_panel.learning_rate
    assert spin.isEnabled()
    spin.setValue(0.05)
    assert window.document.project.settings.learning_rate == 0.05
    assert window.training.controller.state == "running"
    window.training.stop_action.trigger()
    _wait_idle(window, qtbot)


def test_open_other_project_mid_run(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    window.document.project.settings.epochs = 10_000_000
    window.training.train_action.trigger()
    qtbot.waitUntil(lambda: len(window.document.project.history.loss) > 10, timeout=30_000)  # type: ignore[attr-defined]

    assert window.open_path(EXAMPLES / "and.nnproj")
    assert window.training.controller.state == "idle"
    qtbot.wait(300)  # type: ignore[attr-defined]
    # No late snapshot of the old run reached the new project.
    expected = load_project(EXAMPLES / "and.nnproj")
    for name, params in expected.parameters.items():
        assert np.array_equal(window.document.project.parameters[name].W, params.W)
    assert len(window.document.project.history) == 0


def test_worker_fault_reaches_user(
    make_window: WindowFactory,
    qtbot: object,
    monkeypatch: pytest.MonkeyPatch,
    messages: list[tuple[str, str]],
) -> None:
    window = make_window()
    real_step = TrainingRun.step
    calls = {"count": 0}

    def failing_step(run: TrainingRun) -> str:
        calls["count"] += 1
        if calls["count"] == 5:
            raise RuntimeError("simulated fault in the training loop")
        return real_step(run)

    monkeypatch.setattr(TrainingRun, "step", failing_step)
    window.training.train_action.trigger()
    _wait_idle(window, qtbot)
    title, text = messages[-1]
    assert title == "Training stopped"
    assert "simulated fault" in text
    assert "Traceback" in text
    assert len(window.document.project.history.loss) == 4

    # The app keeps working: the next run trains normally.
    monkeypatch.setattr(TrainingRun, "step", real_step)
    window.training.train_action.trigger()
    _wait_idle(window, qtbot)
    assert len(window.document.project.history.loss) == window.document.project.settings.epochs


def test_divergence_keeps_finite_weights(
    make_window: WindowFactory, qtbot: object, messages: list[tuple[str, str]]
) -> None:
    window = make_window(path=EXAMPLES / "worked-example.nnproj")
    window.document.project.settings.epochs = 1000
    window.training_panel.learning_rate.setValue(100.0)
    window.training.train_action.trigger()
    _wait_idle(window, qtbot)

    title, text = messages[-1]
    assert "diverged at epoch" in text
    assert "smaller learning rate" in text
    project = window.document.project
    for params in project.parameters.values():
        assert np.all(np.isfinite(params.W))
    assert all(np.isfinite(project.history.loss))
    assert len(project.history.loss) < 1000


def test_invalid_grid_cells_marked(make_window: WindowFactory) -> None:
    window = make_window()
    plot = window.boundary_plot
    grid = np.full((10, 10), 0.25, dtype=np.float32)
    grid[2, 3] = np.nan
    grid[7, 7] = np.inf
    plot.set_grid(grid, (0.0, 1.0, 0.0, 1.0))
    assert plot.invalid_item.isVisible()
    overlay = plot.invalid_item.image
    assert tuple(overlay[2, 3]) == (204, 0, 204, 255)
    assert tuple(overlay[7, 7]) == (204, 0, 204, 255)
    assert overlay[0, 0, 3] == 0
    plot.set_grid(np.zeros((10, 10), dtype=np.float32), (0.0, 1.0, 0.0, 1.0))
    assert not plot.invalid_item.isVisible()


def test_save_failure_keeps_file(
    make_window: WindowFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    messages: list[tuple[str, str]],
) -> None:
    window = make_window()
    target = tmp_path / "project.nnproj"
    monkeypatch.setattr(dialogs, "ask_save_path", lambda _p, _s: target)
    window.files.save_as_action.trigger()
    before = target.read_bytes()

    window.add_layer_action.trigger()

    def disk_full(_source: object, _target: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)
    window.files.save_action.trigger()
    assert target.read_bytes() == before
    title, text = messages[-1]
    assert title == "Cannot save project"
    assert "No space left on device" in text
    assert "unchanged" in text
    assert window.document.is_modified()
    assert [p.name for p in tmp_path.iterdir()] == ["project.nnproj"]
