"""The Advanced dock, a tab beside Training: optimizer details, penalty, precision, stopping
and how the first weights and biases are drawn.

Each edit is an undo command, and repeated edits of one field merge into one
undo step. A field is enabled only where it takes effect: momentum for SGD
with momentum, the betas and eps for Adam, patience with a validation set.
While a run is going, only the optimizer and penalty fields stay editable
(LIVE_SETTINGS): the worker hands them to the running trainer, which keeps its
optimizer state. The other fields shape the run from its start and are locked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QScrollArea,
    QSpinBox,
    QWidget,
)

from nnstudio.gui.combos import keyed_combo, select_key
from nnstudio.gui.document import ProjectDocument
from nnstudio.gui.setting_edits import ScientificSpinBox, push_setting
from nnstudio.project.model import PERCEPTRON
from nnstudio.project.settings_format import (
    MAX_BIAS_VALUE,
    MAX_EPOCHS,
    MAX_PENALTY,
    MAX_VALIDATION_FRACTION,
)

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

DTYPE_LABELS = {"float64": "float64 (exact classroom numbers)", "float32": "float32 (faster)"}
BIAS_LABELS = {"zeros": "Zeros", "constant": "Constant value"}
# Initializers that use init_scale; the others take their scale from the layer sizes.
SCALED_INITIALIZERS = ("uniform", "normal", "constant")
# Betas stay below 1 (Adam divides by 1 - beta^t); five decimals reach 0.99999.
MAX_BETA = 0.99999
MIN_ADAM_EPS = 1e-15  # NOTE: project files accept any eps above 0; the field stops here
MAX_TARGET_LOSS = 1e6
SUGGESTED_TARGET_LOSS = 0.01
DOCK_TITLE = "Advanced"
# Settings that the running trainer takes from its next step on (Trainer.change_settings).
LIVE_SETTINGS = ("momentum", "adam_beta1", "adam_beta2", "adam_eps", "l1", "l2")


def install_advanced_settings(window: MainWindow) -> AdvancedSettings:
    """Add the Advanced dock to ``window``, tabbed with Training, and lock it during runs."""
    panel = AdvancedSettings(window.document)
    dock = QDockWidget(DOCK_TITLE, window)
    # saveState() needs an object name to restore the dock.
    dock.setObjectName(f"dock {DOCK_TITLE}")
    dock.setWidget(panel)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.docks[DOCK_TITLE] = dock
    training = window.docks.get("Training")
    if training is not None:
        window.tabifyDockWidget(training, dock)
        training.raise_()
    view_menu = menu_named(window, "View")
    if view_menu is not None:
        view_menu.addAction(dock.toggleViewAction())
    controller = window.training.controller
    controller.state_changed.connect(lambda state: panel.set_running(state != "idle"))
    panel.live_setting_edited.connect(controller.change_setting)
    return panel


def menu_named(window: QMainWindow, title: str) -> QMenu | None:
    """Return the menu bar's menu called ``title`` (ignoring its & mnemonic), if there is one."""
    for action in window.menuBar().actions():
        menu = action.menu()
        if action.text().replace("&", "") == title and isinstance(menu, QMenu):
            return menu
    return None


