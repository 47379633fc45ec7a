"""Every neuron's activation over the input plane and at one point, against hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.engine.errors import EngineError
from nnstudio.engine.graph import chain
from nnstudio.engine.network import LayerParameters, Network
from nnstudio.project.boundary import Plane, activations_at, boundary_grid, neuron_grids
from nnstudio.project.datasets import Dataset

# h1 = tanh(x1 - x2), h2 = tanh(2 x1 + x2 - 1), output = sigmoid(h1 + 3 h2 - 0.5)
W1 = np.array([[1.0, 2.0], [-1.0, 1.0]])
B1 = np.array([0.0, -1.0])
W2 = np.array([[1.0], [3.0]])
B2 = np.array([-0.5])


def _network() -> Network:
    spec = chain(2, (2, "tanh"), (1, "sigmoid"))
    return Network(spec, {"layer 1": LayerParameters(W1, B1), "layer 2": LayerParameters(W2, B2)})


def _by_hand(x1: float, x2: float) -> tuple[float, float, float]:
    h1 = math.tanh(x1 - x2)
    h2 = math.tanh(2 * x1 + x2 - 1)
    out = 1.0 / (1.0 + math.exp(-(h1 + 3 * h2 - 0.5)))
    return h1, h2, out


def test_grids_hold_each_neuron_at_each_point() -> None:
    # x from -1 to 1 and y from 0 to 2, in 5 steps of 0.5
    grids = neuron_grids(_network(), (-1.0, 1.0, 0.0, 2.0), resolution=5)

    assert list(grids) == ["layer 1", "layer 2"]
    assert grids["layer 1"].shape == (2, 5, 5)
    assert grids["layer 2"].shape == (1, 5, 5)
    assert grids["layer 1"].dtype == np.float32
    for row in range(5):
        for col in range(5):
            h1, h2, out = _by_hand(-1.0 + 0.5 * col, 0.5 * row)
            assert grids["layer 1"][0, row, col] == pytest.approx(h1, abs=1e-6)
            assert grids["layer 1"][1, row, col] == pytest.approx(h2, abs=1e-6)
            assert grids["layer 2"][0, row, col] == pytest.approx(out, abs=1e-6)


def test_output_grid_matches_the_boundary() -> None:
    extent = (-0.5, 1.5, -0.5, 1.5)
    grids = neuron_grids(_network(), extent, resolution=9)
    boundary = boundary_grid(_network(), extent, resolution=9)
    np.testing.assert_array_equal(grids["layer 2"][0], boundary)


def test_values_at_one_point() -> None:
    values = activations_at(_network(), 0.25, 0.75)

    h1, h2, out = _by_hand(0.25, 0.75)
    assert list(values) == ["input", "layer 1", "layer 2"]
    np.testing.assert_allclose(values["input"], [0.25, 0.75])
    np.testing.assert_allclose(values["layer 1"], [h1, h2], rtol=1e-12)
    np.testing.assert_allclose(values["layer 2"], [out], rtol=1e-12)


def test_plane_holds_the_third_input_at_its_mean() -> None:
    # Three inputs; the plane spans inputs 1 and 3 and holds input 2 at its mean, 4.
    X = np.array([[0.0, 2.0, 0.0], [1.0, 6.0, 1.0]])
    dataset = Dataset(X, np.array([[0.0], [1.0]]))
    spec = chain(3, (1, "identity"))
    W = np.array([[1.0], [10.0], [100.0]])
    network = Network(spec, {"layer 1": LayerParameters(W, np.array([0.5]))})
    plane = Plane(dataset, (0, 2))

    grids = neuron_grids(network, (0.0, 1.0, 0.0, 1.0), resolution=2, plane=plane)
    values = activations_at(network, 0.5, 0.25, plane)

    # row 1 is x3 = 1, column 0 is x1 = 0: 0 + 10 * 4 + 100 * 1 + 0.5
    assert grids["layer 1"][0, 1, 0] == pytest.approx(140.5)
    np.testing.assert_allclose(values["input"], [0.5, 4.0, 0.25])
    np.testing.assert_allclose(values["layer 1"], [0.5 + 40.0 + 25.0 + 0.5])


def test_standardized_inputs_are_what_the_network_sees() -> None:
    X = np.array([[0.0, 0.0], [2.0, 4.0]])
    dataset = Dataset(X, np.array([[0.0], [1.0]]), mean=np.array([1.0, 2.0]), scale=[2.0, 4.0])
    values = activations_at(_network(), 3.0, 2.0, Plane(dataset))
    np.testing.assert_allclose(values["input"], [1.0, 0.0])


def test_three_inputs_without_a_plane_are_rejected() -> None:
    spec = chain(3, (1, "identity"))
    network = Network(spec, {"layer 1": LayerParameters(np.ones((3, 1)), np.zeros(1))})
    with pytest.raises(EngineError, match="exactly two inputs"):
        neuron_grids(network, (0.0, 1.0, 0.0, 1.0))
    with pytest.raises(EngineError, match="exactly two inputs"):
        activations_at(network, 0.0, 0.0)


def test_resolution_below_two_is_rejected() -> None:
    with pytest.raises(EngineError, match="at least 2, got 1"):
        neuron_grids(_network(), (0.0, 1.0, 0.0, 1.0), resolution=1)
