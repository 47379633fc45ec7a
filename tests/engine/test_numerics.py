"""Extreme inputs: activations and losses stay finite, silent and correct, in float64 and float32.

Expected values are worked by hand: softplus(z) = max(z, 0) + log(1 + e^-|z|),
and e^-1000 underflows to 0 in both float types.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pytest

from nnstudio.engine.activations import make_activation
from nnstudio.engine.graph import chain
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import LayerParameters, Network

FLOATS = [np.float64, np.float32]


@pytest.fixture(autouse=True)
def warnings_are_errors() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_saturates(dtype: type) -> None:
    z = np.array([[1000.0, -1000.0]], dtype=dtype)
    a = make_activation("sigmoid").forward(z)
    assert a.dtype == dtype
    assert a[0, 0] == 1.0
    assert a[0, 1] == 0.0


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_large_logits(dtype: type) -> None:
    z = np.array([[1000.0, 999.0, 998.0]], dtype=dtype)
    p = make_activation("softmax").forward(z)
    # Softmax ignores a shift, so these equal e^[0, -1, -2] / their sum.
    expected = np.exp([0.0, -1.0, -2.0]) / np.exp([0.0, -1.0, -2.0]).sum()
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(p[0], expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_cross_entropy_large_logits(dtype: type) -> None:
    loss = make_loss("binary_cross_entropy")
    z = np.array([[1000.0], [1000.0], [-1000.0], [-1000.0]], dtype=dtype)
    y = np.array([[1.0], [0.0], [1.0], [0.0]], dtype=dtype)
    # Per sample, softplus(z) - y z is 0, 1000, 1000 and 0, so the mean is 500.
    value = loss.value_from_logits(z, y)
    gradient = loss.gradient_from_logits(z, y)
    assert value == 500.0
    # (sigmoid(z) - y) / 4 with sigmoid(z) exactly 1 or 0
    assert np.array_equal(gradient, np.array([[0.0], [0.25], [-0.25], [0.0]]))


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_cross_entropy_network(dtype: type) -> None:
    # One sigmoid unit with W = 1000 turns inputs of +-1 into logits of +-1000.
    spec = chain(1, (1, "sigmoid"), bias=False)
    network = Network(spec, {"layer 1": LayerParameters(np.array([[1000.0]]), None)}, dtype)
    X = np.array([[1.0], [-1.0]])
    y = np.array([[0.0], [1.0]])
    gradients = network.gradients(X, y, make_loss("binary_cross_entropy"))
    assert gradients.loss == 1000.0
    assert np.all(np.isfinite(gradients.parameters["layer 1"].W))
    # dL/dW = sum over samples of x (p - y) / 2 = (1 * 1 + -1 * -1) / 2
    assert gradients.parameters["layer 1"].W[0, 0] == 1.0


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_zero_probability(dtype: type) -> None:
    # Logits [0, 1000] put probability e^-1000, which is 0, on class 0, the
    # target. The loss is logsumexp(z) - z_0 = 1000 + log(1 + e^-1000) = 1000.
    spec = chain(2, (2, "softmax"))
    identity = LayerParameters(np.eye(2), np.zeros(2))
    network = Network(spec, {"layer 1": identity}, dtype)
    X = np.array([[0.0, 1000.0]])
    y = np.array([[1.0, 0.0]])

    output = network.predict(X)
    gradients = network.gradients(X, y, make_loss("cross_entropy"))

    assert output[0, 0] == 0.0
    assert gradients.loss == 1000.0
    # dL/dz = p - y = [-1, 1]
    assert np.array_equal(gradients.dz["layer 1"], np.array([[-1.0, 1.0]], dtype=dtype))


@pytest.mark.parametrize("dtype", FLOATS)
def test_cross_entropy_loss_object(dtype: type) -> None:
    loss = make_loss("cross_entropy")
    z = np.array([[0.0, 800.0, 1000.0], [3.0, 1.0, 2.0]], dtype=dtype)
    y = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], dtype=dtype)
    # Row 1: logsumexp is 1000 within e^-200, minus z_0 = 0.
    # Row 2: log(e^3 + e^1 + e^2) - 3.
    second = np.log(np.exp(3.0) + np.exp(1.0) + np.exp(2.0)) - 3.0
    value = loss.value_from_logits(z, y)
    assert np.isfinite(value)
    np.testing.assert_allclose(value, (1000.0 + second) / 2, rtol=1e-6)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("activation", ["tanh", "relu", "leaky_relu", "abs", "identity"])
def test_activation_large_inputs_finite(activation: str, dtype: type) -> None:
    z = np.array([[1000.0, -1000.0, 0.0]], dtype=dtype)
    function = make_activation(activation)
    a = function.forward(z)
    derivative = function.derivative(z, a)
    assert a.dtype == dtype
    assert np.all(np.isfinite(a))
    assert np.all(np.isfinite(derivative))


def test_float32_network_stays_float32() -> None:
    spec = chain(2, (3, "tanh"), (1, "sigmoid"))
    parameters = {
        "layer 1": LayerParameters(np.full((2, 3), 500.0), np.zeros(3)),
        "layer 2": LayerParameters(np.full((3, 1), 500.0), np.zeros(1)),
    }
    network = Network(spec, parameters, np.float32)
    X = np.array([[1.0, 1.0], [-1.0, -1.0]])
    y = np.array([[0.0], [1.0]])
    gradients = network.gradients(X, y, make_loss("binary_cross_entropy"))
    assert gradients.output.dtype == np.float32
    assert gradients.parameters["layer 1"].W.dtype == np.float32
    assert np.isfinite(gradients.loss)
    # Logits are +-1500, so softplus gives a loss of 1500 per sample.
    assert gradients.loss == 1500.0
