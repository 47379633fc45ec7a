"""Seeing inside the network: the Neuron maps and Diagnostics docks, and values on hover.

``install_insight`` adds both docks to the main window and keeps them current:

- Neuron maps: one forward pass over a grid of the decision boundary's plane
  returns every neuron's map at once. While training runs the maps follow the
  weights at most every MAP_INTERVAL seconds, and only while the dock is shown.
- Diagnostics: the engine's checks (engine/diagnostics.py) on the dataset and
  the loss history, at most every DIAGNOSTICS_INTERVAL seconds during a run, and
  right after an edit while idle. The dock's tab title counts the problems.
- Hover: while the mouse is over the decision boundary, every neuron's value at
  that point is written beside it on the canvas, in the neuron map captions,
  and marked on each map. The canvas labels are what a class sees on a
  projector, large and next to the neuron they belong to; they stay off in
  step-through mode, whose own labels take that room.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

from nnstudio.engine.diagnostics import diagnose, unit_activation_names
from nnstudio.engine.errors import EngineError, GraphError
from nnstudio.engine.network import Network
from nnstudio.gui.canvas.overlay import StepOverlay
from nnstudio.gui.diagnostics_panel import DiagnosticsPanel
from nnstudio.gui.plots.neuron_maps import LayerMaps, NeuronMapsPanel, format_value
from nnstudio.project.boundary import (
    Extent,
    Plane,
    activations_at,
    boundary_extent,
    neuron_grids,
)

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

log = logging.getLogger(__name__)

MAP_RESOLUTION = 41  # grid points per side of a neuron map
MAP_INTERVAL = 0.2  # seconds between neuron map updates while training runs
DIAGNOSTICS_INTERVAL = 0.5  # seconds between diagnostics while training runs
MAPS_DOCK_WIDTH = 460  # pixels when first shown: three maps side by side
MAPS_DOCK_HEIGHT = 250  # pixels when first shown: a layer's header and one row of maps
HOVER_INTERVAL = 0.1  # seconds between hover value updates while training runs
DIAGNOSTICS_TITLE = "Diagnostics"  # the dock's title; its tab adds the number of problems
NO_NETWORK_TEXT = "Nothing to check: the drawing is not a valid network yet"


class Throttle(QObject):
    """Runs a callback at most once per interval, after the request that started the wait.

    Requests made while a run is pending merge into it, and the callback reads the
    current state when it runs, so the last change of a burst is always shown.

    A request while idle (interval 0) runs on the next pass of the event loop,
    so the several signals of one edit cause one update.
    """

    def __init__(self, callback: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._callback = callback
        self._ran_at = -math.inf
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_due)

    def request(self, interval: float) -> None:
        if self._timer.isActive():
            return
        wait = max(0.0, self._ran_at + interval - time.monotonic())
        self._timer.start(math.ceil(wait * 1000))

    @Slot()
    def _on_due(self) -> None:
        self._ran_at = time.monotonic()
        self._callback()


class Insight(QObject):
    """Keeps the Neuron maps and Diagnostics docks and the hover values current."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.maps = NeuronMapsPanel()
        self.diagnostics = DiagnosticsPanel()
        self.overlay = StepOverlay(window.canvas)
        self.maps_dock = _add_dock(window, "Neuron maps", self.maps)
        self.diagnostics_dock = _add_dock(window, DIAGNOSTICS_TITLE, self.diagnostics)
        self.hovered: tuple[float, float] | None = None
        self._network: Network | None = None
        self._network_stale = True
        self._canvas_labelled = False
        self._maps_sized = False

        self._maps_throttle = Throttle(self._update_maps, self)
        self._diagnostics_throttle = Throttle(self._update_diagnostics, self)
        self._hover_throttle = Throttle(self._update_hover, self)

    def observe(self) -> None:
        """Connect the document, the boundary panel, the docks and training to the views."""
        document = self.document
        for signal in (
            document.structure_changed,
            document.parameters_changed,
            document.settings_changed,
            document.project_replaced,
        ):
            signal.connect(self._on_project_changed)
        document.history_changed.connect(self._on_history_changed)
        # The hovered point belongs to the old project's plane.
        document.project_replaced.connect(self._on_hover_ended)
        panel = self.window.boundary_panel
        panel.columns_changed.connect(self._on_columns_changed)
        panel.point_hovered.connect(self._on_point_hovered)
        panel.hover_ended.connect(self._on_hover_ended)
        self.maps_dock.visibilityChanged.connect(self._on_maps_shown)
        self.diagnostics_dock.visibilityChanged.connect(self._on_diagnostics_shown)
        self.window.step_through.mode_action.toggled.connect(self._on_step_through_toggled)
        self.window.training.controller.state_changed.connect(self._on_training_state_changed)
        # Restyling the window (palette, presentation scale) also emits this signal.
        self.window.canvas.scale_changed.connect(self._on_canvas_restyled)

    # what the views show

    def network(self) -> Network | None:
        """Return the project's network with its current weights, or None without a valid one."""
        if not self._network_stale:
            return self._network
        self._network_stale = False
        self._network = None
        project = self.document.project
        if self.document.graph_error() is not None or project.parameters is None:
            return None
        try:
            self._network = project.network()
        except (EngineError, GraphError) as error:
            log.info("no network for the neuron maps and diagnostics: %s", error)
        return self._network

    def view(self) -> tuple[Plane, Extent] | None:
        """Return the boundary's plane and extent, or None for data with fewer than two inputs."""
        dataset = self.document.project.dataset
        if dataset.input_count < 2 or len(dataset.X) == 0:
            return None
        columns = self.window.boundary_panel.columns
        return Plane(dataset, columns), boundary_extent(dataset.X, columns)

    def _update_maps(self) -> None:
        if not self.maps.isVisible():
            return
        network, view = self.network(), self.view()
        if network is None or view is None:
            self.maps.show_message()
            return
        plane, extent = view
        grids = neuron_grids(network, extent, MAP_RESOLUTION, plane)
        layers = []
        for name in network.spec.order:
            units = len(grids[name])
            activations = unit_activation_names(network.activations[name], units)
            layers.append(LayerMaps(name, activations, grids[name]))
        self.maps.show_maps(layers)
        self._update_hover()

    def _update_diagnostics(self) -> None:
        # Runs while the dock is behind another tab too, so its tab can show the count.
        network = self.network()
        if network is None:
            self.diagnostics.show_unavailable(NO_NETWORK_TEXT)
            self.diagnostics_dock.setWindowTitle(DIAGNOSTICS_TITLE)
            return
        project = self.document.project
        X = project.dataset.network_inputs()
        found = diagnose(network, X, project.history, project.settings.learning_rate)
        epochs = project.history.epoch_count
        scope = f"Checked the weights, {len(X):,} samples and {epochs:,} epochs of loss history."
        self.diagnostics.show_diagnoses(found, scope)
        count = f" ({len(found)})" if found else ""
        self.diagnostics_dock.setWindowTitle(DIAGNOSTICS_TITLE + count)

    def _update_hover(self) -> None:
        network, view = self.network(), self.view()
        if self.hovered is None or network is None or view is None:
            self._clear_hover()
            return
        plane, extent = view
        x, y = self.hovered
        values = activations_at(network, x, y, plane)

        x_min, x_max, y_min, y_max = extent
        column = (x - x_min) / (x_max - x_min) * (MAP_RESOLUTION - 1)
        row = (y - y_min) / (y_max - y_min) * (MAP_RESOLUTION - 1)
        self.maps.show_values(values, (column, row))

        if self.window.step_through.active:
            return
        labels = {
            (layer, index): format_value(float(value))
            for layer, layer_values in values.items()
            for index, value in enumerate(layer_values)
        }
        self.overlay.show("hover", labels, {}, {}, None)
        self._canvas_labelled = True

    def _clear_hover(self) -> None:
        self.maps.show_values(None, None)
        if self._canvas_labelled:
            self.overlay.clear_labels()
            self._canvas_labelled = False

    # observers

    def _interval(self, running: float) -> float:
        return running if self.window.training.controller.state == "running" else 0.0

    def _on_project_changed(self) -> None:
        self._network_stale = True
        self._maps_throttle.request(self._interval(MAP_INTERVAL))
        self._diagnostics_throttle.request(self._interval(DIAGNOSTICS_INTERVAL))
        if self.hovered is not None:
            self._hover_throttle.request(self._interval(HOVER_INTERVAL))

    def _on_history_changed(self) -> None:
        self._diagnostics_throttle.request(self._interval(DIAGNOSTICS_INTERVAL))

    def _on_columns_changed(self, _columns: object) -> None:
        self._maps_throttle.request(0.0)
        self._on_hover_ended()

    def _on_point_hovered(self, x: float, y: float) -> None:
        self.hovered = (x, y)
        self._hover_throttle.request(self._interval(HOVER_INTERVAL))

    def _on_hover_ended(self) -> None:
        self.hovered = None
        self._clear_hover()

    def _on_maps_shown(self, visible: bool) -> None:
        if not visible:
            return
        dock = self.window.docks["Neuron maps"]
        if not self._maps_sized and not dock.isFloating():
            # The bottom docks share their space, and a map needs room for a few tiles.
            self._maps_sized = True
            self.window.resizeDocks([dock], [MAPS_DOCK_WIDTH], Qt.Orientation.Horizontal)
            self.window.resizeDocks([dock], [MAPS_DOCK_HEIGHT], Qt.Orientation.Vertical)
        self._maps_throttle.request(0.0)

    def _on_diagnostics_shown(self, visible: bool) -> None:
        if visible:
            self._diagnostics_throttle.request(0.0)

    def _on_canvas_restyled(self) -> None:
        self._maps_throttle.request(MAP_INTERVAL)

    def _on_step_through_toggled(self, active: bool) -> None:
        if active and self._canvas_labelled:
            self.overlay.clear_labels()
            self._canvas_labelled = False

    def _on_training_state_changed(self, state: str) -> None:
        # A run's last snapshot may have been throttled away; draw the final weights.
        if state == "idle":
            self._on_project_changed()


