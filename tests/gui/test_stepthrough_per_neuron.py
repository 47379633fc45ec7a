"""The step-through model on a layer whose neurons have activations of their own."""

from __future__ import annotations

import math

import numpy as np

from nnstudio.engine.network import LayerParameters
from nnstudio.gui.stepthrough.chain_rule import chain_rule_text, delta_lines
from nnstudio.gui.stepthrough.notation import ParameterRef
from nnstudio.gui.stepthrough.walkthrough import Walkthrough
from nnstudio.project.datasets import Dataset
from nnstudio.project.model import Layer, Project, Settings


def mixed_project() -> Project:
    """x = (1, -2) into tanh, relu and leaky_relu (slope 0.1) neurons, then a linear output."""
    hidden = Layer("hidden 1", "hidden", 3, "tanh", slope=0.1)
    hidden.activations = ["tanh", "relu", "leaky_relu"]
    layers = [Layer("input", "input", 2), hidden, Layer("output", "output", 1, "identity")]
    connections = [("input", "hidden 1"), ("hidden 1", "output")]
    dataset = Dataset(np.array([[1.0, -2.0]]), np.array([[0.0]]))
    project = Project(layers, connections, dataset, Settings(loss="mse"))
    project.reinitialize()
    # z = (0.5, -1.0, -2.0) for x = (1, -2), and output weights (1, 2, 3).
    project.parameters = {
        "hidden 1": LayerParameters(
            np.array([[0.5, 1.0, 0.0], [0.25, 0.5, 1.0]]), np.array([0.5, -1.0, 0.0])
        ),
        "output": LayerParameters(np.array([[1.0], [2.0], [3.0]]), np.array([0.0])),
    }
    return project


def test_forward_rows_name_each_activation() -> None:
    walk = Walkthrough(mixed_project(), [0])
    step = next(step for step in walk.steps if step.title == "Forward: hidden 1")
    computed = [row.cells[2] for row in step.rows if not row.cells[0].startswith("z")]
    assert computed == ["tanh(0.5)", "relu(-1)", "leaky_relu(-2)"]
    values = [row.cells[1] for row in step.rows if not row.cells[0].startswith("z")]
    np.testing.assert_allclose(values, [math.tanh(0.5), 0.0, -0.2], rtol=0, atol=1e-15)
    assert "each neuron has its own f: tanh, relu, leaky_relu" in step.summary


def test_delta_names_neuron_activation() -> None:
    walk = Walkthrough(mixed_project(), [0])
    output = math.tanh(0.5) - 0.6
    # δ of the leaky neuron: its slope 0.1 times the weight 3 times δ of the output.
    np.testing.assert_allclose(walk.delta("hidden 1")[0, 2], 0.1 * 3.0 * output, rtol=1e-14)
    lines = delta_lines(walk, "hidden 1", 0, 2)
    assert lines[0].endswith("with f = leaky_relu")
    assert delta_lines(walk, "hidden 1", 0, 1)[0].endswith("with f = relu")


def test_chain_rule_uses_neuron_slope() -> None:
    walk = Walkthrough(mixed_project(), [0])
    text = chain_rule_text(walk, ParameterRef("hidden 1", "W", 0, 0))
    assert "the slope of tanh at" in text
    text = chain_rule_text(walk, ParameterRef("hidden 1", "W", 2, 0))
    assert "the slope of leaky_relu at" in text
