"""The training.algorithm field, and the perceptron rule run on a project (ProjectPerceptron).

The field: its default for files without it, round trips, rejected values.
The run: reference counts, the loss and accuracy it records, continued epochs,
and the reasons a project cannot use the rule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnstudio.engine.errors import EngineError
from nnstudio.project.datasets import Dataset
from nnstudio.project.fields import ProjectError
from nnstudio.project.fileformat import load_project, project_to_dict, save_project
from nnstudio.project.model import BACKPROPAGATION, PERCEPTRON, default_project
from nnstudio.project.perceptron_training import (
    COMPLETED,
    CONVERGED,
    ProjectPerceptron,
    perceptron_problem,
)
from tests.conftest import EXAMPLES
from tests.engine.reference import load_cases

REFERENCE = {case["name"]: case for case in load_cases("perceptron")}
PERCEPTRON_EXAMPLES = sorted(path.name for path in EXAMPLES.glob("perceptron-*.nnproj"))


def write(document: dict[str, Any], folder: Path) -> Path:
    path = folder / "project.nnproj"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def train_all(training: ProjectPerceptron) -> str:
    while True:
        reason = training.run_epoch()
        if reason:
            return reason


# the field


def test_missing_algorithm_is_backpropagation(tmp_path: Path) -> None:
    document = project_to_dict(default_project("xor"))
    del document["training"]["algorithm"]

    project = load_project(write(document, tmp_path))

    assert project.settings.algorithm == BACKPROPAGATION


def test_new_project_is_backpropagation() -> None:
    assert default_project("and").settings.algorithm == BACKPROPAGATION


def test_algorithm_round_trip(tmp_path: Path) -> None:
    project = default_project("and")
    project.settings.algorithm = PERCEPTRON
    path = tmp_path / "perceptron.nnproj"

    save_project(project, path)

    assert json.loads(path.read_text(encoding="utf-8"))["training"]["algorithm"] == PERCEPTRON
    assert load_project(path).settings.algorithm == PERCEPTRON


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("perceptrons", ["'perceptrons'", "backpropagation, perceptron"]),
        ("Perceptron", ["'Perceptron'", "backpropagation, perceptron"]),
        ("", ["''", "backpropagation, perceptron"]),
        (1, ["expected text", "a number"]),
        (None, ["expected text", "null"]),
    ],
)
def test_bad_algorithm_rejected(value: Any, expected: list[str], tmp_path: Path) -> None:
    document = project_to_dict(default_project("xor"))
    document["training"]["algorithm"] = value

    with pytest.raises(ProjectError) as info:
        load_project(write(document, tmp_path))

    message = str(info.value)
    assert "'training.algorithm'" in message
    for fragment in expected:
        assert fragment in message


@pytest.mark.parametrize("name", PERCEPTRON_EXAMPLES)
def test_perceptron_examples_choose_rule(name: str) -> None:
    assert load_project(EXAMPLES / name).settings.algorithm == PERCEPTRON


def test_other_examples_backpropagate() -> None:
    others = [path for path in EXAMPLES.glob("*.nnproj") if path.name not in PERCEPTRON_EXAMPLES]

    assert others
    for path in others:
        assert load_project(path).settings.algorithm == BACKPROPAGATION, path.name


# a project trained with the rule


@pytest.mark.parametrize("name", PERCEPTRON_EXAMPLES)
def test_run_matches_reference(name: str) -> None:
    project = load_project(EXAMPLES / name)
    case = REFERENCE[name.removesuffix(".nnproj")]
    training = ProjectPerceptron(project)

    reason = train_all(training)

    expected = case["expected"]
    assert reason == (CONVERGED if expected["converged"] else COMPLETED)
    assert training.misclassified == [epoch["misclassified"] for epoch in expected["epochs"]]
    assert training.epoch == len(expected["epochs"])


def test_history_records_step_outputs() -> None:
    # After each epoch: mean squared error (with the 1/2) and accuracy of
    # step(X @ W + b), from the epoch's weights, worked out here without the network.
    project = load_project(EXAMPLES / "perceptron-and.nnproj")
    training = ProjectPerceptron(project)
    train_all(training)
    X, y = project.dataset.X, project.dataset.y

    history = training.history
    assert len(history) == len(training.trainer.records)
    for index, record in enumerate(training.trainer.records):
        assert record.b is not None
        output = (X @ record.W + record.b >= 0).astype(float)
        mse = 0.5 * np.sum((output - y) ** 2) / len(y)
        assert history.loss[index] == mse, f"epoch {record.epoch}"
        assert history.accuracy[index] == np.mean(output == y), f"epoch {record.epoch}"
        assert np.isnan(history.validation_loss[index])
    assert history.loss[-1] == 0.0


def test_second_run_continues_epochs() -> None:
    project = load_project(EXAMPLES / "perceptron-xor.nnproj")
    first = ProjectPerceptron(project, epochs=4)
    assert train_all(first) == COMPLETED
    first.store_in(project)

    second = ProjectPerceptron(project, epochs=3)
    train_all(second)
    second.store_in(project)

    assert [record.epoch for record in second.trainer.records] == [5, 6, 7]
    assert project.history.epoch_count == 7
    whole = ProjectPerceptron(load_project(EXAMPLES / "perceptron-xor.nnproj"), epochs=7)
    train_all(whole)
    assert first.misclassified + second.misclassified == whole.misclassified
    assert np.array_equal(project.parameters["output"].W, whole.trainer.parameters.W)


def test_store_in_gives_project_weights() -> None:
    project = load_project(EXAMPLES / "perceptron-and.nnproj")
    training = ProjectPerceptron(project)
    train_all(training)

    training.store_in(project)

    last = training.trainer.records[-1]
    assert np.array_equal(project.parameters["output"].W, last.W)
    assert np.array_equal(project.parameters["output"].b, last.b)
    assert project.history == training.history


# projects the rule cannot train


def test_hidden_layer_named() -> None:
    project = default_project("xor")
    project.settings.algorithm = PERCEPTRON

    problem = perceptron_problem(project)

    assert problem is not None
    assert "one layer of step units" in problem
    assert "'hidden 1', 'output'" in problem
    with pytest.raises(EngineError, match="2 layers after the input"):
        ProjectPerceptron(project)


def test_regression_targets_named() -> None:
    project = load_project(EXAMPLES / "perceptron-and.nnproj")
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    project.set_dataset(Dataset(X, np.array([[0.5], [1.0]]), name="halves"))

    problem = perceptron_problem(project)

    assert problem is not None
    assert "targets of 0 or 1" in problem
    assert "'halves'" in problem
    with pytest.raises(EngineError, match="0.5"):
        ProjectPerceptron(project)


def test_suitable_project_has_no_problem() -> None:
    assert perceptron_problem(load_project(EXAMPLES / "perceptron-and.nnproj")) is None
