"""Older format versions: each fixture loads as the project it describes, and bad versions fail."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnstudio.project.fields import ProjectError
from nnstudio.project.fileformat import (
    FORMAT_VERSION,
    load_project,
    project_from_dict,
    project_to_dict,
    save_project,
)
from nnstudio.project.generators import generate
from nnstudio.project.migrations import LATEST_VERSION, STEPS, migrate
from nnstudio.project.model import Project, default_project

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(version: int) -> Project:
    return load_project(FIXTURES / f"version-{version}.nnproj")


def assert_weights(project: Project, which: str, expected: dict[str, Any]) -> None:
    parameters = project.parameters if which == "current" else project.initial_parameters
    assert parameters is not None
    assert set(parameters) == set(expected)
    for name, (W, b) in expected.items():
        np.testing.assert_array_equal(parameters[name].W, W, err_msg=name)
        np.testing.assert_array_equal(parameters[name].b, b, err_msg=name)


# the registry


def test_steps_cover_every_older_version() -> None:
    assert FORMAT_VERSION == LATEST_VERSION == 2
    assert sorted(STEPS) == list(range(1, FORMAT_VERSION))


def test_fixture_for_every_version() -> None:
    names = sorted(path.name for path in FIXTURES.glob("version-*.nnproj"))
    assert names == [f"version-{version}.nnproj" for version in range(1, FORMAT_VERSION + 1)]


def test_migration_leaves_input_unchanged() -> None:
    document = json.loads((FIXTURES / "version-1.nnproj").read_text(encoding="utf-8"))
    before = copy.deepcopy(document)

    upgraded = migrate(document, 1)

    assert document == before
    assert upgraded["version"] == 2
    assert upgraded["history"]["epochs"] == [1, 2, 3]


def test_latest_version_passes_through() -> None:
    document = project_to_dict(default_project())
    assert migrate(document, LATEST_VERSION) is document


def test_version_one_replaces_hand_written_epochs() -> None:
    # Version 1 ignored fields it did not know, so an "epochs" there meant nothing.
    document = {"version": 1, "history": {"loss": [0.5, 0.4], "epochs": [7, 9]}}
    assert migrate(document, 1)["history"]["epochs"] == [1, 2]


@pytest.mark.parametrize("history", [None, "text", {"loss": "text"}, {}])
def test_version_one_odd_history_left_to_validation(history: Any) -> None:
    upgraded = migrate({"version": 1, "history": history}, 1)
    assert upgraded["history"] == history


# the fixtures


def test_version_1_fixture() -> None:
    project = load_fixture(1)

    assert project.description == "XOR after three epochs, as format version 1 saved it"
    assert project.dataset.builtin == "xor"
    assert [layer.units for layer in project.layers] == [2, 2, 1]
    assert project.settings.learning_rate == 0.5
    assert project.settings.epochs == 3
    assert project.settings.seed == 4
    assert_weights(
        project,
        "initial",
        {"hidden 1": ([[0.5, -0.25], [0.125, 0.75]], [0.0, 0.0]), "output": ([[1.5], [-2.0]], [0])},
    )
    assert_weights(
        project,
        "current",
        {
            "hidden 1": ([[0.5625, -0.3125], [0.1875, 0.6875]], [0.03125, -0.015625]),
            "output": ([[1.25], [-1.75]], [0.0625]),
        },
    )
    np.testing.assert_array_equal(project.history.epochs, [1, 2, 3])
    np.testing.assert_array_equal(project.history.loss, [0.3, 0.28, 0.26])
    np.testing.assert_array_equal(project.history.accuracy, [0.5, 0.5, 0.75])
    assert np.all(np.isnan(project.history.validation_loss))


def test_version_2_fixture() -> None:
    project = load_fixture(2)
    drawn = generate("moons", 40, 0.1, 5)

    assert project.dataset.X.tobytes() == drawn.X.tobytes()
    assert project.dataset.y.tobytes() == drawn.y.tobytes()
    assert project.dataset.name == "Moons (40, noise 0.1)"
    assert project.settings.loss == "binary_cross_entropy"
    assert project.settings.validation_fraction == 0.25
    assert_weights(
        project,
        "initial",
        {
            "hidden 1": ([[0.5, -0.5, 0.25], [1.0, 0.0, -1.0]], [0.0, 0.0, 0.0]),
            "output": ([[1.0], [-1.0], [0.5]], [0.0]),
        },
    )
    # Without "current", the current weights are the initial ones.
    assert_weights(
        project,
        "current",
        {
            "hidden 1": ([[0.5, -0.5, 0.25], [1.0, 0.0, -1.0]], [0.0, 0.0, 0.0]),
            "output": ([[1.0], [-1.0], [0.5]], [0.0]),
        },
    )
    history = project.history
    np.testing.assert_array_equal(history.epochs, [1, 2, 9, 16, 20])
    np.testing.assert_array_equal(history.loss, [0.7, 0.9, 0.5, 0.45, 0.4])
    np.testing.assert_array_equal(history.accuracy, [0.5, 0.5, 0.7, 0.75, 0.8])
    assert history.validation_loss[0] == 0.72
    assert math.isnan(history.validation_loss[2])
    assert history.epoch_count == 20
    assert project.run_target_epoch() == 40


@pytest.mark.parametrize("version", range(1, FORMAT_VERSION + 1))
def test_fixture_resaved_in_latest_version(version: int, tmp_path: Path) -> None:
    project = load_fixture(version)
    path = tmp_path / "resaved.nnproj"
    save_project(project, path)

    document = json.loads(path.read_text(encoding="utf-8"))
    again = load_project(path)

    assert document["version"] == FORMAT_VERSION
    assert again.history == project.history
    assert again.settings == project.settings
    assert np.array_equal(again.dataset.X, project.dataset.X)


# versions that cannot be read


def version_error(value: Any) -> str:
    document = project_to_dict(default_project())
    document["version"] = value
    with pytest.raises(ProjectError) as caught:
        project_from_dict(document)
    return str(caught.value)


def test_newer_version_names_both() -> None:
    assert version_error(7) == (
        "field 'version': the file was written by format version 7; this nnstudio reads "
        "versions up to 2. Update nnstudio."
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (10**6 + 1, "1000001"),
        (1.5, "1.5"),
        (0, "0"),
        (-3, "-3"),
        (10**30, "1.000e+30"),
        (1e300, "1e+300"),
        (math.inf, "inf"),
        (math.nan, "nan"),
    ],
)
def test_version_out_of_range(value: Any, shown: str) -> None:
    assert version_error(value) == (
        f"field 'version': {shown} is out of range; a format version is a whole number "
        "from 1 to 1000000"
    )


def test_whole_float_version_reads() -> None:
    document = project_to_dict(default_project())
    document["version"] = 2.0
    assert project_from_dict(document).settings == default_project().settings


@pytest.mark.parametrize("value", ["2", True, None, [2]])
def test_version_not_a_number(value: Any) -> None:
    assert "field 'version': expected a whole number" in version_error(value)


# a byte order mark


def test_byte_order_mark_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bom.nnproj"
    text = json.dumps(project_to_dict(default_project()))
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    with pytest.raises(ProjectError) as caught:
        load_project(path)

    message = str(caught.value)
    assert message.startswith(f"{path}: the file starts with a UTF-8 byte order mark (BOM)")
    assert "save it again as UTF-8 without BOM" in message


def test_byte_order_mark_removed_loads(tmp_path: Path) -> None:
    # The fix the message gives: the same bytes without the first three.
    path = tmp_path / "fixed.nnproj"
    text = json.dumps(project_to_dict(default_project()))
    path.write_bytes((b"\xef\xbb\xbf" + text.encode("utf-8"))[3:])

    assert load_project(path).dataset.builtin == "xor"
