"""Presentation mode and the colour palette: View menu entries for the front of a class.

Presentation mode (View > Presentation mode, F11; F11 or Esc leaves) shows the
window full screen, hides every dock but the loss curve and the decision
boundary, and draws in a high-contrast look: black text on white, lines
``HIGH_CONTRAST_WIDTH`` times wider, and fonts and lines scaled by the
presentation scale (100%, 150% or 200%, kept in the settings). Black on white
was chosen over a dark theme because projectors in lit rooms wash dark
backgrounds out to grey, while dark ink on white keeps its contrast. Thick lines
survive the projector's blur and the distance to the back row.

Leaving restores the window state, the dock layout (Qt's saveState and
restoreState), the fonts and the look exactly as they were.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QFont, QKeySequence, QPalette
from PySide6.QtWidgets import QMenu

from nnstudio.gui.dock_tabs import hide_stale_tab_bars
from nnstudio.gui.look import (
    DEFAULT_PALETTE,
    DEFAULT_PRESENTATION_SCALE,
    PALETTES,
    SCALES,
    Look,
    current_look,
    palette_named,
    set_look,
    set_palette,
)
from nnstudio.gui.menus import find_menu
from nnstudio.gui.plots.style import style_plot

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

log = logging.getLogger(__name__)

SCALE_KEY = "presentation/scale"
PALETTE_KEY = "appearance/palette"
# Docks that stay visible in presentation mode; every other dock is hidden.
KEPT_DOCKS = ("Loss", "Decision boundary")
DISABLED_TEXT = "#767676"  # high-contrast mode: the darkest grey still unlike black
SHOWN_WHEN_VISIBLE = ("Misclassified",)  # kept too, when the dock is open on entering
PLOT_SHARE = 0.42  # of the window's height, for the loss and boundary docks below the canvas
TOGGLE_KEYS = ("F11",)
LEAVE_KEY = "Esc"


class Presentation(QObject):
    """The Presentation mode action, the scale and palette menus, and what they change."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.active = False
        self._saved_state = QByteArray()
        self._saved_geometry = QByteArray()
        self._saved_window_state = Qt.WindowState.WindowNoState
        self._saved_font = QFont()
        self._saved_palette = QPalette()
        self._saved_icon_size = QSize()

        self.action = QAction("&Presentation mode", window)
        self.action.setCheckable(True)
        self.action.setShortcuts([QKeySequence(key) for key in TOGGLE_KEYS])
        self.action.setToolTip(
            "Full screen, large text, thick lines; only the canvas, loss and boundary "
            "stay (F11; F11 or Esc leaves)"
        )
        self.action.toggled.connect(self.set_active)
        window.addAction(self.action)
        self.scale_menu = self._scale_menu()
        self.palette_menu = self._palette_menu()

    # the two settings

    def scale_percent(self) -> int:
        """Return the presentation scale in percent from the settings (one of SCALES)."""
        value = QSettings().value(SCALE_KEY, DEFAULT_PRESENTATION_SCALE)
        try:
            percent = int(value)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return DEFAULT_PRESENTATION_SCALE
        return percent if percent in SCALES else DEFAULT_PRESENTATION_SCALE

    def set_scale_percent(self, percent: int) -> None:
        """Store the presentation scale; the window follows at once while presenting."""
        if percent not in SCALES:
            choices = ", ".join(f"{scale}%" for scale in SCALES)
            raise ValueError(f"presentation scale {percent}% is not offered; use {choices}")
        QSettings().setValue(SCALE_KEY, percent)
        for action in self.scale_menu.actions():
            action.setChecked(action.data() == percent)
        if self.active:
            self._apply_presentation_look()

    def palette_name(self) -> str:
        name = str(QSettings().value(PALETTE_KEY, DEFAULT_PALETTE))
        return name if name in PALETTES else DEFAULT_PALETTE

    def set_palette_name(self, name: str) -> None:
        """Store and use the colour palette ``name`` for weights and heatmaps."""
        set_palette(name)
        QSettings().setValue(PALETTE_KEY, name)
        for action in self.palette_menu.actions():
            action.setChecked(action.data() == name)
        restyle_window(self.window)

    # entering and leaving

    def set_active(self, active: bool) -> None:
        if active == self.active:
            return
        if active:
            self._enter()
        else:
            self._leave()
        self.active = active
        self.action.setChecked(active)

    def _enter(self) -> None:
        window = self.window
        self._saved_state = window.saveState()
        self._saved_geometry = window.saveGeometry()
        self._saved_window_state = window.windowState()
        self._saved_font = QFont(window.font())
        self._saved_palette = QPalette(window.palette())
        self._saved_icon_size = window.toolbar.iconSize()

        # The Misclassified plot replaces the loss plot while the perceptron rule trains.
        kept = [*KEPT_DOCKS, *(title for title in SHOWN_WHEN_VISIBLE if _visible(window, title))]
        for title, dock in window.docks.items():
            if title not in kept:
                dock.hide()
        for title in kept:
            if title in window.docks:
                window.docks[title].show()
        window.setPalette(_high_contrast_palette(self._saved_palette))
        self.action.setShortcuts([QKeySequence(key) for key in (*TOGGLE_KEYS, LEAVE_KEY)])
        self.active = True
        self._apply_presentation_look()
        window.showFullScreen()
        hide_stale_tab_bars(window)
        _share_height(window)
        window.canvas.fit_all()
        log.info("presentation mode on at %d%%", self.scale_percent())

    def _leave(self) -> None:
        window = self.window
        self.action.setShortcuts([QKeySequence(key) for key in TOGGLE_KEYS])
        set_look(replace(current_look(), scale=1.0, high_contrast=False))
        window.setFont(self._saved_font)
        window.setPalette(self._saved_palette)
        window.toolbar.setIconSize(self._saved_icon_size)
        window.setWindowState(self._saved_window_state)
        if not self._saved_window_state & (
            Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen
        ):
            window.restoreGeometry(self._saved_geometry)
        window.restoreState(self._saved_state)
        window.show()
        restyle_window(window)
        window.canvas.fit_all()
        log.info("presentation mode off")

    def _apply_presentation_look(self) -> None:
        factor = self.scale_percent() / 100
        set_look(replace(current_look(), scale=factor, high_contrast=True))
        font = QFont(self._saved_font)
        font.setPointSizeF(self._saved_font.pointSizeF() * factor)
        self.window.setFont(font)
        self.window.toolbar.setIconSize(self._saved_icon_size * factor)
        restyle_window(self.window)

    # menus

    def _scale_menu(self) -> QMenu:
        menu = QMenu("Presentation &scale", self.window)
        menu.setToolTipsVisible(True)
        group = QActionGroup(menu)
        chosen = self.scale_percent()
        for percent in SCALES:
            action = menu.addAction(f"&{percent}%")
            action.setData(percent)
            action.setCheckable(True)
            action.setChecked(percent == chosen)
            action.setToolTip(f"Text and lines in presentation mode at {percent}% of normal")
            action.triggered.connect(lambda _on=False, p=percent: self.set_scale_percent(p))
            group.addAction(action)
        return menu

    def _palette_menu(self) -> QMenu:
        menu = QMenu("&Colour palette", self.window)
        menu.setToolTipsVisible(True)
        group = QActionGroup(menu)
        chosen = self.palette_name()
        for palette in PALETTES.values():
            action = menu.addAction(palette.title)
            action.setData(palette.name)
            action.setCheckable(True)
            action.setChecked(palette.name == chosen)
            action.setToolTip(
                "Colours of positive and negative weights and of the decision boundary; "
                "every choice is readable with red-green colour blindness"
            )
            action.triggered.connect(lambda _on=False, n=palette.name: self.set_palette_name(n))
            group.addAction(action)
        return menu


