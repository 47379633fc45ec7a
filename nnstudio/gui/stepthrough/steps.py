"""The steps of a walkthrough: Forward per layer, Loss, Backward per layer, Update.

Each builder reads the engine's arrays that a Walkthrough keeps and turns them
into a table, a summary in the lecture's notation, and the labels the canvas
shows. The Update step is built in update_step.py. Floats stay floats, so the
view formats them with format_number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnstudio.gui.stepthrough.chain_rule import (
    delta_text,
    matrix_summary,
    parameter_text,
)
from nnstudio.gui.stepthrough.notation import (
    ParameterRef,
    format_factor,
    format_number,
    superscript,
)
from nnstudio.gui.stepthrough.step import (
    Cell,
    NeuronTexts,
    Step,
    TableRow,
    parameter_label,
)
from nnstudio.gui.stepthrough.update_step import update_step

if TYPE_CHECKING:
    from nnstudio.gui.stepthrough.walkthrough import Walkthrough

# A weighted sum with more terms than this is shown as Σ rather than term by term.
MAX_TERMS = 4

LOSS_FORMULAS = {
    "mse": "L = 1/N Σₙ ½‖ŷ − y‖²",
    "mae": "L = 1/N Σₙ ‖ŷ − y‖₁",
    "binary_cross_entropy": "L = −1/N Σₙ [y log ŷ + (1 − y) log(1 − ŷ)]",
    "cross_entropy": "L = −1/N Σₙ Σⱼ yⱼ log ŷⱼ",
}


def build_steps(walk: Walkthrough) -> list[Step]:
    """Return the steps in lecture order, only Forward and Loss without a backward pass."""
    order = walk.spec.order
    steps = [forward_step(walk, position) for position in range(len(order))]
    steps.append(loss_step(walk))
    if walk.gradients is None:
        return steps
    for position, layer in enumerate(reversed(order)):
        steps.append(backward_step(walk, layer, frozenset(order[len(order) - position - 1 :])))
    steps.append(update_step(walk))
    return steps


def sample_suffix(walk: Walkthrough, n: int) -> str:
    """Return " (sample 3)" for row n of a batch, and nothing for a single sample."""
    return "" if walk.batch_size == 1 else f" (sample {walk.samples[n] + 1})"


# forward


def forward_step(walk: Walkthrough, position: int) -> Step:
    layer = walk.spec.order[position]
    notation = walk.notation
    z, a = walk.run.z[layer], walk.run.a[layer]
    rows = []
    for n in range(walk.batch_size):
        suffix = sample_suffix(walk, n)
        for unit in range(z.shape[1]):
            pre, post = float(z[n, unit]), float(a[n, unit])
            z_cells = (notation.z(layer, unit) + suffix, pre, _sum_text(walk, layer, n, unit))
            applied = f"{walk.unit_activation(layer, unit)}({format_number(pre)})"
            a_cells = (notation.activation(layer, unit) + suffix, post, applied)
            rows += [TableRow(z_cells), TableRow(a_cells)]
    labels = _input_labels(walk)
    for earlier in walk.spec.order[: position + 1]:
        labels.update(_forward_labels(walk, earlier))
    return Step(
        "forward",
        f"Forward: {layer}",
        layer,
        _forward_summary(walk, layer),
        ("Symbol", "Value", "Computed as"),
        tuple(rows),
        labels,
        legend=_legend(
            walk, "each neuron's weighted sum z and output up to this layer, or only the output"
        ),
    )


def _sum_text(walk: Walkthrough, layer: str, n: int, unit: int) -> str:
    """Return z_j's weighted sum in symbols and numbers, or as Σ for many inputs."""
    notation = walk.notation
    params = walk.network.parameters[layer]
    inputs = walk.run.inputs[layer]
    rows = notation.input_rows(layer)
    bias = "" if params.b is None else f" + {notation.parameter(ParameterRef(layer, 'b', unit))}"
    if len(rows) > MAX_TERMS:
        return f"Σᵢ aᵢ·wᵢ over {len(rows)} inputs{bias}"
    symbols, numbers = [], []
    for row in rows:
        ref = ParameterRef(layer, "W", unit, row.row)
        symbols.append(f"{notation.activation(row.source, row.unit)}·{notation.parameter(ref)}")
        value, weight = float(inputs[n, row.row]), float(params.W[row.row, unit])
        numbers.append(f"{format_factor(value)} × {format_factor(weight)}")
    if params.b is not None:
        numbers.append(format_factor(float(params.b[unit])))
    return f"{' + '.join(symbols)}{bias} = {' + '.join(numbers)}"


