"""The inspector's per-neuron table: one activation combo box per neuron, and Apply to all.

The functions below compute the edits that the table requests. Each returns
the Layer fields to change, so that one undo command applies them together. A
list whose neurons all share one activation is stored as that layer activation
with no list, so a layer is "mixed" exactly when its list names two or more
functions.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from nnstudio.engine.activations import (
    HIDDEN_ACTIVATIONS,
    LAYER_ONLY_ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
)
from nnstudio.project.model import Layer

ACTIVATION_LABELS = {
    "identity": "identity (linear)",
    "step": "step",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "prelu": "parametric ReLU (learned slope)",
    "abs": "absolute value",
    "softmax": "softmax",
}

VISIBLE_ROWS = 6


def is_mixed(layer: Layer) -> bool:
    return len(set(layer.unit_activations())) > 1


def neuron_choices(role: str) -> tuple[str, ...]:
    """Return the activations one neuron of a ``role`` layer may take on its own."""
    choices = OUTPUT_ACTIVATIONS if role == "output" else HIDDEN_ACTIVATIONS
    return tuple(name for name in choices if name not in LAYER_ONLY_ACTIVATIONS)


def _collapsed(names: list[str], changes: dict[str, object]) -> dict[str, object]:
    if len(set(names)) == 1:
        return {**changes, "activation": names[0], "activations": None}
    return {**changes, "activations": names}


def neuron_changes(layer: Layer, index: int, name: str) -> dict[str, object]:
    """Return the fields that give neuron ``index`` (from 0) the activation ``name``."""
    names = layer.unit_activations()
    names[index] = name
    return _collapsed(names, {})


def layer_activation_changes(layer: Layer, name: str) -> dict[str, object]:
    """Return the fields that set the layer activation to ``name``.

    Neurons that use the old layer activation follow it, and neurons given
    another activation one by one keep theirs. softmax and prelu apply to every
    neuron, because they cannot be mixed.
    """
    if layer.activations is None:
        return {"activation": name}
    if name in LAYER_ONLY_ACTIVATIONS:
        return {"activation": name, "activations": None}
    names = [name if unit == layer.activation else unit for unit in layer.unit_activations()]
    return _collapsed(names, {"activation": name})


def apply_to_all_changes() -> dict[str, object]:
    """Return the fields that give every neuron the layer activation."""
    return {"activations": None}


def units_changes(layer: Layer, units: int) -> dict[str, object]:
    """Return the fields for ``units`` neurons: added ones get the layer activation."""
    if layer.activations is None:
        return {"units": units}
    resized = Layer(layer.name, layer.role, layer.units, layer.activation)
    resized.activations = list(layer.activations)
    resized.resize(units)
    return {"units": units, "activations": resized.activations}


class NeuronActivationTable(QWidget):
    """One row per neuron of the shown layer, with a combo box for its activation.

    The selected row marks one neuron, chosen by a click on the canvas or in the
    table. It stays selected when the same layer is shown again after an edit.

    Signals:
        neuron_activation_chosen(int, str): the user picked an activation for a
            neuron, given by its index from 0.
        apply_all_clicked: the user asked for the layer activation on every neuron.
    """

    neuron_activation_chosen = Signal(int, str)
    apply_all_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._updating = False
        self._layer_name: str | None = None  # name of the layer whose neurons the rows show

        self.table = QTableWidget(0, 1)
        self.table.setHorizontalHeaderLabels(["Activation"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setToolTip("Activation of each neuron; a neuron set here keeps its own")
        self.apply_all = QPushButton("Apply to all")
        self.apply_all.setToolTip("Give every neuron the layer's activation")
        self.note = QLabel("")
        self.note.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.apply_all)
        layout.addWidget(self.note)

        self.apply_all.clicked.connect(self.apply_all_clicked)
        self.table.itemSelectionChanged.connect(self._mark_selected_header)

    def combo(self, index: int) -> QComboBox:
        """Return the combo box of neuron ``index`` (from 0)."""
        widget = self.table.cellWidget(index, 0)
        assert isinstance(widget, QComboBox)
        return widget

    def show_layer(self, layer: Layer | None) -> None:
        """Fill one row per neuron of ``layer``; None or an input layer empties the table."""
        same_layer = layer is not None and layer.name == self._layer_name
        previous_row = self.selected_neuron() if same_layer else None
        self._layer_name = None if layer is None else layer.name
        self._updating = True
        try:
            self._fill(layer)
        finally:
            self._updating = False
        self.select_neuron(previous_row)

    def selected_neuron(self) -> int | None:
        """Return the index (from 0) of the neuron whose row is selected, or None."""
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def select_neuron(self, index: int | None) -> None:
        """Select and scroll to the row of neuron ``index`` (from 0); None clears the selection."""
        if index is None or not 0 <= index < self.table.rowCount():
            self.table.clearSelection()
            self.table.setCurrentCell(-1, -1)
            return
        self.table.setCurrentCell(index, 0)
        self.table.scrollTo(self.table.model().index(index, 0))

    def _fill(self, layer: Layer | None) -> None:
        if layer is None or layer.role == "input":
            self.table.setRowCount(0)
            self._set_enabled(False, "" if layer is None else "Input neurons have no activation.")
            return

        names = layer.unit_activations()
        choices = neuron_choices(layer.role)
        self.table.setRowCount(len(names))
        self.table.setVerticalHeaderLabels([f"neuron {i + 1}" for i in range(len(names))])
        for index, name in enumerate(names):
            self.table.setCellWidget(index, 0, self._make_combo(index, name, choices))
        rows = min(len(names), VISIBLE_ROWS)
        row_height = self.table.verticalHeader().defaultSectionSize()
        self.table.setFixedHeight(self.table.horizontalHeader().height() + rows * row_height + 4)

        if layer.activation in LAYER_ONLY_ACTIVATIONS:
            reason = (
                "softmax couples the neurons of a layer, so all of them use it."
                if layer.activation == "softmax"
                else "prelu learns its slope for the whole layer, so all neurons use it."
            )
            self._set_enabled(False, reason)
            return
        self._set_enabled(True, "")
        label = ACTIVATION_LABELS.get(layer.activation, layer.activation)
        self.apply_all.setText(f"Apply {label} to all neurons")
        self.apply_all.setEnabled(layer.activations is not None)

    def _mark_selected_header(self) -> None:
        """Draw the selected neuron's row header in the highlight colour.

        The combo boxes cover their cells, and with them the cells' selection colour.
        """
        selected = self.selected_neuron()
        palette = self.table.palette()
        for row in range(self.table.rowCount()):
            item = self.table.verticalHeaderItem(row)
            if item is None:
                continue
            chosen = row == selected
            item.setData(Qt.ItemDataRole.BackgroundRole, palette.highlight() if chosen else None)
            item.setData(
                Qt.ItemDataRole.ForegroundRole, palette.highlightedText() if chosen else None
            )

    def _make_combo(self, index: int, name: str, choices: tuple[str, ...]) -> QComboBox:
        combo = QComboBox()
        for choice in choices:
            combo.addItem(ACTIVATION_LABELS.get(choice, choice), choice)
        if combo.findData(name) < 0:
            combo.addItem(ACTIVATION_LABELS.get(name, name), name)
        combo.setCurrentIndex(combo.findData(name))
        combo.setToolTip(f"Activation of neuron {index + 1}")
        combo.currentIndexChanged.connect(lambda _row, i=index: self._on_combo_edited(i))
        return combo

    def _set_enabled(self, enabled: bool, note: str) -> None:
        self.table.setEnabled(enabled)
        self.apply_all.setEnabled(enabled)
        self.note.setText(note)
        self.note.setVisible(bool(note))

    def _on_combo_edited(self, index: int) -> None:
        if self._updating:
            return
        self.table.selectRow(index)
        self.neuron_activation_chosen.emit(index, self.combo(index).currentData())
