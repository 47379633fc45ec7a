"""The perceptron rule in the main window: the Algorithm box, the Misclassified plot, the outcome.

Each run's counts are compared with PerceptronTrainer run headless on the same
project file, and the first steps on AND with values worked out by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from nnstudio.engine.perceptron import PerceptronResult, PerceptronTrainer
from nnstudio.gui import dialogs
from nnstudio.gui.main_window import MainWindow
from nnstudio.project.fileformat import load_project
from tests.conftest import EXAMPLES

WindowFactory = Callable[..., MainWindow]
AND = EXAMPLES / "perceptron-and.nnproj"
XOR = EXAMPLES / "perceptron-xor.nnproj"
THREE_OUTPUTS = EXAMPLES / "perceptron-three-outputs.nnproj"


def headless_run(path: Path) -> tuple[PerceptronTrainer, PerceptronResult]:
    """Train the project at ``path`` with the engine alone, as far as its epochs allow."""
    project = load_project(path)
    trainer = PerceptronTrainer(
        project.network(),
        project.dataset.network_inputs(),
        project.dataset.y,
        project.settings.learning_rate,
    )
    return trainer, trainer.train(project.settings.epochs)


def open_through_menu(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, path: Path
) -> MainWindow:
    window = make_window()
    monkeypatch.setattr(dialogs, "ask_open_path", lambda _parent, _folder: path)
    window.files.open_action.trigger()
    assert window.document.path == path
    return window


def press_train(window: MainWindow, qtbot: object) -> None:
    button = window.toolbar.widgetForAction(window.training.train_action)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    controller = window.training.controller
    qtbot.waitUntil(lambda: controller.state == "idle", timeout=60_000)  # type: ignore[attr-defined]


def select_algorithm(window: MainWindow, algorithm: str) -> None:
    box = window.training_panel.algorithm
    box.setCurrentIndex(box.findData(algorithm))


def test_and_converges_in_window(
    make_window: WindowFactory, qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_through_menu(make_window, monkeypatch, AND)
    trainer, expected = headless_run(AND)
    # The first weights are 0, so z = 0 and the step outputs 1 everywhere.
    assert window.boundary_plot.value_at(0.05, 0.05) == 1.0

    press_train(window, qtbot)

    epochs, counts = window.misclassified_plot.curve_data()
    assert list(counts) == expected.misclassified
    assert list(epochs) == list(range(1, len(expected.epochs) + 1))
    assert counts[-1] == 0
    outcome = window.misclassified_plot.outcome()
    assert f"converged after {len(expected.epochs)} epochs" in outcome
    assert "every sample classified correctly" in outcome
    assert outcome in window.statusBar().currentMessage()

    # the weights and the boundary the window shows are the engine's
    weights = window.document.project.parameters["output"]
    assert np.array_equal(weights.W, trainer.parameters.W)
    assert np.array_equal(weights.b, trainer.parameters.b)
    assert window.boundary_plot.value_at(0.05, 0.05) == 0.0
    assert window.boundary_plot.value_at(1.4, 1.4) == 1.0


def test_xor_reports_not_separable(
    make_window: WindowFactory, qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_through_menu(make_window, monkeypatch, XOR)
    _, expected = headless_run(XOR)
    assert expected.cycle_epochs is not None

    press_train(window, qtbot)

    _, counts = window.misclassified_plot.curve_data()
    assert list(counts) == expected.misclassified
    assert len(counts) == window.document.project.settings.epochs
    assert min(counts) > 0
    outcome = window.misclassified_plot.outcome()
    assert f"did not converge in {len(counts)} epochs" in outcome
    assert "not linearly separable" in outcome
    assert f"Epoch {expected.cycle_epochs[1]} ends with the weights it started with" in outcome
    assert f"period of {expected.cycle_length} epoch" in outcome


def test_three_outputs_train(
    make_window: WindowFactory, qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_through_menu(make_window, monkeypatch, THREE_OUTPUTS)
    _, expected = headless_run(THREE_OUTPUTS)

    press_train(window, qtbot)

    _, counts = window.misclassified_plot.curve_data()
    assert list(counts) == expected.misclassified
    assert counts[-1] == 0
    project = window.document.project
    outputs = project.network().predict(project.dataset.network_inputs())
    assert np.array_equal(outputs, project.dataset.y)
    assert "converged after" in window.misclassified_plot.outcome()


def test_perceptron_docks_and_editors(make_window: WindowFactory) -> None:
    window = make_window(path=AND)
    panel = window.training_panel

    assert window.docks["Misclassified"].isVisibleTo(window)
    assert not window.docks["Loss"].isVisibleTo(window)
    for editor in (panel.loss, panel.optimizer, panel.batch_mode, panel.batch_size):
        assert not editor.isEnabled()
        assert "Not used by the perceptron rule" in editor.toolTip()
    assert panel.learning_rate.isEnabled()
    assert not panel.algorithm_rows.note.isVisibleTo(window)


def test_steps_match_hand_worked_and(make_window: WindowFactory, qtbot: object) -> None:
    # AND from W = 0, b = 0, learning rate 0.25, corners in order. Sample (0, 0):
    # z = 0, output 1, target 0, so b = 0 - 0.25. Samples (0, 1) and (1, 0): z = -0.25,
    # output 0, right. Sample (1, 1): output 0, target 1, so W = (0.25, 0.25), b = 0.
    window = make_window(path=AND)
    project = window.document.project
    step = window.training.step_action

    step.trigger()
    qtbot.waitUntil(lambda: project.parameters["output"].b[0] == -0.25, timeout=10_000)  # type: ignore[attr-defined]
    assert np.array_equal(window.document.project.parameters["output"].W, [[0.0], [0.0]])
    for _ in range(3):
        step.trigger()
    qtbot.waitUntil(lambda: len(window.misclassified_plot.curve_data()[0]) == 1, timeout=10_000)  # type: ignore[attr-defined]

    weights = window.document.project.parameters["output"]
    assert np.array_equal(weights.W, [[0.25], [0.25]])
    assert np.array_equal(weights.b, [0.0])
    assert list(window.misclassified_plot.curve_data()[1]) == [2]

    window.training.stop_action.trigger()
    controller = window.training.controller
    qtbot.waitUntil(lambda: window.misclassified_plot.outcome() != "", timeout=10_000)  # type: ignore[attr-defined]
    assert controller.state == "idle"
    assert window.misclassified_plot.outcome().startswith("Stopped. ")
    assert "did not converge in 1 epoch" in window.misclassified_plot.outcome()


def test_reset_clears_counts(
    make_window: WindowFactory, qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_through_menu(make_window, monkeypatch, AND)
    press_train(window, qtbot)
    assert len(window.misclassified_plot.curve_data()[0]) > 0

    window.training.reset_action.trigger()

    assert len(window.misclassified_plot.curve_data()[0]) == 0
    assert window.misclassified_plot.outcome() == ""


def test_train_twice_continues_epochs(
    make_window: WindowFactory, qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A converged run trained again takes one more epoch, without a mistake.
    window = open_through_menu(make_window, monkeypatch, AND)
    _, expected = headless_run(AND)
    press_train(window, qtbot)

    press_train(window, qtbot)

    epochs, counts = window.misclassified_plot.curve_data()
    count = len(expected.epochs)
    assert list(epochs) == list(range(1, count + 2))
    assert list(counts) == [*expected.misclassified, 0]
    assert window.document.project.history.epoch_count == count + 1
    assert f"converged after 1 more epoch (epoch {count + 1} in all)" in (
        window.misclassified_plot.outcome()
    )


def test_wrong_network_named(make_window: WindowFactory, messages: list[tuple[str, str]]) -> None:
    # The default project has a hidden tanh layer before a sigmoid output.
    window = make_window()
    panel = window.training_panel

    select_algorithm(window, "perceptron")

    assert window.document.project.settings.algorithm == "perceptron"
    note = panel.algorithm_rows.note
    assert note.isVisibleTo(window)
    assert "one layer of step units" in note.text()
    assert "'hidden 1', 'output'" in note.text()
    assert window.docks["Misclassified"].isVisibleTo(window)

    window.training.train_action.trigger()

    assert window.training.controller.state == "idle"
    assert len(messages) == 1
    title, text = messages[0]
    assert title == "Cannot train"
    assert "one layer of step units" in text
    assert "2 layers after the input" in text


def test_algorithm_choice_undoes(make_window: WindowFactory) -> None:
    window = make_window()
    panel = window.training_panel
    select_algorithm(window, "perceptron")
    assert not panel.loss.isEnabled()

    window.undo_action.trigger()

    assert window.document.project.settings.algorithm == "backpropagation"
    assert panel.algorithm.currentData() == "backpropagation"
    assert panel.loss.isEnabled()
    assert "Not used" not in panel.loss.toolTip()
    assert not panel.algorithm_rows.note.isVisibleTo(window)
    assert window.docks["Loss"].isVisibleTo(window)
    assert not window.docks["Misclassified"].isVisibleTo(window)

    window.redo_action.trigger()

    assert window.document.project.settings.algorithm == "perceptron"
    assert panel.algorithm.currentData() == "perceptron"


def test_output_activation_named(make_window: WindowFactory) -> None:
    # One layer, but sigmoid units: the note names the layer and its activation.
    window = make_window(path=EXAMPLES / "and.nnproj")
    select_algorithm(window, "perceptron")

    text = window.training_panel.algorithm_rows.note.text()
    assert "layer 'output' uses sigmoid" in text
    assert "set its activation to step" in text