def _forward_summary(walk: Walkthrough, layer: str) -> str:
    notation = walk.notation
    level = superscript(notation.number(layer))
    sources = [notation.activation_vector(source) for source in walk.spec.layer(layer).inputs]
    source = sources[0] if len(sources) == 1 else f"[{' '.join(sources)}]"
    bias = f" + b{level}" if walk.network.parameters[layer].b is not None else ""
    layer_spec = walk.spec.layer(layer)
    activation = "f" if layer_spec.activations else layer_spec.activation
    text = (
        f"z{level} = {source} W{level}{bias}, then "
        f"{notation.activation_vector(layer)} = {activation}(z{level})"
    )
    if layer_spec.activations:
        text += f", where each neuron has its own f: {', '.join(layer_spec.activations)}"
    if walk.standardized and walk.spec.input_name in walk.spec.layer(layer).inputs:
        text += "\nx is the standardized input the network sees."
    return text


def _legend(walk: Walkthrough, content: str) -> str:
    """Return what the canvas shows in a step, noting that a batch shows means."""
    text = f"On the canvas: {content}. Values with no room there are only in the table."
    if walk.batch_size > 1:
        text += f" Neuron values are means over the {walk.batch_size} samples."
    return text


def _input_labels(walk: Walkthrough) -> dict[tuple[str, int], NeuronTexts]:
    name = walk.spec.input_name
    labels: dict[tuple[str, int], NeuronTexts] = {}
    for unit, value in enumerate(walk.X.mean(axis=0)):
        number = format_number(float(value))
        labels[(name, unit)] = (f"{walk.notation.activation(name, unit)} = {number}", number)
    return labels


def _forward_labels(walk: Walkthrough, layer: str) -> dict[tuple[str, int], NeuronTexts]:
    z = walk.run.z[layer].mean(axis=0)
    a = walk.run.a[layer].mean(axis=0)
    labels: dict[tuple[str, int], NeuronTexts] = {}
    for unit in range(len(z)):
        output = f"{walk.notation.activation(layer, unit)} = {format_number(float(a[unit]))}"
        full = f"z = {format_number(float(z[unit]))} · {output}"
        labels[(layer, unit)] = (full, output, format_number(float(a[unit])))
    return labels


# loss


def loss_step(walk: Walkthrough) -> Step:
    notation = walk.notation
    output, y = walk.output, walk.y
    gradient = walk.output_gradient()
    rows = []
    for n in range(walk.batch_size):
        suffix = sample_suffix(walk, n)
        for unit in range(output.shape[1]):
            cells: tuple[Cell, ...] = (
                notation.activation(walk.spec.output_name, unit) + suffix,
                float(output[n, unit]),
                float(y[n, unit]),
                float(output[n, unit] - y[n, unit]),
                float(gradient[n, unit]),
            )
            rows.append(TableRow(cells))

    labels = _input_labels(walk)
    for layer in walk.spec.order:
        labels.update(_forward_labels(walk, layer))
    out = walk.spec.output_name
    for unit in range(output.shape[1]):
        value = format_number(float(output[:, unit].mean()))
        estimate = f"{notation.activation(out, unit)} = {value}"
        target = f"{notation.target(unit)} = {format_number(float(y[:, unit].mean()))}"
        labels[(out, unit)] = (f"{estimate} · {target}", estimate, value)
    return Step(
        "loss",
        "Loss",
        None,
        _loss_summary(walk),
        ("Output", "ŷ", "y", "ŷ − y", "∂L/∂ŷ"),
        tuple(rows),
        labels,
        legend=_legend(walk, "each output ŷ beside its target y"),
    )


