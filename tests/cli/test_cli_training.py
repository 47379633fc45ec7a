"""The training-setting options of `nnstudio train`, and `nnstudio gradcheck`, as subprocesses."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import copy_parameters
from nnstudio.engine.training import Trainer
from nnstudio.project.datasets import Dataset
from nnstudio.project.fileformat import load_project, save_project
from nnstudio.project.model import INPUT, OUTPUT, Layer, Project
from tests.conftest import EXAMPLES, REPO

TIMEOUT = 120

XOR = EXAMPLES / "xor.nnproj"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.nnproj"))


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=REPO,
    )


def json_output(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def one_error_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def direct_run(source: Path, epochs: int, **settings: Any) -> Trainer:
    """Train the project at ``source`` with changed settings, without the command line."""
    project = load_project(source)
    project.settings = dataclasses.replace(project.settings, **settings)
    dataset = project.dataset
    trainer = Trainer(project.network(), dataset.network_inputs(), dataset.y, project.settings)
    trainer.train(epochs)
    return trainer


def noisy_project(path: Path) -> Path:
    """A noisy sine on 20 samples and 16 tanh units, which overfits within a few hundred epochs."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.0, 1.0, (20, 1))
    y = np.sin(3.0 * X) + 0.3 * rng.normal(size=(20, 1))
    layers = [
        Layer(INPUT, "input", 1),
        Layer("hidden 1", "hidden", 16, "tanh"),
        Layer(OUTPUT, "output", 1, "identity"),
    ]
    project = Project(layers, [(INPUT, "hidden 1"), ("hidden 1", OUTPUT)], Dataset(X, y))
    project.settings.learning_rate = 0.1
    project.settings.optimizer = "adam"
    project.settings.epochs = 3000
    project.reinitialize()
    save_project(project, path)
    return path


def prelu_project(path: Path) -> Path:
    document = json.loads(XOR.read_text(encoding="utf-8"))
    hidden = document["network"]["layers"][1]
    hidden["activation"] = "prelu"
    hidden["prelu_per_neuron"] = True
    document["training"]["l1"] = 0.001
    document["training"]["l2"] = 0.01
    # With zero biases the corner (0, 0) puts z exactly on prelu's kink, where
    # central differences average the two slopes.
    document["training"]["bias_init"] = "constant"
    document["training"]["bias_value"] = 0.1
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# options saved in --out and reported in --json


