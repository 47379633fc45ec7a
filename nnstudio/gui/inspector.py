"""The layer inspector: size, activations and bias of the layer selected on the canvas."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QScrollArea,
    QSpinBox,
    QWidget,
)

from nnstudio.engine.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from nnstudio.gui import commands
from nnstudio.gui.document import ProjectDocument
from nnstudio.gui.neuron_activations import (
    ACTIVATION_LABELS,
    NeuronActivationTable,
    apply_to_all_changes,
    layer_activation_changes,
    neuron_changes,
    units_changes,
)
from nnstudio.project.model import MAX_UNITS


class LayerInspector(QWidget):
    """Edits the selected layer through undo commands; shows nothing when none is selected."""

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.layer_name: str | None = None
        self._updating = False

        self.name_label = QLabel("No layer selected")
        self.name_label.setObjectName("inspectorName")
        self.role_label = QLabel("")
        self.units = QSpinBox()
        self.units.setRange(1, MAX_UNITS)
        # One undo step per committed value, not one per keystroke.
        self.units.setKeyboardTracking(False)
        self.units.setToolTip("Number of neurons in this layer (1 to 64)")
        self.activation = QComboBox()
        self.activation.setToolTip(
            "Activation function applied to each neuron's weighted sum; "
            "neurons given their own activation below keep it"
        )
        self.slope = QDoubleSpinBox()
        self.slope.setRange(0.0, 1.0)
        self.slope.setDecimals(3)
        self.slope.setSingleStep(0.01)
        self.slope.setKeyboardTracking(False)
        self.slope.setToolTip("Slope of leaky ReLU for negative inputs")
        self.bias = QCheckBox("Neurons have a bias")
        self.bias.setToolTip("Add a learned bias b to each neuron: z = x·W + b")
        self.parameters_label = QLabel("")
        self.neurons = NeuronActivationTable()

        form = QFormLayout(self)
        form.addRow(self.name_label)
        form.addRow("Role", self.role_label)
        form.addRow("Neurons", self.units)
        form.addRow("Activation", self.activation)
        form.addRow("Leaky slope", self.slope)
        form.addRow("", self.bias)
        form.addRow("Parameters", self.parameters_label)
        form.addRow("Per neuron", self.neurons)

        self.units.valueChanged.connect(self._on_units_edited)
        self.activation.currentIndexChanged.connect(self._on_activation_edited)
        self.slope.valueChanged.connect(self._on_slope_edited)
        self.bias.toggled.connect(self._on_bias_edited)
        self.neurons.neuron_activation_chosen.connect(self._on_neuron_activation_edited)
        self.neurons.apply_all_clicked.connect(self._on_apply_all_clicked)
        document.structure_changed.connect(self.refresh)
        document.project_replaced.connect(lambda: self.show_layer(None))
        self.show_layer(None)

    def show_layer(self, name: str | None) -> None:
        """Show the layer called ``name``; None or an empty name clears the inspector."""
        self.layer_name = name or None
        self.refresh()

    def select_neuron(self, layer_name: str, index: int) -> None:
        """Select neuron ``index`` (from 0) in the Per neuron table when ``layer_name`` is shown.

        The panel scrolls, when it sits in a scroll area, until the neuron's row is in view.
        """
        if layer_name != self.layer_name:
            return
        self.neurons.select_neuron(index)
        if self.neurons.selected_neuron() == index:
            self._reveal_row(index)

    def _reveal_row(self, index: int) -> None:
        scroll = self._scroll_area()
        panel = None if scroll is None else scroll.widget()
        if scroll is None or panel is None:
            return
        # A table just refilled for another layer changes the panel's height, but
        # Qt passes that up to the scroll area over several turns of the event
        # loop. Laying the table out and requesting a layout updates the range now.
        table_layout = self.neurons.layout()
        if table_layout is not None:
            table_layout.activate()
        QApplication.sendEvent(scroll, QEvent(QEvent.Type.LayoutRequest))
        table = self.neurons.table
        row = table.visualRect(table.model().index(index, 0))
        center = table.viewport().mapTo(panel, row.center())
        scroll.ensureVisible(center.x(), center.y(), 0, row.height())

    def _scroll_area(self) -> QScrollArea | None:
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        return parent

    def refresh(self) -> None:
        project = self.document.project
        if self.layer_name is not None and not project.has_layer(self.layer_name):
            self.layer_name = None
        self._updating = True
        try:
            self._fill()
        finally:
            self._updating = False

    def _fill(self) -> None:
        editors = (self.units, self.activation, self.slope, self.bias)
        if self.layer_name is None:
            self.name_label.setText("No layer selected: click a layer on the canvas")
            self.role_label.setText("")
            self.parameters_label.setText("")
            for editor in editors:
                editor.setEnabled(False)
            self.neurons.show_layer(None)
            return

        layer = self.document.project.layer(self.layer_name)
        self.name_label.setText(f"<b>{layer.name}</b>")
        sized_by_data = layer.role in ("input", "output")
        self.role_label.setText(
            f"{layer.role} layer (size set by the dataset)" if sized_by_data else "hidden layer"
        )
        self.units.setValue(layer.units)
        self.units.setEnabled(not sized_by_data)

        choices = OUTPUT_ACTIVATIONS if layer.role == "output" else HIDDEN_ACTIVATIONS
        self.activation.clear()
        for name in choices:
            self.activation.addItem(ACTIVATION_LABELS.get(name, name), name)
        self.activation.setCurrentIndex(max(0, self.activation.findData(layer.activation)))
        self.activation.setEnabled(layer.role != "input")
        self.slope.setValue(layer.slope)
        self.slope.setEnabled("leaky_relu" in layer.unit_activations())
        self.bias.setChecked(layer.bias)
        self.bias.setEnabled(layer.role != "input")
        self.parameters_label.setText(self._parameter_text())
        self.neurons.show_layer(layer)

    def _parameter_text(self) -> str:
        try:
            spec = self.document.project.network_spec()
        except ValueError:
            return "—"
        if self.layer_name is None or self.layer_name == spec.input_name:
            return "none (inputs only)"
        layer = spec.layer(self.layer_name)
        weights = spec.fan_in(layer.name) * layer.units
        biases = layer.units if layer.bias else 0
        return f"{weights} weights + {biases} biases"

    def _push(self, text: str | None = None, **changes: object) -> None:
        if self._updating or self.layer_name is None:
            return
        layer = self.document.project.layer(self.layer_name)
        if all(getattr(layer, key) == value for key, value in changes.items()):
            return
        command = commands.set_layer(self.document, layer.name, **changes)
        if text is not None:
            command.setText(text)
        self.document.undo_stack.push(command)

    def _on_units_edited(self, value: int) -> None:
        if self.layer_name is not None:
            layer = self.document.project.layer(self.layer_name)
            self._push(f"Set {layer.name} units {value}", **units_changes(layer, value))

    def _on_activation_edited(self, index: int) -> None:
        if index >= 0 and self.layer_name is not None:
            layer = self.document.project.layer(self.layer_name)
            name = self.activation.itemData(index)
            self._push(
                f"Set {layer.name} activation {name}", **layer_activation_changes(layer, name)
            )

    def _on_neuron_activation_edited(self, index: int, name: str) -> None:
        if self.layer_name is not None:
            layer = self.document.project.layer(self.layer_name)
            text = f"Set {layer.name} neuron {index + 1} activation {name}"
            self._push(text, **neuron_changes(layer, index, name))

    def _on_apply_all_clicked(self) -> None:
        if self.layer_name is not None:
            layer = self.document.project.layer(self.layer_name)
            if layer.activations is not None:
                text = f"Set every neuron of {layer.name} to {layer.activation}"
                self._push(text, **apply_to_all_changes())

    def _on_slope_edited(self, value: float) -> None:
        self._push(slope=value)

    def _on_bias_edited(self, checked: bool) -> None:
        self._push(bias=checked)
