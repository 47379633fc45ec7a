"""New, Open, Save, Save As and Recent files, with the unsaved-changes prompt."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from nnstudio.gui import dialogs
from nnstudio.gui.document import ProjectDocument
from nnstudio.project.fields import ProjectError
from nnstudio.project.fileformat import CsvDeclined, load_project, save_project
from nnstudio.project.model import default_project

log = logging.getLogger(__name__)

MAX_RECENT = 8


class FileActions(QObject):
    """Owns the File menu's actions and carries them out on the document.

    Signals:
        before_replace: emitted before another project replaces the open one, so
            that a running training can stop first.
        status(str): a short message for the status bar.
    """

    before_replace = Signal()
    status = Signal(str)

    def __init__(self, window: QWidget, document: ProjectDocument) -> None:
        super().__init__(window)
        self.window = window
        self.document = document
        self.new_action = _action(self, "&New", QKeySequence.StandardKey.New, self.new_project)
        self.open_action = _action(self, "&Open…", QKeySequence.StandardKey.Open, self.open_dialog)
        self.save_action = _action(self, "&Save", QKeySequence.StandardKey.Save, self.save)
        self.save_as_action = _action(
            self, "Save &As…", QKeySequence.StandardKey.SaveAs, self.save_as
        )
        self.new_action.setToolTip("Start a new project (Ctrl+N)")
        self.open_action.setToolTip("Open a project file (Ctrl+O)")
        self.save_action.setToolTip("Save the project (Ctrl+S)")
        self.save_as_action.setToolTip("Save the project under a new name")
        self.recent_menu = QMenu("Open &Recent", window)
        self.examples_menu = QMenu("Open &Example", window)
        self._fill_examples()
        self._fill_recent()

    # commands

    def new_project(self) -> bool:
        if not self.confirm_discard():
            return False
        self.before_replace.emit()
        self.document.replace(default_project(), None)
        self.status.emit("New project")
        return True

    def open_dialog(self) -> bool:
        if not self.confirm_discard():
            return False
        path = dialogs.ask_open_path(self.window, self._last_folder())
        if path is None:
            return False
        return self.open_path(path, confirmed=True)

    def open_path(self, path: Path, confirmed: bool = False) -> bool:
        """Open ``path``; on a bad file show why and keep the current project untouched."""
        if not confirmed and not self.confirm_discard():
            return False
        try:
            project = load_project(path, confirm_csv=lambda csv: self._confirm_csv(path, csv))
        except CsvDeclined as declined:
            log.info("did not open %s: the user declined to read %s", path, declined.path)
            self.status.emit(f"Did not open {path.name}")
            return False
        except ProjectError as error:
            log.warning("could not open a project: %s", error)
            dialogs.show_error(self.window, "Cannot open project", str(error))
            return False
        self.before_replace.emit()
        self.document.replace(project, path.resolve())
        self._remember(path.resolve())
        self.status.emit(f"Opened {path.name}")
        return True

    def open_example(self, name: str) -> bool:
        """Open a bundled example as an untitled copy, so saving never writes into the package."""
        if not self.confirm_discard():
            return False
        source = resources.files("nnstudio.examples") / name
        try:
            with resources.as_file(source) as path:
                project = load_project(path)
        except ProjectError as error:
            dialogs.show_error(self.window, "Cannot open example", str(error))
            return False
        self.before_replace.emit()
        self.document.replace(project, None)
        self.status.emit(f"Opened example {name}")
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._write(self.document.path)

    def save_as(self) -> bool:
        suggestion = str(self.document.path or Path(self._last_folder()) / "untitled.nnproj")
        path = dialogs.ask_save_path(self.window, suggestion)
        if path is None:
            return False
        return self._write(path)

    def confirm_discard(self) -> bool:
        """Return True when the open project may be replaced (saved, discarded or unchanged)."""
        if not self.document.is_modified():
            return True
        answer = dialogs.ask_save_changes(self.window, self.document.display_name())
        if answer == "save":
            return self.save()
        return answer == "discard"

    # helpers

    def _confirm_csv(self, project: Path, csv: Path) -> bool:
        # A project file from elsewhere could name any file on this computer as its data.
        return dialogs.ask_read_outside_csv(self.window, project.absolute(), csv)

    def _write(self, path: Path) -> bool:
        try:
            save_project(self.document.project, path)
        except OSError as error:
            log.warning("could not save %s: %s", path, error)
            dialogs.show_error(
                self.window,
                "Cannot save project",
                f"{path}: {error.strerror or error}. The previous file, if any, is unchanged; "
                "choose another folder with Save As.",
            )
            return False
        self.document.mark_saved(path.resolve())
        self._remember(path.resolve())
        self.status.emit(f"Saved {path.name}")
        return True

    def _remember(self, path: Path) -> None:
        settings = QSettings()
        recent = [str(path)] + [p for p in _recent_list(settings) if p != str(path)]
        settings.setValue("recent_files", recent[:MAX_RECENT])
        settings.setValue("last_folder", str(path.parent))
        self._fill_recent()

    def _last_folder(self) -> str:
        return str(QSettings().value("last_folder", str(Path.home())))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = _recent_list(QSettings())
        for index, name in enumerate(paths, start=1):
            action = self.recent_menu.addAction(f"&{index} {name}")
            action.setToolTip(f"Open {name}")
            action.triggered.connect(lambda _checked=False, p=name: self.open_path(Path(p)))
        self.recent_menu.setEnabled(bool(paths))

    def _fill_examples(self) -> None:
        names = sorted(
            entry.name
            for entry in resources.files("nnstudio.examples").iterdir()
            if entry.name.endswith(".nnproj")
        )
        for name in names:
            action = self.examples_menu.addAction(name.removesuffix(".nnproj"))
            action.setToolTip(f"Open the example project {name} (a copy; the example stays)")
            action.triggered.connect(lambda _checked=False, n=name: self.open_example(n))


def _recent_list(settings: QSettings) -> list[str]:
    # QSettings may hand back a single string or None instead of a list.
    value = settings.value("recent_files", [])
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value or []]


def _action(
    parent: QObject, text: str, shortcut: QKeySequence.StandardKey, slot: object
) -> QAction:
    action = QAction(text, parent)
    action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    return action