def test_options_saved(tmp_path: Path) -> None:
    out = tmp_path / "trained.nnproj"
    result = run_cli(
        "train", XOR, "--epochs", "30", "--json", "--out", out,
        "--optimizer", "momentum", "--momentum", "0.5", "--batch-size", "2",
        "--loss", "binary_cross_entropy", "--l1", "0.001", "--l2", "0.002",
        "--dtype", "float32", "--target-accuracy", "0.99", "--target-loss", "0.001",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    settings = load_project(out).settings
    assert settings.optimizer == "momentum"
    assert settings.momentum == 0.5
    assert settings.batch_mode == "minibatch"
    assert settings.batch_size == 2
    assert settings.loss == "binary_cross_entropy"
    assert settings.l1 == 0.001
    assert settings.l2 == 0.002
    assert settings.dtype == "float32"
    assert settings.target_accuracy == 0.99
    assert settings.target_loss == 0.001
    training = json_output(result)["training"]
    assert training["optimizer"] == "momentum"
    assert training["batch_size"] == 2
    assert training["dtype"] == "float32"
    assert training["target_accuracy"] == 0.99


def test_adam_and_validation_saved(tmp_path: Path) -> None:
    out = tmp_path / "trained.nnproj"
    result = run_cli(
        "train", EXAMPLES / "iris.nnproj", "--epochs", "5", "--json", "--out", out,
        "--optimizer", "adam", "--adam-beta1", "0.8", "--adam-beta2", "0.99",
        "--adam-eps", "1e-6", "--validation-fraction", "0.2", "--patience", "4",
        "--batch-mode", "stochastic",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    project = load_project(out)
    settings = project.settings
    assert settings.adam_beta1 == 0.8
    assert settings.adam_beta2 == 0.99
    assert settings.adam_eps == 1e-6
    assert settings.validation_fraction == 0.2
    assert settings.patience == 4
    assert settings.batch_mode == "stochastic"
    data = json_output(result)
    assert data["validation_loss"] == project.history.validation_loss[-1]
    assert len(project.history.validation_loss) == 5


def test_batch_size_matches_trainer(tmp_path: Path) -> None:
    out = tmp_path / "trained.nnproj"
    result = run_cli("train", XOR, "--epochs", "40", "--batch-size", "3", "--json", "--out", out)
    assert result.returncode == 0, result.stderr

    trainer = direct_run(XOR, 40, batch_mode="minibatch", batch_size=3)

    assert json_output(result)["loss"] == trainer.history.loss[-1]
    trained = load_project(out)
    assert trained.parameters is not None
    for name, layer in trainer.network.parameters.items():
        assert np.array_equal(trained.parameters[name].W, layer.W), name


def test_batch_size_conflict_exits_2() -> None:
    result = run_cli("train", XOR, "--batch-size", "2", "--batch-mode", "full")
    line = one_error_line(result, 2)
    assert "--batch-size" in line
    assert "--batch-mode is full" in line


def test_penalty_reported(tmp_path: Path) -> None:
    out = tmp_path / "trained.nnproj"
    result = run_cli("train", XOR, "--epochs", "10", "--l2", "0.01", "--json", "--out", out)
    assert result.returncode == 0, result.stderr

    parameters = load_project(out).parameters
    assert parameters is not None
    expected = 0.005 * sum(float((layer.W**2).sum()) for layer in parameters.values())
    data = json_output(result)
    np.testing.assert_allclose(data["penalty"], expected, rtol=1e-12)
    assert data["validation_loss"] is None
    assert data["stop_reason"] is None


def test_float32_xor_full_accuracy(tmp_path: Path) -> None:
    out = tmp_path / "trained.nnproj"
    result = run_cli("train", XOR, "--dtype", "float32", "--json", "--out", out)
    assert result.returncode == 0, result.stderr
    assert json_output(result)["accuracy"] == 1.0
    assert load_project(out).settings.dtype == "float32"


# stopping


def test_target_accuracy_stops() -> None:
    result = run_cli("train", XOR, "--target-accuracy", "1", "--json")
    assert result.returncode == 0, result.stderr

    free = direct_run(XOR, 2000)
    expected = free.history.accuracy.tolist().index(1.0) + 1

    data = json_output(result)
    assert data["stop_reason"] == "target accuracy reached"
    assert data["epochs_trained"] == expected
    assert data["stopped_early"] is True


def test_project_target_loss_used(tmp_path: Path) -> None:
    # A target loss in the file stops the command-line run, as it stops the app's.
    document = json.loads(XOR.read_text(encoding="utf-8"))
    document["training"]["target_loss"] = 0.05
    source = tmp_path / "target.nnproj"
    source.write_text(json.dumps(document), encoding="utf-8")

    data = json_output(run_cli("train", source, "--json"))

    assert data["stop_reason"] == "target loss reached"
    assert data["loss"] <= 0.05
    assert data["epochs_trained"] == direct_run(source, 2000).epoch


def test_early_stopping_restores_best(tmp_path: Path) -> None:
    source = noisy_project(tmp_path / "noisy.nnproj")
    out = tmp_path / "stopped.nnproj"
    options = ("--validation-fraction", "0.25", "--patience", "50")
    result = run_cli("train", source, *options, "--json", "--out", out)
    assert result.returncode == 0, result.stderr

    stopped = load_project(out)
    best = int(np.argmin(stopped.history.validation_loss)) + 1
    rerun = direct_run(source, best, validation_fraction=0.25)

    data = json_output(result)
    assert data["stop_reason"] == (
        f"no improvement in validation loss for 50 epochs (weights from epoch {best} restored)"
    )
    assert data["last_epoch"] == best + 50
    assert data["validation_loss"] == rerun.history.validation_loss[-1]
    assert stopped.parameters is not None
    for name, layer in rerun.network.parameters.items():
        assert np.array_equal(stopped.parameters[name].W, layer.W), name
        assert np.array_equal(stopped.parameters[name].b, layer.b), name


def test_early_stopping_text_summary(tmp_path: Path) -> None:
    source = noisy_project(tmp_path / "noisy.nnproj")
    result = run_cli("train", source, "--validation-fraction", "0.25", "--patience", "50")
    assert result.returncode == 0, result.stderr
    assert "stopped early: no improvement in validation loss for 50 epochs" in result.stdout
    assert ", validation loss " in result.stdout


def test_progress_shows_validation_loss() -> None:
    options = ("--validation-fraction", "0.2", "--epochs", "20")
    result = run_cli("train", EXAMPLES / "iris.nnproj", *options)
    assert result.returncode == 0, result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("epoch 20/20  loss ")
    assert "  validation loss " in last


def test_patience_without_validation_exits_1() -> None:
    line = one_error_line(run_cli("train", XOR, "--patience", "5"), 1)
    assert "patience 5" in line
    assert "validation_fraction" in line


def test_too_small_validation_exits_1() -> None:
    line = one_error_line(run_cli("train", XOR, "--validation-fraction", "0.1"), 1)
    assert "0.1 of 4 samples" in line


def test_loss_mismatch_exits_1() -> None:
    line = one_error_line(run_cli("train", XOR, "--loss", "cross_entropy"), 1)
    assert "needs a softmax output layer" in line


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--l1", "-1", "argument --l1: -1 is out of range; expected a number at least 0"),
        ("--l2", "2000", "argument --l2: 2000 is out of range"),
        ("--momentum", "1.5", "argument --momentum: 1.5 is out of range"),
        ("--adam-beta1", "1", "argument --adam-beta1: 1 is out of range; expected a number at"),
        ("--adam-eps", "0", "argument --adam-eps: 0 is out of range; expected a number above 0"),
        ("--validation-fraction", "0.6", "at least 0 and at most 0.5"),
        ("--patience", "-1", "argument --patience: -1 is out of range"),
        ("--target-accuracy", "1.5", "argument --target-accuracy: 1.5 is out of range"),
        ("--batch-size", "0", "argument --batch-size: 0 is out of range"),
        ("--dtype", "float16", "argument --dtype: invalid choice: 'float16'"),
        ("--optimizer", "rmsprop", "argument --optimizer: invalid choice: 'rmsprop'"),
        ("--loss", "hinge", "argument --loss: invalid choice: 'hinge'"),
    ],
)
def test_bad_option_exits_2(option: str, value: str, expected: str) -> None:
    line = one_error_line(run_cli("train", XOR, option, value), 2)
    assert line.startswith("nnstudio train: error: ")
    assert expected in line


