"""The Update step: each parameter's old value, gradient, learning rate and new value."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnstudio.gui.stepthrough.notation import format_factor, format_number, superscript
from nnstudio.gui.stepthrough.step import Step, TableRow, parameter_label

if TYPE_CHECKING:
    from nnstudio.gui.stepthrough.walkthrough import Walkthrough

OPTIMIZER_NAMES = {"sgd": "gradient descent (SGD)", "momentum": "momentum", "adam": "Adam"}


def update_step(walk: Walkthrough) -> Step:
    assert walk.updated is not None and walk.step_gradients is not None
    s = walk.settings
    rate = format_number(s.learning_rate)
    rows, labels = [], {}
    for layer in walk.spec.order:
        for ref in walk.parameters_of(layer):
            old = walk.value(ref)
            gradient = walk.value(ref, walk.step_gradients)
            new = walk.value(ref, walk.updated)
            computation = f"first {OPTIMIZER_NAMES.get(s.optimizer, s.optimizer)} step"
            if s.optimizer == "sgd":
                computation = f"{format_number(old)} − {rate} × {format_factor(gradient)}"
            rows.append(
                TableRow(
                    (
                        walk.notation.parameter(ref),
                        old,
                        gradient,
                        s.learning_rate,
                        new,
                        computation,
                    ),
                    ref,
                )
            )
            labels[ref] = parameter_label(ref, new, "b = ")
        rows.extend(_alpha_rows(walk, layer))
    return Step(
        "update",
        "Update",
        None,
        _update_summary(walk),
        ("Parameter", "Old", "Gradient", "Learning rate η", "New", "Computed as"),
        tuple(rows),
        {},
        labels,
        frozenset(walk.spec.order),
        "On the canvas: the new value of every weight and bias.",
    )


def _alpha_rows(walk: Walkthrough, layer: str) -> list[TableRow]:
    assert walk.updated is not None and walk.step_gradients is not None
    old_alpha = walk.network.parameters[layer].alpha
    new_alpha = walk.updated[layer].alpha
    grad_alpha = walk.step_gradients[layer].alpha
    if old_alpha is None or new_alpha is None or grad_alpha is None:
        return []
    symbol = f"α{superscript(walk.notation.number(layer))}"
    rate = walk.settings.learning_rate
    return [
        TableRow(
            (
                symbol if len(old_alpha) == 1 else f"{symbol} unit {i + 1}",
                float(old_alpha[i]),
                float(grad_alpha[i]),
                rate,
                float(new_alpha[i]),
                "prelu slope",
            )
        )
        for i in range(len(old_alpha))
    ]


def _update_summary(walk: Walkthrough) -> str:
    s = walk.settings
    rate = format_number(s.learning_rate)
    optimizer = OPTIMIZER_NAMES.get(s.optimizer, s.optimizer)
    lines = [f"w ← w − η ∂L/∂w with learning rate η = {rate}, by {optimizer}"]
    if s.optimizer == "momentum":
        lines.append(
            "The first momentum step starts from zero velocity, so v = ∂L/∂w and the step "
            "equals plain gradient descent."
        )
    elif s.optimizer == "adam":
        lines.append(
            "The first Adam step starts from zero moments: w ← w − η m̂/(√v̂ + ε), which moves "
            "each parameter by about η in the direction of −∂L/∂w."
        )
    if s.l1 > 0 or s.l2 > 0:
        lines.append(
            f"The gradient includes the weight penalty: l1·sign(w) + l2·w with l1 = "
            f"{format_number(s.l1)}, l2 = {format_number(s.l2)} (biases are not penalized)."
        )
    lines.append("Apply update stores these new weights as one undoable edit.")
    return "\n".join(lines)
