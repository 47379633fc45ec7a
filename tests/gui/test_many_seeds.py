"""Training > Train many seeds, driven from the menu, checked against the engine and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.engine.multiseed import train_many_seeds
from nnstudio.engine.training import Trainer
from nnstudio.gui.advanced_settings import menu_named
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.many_seeds import REACHED_COLOUR, STUCK_COLOUR, ManySeedsDialog
from nnstudio.project.fileformat import load_project
from tests.cli.test_cli_seeds import xor_2_2_1
from tests.cli.test_cli_training import json_output, run_cli

pytestmark = pytest.mark.timeout(300)

WindowFactory = Callable[..., MainWindow]
SEEDS = 20


def open_dialog(window: MainWindow) -> ManySeedsDialog:
    """Choose Training > Train many seeds… from the menu bar."""
    menu = menu_named(window, "Training")
    assert menu is not None
    actions = [action for action in menu.actions() if action.text() == "Train &many seeds…"]
    assert len(actions) == 1
    actions[0].trigger()
    dialog = window.many_seeds.dialog
    assert dialog is not None
    assert dialog.isVisible()
    return dialog


def type_copies(dialog: ManySeedsDialog, qtbot: object, copies: str) -> None:
    """Type K without pressing Return, which would press the default button, Train."""
    dialog.copies.setFocus()
    dialog.copies.selectAll()
    qtbot.keyClicks(dialog.copies, copies)  # type: ignore[attr-defined]
    assert dialog.copies.value() == int(copies)


def run_dialog(dialog: ManySeedsDialog, qtbot: object, copies: str) -> None:
    type_copies(dialog, qtbot, copies)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=120_000)  # type: ignore[attr-defined]


def test_count_matches_cli_and_engine(
    make_window: WindowFactory, qtbot: object, tmp_path: Path
) -> None:
    path = xor_2_2_1(tmp_path)
    window = make_window(path=path)
    dialog = open_dialog(window)
    assert dialog.copies.value() == SEEDS
    run_dialog(dialog, qtbot, str(SEEDS))
    result = dialog.result
    assert result is not None

    # the same count and the same copies as the command line
    cli = run_cli("train", path, "--seeds", str(SEEDS), "--json")
    assert cli.returncode == 0, cli.stderr
    report = json_output(cli)
    assert result.count_reached == report["reached"]
    assert list(result.reached_goal) == [entry["converged"] for entry in report["seeds"]]
    goal_epochs = [entry["goal_epoch"] or 0 for entry in report["seeds"]]
    assert list(result.goal_epoch) == goal_epochs
    summary = (
        f"{report['reached']} of {SEEDS} reached the goal "
        "(100% training accuracy within 2,000 epochs)"
    )
    assert dialog.summary.text() == summary
    assert 0 < result.count_reached < SEEDS

    # every curve is one copy's full run, as the engine trains it
    project = load_project(path)
    dataset = project.dataset
    engine = train_many_seeds(
        project.network_spec(),
        dataset.X,
        dataset.y,
        project.settings,
        range(SEEDS),
        stop_at_goal=False,
    )
    assert len(dialog.curves) == SEEDS
    for curve in dialog.curves:
        epochs, loss = curve.item.xData, curve.item.yData
        assert np.array_equal(epochs, np.arange(1, 2001))
        assert np.array_equal(loss, engine.loss[curve.index])
        assert curve.reached == bool(engine.reached_goal[curve.index])
        colour = REACHED_COLOUR if curve.reached else STUCK_COLOUR
        assert curve.item.opts["pen"].color().name() == colour


def test_curves_match_single_seed_trainers(
    make_window: WindowFactory, qtbot: object, tmp_path: Path
) -> None:
    path = xor_2_2_1(tmp_path)
    window = make_window(path=path)
    dialog = open_dialog(window)
    run_dialog(dialog, qtbot, "4")
    result = dialog.result
    assert result is not None
    assert len(dialog.curves) == 4
    for curve in dialog.curves:
        project = load_project(path)
        project.settings.seed = result.seeds[curve.index]
        project.reinitialize()
        X, y = project.dataset.network_inputs(), project.dataset.y
        trainer = Trainer(project.network(), X, y, project.settings)
        trainer.train(project.settings.epochs)
        loss = curve.item.yData
        np.testing.assert_allclose(loss, trainer.history.loss, rtol=1e-9)
        assert curve.reached == bool(np.any(np.asarray(trainer.history.accuracy) == 1.0))


def test_stop_cancels_and_train_starts_again(
    make_window: WindowFactory, qtbot: object, tmp_path: Path
) -> None:
    window = make_window(path=xor_2_2_1(tmp_path))
    window.document.project.settings.epochs = 10_000
    dialog = open_dialog(window)
    type_copies(dialog, qtbot, "1000")
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert dialog.is_running()
    assert not dialog.run_button.isEnabled()
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=60_000)  # type: ignore[attr-defined]
    assert dialog.summary.text().startswith("Stopped at epoch ")
    assert dialog.result is None
    assert dialog.run_button.isEnabled()


def test_validation_set_is_rejected_with_a_message(
    make_window: WindowFactory, messages: list[tuple[str, str]]
) -> None:
    window = make_window()
    window.document.project.settings.validation_fraction = 0.25
    dialog = open_dialog(window)
    assert not dialog.start()
    assert not dialog.is_running()
    assert len(messages) == 1
    title, text = messages[0]
    assert title == "Cannot train many seeds"
    assert "does not support a validation set" in text


def test_closing_the_window_ends_a_run(
    make_window: WindowFactory, qtbot: object, tmp_path: Path
) -> None:
    window = make_window(path=xor_2_2_1(tmp_path))
    window.document.project.settings.epochs = 100_000
    dialog = open_dialog(window)
    assert dialog.start()
    window.close()
    assert not dialog.is_running()


def test_too_long_a_history_is_rejected(
    make_window: WindowFactory, qtbot: object, messages: list[tuple[str, str]]
) -> None:
    window = make_window()
    window.document.project.settings.epochs = 1_000_000
    dialog = open_dialog(window)
    type_copies(dialog, qtbot, "11")
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert not dialog.is_running()
    assert len(messages) == 1
    assert (
        "11 copies of 1,000,000 epochs each need a history of 11,000,000 values" in (messages[0][1])
    )


def test_return_in_the_copies_field_trains(
    make_window: WindowFactory, qtbot: object, tmp_path: Path
) -> None:
    window = make_window(path=xor_2_2_1(tmp_path))
    dialog = open_dialog(window)
    type_copies(dialog, qtbot, "3")
    qtbot.keyClick(dialog.copies, Qt.Key.Key_Return)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=60_000)  # type: ignore[attr-defined]
    assert dialog.result is not None
    assert dialog.result.seeds == (0, 1, 2)
