"""Single weights and biases that the user sets by hand: which one, its limits, typed values.

A WeightRef names one parameter the way the engine stores it: entry
W[row, unit] or b[unit] of a layer. The canvas names an edge by its two
neurons instead, and ``edge_ref`` translates. This module imports no Qt, so
the training worker can apply the same edits to its own copy of the network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nnstudio.engine.network import Parameters
from nnstudio.gui.stepthrough.notation import ParameterRef
from nnstudio.project.model import Project

# Hand-set values are limited to this magnitude. A larger weight saturates
# sigmoid and tanh for inputs of a few hundredths, so it is almost always a
# typing mistake. The limit also bounds the slider's range.
MAX_WEIGHT = 1000.0
WHEEL_STEP = 0.1  # one wheel notch over the selected weight
FINE_WHEEL_STEP = 0.01  # one wheel notch with Shift held


# One parameter: kind "W" is W[row, unit] of the layer, "b" is b[unit].
WeightRef = ParameterRef


@dataclass(frozen=True)
class EdgeEnds:
    """The canvas edge of a weight: from ``source_unit`` of ``source`` to ``unit`` of ``target``."""

    source: str
    source_unit: int
    target: str
    unit: int


def edge_ref(project: Project, source: str, target: str, i: int, j: int) -> WeightRef | None:
    """Return the weight on the edge from neuron ``i`` of ``source`` to ``j`` of ``target``.

    A layer's W stacks the rows of its source layers in the order of the
    project's connection list. None when the connection or a neuron does not exist.
    """
    if (source, target) not in project.connections:
        return None
    offset = project.source_row_offset(source, target)
    if not (0 <= i < project.layer(source).units and 0 <= j < project.layer(target).units):
        return None
    return WeightRef(target, "W", j, offset + i)


def edge_ends(project: Project, ref: WeightRef) -> EdgeEnds | None:
    """Return the canvas edge of weight ``ref``; None for a bias or a row that does not exist."""
    if ref.kind != "W":
        return None
    offset = 0
    for source, target in project.connections:
        if target != ref.layer:
            continue
        units = project.layer(source).units
        if offset <= ref.row < offset + units:
            return EdgeEnds(source, ref.row - offset, ref.layer, ref.unit)
        offset += units
    return None


def read_value(parameters: Parameters | None, ref: WeightRef) -> float | None:
    """Return the value of ``ref`` in ``parameters``; None when it does not exist there."""
    if parameters is None or ref.layer not in parameters:
        return None
    layer = parameters[ref.layer]
    if ref.kind == "b":
        if layer.b is None or not 0 <= ref.unit < layer.b.shape[0]:
            return None
        return float(layer.b[ref.unit])
    rows, units = layer.W.shape
    if not (0 <= ref.row < rows and 0 <= ref.unit < units):
        return None
    return float(layer.W[ref.row, ref.unit])


def write_value(parameters: Parameters, ref: WeightRef, value: float) -> None:
    """Set ``ref`` to ``value`` in place; the caller checked with read_value that it exists."""
    layer = parameters[ref.layer]
    if ref.kind == "b":
        assert layer.b is not None
        layer.b[ref.unit] = value
    else:
        layer.W[ref.row, ref.unit] = value


def parse_weight(text: str) -> float:
    """Return the number typed in ``text``; raises ValueError with a message for the user."""
    stripped = text.strip().replace("−", "-")  # also accept the minus sign the canvas shows
    if not stripped:
        raise ValueError("no value was typed; type a number such as 0.5 or -1.5")
    try:
        value = float(stripped)
    except ValueError:
        raise ValueError(
            f"{text.strip()!r} is not a number; type a number such as 0.5, -1.5 or 2e-3"
        ) from None
    return check_weight(value)


def check_weight(value: float) -> float:
    """Return ``value`` if it is a finite number within ±MAX_WEIGHT; raises ValueError otherwise."""
    limit = f"{MAX_WEIGHT:g}"
    if math.isnan(value) or math.isinf(value):
        raise ValueError(
            f"{value} is not a finite number; type a number between -{limit} and {limit}"
        )
    if abs(value) > MAX_WEIGHT:
        raise ValueError(
            f"{value:g} is outside the allowed range -{limit} to {limit}; "
            f"type a number between -{limit} and {limit}"
        )
    return value


def format_weight(value: float) -> str:
    """Format a weight with up to 6 significant digits: 0.5, -1.5, 0.123457."""
    text = f"{value:.6g}"
    return "0" if text == "-0" else text


def describe(project: Project, ref: WeightRef) -> str:
    """Return the parameter in words, such as "bias of output unit 1"."""
    if ref.kind == "b":
        return f"bias of {ref.layer} unit {ref.unit + 1}"
    ends = edge_ends(project, ref)
    if ends is None:
        return f"weight W[{ref.row + 1}, {ref.unit + 1}] of {ref.layer}"
    return f"weight {ends.source} unit {ends.source_unit + 1} → {ends.target} unit {ends.unit + 1}"
