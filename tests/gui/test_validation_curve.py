"""The loss dock's dashed validation curve and the status message that gives why a run stopped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from nnstudio.engine.training import Trainer
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.worker import TrainingSnapshot
from nnstudio.project.fileformat import load_project
from tests.cli.test_cli_training import noisy_project
from tests.gui.test_advanced_settings import type_into

pytestmark = pytest.mark.timeout(180)

WindowFactory = Callable[..., MainWindow]


def train_and_record(window: MainWindow, qtbot: object) -> list[TrainingSnapshot]:
    """Press Train, wait for the run to end, and return every snapshot the window received."""
    snapshots: list[TrainingSnapshot] = []
    controller = window.training.controller
    controller.snapshot_received.connect(snapshots.append)
    controller.run_finished.connect(snapshots.append)
    window.training.train_action.trigger()
    qtbot.waitUntil(lambda: controller.state == "idle", timeout=120_000)  # type: ignore[attr-defined]
    assert snapshots[-1].final
    return snapshots


def test_validation_curve_matches_snapshots_and_engine(
    make_window: WindowFactory, qtbot: object, tmp_path: Path
) -> None:
    source = noisy_project(tmp_path / "noisy.nnproj")
    window = make_window(load_project(source))
    window.docks["Advanced"].raise_()
    type_into(qtbot, window.advanced_settings.validation, "25")
    type_into(qtbot, window.advanced_settings.patience, "50")

    snapshots = train_and_record(window, qtbot)

    # the two curves hold what the worker sent, epoch by epoch
    sent_loss = np.concatenate([snapshot.loss for snapshot in snapshots])
    sent_validation = np.concatenate([snapshot.validation_loss for snapshot in snapshots])
    plot = window.loss_plot
    epochs, loss = plot.curve_data()
    validation_epochs, validation = plot.validation_curve_data()
    assert np.array_equal(loss, sent_loss)
    assert np.array_equal(validation, sent_validation)
    assert np.array_equal(validation_epochs, epochs)
    assert loss[-1] == sent_loss[-1]
    assert validation[-1] == sent_validation[-1]
    assert plot.has_validation()
    assert plot.legend.isVisible()

    # and they are what a headless Trainer with the same settings records
    project = load_project(source)
    project.settings.validation_fraction = 0.25
    project.settings.patience = 50
    dataset = project.dataset
    trainer = Trainer(project.network(), dataset.network_inputs(), dataset.y, project.settings)
    trainer.train(project.settings.epochs)
    assert trainer.stop_reason.startswith("no improvement in validation loss for 50 epochs")
    assert np.array_equal(loss, trainer.history.loss)
    assert np.array_equal(validation, trainer.history.validation_loss)

    # the status bar gives why the run stopped, and which weights it kept
    message = window.statusBar().currentMessage()
    assert message == f"Training stopped at epoch {trainer.epoch:,}: {trainer.stop_reason}"


def test_no_validation_set_means_one_curve(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    train_and_record(window, qtbot)
    plot = window.loss_plot
    _, loss = plot.curve_data()
    assert len(loss) == window.document.project.settings.epochs
    assert not plot.has_validation()
    assert not plot.legend.isVisible()
    epochs, validation = plot.validation_curve_data()
    assert len(epochs) == 0
    assert len(validation) == 0
    assert window.statusBar().currentMessage().startswith("Training completed at epoch 1,000")


def test_target_accuracy_stop_is_reported(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    window.docks["Advanced"].raise_()
    panel = window.advanced_settings
    panel.use_target_accuracy.click()
    assert window.document.project.settings.target_accuracy == 1.0

    train_and_record(window, qtbot)
    project = window.document.project
    accuracy = np.asarray(project.history.accuracy)
    first = int(np.argmax(accuracy == 1.0)) + 1
    assert accuracy[-1] == 1.0
    assert len(accuracy) == first
    message = window.statusBar().currentMessage()
    assert message == f"Training stopped at epoch {first:,}: target accuracy reached"


def test_log_scale_keeps_both_curves(
    make_window: WindowFactory, qtbot: object, tmp_path: Path
) -> None:
    source = noisy_project(tmp_path / "noisy.nnproj")
    project = load_project(source)
    project.settings.validation_fraction = 0.25
    project.settings.epochs = 40
    window = make_window(project)
    train_and_record(window, qtbot)
    window.loss_plot.log_check.click()
    assert window.loss_plot.is_log_scale()
    _, validation = window.loss_plot.validation_curve_data()
    assert len(validation) == 40
    assert np.all(np.isfinite(validation))
