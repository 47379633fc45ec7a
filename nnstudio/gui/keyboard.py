"""Keyboard use of the main window: Space to train or pause, Help > Keyboard shortcuts.

Space and S are window shortcuts (train or pause; one step). A widget that
takes typed text or presses itself with Space keeps those keys while it has the
keyboard focus. ``TypingGuard`` accepts Qt's ShortcutOverride event for them,
so Qt delivers the key to the widget instead of triggering the shortcut.
Line edits and spin boxes do this by themselves for printable keys; buttons,
check boxes, combo boxes and tables need the guard.

The shortcuts dialog is built from the window's actions each time it opens,
so it lists exactly the keys that work.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from nnstudio.gui import dialogs
from nnstudio.gui.menus import find_menu, menu_named

if TYPE_CHECKING:
    from nnstudio.gui.main_window import MainWindow

# Widgets that use Space or a typed S themselves while they have the focus.
TYPING_WIDGETS = (
    QLineEdit,
    QAbstractSpinBox,
    QTextEdit,
    QPlainTextEdit,
    QComboBox,
    QAbstractButton,
    QAbstractItemView,
)
# The plain keys of this module's shortcuts: Space trains or pauses, S steps. Other
# plain-key shortcuts (such as step-through mode's Period) keep their own rules.
GUARDED_KEYS = (Qt.Key.Key_Space, Qt.Key.Key_S)
# Keys on the canvas that are not actions, listed in the shortcuts dialog by hand.
CANVAS_KEYS = (
    ("Delete the selected layers and connections", "Del, Backspace"),
    ("Cancel the connection being dragged", "Esc"),
    ("Zoom around the mouse pointer", "Mouse wheel"),
)
DIALOG_SIZE = (640, 560)


class TypingGuard(QObject):
    """Keeps the Space and S shortcuts away from the widget being typed into.

    It filters the events of each typing widget that gets the focus, rather
    than every event of the application, which would cost a Python call each.
    """

    @Slot(QWidget, QWidget)
    def on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        # Installing the same filter again only moves it to the front.
        if isinstance(new, TYPING_WIDGETS):
            new.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            plain = event.modifiers() in (
                Qt.KeyboardModifier.NoModifier,
                Qt.KeyboardModifier.ShiftModifier,
            )
            guarded = event.key() in GUARDED_KEYS
            if plain and guarded and isinstance(watched, TYPING_WIDGETS):
                event.accept()
        return False


def install_keyboard(window: MainWindow) -> QAction:
    """Add Train or pause, the typing guard and Help > Keyboard shortcuts; return the last."""
    toggle = window.training.toggle_action
    window.addAction(toggle)
    training_menu = find_menu(window, "Training")
    if training_menu is not None:
        training_menu.insertAction(window.training.pause_action, toggle)

    guard = TypingGuard(window)
    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.focusChanged.connect(guard.on_focus_changed)

    help_menu = menu_named(window, "&Help")
    shortcuts = QAction("&Keyboard shortcuts", window)
    shortcuts.setShortcut(QKeySequence("F1"))
    shortcuts.setToolTip("List every key that works in this window (F1)")
    shortcuts.triggered.connect(lambda: show_shortcuts(window))
    help_menu.addAction(shortcuts)
    window.addAction(shortcuts)
    describe_dock_actions(window)
    name_keys_in_tooltips(window)
    return shortcuts


def show_shortcuts(window: MainWindow) -> None:
    dialog = ShortcutsDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialogs.run_dialog(dialog)


def describe_dock_actions(window: MainWindow) -> None:
    """Give each dock's show-or-hide action in the View menu a tooltip."""
    for title, dock in window.docks.items():
        action = dock.toggleViewAction()
        if action.toolTip() == title:
            action.setToolTip(f"Show or hide the {title} panel")


def name_keys_in_tooltips(window: MainWindow) -> None:
    """Append the keys to each written tooltip of an action that names none of its keys.

    Tooltips that were never written (Qt then shows the action's text) stay
    as they are, so the tooltip test still finds them.
    """
    for action in _window_actions(window):
        keys = [sequence.toString() for sequence in action.shortcuts()]
        tip = action.toolTip().strip()
        written = tip and tip != _plain(action.text())
        if keys and written and not names_a_key(tip, keys):
            action.setToolTip(f"{tip} ({_keys(action)})")


def names_a_key(tooltip: str, keys: list[str]) -> bool:
    """Return True when a part of ``tooltip`` in brackets names one of ``keys``.

    Only bracketed text counts, because some key names (Redo, Delete) are also
    words of a tooltip's sentence.
    """
    bracketed = " ".join(re.findall(r"\(([^)]*)\)", tooltip))
    return any(key in bracketed for key in keys)


def _window_actions(window: MainWindow) -> list[QAction]:
    actions: list[QAction] = list(window.actions())
    menus = [a.menu() for a in window.menuBar().actions()]
    while menus:
        menu = menus.pop()
        if not isinstance(menu, QMenu):
            continue
        for action in menu.actions():
            if isinstance(action.menu(), QMenu):
                menus.append(action.menu())
            else:
                actions.append(action)
    actions.extend(window.toolbar.actions())
    return list(dict.fromkeys(actions))


def shortcut_rows(window: MainWindow) -> list[tuple[str, str, str]]:
    """Return (where, action, keys) for every action of ``window`` that has a shortcut.

    Menu actions come first, in menu order, named by their menu path; actions
    that only the window owns follow, then the canvas keys.
    """
    rows: list[tuple[str, str, str]] = []
    seen: set[QAction] = set()
    for bar_action in window.menuBar().actions():
        menu = bar_action.menu()
        if isinstance(menu, QMenu):
            _menu_rows(menu, _plain(bar_action.text()), rows, seen)
    for action in window.actions():
        if action not in seen and action.shortcuts():
            seen.add(action)
            rows.append(("Window", _plain(action.text()), _keys(action)))
    rows.extend(("Canvas", what, keys) for what, keys in CANVAS_KEYS)
    return rows


def _menu_rows(
    menu: QMenu, path: str, rows: list[tuple[str, str, str]], seen: set[QAction]
) -> None:
    for action in menu.actions():
        submenu = action.menu()
        if isinstance(submenu, QMenu):
            _menu_rows(submenu, f"{path} > {_plain(action.text())}", rows, seen)
        elif action.shortcuts() and action not in seen:
            seen.add(action)
            rows.append((path, _plain(action.text()), _keys(action)))


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def _keys(action: QAction) -> str:
    return ", ".join(
        sequence.toString(QKeySequence.SequenceFormat.NativeText) for sequence in action.shortcuts()
    )


class ShortcutsDialog(QDialog):
    """A table of every shortcut of the window: menu, action and keys."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Keys"])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("Every key that works in the main window, from its menus")
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        note = QLabel(
            "Space and S do nothing while a text field, spin box, list or button has the "
            "keyboard focus: click the canvas first."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setToolTip("Close this list (Esc)")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(*DIALOG_SIZE)

    def keys_of(self, action_text: str) -> str | None:
        """Return the keys listed for the action called ``action_text`` (for tests)."""
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 1)
            if item is not None and item.text() == action_text:
                keys = self.table.item(row, 2)
                return keys.text() if keys is not None else None
        return None
