"""The decision boundary: a network's output sampled over a plane of two inputs.

A network with two inputs is drawn over the plane of both. A network with more
inputs is drawn over a chosen pair of them, with every other input held at its
mean over the dataset (a ``Plane``). Networks with one input have no plane, so
callers check ``has_boundary(network)`` first. The same plane also gives every
neuron's activation: over the grid (``neuron_grids``, the neuron maps) and at one
point (``activations_at``, the values shown while the mouse is over the plot).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.errors import EngineError
from nnstudio.engine.network import Network
from nnstudio.project.datasets import Dataset

Extent = tuple[float, float, float, float]  # x_min, x_max, y_min, y_max

MARGIN_FRACTION = 0.25
MIN_MARGIN = 0.5
# The output value the decision boundary's contour follows: the middle of 0 .. 1.
BOUNDARY_LEVEL = 0.5


@dataclass(frozen=True)
class Plane:
    """Two input columns spanned by the grid, in the dataset's own (raw) units.

    Every other input is held at its value in ``base`` (the dataset's mean), and
    the points are standardized the way the dataset standardizes its inputs.
    """

    dataset: Dataset
    columns: tuple[int, int] = (0, 1)

    @property
    def base(self) -> NDArray[np.float64]:
        mean: NDArray[np.float64] = self.dataset.X.mean(axis=0)
        return mean

    def network_inputs(self, points: NDArray[np.float64]) -> NDArray[np.floating]:
        """Return grid ``points`` (n, 2) as full, standardized network inputs."""
        full = np.tile(self.base, (len(points), 1))
        full[:, self.columns[0]] = points[:, 0]
        full[:, self.columns[1]] = points[:, 1]
        return self.dataset.network_inputs(full)


def has_boundary(network: Network) -> bool:
    """Return True when the network has at least two inputs, so a boundary can be drawn."""
    return network.spec.input_units >= 2


def boundary_extent(X: NDArray[np.floating], columns: tuple[int, int] = (0, 1)) -> Extent:
    """Return (x_min, x_max, y_min, y_max) around two columns of X (samples, features).

    Each side gets a margin of 25% of that column's range, and at least 0.5, so
    the corners of the unit square (the logic gates) give -0.5 .. 1.5.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] < 2:
        raise EngineError(
            f"the decision boundary needs samples with at least two inputs; got shape {X.shape}"
        )
    pair = X[:, list(columns)]
    low = pair.min(axis=0)
    high = pair.max(axis=0)
    margin = np.maximum(MARGIN_FRACTION * (high - low), MIN_MARGIN)
    low, high = low - margin, high + margin
    return float(low[0]), float(high[0]), float(low[1]), float(high[1])


def boundary_grid(
    network: Network, extent: Extent, resolution: int = 100, plane: Plane | None = None
) -> NDArray[np.float32]:
    """Return the network's output on a resolution x resolution grid over ``extent``.

    The grid is float32, C-contiguous and row-major: row i is y = y_min + i * dy
    and column j is x = x_min + j * dx, with the first and last rows and columns
    exactly on the extent's edges (so grid[0, 0] is the output at (x_min, y_min)).

    The value is the first output unit, except for a softmax output with several
    classes, where it is the predicted class index divided by (classes - 1), so
    it stays in 0 .. 1 like a probability. Without a ``plane`` the grid points go
    to the network as they are, which needs exactly two inputs (EngineError
    otherwise).
    """
    if plane is None and network.spec.input_units != 2:
        raise EngineError(
            "the decision boundary needs exactly two inputs; "
            f"this network has {network.spec.input_units}"
        )
    if resolution < 2:
        raise EngineError(f"the boundary resolution must be at least 2, got {resolution}")

    points = grid_points(extent, resolution)

    # Weights on their way to diverging may overflow, here or in the cast to
    # float32; the grid then shows inf or NaN.
    with np.errstate(over="ignore", invalid="ignore"):
        inputs = points if plane is None else plane.network_inputs(points)
        values = _boundary_values(network, network.predict(inputs))
        return np.ascontiguousarray(values.reshape(resolution, resolution), dtype=np.float32)


def grid_points(extent: Extent, resolution: int) -> NDArray[np.float64]:
    """Return the (resolution**2, 2) points of a grid over ``extent``, x varying fastest.

    Reshaping a value per point to (resolution, resolution) gives the row-major
    layout of ``boundary_grid``: row i is y = y_min + i * dy.
    """
    x_min, x_max, y_min, y_max = extent
    xs = np.linspace(x_min, x_max, resolution)
    ys = np.linspace(y_min, y_max, resolution)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def neuron_grids(
    network: Network, extent: Extent, resolution: int = 41, plane: Plane | None = None
) -> dict[str, NDArray[np.float32]]:
    """Return every layer's activations over the grid of ``boundary_grid``, in one forward pass.

    Each entry, keyed by layer name in the network's order (the input layer left
    out), has shape (units, resolution, resolution): entry[k] is neuron k's
    activation a = f(z) laid out as ``boundary_grid`` lays out the output. Values
    are float32 and may be NaN or infinite while the weights diverge.
    """
    if plane is None and network.spec.input_units != 2:
        raise EngineError(
            "neuron maps need exactly two inputs, or a plane over two of them; "
            f"this network has {network.spec.input_units}"
        )
    if resolution < 2:
        raise EngineError(f"the neuron map resolution must be at least 2, got {resolution}")
    points = grid_points(extent, resolution)

    with np.errstate(over="ignore", invalid="ignore"):
        inputs = points if plane is None else plane.network_inputs(points)
        run = network.forward(inputs)
        grids = {}
        for name in network.spec.order:
            values = run.a[name].T.reshape(-1, resolution, resolution)
            grids[name] = np.ascontiguousarray(values, dtype=np.float32)
    return grids


def activations_at(
    network: Network, x: float, y: float, plane: Plane | None = None
) -> dict[str, NDArray[np.float64]]:
    """Return every layer's activations (units,) at the point (x, y) of the input plane.

    The input layer is included under its name, with the values the network
    receives (standardized when the dataset standardizes its inputs).
    """
    if plane is None and network.spec.input_units != 2:
        raise EngineError(
            "a point of the input plane needs exactly two inputs, or a plane over two of "
            f"them; this network has {network.spec.input_units}"
        )
    point = np.array([[x, y]], dtype=np.float64)

    with np.errstate(over="ignore", invalid="ignore"):
        inputs = point if plane is None else plane.network_inputs(point)
        run = network.forward(inputs)
    return {name: np.asarray(values[0], dtype=np.float64) for name, values in run.a.items()}


def _boundary_values(network: Network, output: NDArray[np.floating]) -> NDArray[np.floating]:
    classes = output.shape[1]
    if classes > 1 and network.activations[network.spec.output_name].name == "softmax":
        predicted: NDArray[np.floating] = output.argmax(axis=1) / (classes - 1)
        return predicted
    first: NDArray[np.floating] = output[:, 0]
    return first
