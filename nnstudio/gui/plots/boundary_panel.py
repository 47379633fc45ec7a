"""The decision-boundary dock: the boundary plot, the pair of inputs it shows, a confusion matrix.

With more than two inputs the user picks which two span the plane; every other
input is held at its mean. For class labels a confusion matrix with per-class
accuracy sits beside the plot.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nnstudio.gui.plots.boundary_plot import BoundaryPlot
from nnstudio.project.datasets import Dataset


class ConfusionTable(QTableWidget):
    """Counts of true class (rows) against predicted class (columns), and each row's accuracy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # As wide as its columns, so every class name stays readable.
        self.setSizeAdjustPolicy(QTableWidget.SizeAdjustPolicy.AdjustToContents)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setToolTip("Rows: true class. Columns: predicted class. Last column: accuracy.")

    def show_counts(
        self, true: NDArray[np.int64], predicted: NDArray[np.int64], names: list[str]
    ) -> None:
        classes = len(names)
        counts = np.zeros((classes, classes), dtype=np.int64)
        np.add.at(counts, (true, predicted), 1)

        self.setRowCount(classes)
        self.setColumnCount(classes + 1)
        self.setHorizontalHeaderLabels([f"→ {name}" for name in names] + ["accuracy"])
        self.setVerticalHeaderLabels(names)
        for row in range(classes):
            for column in range(classes):
                self._put(row, column, str(counts[row, column]))
            total = counts[row].sum()
            accuracy = f"{counts[row, row] / total:.0%}" if total else "—"
            self._put(row, classes, accuracy)
        self.resizeColumnsToContents()

    def count(self, true_class: int, predicted_class: int) -> int:
        """Return the number in the table for one pair of classes (for tests and tooltips)."""
        item = self.item(true_class, predicted_class)
        return int(item.text()) if item is not None else 0

    def _put(self, row: int, column: int, text: str) -> None:
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setItem(row, column, item)


