"""The dataset fields of a project file that describe columns: a CSV reference, names, scaling.

A dataset read from a CSV file is saved as a reference to the file and the
choices that turned it into a dataset, not as a copy of the data. Reading the
project reads the file again with the same code as the import. The input and
class names and the standardization (mean, scale) can also accompany an inline
table. docs/project-format.md documents every field.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nnstudio.project.csv_dataset import ProblemRowsError, build_dataset
from nnstudio.project.csv_table import DECIMALS, SEPARATORS, CsvError, CsvOptions, read_table
from nnstudio.project.datasets import Array, CsvSource, Dataset
from nnstudio.project.fields import (
    FieldError,
    as_bool,
    as_list,
    as_matrix,
    as_text,
    require,
)


def read_csv_dataset(data: dict[str, Any], folder: Path | None) -> Dataset:
    """Read the CSV file that the dataset section ``data`` names and build its dataset.

    A relative ``csv`` path starts at ``folder``, the project file's folder (the
    current folder when None). Stored ``mean`` and ``scale`` replace the ones
    computed from the file, so the network receives its inputs on the scale it
    was trained with, even after the file changes.
    """
    csv_path = as_text(require(data, "csv", "dataset"), "dataset.csv")
    if not csv_path.strip():
        raise FieldError("dataset.csv", "is empty; give the path of a CSV file")
    path, absolute = _resolve(csv_path, folder)
    options = _read_options(data)
    inputs = _read_names(require(data, "inputs", "dataset"), "dataset.inputs")
    if not inputs:
        raise FieldError("dataset.inputs", "is empty; name at least one input column")
    target = as_text(require(data, "target", "dataset"), "dataset.target")
    drop = as_bool(data.get("drop_invalid_rows", False), "dataset.drop_invalid_rows")
    standardize = as_bool(data.get("standardize", True), "dataset.standardize")
    name = as_text(data.get("name", path.stem), "dataset.name")

    try:
        found = path.exists()
    except OSError as error:
        # exists() raises for a name that is too long or a folder that cannot be searched.
        raise FieldError(
            "dataset.csv",
            f"the CSV file {csv_path!r} cannot be opened ({error.strerror or error}); "
            "correct the path, which is relative to the project file's folder",
        ) from None
    if not found:
        raise FieldError(
            "dataset.csv",
            f"the CSV file {csv_path!r} was not found at {path}; put the file there or correct "
            "the path, which is relative to the project file's folder",
        )
    try:
        table = read_table(path, options)
    except CsvError as error:
        raise FieldError("dataset.csv", str(error)) from None
    _check_columns(table.header, inputs, target, path)
    try:
        dataset = build_dataset(table, inputs, target, drop, standardize, name)
    except ProblemRowsError as error:
        raise FieldError(
            "dataset.csv",
            f"{path}: {error.summary}; fix them in the file, or set "
            "dataset.drop_invalid_rows to true to leave these rows out",
        ) from None
    except CsvError as error:
        raise FieldError("dataset.csv", f"{path}: {error}") from None

    if dataset.source is not None:
        dataset.source.keep_absolute = absolute
    stored = read_standardization(data, len(inputs))
    if stored is not None and not standardize:
        raise FieldError(
            "dataset.mean", "is given but dataset.standardize is false; remove mean and scale"
        )
    if stored is not None:
        dataset.mean, dataset.scale = stored
    return dataset


def read_column_fields(data: dict[str, Any], dataset: Dataset) -> None:
    """Read the optional input_names, class_names, mean and scale of an inline table."""
    raw_inputs = data.get("input_names")
    if raw_inputs is not None:
        names = _read_names(raw_inputs, "dataset.input_names")
        _check_count(names, dataset.input_count, "dataset.input_names", "input column")
        dataset.input_names = names

    raw_classes = data.get("class_names")
    if raw_classes is not None:
        if not dataset.is_classification:
            raise FieldError(
                "dataset.class_names",
                "is given but the targets are not all 0 or 1; remove it or correct the targets",
            )
        classes = _read_names(raw_classes, "dataset.class_names")
        # One 0/1 column has two classes, the classes of 0 and 1.
        expected = max(2, dataset.output_count)
        _check_count(classes, expected, "dataset.class_names", "class")
        dataset.class_names = classes

    stored = read_standardization(data, dataset.input_count)
    if stored is not None:
        dataset.mean, dataset.scale = stored


def read_standardization(data: dict[str, Any], count: int) -> tuple[Array, Array] | None:
    """Read the dataset's mean and scale (``count`` numbers each), or None when absent."""
    raw_mean, raw_scale = data.get("mean"), data.get("scale")
    if raw_mean is None and raw_scale is None:
        return None
    for field, raw in (("dataset.mean", raw_mean), ("dataset.scale", raw_scale)):
        if raw is None:
            raise FieldError(field, "is missing; give both mean and scale, or neither")

    mean = _read_vector(raw_mean, "dataset.mean", count)
    scale = _read_vector(raw_scale, "dataset.scale", count)
    for index, value in enumerate(scale):
        if value <= 0:
            raise FieldError(
                f"dataset.scale[{index}]",
                f"{value:g} is not above 0; each input is divided by its scale, "
                "so the scale must be a positive number",
            )
    return mean, scale


