"""The chain rule for one weight or bias, written in the lecture's notation with numbers.

Where the lecture's own form fits, the product is written as the lecture writes
it: for the output layer of a network whose output error is ∂L/∂z = ŷ − y,

    ∂L/∂w₁⁽²⁾ = (ŷ − y) · h₁ = 1.162 × 0.99 = 1.15038

and for the layer before a single output, (ŷ − y) · w_j⁽²⁾ · x_i, with the
hidden activation's slope f′(z_j) as an extra factor when it is not linear.
Elsewhere the text uses δ_j = ∂L/∂z_j, the general form ∂L/∂w_ij = δ_j · a_i,
and gives δ_j its own product. For a batch the gradient is a sum over samples,
so the text lists the sum's terms.

The factors come from the engine's arrays; the result is always the engine's
own gradient, not the product recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nnstudio.gui.stepthrough.notation import (
    ParameterRef,
    format_factor,
    format_number,
    superscript,
)

if TYPE_CHECKING:
    from nnstudio.gui.stepthrough.walkthrough import Walkthrough

# Longer sums are summarized rather than listed term by term.
MAX_LISTED_TERMS = 6


@dataclass(frozen=True)
class Factor:
    """One factor of a chain-rule product: its derivative, its symbol, value and meaning."""

    derivative: str
    symbol: str
    value: float
    meaning: str
    # The "where" line, when "symbol = value: meaning" would leave out a fact.
    statement: str = ""

    def where(self) -> str:
        return self.statement or f"{self.symbol} = {format_number(self.value)}: {self.meaning}"


# the whole text


def chain_rule_text(walk: Walkthrough, ref: ParameterRef) -> str:
    """Return the chain-rule product for ``ref``, one statement per line."""
    if walk.gradients is None:
        return f"No gradient: {walk.backward_error}."
    if walk.batch_size > 1:
        return _batch_text(walk, ref)
    factors = _lecture_factors(walk, ref)
    explain_delta = factors is None
    if factors is None:
        factors = _general_factors(walk, ref)

    gradient = walk.notation.gradient(ref)
    symbols = " · ".join(factor.symbol for factor in factors)
    numbers = " × ".join(format_factor(factor.value) for factor in factors)
    lines = [
        f"{gradient} = {symbols} = {numbers} = {format_number(walk.gradient(ref))}",
        f"Chain rule: {gradient} = {' · '.join(factor.derivative for factor in factors)}",
    ]
    lines += [factor.where() for factor in factors]
    if explain_delta:
        lines += delta_lines(walk, ref.layer, 0, ref.unit)
    return "\n".join(lines)


def _batch_text(walk: Walkthrough, ref: ParameterRef) -> str:
    notation = walk.notation
    delta = walk.delta(ref.layer)[:, ref.unit]
    delta_symbol = notation.delta(ref.layer, ref.unit)
    if ref.kind == "W":
        source = notation.source_of(ref)
        inputs = walk.run.inputs[ref.layer][:, ref.row]
        input_symbol = notation.activation(source.source, source.unit)
        form = f"Σₙ {delta_symbol} · {input_symbol}"
        terms = [
            f"{format_factor(float(d))} × {format_factor(float(a))}"
            for d, a in zip(delta, inputs, strict=True)
        ]
    else:
        form = f"Σₙ {delta_symbol}"
        terms = [format_factor(float(d)) for d in delta]
    listed = " + ".join(terms[:MAX_LISTED_TERMS])
    if len(terms) > MAX_LISTED_TERMS:
        listed += f" + … ({len(terms)} terms)"
    return "\n".join(
        [
            f"{notation.gradient(ref)} = {form} over the {walk.batch_size} samples of the batch",
            f"= {listed} = {format_number(walk.gradient(ref))}",
            f"{delta_symbol} = ∂L/∂{notation.z(ref.layer, ref.unit)} for each sample, with the "
            f"loss's 1/N already in it; Backward: {ref.layer} lists every sample's value.",
        ]
    )


# lecture forms


def _lecture_factors(walk: Walkthrough, ref: ParameterRef) -> list[Factor] | None:
    """Return the lecture's factors for ``ref``, or None where the lecture's form does not fit."""
    if not walk.error_is_delta():
        return None
    out = walk.spec.output_name
    if ref.layer == out:
        return [
            _error_factor(walk, ref.unit),
            _last_factor(walk, ref, _output_symbol(walk, ref.unit)),
        ]
    consumers = walk.notation.consumers(ref.layer)
    slope = walk.activation_slope(ref.layer)
    if consumers != [out] or walk.spec.units(out) != 1 or slope is None:
        return None

    notation = walk.notation
    hidden = notation.activation(ref.layer, ref.unit)
    row = walk.weight_row(out, ref.layer, ref.unit)
    weight = ParameterRef(out, "W", 0, row)
    factors = [
        _error_factor(walk, 0),
        Factor(
            f"∂{_output_symbol(walk, 0)}/∂{hidden}",
            notation.parameter(weight),
            walk.value(weight),
            f"the weight from {hidden} to the output",
        ),
    ]
    activation = walk.unit_activation(ref.layer, ref.unit)
    inner = hidden
    if activation != "identity":
        z = notation.z(ref.layer, ref.unit)
        z_value = walk.run.z[ref.layer][0, ref.unit]
        factors.append(
            Factor(
                f"∂{hidden}/∂{z}",
                f"f′({z})",
                float(slope[0, ref.unit]),
                f"the slope of {activation} at {z} = {format_number(float(z_value))}",
            )
        )
        inner = z
    factors.append(_last_factor(walk, ref, inner))
    return factors


def _output_symbol(walk: Walkthrough, unit: int) -> str:
    """Return ŷ for the mean squared error, or z⁽ᴸ⁾ when the loss works from the logits."""
    out = walk.spec.output_name
    if walk.loss.name == "mse":
        return walk.notation.activation(out, unit)
    return walk.notation.z(out, unit)


def _error_factor(walk: Walkthrough, unit: int) -> Factor:
    out = walk.spec.output_name
    value = float(walk.delta(out)[0, unit])
    derivative = f"∂L/∂{_output_symbol(walk, unit)}"
    meaning = f"the output error, which is {derivative} for the {walk.loss.label.lower()}"
    statement = f"{error_text(walk, 0, unit)} = {format_number(value)}: {meaning}"
    return Factor(derivative, f"({error_symbol(walk, unit)})", value, meaning, statement)


def error_symbol(walk: Walkthrough, unit: int) -> str:
    notation = walk.notation
    return f"{notation.activation(walk.spec.output_name, unit)} − {notation.target(unit)}"


def error_text(walk: Walkthrough, n: int, unit: int) -> str:
    """Return "ŷ − y = 2.162 − 1" for sample row ``n``."""
    output = float(walk.output[n, unit])
    target = float(walk.y[n, unit])
    return f"{error_symbol(walk, unit)} = {format_number(output)} − {format_factor(target)}"


# the general form


def _general_factors(walk: Walkthrough, ref: ParameterRef) -> list[Factor]:
    notation = walk.notation
    z = notation.z(ref.layer, ref.unit)
    delta = Factor(
        f"∂L/∂{z}",
        notation.delta(ref.layer, ref.unit),
        float(walk.delta(ref.layer)[0, ref.unit]),
        f"δ, how fast the loss changes with {z}, the weighted sum of "
        f"{notation.neuron_name(ref.layer, ref.unit)}",
    )
    return [delta, _last_factor(walk, ref, z)]


def _last_factor(walk: Walkthrough, ref: ParameterRef, inner: str) -> Factor:
    """Return ∂(inner)/∂w, the input the weight multiplies, or 1 for a bias."""
    notation = walk.notation
    parameter = notation.parameter(ref)
    if ref.kind == "b":
        derivative = f"∂{inner}/∂{parameter}"
        meaning = "a bias adds to the weighted sum with slope 1"
        return Factor(derivative, "1", 1.0, meaning, f"{derivative} = 1: {meaning}")
    source = notation.source_of(ref)
    symbol = notation.activation(source.source, source.unit)
    if source.source == walk.spec.input_name:
        what = f"network input {source.unit + 1}"
    else:
        what = f"the output of {notation.neuron_name(source.source, source.unit)}"
    return Factor(
        f"∂{inner}/∂{parameter}",
        symbol,
        float(walk.run.inputs[ref.layer][0, ref.row]),
        f"{what}, which {parameter} multiplies",
    )


def delta_lines(walk: Walkthrough, layer: str, n: int, unit: int) -> list[str]:
    """Return how δ of one neuron follows from the loss or from the layers it feeds."""
    if layer == walk.spec.output_name:
        return _output_delta_lines(walk, n, unit)
    return _hidden_delta_lines(walk, layer, n, unit)


def _output_delta_lines(walk: Walkthrough, n: int, unit: int) -> list[str]:
    out = walk.spec.output_name
    delta, z = walk.notation.delta(out, unit), walk.notation.z(out, unit)
    value = format_number(float(walk.delta(out)[n, unit]))
    slope = walk.activation_slope(out)
    if walk.error_is_delta():
        return [f"{delta} = ∂L/∂{z} = {error_text(walk, n, unit)} = {value}"]
    if slope is None:
        return [
            f"{delta} = ∂L/∂{z} = {value}: ∂L/∂ŷ passed back through the softmax, "
            "which mixes every output"
        ]

    gradient = format_factor(float(walk.output_gradient()[n, unit]))
    factor = format_factor(float(slope[n, unit]))
    activation = walk.unit_activation(out, unit)
    return [
        f"{delta} = ∂L/∂ŷ · f′({z}) = {gradient} × {factor} = {value}",
        f"f = {activation} is the output activation, and ∂L/∂ŷ comes from the "
        f"{walk.loss.label.lower()}",
    ]


def _hidden_delta_lines(walk: Walkthrough, layer: str, n: int, unit: int) -> list[str]:
    notation = walk.notation
    delta, z = notation.delta(layer, unit), notation.z(layer, unit)
    value = format_number(float(walk.delta(layer)[n, unit]))
    slope = walk.activation_slope(layer)
    activation = walk.unit_activation(layer, unit)
    total = format_factor(float(walk.incoming_gradient(layer)[n, unit]))
    terms = _feed_terms(walk, layer, n, unit)

    # δ from the slope and the sum over the neurons this one feeds
    lines = []
    if slope is None:
        lines.append(f"{delta} = ∂L/∂{z} = {value}, passed back through the softmax's Jacobian")
    else:
        factor = format_factor(float(slope[n, unit]))
        lines.append(
            f"{delta} = f′({z}) · Σₖ wₖ δₖ = {factor} × {total} = {value}, with f = {activation}"
        )

    # the sum, term by term, when it is short enough to read
    if len(terms) <= MAX_LISTED_TERMS:
        symbols = " + ".join(symbol for symbol, _ in terms)
        numbers = " + ".join(number for _, number in terms)
        fed = notation.activation(layer, unit)
        total = format_number(float(walk.incoming_gradient(layer)[n, unit]))
        lines.append(f"Σₖ wₖ δₖ = {symbols} = {numbers} = {total}, over the neurons {fed} feeds")
    return lines


def _feed_terms(walk: Walkthrough, layer: str, n: int, unit: int) -> list[tuple[str, str]]:
    """Return each w · δ term of the neurons that unit ``unit`` of ``layer`` feeds."""
    notation = walk.notation
    terms = []
    for consumer in notation.consumers(layer):
        row = walk.weight_row(consumer, layer, unit)
        W = walk.network.parameters[consumer].W
        delta = walk.delta(consumer)
        for k in range(W.shape[1]):
            weight = ParameterRef(consumer, "W", k, row)
            symbol = f"{notation.parameter(weight)}·{notation.delta(consumer, k)}"
            number = f"{format_factor(float(W[row, k]))} × {format_factor(float(delta[n, k]))}"
            terms.append((symbol, number))
    return terms


# short forms for the step tables


def delta_text(walk: Walkthrough, layer: str, n: int, unit: int) -> str:
    """Return how δ of one neuron is computed, in one line for the Backward table."""
    if layer == walk.spec.output_name and walk.error_is_delta():
        text = error_text(walk, n, unit)
        return text if walk.batch_size == 1 else f"({text}) / N, N = {walk.batch_size}"
    slope = walk.activation_slope(layer)
    if layer == walk.spec.output_name or slope is None:
        return delta_lines(walk, layer, n, unit)[0].split(" = ", 2)[2]
    z = walk.notation.z(layer, unit)
    factor = format_factor(float(slope[n, unit]))
    terms = _feed_terms(walk, layer, n, unit)
    if len(terms) > MAX_LISTED_TERMS:
        total = format_factor(float(walk.incoming_gradient(layer)[n, unit]))
        return f"f′({z}) · Σₖ wₖ δₖ = {factor} × {total}"
    symbols = " + ".join(symbol for symbol, _ in terms)
    numbers = " + ".join(number for _, number in terms)
    return f"f′({z}) · ({symbols}) = {factor} × ({numbers})"


def parameter_text(walk: Walkthrough, ref: ParameterRef) -> str:
    """Return how ∂L/∂w or ∂L/∂b is computed, in one line for the Backward table."""
    notation = walk.notation
    delta_symbol = notation.delta(ref.layer, ref.unit)
    if ref.kind == "b":
        if walk.batch_size > 1:
            return f"Σₙ {delta_symbol} over {walk.batch_size} samples"
        return f"{delta_symbol} × 1"
    source = notation.source_of(ref)
    input_symbol = notation.activation(source.source, source.unit)
    if walk.batch_size > 1:
        return f"Σₙ {delta_symbol}·{input_symbol} over {walk.batch_size} samples"
    delta = float(walk.delta(ref.layer)[0, ref.unit])
    value = float(walk.run.inputs[ref.layer][0, ref.row])
    return f"{delta_symbol} · {input_symbol} = {format_factor(delta)} × {format_factor(value)}"


def matrix_summary(walk: Walkthrough, layer: str) -> str:
    """Return the Backward step's formulas for the whole layer, in matrix form."""
    notation = walk.notation
    number = notation.number(layer)
    level = superscript(number)
    sources = [notation.activation_vector(source) for source in walk.spec.layer(layer).inputs]
    source = sources[0] if len(sources) == 1 else f"[{' '.join(sources)}]"
    lines = [_delta_formula(walk, layer, level)]
    has_bias = walk.network.parameters[layer].b is not None
    gradient = f"∂L/∂W{level} = {source}ᵀ δ{level}"
    if has_bias:
        gradient += f",   ∂L/∂b{level} = Σₙ δ{level}"
    lines.append(gradient)
    lecture = _lecture_summary(walk, layer, has_bias)
    if lecture:
        lines.append(f"The lecture's summary in matrix form: {lecture}")
    return "\n".join(lines)


