"""Combo boxes whose items carry a key (the value saved in the project) beside their label."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox


def keyed_combo(labels: dict[str, str]) -> QComboBox:
    """Return a combo box with one item per (key, label), the key as the item's data."""
    combo = QComboBox()
    for key, label in labels.items():
        combo.addItem(label, key)
    return combo


def select_key(combo: QComboBox, key: str) -> None:
    """Make the item with data ``key`` current; an unknown key leaves the choice as it is."""
    index = combo.findData(key)
    if index >= 0:
        combo.setCurrentIndex(index)
