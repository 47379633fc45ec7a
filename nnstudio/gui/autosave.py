"""Autosave while a project has unsaved changes, and recovery after a crash.

Each running window owns one autosave slot in the user's data folder: a copy of
the project (``<id>.nnproj``), a note of where it came from (``<id>.json``) and
a lock file (``<id>.lock``) held while the window lives. A slot whose lock can
be taken belongs to a process that ended without cleaning up, which is what a
crash or a killed process leaves behind, and the next start offers it back.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer

from nnstudio.gui.document import ProjectDocument
from nnstudio.project.fields import ProjectError
from nnstudio.project.fileformat import load_project, save_project
from nnstudio.project.model import Project

log = logging.getLogger(__name__)

AUTOSAVE_INTERVAL_MS = 60_000
# Tests and impatient users can shorten the interval; any positive whole number of ms.
INTERVAL_VARIABLE = "NNSTUDIO_AUTOSAVE_MS"


def autosave_folder() -> Path:
    """Return the folder for autosave slots, inside the user's data folder."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location) / "autosave"


def autosave_interval() -> int:
    text = os.environ.get(INTERVAL_VARIABLE, "")
    return int(text) if text.isdigit() and int(text) > 0 else AUTOSAVE_INTERVAL_MS


@dataclass
class Recovery:
    """A project left behind by a window that did not close normally."""

    project: Project
    original_path: Path | None
    saved_at: str
    slot: Path  # the slot's project file; its note and lock sit beside it

    def discard(self) -> None:
        _remove_slot(self.slot)


class Autosaver(QObject):
    """Writes the document to its slot every interval while it has unsaved changes."""

    def __init__(self, document: ProjectDocument, interval_ms: int | None = None) -> None:
        super().__init__(document)
        self.document = document
        self.folder = autosave_folder()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.slot = self.folder / f"{uuid.uuid4().hex}.nnproj"
        self._lock = QLockFile(str(self.slot.with_suffix(".lock")))
        self._lock.setStaleLockTime(0)  # a lock lives as long as its process, however long
        self._lock.tryLock(0)
        self._closed = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.save_now)
        self.timer.start(interval_ms or autosave_interval())
        document.undo_stack.cleanChanged.connect(self._on_clean_changed)
        document.path_changed.connect(self._on_path_changed)

    def save_now(self) -> bool:
        """Write the autosave copy if there are unsaved changes; return True when written."""
        if not self.document.is_modified():
            return False
        try:
            save_project(self.document.project, self.slot)
            note = {
                "original_path": str(self.document.path) if self.document.path else None,
                "saved_at": _now(),
            }
            self.slot.with_suffix(".json").write_text(json.dumps(note), encoding="utf-8")
        except OSError as error:
            # Autosave is a safety net: a failure is logged, and the user's own
            # Save still reports its errors.
            log.warning("autosave to %s failed: %s", self.slot, error)
            return False
        return True

    def close(self, keep_changes: bool = False) -> None:
        """Release the slot's lock and stop autosaving. Later calls do nothing.

        After a normal close the slot is removed, because nothing is left to
        recover. With ``keep_changes`` (a session that ends without asking),
        unsaved changes are written to the slot first and the slot stays, so
        the next start offers them back as after a crash.
        """
        if self._closed:
            return
        self._closed = True
        self.timer.stop()

        if keep_changes and self.document.is_modified():
            if self.save_now():
                log.info("unsaved changes kept for recovery in %s", self.slot)
            else:
                log.error(
                    "the last autosave to %s failed, so changes since then are lost", self.slot
                )
        else:
            _remove_slot(self.slot)

        self._lock.unlock()
        self.slot.with_suffix(".lock").unlink(missing_ok=True)

    def _on_clean_changed(self, clean: bool) -> None:
        # Uses the signal's value: the stack also emits this while it is being destroyed.
        # After close, a kept slot must survive that.
        if clean and not self._closed and not self.document.has_changes_outside_undo():
            _remove_slot(self.slot, keep_lock=True)

    def _on_path_changed(self) -> None:
        if not self._closed and not self.document.is_modified():
            _remove_slot(self.slot, keep_lock=True)


def find_recoveries() -> list[Recovery]:
    """Return the projects left by windows that ended without closing; skips unreadable ones."""
    folder = autosave_folder()
    if not folder.is_dir():
        return []
    found = []
    for slot in sorted(folder.glob("*.nnproj")):
        lock = QLockFile(str(slot.with_suffix(".lock")))
        if not lock.tryLock(0):
            continue  # a running window owns it
        lock.unlock()
        recovery = _read_slot(slot)
        if recovery is not None:
            found.append(recovery)
    return found


def _read_slot(slot: Path) -> Recovery | None:
    try:
        project = load_project(slot)
        note = json.loads(slot.with_suffix(".json").read_text(encoding="utf-8"))
    except (ProjectError, OSError, ValueError) as error:
        log.warning("ignoring unreadable autosave %s: %s", slot, error)
        _remove_slot(slot)
        return None
    original = note.get("original_path")
    return Recovery(project, Path(original) if original else None, str(note.get("saved_at")), slot)


def _remove_slot(slot: Path, keep_lock: bool = False) -> None:
    slot.unlink(missing_ok=True)
    slot.with_suffix(".json").unlink(missing_ok=True)
    if not keep_lock:
        slot.with_suffix(".lock").unlink(missing_ok=True)


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")
