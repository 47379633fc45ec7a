"""Datasets: the built-in logic gates and data given inline in a project."""

from __future__ import annotations

from dataclasses import dataclass

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
class Dataset:
    """Inputs X (samples, features) and targets y (samples, outputs).

    ``builtin`` names a built-in gate ("xor", "and", ...); it is None for data
    stored inline in the project.
    """

    X: Array
    y: Array
    builtin: str | None = None
    name: str = "custom"

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
        return Dataset(self.X.copy(), self.y.copy(), self.builtin, self.name)


def builtin_dataset(name: str) -> Dataset:
    """Return the truth table of the gate ``name``: four corners of the unit square."""
    X = np.array(_CORNERS)
    y = np.array(BUILTIN_TARGETS[name]).reshape(-1, 1)
    return Dataset(X, y, builtin=name, name=BUILTIN_LABELS[name])
