"""Projects that every exporter test runs, and the engine's outputs they are compared with.

Each case is a project with weights drawn from a seed and random biases, so that
every weight and bias reaches the output. The reference is always the engine:
``project.network().predict(project.dataset.network_inputs(X))``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from nnstudio.project.datasets import Dataset
from nnstudio.project.fileformat import load_project
from nnstudio.project.model import INPUT, OUTPUT, Layer, Project
from tests.conftest import EXAMPLES

Array = NDArray[np.float64]

TIMEOUT = 120
INPUTS = 3
LEAKY_SLOPE = 0.2
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.nnproj"))


def build_project(
    hidden: list[Layer],
    connections: list[tuple[str, str]],
    output_activation: str = "identity",
    outputs: int = 2,
    seed: int = 1,
) -> Project:
    """Return a project on random data with the given hidden layers, weights and biases set."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(8, INPUTS))
    y = np.eye(outputs)[rng.integers(0, outputs, size=8)]
    layers = [
        Layer(INPUT, "input", INPUTS),
        *hidden,
        Layer(OUTPUT, "output", outputs, output_activation),
    ]
    project = Project(layers, connections, Dataset(X, y))
    project.settings.initializer = "normal"
    project.settings.init_scale = 1.0
    project.settings.seed = seed
    project.reinitialize()

    # Biases start at 0; random ones make a wrong bias show in the outputs.
    assert project.parameters is not None
    for params in project.parameters.values():
        if params.b is not None:
            params.b = rng.normal(size=params.b.shape)
    return project


def chain_project(hidden_activation: str, output_activation: str, outputs: int = 2) -> Project:
    hidden = Layer("hidden 1", "hidden", 5, hidden_activation, slope=LEAKY_SLOPE)
    connections = [(INPUT, "hidden 1"), ("hidden 1", OUTPUT)]
    return build_project([hidden], connections, output_activation, outputs)


def skip_project() -> Project:
    """Input feeds the hidden layer and the output; the output's input rows are input first."""
    hidden = Layer("hidden 1", "hidden", 4, "relu")
    connections = [(INPUT, "hidden 1"), (INPUT, OUTPUT), ("hidden 1", OUTPUT)]
    return build_project([hidden], connections, "sigmoid")


def skip_reversed_project() -> Project:
    """The same graph as skip_project with the output's inputs in the other order."""
    hidden = Layer("hidden 1", "hidden", 4, "relu")
    connections = [(INPUT, "hidden 1"), ("hidden 1", OUTPUT), (INPUT, OUTPUT)]
    return build_project([hidden], connections, "sigmoid")


def branches_project() -> Project:
    """Two hidden branches, one without bias, joined again; names that are not identifiers."""
    hidden = [
        Layer("left branch", "hidden", 3, "tanh"),
        Layer("right-branch (2)", "hidden", 2, "leaky_relu", bias=False, slope=LEAKY_SLOPE),
        Layer("join", "hidden", 4, "abs"),
    ]
    connections = [
        (INPUT, "left branch"),
        (INPUT, "right-branch (2)"),
        ("right-branch (2)", "join"),
        ("left branch", "join"),
        ("join", OUTPUT),
        (INPUT, OUTPUT),
    ]
    return build_project(hidden, connections, "softmax", outputs=3)


def standardized_project() -> Project:
    """The skip graph on a dataset whose inputs are standardized by hand-set mean and scale."""
    project = skip_project()
    project.dataset.mean = np.array([10.0, -3.0, 0.25])
    project.dataset.scale = np.array([4.0, 0.5, 2.0])
    project.dataset.input_names = ["height", "weight", "age"]
    project.dataset.class_names = ["no", "yes"]
    return project


def mixed_project() -> Project:
    """Every neuron-level activation in two mixed hidden layers, and a mixed output layer."""
    first = Layer("mixed 1", "hidden", 6, "tanh", slope=LEAKY_SLOPE)
    first.activations = ["relu", "tanh", "leaky_relu", "abs", "sigmoid", "identity"]
    second = Layer("mixed 2", "hidden", 4, "tanh", bias=False)
    second.activations = ["step", "tanh", "step", "sigmoid"]
    connections = [
        (INPUT, "mixed 1"),
        ("mixed 1", "mixed 2"),
        ("mixed 2", OUTPUT),
        ("mixed 1", OUTPUT),
    ]
    project = build_project([first, second], connections, "sigmoid", outputs=3)
    project.layer(OUTPUT).activations = ["identity", "sigmoid", "identity"]
    return project


def _cases() -> dict[str, Callable[[], Project]]:
    cases: dict[str, Callable[[], Project]] = {}
    for path in EXAMPLE_FILES:
        cases[f"example-{path.stem}"] = lambda path=path: load_project(path)
    for name in HIDDEN_ACTIVATIONS:
        cases[f"hidden-{name}"] = lambda name=name: chain_project(name, "identity")
    for name in OUTPUT_ACTIVATIONS:
        outputs = 3 if name == "softmax" else 2
        cases[f"output-{name}"] = lambda name=name, n=outputs: chain_project("tanh", name, n)
    cases["skip-connection"] = skip_project
    cases["skip-connection-reversed"] = skip_reversed_project
    cases["branches"] = branches_project
    cases["standardized"] = standardized_project
    cases["per-neuron"] = mixed_project
    return cases


CASES = _cases()


def sample_inputs(project: Project, seed: int = 7) -> Array:
    """Return raw inputs to export and compare on: the dataset's rows and random rows near them."""
    dataset = project.dataset
    rng = np.random.default_rng(seed)
    center = np.zeros(dataset.input_count) if dataset.mean is None else dataset.mean
    spread = np.ones(dataset.input_count) if dataset.scale is None else dataset.scale
    random_rows = center + 2.0 * spread * rng.normal(size=(20, dataset.input_count))
    return np.vstack([dataset.X, random_rows])


def engine_outputs(project: Project, X: Array) -> Array:
    return project.network().predict(project.dataset.network_inputs(X))


def write_csv(path: Path, X: Array, header: str | None = None) -> Path:
    # repr keeps every digit of each float64, so the script reads the same inputs.
    lines = [] if header is None else [header]
    lines += [",".join(repr(value) for value in row) for row in X.tolist()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_script(
    script: Path, *args: str | Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def printed_outputs(stdout: str) -> Array:
    """Parse the rows of comma-separated numbers that an exported script prints."""
    rows = [[float(value) for value in line.split(",")] for line in stdout.splitlines()]
    return np.array(rows, dtype=np.float64)
