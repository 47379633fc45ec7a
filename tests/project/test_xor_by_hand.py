"""The hand-set XOR example: step units that classify XOR with no training."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnstudio.engine.errors import StepBackpropagationError
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import LayerParameters, Network
from nnstudio.engine.training import Trainer, accuracy
from nnstudio.project.fileformat import load_project
from tests.conftest import EXAMPLES, reference_dir

PATH = EXAMPLES / "xor-by-hand.nnproj"


def test_classifies_all_corners() -> None:
    project = load_project(PATH)
    X = project.dataset.network_inputs()

    output = project.network().predict(X)

    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(output, [[0], [1], [1], [0]])
    assert accuracy(output, project.dataset.y) == 1.0
    assert project.history.loss.size == 0


def test_hidden_units_are_or_and_and() -> None:
    project = load_project(PATH)
    network = project.network()

    run = network.forward(project.dataset.network_inputs())

    # h1 = step(x1 + x2 - 0.5) is OR, h2 = step(x1 + x2 - 1.5) is AND, by hand.
    np.testing.assert_array_equal(run.a["hidden 1"], [[0, 0], [1, 0], [1, 0], [1, 1]])
    np.testing.assert_array_equal(run.z["output"], [[-0.5], [0.5], [0.5], [-0.5]])
    assert network.loss_of(run, project.dataset.y, make_loss(project.settings.loss)) == 0.0


def test_matches_reference_network() -> None:
    # The reference lists the AND unit first and the OR unit second. The example
    # lists them the other way round, so its hidden columns and output rows swap.
    case = json.loads((reference_dir() / "xor-step-hand-weights.json").read_text())
    project = load_project(PATH)
    parameters = project.parameters
    assert parameters is not None
    hidden, output = case["weights"]

    np.testing.assert_array_equal(parameters["hidden 1"].W, np.array(hidden["W"])[:, ::-1])
    np.testing.assert_array_equal(parameters["hidden 1"].b, np.array(hidden["b"])[::-1])
    np.testing.assert_array_equal(parameters["output"].W, np.array(output["W"])[::-1])
    np.testing.assert_array_equal(parameters["output"].b, output["b"])
    reference = Network(
        project.network_spec(),
        {
            "hidden 1": LayerParameters(np.array(hidden["W"], float), np.array(hidden["b"])),
            "output": LayerParameters(np.array(output["W"], float), np.array(output["b"])),
        },
    )
    np.testing.assert_array_equal(reference.predict(np.array(case["X"], float)), case["y"])
    np.testing.assert_array_equal(
        project.network().predict(np.array(case["X"], float)), case["expected"]["output"]
    )


def test_initial_weights_are_hand_set() -> None:
    project = load_project(PATH)
    assert project.initial_parameters is not None and project.parameters is not None

    for name, layer in project.initial_parameters.items():
        np.testing.assert_array_equal(project.parameters[name].W, layer.W)
        np.testing.assert_array_equal(project.parameters[name].b, layer.b)


def test_backpropagation_is_rejected() -> None:
    project = load_project(PATH)
    trainer = Trainer(
        project.network(), project.dataset.network_inputs(), project.dataset.y, project.settings
    )

    with pytest.raises(StepBackpropagationError, match="step activation"):
        trainer.step()


def test_description_promises_no_training() -> None:
    description = load_project(PATH).description

    assert "100% accuracy" in description
    assert "no training" in description