def _delta_formula(walk: Walkthrough, layer: str, level: str) -> str:
    notation = walk.notation
    if layer == walk.spec.output_name:
        if walk.error_is_delta():
            error = "ŷ − y" if walk.batch_size == 1 else "(ŷ − y) / N"
            return f"δ{level} = ∂L/∂z{level} = {error}"
        return f"δ{level} = ∂L/∂z{level} = ∂L/∂ŷ ⊙ f′(z{level})"
    parts, shared = [], False
    for consumer in notation.consumers(layer):
        other = superscript(notation.number(consumer))
        parts.append(f"δ{other} W{other}ᵀ")
        shared = shared or len(walk.spec.layer(consumer).inputs) > 1
    formula = f"δ{level} = ∂L/∂z{level} = f′(z{level}) ⊙ ({' + '.join(parts)})"
    if shared:
        formula += f", each W taking only the rows that layer {notation.number(layer)} feeds"
    return formula


def _lecture_summary(walk: Walkthrough, layer: str, has_bias: bool) -> str | None:
    """Return the lecture's matrix formulas when the network is the lecture's kind."""
    spec = walk.spec
    if len(spec.order) != 2 or not walk.error_is_delta() or spec.units(spec.output_name) != 1:
        return None
    hidden = spec.order[0]
    linear = spec.layer(hidden).unit_activations() == ("identity",) * spec.units(hidden)
    if not linear or spec.layer(spec.output_name).inputs != (hidden,):
        return None
    if layer == spec.output_name:
        weights, bias = "∂L/∂W⁽²⁾ = (ŷ − y)(XW⁽¹⁾ + b⁽¹⁾)", "∂L/∂b⁽²⁾ = (ŷ − y)"
    else:
        weights, bias = "∂L/∂W⁽¹⁾ = (ŷ − y)W⁽²⁾X", "∂L/∂b⁽¹⁾ = (ŷ − y)W⁽²⁾"
    return f"{weights},   {bias}" if has_bias else weights
