"""Presentation mode after a perceptron run: the outcome text and the Misclassified plot's ticks."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QPainter, QPicture
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from nnstudio.gui.look import Look, set_look
from nnstudio.gui.main_window import MainWindow
from tests.conftest import EXAMPLES
from tests.gui.test_perceptron_training import open_through_menu, press_train

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]
XOR = EXAMPLES / "perceptron-xor.nnproj"
INK_LIGHTNESS = 150  # below this, a pixel of the white plot is text or a line


@pytest.fixture(autouse=True)
def normal_look() -> Iterator[None]:
    """Leave the shared look as every other test expects it."""
    yield
    set_look(Look())


def trained_xor(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, qtbot: object
) -> MainWindow:
    window = open_through_menu(make_window, monkeypatch, XOR)
    press_train(window, qtbot)
    assert "not linearly separable" in window.misclassified_plot.outcome()
    return window


def present_at(window: MainWindow, percent: int) -> None:
    """Choose View > Presentation scale > ``percent``% and press F11 on the canvas."""
    scale = next(a for a in window.presentation.scale_menu.actions() if a.data() == percent)
    scale.trigger()
    window.activateWindow()
    window.canvas.setFocus()
    QApplication.processEvents()
    QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F11)
    QApplication.processEvents()
    assert window.presentation.active


def tick_labels(window: MainWindow) -> dict[str, QRectF]:
    """Return the left axis's tick labels as pyqtgraph draws them, in axis coordinates."""
    axis = window.misclassified_plot.plot_widget.getPlotItem().getAxis("left")
    picture = QPicture()
    painter = QPainter(picture)
    painter.setFont(axis.style["tickFont"])  # as AxisItem.paint sets it
    _axis_spec, _tick_specs, text_specs = axis.generateDrawSpecs(painter)
    painter.end()
    return {text: rect for rect, _flags, text in text_specs}


@pytest.mark.parametrize("percent", [100, 150, 200])
def test_outcome_text_scaled(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, qtbot: object, percent: int
) -> None:
    window = trained_xor(make_window, monkeypatch, qtbot)
    label = window.misclassified_plot.outcome_label
    normal = label.font().pointSizeF()
    assert normal == window.font().pointSizeF()
    normal_height = label.fontMetrics().height()

    present_at(window, percent)

    assert label.isVisible()
    assert label.font().pointSizeF() == pytest.approx(normal * percent / 100)
    assert label.font().pointSizeF() == window.font().pointSizeF()
    assert label.font().bold()
    if percent > 100:
        assert label.fontMetrics().height() > normal_height

    # leaving restores the normal size
    window.presentation.set_active(False)
    assert label.font().pointSizeF() == normal


@pytest.mark.parametrize("percent", [100, 150, 200])
def test_top_tick_label_inside_plot(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch, qtbot: object, percent: int
) -> None:
    window = trained_xor(make_window, monkeypatch, qtbot)
    present_at(window, percent)
    qtbot.waitUntil(lambda: window.isFullScreen())  # type: ignore[attr-defined]
    QApplication.processEvents()

    # XOR has 4 samples, so the y axis ends at 4 misclassified.
    samples = len(window.document.project.dataset.X)
    assert samples == 4
    labels = tick_labels(window)
    assert str(samples) in labels
    assert "0" in labels

    plot = window.misclassified_plot.plot_widget
    axis = plot.getPlotItem().getAxis("left")
    top = plot.mapFromScene(axis.mapRectToScene(labels[str(samples)])).boundingRect()
    assert plot.viewport().rect().contains(top)

    # the label's pixels are drawn: dark text inside its rectangle
    image = plot.grab().toImage()
    inside = QRect(top).intersected(image.rect())
    ink = [
        (x, y)
        for x in range(inside.left(), inside.right() + 1)
        for y in range(inside.top(), inside.bottom() + 1)
        if image.pixelColor(x, y).lightness() < INK_LIGHTNESS
    ]
    assert ink
