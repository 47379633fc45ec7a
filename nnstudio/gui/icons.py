"""Icons shipped in nnstudio/resources/icons, found the same way from a checkout or a wheel."""

from __future__ import annotations

from importlib import resources

from PySide6.QtGui import QIcon, QPixmap


def icon_path(name: str) -> str:
    """Return the file path of the SVG icon ``name`` (without extension)."""
    return str(resources.files("nnstudio.resources") / "icons" / f"{name}.svg")


def icon(name: str) -> QIcon:
    """Load the SVG icon ``name``; raises FileNotFoundError when it is not shipped."""
    path = icon_path(name)
    if QPixmap(path).isNull():
        raise FileNotFoundError(f"icon {name!r} not found or unreadable at {path}")
    return QIcon(path)
