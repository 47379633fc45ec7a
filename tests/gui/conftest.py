"""GUI test setup: settings in a temporary folder and a main-window factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

from nnstudio.gui import dialogs
from nnstudio.gui.app import create_application
from nnstudio.gui.main_window import MainWindow
from nnstudio.project.model import Project


@pytest.fixture(autouse=True)
def isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Keep recent files, window layout and autosaves of tests out of the user's real folders."""
    folder = tmp_path_factory.mktemp("settings")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QCoreApplication.setOrganizationName("nnstudio-tests")
    yield
    QSettings().clear()


@pytest.fixture(autouse=True)
def messages(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Record error and warning dialogs instead of showing them; closing discards changes.

    A test that checks the unsaved-changes prompt patches ask_save_changes itself.
    """
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        dialogs, "show_error", lambda _parent, title, text: shown.append((title, text))
    )
    monkeypatch.setattr(
        dialogs, "show_warning", lambda _parent, title, text: shown.append((title, text))
    )
    monkeypatch.setattr(
        dialogs,
        "show_details",
        lambda _parent, title, text, details: shown.append((title, f"{text}\n{details}")),
    )
    monkeypatch.setattr(dialogs, "ask_save_changes", lambda _parent, _name: "discard")
    return shown


@pytest.fixture
def make_window(qtbot: object) -> Iterator[Callable[..., MainWindow]]:
    """Return a function that opens a main window; every window is shut down afterwards."""
    create_application()
    QCoreApplication.setOrganizationName("nnstudio-tests")
    windows: list[MainWindow] = []

    def make(project: Project | None = None, path: Path | None = None) -> MainWindow:
        window = MainWindow(project)
        if path is not None:
            assert window.open_path(path)
        qtbot.addWidget(window)  # type: ignore[attr-defined]
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.training.shutdown()
