"""The status bar: messages shortened to fit, and permanent epoch, loss and accuracy read-outs."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QHelpEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QLabel,
    QProgressBar,
    QSizeGrip,
    QStatusBar,
    QStyle,
    QStyleOption,
    QToolTip,
    QWidget,
)

MESSAGE_LEFT = 6  # pixels before the message, as QStatusBar leaves
MESSAGE_GAP = 16  # pixels between the message's end and the first permanent widget


class MessageStatusBar(QStatusBar):
    """A status bar that shortens a long message with "…" and shows it whole as a tooltip.

    QStatusBar cuts a message off 2 pixels before its first permanent widget,
    where the cut text reads as if it ran on into the epoch read-out. This bar
    elides the message to end MESSAGE_GAP pixels before that widget, and resting
    the pointer on an elided message shows the whole text.
    """

    def message_rect(self) -> QRect:
        """Return the area the message is drawn in, left of every permanent widget."""
        direction = self.layoutDirection()
        right = self.width() - MESSAGE_LEFT
        for widget in self._shown_widgets():
            # in left-to-right terms, so a right-to-left bar measures from its right edge
            logical = QStyle.visualRect(direction, self.rect(), widget.geometry())
            right = min(right, logical.left() - MESSAGE_GAP)
        logical_message = QRect(MESSAGE_LEFT, 0, max(0, right - MESSAGE_LEFT), self.height())
        return QStyle.visualRect(direction, self.rect(), logical_message)

    def shown_message(self) -> str:
        """Return the message as drawn: on one line, elided when it is wider than its area."""
        one_line = " ".join(self.currentMessage().split("\n"))
        metrics = self.fontMetrics()
        return metrics.elidedText(
            one_line, Qt.TextElideMode.ElideRight, self.message_rect().width()
        )

    def is_message_elided(self) -> bool:
        return self.shown_message() != " ".join(self.currentMessage().split("\n"))

    def _shown_widgets(self) -> list[QWidget]:
        """Return the visible widgets of the bar; while a message shows, the permanent ones."""
        children = self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
        return [child for child in children if child.isVisible() and not child.isWindow()]

    def paintEvent(self, event: QPaintEvent) -> None:
        # Drawn as QStatusBar draws it (panel, a frame per widget, the message),
        # except that the message is elided to its own area.
        painter = QPainter(self)
        style = self.style()
        panel = QStyleOption()
        panel.initFrom(self)
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelStatusBar, panel, painter, self)

        for widget in self._shown_widgets():
            if isinstance(widget, QSizeGrip):
                continue
            frame = QStyleOption()
            frame.rect = widget.geometry().adjusted(-2, -1, 2, 1)
            frame.palette = self.palette()
            frame.state = QStyle.StateFlag.State_None
            style.drawPrimitive(
                QStyle.PrimitiveElement.PE_FrameStatusBarItem, frame, painter, widget
            )

        message = self.shown_message()
        if message:
            painter.setPen(self.palette().windowText().color())
            flags = Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(self.message_rect(), int(flags | Qt.TextFlag.TextSingleLine), message)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.is_message_elided():
            assert isinstance(event, QHelpEvent)
            area = self.message_rect()
            if area.contains(event.pos()):
                QToolTip.showText(event.globalPos(), self.currentMessage(), self, area)
                return True
        return super().event(event)


class TrainingStatus:
    """Adds and updates the training read-outs of the status bar."""

    def __init__(self, bar: QStatusBar) -> None:
        self.epoch = QLabel()
        self.loss = QLabel()
        self.accuracy = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(True)
        for label in (self.epoch, self.loss, self.accuracy):
            label.setMinimumWidth(120)
            bar.addPermanentWidget(label)
        bar.addPermanentWidget(self.progress)
        self.show(0, 1, None, None)

    def show(self, epoch: int, target: int, loss: float | None, accuracy: float | None) -> None:
        """Show the state after ``epoch`` of ``target`` epochs."""
        self.epoch.setText(f"Epoch {epoch:,}")
        self.loss.setText("Loss —" if loss is None else f"Loss {loss:.6g}")
        if accuracy is None or math.isnan(accuracy):
            self.accuracy.setText("Accuracy —")
        else:
            self.accuracy.setText(f"Accuracy {accuracy:.0%}")
        self.progress.setRange(0, max(target, 1))
        self.progress.setValue(min(epoch, max(target, 1)))
