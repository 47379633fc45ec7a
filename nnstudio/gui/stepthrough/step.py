"""The parts of a walkthrough step: its table rows, canvas labels and the Step itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from nnstudio.gui.stepthrough.notation import ParameterRef, format_number

StepKind = Literal["forward", "loss", "backward", "update"]
Cell = str | float
NeuronTexts = tuple[str, ...]  # a neuron's label, then shorter forms for crowded canvases


@dataclass(frozen=True)
class TableRow:
    """One row of a step's table, with the weight or bias it is about as ``parameter``."""

    cells: tuple[Cell, ...]
    parameter: ParameterRef | None = None


@dataclass(frozen=True)
class Step:
    """One step of the walkthrough, with everything the panel, canvas and matrices show.

    ``layer`` is the engine layer the step works on (None for Loss and Update).
    ``neuron_labels`` maps (layer, unit) to the texts that may stand beside a
    neuron, from the most detailed to the shortest. ``parameter_labels`` maps a
    weight or bias to the number on its edge or beside its bias marker, and
    ``legend`` describes those numbers. ``revealed`` names the layers whose
    gradients are known once this step is shown.
    """

    kind: StepKind
    title: str
    layer: str | None
    summary: str
    headers: tuple[str, ...]
    rows: tuple[TableRow, ...]
    neuron_labels: dict[tuple[str, int], NeuronTexts] = field(default_factory=dict)
    parameter_labels: dict[ParameterRef, str] = field(default_factory=dict)
    revealed: frozenset[str] = frozenset()
    legend: str = ""


def parameter_label(ref: ParameterRef, value: float, bias_prefix: str) -> str:
    """Return an edge's bare number, or a bias's number with a prefix.

    Edge and bias labels both sit left of a layer box, so the prefix distinguishes them.
    """
    number = format_number(value)
    return number if ref.kind == "W" else f"{bias_prefix}{number}"
