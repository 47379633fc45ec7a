"""Project files: exact round trips, stable bytes, atomic saves and a clear error for bad files."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnstudio.engine.errors import EngineError, GraphError
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import copy_parameters
from nnstudio.engine.training import Trainer
from nnstudio.project.datasets import Dataset
from nnstudio.project.fields import ProjectError
from nnstudio.project.fileformat import load_project, project_to_dict, save_project
from nnstudio.project.model import INPUT, OUTPUT, Layer, Project, default_project

Document = dict[str, Any]


def train(project: Project, epochs: int) -> None:
    """Train the project's network and store the weights and history back in it."""
    network = project.network()
    trainer = Trainer(network, project.dataset.X, project.dataset.y, project.settings)
    trainer.train(epochs)
    project.parameters = copy_parameters(network.parameters)
    project.history = trainer.history


def xor_project() -> Project:
    """The default XOR project with changed settings, moved layers and some training."""
    project = default_project("xor")
    project.description = "XOR après l'entraînement — ü"
    project.layer("hidden 1").position = (-35.5, 120.25)
    project.layer(OUTPUT).position = (300.75, -12.5)
    settings = project.settings
    settings.learning_rate = 0.3
    settings.batch_mode = "minibatch"
    settings.batch_size = 2
    settings.seed = 7
    settings.optimizer = "momentum"
    settings.momentum = 0.8
    settings.target_loss = 0.001
    settings.initializer = "he_normal"
    settings.epochs = 300
    project.reinitialize()
    train(project, 25)
    return project


def regression_project() -> Project:
    """Inline data with real targets, so the history has no accuracy (NaN)."""
    rng = np.random.default_rng(0)
    dataset = Dataset(rng.normal(size=(6, 3)), rng.normal(size=(6, 2)), None, "points")
    layers = [
        Layer(INPUT, "input", 3),
        Layer("hidden 1", "hidden", 5, "leaky_relu", bias=False, slope=0.2, position=(10, 20)),
        Layer("hidden 2", "hidden", 2, "abs", position=(10.5, -20.25)),
        Layer(OUTPUT, "output", 2, "identity", position=(400, 0)),
    ]
    connections = [
        (INPUT, "hidden 1"),
        (INPUT, "hidden 2"),
        ("hidden 1", OUTPUT),
        ("hidden 2", OUTPUT),
        (INPUT, OUTPUT),
    ]
    project = Project(layers, connections, dataset)
    project.settings.loss = "mae"
    project.settings.learning_rate = 0.05
    project.reinitialize()
    train(project, 5)
    return project


PROJECTS = {"xor": xor_project, "regression": regression_project}


def round_trip(project: Project, folder: Path) -> Project:
    path = folder / "project.nnproj"
    save_project(project, path)
    return load_project(path)


@pytest.mark.parametrize("make", PROJECTS.values(), ids=PROJECTS.keys())
def test_round_trip_weights(make: Callable[[], Project], tmp_path: Path) -> None:
    project = make()
    loaded = round_trip(project, tmp_path)
    assert project.parameters is not None
    assert project.initial_parameters is not None
    assert loaded.parameters is not None
    assert loaded.initial_parameters is not None
    for name, layer in project.parameters.items():
        assert np.array_equal(loaded.parameters[name].W, layer.W), name
        assert np.array_equal(loaded.parameters[name].b, layer.b), name
    for name, layer in project.initial_parameters.items():
        assert np.array_equal(loaded.initial_parameters[name].W, layer.W), name
        assert np.array_equal(loaded.initial_parameters[name].b, layer.b), name


@pytest.mark.parametrize("make", PROJECTS.values(), ids=PROJECTS.keys())
def test_round_trip_history(make: Callable[[], Project], tmp_path: Path) -> None:
    project = make()
    loaded = round_trip(project, tmp_path)
    assert len(project.history.loss) > 0
    assert loaded.history == project.history
    assert np.array_equal(loaded.history.accuracy, project.history.accuracy, equal_nan=True)


def test_round_trip_history_without_accuracy(tmp_path: Path) -> None:
    loaded = round_trip(regression_project(), tmp_path)
    assert np.all(np.isnan(loaded.history.accuracy))


