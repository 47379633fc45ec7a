"""The project model: parameter counts, weight resets, seeds, datasets and drawing errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnstudio.engine.errors import GraphError
from nnstudio.engine.network import LayerParameters, Parameters, copy_parameters
from nnstudio.engine.training import Trainer
from nnstudio.project.datasets import Dataset
from nnstudio.project.model import INPUT, OUTPUT, Layer, Project, default_project
from tests.conftest import reference_dir


def assert_same_weights(left: Parameters | None, right: Parameters | None) -> None:
    assert left is not None
    assert right is not None
    assert left.keys() == right.keys()
    for name in left:
        assert np.array_equal(left[name].W, right[name].W), name
        assert np.array_equal(left[name].b, right[name].b), name


def lecture_project() -> Project:
    """Two inputs, two linear hidden units, one linear output, and no biases."""
    layers = [
        Layer(INPUT, "input", 2),
        Layer("hidden 1", "hidden", 2, "identity", bias=False),
        Layer(OUTPUT, "output", 1, "identity", bias=False),
    ]
    connections = [(INPUT, "hidden 1"), ("hidden 1", OUTPUT)]
    dataset = Dataset(np.array([[2.0, 3.0]]), np.array([[1.0]]))
    return Project(layers, connections, dataset)


def test_default_project_parameter_count() -> None:
    # 2 inputs to 4 tanh units: 8 weights and 4 biases. 4 units to 1 output: 4 and 1.
    assert default_project().parameter_count() == 17


def test_lecture_network_parameter_count() -> None:
    assert lecture_project().parameter_count() == 6


def test_lecture_network_output() -> None:
    case = json.loads((reference_dir() / "seed-worked-example.json").read_text())
    project = lecture_project()
    project.reinitialize()
    project.parameters = {
        "hidden 1": LayerParameters(np.array(case["weights"][0]["W"]), None),
        OUTPUT: LayerParameters(np.array(case["weights"][1]["W"]), None),
    }
    output = project.network().predict(project.dataset.X)
    np.testing.assert_allclose(output, case["expected"]["output"], rtol=1e-12)


def test_reset_weights_restores_initial() -> None:
    project = default_project()
    initial = copy_parameters(project.initial_parameters or {})
    network = project.network()
    trainer = Trainer(network, project.dataset.X, project.dataset.y, project.settings)
    trainer.train(20)
    project.parameters = copy_parameters(network.parameters)
    project.history = trainer.history
    assert not np.array_equal(project.parameters["hidden 1"].W, initial["hidden 1"].W)

    project.reset_weights()

    assert_same_weights(project.parameters, initial)
    assert_same_weights(project.initial_parameters, initial)
    assert len(project.history) == 0


def test_reset_weights_copies() -> None:
    # Training the reset weights in place must not change the initial ones.
    project = default_project()
    project.reset_weights()
    assert project.parameters is not None
    project.parameters["hidden 1"].W += 1.0
    assert project.initial_parameters is not None
    assert not np.array_equal(
        project.parameters["hidden 1"].W, project.initial_parameters["hidden 1"].W
    )


def test_seed_changes_weights() -> None:
    project = default_project()
    first = copy_parameters(project.parameters or {})

    project.settings.seed = 1
    project.reinitialize()
    assert project.parameters is not None
    assert not np.array_equal(project.parameters["hidden 1"].W, first["hidden 1"].W)

    project.settings.seed = 0
    project.reinitialize()
    assert_same_weights(project.parameters, first)


def test_network_uses_current_weights() -> None:
    project = default_project()
    assert project.parameters is not None
    project.parameters["output"].W[:] = 0.25
    network = project.network()
    assert np.array_equal(network.parameters["output"].W, np.full((4, 1), 0.25))


def test_set_dataset_resizes_layers() -> None:
    project = default_project()
    rng = np.random.default_rng(0)
    project.set_dataset(Dataset(rng.normal(size=(5, 3)), rng.normal(size=(5, 2))))
    assert project.input_layer().units == 3
    assert project.output_layer().units == 2
    # 3 inputs to 4 units: 12 and 4. 4 units to 2 outputs: 8 and 2.
    assert project.parameter_count() == 26


def test_set_dataset_redraws_weights() -> None:
    project = default_project()
    rng = np.random.default_rng(0)
    project.set_dataset(Dataset(rng.normal(size=(5, 3)), rng.normal(size=(5, 2))))
    network = project.network()
    assert network.parameters["hidden 1"].W.shape == (3, 4)
    assert network.parameters["output"].W.shape == (4, 2)
    assert network.predict(project.dataset.X).shape == (5, 2)


def test_unconnected_hidden_layer() -> None:
    project = default_project()
    project.layers.append(Layer("hidden 2", "hidden", 3, "relu"))
    with pytest.raises(GraphError) as info:
        project.network_spec()
    assert "'hidden 2'" in str(info.value)
    assert "no incoming connection" in str(info.value)
    assert project.parameter_count() is None


def test_hidden_layer_leading_nowhere() -> None:
    project = default_project()
    project.layers.append(Layer("hidden 2", "hidden", 3, "relu"))
    project.connections.append((INPUT, "hidden 2"))
    with pytest.raises(GraphError) as info:
        project.network_spec()
    assert "'hidden 2'" in str(info.value)
    assert "no outgoing connection" in str(info.value)


def test_output_feeding_hidden_layer() -> None:
    project = default_project()
    project.layers.append(Layer("hidden 2", "hidden", 3, "relu"))
    project.connections.append((OUTPUT, "hidden 2"))
    with pytest.raises(GraphError, match="'hidden 2'"):
        project.network_spec()


def test_connection_into_input() -> None:
    project = default_project()
    project.connections.append(("hidden 1", INPUT))
    with pytest.raises(GraphError) as info:
        project.network_spec()
    assert "'hidden 1'" in str(info.value)
    assert "input layer" in str(info.value)


def test_new_layer_name_unused() -> None:
    project = default_project()
    assert project.new_layer_name() == "hidden 2"


def test_source_row_offset_skip_graph() -> None:
    # input (2 units) -> hidden 1 (4 units) -> output, plus a skip input -> output.
    project = default_project()
    project.connections.append((INPUT, OUTPUT))
    hidden = project.layer("hidden 1").units

    assert project.source_row_offset("hidden 1", OUTPUT) == 0
    assert project.source_row_offset(INPUT, OUTPUT) == hidden
    assert project.source_row_offset(INPUT, "hidden 1") == 0
    # The engine's W of the output layer has the same stacked rows.
    spec = project.network_spec()
    assert spec.fan_in(OUTPUT) == hidden + 2


def test_source_row_offset_unconnected() -> None:
    project = default_project()
    with pytest.raises(KeyError):
        project.source_row_offset(OUTPUT, INPUT)
