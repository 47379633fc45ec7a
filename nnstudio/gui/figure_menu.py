"""File > Export figure: the network, the loss curve or the decision boundary as PNG or SVG."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMenu

from nnstudio.gui import dialogs
from nnstudio.gui.figures import PNG_SCALE, FigureError, save_plot, save_scene
from nnstudio.gui.menus import find_menu
from nnstudio.gui.plots.boundary_plot import NO_BOUNDARY_TEXT

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

log = logging.getLogger(__name__)

STATUS_TIMEOUT = 8000  # milliseconds
EMPTY_LOSS = "the loss curve is empty; train the network first, then export it"


class FigureMenu(QObject):
    """The Export figure submenu and the three exports it offers."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.menu = QMenu("Export &figure", window)
        self.menu.setToolTipsVisible(True)
        scale = f"PNG at {PNG_SCALE}x the size on screen, or SVG"
        self.network_action = self.menu.addAction("&Network…")
        self.network_action.setToolTip(f"Save the canvas drawing as an image ({scale})")
        self.loss_action = self.menu.addAction("&Loss curve…")
        self.loss_action.setToolTip(f"Save the loss plot as an image ({scale})")
        self.boundary_action = self.menu.addAction("&Decision boundary…")
        self.boundary_action.setToolTip(f"Save the decision-boundary plot as an image ({scale})")
        self.network_action.triggered.connect(self.export_network)
        self.loss_action.triggered.connect(self.export_loss)
        self.boundary_action.triggered.connect(self.export_boundary)

    def export_network(self) -> bool:
        scene = self.window.canvas.canvas_scene
        return self._export("network", lambda path: save_scene(scene, path))

    def export_loss(self) -> bool:
        def write(path: Path) -> None:
            epochs, _ = self.window.loss_plot.curve_data()
            if len(epochs) == 0:
                raise FigureError(EMPTY_LOSS)
            save_plot(self.window.loss_plot.plot_widget, path, self.window.loss_plot.restyle)

        return self._export("loss curve", write)

    def export_boundary(self) -> bool:
        def write(path: Path) -> None:
            project = self.window.document.project
            if project.dataset.input_count < 2 or project.parameters is None:
                raise FigureError(f"{NO_BOUNDARY_TEXT}, and weights")
            plot = self.window.boundary_plot
            save_plot(plot.plot_widget, path, plot.restyle)

        return self._export("decision boundary", write)

    def _export(self, what: str, write: Callable[[Path], None]) -> bool:
        document = self.window.document
        stem = document.path.stem if document.path else "network"
        folder = document.path.parent if document.path else Path.home()
        suggestion = folder / f"{stem}-{what.replace(' ', '-')}.png"
        path = dialogs.ask_figure_path(self.window, f"Export {what}", str(suggestion))
        if path is None:
            return False
        try:
            write(path)
        except FigureError as error:
            log.warning("figure export to %s failed: %s", path, error)
            dialogs.show_error(self.window, f"Cannot export the {what}", str(error))
            return False
        self.window.statusBar().showMessage(f"Exported the {what} to {path.name}", STATUS_TIMEOUT)
        return True


def install_figure_menu(window: MainWindow) -> FigureMenu:
    """Add File > Export figure to ``window``, right after File > Export."""
    figures = FigureMenu(window)
    file_menu = find_menu(window, "File")
    if file_menu is None:
        return figures
    actions = file_menu.actions()
    export_action = window.exporter.menu.menuAction()
    if export_action in actions and actions.index(export_action) + 1 < len(actions):
        file_menu.insertMenu(actions[actions.index(export_action) + 1], figures.menu)
    else:
        file_menu.addMenu(figures.menu)
    return figures
