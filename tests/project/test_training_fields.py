"""The training engine's newer project fields: round trips, defaults for old files, validation.

The fields are the training settings l1, l2, Adam's betas and eps, dtype,
target_accuracy, validation_fraction, patience, bias_init and bias_value. The layer
field prelu_per_neuron, a prelu layer's alpha and history.validation_loss are tested too.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnstudio.engine.initializers import initialize
from nnstudio.engine.network import copy_parameters
from nnstudio.engine.training import History, Trainer
from nnstudio.project.fields import ProjectError
from nnstudio.project.fileformat import load_project, project_to_dict, save_project
from nnstudio.project.model import OUTPUT, Project, Settings, default_project
from tests.conftest import EXAMPLES

Document = dict[str, Any]


def train(project: Project, epochs: int) -> Trainer:
    """Train the project's network and store the weights and history back in it."""
    dataset = project.dataset
    trainer = Trainer(project.network(), dataset.network_inputs(), dataset.y, project.settings)
    trainer.train(epochs)
    project.parameters = copy_parameters(trainer.network.parameters)
    project.history = trainer.history
    return trainer


def prelu_project(per_neuron: bool) -> Project:
    project = default_project("xor")
    hidden = project.layer("hidden 1")
    hidden.activation = "prelu"
    hidden.prelu_per_neuron = per_neuron
    project.reinitialize()
    return project


def changed_settings() -> Settings:
    """Settings with every newer field away from its default."""
    return Settings(
        loss="binary_cross_entropy",
        learning_rate=0.05,
        optimizer="adam",
        adam_beta1=0.8,
        adam_beta2=0.95,
        adam_eps=1e-6,
        l1=0.001,
        l2=0.002,
        dtype="float32",
        target_accuracy=0.99,
        validation_fraction=0.25,
        patience=7,
        bias_init="constant",
        bias_value=-0.125,
        initializer="constant",
        init_scale=0.3,
    )


def round_trip(project: Project, folder: Path) -> Project:
    path = folder / "project.nnproj"
    save_project(project, path)
    return load_project(path)


def test_settings_round_trip(tmp_path: Path) -> None:
    project = default_project("xor")
    project.settings = changed_settings()
    loaded = round_trip(project, tmp_path)
    assert loaded.settings == project.settings


def test_settings_written(tmp_path: Path) -> None:
    project = default_project("xor")
    project.settings = changed_settings()
    training = project_to_dict(project)["training"]
    assert training["adam_beta1"] == 0.8
    assert training["adam_beta2"] == 0.95
    assert training["adam_eps"] == 1e-6
    assert training["l1"] == 0.001
    assert training["l2"] == 0.002
    assert training["dtype"] == "float32"
    assert training["target_accuracy"] == 0.99
    assert training["validation_fraction"] == 0.25
    assert training["patience"] == 7
    assert training["bias_init"] == "constant"
    assert training["bias_value"] == -0.125


def test_old_file_gets_defaults() -> None:
    # The example files were written before these fields existed.
    document = json.loads((EXAMPLES / "xor.nnproj").read_text(encoding="utf-8"))
    assert "l1" not in document["training"]
    assert "validation_loss" not in document["history"]

    settings = load_project(EXAMPLES / "xor.nnproj").settings

    assert settings.l1 == 0.0
    assert settings.l2 == 0.0
    assert settings.adam_beta1 == 0.9
    assert settings.adam_beta2 == 0.999
    assert settings.adam_eps == 1e-8
    assert settings.dtype == "float64"
    assert settings.target_accuracy is None
    assert settings.validation_fraction == 0.0
    assert settings.patience == 0
    assert settings.bias_init == "zeros"
    assert settings.bias_value == 0.0


def test_old_history_gets_nan_validation(tmp_path: Path) -> None:
    document = project_to_dict(default_project("xor"))
    # Files of that time had format version 1, without history.epochs.
    document["version"] = 1
    document["history"] = {"loss": [0.3, 0.2], "accuracy": [0.5, 0.75]}
    path = tmp_path / "old.nnproj"
    path.write_text(json.dumps(document), encoding="utf-8")

    history = load_project(path).history

    assert len(history.validation_loss) == 2
    assert all(math.isnan(value) for value in history.validation_loss)


def test_old_layer_is_shared_alpha() -> None:
    project = load_project(EXAMPLES / "xor.nnproj")
    assert project.layer("hidden 1").prelu_per_neuron is False


