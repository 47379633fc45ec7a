"""A layer's per-neuron activations in the project model and the project file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnstudio.engine.losses import make_loss
from nnstudio.engine.training import Trainer
from nnstudio.project.datasets import Dataset
from nnstudio.project.fields import FieldError
from nnstudio.project.fileformat import (
    layer_from_dict,
    layer_to_dict,
    load_project,
    project_from_dict,
    project_to_dict,
    save_project,
)
from nnstudio.project.model import Project, default_project

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def mixed_project() -> Project:
    """The default XOR project with neuron 2 of its hidden layer switched to relu."""
    project = default_project("xor")
    project.layer("hidden 1").activations = ["tanh", "relu", "tanh", "leaky_relu"]
    project.layer("hidden 1").slope = 0.2
    project.reinitialize()
    return project


def three_classes() -> Dataset:
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    return Dataset(X, np.eye(3)[[0, 1, 2, 0]], None, "three classes")


def hidden_dict(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "h", "role": "hidden", "units": 3, "activation": "tanh"}
    data.update(fields)
    return data


# the model


def test_unit_activations_default() -> None:
    layer = default_project().layer("hidden 1")
    assert layer.activations is None
    assert layer.unit_activations() == ["tanh"] * 4


def test_spec_carries_mix() -> None:
    spec = mixed_project().network_spec()
    assert spec.layer("hidden 1").activations == ("tanh", "relu", "tanh", "leaky_relu")
    assert spec.layer("hidden 1").slope == 0.2


def test_resize_grow_takes_layer_activation() -> None:
    layer = mixed_project().layer("hidden 1")
    layer.resize(6)
    assert layer.activations == ["tanh", "relu", "tanh", "leaky_relu", "tanh", "tanh"]


def test_resize_shrink_drops_names() -> None:
    layer = mixed_project().layer("hidden 1")
    layer.resize(2)
    assert layer.activations == ["tanh", "relu"]
    layer.resize(4)
    assert layer.activations == ["tanh", "relu", "tanh", "tanh"]


def test_new_dataset_resizes_output_list() -> None:
    project = default_project("xor")
    project.layer("output").activations = ["identity"]
    project.set_dataset(three_classes())
    assert project.layer("output").activations == ["identity", "sigmoid", "sigmoid"]


# the file


def test_round_trip(tmp_path: Path) -> None:
    project = mixed_project()
    path = tmp_path / "mixed.nnproj"
    save_project(project, path)
    stored = json.loads(path.read_text())["network"]["layers"][1]
    assert stored["activations"] == ["tanh", "relu", "tanh", "leaky_relu"]
    assert stored["slope"] == 0.2

    loaded = load_project(path)
    assert loaded.layer("hidden 1").activations == ["tanh", "relu", "tanh", "leaky_relu"]
    assert loaded.layer("hidden 1").slope == 0.2
    X = project.dataset.X
    np.testing.assert_array_equal(loaded.network().predict(X), project.network().predict(X))
    assert project_to_dict(loaded) == project_to_dict(project)


def test_plain_layer_writes_no_list() -> None:
    data = layer_to_dict(default_project().layer("hidden 1"))
    assert "activations" not in data


def test_layer_dict_round_trip() -> None:
    layer = layer_from_dict(hidden_dict(activations=["relu", "abs", "tanh"]), "layer")
    assert layer.activations == ["relu", "abs", "tanh"]
    assert layer_to_dict(layer)["activations"] == ["relu", "abs", "tanh"]


def test_old_file_loads_without_list() -> None:
    for path in sorted(EXAMPLES.glob("*.nnproj")):
        project = load_project(path)
        assert all(layer.activations is None for layer in project.layers), path.name


def test_loaded_mix_trains() -> None:
    data = project_to_dict(mixed_project())
    project = project_from_dict(json.loads(json.dumps(data)))
    network = project.network()
    trainer = Trainer(network, project.dataset.X, project.dataset.y, project.settings)
    first = network.loss(project.dataset.X, project.dataset.y, make_loss(project.settings.loss))
    for _ in range(50):
        trainer.run_epoch()
    assert trainer.history.loss[-1] < first


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [
        ({"activations": "relu"}, "layers[2].activations", "expected a list"),
        ({"activations": ["relu", "tanh"]}, "layers[2].activations", "has 2 names but"),
        ({"activations": ["relu", 3, "tanh"]}, "layers[2].activations[1]", "expected text"),
        ({"activations": ["relu", "swish", "tanh"]}, "layers[2].activations[1]", "swish"),
        ({"activations": ["relu", "prelu", "tanh"]}, "layers[2].activations[1]", "prelu learns"),
        (
            {"activation": "prelu", "activations": ["relu", "relu", "tanh"]},
            "layers[2].activations",
            "a prelu layer cannot set an activation per neuron",
        ),
    ],
)
def test_invalid_list_rejected(fields: dict[str, Any], field: str, problem: str) -> None:
    with pytest.raises(FieldError) as caught:
        layer_from_dict(hidden_dict(**fields), "layers[2]")
    assert caught.value.field == field
    assert problem in caught.value.problem


def test_output_softmax_in_list_rejected() -> None:
    project = default_project("xor")
    project.set_dataset(three_classes())
    data = project_to_dict(project)
    data["network"]["layers"][2]["activation"] = "sigmoid"
    data["network"]["layers"][2]["activations"] = ["sigmoid", "softmax", "identity"]
    with pytest.raises(FieldError) as caught:
        project_from_dict(data)
    assert caught.value.field == "network.layers[2].activations[1]"
    assert "softmax couples the units" in caught.value.problem


def test_softmax_layer_ignores_list(tmp_path: Path) -> None:
    """The import dialog can set softmax on an output layer that still has a list."""
    project = default_project("xor")
    project.set_dataset(three_classes())
    output = project.layer("output")
    output.activations = ["sigmoid", "identity", "sigmoid"]
    output.activation = "softmax"
    project.settings.loss = "cross_entropy"
    project.reinitialize()

    assert output.unit_activations() == ["softmax"] * 3
    assert project.network_spec().layer("output").activation == "softmax"
    assert project.network_spec().layer("output").activations == ()
    path = tmp_path / "softmax.nnproj"
    save_project(project, path)
    stored = json.loads(path.read_text())["network"]["layers"][2]
    assert "activations" not in stored
    assert load_project(path).layer("output").unit_activations() == ["softmax"] * 3

    output.activation = "sigmoid"
    assert output.unit_activations() == ["sigmoid", "identity", "sigmoid"]
