"""The backpropagation lecture's notation for one network, and number formatting.

Layers are numbered as the lecture numbers them: the input is layer 0 and the
first dense layer is layer 1, so W⁽¹⁾ is the first weight matrix. Indices are
1-based: w₁₂⁽¹⁾ is the weight from input 1 to unit 2 of layer 1, the entry
W⁽¹⁾[0, 1] of the engine's (inputs, units) matrix. A layer with a single unit
drops the unit index, as the lecture writes w₁⁽²⁾ and b⁽²⁾.

The lecture names the inputs x, the hidden outputs h and the network output ŷ.
Networks with more than one hidden layer use a⁽ˡ⁾ for hidden outputs instead.
This module imports no Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from nnstudio.engine.graph import NetworkSpec

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPTS = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")

SIGNIFICANT_DIGITS = 6


def format_number(value: float) -> str:
    """Format ``value`` with up to 6 significant digits and no trailing zeros: 2.162, 1.15038."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:.{SIGNIFICANT_DIGITS}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return "0" if text == "-0" else text


def format_factor(value: float) -> str:
    """Format ``value`` for a product, in brackets when negative: 2 × (-0.78)."""
    text = format_number(value)
    return f"({text})" if text.startswith("-") else text


def subscript(*indices: int) -> str:
    """Return 1-based indices as subscripts, with a comma only when one has two digits."""
    parts = [str(index) for index in indices]
    joiner = "," if any(len(part) > 1 for part in parts) else ""
    return joiner.join(parts).translate(_SUBSCRIPTS)


def superscript(layer_number: int) -> str:
    return f"({layer_number})".translate(_SUPERSCRIPTS)


@dataclass(frozen=True)
class ParameterRef:
    """One weight or bias: ``kind`` "W" is W[row, unit] of ``layer``, "b" is b[unit]."""

    layer: str
    kind: Literal["W", "b"]
    unit: int
    row: int = 0


@dataclass(frozen=True)
class InputRow:
    """The source of row ``row`` of a layer's W: unit ``unit`` of layer ``source``."""

    row: int
    source: str
    unit: int


class Notation:
    """Symbols of the lecture for the layers, neurons and parameters of ``spec``."""

    def __init__(self, spec: NetworkSpec) -> None:
        self.spec = spec
        self.numbers = {name: index + 1 for index, name in enumerate(spec.order)}
        self.numbers[spec.input_name] = 0
        # The lecture's h is "the output of the hidden layer": one hidden layer only.
        self.single_hidden = len(spec.order) == 2

    # layers

    def number(self, layer: str) -> int:
        return self.numbers[layer]

    def units(self, layer: str) -> int:
        return self.spec.units(layer)

    def layer_title(self, layer: str) -> str:
        """Return a title such as "layer 1 (hidden 1)". The input layer is layer 0."""
        return f"layer {self.number(layer)} ({layer})"

    def input_rows(self, layer: str) -> list[InputRow]:
        """Return the source neuron of each row of ``layer``'s W, in row order."""
        rows: list[InputRow] = []
        for source in self.spec.layer(layer).inputs:
            for unit in range(self.spec.units(source)):
                rows.append(InputRow(len(rows), source, unit))
        return rows

    def consumers(self, layer: str) -> list[str]:
        """Return the layers that ``layer`` feeds, in network order."""
        return [name for name in self.spec.order if layer in self.spec.layer(name).inputs]

    # neurons

    def activation(self, layer: str, unit: int) -> str:
        """Return the symbol of a neuron's output: x₁, h₂, ŷ, ŷ₂ or a₃⁽²⁾."""
        if layer == self.spec.input_name:
            return f"x{subscript(unit + 1)}"
        if layer == self.spec.output_name:
            return "ŷ" if self.units(layer) == 1 else f"ŷ{subscript(unit + 1)}"
        if self.single_hidden:
            return f"h{subscript(unit + 1)}"
        return f"a{subscript(unit + 1)}{superscript(self.number(layer))}"

    def activation_vector(self, layer: str) -> str:
        """Return the symbol of a whole layer's output: x, h, ŷ or a⁽²⁾."""
        if layer == self.spec.input_name:
            return "x"
        if layer == self.spec.output_name:
            return "ŷ"
        if self.single_hidden:
            return "h"
        return f"a{superscript(self.number(layer))}"

    def target(self, unit: int) -> str:
        return "y" if self.units(self.spec.output_name) == 1 else f"y{subscript(unit + 1)}"

    def z(self, layer: str, unit: int) -> str:
        return f"z{self._unit_index(layer, unit)}{superscript(self.number(layer))}"

    def delta(self, layer: str, unit: int) -> str:
        return f"δ{self._unit_index(layer, unit)}{superscript(self.number(layer))}"

    def _unit_index(self, layer: str, unit: int) -> str:
        return "" if self.units(layer) == 1 else subscript(unit + 1)

    # parameters

    def parameter(self, ref: ParameterRef) -> str:
        """Return w₁₂⁽¹⁾, w₁⁽²⁾ (single-unit layer), b₂⁽¹⁾ or b⁽²⁾."""
        level = superscript(self.number(ref.layer))
        single = self.units(ref.layer) == 1
        if ref.kind == "b":
            return f"b{'' if single else subscript(ref.unit + 1)}{level}"
        indices = (ref.row + 1,) if single else (ref.row + 1, ref.unit + 1)
        return f"w{subscript(*indices)}{level}"

    def gradient(self, ref: ParameterRef) -> str:
        return f"∂L/∂{self.parameter(ref)}"

    def source_of(self, ref: ParameterRef) -> InputRow:
        """Return the neuron whose output weight ``ref`` multiplies."""
        return self.input_rows(ref.layer)[ref.row]

    def edge_name(self, ref: ParameterRef) -> str:
        """Return the edge in words: "x₁ → unit 2 of hidden 1"."""
        source = self.source_of(ref)
        start = self.activation(source.source, source.unit)
        return f"{start} → {self.neuron_name(ref.layer, ref.unit)}"

    def neuron_name(self, layer: str, unit: int) -> str:
        return f"unit {unit + 1} of {layer}"