@pytest.mark.parametrize("per_neuron", [False, True], ids=["shared", "per-unit"])
def test_prelu_round_trip(per_neuron: bool, tmp_path: Path) -> None:
    project = prelu_project(per_neuron)
    project.settings.optimizer = "adam"
    project.settings.learning_rate = 0.05
    train(project, 30)
    assert project.parameters is not None
    alpha = project.parameters["hidden 1"].alpha
    assert alpha is not None
    assert np.any(alpha != 0.25)

    loaded = round_trip(project, tmp_path)

    assert loaded.layer("hidden 1").prelu_per_neuron is per_neuron
    assert loaded.parameters is not None
    assert loaded.initial_parameters is not None
    np.testing.assert_array_equal(loaded.parameters["hidden 1"].alpha, alpha)
    np.testing.assert_array_equal(
        loaded.initial_parameters["hidden 1"].alpha, np.full(alpha.shape, 0.25)
    )
    assert loaded.parameters[OUTPUT].alpha is None
    X = project.dataset.X
    assert np.array_equal(loaded.network().predict(X), project.network().predict(X))


def test_prelu_layer_fields_written() -> None:
    document = project_to_dict(prelu_project(True))
    hidden = document["network"]["layers"][1]
    assert hidden["activation"] == "prelu"
    assert hidden["prelu_per_neuron"] is True
    assert document["parameters"]["current"]["hidden 1"]["alpha"] == [0.25] * 4
    assert "alpha" not in document["parameters"]["current"][OUTPUT]


def test_other_layers_omit_prelu_field() -> None:
    document = project_to_dict(default_project("xor"))
    assert "prelu_per_neuron" not in document["network"]["layers"][1]


def test_missing_alpha_loads_initial(tmp_path: Path) -> None:
    document = project_to_dict(prelu_project(True))
    del document["parameters"]["current"]["hidden 1"]["alpha"]
    path = tmp_path / "no alpha.nnproj"
    path.write_text(json.dumps(document), encoding="utf-8")

    project = load_project(path)

    assert project.parameters is not None
    np.testing.assert_array_equal(project.parameters["hidden 1"].alpha, [0.25] * 4)


def test_validation_loss_round_trip(tmp_path: Path) -> None:
    project = default_project("xor")
    project.history = History([0.5, 0.4, 0.3], [0.5, 0.5, 0.75], [0.6, math.nan, 0.45])

    loaded = round_trip(project, tmp_path)

    assert loaded.history.validation_loss[0] == 0.6
    assert math.isnan(loaded.history.validation_loss[1])
    assert loaded.history.validation_loss[2] == 0.45


def test_validation_loss_trained_round_trip(tmp_path: Path) -> None:
    project = load_project(EXAMPLES / "iris.nnproj")
    project.settings.validation_fraction = 0.2
    train(project, 5)
    assert not math.isnan(project.history.validation_loss[-1])

    loaded = round_trip(project, tmp_path)

    np.testing.assert_array_equal(loaded.history.validation_loss, project.history.validation_loss)


def test_no_validation_written_empty() -> None:
    project = default_project("xor")
    train(project, 3)
    assert project_to_dict(project)["history"]["validation_loss"] == []


def test_switch_to_prelu_keeps_weights() -> None:
    project = default_project("xor")
    train(project, 10)
    assert project.parameters is not None
    trained = copy_parameters(project.parameters)

    project.layer("hidden 1").activation = "prelu"
    network = project.network()

    np.testing.assert_array_equal(network.parameters["hidden 1"].W, trained["hidden 1"].W)
    np.testing.assert_array_equal(network.parameters["hidden 1"].alpha, [0.25])
    assert len(project.history.loss) == 10


def test_switch_from_prelu_drops_alpha(tmp_path: Path) -> None:
    project = prelu_project(False)
    project.layer("hidden 1").activation = "tanh"
    loaded = round_trip(project, tmp_path)
    assert loaded.parameters is not None
    assert loaded.parameters["hidden 1"].alpha is None


def test_float32_project_network() -> None:
    project = default_project("xor")
    project.settings.dtype = "float32"
    network = project.network()
    assert network.dtype == np.float32
    assert network.parameters["hidden 1"].W.dtype == np.float32


def test_float32_weights_round_trip(tmp_path: Path) -> None:
    project = default_project("xor")
    project.settings.dtype = "float32"
    train(project, 20)
    assert project.parameters is not None

    loaded = round_trip(project, tmp_path)

    assert loaded.parameters is not None
    for name, layer in project.parameters.items():
        np.testing.assert_array_equal(loaded.network().parameters[name].W, layer.W)


