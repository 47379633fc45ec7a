"""Undo commands: every edit of the project goes through one of these.

Each command applies a small function to the project and keeps snapshots from
before and after it, so undo and redo restore exactly what was there. An edit
that changes the network's shape draws new first weights (from the seed);
undoing it brings the previous weights and history back.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from nnstudio.gui.document import ProjectDocument, Snapshot
from nnstudio.gui.weight_values import WeightRef
from nnstudio.project.datasets import Dataset
from nnstudio.project.model import INPUT, OUTPUT, Layer, Project

Edit = Callable[[Project], None]


KEEP_WEIGHTS = "keep"  # the edit leaves weights and history alone
REDRAW_WEIGHTS = "redraw"  # the network's shape changed: draw new first weights
EDITS_WEIGHTS = "edits"  # the edit itself changes the weights


class ProjectCommand(QUndoCommand):
    """Apply ``edit`` to the project.

    ``weights`` is KEEP_WEIGHTS, REDRAW_WEIGHTS or EDITS_WEIGHTS.
    """

    def __init__(self, document: ProjectDocument, text: str, edit: Edit, weights: str) -> None:
        super().__init__(text)
        self.document = document
        self.edit = edit
        self.weights = weights
        self.before: Snapshot | None = None
        self.after: Snapshot | None = None

    def redo(self) -> None:
        with_weights = self.weights != KEEP_WEIGHTS
        if self.after is not None:
            self.document.restore(self.after, with_weights)
            return
        self.before = self.document.snapshot()
        self.edit(self.document.project)
        if self.weights == REDRAW_WEIGHTS:
            self.document.refresh_weights()
        self.after = self.document.snapshot()
        self.document.emit_all()

    def undo(self) -> None:
        assert self.before is not None
        self.document.restore(self.before, self.weights != KEEP_WEIGHTS)


# The id that lets QUndoStack try to merge consecutive SetWeightCommands.
SET_WEIGHT_ID = 4101


class SetWeightCommand(QUndoCommand):
    """Set one weight or bias by hand, through ``apply(ref, value)``.

    Commands that share a ``gesture`` (one slider drag, or a run of wheel steps
    on one weight) merge into one undo step that goes from the first old value
    to the last new one. A gesture of None never merges, so each typed value
    is a step of its own.
    """

    def __init__(
        self,
        apply: Callable[[WeightRef, float], None],
        ref: WeightRef,
        old: float,
        new: float,
        text: str,
        gesture: int | None = None,
    ) -> None:
        super().__init__(text)
        self.apply = apply
        self.ref = ref
        self.old = old
        self.new = new
        self.gesture = gesture

    def id(self) -> int:
        return SET_WEIGHT_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetWeightCommand) or self.gesture is None:
            return False
        if other.gesture != self.gesture or other.ref != self.ref:
            return False
        self.new = other.new
        self.setText(other.text())
        # A drag that ends where it began leaves nothing to undo; the stack drops the step.
        self.setObsolete(self.new == self.old)
        return True

    def redo(self) -> None:
        self.apply(self.ref, self.new)

    def undo(self) -> None:
        self.apply(self.ref, self.old)


class MoveLayerCommand(QUndoCommand):
    """Move a layer on the canvas; the canvas pushes one per finished drag."""

    def __init__(
        self,
        document: ProjectDocument,
        name: str,
        old: tuple[float, float],
        new: tuple[float, float],
    ) -> None:
        super().__init__(f"Move {name}")
        self.document = document
        self.name = name
        self.old = old
        self.new = new

    def redo(self) -> None:
        self._place(self.new)

    def undo(self) -> None:
        self._place(self.old)

    def _place(self, position: tuple[float, float]) -> None:
        self.document.project.layer(self.name).position = position
        self.document.layer_moved.emit(self.name)


# Factories for the edits the views make. Each returns a command to push.


def add_layer(
    document: ProjectDocument,
    position: tuple[float, float],
    units: int = 3,
    activation: str = "tanh",
) -> ProjectCommand:
    """Add an unconnected hidden layer; the drawing then needs connections to be valid."""
    name = document.project.new_layer_name()

    def edit(project: Project) -> None:
        project.layers.append(Layer(name, "hidden", units, activation, position=position))

    return ProjectCommand(document, f"Add {name}", edit, REDRAW_WEIGHTS)


def remove_items(
    document: ProjectDocument, layers: list[str], connections: list[tuple[str, str]]
) -> ProjectCommand:
    """Delete hidden layers (with their connections) and connections."""
    doomed = [name for name in layers if name not in (INPUT, OUTPUT)]

    def edit(project: Project) -> None:
        project.layers = [layer for layer in project.layers if layer.name not in doomed]
        project.connections = [
            pair
            for pair in project.connections
            if pair not in connections and pair[0] not in doomed and pair[1] not in doomed
        ]

    parts = doomed + [f"{a} → {b}" for a, b in connections]
    return ProjectCommand(document, f"Delete {', '.join(parts)}", edit, REDRAW_WEIGHTS)


def paste_layers(
    document: ProjectDocument, layers: list[Layer], connections: list[tuple[str, str]]
) -> ProjectCommand:
    """Add copies of hidden layers, already renamed, with the connections among them."""

    def edit(project: Project) -> None:
        project.layers.extend(copy.deepcopy(layers))
        project.connections.extend(connections)

    names = ", ".join(layer.name for layer in layers)
    return ProjectCommand(document, f"Paste {names}", edit, REDRAW_WEIGHTS)


def connect_layers(document: ProjectDocument, source: str, target: str) -> ProjectCommand | None:
    """Connect ``source`` to ``target``; None when that is not a connection one can draw."""
    project = document.project
    drawn = project.connections
    invalid = target == INPUT or source in (target, OUTPUT)
    if invalid or (source, target) in drawn or (target, source) in drawn:
        return None

    def edit(project: Project) -> None:
        project.connections.append((source, target))

    return ProjectCommand(document, f"Connect {source} → {target}", edit, REDRAW_WEIGHTS)


def set_layer(document: ProjectDocument, name: str, **changes: Any) -> ProjectCommand:
    """Change fields of a layer: units, activation, bias or slope."""

    def edit(project: Project) -> None:
        layer = project.layer(name)
        for key, value in changes.items():
            setattr(layer, key, value)

    described = ", ".join(f"{key} {value}" for key, value in changes.items())
    return ProjectCommand(document, f"Set {name} {described}", edit, REDRAW_WEIGHTS)


# Settings that decide the first weights: changing them redraws the weights.
RESHAPING_SETTINGS = {"seed", "initializer", "init_scale", "bias_init", "bias_value", "dtype"}


def set_setting(document: ProjectDocument, key: str, value: Any) -> ProjectCommand:
    """Change one training setting; seed and initializer also redraw the first weights."""

    def edit(project: Project) -> None:
        setattr(project.settings, key, value)

    label = key.replace("_", " ")
    weights = REDRAW_WEIGHTS if key in RESHAPING_SETTINGS else KEEP_WEIGHTS
    return ProjectCommand(document, f"Set {label} to {value}", edit, weights)


def set_dataset(document: ProjectDocument, dataset: Dataset) -> ProjectCommand:
    """Use another dataset; the input and output layers resize to fit it."""

    def edit(project: Project) -> None:
        project.set_dataset(dataset.copy())

    return ProjectCommand(document, f"Use dataset {dataset.name}", edit, REDRAW_WEIGHTS)


def reset_weights(document: ProjectDocument) -> ProjectCommand:
    """Go back to the first weights exactly and clear the loss history."""

    def edit(project: Project) -> None:
        project.reset_weights()

    return ProjectCommand(document, "Reset weights", edit, EDITS_WEIGHTS)
