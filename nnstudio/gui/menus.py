"""Finding and adding menus of a main window's menu bar by their title."""

from __future__ import annotations

from PySide6.QtWidgets import QMainWindow, QMenu


def find_menu(window: QMainWindow, title: str) -> QMenu | None:
    """Return the menu bar's menu called ``title`` (compared without its & mnemonic)."""
    plain = title.replace("&", "")
    for action in window.menuBar().actions():
        menu = action.menu()
        if action.text().replace("&", "") == plain and isinstance(menu, QMenu):
            return menu
    return None


def menu_named(window: QMainWindow, title: str) -> QMenu:
    """Return the menu bar's menu called ``title``, adding it at the end when missing."""
    menu = find_menu(window, title)
    if menu is None:
        menu = window.menuBar().addMenu(title)
    return menu
