"""The perceptron example projects load, train with the perceptron rule and do what they describe.

Each example starts from the same zero weights, data and learning rate as a
reference case, so its run must match that case epoch by epoch, exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nnstudio.engine.perceptron import PerceptronResult, PerceptronTrainer, is_perceptron_network
from nnstudio.project.fileformat import load_project
from nnstudio.project.model import Project
from tests.conftest import EXAMPLES
from tests.engine.reference import load_cases

REFERENCE = {case["name"]: case for case in load_cases("perceptron")}
# example file -> reference case with the same network, data and learning rate
EXAMPLE_CASES = {
    "perceptron-and.nnproj": "perceptron-and",
    "perceptron-xor.nnproj": "perceptron-xor",
    "perceptron-three-outputs.nnproj": "perceptron-three-outputs",
}


def train(project: Project) -> PerceptronResult:
    """Train ``project`` with the perceptron rule for at most its training.epochs."""
    trainer = PerceptronTrainer(
        project.network(),
        project.dataset.network_inputs(),
        project.dataset.y,
        project.settings.learning_rate,
    )
    return trainer.train(project.settings.epochs)


def trained(name: str) -> tuple[Project, PerceptronResult, dict[str, Any]]:
    project = load_project(EXAMPLES / name)
    return project, train(project), REFERENCE[EXAMPLE_CASES[name]]


@pytest.mark.parametrize("name", sorted(EXAMPLE_CASES))
def test_example_is_perceptron(name: str) -> None:
    project = load_project(EXAMPLES / name)

    assert is_perceptron_network(project.network_spec())
    assert project.description.strip()


@pytest.mark.parametrize("name", sorted(EXAMPLE_CASES))
def test_example_starts_like_reference(name: str) -> None:
    project = load_project(EXAMPLES / name)
    case = REFERENCE[EXAMPLE_CASES[name]]

    assert project.parameters is not None
    start = project.parameters["output"]
    assert np.array_equal(start.W, case["initial"]["W"])
    assert start.b is not None
    assert np.array_equal(start.b, case["initial"]["b"])
    assert np.array_equal(project.dataset.X, case["X"])
    assert np.array_equal(project.dataset.y, case["y"])
    assert project.settings.learning_rate == case["lr"]
    assert project.settings.epochs == case["max_epochs"]


@pytest.mark.parametrize("name", sorted(EXAMPLE_CASES))
def test_example_matches_reference(name: str) -> None:
    _, result, case = trained(name)

    assert result.converged == case["expected"]["converged"]
    for record, expected in zip(result.epochs, case["expected"]["epochs"], strict=True):
        assert record.misclassified == expected["misclassified"], f"epoch {record.epoch}"
        assert np.array_equal(record.W, expected["W"]), f"W after epoch {record.epoch}"
        assert record.b is not None
        assert np.array_equal(record.b, expected["b"]), f"b after epoch {record.epoch}"


def test_and_converges_as_described() -> None:
    project, result, _ = trained("perceptron-and.nnproj")
    last = result.epochs[-1]

    assert result.converged
    assert f"epoch {last.epoch} is the first to misclassify no corner" in project.description
    assert last.b is not None
    weights = f"W = [{last.W[0, 0]:g}, {last.W[1, 0]:g}], b = {last.b[0]:g}"
    assert weights in project.description


def test_xor_cycles_as_described() -> None:
    project, result, _ = trained("perceptron-xor.nnproj")

    assert not result.converged
    assert result.cycle_detected
    assert len(result.epochs) == project.settings.epochs
    assert f"until the {project.settings.epochs} epochs run out" in project.description
    assert f"period of {result.cycle_length} epoch" in project.description
    assert "not linearly separable" in result.message()


def test_xor_repeats_from_described_epoch() -> None:
    # The description names the first epoch that misclassifies every corner and ends
    # with the weights it started with. Every later epoch must do the same.
    project, result, _ = trained("perceptron-xor.nnproj")
    samples = len(project.dataset.X)
    # (epoch n - 1, epoch n) for every n from 2 on
    pairs = list(zip(result.epochs[:-1], result.epochs[1:], strict=True))
    first = next(
        record
        for previous, record in pairs
        if np.array_equal(record.W, previous.W) and record.misclassified == samples
    )

    assert f"From epoch {first.epoch} on" in project.description
    for previous, record in pairs[first.epoch - 2 :]:
        assert record.misclassified == samples, f"epoch {record.epoch}"
        assert np.array_equal(record.W, previous.W), f"W after epoch {record.epoch}"
        assert record.b is not None
        assert previous.b is not None
        assert np.array_equal(record.b, previous.b), f"b after epoch {record.epoch}"


def test_three_outputs_converge_as_described() -> None:
    project, result, _ = trained("perceptron-three-outputs.nnproj")
    last = result.epochs[-1]
    assert last.b is not None
    network = project.network()
    network.parameters["output"].W = last.W
    network.parameters["output"].b = last.b

    outputs = network.predict(project.dataset.network_inputs())

    assert result.converged
    assert f"epoch {last.epoch} is the first to misclassify no sample" in project.description
    assert project.dataset.output_count == 3
    assert np.array_equal(outputs, project.dataset.y)
