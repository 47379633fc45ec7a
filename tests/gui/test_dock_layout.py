"""The first-start dock layout: no stale tab bars, and a window that fits a laptop screen."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QTabBar, QToolButton

from nnstudio.gui.main_window import DEFAULT_PLOT_HEIGHT, MainWindow

pytestmark = pytest.mark.timeout(60)

WindowFactory = Callable[..., MainWindow]
LAPTOP_HEIGHT = 768  # pixels of a small laptop screen, without the desktop's panels


def shown_window(
    make_window: WindowFactory, qtbot: object, size: tuple[int, int] = (1400, 900)
) -> MainWindow:
    window = make_window()
    window.hide()  # a first show applies the default dock sizes at the size asked for
    window._needs_default_sizes = True
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)  # type: ignore[attr-defined]
    qtbot.wait(50)  # type: ignore[attr-defined]
    return window


def visible_tab_texts(window: MainWindow) -> list[list[str]]:
    """Return the tabs of each tab bar the user can see: visible and inside the window."""
    bars = [
        bar
        for bar in window.findChildren(QTabBar)
        if bar.parent() is window and bar.isVisible() and window.rect().intersects(bar.geometry())
    ]
    return sorted([bar.tabText(i) for i in range(bar.count())] for bar in bars)


def test_only_live_tab_bars_visible(make_window: WindowFactory, qtbot: object) -> None:
    window = shown_window(make_window, qtbot)

    # One bar per tab group, and no stale copy of an older group's bar.
    assert visible_tab_texts(window) == [
        ["Decision boundary", "Matrices"],
        ["Layer", "Weight", "Diagnostics"],
        ["Training", "Step through", "Advanced"],
    ]


def test_window_fits_laptop_screen(make_window: WindowFactory) -> None:
    window = make_window()

    assert window.minimumSizeHint().height() <= LAPTOP_HEIGHT
    assert window.minimumSizeHint().width() <= 1024


def test_plots_get_default_height(make_window: WindowFactory, qtbot: object) -> None:
    window = shown_window(make_window, qtbot)

    # Qt shares out what the canvas leaves, so allow some pixels less than asked;
    # without the default sizes both plots were about 115 pixels high.
    for title in ("Loss", "Decision boundary"):
        assert window.docks[title].height() >= 0.8 * DEFAULT_PLOT_HEIGHT


@pytest.mark.parametrize("size", [(1400, 900), (1366, 740)])
def test_training_buttons_visible_at_start(
    make_window: WindowFactory, qtbot: object, size: tuple[int, int]
) -> None:
    window = shown_window(make_window, qtbot, size)
    assert window.size().toTuple() == size
    scroll = window.docks["Training"].widget()

    # The Train button sits inside the visible part of the scroll area.
    train_button = next(
        button
        for button in window.training_panel.findChildren(QToolButton)
        if button.defaultAction() is window.training.train_action
    )
    bottom = train_button.mapTo(scroll, train_button.rect().bottomLeft()).y()
    assert bottom <= scroll.height()


def test_cleaner_settles_when_idle(make_window: WindowFactory, qtbot: object) -> None:
    window = shown_window(make_window, qtbot)
    runs = []
    window.tab_bar_cleaner._timer.timeout.connect(lambda: runs.append(1))

    qtbot.wait(500)  # type: ignore[attr-defined]

    # An idle window lays out nothing, so the cleaner has nothing to do. Hiding a
    # bar that Qt shows again would make it run hundreds of times a second.
    assert len(runs) <= 2
