"""The Advanced dock: typing into each field changes the project, and undo brings it back."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox

from nnstudio.engine.training import Trainer
from nnstudio.gui.main_window import MainWindow
from nnstudio.project.model import Settings

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]
DEFAULTS = Settings()


def type_into(qtbot: object, spin: QAbstractSpinBox, text: str) -> None:
    """Select the spin box's text, type ``text`` and press Return, as a user does."""
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)  # type: ignore[attr-defined]
    qtbot.keyClick(spin, Qt.Key.Key_Return)  # type: ignore[attr-defined]


def choose(combo: QComboBox, key: str) -> None:
    index = combo.findData(key)
    assert index >= 0, key
    combo.setCurrentIndex(index)


def open_advanced(make_window: WindowFactory) -> MainWindow:
    window = make_window()
    window.docks["Advanced"].raise_()
    return window


@pytest.mark.parametrize(
    ("field", "key", "text", "value", "optimizer"),
    [
        ("momentum", "momentum", "0.75", 0.75, "momentum"),
        ("adam_beta1", "adam_beta1", "0.8", 0.8, "adam"),
        ("adam_beta2", "adam_beta2", "0.99", 0.99, "adam"),
        ("adam_eps", "adam_eps", "1e-6", 1e-6, "adam"),
        ("l1", "l1", "0.001", 0.001, None),
        ("l2", "l2", "0.0005", 0.0005, None),
        ("init_scale", "init_scale", "1.5", 1.5, None),
        ("validation", "validation_fraction", "25", 0.25, None),
    ],
)
def test_typing_sets_the_setting_and_undo_restores(
    make_window: WindowFactory,
    qtbot: object,
    field: str,
    key: str,
    text: str,
    value: float,
    optimizer: str | None,
) -> None:
    window = open_advanced(make_window)
    panel = window.advanced_settings
    spin = getattr(panel, field)
    if optimizer is not None:
        assert not spin.isEnabled()
        choose(window.training_panel.optimizer, optimizer)
    if key == "init_scale":
        # The Glorot initializer takes no scale; the uniform one does.
        assert not spin.isEnabled()
        choose(window.training_panel.initializer, "uniform")
    assert spin.isEnabled()
    steps = window.document.undo_stack.count()

    type_into(qtbot, spin, text)
    assert getattr(window.document.project.settings, key) == pytest.approx(value, rel=1e-12)
    assert window.document.undo_stack.count() == steps + 1

    window.undo_action.trigger()
    assert getattr(window.document.project.settings, key) == getattr(DEFAULTS, key)
    assert spin.value() == pytest.approx(spin.valueFromText(spin.textFromValue(spin.value())))
    window.redo_action.trigger()
    assert getattr(window.document.project.settings, key) == pytest.approx(value, rel=1e-12)


def test_arrow_steps_merge_into_one_undo_step(make_window: WindowFactory, qtbot: object) -> None:
    window = open_advanced(make_window)
    spin = window.advanced_settings.l2
    stack = window.document.undo_stack
    steps = stack.count()
    spin.setFocus()
    for _ in range(3):
        qtbot.keyClick(spin, Qt.Key.Key_Up)  # type: ignore[attr-defined]
    assert window.document.project.settings.l2 == pytest.approx(3 * spin.singleStep())
    assert stack.count() == steps + 1

    window.undo_action.trigger()
    assert window.document.project.settings.l2 == 0.0
    assert spin.value() == 0.0


def test_eps_arrows_step_by_powers_of_ten(make_window: WindowFactory, qtbot: object) -> None:
    window = open_advanced(make_window)
    choose(window.training_panel.optimizer, "adam")
    spin = window.advanced_settings.adam_eps
    spin.setFocus()
    qtbot.keyClick(spin, Qt.Key.Key_Up)  # type: ignore[attr-defined]
    assert window.document.project.settings.adam_eps == pytest.approx(1e-7, rel=1e-12)
    assert spin.text() == "1e-07"
    qtbot.keyClick(spin, Qt.Key.Key_Down)  # type: ignore[attr-defined]
    qtbot.keyClick(spin, Qt.Key.Key_Down)  # type: ignore[attr-defined]
    assert window.document.project.settings.adam_eps == pytest.approx(1e-9, rel=1e-12)


def test_combo_fields_set_and_undo(make_window: WindowFactory) -> None:
    window = open_advanced(make_window)
    panel = window.advanced_settings
    settings = lambda: window.document.project.settings  # noqa: E731
    first_weights = window.document.project.initial_parameters["hidden 1"].W.copy()

    choose(panel.dtype, "float32")
    assert settings().dtype == "float32"
    assert np.dtype(window.document.project.network().dtype) == np.float32
    window.undo_action.trigger()
    assert settings().dtype == "float64"

    assert not panel.bias_value.isEnabled()
    choose(panel.bias_init, "constant")
    assert settings().bias_init == "constant"
    assert panel.bias_value.isEnabled()
    panel.bias_value.setValue(0.5)
    assert settings().bias_value == 0.5
    # Every bias starts at the value; the weights are those of the same seed.
    for params in window.document.project.initial_parameters.values():
        assert (params.b == 0.5).all()
    assert np.array_equal(window.document.project.initial_parameters["hidden 1"].W, first_weights)
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert settings().bias_init == "zeros"
    assert (window.document.project.initial_parameters["hidden 1"].b == 0.0).all()