class BoundaryPanel(QWidget):
    """Boundary plot with input-pair choosers and a confusion matrix.

    Signals:
        columns_changed(object): the (x, y) input columns the plane now spans.
        point_clicked(float, float, bool): a click on the plot at data coordinates x, y;
            True for the left button (add a point), False for the right (remove one).
        point_hovered(float, float): the mouse moved over the plot, now at data x, y.
        hover_ended: the mouse left the plot.
    """

    columns_changed = Signal(object)
    point_clicked = Signal(float, float, bool)
    point_hovered = Signal(float, float)
    hover_ended = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = BoundaryPlot()
        self.confusion = ConfusionTable()
        self.x_input = QComboBox()
        self.y_input = QComboBox()
        self.x_input.setToolTip("Input shown along the horizontal axis")
        self.y_input.setToolTip(
            "Input shown along the vertical axis; the others stay at their mean"
        )
        self._dataset: Dataset | None = None
        self.new_class = QComboBox()
        self.new_class.setToolTip(
            "Class of the point a left click adds; a right click removes the nearest point"
        )
        self.plot.plot_widget.scene().sigMouseClicked.connect(self._on_plot_clicked)
        # Hovering only watches moves, so clicks still add and remove points.
        self.plot.plot_widget.scene().sigMouseMoved.connect(self._on_plot_hovered)
        self.plot.plot_widget.viewport().installEventFilter(self)
        # A right click removes a point, so it does not open pyqtgraph's menu.
        self.plot.plot_widget.getPlotItem().setMenuEnabled(False)
        self.plot.plot_widget.getPlotItem().getViewBox().setMenuEnabled(False)

        self.chooser = QWidget()
        row = QHBoxLayout(self.chooser)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Horizontal"))
        row.addWidget(self.x_input, 1)
        row.addWidget(QLabel("Vertical"))
        row.addWidget(self.y_input, 1)
        row.addWidget(QLabel("others at their mean"))
        body = QHBoxLayout()
        body.addWidget(self.plot, 1)
        body.addWidget(self.confusion)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.chooser)
        adding = QHBoxLayout()
        adding.addWidget(QLabel("Click adds a point of class"))
        adding.addWidget(self.new_class)
        adding.addStretch(1)
        self.adding_row = QWidget()
        self.adding_row.setLayout(adding)
        adding.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.adding_row)
        layout.addLayout(body, 1)

        self.x_input.currentIndexChanged.connect(self._on_columns_edited)
        self.y_input.currentIndexChanged.connect(self._on_columns_edited)

    @property
    def columns(self) -> tuple[int, int]:
        """The (x, y) input columns the plane spans; (0, 1) before a dataset is set."""
        if self.x_input.count() < 2:
            return (0, 1)
        return (self.x_input.currentIndex(), self.y_input.currentIndex())

    def set_dataset(self, dataset: Dataset) -> None:
        """Fill the choosers with the dataset's inputs and show its points."""
        self._dataset = dataset
        count = dataset.input_count
        names = dataset.input_names or [f"x{_subscript(i + 1)}" for i in range(count)]
        for combo, default in ((self.x_input, 0), (self.y_input, 1)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.setCurrentIndex(min(default, count - 1))
            combo.blockSignals(False)
        self.chooser.setVisible(count > 2)
        self.confusion.setVisible(dataset.is_classification)
        self.adding_row.setVisible(count == 2 and dataset.is_classification)
        names = dataset.class_names or _class_names(dataset)
        chosen = self.new_class.currentIndex()
        self.new_class.clear()
        self.new_class.addItems(names)
        self.new_class.setCurrentIndex(min(max(chosen, 0), len(names) - 1))
        self._show_points()

    def show_confusion(self, output: NDArray[np.floating]) -> None:
        """Update the confusion matrix from the network's output for every sample."""
        dataset = self._dataset
        if dataset is None or not dataset.is_classification or len(output) != len(dataset.X):
            return
        if output.shape[1] == 1:
            predicted = (output[:, 0] >= 0.5).astype(np.int64)
        else:
            predicted = output.argmax(axis=1).astype(np.int64)
        names = dataset.class_names or _class_names(dataset)
        self.confusion.show_counts(dataset.labels(), predicted, names)

    def new_point_class(self) -> int:
        """Return the class index that a left click adds."""
        return max(self.new_class.currentIndex(), 0)

    def _on_plot_clicked(self, event: object) -> None:
        button = event.button()  # type: ignore[attr-defined]
        if button not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            return
        view = self.plot.plot_widget.getPlotItem().getViewBox()
        point = view.mapSceneToView(event.scenePos())  # type: ignore[attr-defined]
        if not view.sceneBoundingRect().contains(event.scenePos()):  # type: ignore[attr-defined]
            return
        event.accept()  # type: ignore[attr-defined]
        self.point_clicked.emit(point.x(), point.y(), button == Qt.MouseButton.LeftButton)

    def _on_plot_hovered(self, scene_pos: QPointF) -> None:
        view = self.plot.plot_widget.getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(scene_pos):
            self.hover_ended.emit()
            return
        point = view.mapSceneToView(scene_pos)
        self.point_hovered.emit(point.x(), point.y())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave:
            self.hover_ended.emit()
        return False

    def _on_columns_edited(self, _index: int) -> None:
        self._show_points()
        self.columns_changed.emit(self.columns)

    def _show_points(self) -> None:
        dataset = self._dataset
        if dataset is None or dataset.input_count < 2:
            return
        x, y = self.columns
        self.plot.set_points(dataset.X[:, [x, y]], dataset.labels())
        item = self.plot.plot_widget.getPlotItem()
        item.setLabel("bottom", self.x_input.currentText())
        item.setLabel("left", self.y_input.currentText())


def _class_names(dataset: Dataset) -> list[str]:
    count = 2 if dataset.output_count == 1 else dataset.output_count
    return [str(index) for index in range(count)]


def _subscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
