"""The Matrices dock: W⁽ˡ⁾, b⁽ˡ⁾, ∂L/∂W⁽ˡ⁾ and ∂L/∂b⁽ˡ⁾ of every layer, as the lecture writes them.

Layer 1 is the first dense layer. A W table has one row per input of the
layer (x₁, h₂, …) and one column per unit, like the engine's (inputs, units)
matrix. Layers sit side by side, because the dock is usually wide and short.
Gradient tables stay empty until the walkthrough reaches the layer's Backward
step, and the layer of the current step is framed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from nnstudio.gui.canvas.items import STEP_HALO
from nnstudio.gui.stepthrough.notation import ParameterRef, format_number, superscript
from nnstudio.gui.stepthrough.step import Step
from nnstudio.gui.stepthrough.walkthrough import Walkthrough

# The same amber as the canvas's halo around the current layer.
CURRENT_FRAME = (
    f"QGroupBox {{ border: 3px solid {STEP_HALO.name()}; border-radius: 4px; margin-top: 1.4em; }}"
)
PLACEHOLDER = "The matrices appear in step-through mode."


class MatrixTable(QTableWidget):
    """One matrix as a read-only table sized to its contents, with ParameterRefs per cell.

    Signals:
        parameter_clicked(object): the ParameterRef of the clicked cell.
    """

    parameter_clicked = Signal(object)

    def __init__(self, layer: str, kind: str, rows: list[str], columns: list[str]) -> None:
        super().__init__(len(rows), len(columns))
        self.layer = layer
        self.kind = kind
        self.setVerticalHeaderLabels(rows)
        self.setHorizontalHeaderLabels(columns)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.cellClicked.connect(self._on_cell_clicked)

    def set_values(self, values: list[list[float]] | None) -> None:
        """Fill the cells, or leave them empty for None: a gradient not computed yet."""
        for r in range(self.rowCount()):
            for c in range(self.columnCount()):
                text = "" if values is None else format_number(values[r][c])
                item = self.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    self.setItem(r, c, item)
                item.setText(text)
        self.resizeColumnsToContents()
        self._fit_height()

    def ref_at(self, row: int, column: int) -> ParameterRef:
        if self.kind == "W":
            return ParameterRef(self.layer, "W", column, row)
        return ParameterRef(self.layer, "b", column)

    def mark(self, ref: ParameterRef | None) -> None:
        """Select the cell of ``ref`` when it belongs to this table, else nothing."""
        self.blockSignals(True)
        self.clearSelection()
        if ref is not None and ref.layer == self.layer and ref.kind == self.kind:
            self.setCurrentCell(ref.row, ref.unit)
        self.blockSignals(False)

    def _fit_height(self) -> None:
        # Show every row: the whole view scrolls, not each table.
        height = self.horizontalHeader().height() + 2 * self.frameWidth()
        height += sum(self.rowHeight(r) for r in range(self.rowCount()))
        self.setFixedHeight(height + 2)
        width = self.verticalHeader().width() + 2 * self.frameWidth()
        width += sum(self.columnWidth(c) for c in range(self.columnCount()))
        self.setFixedWidth(width + 2)

    def _on_cell_clicked(self, row: int, column: int) -> None:
        self.parameter_clicked.emit(self.ref_at(row, column))


class MatrixView(QScrollArea):
    """The weights, biases and gradients of every layer of the walkthrough.

    Signals:
        parameter_clicked(object): the ParameterRef of a clicked W, b or gradient cell.
    """

    parameter_clicked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("matrixView")
        self.setWidgetResizable(True)
        self._walk: Walkthrough | None = None
        self.groups: dict[str, QGroupBox] = {}
        self.tables: dict[tuple[str, str], MatrixTable] = {}  # (layer, "W", "b", "dW" or "db")
        self.captions: dict[tuple[str, str], QLabel] = {}
        self._show_placeholder()

    def show_walkthrough(self, walk: Walkthrough | None, step: Step | None) -> None:
        """Show ``walk`` at ``step``: the tables are rebuilt only for a new walkthrough."""
        if walk is None or step is None:
            self._walk = None
            self._show_placeholder()
            return
        if walk is not self._walk:
            self._walk = walk
            self._build(walk)
        self._show_step(walk, step)

    def mark(self, ref: ParameterRef | None) -> None:
        for table in self.tables.values():
            table.mark(ref)

    # building

    def _show_placeholder(self) -> None:
        self.groups, self.tables, self.captions = {}, {}, {}
        label = QLabel(PLACEHOLDER)
        label.setMargin(12)
        self.setWidget(label)

    def _build(self, walk: Walkthrough) -> None:
        self.groups, self.tables, self.captions = {}, {}, {}
        container = QWidget()
        row = QHBoxLayout(container)
        for layer in walk.spec.order:
            group = self._layer_group(walk, layer)
            self.groups[layer] = group
            row.addWidget(group, 0, Qt.AlignmentFlag.AlignTop)
        row.addStretch(1)
        self.setWidget(container)

    def _layer_group(self, walk: Walkthrough, layer: str) -> QGroupBox:
        notation = walk.notation
        level = superscript(notation.number(layer))
        group = QGroupBox(f"Layer {notation.number(layer)}: {layer}")
        grid = QGridLayout(group)
        rows = [notation.activation(row.source, row.unit) for row in notation.input_rows(layer)]
        units = [notation.activation(layer, unit) for unit in range(notation.units(layer))]
        has_bias = walk.network.parameters[layer].b is not None
        parts = [("W", f"W{level}", rows), ("dW", f"∂L/∂W{level}", rows)]
        if has_bias:
            parts[1:1] = [("b", f"b{level}", ["b"])]
            parts.append(("db", f"∂L/∂b{level}", ["∂b"]))
        for position, (key, caption, row_labels) in enumerate(parts):
            kind = "W" if key in ("W", "dW") else "b"
            table = MatrixTable(layer, kind, row_labels, units)
            table.parameter_clicked.connect(self.parameter_clicked)
            label = QLabel(caption)
            self.tables[(layer, key)] = table
            self.captions[(layer, key)] = label
            grid.addWidget(label, 0, position)
            grid.addWidget(table, 1, position)
        return group

    # values

    def _show_step(self, walk: Walkthrough, step: Step) -> None:
        for layer in walk.spec.order:
            params = walk.network.parameters[layer]
            level = superscript(walk.notation.number(layer))
            self.tables[(layer, "W")].set_values(params.W.tolist())
            known = layer in step.revealed and walk.gradients is not None
            grads = walk.gradients.parameters[layer] if walk.gradients is not None else None
            self.tables[(layer, "dW")].set_values(grads.W.tolist() if known and grads else None)
            waiting = "" if known else f"  (after Backward: {layer})"
            self.captions[(layer, "dW")].setText(f"∂L/∂W{level}{waiting}")
            if (layer, "b") in self.tables and params.b is not None:
                self.tables[(layer, "b")].set_values([params.b.tolist()])
                bias = grads.b if known and grads is not None else None
                self.tables[(layer, "db")].set_values(None if bias is None else [bias.tolist()])
                self.captions[(layer, "db")].setText(f"∂L/∂b{level}{waiting}")
            self.groups[layer].setStyleSheet(CURRENT_FRAME if layer == step.layer else "")