def _loss_summary(walk: Walkthrough) -> str:
    single = walk.batch_size == 1 and walk.y.shape[1] == 1
    formula = LOSS_FORMULAS.get(walk.loss.name, f"L = {walk.loss.label}")
    if walk.loss.name == "mse" and single:
        formula = "L = ½(ŷ − y)²"
    lines = [f"{formula} = {format_number(walk.loss_value)}: {walk.loss.label}"]
    if walk.loss.name == "mse":
        lines.append("∂L/∂ŷ = (ŷ − y)" + ("" if walk.batch_size == 1 else " / N"))
    if walk.loss.logit_activation is not None:
        lines.append(
            f"Backward starts from ∂L/∂z = (ŷ − y) / N, computed from the "
            f"{walk.loss.logit_activation}'s logits."
        )
    if walk.backward_error is not None:
        lines.append(f"No backward pass: {walk.backward_error}.")
    return "\n".join(lines)


# backward


def backward_step(walk: Walkthrough, layer: str, done: frozenset[str]) -> Step:
    notation = walk.notation
    delta = walk.delta(layer)
    rows = []
    for n in range(walk.batch_size):
        suffix = sample_suffix(walk, n)
        for unit in range(delta.shape[1]):
            symbol = f"{notation.delta(layer, unit)} = ∂L/∂{notation.z(layer, unit)}{suffix}"
            rows.append(TableRow((symbol, float(delta[n, unit]), delta_text(walk, layer, n, unit))))
    for ref in walk.parameters_of(layer):
        cells = (notation.gradient(ref), walk.gradient(ref), parameter_text(walk, ref))
        rows.append(TableRow(cells, ref))
    rows += _alpha_gradient_rows(walk, layer)

    # Only this layer's edges get numbers: labels of every finished layer would
    # crowd the gaps between the boxes.
    labels: dict[tuple[str, int], NeuronTexts] = {}
    for other in done:
        labels.update(_delta_labels(walk, other))
    return Step(
        "backward",
        f"Backward: {layer}",
        layer,
        matrix_summary(walk, layer),
        ("Symbol", "Value", "Computed as"),
        tuple(rows),
        labels,
        _gradient_labels(walk, layer),
        done,
        _legend(walk, _backward_legend(walk, layer)),
    )


def _alpha_gradient_rows(walk: Walkthrough, layer: str) -> list[TableRow]:
    """Return dLoss/dα of a prelu layer, one row for a shared α or one per unit."""
    grads = walk.gradients.parameters[layer] if walk.gradients is not None else None
    if grads is None or grads.alpha is None:
        return []
    symbol = f"∂L/∂α{superscript(walk.notation.number(layer))}"
    shared = len(grads.alpha) == 1
    return [
        TableRow((symbol if shared else f"{symbol} unit {i + 1}", float(value), "prelu slope"))
        for i, value in enumerate(grads.alpha)
    ]


def _backward_legend(walk: Walkthrough, layer: str) -> str:
    content = f"∂L/∂z beside each neuron done so far, ∂L/∂w on each edge into {layer}"
    if walk.network.parameters[layer].b is not None:
        content += " and ∂L/∂b beside its bias markers"
    return content


def _delta_labels(walk: Walkthrough, layer: str) -> dict[tuple[str, int], NeuronTexts]:
    delta = walk.delta(layer).mean(axis=0)
    numbers = [format_number(float(value)) for value in delta]
    return {(layer, unit): (f"∂L/∂z = {number}", number) for unit, number in enumerate(numbers)}


def _gradient_labels(walk: Walkthrough, layer: str) -> dict[ParameterRef, str]:
    return {
        ref: parameter_label(ref, walk.gradient(ref), "∂L/∂b = ")
        for ref in walk.parameters_of(layer)
    }
