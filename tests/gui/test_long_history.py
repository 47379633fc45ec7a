"""Runs longer than the history's capacity: bounded history and curve, exact last values."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from nnstudio.engine.history import DEFAULT_CAPACITY, History
from nnstudio.engine.training import Trainer
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.plots.loss_plot import LossPlot
from nnstudio.project.model import default_project

pytestmark = pytest.mark.timeout(240)

WindowFactory = Callable[..., MainWindow]
EPOCHS = DEFAULT_CAPACITY + 2_500


def test_long_run_matches_headless(make_window: WindowFactory, qtbot: object) -> None:
    project = default_project("xor")
    project.settings.epochs = EPOCHS
    window = make_window(project)

    window.training.train_action.trigger()
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: window.training.controller.state == "idle", timeout=200_000
    )

    headless = default_project("xor")
    trainer = Trainer(headless.network(), headless.dataset.X, headless.dataset.y, headless.settings)
    trainer.settings.epochs = EPOCHS
    trainer.train(EPOCHS)

    history = window.document.project.history
    assert history.epoch_count == EPOCHS
    assert len(history) <= DEFAULT_CAPACITY
    assert history.loss[-1] == trainer.history.loss[-1]
    assert history.accuracy[-1] == trainer.history.accuracy[-1]
    assert np.all(np.diff(history.epochs) > 0)
    # The worker's history and the window's keep the same first epoch.
    assert history.loss[0] == trainer.history.loss[0]

    epochs, loss = window.loss_plot.curve_data()
    assert len(epochs) <= DEFAULT_CAPACITY
    assert epochs[-1] == EPOCHS
    assert loss[-1] == trainer.history.loss[-1]
    assert f"{EPOCHS:,}" in window.status.epoch.text()


def test_loss_plot_uses_epoch_numbers(qtbot: object) -> None:
    plot = LossPlot()
    qtbot.addWidget(plot)  # type: ignore[attr-defined]
    plot.set_history(History([0.5, 0.4, 0.3], [0.0, 0.0, 0.0], epochs=[1, 5, 9]))
    plot.append(np.array([0.2, 0.1]), epochs=np.array([12, 20]))

    epochs, loss = plot.curve_data()

    np.testing.assert_array_equal(epochs, [1, 5, 9, 12, 20])
    np.testing.assert_array_equal(loss, [0.5, 0.4, 0.3, 0.2, 0.1])


def test_loss_plot_stays_bounded(qtbot: object) -> None:
    plot = LossPlot()
    qtbot.addWidget(plot)  # type: ignore[attr-defined]
    for start in range(0, 200_000, 20_000):
        epochs = np.arange(start + 1, start + 20_001)
        plot.append(1.0 / epochs)

    epochs, loss = plot.curve_data()

    assert len(epochs) <= DEFAULT_CAPACITY
    assert epochs[-1] == 200_000
    assert loss[-1] == 1.0 / 200_000
    assert epochs[0] == 1
