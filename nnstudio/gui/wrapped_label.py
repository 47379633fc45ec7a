"""A word-wrapped QLabel whose minimum height fits its text at its current width."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel


class WrappedLabel(QLabel):
    """A word-wrapped label that a crowded layout cannot squeeze below its lines.

    A QLabel's minimum size does not follow its height for the current width,
    so in a short dock a layout cuts a long message off or lets it overlap the
    widgets next to it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Another width needs another number of lines: let the layout ask again.
        self.updateGeometry()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        if not self.text():
            return hint
        return QSize(hint.width(), max(hint.height(), self.heightForWidth(self.width())))