def csv_dataset_to_dict(dataset: Dataset, folder: Path | None) -> dict[str, Any]:
    """Return the dataset section that refers to the dataset's CSV file.

    The path is written relative to ``folder``, the folder of the project file
    being written, unless the project gave it as an absolute path, ``folder``
    is None, or no relative path leads there (another drive on Windows).
    """
    source = dataset.source
    if source is None:
        raise ValueError(f"dataset {dataset.name!r} was not read from a CSV file")
    return {
        "name": dataset.name,
        "csv": _path_text(source, folder),
        "separator": source.separator,
        "decimal": source.decimal,
        "header": source.header,
        "inputs": list(source.inputs),
        "target": source.target,
        "drop_invalid_rows": source.drop_invalid_rows,
        "standardize": source.standardize,
        "mean": None if dataset.mean is None else dataset.mean.tolist(),
        "scale": None if dataset.scale is None else dataset.scale.tolist(),
    }


def column_fields_to_dict(dataset: Dataset) -> dict[str, Any]:
    """Return the input_names, class_names, mean and scale fields of an inline table."""
    return {
        "input_names": dataset.input_names,
        "class_names": dataset.class_names,
        "mean": None if dataset.mean is None else dataset.mean.tolist(),
        "scale": None if dataset.scale is None else dataset.scale.tolist(),
    }


def _resolve(csv_path: str, folder: Path | None) -> tuple[Path, bool]:
    """Return the absolute path of the CSV file and whether the file gave it absolute."""
    path = Path(csv_path)
    if path.is_absolute():
        return path, True
    base = (folder if folder is not None else Path.cwd()).absolute()
    # normpath removes "folder/.." pairs without following links, as relpath does when saving.
    return Path(os.path.normpath(base / path)), False


def _path_text(source: CsvSource, folder: Path | None) -> str:
    if source.keep_absolute or folder is None:
        return str(source.path)
    try:
        relative = os.path.relpath(source.path, folder.absolute())
    except ValueError:
        return str(source.path)
    # Forward slashes read back on every system, so the project moves between them.
    return Path(relative).as_posix()


def _read_options(data: dict[str, Any]) -> CsvOptions:
    # An absent separator, decimal or header is detected from the file, as the import does.
    options = CsvOptions()
    if "separator" in data:
        options.separator = as_text(data["separator"], "dataset.separator", SEPARATORS)
    if "decimal" in data:
        options.decimal = as_text(data["decimal"], "dataset.decimal", DECIMALS)
    if "header" in data:
        options.has_header = as_bool(data["header"], "dataset.header")
    if options.separator == "," and options.decimal == ",":
        raise FieldError(
            "dataset.decimal", "cannot be a comma while the separator is a comma; change one"
        )
    return options


def _read_names(value: Any, field: str) -> list[str]:
    names = [as_text(item, f"{field}[{i}]") for i, item in enumerate(as_list(value, field))]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise FieldError(f"{field}[{index}]", f"{name!r} appears twice; names must be unique")
    return names


def _check_count(names: list[str], expected: int, field: str, item: str) -> None:
    if len(names) != expected:
        raise FieldError(field, f"has {len(names)} names, but the dataset has {expected} {item}s")


def _check_columns(header: list[str], inputs: list[str], target: str, path: Path) -> None:
    columns = ", ".join(repr(column) for column in header)
    named = [(f"dataset.inputs[{i}]", name) for i, name in enumerate(inputs)]
    for field, name in [*named, ("dataset.target", target)]:
        if name not in header:
            raise FieldError(
                field,
                f"there is no column {name!r} in {path}; its columns are {columns}; "
                "correct the name or the CSV file",
            )
    if target in inputs:
        raise FieldError("dataset.target", f"column {target!r} is also an input; remove it there")


def _read_vector(value: Any, field: str, count: int) -> Array:
    vector = as_matrix(value, field)
    if vector.ndim != 1 or len(vector) != count:
        raise FieldError(field, f"expected a list of {count} numbers, one per input column")
    return vector