def install_presentation(window: MainWindow) -> Presentation:
    """Add presentation mode and the palette choice to ``window``'s View menu."""
    presentation = Presentation(window)
    view_menu = find_menu(window, "View")
    if view_menu is not None:
        view_menu.addSeparator()
        view_menu.addAction(presentation.action)
        view_menu.addMenu(presentation.scale_menu)
        view_menu.addMenu(presentation.palette_menu)
    window.installEventFilter(_LeaveBeforeClose(presentation))
    # The look is shared by every window; a new window starts in the normal look.
    set_look(Look(palette=palette_named(presentation.palette_name())))
    restyle_window(window)
    return presentation


def restyle_window(window: MainWindow) -> None:
    """Redraw the canvas and every plot of ``window`` in the current look."""
    scene = window.canvas.canvas_scene
    project = window.document.project
    for name, item in scene.layers.items():
        if project.has_layer(name):
            item.restyle(project.layer(name))
    for connection in scene.connections.values():
        connection.update_geometry()
    scene.update()
    # Value labels of step-through mode lay themselves out again after a zoom.
    window.canvas.scale_changed.emit()

    window.loss_plot.restyle()
    window.boundary_plot.restyle()
    window.misclassified_plot.restyle()
    # The confusion matrix sized its columns for the old font; size them again.
    window.boundary_panel.confusion.resizeColumnsToContents()
    restyled = (
        window.loss_plot.plot_widget,
        window.boundary_plot.plot_widget,
        window.misclassified_plot.plot_widget,
    )
    for plot in window.findChildren(pg.PlotWidget):
        if plot not in restyled:
            style_plot(plot)


def _visible(window: MainWindow, title: str) -> bool:
    dock = window.docks.get(title)
    return dock is not None and dock.isVisible()


def _share_height(window: MainWindow) -> None:
    """Give the kept plot docks PLOT_SHARE of the window's height, the canvas the rest."""
    plots = [window.docks[title] for title in KEPT_DOCKS if title in window.docks]
    height = round(window.height() * PLOT_SHARE)
    window.resizeDocks(plots, [height] * len(plots), Qt.Orientation.Vertical)


def _high_contrast_palette(base: QPalette) -> QPalette:
    palette = QPalette(base)
    for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base, QPalette.ColorRole.Button):
        palette.setColor(role, QColor("#ffffff"))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(role, QColor("#000000"))
        # Setting a role for all groups made disabled text black too, so disabled
        # actions such as Undo looked enabled. Grey #767676 keeps 4.5:1 on white.
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(DISABLED_TEXT))
    return palette


class _LeaveBeforeClose(QObject):
    """Ends presentation mode when the window is about to close, so the normal layout is saved."""

    def __init__(self, presentation: Presentation) -> None:
        super().__init__(presentation)
        self.presentation = presentation

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self.presentation.set_active(False)
        return False
