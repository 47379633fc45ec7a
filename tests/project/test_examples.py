"""Every example project loads, trains with the engine and reaches the result it describes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from nnstudio.engine.training import Trainer
from nnstudio.project.fileformat import load_project
from nnstudio.project.model import Project
from tests.conftest import EXAMPLES, REPO

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.nnproj"))
GATES = ["and.nnproj", "or.nnproj", "nand.nnproj"]


def train(project: Project) -> Trainer:
    """Train ``project`` for its own training.epochs, as the Train button does."""
    trainer = Trainer(
        project.network(), project.dataset.network_inputs(), project.dataset.y, project.settings
    )
    trainer.train(project.settings.epochs)
    return trainer


def test_examples_exist() -> None:
    names = {path.name for path in EXAMPLE_FILES}
    assert {"xor.nnproj", "worked-example.nnproj", *GATES} <= names


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.name)
def test_example_loads_with_description(path: Path) -> None:
    project = load_project(path)

    assert project.description.strip()
    assert project.parameter_count() is not None


def test_xor_reaches_full_accuracy() -> None:
    project = load_project(EXAMPLES / "xor.nnproj")

    trainer = train(project)

    assert trainer.history.accuracy[-1] == 1.0
    assert trainer.history.loss[-1] < 0.01
    predictions = trainer.network.predict(project.dataset.network_inputs()) >= 0.5
    assert np.array_equal(predictions, project.dataset.y == 1.0)


def test_xor_description_epochs() -> None:
    # The description promises all four corners right after about 80 epochs and the
    # loss below 0.01 after about 380.
    trainer = train(load_project(EXAMPLES / "xor.nnproj"))

    first_full = trainer.history.accuracy.tolist().index(1.0) + 1
    first_below = next(i for i, loss in enumerate(trainer.history.loss) if loss < 0.01) + 1
    assert 70 <= first_full <= 90
    assert 340 <= first_below <= 420


@pytest.mark.parametrize("name", GATES)
def test_gate_reaches_full_accuracy(name: str) -> None:
    project = load_project(EXAMPLES / name)

    trainer = train(project)

    assert trainer.history.accuracy[-1] == 1.0
    # The description promises 100% accuracy within about 20 epochs.
    assert trainer.history.accuracy.tolist().index(1.0) + 1 <= 25
    predictions = trainer.network.predict(project.dataset.network_inputs()) >= 0.5
    assert np.array_equal(predictions, project.dataset.y == 1.0)


def test_gates_have_one_unit() -> None:
    for name in GATES:
        project = load_project(EXAMPLES / name)
        assert [layer.role for layer in project.layers] == ["input", "output"]
        assert project.parameter_count() == 3


def test_worked_example_output() -> None:
    project = load_project(EXAMPLES / "worked-example.nnproj")

    output = project.network().predict(project.dataset.network_inputs())

    # 2 * -0.78 + 3 * 0.85 = 0.99 and 2 * 0.13 + 3 * 0.23 = 0.95, then 0.99 * 1.8 + 0.95 * 0.4.
    np.testing.assert_allclose(output, [[2.162]], rtol=1e-12)
    assert project.parameter_count() == 6


def test_worked_example_initial_is_current() -> None:
    project = load_project(EXAMPLES / "worked-example.nnproj")

    assert project.initial_parameters is not None
    assert project.parameters is not None
    for name, layer in project.initial_parameters.items():
        assert np.array_equal(project.parameters[name].W, layer.W)
        assert layer.b is None
    np.testing.assert_array_equal(project.parameters["output"].W, [[1.8], [0.4]])


def test_docs_example_is_worked_example() -> None:
    # docs/project-format.md shows the worked example in full; it must stay the same file.
    text = (REPO / "docs" / "project-format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)
    documents = [json.loads(block) for block in blocks]

    example = json.loads((EXAMPLES / "worked-example.nnproj").read_text(encoding="utf-8"))
    assert example in documents