@pytest.mark.parametrize("make", PROJECTS.values(), ids=PROJECTS.keys())
def test_round_trip_settings_and_layout(make: Callable[[], Project], tmp_path: Path) -> None:
    project = make()
    loaded = round_trip(project, tmp_path)
    assert loaded.settings == project.settings
    assert loaded.description == project.description
    assert loaded.connections == project.connections
    assert [layer.position for layer in loaded.layers] == [
        layer.position for layer in project.layers
    ]
    assert loaded.layers == project.layers


@pytest.mark.parametrize("make", PROJECTS.values(), ids=PROJECTS.keys())
def test_round_trip_predictions(make: Callable[[], Project], tmp_path: Path) -> None:
    project = make()
    loaded = round_trip(project, tmp_path)
    assert np.array_equal(loaded.dataset.X, project.dataset.X)
    assert np.array_equal(loaded.dataset.y, project.dataset.y)
    X = project.dataset.X
    assert np.array_equal(loaded.network().predict(X), project.network().predict(X))


def test_save_twice_same_bytes(tmp_path: Path) -> None:
    project = xor_project()
    first, second = tmp_path / "first.nnproj", tmp_path / "second.nnproj"
    save_project(project, first)
    save_project(project, second)
    assert first.read_bytes() == second.read_bytes()


def test_resave_after_load_same_bytes(tmp_path: Path) -> None:
    path = tmp_path / "project.nnproj"
    save_project(regression_project(), path)
    original = path.read_bytes()
    save_project(load_project(path), path)
    assert path.read_bytes() == original


def test_file_is_utf8_json(tmp_path: Path) -> None:
    path = tmp_path / "project.nnproj"
    save_project(xor_project(), path)
    document = json.loads(path.read_bytes().decode("utf-8"))
    assert document["format"] == "nnstudio-project"
    assert document["version"] == 2


def test_non_ascii_path(tmp_path: Path) -> None:
    folder = tmp_path / "class notes" / "réseau ü"
    folder.mkdir(parents=True)
    path = folder / "projet é.nnproj"
    project = xor_project()
    save_project(project, path)
    loaded = load_project(path)
    assert loaded.description == project.description
    assert [entry.name for entry in folder.iterdir()] == ["projet é.nnproj"]


# Bad files. Each case turns a valid document into the bytes of a bad file.

MARKER = "@@replace@@"


def valid_document() -> Document:
    return project_to_dict(default_project("xor"))


def raw(content: bytes) -> Callable[[Document], bytes]:
    return lambda document: content


def changed(path: tuple[Any, ...], value: Any) -> Callable[[Document], bytes]:
    """Set the value at ``path`` (keys and list indices) to ``value``."""

    def change(document: Document) -> bytes:
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return json.dumps(document).encode("utf-8")

    return change


def token(path: tuple[Any, ...], text: str) -> Callable[[Document], bytes]:
    """Write ``text`` as it is, not as JSON, at ``path``: for NaN, 1e400 and such."""
    set_marker = changed(path, MARKER)
    return lambda document: set_marker(document).replace(json.dumps(MARKER).encode(), text.encode())


def edited(edit: Callable[[Document], None]) -> Callable[[Document], bytes]:
    def apply(document: Document) -> bytes:
        edit(document)
        return json.dumps(document).encode("utf-8")

    return apply


def add_cycle(document: Document) -> None:
    network = document["network"]
    network["layers"].append(
        {"name": "hidden 2", "role": "hidden", "units": 2, "activation": "relu"}
    )
    # Weights come with the file, and weights need a whole network.
    network["connections"] += [["hidden 1", "hidden 2"], ["hidden 2", "hidden 1"]]


def add_connection(source: str, target: str) -> Callable[[Document], None]:
    return lambda document: document["network"]["connections"].append([source, target])


def drop_network(document: Document) -> None:
    del document["network"]


def bce_with_identity(document: Document) -> None:
    document["training"]["loss"] = "binary_cross_entropy"
    document["network"]["layers"][2]["activation"] = "identity"


INLINE = {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [[0], [1], [1], [0]]}


def inline_dataset(inputs: Any) -> Callable[[Document], bytes]:
    return changed(("dataset",), {**INLINE, "inputs": inputs})


W = ("parameters", "initial", "hidden 1", "W")
LEARNING_RATE = ("training", "learning_rate")
HUGE = "1" + "0" * 400

