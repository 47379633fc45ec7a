"""Hides the stale dock tab bars that QMainWindow leaves on screen.

With PySide6 6.11.3, tabifying docks into a second group before the window is
shown makes QMainWindow create two tab bars for that group, and only one of
them is kept up to date. The other stays visible at an old position, for
example over the loss plot, showing tabs of an older layout. A tab bar in use
sits right below the current dock of its group and is aligned with its left
edge, so after each layout change every other tab bar of the window is hidden.
"""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar

ADJACENT_PIXELS = 3  # maximum gap between a dock's bottom edge and its tab bar


def hide_stale_tab_bars(window: QMainWindow, spare: Collection[QTabBar] = ()) -> list[QTabBar]:
    """Hide the tab bars of ``window`` that are not right below a visible dock; return them.

    Bars outside the window and the bars in ``spare`` are left alone.
    """
    docks = [
        dock
        for dock in window.findChildren(QDockWidget)
        if dock.isVisible() and not dock.isFloating()
    ]
    hidden = []
    for bar in window.findChildren(QTabBar):
        if bar.parent() is not window or not bar.isVisible() or bar in spare:
            continue
        if window.rect().intersects(bar.geometry()) and not _below_a_dock(bar, docks):
            bar.hide()
            hidden.append(bar)
    return hidden


def _below_a_dock(bar: QTabBar, docks: list[QDockWidget]) -> bool:
    place = bar.geometry()
    for dock in docks:
        frame = dock.geometry()
        aligned = abs(frame.left() - place.left()) <= ADJACENT_PIXELS
        if aligned and abs(frame.bottom() + 1 - place.top()) <= ADJACENT_PIXELS:
            return True
    return False


class StaleTabBarCleaner(QObject):
    """An event filter that hides stale tab bars once the window has laid out its docks.

    A bar that Qt shows again after it was hidden is one Qt still uses, so it
    is never hidden twice: hiding it again would start another layout pass,
    and the two would repeat without end.
    """

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._hidden_once: list[QTabBar] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._clean)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Show, QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self._timer.start()
        return False

    def _clean(self) -> None:
        self._hidden_once += hide_stale_tab_bars(self.window, spare=self._hidden_once)
