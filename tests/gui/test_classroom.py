"""Presentation mode, the colour palette and the keyboard, driven through the main window."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from nnstudio.gui import dialogs
from nnstudio.gui.canvas.colors import MAX_WIDTH
from nnstudio.gui.canvas.items import CAPTION_POINT_SIZE
from nnstudio.gui.keyboard import ShortcutsDialog
from nnstudio.gui.look import HIGH_CONTRAST_WIDTH, PALETTES, Look, set_look
from nnstudio.gui.main_window import MainWindow
from nnstudio.project.model import default_project
from tests.conftest import EXAMPLES
from tests.gui.test_canvas import known_weights

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]


@pytest.fixture(autouse=True)
def normal_look() -> Iterator[None]:
    """Leave the shared look as every other test expects it."""
    yield
    set_look(Look())


def press(window: MainWindow, key: Qt.Key) -> None:
    """Press ``key`` on the widget with the keyboard focus, as a user would."""
    QApplication.processEvents()
    target = QApplication.focusWidget() or window
    QTest.keyClick(target, key)
    QApplication.processEvents()


def focus(window: MainWindow, widget: object) -> None:
    window.activateWindow()
    widget.setFocus()  # type: ignore[attr-defined]
    QApplication.processEvents()
    assert QApplication.focusWidget() is widget


def dock_layout(window: MainWindow) -> dict[str, tuple[bool, object, bool]]:
    return {
        title: (dock.isVisible(), window.dockWidgetArea(dock), dock.isFloating())
        for title, dock in window.docks.items()
    }


# presentation mode


def test_presentation_full_screen_and_back(make_window: WindowFactory) -> None:
    window = make_window()
    focus(window, window.canvas)
    before = dock_layout(window)
    assert before["Layer"][0] and not before["Undo history"][0]

    press(window, Qt.Key.Key_F11)
    assert window.presentation.active
    assert window.windowState() & Qt.WindowState.WindowFullScreen
    assert not window.docks["Layer"].isVisible()
    assert not window.docks["Training"].isVisible()
    assert window.docks["Loss"].isVisible()
    assert window.docks["Decision boundary"].isVisible()

    focus(window, window.canvas)
    press(window, Qt.Key.Key_Escape)
    assert not window.presentation.active
    assert not window.windowState() & Qt.WindowState.WindowFullScreen
    assert dock_layout(window) == before


def test_presentation_keeps_misclassified_plot(make_window: WindowFactory) -> None:
    window = make_window(path=EXAMPLES / "perceptron-and.nnproj")
    assert window.docks["Misclassified"].isVisible()

    focus(window, window.canvas)
    press(window, Qt.Key.Key_F11)

    assert window.presentation.active
    assert window.docks["Misclassified"].isVisible()
    assert not window.docks["Training"].isVisible()


def test_presentation_greys_disabled_text(make_window: WindowFactory) -> None:
    window = make_window()
    focus(window, window.canvas)
    press(window, Qt.Key.Key_F11)

    palette = window.palette()
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    active = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)
    assert active == QColor("#000000")
    assert disabled != active
    assert not window.undo_action.isEnabled()


def test_presentation_confusion_headers_fit(make_window: WindowFactory) -> None:
    window = make_window()
    window.presentation.set_scale_percent(200)
    window.presentation.set_active(True)

    table = window.boundary_panel.confusion
    header = table.horizontalHeader()
    for column in range(table.columnCount()):
        text = table.horizontalHeaderItem(column).text()
        assert header.sectionSize(column) >= header.fontMetrics().horizontalAdvance(text)


def test_presentation_scales_caption_and_edges(make_window: WindowFactory) -> None:
    window = make_window(default_project())
    known_weights(window.document)
    window.presentation.set_scale_percent(200)
    item = window.canvas.layer_item("hidden 1")
    edge = window.canvas.connection_item("hidden 1", "output")
    normal_font = item.caption_font().pointSizeF()
    assert normal_font == pytest.approx(CAPTION_POINT_SIZE)
    # Weight 2.0 is the largest in known_weights, so it gets the widest pen.
    assert edge.edge_pen(3, 0).widthF() == pytest.approx(MAX_WIDTH)

    window.presentation.action.trigger()
    assert item.caption_font().pointSizeF() == pytest.approx(2 * CAPTION_POINT_SIZE)
    assert edge.edge_pen(3, 0).widthF() == pytest.approx(2 * HIGH_CONTRAST_WIDTH * MAX_WIDTH)
    assert window.docks["Loss"].font().pointSizeF() == pytest.approx(
        2 * window.presentation._saved_font.pointSizeF()
    )

    window.presentation.action.trigger()
    assert item.caption_font().pointSizeF() == pytest.approx(CAPTION_POINT_SIZE)
    assert edge.edge_pen(3, 0).widthF() == pytest.approx(MAX_WIDTH)


def test_presentation_scale_setting_persists(make_window: WindowFactory) -> None:
    window = make_window()
    chosen = [a for a in window.presentation.scale_menu.actions() if a.data() == 100][0]
    chosen.trigger()
    assert window.presentation.scale_percent() == 100
    assert make_window().presentation.scale_percent() == 100


def test_close_while_presenting_saves_normal_layout(make_window: WindowFactory) -> None:
    window = make_window()
    window.presentation.set_active(True)
    window.close()
    assert not window.presentation.active
    assert make_window().docks["Layer"].isVisible()


# palette


def palette_action(window: MainWindow, name: str) -> QAction:
    return [a for a in window.presentation.palette_menu.actions() if a.data() == name][0]


def test_palette_recolours_positive_edge(make_window: WindowFactory) -> None:
    window = make_window(default_project())
    known_weights(window.document)
    edge = window.canvas.connection_item("hidden 1", "output")
    assert edge.edge_pen(3, 0).color().name() == PALETTES["blue-orange"].positive

    palette_action(window, "purple-green").trigger()
    assert edge.edge_pen(3, 0).color().name() == PALETTES["purple-green"].positive
    assert edge.edge_pen(1, 0).color().name() == PALETTES["purple-green"].negative
    # The heatmap's output-1 end follows the same palette.
    colormap = window.boundary_plot.image_item.getColorMap()
    high = colormap.map(1.0, mode="qcolor")
    assert high.name() == QColor(PALETTES["purple-green"].heatmap[-1]).name()
    assert make_window().presentation.palette_name() == "purple-green"


# keyboard


def long_project() -> object:
    project = default_project()
    project.settings.epochs = 10_000_000  # a run that lasts until the test pauses it
    return project


def test_space_starts_and_pauses(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window(long_project())
    controller = window.training.controller
    focus(window, window.canvas)
    press(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: controller.state == "running", timeout=10_000)  # type: ignore[attr-defined]

    focus(window, window.canvas)
    press(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: controller.state == "paused", timeout=10_000)  # type: ignore[attr-defined]
    window.training.stop_action.trigger()
    qtbot.waitUntil(lambda: controller.state == "idle", timeout=10_000)  # type: ignore[attr-defined]


@pytest.mark.parametrize("editor", ["epochs", "learning_rate", "loss"])
def test_space_ignored_while_editing(
    make_window: WindowFactory, qtbot: object, editor: str
) -> None:
    window = make_window(long_project())
    widget = getattr(window.training_panel, editor)
    focus(window, widget)
    press(window, Qt.Key.Key_Space)
    press(window, Qt.Key.Key_S)
    qtbot.wait(100)  # type: ignore[attr-defined]
    assert window.training.controller.state == "idle"
    assert len(window.document.project.history.loss) == 0


def test_step_key_adds_one_epoch(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window(long_project())
    history = window.document.project.history
    assert len(history.loss) == 0
    focus(window, window.canvas)
    press(window, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: len(window.document.project.history.loss) == 1, timeout=10_000)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: window.training.controller.state == "paused", timeout=10_000)  # type: ignore[attr-defined]
    assert len(window.document.project.history.loss) == 1

    focus(window, window.canvas)
    press(window, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: len(window.document.project.history.loss) == 2, timeout=10_000)  # type: ignore[attr-defined]
    window.training.stop_action.trigger()


def test_shortcuts_dialog_lists_actions(
    make_window: WindowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window()
    shown: list[ShortcutsDialog] = []
    monkeypatch.setattr(dialogs, "run_dialog", lambda dialog: shown.append(dialog) or True)
    focus(window, window.canvas)
    press(window, Qt.Key.Key_F1)
    assert len(shown) == 1
    dialog = shown[0]
    assert dialog.keys_of("Train or pause") == "Space"
    assert dialog.keys_of("Step") == "F10, S"
    assert dialog.keys_of("Reset") == "Ctrl+R"
    assert dialog.keys_of("Presentation mode") == "F11"
    assert dialog.keys_of("Add layer") == "Ctrl+L"
    dialog.close()
