"""The Import data dialog: CSV options with a live preview, and the choice of columns."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.gui.combos import keyed_combo, select_key
from nnstudio.project.csv_table import CsvError, CsvOptions, CsvTable, parse_text, sniff_options

PREVIEW_ROWS = 20
SEPARATOR_LABELS = {",": "Comma ,", ";": "Semicolon ;", "\t": "Tab"}
DECIMAL_LABELS = {".": "Point 1.5", ",": "Comma 1,5"}


@dataclass
class ImportChoices:
    """What the user chose in the dialog."""

    options: CsvOptions
    inputs: list[str]
    target: str
    standardize: bool
    use_suggested_output: bool


class ImportDialog(QDialog):
    """Shows the first rows of a CSV text as the chosen options split them."""

    def __init__(self, file_name: str, sample: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Import data from {file_name}")
        self.setObjectName("importDialog")
        self.resize(820, 620)
        self.sample = sample
        self.table: CsvTable | None = None

        # options, detected first and changeable
        self.separator = keyed_combo(SEPARATOR_LABELS)
        self.header = QCheckBox("First row holds the column names")
        self.decimal = keyed_combo(DECIMAL_LABELS)
        self.separator.setToolTip("Character between the fields of a row")
        self.decimal.setToolTip("Character between the whole and the fractional part of a number")
        options = QFormLayout()
        options.addRow("Separator", self.separator)
        options.addRow("", self.header)
        options.addRow("Decimal mark", self.decimal)

        # preview and column choices
        self.preview = QTableWidget()
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.inputs = QListWidget()
        self.inputs.setToolTip("Tick the columns the network gets as inputs")
        self.target = QComboBox()
        self.target.setToolTip("Column the network learns to predict")
        self.standardize = QCheckBox("Standardize inputs (mean 0, standard deviation 1)")
        self.standardize.setChecked(True)
        self.suggest = QCheckBox("Set the output layer and loss to fit the target")
        self.suggest.setChecked(True)
        self.suggest.setToolTip(
            "Classes: softmax with cross-entropy (sigmoid with binary cross-entropy for two); "
            "numbers: identity with mean squared error"
        )
        columns = QFormLayout()
        columns.addRow("Inputs", self.inputs)
        columns.addRow("Target", self.target)
        columns.addRow("", self.standardize)
        columns.addRow("", self.suggest)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addLayout(options)
        top.addLayout(columns, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(QLabel(f"First {PREVIEW_ROWS} rows:"))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        self._set_detected()
        self.separator.currentIndexChanged.connect(self.refresh)
        self.header.toggled.connect(self.refresh)
        self.decimal.currentIndexChanged.connect(self.refresh)
        self.target.currentIndexChanged.connect(self._on_target_changed)
        self.inputs.itemChanged.connect(self._update_ok)
        self.refresh()

    def options(self) -> CsvOptions:
        return CsvOptions(
            self.separator.currentData(), self.header.isChecked(), self.decimal.currentData()
        )

    def choices(self) -> ImportChoices:
        inputs = [
            self.inputs.item(i).text()
            for i in range(self.inputs.count())
            if self.inputs.item(i).checkState() == Qt.CheckState.Checked
        ]
        return ImportChoices(
            self.options(),
            inputs,
            self.target.currentText(),
            self.standardize.isChecked(),
            self.suggest.isChecked(),
        )

    def set_input_checked(self, name: str, checked: bool) -> None:
        """Tick or untick the input column ``name``."""
        for i in range(self.inputs.count()):
            item = self.inputs.item(i)
            if item.text() == name:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def refresh(self) -> None:
        """Split the sample with the current options and show the result."""
        try:
            self.table = parse_text(self.sample, self.options())
        except CsvError as error:
            self.table = None
            self.preview.clear()
            self.preview.setRowCount(0)
            self.message.setText(f"Cannot read the file with these options: {error}.")
            self._update_ok()
            return
        self.message.setText("")
        self._fill_preview(self.table)
        self._fill_columns(self.table.header)
        self._update_ok()

    def _set_detected(self) -> None:
        try:
            detected = sniff_options(self.sample)
        except CsvError:
            return
        select_key(self.separator, detected.separator or ",")
        self.header.setChecked(bool(detected.has_header))
        select_key(self.decimal, detected.decimal or ".")

    def _fill_preview(self, table: CsvTable) -> None:
        rows = table.rows[:PREVIEW_ROWS]
        self.preview.clear()
        self.preview.setColumnCount(len(table.header))
        self.preview.setRowCount(len(rows))
        self.preview.setHorizontalHeaderLabels(table.header)
        self.preview.setVerticalHeaderLabels([str(n) for n in table.line_numbers[:PREVIEW_ROWS]])
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                self.preview.setItem(r, c, QTableWidgetItem(cell))

    def _fill_columns(self, header: list[str]) -> None:
        # The last column is the usual place for the target.
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItems(header)
        self.target.setCurrentIndex(len(header) - 1)
        self.target.blockSignals(False)
        self.inputs.blockSignals(True)
        self.inputs.clear()
        for name in header:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.inputs.addItem(item)
        self.inputs.blockSignals(False)
        self._on_target_changed()

    def _on_target_changed(self, _index: int = 0) -> None:
        # The target column cannot be an input as well.
        target = self.target.currentText()
        self.inputs.blockSignals(True)
        for i in range(self.inputs.count()):
            item = self.inputs.item(i)
            is_target = item.text() == target
            if is_target:
                item.setCheckState(Qt.CheckState.Unchecked)
            flags = item.flags()
            enabled = Qt.ItemFlag.ItemIsEnabled
            item.setFlags(flags & ~enabled if is_target else flags | enabled)
        self.inputs.blockSignals(False)
        self._update_ok()

    def _update_ok(self) -> None:
        ready = self.table is not None and bool(self.choices().inputs)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ready)
        if self.table is not None and not self.choices().inputs:
            self.message.setText("Tick at least one input column.")
