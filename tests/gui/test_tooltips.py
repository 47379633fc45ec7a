"""Every action and input control of the main window explains itself in a tooltip."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QMenu,
    QSlider,
    QWidget,
)

from nnstudio.gui.keyboard import names_a_key
from nnstudio.gui.main_window import MainWindow
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.timeout(60)

INPUT_WIDGETS = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QSlider)


def default_tooltip(action: QAction) -> str:
    # Without setToolTip, Qt shows the action's text without "&" and a trailing ellipsis.
    return action.text().replace("&", "").replace("...", "").rstrip("…").strip()


def menu_actions(menu: QMenu, path: str) -> list[tuple[str, QAction]]:
    found = []
    for action in menu.actions():
        if action.isSeparator():
            continue
        name = f"{path} > {action.text().replace('&', '')}"
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            found.extend(menu_actions(submenu, name))
        else:
            found.append((name, action))
    return found


def all_actions(window: MainWindow) -> list[tuple[str, QAction]]:
    found = []
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu):
            found.extend(menu_actions(menu, action.text().replace("&", "")))
    for action in window.toolbar.actions():
        if not action.isSeparator():
            found.append((f"toolbar > {action.text().replace('&', '')}", action))
    return found


def without_tooltip(action: QAction) -> bool:
    text = action.toolTip().strip()
    return not text or text == default_tooltip(action)


def describe(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, QAbstractButton) else ""
    owner = widget.parentWidget()
    owners = []
    while owner is not None and len(owners) < 3:
        owners.append(type(owner).__name__)
        owner = owner.parentWidget()
    return f"{type(widget).__name__} {widget.objectName() or text!r} in {'/'.join(owners)}"


def qt_chrome(widget: QWidget) -> bool:
    # Qt's own parts: dock title buttons, tab scroll arrows, the editor inside a spin box.
    if widget.objectName().startswith("qt_"):
        return True
    parent = widget.parentWidget()
    if isinstance(widget, QLineEdit) and isinstance(parent, (QAbstractSpinBox, QComboBox)):
        return True
    return type(parent).__name__ == "QTabBar"


def test_every_menu_and_toolbar_action_has_tooltip(
    make_window: Callable[..., MainWindow],
) -> None:
    window = make_window(path=EXAMPLES / "xor.nnproj")
    missing = [name for name, action in all_actions(window) if without_tooltip(action)]
    assert missing == [], "actions without a tooltip: " + "; ".join(missing)


def test_every_input_widget_has_tooltip(make_window: Callable[..., MainWindow]) -> None:
    window = make_window(path=EXAMPLES / "xor.nnproj")
    widgets = [w for w in window.findChildren(QWidget) if isinstance(w, INPUT_WIDGETS)]
    assert len(widgets) > 20  # the training form alone has more
    missing = [describe(w) for w in widgets if not qt_chrome(w) and not w.toolTip().strip()]
    assert missing == [], "controls without a tooltip: " + "; ".join(missing)


def test_tooltips_name_shortcuts(make_window: Callable[..., MainWindow]) -> None:
    window = make_window()
    for name, action in all_actions(window):
        if action.shortcuts() and not without_tooltip(action):
            keys = [key.toString() for key in action.shortcuts()]
            assert names_a_key(action.toolTip(), keys), f"{name}: {action.toolTip()!r}"
