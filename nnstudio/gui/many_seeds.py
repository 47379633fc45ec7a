"""Training > Train many seeds: train K copies of the project at once and show every loss curve.

The copies start from the first weights of seeds S to S + K - 1 (S is the
project's seed) and train for the project's number of epochs on a worker
thread, so the window stays responsive. Every copy trains all its epochs, so
the curves show where the stuck ones level off. A copy counts as having reached
the goal (project/many_seeds.py) when it met it at any epoch, so the count is
the one ``nnstudio train --seeds K`` prints for the same project.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QThread, Slot
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nnstudio.engine.errors import EngineError
from nnstudio.engine.multiseed import ManySeedsResult
from nnstudio.gui import dialogs
from nnstudio.gui.advanced_settings import menu_named
from nnstudio.gui.document import ProjectDocument
from nnstudio.gui.many_seeds_job import ManySeedsJob
from nnstudio.gui.plots.style import AXIS_COLOUR, make_plot_widget
from nnstudio.gui.threads import start_worker_thread
from nnstudio.project.many_seeds import (
    MAX_COPIES,
    SeedGoal,
    project_goal,
    seed_range,
    seeds_trainer,
)

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

log = logging.getLogger(__name__)

DEFAULT_COPIES = 20
REACHED_COLOUR = "#0072b2"  # Okabe-Ito blue
STUCK_COLOUR = "#d55e00"  # Okabe-Ito vermillion, apart from blue for colour-blind viewers


def install_many_seeds(window: MainWindow) -> ManySeedsLauncher:
    """Add Training > Train many seeds… to ``window``."""
    launcher = ManySeedsLauncher(window, window.document)
    training_menu = menu_named(window, "Training")
    if training_menu is not None:
        training_menu.addSeparator()
        training_menu.addAction(launcher.action)
    # A run still going when the window closes is cancelled and joined first.
    window.installEventFilter(launcher)
    return launcher


class ManySeedsLauncher(QObject):
    """Owns the menu action and the one many-seeds dialog of a window."""

    def __init__(self, window: QWidget, document: ProjectDocument) -> None:
        super().__init__(window)
        self.window = window
        self.document = document
        self.dialog: ManySeedsDialog | None = None
        self.action = QAction("Train &many seeds…", window)
        self.action.setToolTip(
            "Train copies of the network from many seeds at once and count how many reach the goal"
        )
        self.action.triggered.connect(self.open_dialog)

    def open_dialog(self) -> ManySeedsDialog:
        """Show the dialog (one per window), without blocking the window."""
        if self.dialog is None:
            self.dialog = ManySeedsDialog(self.document, self.window)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and self.dialog is not None:
            self.dialog.shutdown()
        return False


@dataclass
class CopyCurve:
    """One copy's loss curve: its row in the result, whether it reached the goal, its item."""

    index: int
    reached: bool
    item: pg.PlotDataItem


