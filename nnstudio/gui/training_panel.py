"""The training panel: dataset, algorithm, loss, learning rate, batches, epochs, seed, weights.

Each edit is an undo command. While a run is going, only the learning rate stays
editable, and the main window passes its new value to the running worker.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnstudio.gui import commands
from nnstudio.gui.combos import keyed_combo, select_key
from nnstudio.gui.document import ProjectDocument
from nnstudio.gui.perceptron_settings import ALGORITHM_LABELS, ALGORITHM_TIP, AlgorithmRows
from nnstudio.project.datasets import BUILTIN_LABELS, builtin_dataset
from nnstudio.project.fields import ProjectError
from nnstudio.project.generators import GENERATORS, MAX_NOISE, MAX_SAMPLES, generate
from nnstudio.project.model import MAX_SEED

LOSS_LABELS = {
    "mse": "Mean squared error (½ factor)",
    "binary_cross_entropy": "Binary cross-entropy",
    "mae": "Mean absolute error",
    "cross_entropy": "Cross-entropy (softmax)",
}
BATCH_LABELS = {
    "full": "Full batch",
    "minibatch": "Minibatch",
    "stochastic": "Stochastic (one sample)",
}
INITIALIZER_LABELS = {
    "xavier_uniform": "Glorot/Xavier uniform",
    "xavier_normal": "Glorot/Xavier normal",
    "he_uniform": "He uniform",
    "he_normal": "He normal",
    "uniform": "Uniform ±s",
    "normal": "Normal σ=s",
    "constant": "Constant s (symmetric)",
    "zeros": "Zeros (symmetric)",
}
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD with momentum", "adam": "Adam"}
CUSTOM_DATASET = "custom"
GENERATED = "generated:"  # prefix of the dataset box's data for generated kinds
DEFAULT_POINTS = 200
DEFAULT_NOISE = 0.1


class TrainingPanel(QWidget):
    """Settings form plus the Train, Pause, Step, Stop and Reset buttons.

    Signals:
        learning_rate_edited(float): the user committed a new learning rate.
        document_message(str): a message for the status bar.
    """

    learning_rate_edited = Signal(float)
    document_message = Signal(str)

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._updating = False

        self.dataset = keyed_combo({name: label for name, label in BUILTIN_LABELS.items()})
        for kind, generator in GENERATORS.items():
            self.dataset.addItem(f"{generator.title} (generated)", f"{GENERATED}{kind}")
        self.dataset.setToolTip("Training data; the input and output layers resize to fit it")
        self.samples = _spin(2, MAX_SAMPLES, "Number of generated points")
        self.noise = QDoubleSpinBox()
        self.noise.setRange(0.0, MAX_NOISE)
        self.noise.setDecimals(3)
        self.noise.setSingleStep(0.05)
        self.noise.setKeyboardTracking(False)
        self.noise.setToolTip("Standard deviation of the random jitter added to each point")
        self.data_seed = _spin(0, MAX_SEED, "Seed of the generated points")
        self.loss = keyed_combo(LOSS_LABELS)
        self.loss.setToolTip("Loss minimized by gradient descent")
        self.optimizer = keyed_combo(OPTIMIZER_LABELS)
        self.optimizer.setToolTip("How each update turns the gradient into a change of the weights")
        self.learning_rate = QDoubleSpinBox()
        self.learning_rate.setDecimals(4)
        self.learning_rate.setRange(0.0001, 100.0)
        self.learning_rate.setSingleStep(0.05)
        self.learning_rate.setKeyboardTracking(False)
        self.learning_rate.setToolTip("Step size η in w ← w − η·∂L/∂w; can change while training")
        self.batch_mode = keyed_combo(BATCH_LABELS)
        self.batch_mode.setToolTip("How many samples each weight update uses")
        self.batch_size = _spin(1, 100_000, "Samples per minibatch")
        self.epochs = _spin(1, 10_000_000, "Number of passes over the data to train")
        self.seed = _spin(0, MAX_SEED, "Random seed for the first weights and the shuffling")
        self.initializer = keyed_combo(INITIALIZER_LABELS)
        self.initializer.setToolTip(
            "How the first weights are drawn; the Advanced tab sets s and the first biases"
        )
        self.algorithm = keyed_combo(ALGORITHM_LABELS)
        self.algorithm.setToolTip(ALGORITHM_TIP)
        self.algorithm_rows = AlgorithmRows()
        self.algorithm_rows.add_unused(self.loss, self.optimizer, self.batch_mode, self.batch_size)

        form = QFormLayout()
        form.addRow("Dataset", self.dataset)
        form.addRow("Points", self.samples)
        form.addRow("Noise", self.noise)
        form.addRow("Data seed", self.data_seed)
        self._generator_rows = (self.samples, self.noise, self.data_seed)
        self._form = form
        form.addRow("Algorithm", self.algorithm)
        form.addRow(self.algorithm_rows.note)
        form.addRow("Loss", self.loss)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("Learning rate", self.learning_rate)
        form.addRow("Batches", self.batch_mode)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Epochs", self.epochs)
        form.addRow("Seed", self.seed)
        form.addRow("Initial weights", self.initializer)

        self.buttons = QHBoxLayout()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(self.buttons)
        layout.addStretch(1)

        self._connect_editors()
        document.settings_changed.connect(self.refresh)
        document.project_replaced.connect(self.refresh)
        # The perceptron note depends on the drawing.
        document.structure_changed.connect(self.refresh)
        self.refresh()

    def add_button(self, button: QToolButton) -> None:
        """Place a button for one of the main window's training actions."""
        self.buttons.addWidget(button)

    def set_running(self, running: bool) -> None:
        """While training, lock every setting except the learning rate."""
        for editor in (
            self.dataset,
            self.samples,
            self.noise,
            self.data_seed,
            self.loss,
            self.optimizer,
            self.batch_mode,
            self.batch_size,
            self.epochs,
            self.seed,
            self.initializer,
            self.algorithm,
        ):
            editor.setEnabled(not running)
        self.algorithm_rows.running = running
        self.algorithm_rows.apply(self.document.project)
        if not running:
            minibatch = self.document.project.settings.batch_mode == "minibatch"
            self.batch_size.setEnabled(minibatch and self.batch_mode.isEnabled())

    def refresh(self) -> None:
        self._updating = True
        try:
            self._fill()
        finally:
            self._updating = False

    def _fill(self) -> None:
        project = self.document.project
        s = project.settings
        builtin = project.dataset.builtin
        generator = project.dataset.generator
        for editor in self._generator_rows:
            self._form.setRowVisible(editor, generator is not None)
        if generator is not None:
            self._remove_custom()
            select_key(self.dataset, f"{GENERATED}{generator.kind}")
            self.samples.setValue(generator.samples)
            self.noise.setValue(generator.noise)
            self.data_seed.setValue(generator.seed)
        elif builtin is None:
            if self.dataset.findData(CUSTOM_DATASET) < 0:
                self.dataset.addItem(project.dataset.name, CUSTOM_DATASET)
            self.dataset.setItemText(self.dataset.findData(CUSTOM_DATASET), project.dataset.name)
            select_key(self.dataset, CUSTOM_DATASET)
        else:
            self._remove_custom()
            select_key(self.dataset, builtin)
        select_key(self.loss, s.loss)
        select_key(self.optimizer, s.optimizer)
        select_key(self.batch_mode, s.batch_mode)
        select_key(self.initializer, s.initializer)
        select_key(self.algorithm, s.algorithm)
        self.algorithm_rows.apply(project)
        self.learning_rate.setValue(s.learning_rate)
        self.batch_size.setValue(s.batch_size)
        self.batch_size.setEnabled(s.batch_mode == "minibatch" and self.batch_mode.isEnabled())
        self.epochs.setValue(s.epochs)
        self.seed.setValue(s.seed)

    def _remove_custom(self) -> None:
        custom = self.dataset.findData(CUSTOM_DATASET)
        if custom >= 0:
            self.dataset.removeItem(custom)

    def _connect_editors(self) -> None:
        self.dataset.currentIndexChanged.connect(self._on_dataset_edited)
        self.samples.valueChanged.connect(self._on_generator_edited)
        self.noise.valueChanged.connect(self._on_generator_edited)
        self.data_seed.valueChanged.connect(self._on_generator_edited)
        for key, combo in (
            ("loss", self.loss),
            ("optimizer", self.optimizer),
            ("batch_mode", self.batch_mode),
            ("initializer", self.initializer),
            ("algorithm", self.algorithm),
        ):
            combo.currentIndexChanged.connect(
                lambda _index, key=key, combo=combo: self._push(key, combo.currentData())
            )
        for key, spin in (
            ("batch_size", self.batch_size),
            ("epochs", self.epochs),
            ("seed", self.seed),
        ):
            spin.valueChanged.connect(lambda value, key=key: self._push(key, value))
        self.learning_rate.valueChanged.connect(self._on_learning_rate_edited)

    def _push(self, key: str, value: Any) -> None:
        if self._updating or value is None:
            return
        if getattr(self.document.project.settings, key) == value:
            return
        self.document.undo_stack.push(commands.set_setting(self.document, key, value))

    def _on_learning_rate_edited(self, value: float) -> None:
        if self._updating:
            return
        self._push("learning_rate", value)
        self.learning_rate_edited.emit(value)

    def _on_dataset_edited(self, _index: int) -> None:
        name = self.dataset.currentData()
        if self._updating or name in (None, CUSTOM_DATASET):
            return
        current = self.document.project.dataset
        if name.startswith(GENERATED):
            kind = name.removeprefix(GENERATED)
            if current.generator is None or current.generator.kind != kind:
                self._push_generated(kind, DEFAULT_POINTS, DEFAULT_NOISE, 0)
            return
        if current.builtin == name:
            return
        self.document.undo_stack.push(commands.set_dataset(self.document, builtin_dataset(name)))

    def _on_generator_edited(self, _value: float) -> None:
        generator = self.document.project.dataset.generator
        if self._updating or generator is None:
            return
        request = (self.samples.value(), self.noise.value(), self.data_seed.value())
        if request != (generator.samples, generator.noise, generator.seed):
            self._push_generated(generator.kind, *request)

    def _push_generated(self, kind: str, samples: int, noise: float, seed: int) -> None:
        try:
            dataset = generate(kind, samples, noise, seed)
        except ProjectError as error:
            # The spin box ranges allow fewer points than classes for three blobs.
            self.document_message.emit(str(error))
            self.refresh()
            return
        self.document.undo_stack.push(commands.set_dataset(self.document, dataset))


def _spin(low: int, high: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setKeyboardTracking(False)
    spin.setToolTip(tip)
    return spin