def test_bias_settings_draw_biases() -> None:
    project = default_project("xor")
    project.settings.bias_init = "constant"
    project.settings.bias_value = 0.5
    project.reinitialize()
    assert project.parameters is not None
    np.testing.assert_array_equal(project.parameters["hidden 1"].b, np.full(4, 0.5))


def test_default_settings_keep_weights() -> None:
    # The defaults of the new fields must draw exactly the weights drawn before them.
    project = default_project("xor")
    expected = initialize(project.network_spec(), "xavier_uniform", 0, 0.5)
    assert project.parameters is not None
    for name, layer in expected.items():
        np.testing.assert_array_equal(project.parameters[name].W, layer.W)
        np.testing.assert_array_equal(project.parameters[name].b, layer.b)


# invalid fields


def set_training(key: str, value: Any) -> Any:
    def edit(document: Document) -> None:
        document["training"][key] = value

    return edit


def set_layer(key: str, value: Any) -> Any:
    def edit(document: Document) -> None:
        document["network"]["layers"][1][key] = value

    return edit


def set_alpha(value: Any) -> Any:
    def edit(document: Document) -> None:
        document["parameters"]["current"]["hidden 1"]["alpha"] = value

    return edit


def set_validation_loss(value: Any) -> Any:
    def edit(document: Document) -> None:
        document["history"] = {"loss": [0.5, 0.4], "accuracy": [0.5, 0.5], "validation_loss": value}

    return edit


BAD_FIELDS: list[tuple[str, Any, list[str]]] = [
    ("l1 negative", set_training("l1", -0.5), ["'training.l1'", "-0.5", "at least 0"]),
    ("l2 too large", set_training("l2", 5000), ["'training.l2'", "5000", "at most 1000"]),
    ("l2 as text", set_training("l2", "small"), ["'training.l2'", "expected a number"]),
    ("beta1 of 1", set_training("adam_beta1", 1), ["'training.adam_beta1'", "below 1"]),
    ("beta2 negative", set_training("adam_beta2", -0.1), ["'training.adam_beta2'", "-0.1"]),
    ("eps 0", set_training("adam_eps", 0), ["'training.adam_eps'", "above 0"]),
    ("dtype", set_training("dtype", "float16"), ["'training.dtype'", "'float16'", "float32"]),
    (
        "target accuracy",
        set_training("target_accuracy", 1.5),
        ["'training.target_accuracy'", "1.5", "at most 1"],
    ),
    (
        "validation fraction",
        set_training("validation_fraction", 0.6),
        ["'training.validation_fraction'", "0.6", "at most 0.5"],
    ),
    ("patience -1", set_training("patience", -1), ["'training.patience'", "-1", "0 to"]),
    ("patience 1.5", set_training("patience", 1.5), ["'training.patience'", "whole number"]),
    ("bias init", set_training("bias_init", "ones"), ["'training.bias_init'", "'ones'", "zeros"]),
    ("bias value", set_training("bias_value", 1000), ["'training.bias_value'", "at most 100"]),
    (
        "per neuron as text",
        set_layer("prelu_per_neuron", "yes"),
        ["'network.layers[1].prelu_per_neuron'", "true or false"],
    ),
    (
        "alpha on tanh",
        set_alpha([0.25]),
        ["'parameters.current.hidden 1.alpha'", "not prelu"],
    ),
    (
        "validation length",
        set_validation_loss([0.5]),
        ["'history.validation_loss'", "1 entries", "has 2"],
    ),
    (
        "validation text",
        set_validation_loss([0.5, "low"]),
        ["'history.validation_loss[1]'", "expected a number"],
    ),
]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [(edit, expected) for _, edit, expected in BAD_FIELDS],
    ids=[name for name, _, _ in BAD_FIELDS],
)
def test_bad_field_rejected(edit: Any, expected: list[str], tmp_path: Path) -> None:
    document = project_to_dict(default_project("xor"))
    edit(document)
    path = tmp_path / "bad.nnproj"
    path.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(ProjectError) as info:
        load_project(path)

    message = str(info.value)
    for fragment in expected:
        assert fragment in message


def test_alpha_shape_rejected(tmp_path: Path) -> None:
    document = project_to_dict(prelu_project(True))
    document["parameters"]["current"]["hidden 1"]["alpha"] = [0.25]
    path = tmp_path / "bad alpha.nnproj"
    path.write_text(json.dumps(document), encoding="utf-8")

    with pytest.raises(ProjectError) as info:
        load_project(path)

    message = str(info.value)
    assert "'parameters.current.hidden 1.alpha'" in message
    assert "shape (1,), expected (4,)" in message