class ManySeedsDialog(QDialog):
    """Asks for K, trains K copies on a worker thread and shows every copy's loss curve."""

    def __init__(self, document: ProjectDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train many seeds")
        self.document = document
        self.result: ManySeedsResult | None = None
        self.goal: SeedGoal | None = None
        self._thread: QThread | None = None
        self._job: ManySeedsJob | None = None

        self.copies = QSpinBox()
        self.copies.setRange(1, MAX_COPIES)
        self.copies.setValue(DEFAULT_COPIES)
        self.copies.setToolTip(f"Number of copies, each from its own seed (1 to {MAX_COPIES})")
        self.copies.valueChanged.connect(self._show_request)
        self.request = QLabel()
        self.request.setWordWrap(True)
        self.run_button = QPushButton("Train")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.summary = QLabel("Press Train to start.")
        self.summary.setWordWrap(True)
        self.summary.setObjectName("manySeedsSummary")

        self.plot_widget = make_plot_widget("epoch", "loss")
        item = self.plot_widget.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.2)
        self.legend = pg.LegendItem(offset=(-10, 10), labelTextColor=AXIS_COLOUR)
        self.legend.setParentItem(item.vb)
        self.log_check = QCheckBox("Log scale")
        self.log_check.toggled.connect(lambda on: item.setLogMode(x=False, y=on))
        self.log_check.setChecked(True)
        self.curves: list[CopyCurve] = []

        self._lay_out()
        self.resize(720, 560)
        document.settings_changed.connect(self._show_request)
        document.project_replaced.connect(self._show_request)
        self._show_request()

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("Copies (K)", self.copies)
        form.addRow(self.request)
        buttons = QDialogButtonBox()
        buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.stop_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.close)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.log_check)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)

    # requests

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self) -> bool:
        """Start training the copies; False when the project cannot train or a run is going."""
        if self.is_running():
            return False
        project = self.document.project
        try:
            seeds = seed_range(project.settings.seed, self.copies.value())
            goal = project_goal(project)
            trainer = seeds_trainer(project, seeds, goal, stop_at_goal=False)
        except EngineError as error:
            # GraphError (an invalid drawing) is an EngineError too.
            dialogs.show_warning(self, "Cannot train many seeds", f"Cannot train: {error}.")
            return False

        self.goal = goal
        self.result = None
        self._clear_curves()
        self.progress.setRange(0, max(trainer.epochs, 1))
        self.progress.setValue(0)
        self.summary.setText(f"Training {len(seeds)} copies…")
        job = ManySeedsJob(trainer)
        thread = QThread(self)
        thread.setObjectName("nnstudio many seeds")
        job.moveToThread(thread)
        thread.started.connect(job.run)
        job.progressed.connect(self._on_progressed)
        job.finished.connect(self._on_finished)
        job.cancelled.connect(self._on_cancelled)
        job.failed.connect(self._on_failed)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._job = thread, job
        self._set_running(True)
        start_worker_thread(thread)
        return True

    def cancel(self) -> None:
        """Stop the run after its current epoch; the curves so far are dropped."""
        if self._job is not None:
            self._job.cancel()

    def shutdown(self) -> None:
        """Cancel a run and wait for its thread, so no thread outlives the dialog."""
        self.cancel()
        if self._thread is not None:
            self._thread.wait()
            self._on_thread_finished()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def reject(self) -> None:
        # Escape closes the dialog, and with it any run.
        self.shutdown()
        super().reject()

    # job signals, delivered in the GUI thread

    @Slot(int, int, int)
    def _on_progressed(self, epoch: int, epochs: int, training: int) -> None:
        self.progress.setValue(epoch)
        self.summary.setText(f"Epoch {epoch:,} of {epochs:,}")

    @Slot(object)
    def _on_finished(self, result: ManySeedsResult) -> None:
        self.result = result
        self.progress.setValue(self.progress.maximum())
        self._draw(result)
        self.summary.setText(self.summary_text())

    @Slot(int)
    def _on_cancelled(self, epoch: int) -> None:
        self.summary.setText(f"Stopped at epoch {epoch:,}; press Train to start again.")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.summary.setText("Training many seeds failed.")
        dialogs.show_warning(self, "Training many seeds failed", message)

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._thread is not None:
            self._thread.wait()
        self._thread = None
        self._job = None
        self._set_running(False)

    # showing

    def summary_text(self) -> str:
        """Return "N of K reached the goal (...)" for the last finished run, or ""."""
        if self.result is None or self.goal is None:
            return ""
        result = self.result
        copies = len(result.seeds)
        epochs = result.loss.shape[1]
        text = (
            f"{result.count_reached} of {copies} reached the goal "
            f"({self.goal.description} within {epochs:,} epochs)"
        )
        diverged = int(np.count_nonzero(result.diverged))
        if diverged:
            text += f"; {diverged} diverged"
        return text

    def _show_request(self) -> None:
        project = self.document.project
        first = project.settings.seed
        last = first + self.copies.value() - 1
        goal = project_goal(project)
        self.request.setText(
            f"Seeds {first} to {last}, {project.settings.epochs:,} epochs each, from each "
            f"seed's first weights. Goal: {goal.description}."
        )

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.copies.setEnabled(not running)
        self.stop_button.setEnabled(running)

    def _clear_curves(self) -> None:
        item = self.plot_widget.getPlotItem()
        for curve in self.curves:
            item.removeItem(curve.item)
        self.curves = []
        self.legend.clear()

    def _draw(self, result: ManySeedsResult) -> None:
        item = self.plot_widget.getPlotItem()
        labelled: set[bool] = set()
        # Stuck copies first, so the ones that reached the goal are drawn on top.
        order = sorted(range(len(result.seeds)), key=lambda k: bool(result.reached_goal[k]))
        for index in order:
            reached = bool(result.reached_goal[index])
            length = int(result.stop_epoch[index])
            epochs = np.arange(1, length + 1, dtype=np.float64)
            colour = REACHED_COLOUR if reached else STUCK_COLOUR
            curve = item.plot(epochs, result.loss[index, :length], pen=pg.mkPen(colour, width=1))
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            self.curves.append(CopyCurve(index, reached, curve))
            if reached not in labelled:
                labelled.add(reached)
                count = (
                    result.count_reached if reached else len(result.seeds) - result.count_reached
                )
                label = "reached the goal" if reached else "did not reach it"
                self.legend.addItem(curve, f"{label} ({count})")
        item.enableAutoRange()
