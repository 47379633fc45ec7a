"""``nnstudio train`` with the perceptron rule, run as a subprocess on the example projects.

The counts, weights and outcome it prints are compared with PerceptronTrainer
run in this process on the same file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from nnstudio.engine.perceptron import PerceptronResult, PerceptronTrainer
from nnstudio.project.fileformat import load_project
from tests.cli.test_cli import json_output, run_cli
from tests.conftest import EXAMPLES

EXAMPLE_NAMES = ["perceptron-and", "perceptron-xor", "perceptron-three-outputs"]
PROGRESS = re.compile(r"epoch (\d+)/(\d+)  misclassified (\d+) of (\d+)")


def engine_run(path: Path, epochs: int | None = None) -> tuple[PerceptronTrainer, PerceptronResult]:
    project = load_project(path)
    trainer = PerceptronTrainer(
        project.network(),
        project.dataset.network_inputs(),
        project.dataset.y,
        project.settings.learning_rate,
    )
    return trainer, trainer.train(epochs or project.settings.epochs)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_json_matches_engine(name: str, tmp_path: Path) -> None:
    path = EXAMPLES / f"{name}.nnproj"
    out = tmp_path / "trained.nnproj"
    trainer, expected = engine_run(path)

    result = run_cli("train", path, "--json", "--out", out)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json_output(result)
    assert data["algorithm"] == "perceptron"
    assert data["misclassified"] == expected.misclassified
    assert data["converged"] == expected.converged
    assert data["epochs_trained"] == len(expected.epochs)
    assert data["cycle_length"] == expected.cycle_length
    assert data["message"] == expected.message()

    saved = load_project(out)
    assert saved.settings.algorithm == "perceptron"
    assert saved.history.epoch_count == len(expected.epochs)
    assert np.array_equal(saved.parameters["output"].W, trainer.parameters.W)
    assert np.array_equal(saved.parameters["output"].b, trainer.parameters.b)


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_text_output(name: str) -> None:
    path = EXAMPLES / f"{name}.nnproj"
    _, expected = engine_run(path)
    samples = len(load_project(path).dataset.X)

    result = run_cli("train", path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    count = len(expected.epochs)
    last = expected.misclassified[-1]
    assert lines[0] == (
        f"trained {count} epochs ({count} in total) with the perceptron rule: "
        f"{last} of {samples} samples misclassified in the last epoch"
    )
    assert lines[1] == expected.message()

    # every progress line shows the engine's count of its epoch, and the last epoch is shown
    progress = [PROGRESS.fullmatch(line) for line in result.stderr.splitlines()]
    assert progress
    assert all(match is not None for match in progress)
    printed = [(int(m[1]), int(m[3])) for m in progress if m is not None]
    for epoch, misclassified in printed:
        assert misclassified == expected.misclassified[epoch - 1], f"epoch {epoch}"
    assert printed[-1][0] == count


def test_and_converged_line() -> None:
    result = run_cli("train", EXAMPLES / "perceptron-and.nnproj")

    assert "converged after 6 epochs: every sample classified correctly" in result.stdout


def test_xor_not_separable_line() -> None:
    result = run_cli("train", EXAMPLES / "perceptron-xor.nnproj")

    assert result.returncode == 0
    assert "did not converge in 30 epochs: the data is not linearly separable" in result.stdout
    assert "period of 1 epoch" in result.stdout


def test_too_few_epochs_not_yet() -> None:
    # AND is separable, but 3 epochs are not enough: no proof either way.
    _, expected = engine_run(EXAMPLES / "perceptron-and.nnproj", epochs=3)

    result = run_cli("train", EXAMPLES / "perceptron-and.nnproj", "--epochs", "3", "--json")

    data = json_output(result)
    assert result.returncode == 0
    assert data["misclassified"] == expected.misclassified
    assert not data["converged"]
    assert data["cycle_epochs"] is None
    assert "may not be linearly separable" in data["message"]


def test_algorithm_option_overrides_file(tmp_path: Path) -> None:
    # perceptron-and without its algorithm field, which would backpropagate by default.
    document = json.loads((EXAMPLES / "perceptron-and.nnproj").read_text(encoding="utf-8"))
    del document["training"]["algorithm"]
    path = tmp_path / "step-and.nnproj"
    path.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "trained.nnproj"
    _, expected = engine_run(EXAMPLES / "perceptron-and.nnproj")

    result = run_cli("train", path, "--algorithm", "perceptron", "--json", "--out", out)

    assert result.returncode == 0, result.stderr
    assert json_output(result)["misclassified"] == expected.misclassified
    assert load_project(out).settings.algorithm == "perceptron"


def test_hidden_layer_rejected() -> None:
    result = run_cli("train", EXAMPLES / "xor.nnproj", "--algorithm", "perceptron")

    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("nnstudio: error: the perceptron rule trains one layer of step")
    assert "remove the hidden layers" in lines[0]


def test_backpropagation_option_rejects_step() -> None:
    result = run_cli("train", EXAMPLES / "perceptron-and.nnproj", "--algorithm", "backpropagation")

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert "cannot backpropagate" in lines[0]
    assert "perceptron rule" in lines[0]


def test_unknown_algorithm_rejected() -> None:
    result = run_cli("train", EXAMPLES / "perceptron-and.nnproj", "--algorithm", "hebb")

    assert result.returncode == 2
    assert "'hebb'" in result.stderr
    assert "perceptron" in result.stderr
