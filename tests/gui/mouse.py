"""Mouse gestures on a QGraphicsView, sent as real events to its viewport."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QGraphicsView

LEFT = Qt.MouseButton.LeftButton
NO_KEYS = Qt.KeyboardModifier.NoModifier


def _send(
    view: QGraphicsView, kind: QMouseEvent.Type, point: QPoint, buttons: Qt.MouseButton
) -> None:
    # Built by hand with explicit button state: QTest's moves lose the held
    # button on some Qt versions.
    local = QPointF(point)
    event = QMouseEvent(
        kind, local, QPointF(view.viewport().mapToGlobal(point)), LEFT, buttons, NO_KEYS
    )
    QApplication.sendEvent(view.viewport(), event)


def drag(view: QGraphicsView, start: QPointF, end: QPointF) -> None:
    """Press the left button at scene point ``start``, move in steps, release at ``end``."""
    a = view.mapFromScene(start)
    b = view.mapFromScene(end)
    _send(view, QMouseEvent.Type.MouseButtonPress, a, LEFT)
    # A first small move, then moves well past the start-drag distance.
    for fraction in (0.02, 0.25, 0.5, 0.75, 1.0):
        step = QPoint(
            round(a.x() + (b.x() - a.x()) * fraction), round(a.y() + (b.y() - a.y()) * fraction)
        )
        _send(view, QMouseEvent.Type.MouseMove, step, LEFT)
    _send(view, QMouseEvent.Type.MouseButtonRelease, b, Qt.MouseButton.NoButton)


def click(view: QGraphicsView, point: QPointF) -> None:
    """Click the left button at scene point ``point``."""
    p = view.mapFromScene(point)
    _send(view, QMouseEvent.Type.MouseButtonPress, p, LEFT)
    _send(view, QMouseEvent.Type.MouseButtonRelease, p, Qt.MouseButton.NoButton)