def install_insight(window: MainWindow) -> Insight:
    """Add the Neuron maps and Diagnostics docks to ``window`` and keep them current.

    Neuron maps starts hidden, at the right end of the bottom docks. Diagnostics
    is a tab beside the Layer dock, whose title counts the problems found, so it
    takes no height from the decision boundary. Both get an entry in the View menu.
    """
    insight = Insight(window)
    maps_dock, diagnostics_dock = insight.maps_dock, insight.diagnostics_dock
    # Beside the boundary, not tabbed with it, so hovering there shows values on the maps.
    bottom, right = Qt.DockWidgetArea.BottomDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
    window.addDockWidget(bottom, maps_dock, Qt.Orientation.Horizontal)
    maps_dock.hide()
    window.addDockWidget(right, diagnostics_dock, Qt.Orientation.Vertical)
    layer_dock = window.docks.get("Layer")
    if layer_dock is not None and window.dockWidgetArea(layer_dock) == right:
        window.tabifyDockWidget(layer_dock, diagnostics_dock)
        layer_dock.raise_()

    for action in window.menuBar().actions():
        menu = action.menu()
        if action.text().replace("&", "") == "View" and isinstance(menu, QMenu):
            menu.addActions([maps_dock.toggleViewAction(), diagnostics_dock.toggleViewAction()])
    insight.observe()
    return insight


def _add_dock(window: MainWindow, title: str, widget: QWidget) -> QDockWidget:
    dock = QDockWidget(title, window)
    # saveState() needs an object name to restore the dock.
    dock.setObjectName(f"dock {title}")
    dock.setWidget(widget)
    window.docks[title] = dock
    return dock
