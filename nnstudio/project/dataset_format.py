"""The ``dataset`` section of a project file, in each of its forms.

A built-in gate is saved by name, a CSV dataset as a reference to its file
(csv_format.py), generated data as its generator request (generator_format.py)
and any other data as inline rows. docs/project-format.md documents the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.project.csv_format import (
    column_fields_to_dict,
    csv_dataset_to_dict,
    read_column_fields,
    read_csv_dataset,
)
from nnstudio.project.datasets import BUILTIN_TARGETS, Dataset, builtin_dataset
from nnstudio.project.fields import FieldError, ProjectError, as_matrix, as_object, as_text, require
from nnstudio.project.generator_format import generated_dataset_to_dict, read_generated_dataset
from nnstudio.project.generators import generate

# Called with the absolute path of a CSV file outside the project file's folder,
# before the file is read. It returns False to stop loading (see CsvDeclined).
ConfirmCsv = Callable[[Path], bool]


class CsvDeclined(ProjectError):
    """The caller declined to read a CSV file outside the project's folder, so loading stopped."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"reading the CSV file {path}, outside the project's folder, was declined")
        self.path = path


def read_dataset(item: Any, folder: Path | None, confirm_csv: ConfirmCsv | None = None) -> Dataset:
    """Read the ``dataset`` section: a built-in gate, a CSV file, a generator or inline rows.

    ``folder`` and ``confirm_csv`` are as for fileformat.load_project.
    """
    data = as_object(item, "dataset")
    if "builtin" in data:
        name = as_text(data["builtin"], "dataset.builtin", tuple(BUILTIN_TARGETS))
        return builtin_dataset(name)
    if "csv" in data:
        outside = _csv_outside(data["csv"], folder)
        if outside is not None and confirm_csv is not None and not confirm_csv(outside):
            raise CsvDeclined(outside)
        return read_csv_dataset(data, folder)
    if "generator" in data:
        return read_generated_dataset(data)
    X = as_matrix(require(data, "inputs", "dataset"), "dataset.inputs")
    y = as_matrix(require(data, "targets", "dataset"), "dataset.targets")
    if X.ndim != 2 or y.ndim != 2 or len(X) == 0:
        raise FieldError("dataset", "inputs and targets must be non-empty lists of rows")
    if len(X) != len(y):
        raise FieldError("dataset.targets", f"has {len(y)} rows but inputs has {len(X)}")
    name = as_text(data.get("name", "custom"), "dataset.name")
    dataset = Dataset(X, y, None, name)
    read_column_fields(data, dataset)
    return dataset


def dataset_to_dict(dataset: Dataset, folder: Path | None) -> dict[str, Any]:
    """Return the ``dataset`` section for ``dataset``; a CSV path is written relative to ``folder``.

    Generated data is written as its generator request only when drawing the
    request again gives the same dataset. Otherwise, as after points were added
    or removed, its rows are written inline.
    """
    if dataset.builtin is not None:
        return {"builtin": dataset.builtin}
    if dataset.source is not None:
        return csv_dataset_to_dict(dataset, folder)
    if dataset.generator is not None and _regenerates(dataset):
        return generated_dataset_to_dict(dataset.generator)
    return {
        "name": dataset.name,
        "inputs": dataset.X.tolist(),
        "targets": dataset.y.tolist(),
        **column_fields_to_dict(dataset),
    }


def _csv_outside(csv_path: Any, folder: Path | None) -> Path | None:
    """Return the absolute CSV path when it leads outside ``folder``, else None.

    Links are followed, so a link inside the folder to a file elsewhere counts as
    outside. A value that is not a usable path gives None; read_csv_dataset then
    reports it.
    """
    if not isinstance(csv_path, str) or not csv_path.strip():
        return None
    base = (folder if folder is not None else Path.cwd()).absolute()
    try:
        target = (base / csv_path).resolve()
        inside = target.is_relative_to(base.resolve())
    except (OSError, ValueError, RuntimeError):
        return None
    return None if inside else target


def _regenerates(dataset: Dataset) -> bool:
    """Return True when drawing the dataset's generator request again gives it exactly.

    Points added or removed by clicks turn a dataset into inline data without a
    request. This check also keeps any other change from being lost on saving.
    """
    source = dataset.generator
    if source is None:
        return False
    drawn = generate(source.kind, source.samples, source.noise, source.seed)
    pairs = ((dataset.X, drawn.X), (dataset.y, drawn.y))
    same_arrays = all(np.array_equal(mine, theirs) for mine, theirs in pairs)
    unscaled = dataset.mean is None and dataset.scale is None
    same_names = (dataset.name, dataset.input_names, dataset.class_names) == (
        drawn.name,
        drawn.input_names,
        drawn.class_names,
    )
    return same_arrays and unscaled and same_names