BAD_FILES: list[tuple[str, Callable[[Document], bytes], list[str]]] = [
    ("not json", raw(b"this is not a project"), ["not a valid JSON document"]),
    ("empty", raw(b""), ["not a valid JSON document"]),
    ("not utf-8", raw('{"description": "café"}'.encode("latin-1")), ["not UTF-8"]),
    ("top-level list", raw(b"[1, 2, 3]"), ["(top level)", "expected an object"]),
    ("missing network", edited(drop_network), ["'network'", "is missing"]),
    ("rate as text", changed(LEARNING_RATE, "fast"), ["'training.learning_rate'", "number"]),
    ("rate 0", changed(LEARNING_RATE, 0), ["'training.learning_rate'", "above 0"]),
    ("rate -1", changed(LEARNING_RATE, -1), ["'training.learning_rate'", "above 0"]),
    ("units 0", changed(("network", "layers", 1, "units"), 0), ["'network.layers[1].units'"]),
    ("units 65", changed(("network", "layers", 1, "units"), 65), ["'network.layers[1].units'"]),
    (
        "unknown activation",
        changed(("network", "layers", 1, "activation"), "swish"),
        ["'network.layers[1].activation'", "'swish'"],
    ),
    (
        "hidden softmax",
        changed(("network", "layers", 1, "activation"), "softmax"),
        ["'network.layers[1].activation'", "'softmax'"],
    ),
    ("NaN rate", token(LEARNING_RATE, "NaN"), ["'training.learning_rate'", "finite"]),
    ("NaN weight", token((*W, 0, 1), "NaN"), ["'parameters.initial.hidden 1.W'", "finite"]),
    (
        "Infinity position",
        token(("network", "layers", 1, "position", 0), "-Infinity"),
        ["'network.layers[1].position'", "finite"],
    ),
    (
        "weight shape",
        changed(("parameters", "current", "output", "W"), [[1.0, 2.0]]),
        ["'parameters.current.output.W'", "shape (1, 2)", "(4, 1)"],
    ),
    (
        "unknown layer",
        edited(add_connection("ghost", "output")),
        ["'network.connections[2]'", "'ghost'"],
    ),
    (
        "cycle",
        edited(add_cycle),
        ["'network.connections'", "cycle", "'hidden 1'", "'hidden 2'"],
    ),
    (
        "into input",
        edited(add_connection("hidden 1", "input")),
        ["'network.connections'", "'hidden 1'", "input layer"],
    ),
    (
        "newer version",
        changed(("version",), 7),
        ["'version'", "written by format version 7", "reads versions up to 2", "Update nnstudio"],
    ),
    ("other format", changed(("format",), "keras"), ["'format'", "'keras'"]),
    (
        "input size",
        changed(("network", "layers", 0, "units"), 3),
        ["'network.layers[0].units'", "3 units", "2 inputs"],
    ),
    ("nested lists", raw(b"[" * 100_000 + b"]" * 100_000), ["nested too deeply"]),
    ("nested field", token(("description",), "[" * 100_000 + "]" * 100_000), ["nested"]),
    ("1e400 rate", token(LEARNING_RATE, "1e400"), ["'training.learning_rate'", "finite"]),
    ("1e400 input", inline_dataset([[0, 0], [0, 1], [1, 0], [1, 1e400]]), ["'dataset.inputs'"]),
    ("huge int rate", token(LEARNING_RATE, HUGE), ["'training.learning_rate'", "too large"]),
    ("huge int weight", token((*W, 0, 1), HUGE), ["'parameters.initial.hidden 1.W'"]),
    ("5000 digits", token(LEARNING_RATE, "1" * 5000), ["too many digits"]),
    ("inputs as text", inline_dataset("0 0, 0 1, 1 0, 1 1"), ["'dataset.inputs'", "list"]),
    ("text in weights", changed((*W, 0, 1), "0.5"), ["'parameters.initial.hidden 1.W[0]'"]),
    ("weights as text", changed(W, "[[0.5]]"), ["'parameters.initial.hidden 1.W'", "list"]),
]


