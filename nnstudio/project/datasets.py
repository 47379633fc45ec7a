"""Datasets: the built-in logic gates and data given inline in a project."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

_CORNERS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]

BUILTIN_TARGETS: dict[str, list[float]] = {
    "xor": [0.0, 1.0, 1.0, 0.0],
    "and": [0.0, 0.0, 0.0, 1.0],
    "or": [0.0, 1.0, 1.0, 1.0],
    "nand": [1.0, 1.0, 1.0, 0.0],
}

BUILTIN_LABELS = {"xor": "XOR", "and": "AND", "or": "OR", "nand": "NAND"}


@dataclass
class CsvSource:
    """The CSV file a dataset was read from, and the choices that turned it into the dataset.

    A project whose dataset has a source saves this reference instead of the data,
    and reading the project reads the file again with the same choices.
    """

    path: Path  # absolute location of the file
    separator: str
    decimal: str
    header: bool
    inputs: list[str]
    target: str
    drop_invalid_rows: bool = False
    standardize: bool = True
    # True when the project file gave an absolute path: it is saved as given
    # rather than relative to the project file.
    keep_absolute: bool = False


@dataclass(frozen=True)
class GeneratorSource:
    """The request that a generated dataset was drawn from.

    Drawing the request again gives the same data, so a project can save it in
    place of the points. ``kind`` is a key of generators.GENERATORS.
    """

    kind: str
    samples: int
    noise: float
    seed: int


@dataclass
class Dataset:
    """Inputs X (samples, features) and targets y (samples, outputs), as the user gave them.

    ``builtin`` names a built-in gate ("xor", "and", ...); it is None for other
    data. ``mean`` and ``scale`` (one entry per input column) standardize the
    inputs the network sees, ``(X - mean) / scale``; both are None when the
    inputs are used as they are. They are fixed when the data is imported and
    stored with the project, so predictions on new inputs use the same numbers.
    ``input_names`` names the input columns and ``class_names`` the classes
    (for one 0/1 target column, the classes of 0 and 1). ``source`` is the CSV
    file the data came from, or None for data without a file.
    """

    X: Array
    y: Array
    builtin: str | None = None
    name: str = "custom"
    input_names: list[str] | None = None
    class_names: list[str] | None = None
    mean: Array | None = None
    scale: Array | None = None
    source: CsvSource | None = None
    # The generator request this data was drawn from; None for other data.
    generator: GeneratorSource | None = None

    def network_inputs(self, X: Array | None = None) -> Array:
        """Return ``X`` (default: the dataset's own inputs) as the network sees it."""
        raw = self.X if X is None else X
        if self.mean is None or self.scale is None:
            return raw
        standardized: Array = (raw - self.mean) / self.scale
        return standardized

    @property
    def input_count(self) -> int:
        return int(self.X.shape[1])

    @property
    def output_count(self) -> int:
        return int(self.y.shape[1])

    @property
    def is_classification(self) -> bool:
        return bool(np.all((self.y == 0) | (self.y == 1)))

    def labels(self) -> NDArray[np.int64]:
        """Return each sample's class: the target for one output, the argmax for several."""
        if self.output_count == 1:
            return (self.y[:, 0] >= 0.5).astype(np.int64)
        classes: NDArray[np.int64] = self.y.argmax(axis=1).astype(np.int64)
        return classes

    def copy(self) -> Dataset:
        return copy.deepcopy(self)


def builtin_dataset(name: str) -> Dataset:
    """Return the truth table of the gate ``name``: four corners of the unit square."""
    X = np.array(_CORNERS)
    y = np.array(BUILTIN_TARGETS[name]).reshape(-1, 1)
    return Dataset(X, y, builtin=name, name=BUILTIN_LABELS[name])
