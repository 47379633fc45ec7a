"""A long status message beside the epoch, loss and accuracy read-outs of a narrow window."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QHelpEvent, QImage
from PySide6.QtWidgets import QApplication, QToolTip, QWidget

from nnstudio.gui import dialogs
from nnstudio.gui.main_window import MainWindow
from nnstudio.project.model import PERCEPTRON
from tests.conftest import EXAMPLES
from tests.gui.test_perceptron_training import press_train

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]
XOR = EXAMPLES / "perceptron-xor.nnproj"
NARROW_WIDTH = 1024
STRIP = 8  # pixels just left of the epoch read-out that must stay free of message text
INK_LIGHTNESS = 150  # below this, a pixel of the light status bar is text


def open_narrow(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, qtbot: object
) -> MainWindow:
    window = make_window()
    window.resize(NARROW_WIDTH, 768)
    qtbot.waitUntil(lambda: window.width() == NARROW_WIDTH)  # type: ignore[attr-defined]
    monkeypatch.setattr(dialogs, "ask_open_path", lambda _parent, _folder: XOR)
    window.files.open_action.trigger()
    return window


def hover(widget: QWidget, point: QPoint) -> None:
    """Send the tooltip request that resting the pointer at ``point`` of ``widget`` makes."""
    event = QHelpEvent(QHelpEvent.Type.ToolTip, point, widget.mapToGlobal(point))
    # Through the application, so that a widget without a tooltip passes it to its parent.
    QApplication.sendEvent(widget, event)


def ink_columns(image: QImage, left: int, right: int) -> list[int]:
    """Return the x of every column in ``left`` .. ``right`` (inclusive) with a text pixel."""
    return [
        x
        for x in range(left, right + 1)
        if any(image.pixelColor(x, y).lightness() < INK_LIGHTNESS for y in range(image.height()))
    ]


def test_outcome_message_clear_of_epoch(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, qtbot: object
) -> None:
    window = open_narrow(make_window, monkeypatch, qtbot)
    assert window.training_panel.algorithm.currentData() == PERCEPTRON

    press_train(window, qtbot)

    bar = window.statusBar()
    epoch = window.status.epoch
    assert epoch.text() == "Epoch 30"
    message = bar.currentMessage()
    assert message == window.misclassified_plot.outcome()
    assert "not linearly separable" in message

    # The message is wider than the room left of the read-outs, so it ends in "…".
    metrics = bar.fontMetrics()
    assert metrics.horizontalAdvance(message) > epoch.x()
    elided = bar.shown_message()
    assert elided.endswith("…")
    assert message.startswith(elided.removesuffix("…"))
    area = bar.message_rect()
    drawn = QRect(area.left(), area.top(), metrics.horizontalAdvance(elided), area.height())
    assert not drawn.intersects(epoch.geometry())
    assert not area.intersects(epoch.geometry())

    # what the user sees: text left of the read-out, none in the strip just before it
    image = bar.grab().toImage()
    assert ink_columns(image, area.left(), area.left() + 40)
    assert ink_columns(image, epoch.x() - STRIP, epoch.x() - 1) == []
    assert ink_columns(image, epoch.x(), epoch.x() + epoch.width() - 1)


def test_elided_message_whole_in_tooltip(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, qtbot: object
) -> None:
    window = open_narrow(make_window, monkeypatch, qtbot)
    press_train(window, qtbot)
    bar = window.statusBar()
    message = bar.currentMessage()

    # hovering over the message
    area = bar.message_rect()
    hover(bar, QPoint(area.left() + 20, area.center().y()))
    assert QToolTip.isVisible()
    assert QToolTip.text() == message
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible())  # type: ignore[attr-defined]

    # hovering over the epoch read-out shows no message
    epoch = window.status.epoch
    hover(epoch, epoch.rect().center())
    assert not QToolTip.isVisible()


def test_short_message_drawn_whole(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, qtbot: object
) -> None:
    window = open_narrow(make_window, monkeypatch, qtbot)
    bar = window.statusBar()

    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible())  # type: ignore[attr-defined]

    bar.showMessage("Saved xor.nnproj")

    assert bar.shown_message() == "Saved xor.nnproj"
    area = bar.message_rect()
    hover(bar, QPoint(area.left() + 10, area.center().y()))
    assert not QToolTip.isVisible()


def test_multiline_message_on_one_line(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, qtbot: object
) -> None:
    window = open_narrow(make_window, monkeypatch, qtbot)
    bar = window.statusBar()

    bar.showMessage("first line\nsecond line")

    assert bar.shown_message() == "first line second line"