# gradcheck


def uses_step(path: Path) -> bool:
    return any(layer.activation == "step" for layer in load_project(path).layers)


DIFFERENTIABLE_EXAMPLES = [path for path in EXAMPLE_FILES if not uses_step(path)]
STEP_EXAMPLES = [path for path in EXAMPLE_FILES if uses_step(path)]


@pytest.mark.parametrize("path", DIFFERENTIABLE_EXAMPLES, ids=lambda path: path.name)
def test_gradcheck_examples_pass(path: Path) -> None:
    result = run_cli("gradcheck", path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "every layer is within the tolerance 1e-06" in result.stdout


@pytest.mark.parametrize("path", STEP_EXAMPLES, ids=lambda path: path.name)
def test_gradcheck_step_examples_exit_1(path: Path) -> None:
    line = one_error_line(run_cli("gradcheck", path), 1)
    assert line.startswith("nnstudio: error: cannot backpropagate")


def test_gradcheck_json() -> None:
    result = run_cli("gradcheck", XOR, "--json")
    assert result.returncode == 0, result.stderr
    data = json_output(result)
    assert [layer["name"] for layer in data["layers"]] == ["hidden 1", "output"]
    assert all(0 < layer["max_relative_error"] < 1e-6 for layer in data["layers"])
    assert data["passed"] is True
    assert data["tolerance"] == 1e-6
    worst = max(layer["max_relative_error"] for layer in data["layers"])
    assert data["max_relative_error"] == worst


def test_gradcheck_zero_tolerance_exits_1() -> None:
    # Central differences always carry some rounding, so nothing passes a tolerance of 0.
    result = run_cli("gradcheck", XOR, "--tolerance", "0")
    line = one_error_line(result, 1)
    assert "above the tolerance 0" in line
    assert "--tolerance" in line
    assert "above the tolerance" in result.stdout


def test_gradcheck_zero_tolerance_json() -> None:
    result = run_cli("gradcheck", XOR, "--tolerance", "0", "--json")
    one_error_line(result, 1)
    assert json_output(result)["passed"] is False


def test_gradcheck_step_network_exits_1(tmp_path: Path) -> None:
    document = json.loads(XOR.read_text(encoding="utf-8"))
    document["network"]["layers"][1]["activation"] = "step"
    source = tmp_path / "step.nnproj"
    source.write_text(json.dumps(document), encoding="utf-8")

    line = one_error_line(run_cli("gradcheck", source), 1)

    assert line.startswith("nnstudio: error: cannot backpropagate")
    assert "'hidden 1'" in line


def test_gradcheck_prelu_with_penalty(tmp_path: Path) -> None:
    result = run_cli("gradcheck", prelu_project(tmp_path / "prelu.nnproj"), "--json")
    assert result.returncode == 0, result.stderr
    assert json_output(result)["passed"] is True


def test_gradcheck_float32_project(tmp_path: Path) -> None:
    out = tmp_path / "trained.nnproj"
    trained = run_cli("train", XOR, "--dtype", "float32", "--epochs", "50", "--out", out)
    assert trained.returncode == 0, trained.stderr
    result = run_cli("gradcheck", out)
    assert result.returncode == 0, result.stderr


def test_gradcheck_bad_tolerance_exits_2() -> None:
    line = one_error_line(run_cli("gradcheck", XOR, "--tolerance", "-1"), 2)
    assert "argument --tolerance: -1 is out of range" in line


# gradients of a prelu layer


def test_gradients_show_alpha(tmp_path: Path) -> None:
    source = prelu_project(tmp_path / "prelu.nnproj")
    result = run_cli("gradients", source, "--json")
    assert result.returncode == 0, result.stderr

    project = load_project(source)
    network = project.network()
    expected = network.gradients(project.dataset.X, project.dataset.y, make_loss("mse"))
    hidden, output = json_output(result)["layers"]
    assert hidden["alpha"] == [0.25] * 4
    assert expected.parameters["hidden 1"].alpha is not None
    np.testing.assert_allclose(hidden["dalpha"], expected.parameters["hidden 1"].alpha, rtol=1e-12)
    assert output["alpha"] is None
    assert output["dalpha"] is None
    text = run_cli("gradients", source).stdout
    assert "dLoss/dalpha =" in text


def test_trained_prelu_alpha_saved(tmp_path: Path) -> None:
    source = prelu_project(tmp_path / "prelu.nnproj")
    out = tmp_path / "trained.nnproj"
    result = run_cli("train", source, "--epochs", "20", "--optimizer", "adam", "--out", out)
    assert result.returncode == 0, result.stderr

    trainer = direct_run(source, 20, optimizer="adam")
    saved = load_project(out).parameters
    assert saved is not None
    alpha = copy_parameters(trainer.network.parameters)["hidden 1"].alpha
    np.testing.assert_array_equal(saved["hidden 1"].alpha, alpha)
