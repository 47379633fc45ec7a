"""The main window: canvas in the centre, docks around it, menus, toolbar and status bar."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QScrollArea,
    QToolBar,
    QToolButton,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from nnstudio.gui import dialogs
from nnstudio.gui.advanced_settings import install_advanced_settings
from nnstudio.gui.autosave import Autosaver, find_recoveries
from nnstudio.gui.canvas.view import NetworkCanvas
from nnstudio.gui.clipboard import LayerClipboard
from nnstudio.gui.commands import set_dataset
from nnstudio.gui.dock_tabs import StaleTabBarCleaner
from nnstudio.gui.document import ProjectDocument
from nnstudio.gui.export_menu import ExportMenu
from nnstudio.gui.figure_menu import install_figure_menu
from nnstudio.gui.files import FileActions
from nnstudio.gui.icons import icon
from nnstudio.gui.importing import DataImporter
from nnstudio.gui.insight import install_insight
from nnstudio.gui.inspector import LayerInspector
from nnstudio.gui.keyboard import install_keyboard
from nnstudio.gui.many_seeds import install_many_seeds
from nnstudio.gui.perceptron_link import MISCLASSIFIED_DOCK, PerceptronLink
from nnstudio.gui.plots.boundary_panel import BoundaryPanel
from nnstudio.gui.plots.loss_plot import LossPlot
from nnstudio.gui.plots.misclassified_plot import MisclassifiedPlot
from nnstudio.gui.presentation import install_presentation
from nnstudio.gui.status import MessageStatusBar, TrainingStatus
from nnstudio.gui.stepthrough.install import install_stepthrough
from nnstudio.gui.training_link import TrainingLink
from nnstudio.gui.training_panel import TrainingPanel
from nnstudio.gui.weight_editor import install_weight_editor
from nnstudio.project.boundary import boundary_extent
from nnstudio.project.generators import add_point, remove_nearest
from nnstudio.project.model import Project, default_project

log = logging.getLogger(__name__)

# Pixels, used until the user arranges the docks (the layout is saved on closing).
DEFAULT_PLOT_HEIGHT = 270
DEFAULT_LOSS_WIDTH = 370
DEFAULT_BOUNDARY_WIDTH = 570
MIN_LAYER_HEIGHT = 120
DOCK_TITLE_HEIGHT = 24  # a dock's title bar, above its panel


class MainWindow(QMainWindow):
    """The nnstudio window for one open project."""

    def __init__(self, project: Project | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowIcon(icon("nnstudio"))
        self.document = ProjectDocument(project or default_project(), self)
        # True once end_session() closes the window without asking
        self._ending_session = False

        # central canvas with a line above it saying whether the drawing is a network
        self.canvas = NetworkCanvas(self.document)
        self.network_label = QLabel()
        self.network_label.setObjectName("networkLabel")
        self.network_label.setWordWrap(True)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.network_label)
        column.addWidget(self.canvas, 1)
        self.setCentralWidget(central)

        # panels
        self.inspector = LayerInspector(self.document)
        self.training_panel = TrainingPanel(self.document)
        self.loss_plot = LossPlot()
        self.boundary_panel = BoundaryPanel()
        self.boundary_plot = self.boundary_panel.plot
        self.undo_view = QUndoView(self.document.undo_stack)
        self.undo_view.setEmptyLabel("<opened>")
        self.docks: dict[str, QDockWidget] = {}
        self._add_dock("Layer", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("Training", self.training_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("Loss", self.loss_plot, Qt.DockWidgetArea.BottomDockWidgetArea)
        # Shown in place of the loss plot while the perceptron rule is the algorithm.
        self.misclassified_plot = MisclassifiedPlot()
        self._add_dock(
            MISCLASSIFIED_DOCK, self.misclassified_plot, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.tabifyDockWidget(self.docks["Loss"], self.docks[MISCLASSIFIED_DOCK])
        self._add_dock(
            "Decision boundary", self.boundary_panel, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self._add_dock("Undo history", self.undo_view, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.docks["Undo history"].hide()

        # training, status bar, actions
        self.setStatusBar(MessageStatusBar())
        self.status = TrainingStatus(self.statusBar())
        self.files = FileActions(self, self.document)
        self.importer = DataImporter(self, self.document)
        self.autosaver = Autosaver(self.document)
        self.exporter = ExportMenu(self, self.document)
        self.training = TrainingLink(self)
        self.perceptron = PerceptronLink(self)
        self._create_actions()
        self._create_menus()
        self._create_toolbar()
        for button_action in self.training.actions():
            button = QToolButton()
            button.setDefaultAction(button_action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            self.training_panel.add_button(button)

        # observe the document
        self.canvas.layer_selected.connect(self.inspector.show_layer)
        self.canvas.neuron_clicked.connect(self.inspector.select_neuron)
        self.canvas.message.connect(self._on_message)
        self.files.status.connect(self._on_message)
        self.exporter.status.connect(self._on_message)
        self.training_panel.document_message.connect(self._on_message)
        self.boundary_panel.point_clicked.connect(self._on_point_clicked)
        self.importer.imported.connect(self._on_imported)
        self.files.before_replace.connect(self.training.stop_for_replace)
        self.document.structure_changed.connect(self._on_structure_changed)
        self.document.path_changed.connect(self._update_title)
        self.document.undo_stack.cleanChanged.connect(self._update_title)
        self.document.parameters_changed.connect(self._update_title)
        self.document.project_replaced.connect(self._on_project_replaced)

        # step-through mode: its docks, actions and menu entries
        self.step_through = install_stepthrough(self)
        # the Advanced settings dock and Training > Train many seeds
        self.advanced_settings = install_advanced_settings(self)
        self.many_seeds = install_many_seeds(self)
        # setting single weights by hand: canvas mouse handling and the Weight dock
        self.weight_panel = install_weight_editor(self)
        # neuron maps, diagnostics and activations on hover
        self.insight = install_insight(self)
        # for the front of a class: figure export, presentation mode, keyboard help;
        # installed last, so the keyboard help and tooltips see every dock and action
        self.figure_menu = install_figure_menu(self)
        self.presentation = install_presentation(self)
        install_keyboard(self)

        self._scroll_side_docks()
        # The settings column runs the full height; the plots sit under the canvas.
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        # Recompute the minimum size now that the side docks scroll; the cached one
        # (over 900 pixels high) would make the next resize ignore the height.
        self.layout().invalidate()
        self.layout().activate()
        self.resize(1280, 820)
        self._restore_layout()
        self.tab_bar_cleaner = StaleTabBarCleaner(self)
        # Let every view show the first project as if it had just been opened.
        self.document.project_replaced.emit()

    # building

    def _add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock {title}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[title] = dock

    def _scroll_side_docks(self) -> None:
        """Put each side dock's panel in a scroll area, so the window fits a 768-pixel screen.

        Stacked at their natural heights, the Layer and Training panels alone made
        the window's minimum height above 900 pixels.
        """
        side = (Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.LeftDockWidgetArea)
        for dock in self.docks.values():
            if self.dockWidgetArea(dock) not in side or isinstance(dock.widget(), QScrollArea):
                continue
            scroll = QScrollArea()
            scroll.setObjectName(f"scroll {dock.windowTitle()}")
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(dock.widget())
            dock.setWidget(scroll)

    def _create_actions(self) -> None:
        stack = self.document.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
        # Keys of standard shortcuts differ by platform; install_keyboard adds them.
        self.undo_action.setToolTip("Undo the last edit")
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts(QKeySequence.StandardKey.Redo)
        self.redo_action.setToolTip("Redo the last undone edit")

        self.add_layer_action = self._action(
            "Add &layer", self.canvas.add_layer, "add-layer", "Ctrl+L"
        )
        self.add_layer_action.setToolTip(
            "Add a hidden layer (Ctrl+L); then drag from a layer's right handle to connect it"
        )
        self.delete_action = self._action(
            "&Delete", self.canvas.delete_selected, "delete", QKeySequence.StandardKey.Delete
        )
        self.delete_action.setToolTip("Delete the selected layers and connections (Del)")
        self.clipboard = LayerClipboard(self.canvas, self.document)
        self.copy_action = self._action(
            "&Copy layers", self.clipboard.copy, None, QKeySequence.StandardKey.Copy
        )
        self.copy_action.setToolTip("Copy the selected hidden layers (Ctrl+C)")
        self.paste_action = self._action(
            "&Paste layers", self.clipboard.paste, None, QKeySequence.StandardKey.Paste
        )
        self.paste_action.setToolTip("Paste copied layers beside the originals (Ctrl+V)")
        self.zoom_in_action = self._action(
            "Zoom &in", self.canvas.zoom_in, "zoom-in", QKeySequence.StandardKey.ZoomIn
        )
        self.zoom_out_action = self._action(
            "Zoom &out", self.canvas.zoom_out, "zoom-out", QKeySequence.StandardKey.ZoomOut
        )
        self.fit_action = self._action("&Fit network", self.canvas.fit_all, "zoom-fit", "Ctrl+0")
        self.quit_action = self._action("&Quit", self.close, None, QKeySequence.StandardKey.Quit)
        self.zoom_in_action.setToolTip("Enlarge the drawing")
        self.zoom_out_action.setToolTip("Shrink the drawing")
        self.fit_action.setToolTip("Show the whole network in the canvas (Ctrl+0)")
        self.quit_action.setToolTip("Close nnstudio; it asks about unsaved changes")

    def _action(self, text: str, slot: object, icon_name: str | None, shortcut: object) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        action.setShortcut(QKeySequence(shortcut))  # type: ignore[call-overload]
        action.triggered.connect(slot)
        return action

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.files.new_action, self.files.open_action])
        file_menu.addMenu(self.files.examples_menu)
        file_menu.addMenu(self.files.recent_menu)
        file_menu.addSeparator()
        file_menu.addActions([self.files.save_action, self.files.save_as_action])
        file_menu.addSeparator()
        file_menu.addAction(self.importer.action)
        file_menu.addMenu(self.exporter.menu)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.add_layer_action, self.delete_action])
        edit_menu.addActions([self.copy_action, self.paste_action])

        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.zoom_in_action, self.zoom_out_action, self.fit_action])
        view_menu.addSeparator()
        for dock in self.docks.values():
            view_menu.addAction(dock.toggleViewAction())

        training_menu = bar.addMenu("&Training")
        training_menu.addActions(self.training.actions())

    def _create_toolbar(self) -> None:
        toolbar = QToolBar("Main toolbar", self)
        toolbar.setObjectName("main toolbar")
        toolbar.addActions([self.files.new_action, self.files.open_action, self.files.save_action])
        toolbar.addSeparator()
        toolbar.addActions([self.add_layer_action, self.delete_action])
        toolbar.addSeparator()
        toolbar.addActions([self.undo_action, self.redo_action])
        toolbar.addSeparator()
        toolbar.addActions([self.zoom_in_action, self.zoom_out_action, self.fit_action])
        toolbar.addSeparator()
        toolbar.addActions(self.training.actions())
        self.addToolBar(toolbar)
        self.toolbar = toolbar

    # document observers

    def _on_project_replaced(self) -> None:
        self._on_structure_changed()
        self._update_title()

    def _on_structure_changed(self) -> None:
        error = self.document.graph_error()
        count = self.document.project.parameter_count()
        if error is None:
            self.network_label.setText(f"Network: {count} parameters (weights and biases)")
            self.network_label.setStyleSheet("")
        else:
            self.network_label.setText(f"Not a valid network yet: {error}.")
            self.network_label.setStyleSheet("color: #b2182b; font-weight: bold;")
        self.training.update_actions()

    def _update_title(self) -> None:
        # Qt shows "[*]" as a star while the window is marked modified.
        self.setWindowTitle(f"{self.document.display_name()}[*] — nnstudio")
        self.setWindowModified(self.document.is_modified())

    def _on_point_clicked(self, x: float, y: float, add: bool) -> None:
        """Add a point of the chosen class (left click) or remove the nearest (right click)."""
        if self.training.controller.state != "idle":
            self._on_message("stop training to edit the data points")
            return
        dataset = self.document.project.dataset
        if dataset.input_count != 2 or not dataset.is_classification:
            self._on_message("points can be added and removed on data with two inputs and classes")
            return
        if add:
            edited = add_point(dataset, x, y, self.boundary_panel.new_point_class())
        else:
            x_min, x_max, _, _ = boundary_extent(dataset.X)
            edited = remove_nearest(dataset, x, y, radius=0.03 * (x_max - x_min))
            if edited is None:
                self._on_message("no point near the click to remove")
                return
        self.document.undo_stack.push(set_dataset(self.document, edited))

    def _on_imported(self, name: str) -> None:
        dataset = self.document.project.dataset
        self._on_message(f"Imported {name}: {len(dataset.X)} rows, {dataset.input_count} inputs")

    def _on_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    # opening and closing

    def open_path(self, path: str | Path) -> bool:
        return self.files.open_path(Path(path))

    def offer_recovery(self) -> bool:
        """Offer each project that a crashed or killed window left; True when one was opened."""
        for recovery in find_recoveries():
            where = recovery.original_path or "an untitled project"
            question = (
                f"nnstudio did not close normally. An autosaved copy of {where} from "
                f"{recovery.saved_at} has changes that were never saved. Open it?"
            )
            if dialogs.ask_recover(self, question):
                self.document.replace(recovery.project, recovery.original_path)
                self.document.mark_modified()
                recovery.discard()
                self.autosaver.save_now()
                return True
            recovery.discard()
        return False

    def end_session(self) -> None:
        """Close without asking about unsaved changes, which the autosave slot then keeps.

        For a session that ends when no one may be there to answer (SIGTERM):
        the next start offers the kept work back, as after a crash.
        """
        self._ending_session = True
        self.close()
        # While a close waits for its question, Qt ignores this one, so the work
        # stops here too. A second stop does nothing.
        self._stop_work(keep_changes=True)

    def closeEvent(self, event: QCloseEvent) -> None:
        ending = self._ending_session
        if not ending and not self.files.confirm_discard():
            event.ignore()
            return
        self._stop_work(keep_changes=ending)
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        event.accept()

    def _stop_work(self, keep_changes: bool) -> None:
        """Stop the threads and close the autosave slot, keeping unsaved changes if asked."""
        self.training.shutdown()
        self.importer.shutdown()
        self.autosaver.close(keep_changes=keep_changes)

    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        # Dock sizes only take effect once the window is shown, so the defaults wait for it.
        self._needs_default_sizes = state is None or not self.restoreState(state)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._needs_default_sizes:
            self._needs_default_sizes = False
            # After the first layout pass, when the docks have their real heights.
            QTimer.singleShot(0, self, self._default_dock_sizes)

    def _default_dock_sizes(self) -> None:
        """Give the plots and the training settings room when no saved layout exists."""
        bottom = [self.docks["Loss"], self.docks["Decision boundary"]]
        self.resizeDocks(bottom, [DEFAULT_PLOT_HEIGHT] * len(bottom), Qt.Orientation.Vertical)
        # The boundary dock also contains the confusion matrix, so it gets the wider share.
        widths = [DEFAULT_LOSS_WIDTH, DEFAULT_BOUNDARY_WIDTH]
        self.resizeDocks(bottom, widths, Qt.Orientation.Horizontal)

        # The training settings and buttons fit without scrolling; the Layer dock gets the rest.
        training = self.training_panel.sizeHint()
        training_height = training.height() + DOCK_TITLE_HEIGHT
        right = [self.docks["Layer"], self.docks["Training"]]
        room = sum(dock.height() for dock in right)
        layer_height = max(MIN_LAYER_HEIGHT, room - training_height)
        self.resizeDocks(right, [layer_height, training_height], Qt.Orientation.Vertical)
        width = max(training.width(), self.inspector.minimumSizeHint().width())
        self.resizeDocks(right, [width] * len(right), Qt.Orientation.Horizontal)