@pytest.mark.parametrize(
    ("make_bytes", "expected"),
    [(make, expected) for _, make, expected in BAD_FILES],
    ids=[name for name, _, _ in BAD_FILES],
)
def test_bad_file_rejected(
    make_bytes: Callable[[Document], bytes], expected: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.nnproj"
    path.write_bytes(make_bytes(valid_document()))
    with pytest.raises(ProjectError) as info:
        load_project(path)
    message = str(info.value)
    assert message.startswith(str(path))
    for fragment in expected:
        assert fragment in message


def test_missing_file_rejected(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="not found"):
        load_project(tmp_path / "nothing here.nnproj")


def test_folder_rejected(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="folder"):
        load_project(tmp_path)


def test_file_without_parameters_loads(tmp_path: Path) -> None:
    # Weights are optional: a hand-written file draws them from the seed.
    document = valid_document()
    document["parameters"] = None
    path = tmp_path / "plain.nnproj"
    path.write_text(json.dumps(document), encoding="utf-8")
    loaded = load_project(path)
    expected = default_project("xor")
    assert loaded.parameters is not None
    assert expected.parameters is not None
    for name, layer in expected.parameters.items():
        assert np.array_equal(loaded.parameters[name].W, layer.W), name


# Atomic saves: a failure anywhere leaves the previous file and no temporary file.


def saved_once(folder: Path) -> tuple[Path, bytes, Project]:
    path = folder / "project.nnproj"
    project = xor_project()
    save_project(project, path)
    project.description = "changed after the first save"
    return path, path.read_bytes(), project


def fail(*args: Any, **kwargs: Any) -> Any:
    raise OSError("simulated failure: no space left on device")


@pytest.mark.parametrize("where", ["dumps", "fsync", "replace"])
def test_failed_save_keeps_old_file(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, before, project = saved_once(tmp_path)
    if where == "dumps":
        monkeypatch.setattr(json, "dumps", fail)
    else:
        monkeypatch.setattr(os, where, fail)
    with pytest.raises(OSError, match="simulated failure"):
        save_project(project, path)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.skipif(sys.platform == "win32", reason="folders cannot be made read-only on Windows")
@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root writes into read-only folders, so there is no failure to test",
)
def test_read_only_folder_keeps_old_file(tmp_path: Path) -> None:
    path, before, project = saved_once(tmp_path)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(PermissionError):
            save_project(project, path)
        assert path.read_bytes() == before
        assert list(tmp_path.iterdir()) == [path]
    finally:
        tmp_path.chmod(0o755)


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no POSIX permission bits")
def test_save_keeps_file_mode(tmp_path: Path) -> None:
    path, _, project = saved_once(tmp_path)
    path.chmod(0o640)
    save_project(project, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no POSIX permission bits")
def test_new_file_follows_umask(tmp_path: Path) -> None:
    umask = os.umask(0o027)
    try:
        save_project(xor_project(), tmp_path / "new.nnproj")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.nnproj").stat().st_mode) == 0o640


def test_saved_file_has_no_nan(tmp_path: Path) -> None:
    # Regression epochs have no accuracy, and JSON has no NaN, so they are written as null.
    path = tmp_path / "project.nnproj"
    save_project(regression_project(), path)
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert "NaN" not in text
    assert "Infinity" not in text
    assert document["history"]["accuracy"][0] is None


def test_unfinished_drawing_reopens(tmp_path: Path) -> None:
    project = default_project("xor")
    project.layers.append(Layer("hidden 2", "hidden", 3, "relu", position=(100.0, 50.0)))
    project.connections.append(("hidden 1", "hidden 2"))
    project.initial_parameters = project.parameters = None
    path = tmp_path / "unfinished.nnproj"
    save_project(project, path)

    reopened = load_project(path)
    assert [layer.name for layer in reopened.layers] == ["input", "hidden 1", "output", "hidden 2"]
    assert reopened.connections == project.connections
    assert reopened.parameters is None
    with pytest.raises(GraphError, match="'hidden 2'"):
        reopened.network_spec()


def test_loss_mismatch_loads_and_refuses_training(tmp_path: Path) -> None:
    path = tmp_path / "mismatch.nnproj"
    path.write_bytes(edited(bce_with_identity)(valid_document()))
    project = load_project(path)
    assert project.settings.loss == "binary_cross_entropy"
    network = project.network()
    with pytest.raises(EngineError, match="needs a sigmoid output layer"):
        network.gradients(project.dataset.X, project.dataset.y, make_loss("binary_cross_entropy"))
