"""The decision-boundary grid against hand-computed outputs of tiny networks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.engine.errors import EngineError
from nnstudio.engine.graph import chain
from nnstudio.engine.network import LayerParameters, Network
from nnstudio.project.boundary import Plane, boundary_extent, boundary_grid, has_boundary
from nnstudio.project.datasets import Dataset, builtin_dataset


def _single_unit(activation: str, W: list[float], b: float) -> Network:
    spec = chain(2, (1, activation))
    return Network(spec, {"layer 1": LayerParameters(np.array([W]).T, np.array([b]))})


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def test_extent_of_the_logic_gates_is_half_a_unit_around_the_square() -> None:
    assert boundary_extent(builtin_dataset("xor").X) == (-0.5, 1.5, -0.5, 1.5)


def test_extent_margin_is_a_quarter_of_each_column_range() -> None:
    X = np.array([[0.0, -4.0, 99.0], [10.0, 4.0, -99.0]])  # the third column is ignored
    assert boundary_extent(X) == (-2.5, 12.5, -6.0, 6.0)


def test_extent_of_a_single_point_has_the_minimum_margin() -> None:
    assert boundary_extent(np.array([[2.0, 3.0]])) == (1.5, 2.5, 2.5, 3.5)


def test_extent_needs_two_input_columns() -> None:
    with pytest.raises(EngineError, match="at least two inputs"):
        boundary_extent(np.array([[1.0], [2.0]]))


def test_grid_corners_and_centre_of_a_sigmoid_unit() -> None:
    # output = sigmoid(2 x1 - 3 x2 + 0.5); grid x = -1 .. 1, y = -2 .. 2 in 5 steps
    network = _single_unit("sigmoid", [2.0, -3.0], 0.5)
    grid = boundary_grid(network, (-1.0, 1.0, -2.0, 2.0), resolution=5)

    assert grid.shape == (5, 5)
    assert grid.dtype == np.float32
    assert grid.flags["C_CONTIGUOUS"]
    expected = {
        (0, 0): _sigmoid(2 * -1 - 3 * -2 + 0.5),  # (x_min, y_min)
        (0, 4): _sigmoid(2 * 1 - 3 * -2 + 0.5),  # (x_max, y_min)
        (4, 0): _sigmoid(2 * -1 - 3 * 2 + 0.5),  # (x_min, y_max)
        (4, 4): _sigmoid(2 * 1 - 3 * 2 + 0.5),  # (x_max, y_max)
        (2, 2): _sigmoid(0.5),  # (0, 0)
        (1, 3): _sigmoid(2 * 0.5 - 3 * -1 + 0.5),  # row 1 is y = -1, column 3 is x = 0.5
    }
    for (row, col), value in expected.items():
        assert grid[row, col] == pytest.approx(value, rel=1e-6), (row, col)


def test_softmax_grid_shows_the_class_index_scaled_to_one() -> None:
    # z = (-x1, 0.5, x1): class 0 left of -0.5, class 1 in the middle, class 2 right of 0.5
    spec = chain(2, (3, "softmax"))
    W = np.array([[-1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    network = Network(spec, {"layer 1": LayerParameters(W, np.array([0.0, 0.5, 0.0]))})
    grid = boundary_grid(network, (-1.0, 1.0, 0.0, 1.0), resolution=3)
    np.testing.assert_array_equal(grid, np.tile([0.0, 0.5, 1.0], (3, 1)))


@pytest.mark.parametrize("weight", [1e300, 1e308])
def test_grid_of_overflowing_weights_is_inf_without_warnings(weight: float) -> None:
    # 1e300 overflows only in the cast to float32, 2e308 already in float64
    network = _single_unit("identity", [weight, weight], 0.0)
    grid = boundary_grid(network, (-1.0, 1.0, -1.0, 1.0), resolution=2)
    assert grid[1, 1] == np.inf
    assert grid[0, 0] == -np.inf


def test_grid_without_plane_needs_two_inputs() -> None:
    network = Network(
        chain(3, (1, "sigmoid")), {"layer 1": LayerParameters(np.ones((3, 1)), np.zeros(1))}
    )
    assert has_boundary(network)
    with pytest.raises(EngineError, match="exactly two inputs; this network has 3"):
        boundary_grid(network, (0.0, 1.0, 0.0, 1.0))


def test_one_input_has_no_boundary() -> None:
    network = Network(
        chain(1, (1, "sigmoid")), {"layer 1": LayerParameters(np.ones((1, 1)), np.zeros(1))}
    )
    assert not has_boundary(network)


def test_plane_holds_other_inputs_at_mean() -> None:
    # z = x0 + 10 x1 + 100 x2 with x1 held at its mean 2, standardized by hand:
    # mean (1, 2, 3), scale (1, 1, 2) so the network sees (x - mean) / scale.
    network = Network(
        chain(3, (1, "identity")),
        {"layer 1": LayerParameters(np.array([[1.0], [10.0], [100.0]]), np.zeros(1))},
    )
    X = np.array([[0.0, 1.0, 1.0], [2.0, 3.0, 5.0]])
    dataset = Dataset(
        X, np.zeros((2, 1)), mean=np.array([1.0, 2.0, 3.0]), scale=np.array([1.0, 1.0, 2.0])
    )
    plane = Plane(dataset, (0, 2))
    grid = boundary_grid(network, (0.0, 2.0, 1.0, 5.0), resolution=2, plane=plane)
    # (x0, x2) = (0, 1): (0 - 1) + 10 * 0 + 100 * (1 - 3) / 2 = -101
    assert grid[0, 0] == -101.0
    # (x0, x2) = (2, 5): 1 + 0 + 100 = 101
    assert grid[1, 1] == 101.0


def test_extent_of_chosen_columns() -> None:
    X = np.array([[0.0, 100.0, 0.0], [2.0, 100.0, 4.0]])
    assert boundary_extent(X, (0, 2)) == (-0.5, 2.5, -1.0, 5.0)


def test_grid_needs_a_resolution_of_two_or_more() -> None:
    with pytest.raises(EngineError, match="at least 2"):
        boundary_grid(_single_unit("sigmoid", [1.0, 1.0], 0.0), (0.0, 1.0, 0.0, 1.0), 1)