class AdvancedSettings(QScrollArea):
    """A form of the training settings that the Training dock does not show.

    The fields scroll, so a short window still reaches every one of them.

    Signals:
        live_setting_edited(str, float): a setting of LIVE_SETTINGS and its new value.
    """

    live_setting_edited = Signal(str, float)

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._updating = False
        self._running = False
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self._create_optimizer_fields()
        self._create_stopping_fields()
        self._create_initialization_fields()
        self._lay_out()
        self._connect_editors()

        document.settings_changed.connect(self.refresh)
        document.project_replaced.connect(self.refresh)
        self.refresh()

    # building

    def _create_optimizer_fields(self) -> None:
        self.momentum = _number(0.0, 1.0, 3, 0.05)
        self.momentum.setToolTip(
            "Momentum coefficient μ in v ← μ·v + ∂L/∂w (no unit, 0 to 1); "
            "used only by SGD with momentum"
        )

        self.adam_beta1 = _number(0.0, MAX_BETA, 5, 0.01)
        self.adam_beta1.setToolTip(
            "Adam's decay rate β₁ of the mean gradient (no unit, at least 0 and below 1)"
        )
        self.adam_beta2 = _number(0.0, MAX_BETA, 5, 0.001)
        self.adam_beta2.setToolTip(
            "Adam's decay rate β₂ of the mean squared gradient (no unit, at least 0 and below 1)"
        )
        self.adam_eps = ScientificSpinBox(MIN_ADAM_EPS, 1.0)
        self.adam_eps.setToolTip(
            "Adam's ε, added to the square root of the mean squared gradient "
            f"(in the gradient's unit, {MIN_ADAM_EPS:g} to 1); the arrows step by ×10"
        )

        self.l1 = _number(0.0, MAX_PENALTY, 6, 0.0001)
        self.l1.setToolTip(
            f"L1 penalty: adds l1 × Σ|W| to the loss (0 to {MAX_PENALTY:g}; biases are free)"
        )
        self.l2 = _number(0.0, MAX_PENALTY, 6, 0.0001)
        self.l2.setToolTip(
            f"L2 penalty (weight decay): adds l2/2 × ΣW² to the loss (0 to {MAX_PENALTY:g})"
        )

        self.dtype = keyed_combo(DTYPE_LABELS)
        self.dtype.setToolTip(
            "Floating-point type of the weights, the data and every computation; "
            "changing it draws the first weights again"
        )

    def _create_stopping_fields(self) -> None:
        self.use_target_loss = QCheckBox()
        self.use_target_loss.setToolTip("Stop a run once the training loss is at most this value")
        self.target_loss = _number(0.0, MAX_TARGET_LOSS, 6, 0.001)
        self.target_loss.setToolTip(
            "Stop after the first epoch whose training loss (penalty included) is at most this"
        )
        self.use_target_accuracy = QCheckBox()
        self.use_target_accuracy.setToolTip("Stop a run once the training accuracy reaches this")
        self.target_accuracy = _number(0.0, 100.0, 1, 5.0)
        self.target_accuracy.setSuffix(" %")
        self.target_accuracy.setToolTip(
            "Stop after the first epoch whose training accuracy is at least this "
            "(percent of samples, 0 to 100); a regression never reaches it"
        )
        self.validation = _number(0.0, 100.0 * MAX_VALIDATION_FRACTION, 1, 5.0)
        self.validation.setSuffix(" %")
        self.validation.setToolTip(
            "Share of the samples held out as a validation set (percent, 0 to "
            f"{100 * MAX_VALIDATION_FRACTION:g}); the seed chooses which; never trained on"
        )
        self.patience = QSpinBox()
        self.patience.setRange(0, MAX_EPOCHS)
        self.patience.setKeyboardTracking(False)
        self.patience.setSpecialValueText("off")
        self.patience.setSuffix(" epochs")
        self.patience.setToolTip(
            "Early stopping: stop after this many epochs without a lower validation loss "
            "and restore the best epoch's weights; needs a validation set"
        )

    def _create_initialization_fields(self) -> None:
        self.init_scale = _number(0.0, 100.0, 3, 0.1)
        self.init_scale.setToolTip(
            "The scale s of the uniform (±s), normal (σ = s) and constant (s) initializers "
            "(0 to 100); changing it draws the first weights again"
        )
        self.bias_init = keyed_combo(BIAS_LABELS)
        self.bias_init.setToolTip("How the first biases are set: 0, or one value for every bias")
        self.bias_value = _number(-MAX_BIAS_VALUE, MAX_BIAS_VALUE, 3, 0.1)
        self.bias_value.setToolTip(
            f"The first value of every bias (-{MAX_BIAS_VALUE:g} to {MAX_BIAS_VALUE:g})"
        )

    def _lay_out(self) -> None:
        fields = QWidget()
        form = QFormLayout(fields)
        form.addRow(_heading("Optimizer"))
        form.addRow("Momentum", self.momentum)
        form.addRow("Adam β₁", self.adam_beta1)
        form.addRow("Adam β₂", self.adam_beta2)
        form.addRow("Adam ε", self.adam_eps)
        form.addRow("L1 penalty", self.l1)
        form.addRow("L2 penalty", self.l2)
        form.addRow("Precision", self.dtype)
        form.addRow(_heading("Stopping"))
        form.addRow("Target loss", _pair(self.use_target_loss, self.target_loss))
        form.addRow("Target accuracy", _pair(self.use_target_accuracy, self.target_accuracy))
        form.addRow("Validation set", self.validation)
        form.addRow("Patience", self.patience)
        form.addRow(_heading("First weights"))
        form.addRow("Weight scale s", self.init_scale)
        form.addRow("Biases", self.bias_init)
        form.addRow("Bias value", self.bias_value)
        self.setWidget(fields)

    def _connect_editors(self) -> None:
        for key, spin in (
            ("momentum", self.momentum),
            ("adam_beta1", self.adam_beta1),
            ("adam_beta2", self.adam_beta2),
            ("adam_eps", self.adam_eps),
            ("l1", self.l1),
            ("l2", self.l2),
            ("init_scale", self.init_scale),
            ("bias_value", self.bias_value),
        ):
            spin.valueChanged.connect(lambda value, key=key: self._push(key, value))
        for key, combo in (("dtype", self.dtype), ("bias_init", self.bias_init)):
            combo.currentIndexChanged.connect(
                lambda _index, key=key, combo=combo: self._push(key, combo.currentData(), False)
            )
        # Ticking a box is an undo step of its own; edits of its number merge.
        self.use_target_loss.toggled.connect(lambda: self._on_target_loss_edited(False))
        self.target_loss.valueChanged.connect(lambda: self._on_target_loss_edited(True))
        self.use_target_accuracy.toggled.connect(lambda: self._on_target_accuracy_edited(False))
        self.target_accuracy.valueChanged.connect(lambda: self._on_target_accuracy_edited(True))
        self.validation.valueChanged.connect(self._on_validation_edited)
        self.patience.valueChanged.connect(lambda value: self._push("patience", value))

    # state

    def set_running(self, running: bool) -> None:
        """Lock the fields outside LIVE_SETTINGS while training runs."""
        self._running = running
        self._update_enabled()

    def refresh(self) -> None:
        self._updating = True
        try:
            self._fill()
        finally:
            self._updating = False
        self._update_enabled()

    def _fill(self) -> None:
        s = self.document.project.settings
        for spin, value in (
            (self.momentum, s.momentum),
            (self.adam_beta1, s.adam_beta1),
            (self.adam_beta2, s.adam_beta2),
            (self.adam_eps, s.adam_eps),
            (self.l1, s.l1),
            (self.l2, s.l2),
            (self.validation, 100.0 * s.validation_fraction),
            (self.init_scale, s.init_scale),
            (self.bias_value, s.bias_value),
        ):
            spin.setValue(value)
        self.patience.setValue(s.patience)
        select_key(self.dtype, s.dtype)
        select_key(self.bias_init, s.bias_init)
        # A target that is off shows the value that ticking its box would set.
        self.use_target_loss.setChecked(s.target_loss is not None)
        target_loss = SUGGESTED_TARGET_LOSS if s.target_loss is None else s.target_loss
        self.target_loss.setValue(target_loss)
        self.use_target_accuracy.setChecked(s.target_accuracy is not None)
        target_accuracy = 1.0 if s.target_accuracy is None else s.target_accuracy
        self.target_accuracy.setValue(100.0 * target_accuracy)

    def _update_enabled(self) -> None:
        s = self.document.project.settings
        idle = not self._running
        # The perceptron rule uses only the precision and the first weights of this form.
        gradient = s.algorithm != PERCEPTRON
        enabled: dict[QWidget, bool] = {
            self.momentum: gradient and s.optimizer == "momentum",
            self.adam_beta1: gradient and s.optimizer == "adam",
            self.adam_beta2: gradient and s.optimizer == "adam",
            self.adam_eps: gradient and s.optimizer == "adam",
            self.target_loss: gradient and s.target_loss is not None,
            self.target_accuracy: gradient and s.target_accuracy is not None,
            self.patience: gradient and s.validation_fraction > 0,
            self.init_scale: s.initializer in SCALED_INITIALIZERS,
            self.bias_value: s.bias_init == "constant",
        }
        for widget in (
            self.l1,
            self.l2,
            self.use_target_loss,
            self.use_target_accuracy,
            self.validation,
        ):
            enabled[widget] = gradient
        enabled[self.dtype] = True
        enabled[self.bias_init] = True
        live = {getattr(self, key) for key in LIVE_SETTINGS}
        for widget, applies in enabled.items():
            widget.setEnabled((idle or widget in live) and applies)

    # edits

    def _push(self, key: str, value: Any, merge: bool = True) -> None:
        if self._updating or value is None:
            return
        push_setting(self.document, key, value, merge)
        if key in LIVE_SETTINGS:
            self.live_setting_edited.emit(key, float(value))

    def _on_target_loss_edited(self, merge: bool) -> None:
        checked = self.use_target_loss.isChecked()
        self._push_optional("target_loss", self.target_loss.value() if checked else None, merge)

    def _on_target_accuracy_edited(self, merge: bool) -> None:
        checked = self.use_target_accuracy.isChecked()
        value = self.target_accuracy.value() / 100.0 if checked else None
        self._push_optional("target_accuracy", value, merge)

    def _push_optional(self, key: str, value: float | None, merge: bool) -> None:
        # None turns the criterion off, so it is pushed as a value, unlike in _push.
        if not self._updating:
            push_setting(self.document, key, value, merge)
            self._update_enabled()

    def _on_validation_edited(self, percent: float) -> None:
        if self._updating:
            return
        fraction = percent / 100.0
        stack = self.document.undo_stack
        if fraction == 0 and self.document.project.settings.patience > 0:
            # Early stopping without a validation set cannot train, so both go off together.
            stack.beginMacro("Turn off the validation set and early stopping")
            push_setting(self.document, "validation_fraction", 0.0, merge=False)
            push_setting(self.document, "patience", 0, merge=False)
            stack.endMacro()
            return
        push_setting(self.document, "validation_fraction", fraction)


def _number(low: float, high: float, decimals: int, step: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    spin.setKeyboardTracking(False)
    return spin


def _heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setContentsMargins(0, 6, 0, 0)
    return label


def _pair(check: QCheckBox, spin: QDoubleSpinBox) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(check)
    layout.addWidget(spin, 1)
    return row