def test_targets_turn_on_and_off(make_window: WindowFactory, qtbot: object) -> None:
    window = open_advanced(make_window)
    panel = window.advanced_settings
    settings = lambda: window.document.project.settings  # noqa: E731
    assert not panel.target_loss.isEnabled()

    panel.use_target_loss.click()
    assert settings().target_loss == pytest.approx(0.01)
    assert panel.target_loss.isEnabled()
    type_into(qtbot, panel.target_loss, "0.002")
    assert settings().target_loss == pytest.approx(0.002)
    panel.use_target_loss.click()
    assert settings().target_loss is None

    panel.use_target_accuracy.click()
    assert settings().target_accuracy == 1.0
    type_into(qtbot, panel.target_accuracy, "75")
    assert settings().target_accuracy == pytest.approx(0.75)

    for _ in range(2):
        window.undo_action.trigger()
    assert settings().target_accuracy is None
    window.undo_action.trigger()
    assert settings().target_loss == pytest.approx(0.002)
    assert panel.use_target_loss.isChecked()
    assert panel.target_loss.value() == pytest.approx(0.002)


def test_patience_follows_the_validation_set(make_window: WindowFactory, qtbot: object) -> None:
    window = open_advanced(make_window)
    panel = window.advanced_settings
    settings = lambda: window.document.project.settings  # noqa: E731
    assert not panel.patience.isEnabled()
    assert panel.patience.text() == "off"

    type_into(qtbot, panel.validation, "25")
    assert panel.patience.isEnabled()
    type_into(qtbot, panel.patience, "5")
    assert settings().patience == 5

    # No validation set, no early stopping: both go off in one undo step.
    type_into(qtbot, panel.validation, "0")
    assert settings().validation_fraction == 0.0
    assert settings().patience == 0
    assert not panel.patience.isEnabled()
    window.undo_action.trigger()
    assert settings().validation_fraction == 0.25
    assert settings().patience == 5


def test_fields_lock_while_training(make_window: WindowFactory, qtbot: object) -> None:
    window = open_advanced(make_window)
    panel = window.advanced_settings
    choose(window.training_panel.optimizer, "momentum")
    assert panel.momentum.isEnabled()

    window.training.step_action.trigger()
    assert window.training.controller.state == "paused"
    # Optimizer and penalty settings reach the running trainer; the rest shape a run's start.
    for field in (panel.momentum, panel.l1, panel.l2):
        assert field.isEnabled()
    for field in (panel.dtype, panel.validation, panel.bias_init, panel.init_scale):
        assert not field.isEnabled()

    window.training.stop_action.trigger()
    qtbot.waitUntil(lambda: window.training.controller.state == "idle")  # type: ignore[attr-defined]
    assert panel.momentum.isEnabled()
    assert panel.l1.isEnabled()
    assert panel.dtype.isEnabled()
    assert not panel.adam_beta1.isEnabled()


def test_momentum_changes_mid_run(make_window: WindowFactory, qtbot: object) -> None:
    window = open_advanced(make_window)
    panel = window.advanced_settings
    choose(window.training_panel.optimizer, "momentum")
    project = window.document.project
    headless = Trainer(
        project.network(), project.dataset.network_inputs(), project.dataset.y, project.settings
    )
    unchanged = Trainer(
        project.network(), project.dataset.network_inputs(), project.dataset.y, project.settings
    )
    controller = window.training.controller

    window.training.step_action.trigger()
    qtbot.waitUntil(lambda: window.document.project.history.epoch_count == 1)  # type: ignore[attr-defined]
    type_into(qtbot, panel.momentum, "0.5")
    window.training.step_action.trigger()
    qtbot.waitUntil(lambda: window.document.project.history.epoch_count == 2)  # type: ignore[attr-defined]
    window.training.stop_action.trigger()
    qtbot.waitUntil(lambda: controller.state == "idle")  # type: ignore[attr-defined]

    # The same two steps headless, with the velocity kept across the change.
    headless.step()
    headless.change_settings(momentum=0.5)
    headless.step()
    assert window.document.project.settings.momentum == 0.5
    for name, params in headless.network.parameters.items():
        np.testing.assert_array_equal(window.document.project.parameters[name].W, params.W)
    # Keeping momentum 0.9 gives other weights, so the change took effect.
    unchanged.step()
    unchanged.step()
    assert not np.array_equal(
        unchanged.network.parameters["output"].W, headless.network.parameters["output"].W
    )


def test_perceptron_rule_disables_gradient_fields(make_window: WindowFactory) -> None:
    window = open_advanced(make_window)
    panel = window.advanced_settings
    choose(window.training_panel.algorithm, "perceptron")
    assert window.document.project.settings.algorithm == "perceptron"
    for field in (panel.l1, panel.l2, panel.validation, panel.use_target_loss):
        assert not field.isEnabled()
    # The rule still uses the precision and the first weights.
    assert panel.dtype.isEnabled()
    assert panel.bias_init.isEnabled()

    window.undo_action.trigger()
    assert panel.l1.isEnabled()
    assert panel.validation.isEnabled()
