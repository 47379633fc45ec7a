"""The open project in the GUI: the Project, its file path and its undo stack.

Views observe the document's signals and change it only through undo commands
(gui/commands.py), so every edit can be undone. Training results arrive through
``set_training_state``, which is not an edit and therefore not undoable.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from nnstudio.engine.errors import GraphError
from nnstudio.engine.network import Parameters, copy_parameters
from nnstudio.engine.training import History
from nnstudio.project.datasets import Dataset
from nnstudio.project.model import Layer, Project, Settings

log = logging.getLogger(__name__)


@dataclass
class Snapshot:
    """A copy of the parts of a project that an edit can change."""

    layers: list[Layer]
    connections: list[tuple[str, str]]
    dataset: Dataset
    settings: Settings
    initial_parameters: Parameters | None
    parameters: Parameters | None
    # History objects are replaced, never changed in place, so a reference is enough.
    history: History


class ProjectDocument(QObject):
    """The open project, its path and its undo stack.

    Signals:
        structure_changed: layers, connections, units or activations changed.
        layer_moved(str): a layer's canvas position changed.
        parameters_changed: the weights changed (edit, reset or training).
        history_changed: the loss history changed.
        settings_changed: a training setting or the dataset changed.
        project_replaced: a different project was loaded or created.
        path_changed: the file path changed.
    """

    structure_changed = Signal()
    layer_moved = Signal(str)
    parameters_changed = Signal()
    history_changed = Signal()
    settings_changed = Signal()
    project_replaced = Signal()
    path_changed = Signal()

    def __init__(self, project: Project, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.path: Path | None = None
        self.undo_stack = QUndoStack(self)
        # Training changes weights without an undo command; this flag keeps the
        # "unsaved changes" state right after it.
        self._trained_since_save = False

    # whole-project changes

    def replace(self, project: Project, path: Path | None) -> None:
        """Show another project (New or Open); clears the undo history."""
        self.project = project
        self.path = path
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self._trained_since_save = False
        self.project_replaced.emit()
        self.path_changed.emit()

    def mark_saved(self, path: Path) -> None:
        self.path = path
        self.undo_stack.setClean()
        self._trained_since_save = False
        self.path_changed.emit()

    def mark_modified(self) -> None:
        """Mark changes that no undo command holds, such as a recovered autosave copy."""
        self._trained_since_save = True
        self.path_changed.emit()

    def has_changes_outside_undo(self) -> bool:
        """Return True after training or a recovery changed the project since the last save."""
        return self._trained_since_save

    def is_modified(self) -> bool:
        return self._trained_since_save or not self.undo_stack.isClean()

    def display_name(self) -> str:
        return self.path.name if self.path else "Untitled"

    # the drawing

    def graph_error(self) -> str | None:
        """Return why the drawing is not a valid network, or None when it is one."""
        try:
            self.project.network_spec()
        except GraphError as error:
            return str(error)
        return None

    def refresh_weights(self) -> None:
        """Draw new first weights after a change of shape; none while the drawing is invalid."""
        try:
            self.project.reinitialize()
        except GraphError:
            self.project.initial_parameters = None
            self.project.parameters = None
            self.project.history = History()

    # training results

    def set_training_state(self, parameters: Parameters, history: History) -> None:
        """Store weights and history sent by the training worker."""
        self.project.parameters = parameters
        self.project.history = history
        self._trained_since_save = True
        self.parameters_changed.emit()
        self.history_changed.emit()

    # snapshots for undo commands

    def snapshot(self) -> Snapshot:
        p = self.project
        return Snapshot(
            copy.deepcopy(p.layers),
            list(p.connections),
            p.dataset.copy(),
            copy.deepcopy(p.settings),
            None if p.initial_parameters is None else copy_parameters(p.initial_parameters),
            None if p.parameters is None else copy_parameters(p.parameters),
            p.history,
        )

    def restore(self, snapshot: Snapshot, with_weights: bool) -> None:
        """Put a snapshot back; the weights and history only when ``with_weights``."""
        p = self.project
        p.layers = copy.deepcopy(snapshot.layers)
        p.connections = list(snapshot.connections)
        p.dataset = snapshot.dataset.copy()
        p.settings = copy.deepcopy(snapshot.settings)
        if with_weights:
            p.initial_parameters = _copy_or_none(snapshot.initial_parameters)
            p.parameters = _copy_or_none(snapshot.parameters)
            p.history = snapshot.history
        self.emit_all()

    def emit_all(self) -> None:
        self.structure_changed.emit()
        self.settings_changed.emit()
        self.parameters_changed.emit()
        self.history_changed.emit()


def _copy_or_none(parameters: Parameters | None) -> Parameters | None:
    return None if parameters is None else copy_parameters(parameters)
