"""Adds step-through mode to a main window: two docks, three actions and their menu entries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

from nnstudio.gui.stepthrough.canvas_link import CanvasLink
from nnstudio.gui.stepthrough.matrix_view import MatrixView
from nnstudio.gui.stepthrough.panel import StepThroughPanel

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

STATUS_TIMEOUT = 8000  # milliseconds
# Docks that step-through mode hides while it runs, so its panel gets their height.
MAKES_ROOM = ("Layer", "Training")
MATRIX_DOCK_HEIGHT = 230  # pixels: a layer's tables with a few rows, in step-through mode


def install_stepthrough(window: MainWindow) -> StepThroughPanel:
    """Add the Step through and Matrices docks and the step actions to ``window``.

    The Step through dock is tabbed with Training and the Matrices dock with
    Decision boundary; both come to the front when step-through mode starts.
    Back (Alt+Left) and Next (Alt+Right) work anywhere in the window, and
    step-through mode ends while training runs.
    """
    panel = StepThroughPanel(window.document)
    matrices = MatrixView()
    panel.matrices = matrices
    panel.canvas_link = CanvasLink(window.canvas, panel, matrices)

    step_dock = _add_dock(window, "Step through", panel, Qt.DockWidgetArea.RightDockWidgetArea)
    matrix_dock = _add_dock(window, "Matrices", matrices, Qt.DockWidgetArea.BottomDockWidgetArea)
    _tabify(window, "Training", step_dock)
    _tabify(window, "Decision boundary", matrix_dock)

    focus = DockFocus(window, step_dock, matrix_dock)
    panel.mode_action.toggled.connect(focus.set_active)
    # Leave the mode before the window saves its layout, so the hidden docks are saved shown.
    window.installEventFilter(CloseWatcher(panel))
    # The dock's close button ends the mode too, so the hidden docks come back.
    step_dock.installEventFilter(CloseWatcher(panel))
    window.addActions([panel.mode_action, panel.back_action, panel.next_action])
    training_menu = _menu(window, "Training")
    if training_menu is not None:
        training_menu.addSeparator()
        training_menu.addActions([panel.mode_action, panel.back_action, panel.next_action])
    view_menu = _menu(window, "View")
    if view_menu is not None:
        view_menu.addActions([step_dock.toggleViewAction(), matrix_dock.toggleViewAction()])

    controller = window.training.controller
    controller.state_changed.connect(lambda state: panel.set_locked(state != "idle"))
    panel.message.connect(lambda text: window.statusBar().showMessage(text, STATUS_TIMEOUT))
    return panel


def _add_dock(
    window: MainWindow, title: str, widget: QWidget, area: Qt.DockWidgetArea
) -> QDockWidget:
    dock = QDockWidget(title, window)
    # saveState() needs an object name to restore the dock.
    dock.setObjectName(f"dock {title}")
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    window.docks[title] = dock
    return dock


def _tabify(window: MainWindow, title: str, dock: QDockWidget) -> None:
    first = window.docks.get(title)
    if first is not None and window.dockWidgetArea(first) == window.dockWidgetArea(dock):
        window.tabifyDockWidget(first, dock)
        first.raise_()


def _menu(window: MainWindow, title: str) -> QMenu | None:
    """Return the menu bar's menu called ``title`` (without its & mnemonic), if there is one."""
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == title and action.menu() is not None:
            menu = action.menu()
            return menu if isinstance(menu, QMenu) else None
    return None


class DockFocus(QObject):
    """The dock layout of step-through mode: its docks in front while the mode runs.

    Docks of MAKES_ROOM that share the Step through dock's area are hidden while
    the mode runs and shown again when it ends, because the step table needs
    the height more than the layer inspector or the training settings do.
    """

    def __init__(self, window: MainWindow, step_dock: QDockWidget, matrix_dock: QDockWidget):
        super().__init__(window)
        self.window = window
        self.step_dock = step_dock
        self.matrix_dock = matrix_dock
        self.hidden: list[QDockWidget] = []

    def set_active(self, active: bool) -> None:
        if active:
            self._enter()
        else:
            self._leave()

    def _enter(self) -> None:
        # A dock behind another tab keeps a stale size, so take a visible neighbour's width.
        width = self.step_dock.width()
        area = self.window.dockWidgetArea(self.step_dock)
        for title in MAKES_ROOM:
            dock = self.window.docks.get(title)
            if dock is None or not dock.isVisible() or dock.isFloating():
                continue
            if self.window.dockWidgetArea(dock) == area:
                width = max(width, dock.width())
                dock.hide()
                self.hidden.append(dock)
        for dock in (self.step_dock, self.matrix_dock):
            dock.show()
            dock.raise_()
        if self.hidden:
            # Share the freed height between the step panel and the matrices.
            self.window.resizeDocks([self.step_dock], [width], Qt.Orientation.Horizontal)
            self.window.resizeDocks(
                [self.matrix_dock], [MATRIX_DOCK_HEIGHT], Qt.Orientation.Vertical
            )

    def _leave(self) -> None:
        for dock in self.hidden:
            dock.show()
        if self.hidden:
            self.hidden[-1].raise_()
        self.hidden = []


class CloseWatcher(QObject):
    """An event filter that ends step-through mode when the watched window or dock closes.

    It also waits for a running gradient check, whose thread must not outlive the window.
    """

    def __init__(self, panel: StepThroughPanel) -> None:
        super().__init__(panel)
        self.panel = panel

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self.panel.set_active(False)
            self.panel.gradient_check.job.shutdown()
        return False
