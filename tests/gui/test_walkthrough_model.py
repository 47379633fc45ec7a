"""The step-through model without Qt: steps, numbers and chain-rule text against references."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from nnstudio.gui.stepthrough.notation import (
    Notation,
    ParameterRef,
    format_factor,
    format_number,
)
from nnstudio.gui.stepthrough.step import Step
from nnstudio.gui.stepthrough.walkthrough import Walkthrough
from nnstudio.project.datasets import Dataset
from nnstudio.project.fileformat import load_project
from nnstudio.project.model import Layer, Project, Settings, default_project
from tests.conftest import EXAMPLES, reference_dir

RTOL, ATOL = 1e-9, 1e-12


def reference(name: str) -> dict[str, Any]:
    case: dict[str, Any] = json.loads((reference_dir() / f"{name}.json").read_text())
    return case


def project_from_case(case: dict[str, Any], optimizer: str = "sgd", lr: float = 0.01) -> Project:
    """Translate a reference gradient case into a project with a chain of layers."""
    dense = case["layers"][1:]
    names = [f"hidden {i}" for i in range(1, len(dense))] + ["output"]
    layers = [Layer("input", "input", case["layers"][0]["units"])]
    for index, (name, spec, weights) in enumerate(zip(names, dense, case["weights"], strict=True)):
        role = "output" if name == "output" else "hidden"
        layers.append(
            Layer(
                name,
                role,
                spec["units"],
                spec["activation"],
                bias=weights["b"] is not None,
                slope=spec.get("slope", 0.01),
                position=(220.0 * (index + 1), 0.0),
            )
        )
    chain = ["input", *names]
    dataset = Dataset(np.array(case["X"], dtype=float), np.array(case["y"], dtype=float))
    settings = Settings(loss=case["loss"], optimizer=optimizer, learning_rate=lr)
    project = Project(layers, list(zip(chain, chain[1:], strict=False)), dataset, settings)
    project.reinitialize()
    project.parameters = {
        name: _parameters(weights) for name, weights in zip(names, case["weights"], strict=True)
    }
    return project


def _parameters(weights: dict[str, Any]) -> Any:
    from nnstudio.engine.network import LayerParameters

    bias = None if weights["b"] is None else np.array(weights["b"], dtype=float)
    return LayerParameters(np.array(weights["W"], dtype=float), bias)


def step_titled(walk: Walkthrough, title: str) -> Step:
    matches = [step for step in walk.steps if step.title == title]
    assert len(matches) == 1, [step.title for step in walk.steps]
    return matches[0]


def row_value(step: Step, symbol: str, column: int = 1) -> Any:
    for row in step.rows:
        if row.cells[0] == symbol:
            return row.cells[column]
    raise AssertionError(f"no row {symbol!r} in {step.title}: {[r.cells[0] for r in step.rows]}")


@pytest.fixture
def worked() -> Walkthrough:
    return Walkthrough(load_project(EXAMPLES / "worked-example.nnproj"), [0])


# the lecture's worked example


def test_worked_example_step_order(worked: Walkthrough) -> None:
    titles = [step.title for step in worked.steps]
    assert titles == [
        "Forward: hidden 1",
        "Forward: output",
        "Loss",
        "Backward: output",
        "Backward: hidden 1",
        "Update",
    ]


def test_worked_example_forward_and_loss(worked: Walkthrough) -> None:
    case = reference("seed-worked-example")
    expected_output = case["expected"]["output"][0][0]
    forward = step_titled(worked, "Forward: output")
    assert row_value(forward, "ŷ") == pytest.approx(expected_output, rel=RTOL)
    assert format_number(row_value(forward, "ŷ")) == "2.162"
    assert format_number(row_value(step_titled(worked, "Forward: hidden 1"), "h₁")) == "0.99"

    loss = step_titled(worked, "Loss")
    assert format_number(row_value(loss, "ŷ", column=3)) == "1.162"
    assert worked.loss_value == pytest.approx(case["expected"]["loss"], rel=RTOL)
    assert "L = ½(ŷ − y)² = 0.675122" in loss.summary


def test_worked_example_gradients_match_reference(worked: Walkthrough) -> None:
    expected = reference("seed-worked-example")["expected"]["gradients"]
    for layer, grads in zip(worked.spec.order, expected, strict=True):
        step = step_titled(worked, f"Backward: {layer}")
        W = np.array(grads["W"])
        for row in range(W.shape[0]):
            for unit in range(W.shape[1]):
                ref = ParameterRef(layer, "W", unit, row)
                value = row_value(step, worked.notation.gradient(ref))
                assert value == pytest.approx(W[row, unit], rel=RTOL, abs=ATOL)


def test_worked_example_displayed_gradients(worked: Walkthrough) -> None:
    hidden = step_titled(worked, "Backward: hidden 1")
    displayed = [format_number(row_value(hidden, s)) for s in ("∂L/∂w₁₁⁽¹⁾", "∂L/∂w₁₂⁽¹⁾")]
    displayed += [format_number(row_value(hidden, s)) for s in ("∂L/∂w₂₁⁽¹⁾", "∂L/∂w₂₂⁽¹⁾")]
    assert displayed == ["4.1832", "0.9296", "6.2748", "1.3944"]
    output = step_titled(worked, "Backward: output")
    assert format_number(row_value(output, "∂L/∂w₁⁽²⁾")) == "1.15038"
    assert format_number(row_value(output, "∂L/∂w₂⁽²⁾")) == "1.1039"


def test_worked_example_chain_rule_text(worked: Walkthrough) -> None:
    output_weight = worked.chain_rule(ParameterRef("output", "W", 0, 0))
    assert "∂L/∂w₁⁽²⁾ = (ŷ − y) · h₁ = 1.162 × 0.99 = 1.15038" in output_weight
    assert "ŷ − y = 2.162 − 1 = 1.162" in output_weight
    hidden_weight = worked.chain_rule(ParameterRef("hidden 1", "W", 0, 0))
    assert "(ŷ − y) · w₁⁽²⁾ · x₁ = 1.162 × 1.8 × 2 = 4.1832" in hidden_weight
    assert "∂L/∂ŷ · ∂ŷ/∂h₁ · ∂h₁/∂w₁₁⁽¹⁾" in hidden_weight


def test_worked_example_update_matches_reference(worked: Walkthrough) -> None:
    case = reference("seed-worked-example")
    after = case["optimizers"][0]["weights_after"]
    assert worked.updated is not None
    for layer, weights in zip(worked.spec.order, after, strict=True):
        np.testing.assert_allclose(worked.updated[layer].W, weights["W"], rtol=RTOL, atol=ATOL)
    update = step_titled(worked, "Update")
    assert format_number(row_value(update, "w₁₁⁽¹⁾", column=4)) == "-0.821832"
    assert row_value(update, "w₁₁⁽¹⁾", column=5) == "-0.78 − 0.01 × 4.1832"


def test_update_leaves_project_weights(worked: Walkthrough) -> None:
    project = load_project(EXAMPLES / "worked-example.nnproj")
    Walkthrough(project, [0])
    assert project.parameters is not None
    assert project.parameters["hidden 1"].W[0, 0] == -0.78


def test_biases_match_reference() -> None:
    case = reference("seed-example-with-biases")
    walk = Walkthrough(project_from_case(case), [0])
    expected = case["expected"]["gradients"]
    for layer, grads in zip(walk.spec.order, expected, strict=True):
        for unit, value in enumerate(grads["b"]):
            assert walk.gradient(ParameterRef(layer, "b", unit)) == pytest.approx(value, rel=RTOL)
    text = walk.chain_rule(ParameterRef("output", "b", 0))
    assert "∂L/∂b⁽²⁾ = (ŷ − y) · 1 = 1.312 × 1 = 1.312" in text
    after = case["optimizers"][0]["weights_after"]
    assert walk.updated is not None
    np.testing.assert_allclose(walk.updated["hidden 1"].b, after[0]["b"], rtol=RTOL, atol=ATOL)


# every reference case, as one batch


def gradient_cases() -> list[str]:
    names = []
    for path in sorted(reference_dir().glob("*.json")):
        case = json.loads(path.read_text())
        steps = [layer.get("activation") for layer in case.get("layers", [])[1:]]
        if case.get("rule") is None and "step" not in steps:
            names.append(path.stem)
    return names


@pytest.mark.parametrize("name", gradient_cases())
def test_batch_gradients_match_reference(name: str) -> None:
    case = reference(name)
    walk = Walkthrough(project_from_case(case), list(range(len(case["X"]))))
    assert walk.loss_value == pytest.approx(case["expected"]["loss"], rel=1e-9)
    for layer, grads in zip(walk.spec.order, case["expected"]["gradients"], strict=True):
        assert walk.gradients is not None
        computed = walk.gradients.parameters[layer]
        np.testing.assert_allclose(computed.W, grads["W"], rtol=RTOL, atol=ATOL)
        step = step_titled(walk, f"Backward: {layer}")
        first = ParameterRef(layer, "W", 0, 0)
        assert row_value(step, walk.notation.gradient(first)) == computed.W[0, 0]


def test_batch_chain_rule_lists_samples() -> None:
    case = reference("xor-sigmoid-2-2-1-mse")
    walk = Walkthrough(project_from_case(case), [0, 1, 2, 3])
    text = walk.chain_rule(ParameterRef("output", "W", 0, 1))
    assert "Σₙ δ⁽²⁾ · h₂ over the 4 samples of the batch" in text
    assert text.count("×") == 4
    assert walk.gradients is not None
    assert text.splitlines()[1].endswith(format_number(walk.gradients.parameters["output"].W[1, 0]))


# other networks


def test_deeper_network_explains_delta() -> None:
    project = default_project()
    project.layers.insert(2, Layer("hidden 2", "hidden", 3, "relu", position=(330.0, 0.0)))
    project.connections = [("input", "hidden 1"), ("hidden 1", "hidden 2"), ("hidden 2", "output")]
    project.reinitialize()
    walk = Walkthrough(project, [1])
    ref = ParameterRef("hidden 1", "W", 2, 1)
    text = walk.chain_rule(ref)
    delta = walk.delta("hidden 1")[0, 2]
    assert f"∂L/∂w₂₃⁽¹⁾ = δ₃⁽¹⁾ · x₂ = {format_factor(delta)} × 1" in text
    assert "δ₃⁽¹⁾ = f′(z₃⁽¹⁾) · Σₖ wₖ δₖ = " in text
    assert "with f = tanh" in text
    assert "w₃₁⁽²⁾·δ₁⁽²⁾ + w₃₂⁽²⁾·δ₂⁽²⁾ + w₃₃⁽²⁾·δ₃⁽²⁾" in text


def test_step_network_stops_after_loss() -> None:
    project = default_project()
    project.layer("hidden 1").activation = "step"
    walk = Walkthrough(project, [0])
    assert [step.kind for step in walk.steps] == ["forward", "forward", "loss"]
    assert walk.backward_error is not None
    assert "step activation" in walk.backward_error
    assert "No backward pass" in walk.steps[-1].summary


def test_adam_update_is_first_adam_step() -> None:
    case = reference("seed-worked-example")
    walk = Walkthrough(project_from_case(case, optimizer="adam", lr=0.01), [0])
    assert walk.updated is not None and walk.gradients is not None
    old = walk.network.parameters["hidden 1"].W
    grad = walk.gradients.parameters["hidden 1"].W
    # The first Adam step from zero moments: m̂ = g and v̂ = g², so w - lr * g / (|g| + eps).
    expected = old - 0.01 * grad / (np.abs(grad) + 1e-8)
    np.testing.assert_allclose(walk.updated["hidden 1"].W, expected, rtol=1e-12)
    assert "first Adam step" in step_titled(walk, "Update").summary


def test_l2_penalty_enters_update_gradient() -> None:
    case = reference("seed-worked-example")
    project = project_from_case(case)
    project.settings.l2 = 0.5
    walk = Walkthrough(project, [0])
    update = step_titled(walk, "Update")
    gradient = row_value(update, "w₁⁽²⁾", column=2)
    assert gradient == pytest.approx(1.15038 + 0.5 * 1.8, rel=1e-12)
    assert "l2 = 0.5" in update.summary


def test_invalid_samples_rejected(worked: Walkthrough) -> None:
    project = load_project(EXAMPLES / "worked-example.nnproj")
    with pytest.raises(ValueError, match="samples 0 to 0"):
        Walkthrough(project, [1])
    with pytest.raises(ValueError, match="at least one sample"):
        Walkthrough(project, [])


# notation and formatting


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.1619999999999995, "2.162"),
        (1.1619999999999995, "1.162"),
        (1.1503799999999993, "1.15038"),
        (4.1831999999999985, "4.1832"),
        (1.0, "1"),
        (-0.0, "0"),
        (-0.78, "-0.78"),
        (1e-5, "1e-5"),
        (123456789.0, "1.23457e8"),
        (float("nan"), "nan"),
        (float("-inf"), "-inf"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


def test_parameter_symbols() -> None:
    spec = load_project(EXAMPLES / "iris.nnproj").network_spec()
    notation = Notation(spec)
    first = spec.order[0]
    assert notation.parameter(ParameterRef(first, "W", 1, 0)) == "w₁₂⁽¹⁾"
    assert notation.parameter(ParameterRef(first, "b", 1)) == "b₂⁽¹⁾"
    assert notation.parameter(ParameterRef(first, "W", 9, 1)) == "w₂,₁₀⁽¹⁾"
    assert notation.activation("input", 0) == "x₁"


def test_model_imports_no_qt() -> None:
    code = (
        "import sys; import nnstudio.gui.stepthrough.walkthrough, "
        "nnstudio.gui.stepthrough.gradient_check; "
        "qt = ('PySide6', 'shiboken6', 'pyqtgraph'); "
        "print(sorted(m for m in sys.modules if m.startswith(qt)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
