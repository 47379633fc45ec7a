"""Two-dimensional toy datasets drawn from a seed, and the point edits of the data plot.

Every generator returns two inputs, ``x₁`` and ``x₂``, with the samples of class
0 first, then those of class 1, and so on. ``samples`` is split as evenly as
possible: each class gets ``samples // classes`` points, and the first
``samples % classes`` classes get one more each, so 201 moons are 101 of class 0
and 100 of class 1.

A generator first places the noise-free points of its shape, then adds Gaussian
jitter with standard deviation ``noise`` to both coordinates of every point. The
jitter is drawn after the shape, as ``noise`` times one standard normal draw per
coordinate. So for one seed, changing ``noise`` moves each point along a fixed
direction instead of drawing a new cloud.

The noise-free points of circles, moons, spiral and checkerboard lie within
[-1.5, 1.5] on both axes. Each Gaussian blob fits in that square up to three
standard deviations from its centre, so a few of its points fall outside. The
jitter can carry any point beyond the square.

Two-class kinds give one 0/1 target column. ``three_blobs`` gives three one-hot
columns, for a softmax output with the cross-entropy loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nnstudio.project.datasets import Array, Dataset, GeneratorSource
from nnstudio.project.fields import ProjectError
from nnstudio.project.model import MAX_SEED

MAX_SAMPLES = 100_000
MAX_NOISE = 2.0
INPUT_NAMES = ["x₁", "x₂"]
EDITED_SUFFIX = " (edited)"

# Circles: the radii of the outer ring (class 0) and the inner ring (class 1).
OUTER_RADIUS = 1.0
INNER_RADIUS = 0.5
# Spiral: each arm winds this many turns while its radius grows from the first
# value to just below the second.
SPIRAL_TURNS = 1.75
SPIRAL_RADII = (0.1, 1.4)
# Blobs: the centres and the standard deviation of each blob before any noise.
BLOB_CENTERS = ((-0.6, -0.6), (0.6, 0.6))
BLOB_SPREAD = 0.3
THREE_BLOB_RADIUS = 0.75
THREE_BLOB_SPREAD = 0.25
# Checkerboard: 4 x 4 square cells of this side, covering [-1.5, 1.5] on both axes.
CHECKER_CELLS = 4
CHECKER_SIDE = 0.75


class DatasetError(ProjectError):
    """An invalid request to generate a dataset or to add or remove one of its points."""


# A shape takes the number of points of each class and the seeded random
# generator, and returns the noise-free points of each class, shape (count, 2).
Shape = Callable[[list[int], np.random.Generator], list[Array]]


@dataclass(frozen=True)
class Generator:
    """One kind of generated data: its display title, its class names and its shape."""

    title: str
    class_names: tuple[str, ...]
    shape: Shape

    @property
    def class_count(self) -> int:
        return len(self.class_names)


def _circles(counts: list[int], rng: np.random.Generator) -> list[Array]:
    # Points are evenly spaced around each ring, starting at angle 0.
    return [
        _ring(OUTER_RADIUS, _even_angles(counts[0])),
        _ring(INNER_RADIUS, _even_angles(counts[1])),
    ]


def _moons(counts: list[int], rng: np.random.Generator) -> list[Array]:
    # Two half circles of radius 1, centred at (-0.5, -0.25) and (0.5, 0.25). Each
    # half circle contains evenly spaced points including both ends. With equal
    # counts, the lower moon is the upper one reflected through the origin.
    upper = _ring(1.0, np.linspace(0.0, math.pi, counts[0])) - [0.5, 0.25]
    lower = [0.5, 0.25] - _ring(1.0, np.linspace(0.0, math.pi, counts[1]))
    return [upper, lower]


def _spiral(counts: list[int], rng: np.random.Generator) -> list[Array]:
    # Along an arm, u runs over count evenly spaced values in [0, 1). With equal
    # counts, arm 1 is arm 0 turned by half a turn.
    arms = []
    for label, count in enumerate(counts):
        u = np.arange(count) / count
        radius = SPIRAL_RADII[0] + (SPIRAL_RADII[1] - SPIRAL_RADII[0]) * u
        angle = 2.0 * math.pi * SPIRAL_TURNS * u + math.pi * label
        arms.append(radius[:, np.newaxis] * np.column_stack([np.cos(angle), np.sin(angle)]))
    return arms


def _blobs(counts: list[int], rng: np.random.Generator) -> list[Array]:
    return _gaussians(counts, BLOB_CENTERS, BLOB_SPREAD, rng)


def _three_blobs(counts: list[int], rng: np.random.Generator) -> list[Array]:
    # The centres sit on a circle at 90, 210 and 330 degrees, an equilateral triangle.
    angles = math.pi / 2 + 2 * math.pi / 3 * np.arange(3)
    x, y = THREE_BLOB_RADIUS * np.cos(angles), THREE_BLOB_RADIUS * np.sin(angles)
    centers = tuple(zip(x.tolist(), y.tolist(), strict=True))
    return _gaussians(counts, centers, THREE_BLOB_SPREAD, rng)


def _checkerboard(counts: list[int], rng: np.random.Generator) -> list[Array]:
    # The cell in column i (from the left) and row j (from the bottom) belongs to
    # class (i + j) % 2, so the bottom-left cell is class 0. Each point falls in
    # one of its class's 8 cells, chosen uniformly, at a uniform place inside it.
    cells = [(i, j) for i in range(CHECKER_CELLS) for j in range(CHECKER_CELLS)]
    lowest = -CHECKER_SIDE * CHECKER_CELLS / 2
    points = []
    for label, count in enumerate(counts):
        corners = np.array([cell for cell in cells if sum(cell) % 2 == label], dtype=np.float64)
        chosen = corners[rng.integers(len(corners), size=count)]
        inside = rng.uniform(0.0, 1.0, size=(count, 2))
        points.append(lowest + CHECKER_SIDE * (chosen + inside))
    return points


GENERATORS: dict[str, Generator] = {
    "circles": Generator("Circles", ("outer", "inner"), _circles),
    "moons": Generator("Moons", ("upper", "lower"), _moons),
    "blobs": Generator("Blobs", ("A", "B"), _blobs),
    "spiral": Generator("Spiral", ("A", "B"), _spiral),
    "checkerboard": Generator("Checkerboard", ("A", "B"), _checkerboard),
    "three_blobs": Generator("Three blobs", ("A", "B", "C"), _three_blobs),
}


def generate(kind: str, samples: int, noise: float, seed: int) -> Dataset:
    """Draw ``samples`` points of the shape ``kind`` with Gaussian jitter of std ``noise``.

    The same arguments always give the same dataset. Raises DatasetError for an
    unknown kind, fewer samples than classes or more than MAX_SAMPLES, a noise
    outside 0 to MAX_NOISE, or a seed outside 0 to MAX_SEED.
    """
    generator = _check_request(kind, samples, noise, seed)
    rng = np.random.default_rng(seed)
    counts = class_counts(samples, generator.class_count)

    # noise-free shape, then jitter
    points = generator.shape(counts, rng)
    X = np.concatenate(points).astype(np.float64)
    X += noise * rng.standard_normal(X.shape)

    labels = np.repeat(np.arange(generator.class_count), counts)
    columns = 1 if generator.class_count == 2 else generator.class_count
    return Dataset(
        X,
        _targets(labels, columns),
        name=f"{generator.title} ({samples}, noise {noise:g})",
        input_names=list(INPUT_NAMES),
        class_names=list(generator.class_names),
        generator=GeneratorSource(kind, samples, noise, seed),
    )


def class_counts(samples: int, classes: int) -> list[int]:
    """Return the points per class: equal shares, with one more for each of the first classes."""
    share, remainder = divmod(samples, classes)
    return [share + 1 if label < remainder else share for label in range(classes)]


def add_point(dataset: Dataset, x1: float, x2: float, label: int) -> Dataset:
    """Return a copy of ``dataset`` with the point (x1, x2) of class ``label`` appended.

    The coordinates are in the units of ``dataset.X``, before any standardization.
    The copy is inline data. It keeps the name (marked as edited), the input and
    class names and the standardization. It no longer refers to a built-in gate,
    a CSV file or a generator, because reading that source would give other data.
    Raises DatasetError unless the dataset has two inputs and class targets
    (one 0/1 column or one-hot columns), and ``label`` is one of its classes.
    """
    classes = _check_editable(dataset)
    if not (math.isfinite(x1) and math.isfinite(x2)):
        raise DatasetError(f"the point ({x1}, {x2}) is not finite; give two finite numbers")
    if not 0 <= label < classes:
        raise DatasetError(
            f"class {label} does not exist; the dataset has classes 0 to {classes - 1}"
        )

    X = np.vstack([dataset.X, [[x1, x2]]])
    row = _targets(np.array([label]), dataset.output_count)
    return _edited(dataset, X, np.vstack([dataset.y, row]))


def remove_nearest(dataset: Dataset, x1: float, x2: float, radius: float) -> Dataset | None:
    """Return a copy of ``dataset`` without the point nearest to (x1, x2), or None.

    Distances are Euclidean, in the units of ``dataset.X``. The result is None
    when no point lies within ``radius`` (a point at exactly ``radius`` counts).
    Of two points at the same distance, the earlier row goes. The copy becomes
    inline data, as with add_point. Raises DatasetError for a negative or
    non-finite radius, and when the nearest point is the only one, since a
    dataset needs at least one sample.
    """
    _check_editable(dataset)
    if not (math.isfinite(radius) and radius >= 0):
        raise DatasetError(f"radius {radius} is invalid; expected a finite number of at least 0")

    distances = np.hypot(dataset.X[:, 0] - x1, dataset.X[:, 1] - x2)
    nearest = int(np.argmin(distances))
    if distances[nearest] > radius:
        return None
    if len(dataset.X) == 1:
        raise DatasetError("cannot remove the only point; a dataset needs at least one sample")
    keep = np.arange(len(dataset.X)) != nearest
    return _edited(dataset, dataset.X[keep], dataset.y[keep])


def _check_request(kind: str, samples: int, noise: float, seed: int) -> Generator:
    if kind not in GENERATORS:
        raise DatasetError(f"unknown generator {kind!r}; choose one of: {', '.join(GENERATORS)}")
    generator = GENERATORS[kind]
    classes = generator.class_count
    if not classes <= samples <= MAX_SAMPLES:
        raise DatasetError(
            f"samples {samples} is out of range; {kind} needs {classes} to {MAX_SAMPLES} "
            f"samples, at least one per class"
        )
    # Written so that NaN fails too.
    if not 0.0 <= noise <= MAX_NOISE:
        raise DatasetError(
            f"noise {noise:g} is out of range; expected a standard deviation from 0 to "
            f"{MAX_NOISE:g}"
        )
    if not 0 <= seed <= MAX_SEED:
        raise DatasetError(f"seed {seed} is out of range; expected 0 to {MAX_SEED}")
    return generator


def _check_editable(dataset: Dataset) -> int:
    """Return the number of classes of ``dataset``.

    Raises DatasetError when its points cannot be edited on the two-dimensional plot.
    """
    if dataset.input_count != 2:
        raise DatasetError(
            f"points can be added and removed only with 2 inputs, but the dataset has "
            f"{dataset.input_count}"
        )
    one_hot = dataset.output_count > 1 and bool(np.all(dataset.y.sum(axis=1) == 1))
    if not dataset.is_classification or (dataset.output_count > 1 and not one_hot):
        raise DatasetError(
            "points can be added and removed only for a classification with one 0/1 target "
            "column or one-hot target columns"
        )
    return max(2, dataset.output_count)


def _edited(dataset: Dataset, X: Array, y: Array) -> Dataset:
    name = dataset.name if dataset.name.endswith(EDITED_SUFFIX) else dataset.name + EDITED_SUFFIX
    return Dataset(
        X,
        y,
        name=name,
        input_names=_copy_names(dataset.input_names),
        class_names=_copy_names(dataset.class_names),
        mean=None if dataset.mean is None else dataset.mean.copy(),
        scale=None if dataset.scale is None else dataset.scale.copy(),
    )


def _copy_names(names: list[str] | None) -> list[str] | None:
    return None if names is None else list(names)


def _targets(labels: NDArray[np.int64], columns: int) -> Array:
    """Return the target rows of class ``labels``: one 0/1 column, or ``columns`` one-hot ones."""
    if columns == 1:
        return labels.astype(np.float64).reshape(-1, 1)
    rows: Array = np.eye(columns)[labels]
    return rows


def _ring(radius: float, angles: Array) -> Array:
    return radius * np.column_stack([np.cos(angles), np.sin(angles)])


def _even_angles(count: int) -> Array:
    angles: Array = 2.0 * math.pi * np.arange(count) / count
    return angles


def _gaussians(
    counts: list[int],
    centers: tuple[tuple[float, float], ...],
    spread: float,
    rng: np.random.Generator,
) -> list[Array]:
    return [
        rng.normal(center, spread, size=(count, 2))
        for center, count in zip(centers, counts, strict=True)
    ]
