"""The ``history`` object of a project file: epoch numbers, their checks, bounded round trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnstudio.engine.history import History
from nnstudio.project.fields import FieldError
from nnstudio.project.fileformat import load_project, save_project
from nnstudio.project.model import default_project
from nnstudio.project.results_format import history_to_dict, read_history


def history_error(data: dict[str, Any]) -> FieldError:
    with pytest.raises(FieldError) as caught:
        read_history(data)
    return caught.value


def test_epochs_written() -> None:
    history = History([0.5, 0.4, 0.3], [0.0, 0.5, 1.0], epochs=[1, 5, 9])

    assert history_to_dict(history) == {
        "epochs": [1, 5, 9],
        "loss": [0.5, 0.4, 0.3],
        "accuracy": [0.0, 0.5, 1.0],
        "validation_loss": [],
    }


def test_epochs_missing() -> None:
    error = history_error({"loss": [0.5], "accuracy": [1.0]})

    assert error.field == "history.epochs"
    assert error.problem == "is missing"


def test_epochs_optional_without_entries() -> None:
    assert len(read_history({"loss": [], "accuracy": []})) == 0


def test_epochs_count_mismatch() -> None:
    error = history_error({"epochs": [1], "loss": [0.5, 0.4], "accuracy": [1.0, 1.0]})

    assert error.field == "history.epochs"
    assert error.problem == "has 1 entries but history.loss has 2; give each entry's epoch"


def test_epochs_not_increasing() -> None:
    error = history_error({"epochs": [1, 4, 4], "loss": [0.5, 0.4, 0.3], "accuracy": [1, 1, 1]})

    assert error.field == "history.epochs[2]"
    assert error.problem == "4 does not follow 4; epochs must increase strictly from 1"


@pytest.mark.parametrize(("value", "problem"), [(0, "0 is out of range"), (2.5, "whole number")])
def test_epoch_invalid(value: Any, problem: str) -> None:
    error = history_error({"epochs": [value], "loss": [0.5], "accuracy": [1.0]})

    assert error.field == "history.epochs[0]"
    assert problem in error.problem


def test_long_hand_written_history_compacted() -> None:
    count = 25_000
    loss = (1.0 / np.arange(1, count + 1)).tolist()
    history = read_history(
        {"epochs": list(range(1, count + 1)), "loss": loss, "accuracy": [0.5] * count}
    )

    assert len(history) <= history.capacity
    assert history.epoch_count == count
    assert history.loss[-1] == 1.0 / count


def test_downsampled_history_round_trip(tmp_path: Path) -> None:
    project = default_project("xor")
    history = History(capacity=100)
    epochs = np.arange(1, 5001)
    history.extend(np.cos(epochs) + 2.0, (epochs % 5) / 4, np.sin(epochs) + 2.0)
    project.history = history
    path = tmp_path / "long.nnproj"

    save_project(project, path)
    loaded = load_project(path).history
    document = json.loads(path.read_text(encoding="utf-8"))

    assert len(document["history"]["epochs"]) == len(history) <= 100
    np.testing.assert_array_equal(loaded.epochs, history.epochs)
    np.testing.assert_array_equal(loaded.loss, history.loss)
    np.testing.assert_array_equal(loaded.accuracy, history.accuracy)
    np.testing.assert_array_equal(loaded.validation_loss, history.validation_loss)
    assert loaded.epoch_count == 5000
