"""PReLU: forward and backward by hand, its learned alpha by finite differences, and updates."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.typing import NDArray

from nnstudio.engine.activations import INITIAL_ALPHA, PReLU
from nnstudio.engine.errors import EngineError
from nnstudio.engine.gradcheck import check_gradients
from nnstudio.engine.graph import LayerSpec, NetworkSpec, chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import LayerParameters, Network
from nnstudio.engine.optimizers import make_optimizer
from nnstudio.engine.training import Trainer, TrainingSettings
from tests.engine.test_gradcheck import STEP, TOLERANCE, draw_case, random_graph, skip_and_join

Array = NDArray[np.float64]
Floats = NDArray[np.floating]

Z = np.array([[2.0, -4.0], [-1.0, 3.0]])
GRAD_A = np.array([[0.5, 1.0], [2.0, -1.0]])


def per_neuron(spec: NetworkSpec) -> NetworkSpec:
    """Return ``spec`` with one alpha per unit in every layer."""
    layers = tuple(dataclasses.replace(layer, prelu_per_neuron=True) for layer in spec.layers)
    return NetworkSpec(spec.input_units, layers, spec.input_name)


def test_forward_shared_alpha() -> None:
    a = PReLU().forward_alpha(Z, np.array([0.25]))
    np.testing.assert_array_equal(a, [[2.0, -1.0], [-0.25, 3.0]])


def test_forward_alpha_per_unit() -> None:
    a = PReLU().forward_alpha(Z, np.array([0.1, 0.5]))
    np.testing.assert_allclose(a, [[2.0, -2.0], [-0.1, 3.0]], rtol=1e-15)


def test_backward_shared_alpha() -> None:
    grad_z, grad_alpha = PReLU().backward_alpha(Z, GRAD_A, np.array([0.25]))
    # dz = grad_a where z > 0, alpha * grad_a elsewhere.
    np.testing.assert_array_equal(grad_z, [[0.5, 0.25], [0.5, -1.0]])
    # dalpha = sum of grad_a * z where z <= 0: 1 * -4 + 2 * -1.
    np.testing.assert_array_equal(grad_alpha, [-6.0])


def test_backward_alpha_per_unit() -> None:
    grad_z, grad_alpha = PReLU().backward_alpha(Z, GRAD_A, np.array([0.1, 0.5]))
    np.testing.assert_allclose(grad_z, [[0.5, 0.5], [0.2, -1.0]], rtol=1e-15)
    # unit 0: 2 * -1 from the second sample; unit 1: 1 * -4 from the first.
    np.testing.assert_array_equal(grad_alpha, [-2.0, -4.0])


def test_derivative_at_zero_is_alpha() -> None:
    grad_z, grad_alpha = PReLU().backward_alpha(np.zeros((1, 1)), np.ones((1, 1)), np.array([0.3]))
    assert grad_z[0, 0] == 0.3
    assert grad_alpha[0] == 0.0


def hand_network() -> Network:
    """x = [1, 2]; a prelu layer of 2 units with alpha 0.2; one linear output; no biases."""
    spec = NetworkSpec(
        2,
        (
            LayerSpec("hidden", 2, "prelu", ("input",), bias=False),
            LayerSpec("output", 1, "identity", ("hidden",), bias=False),
        ),
    )
    parameters = {
        "hidden": LayerParameters(np.array([[1.0, -1.0], [0.5, -2.0]]), None, np.array([0.2])),
        "output": LayerParameters(np.array([[1.0], [3.0]]), None),
    }
    return Network(spec, parameters)


def test_network_by_hand() -> None:
    network = hand_network()
    X, y = np.array([[1.0, 2.0]]), np.array([[0.0]])

    gradients = network.gradients(X, y, make_loss("mse"))

    # z = [1 + 1, -1 - 4] = [2, -5], a = [2, -1], output = 2 - 3 = -1, loss = 1/2.
    np.testing.assert_allclose(gradients.output, [[-1.0]], rtol=1e-15)
    assert gradients.loss == 0.5
    # dLoss/da = -1 * [1, 3]; dz = [-1, 0.2 * -3]; dalpha = -3 * -5.
    hidden = gradients.parameters["hidden"]
    assert hidden.alpha is not None
    np.testing.assert_allclose(hidden.alpha, [15.0], rtol=1e-15)
    np.testing.assert_allclose(hidden.W, [[-1.0, -0.6], [-2.0, -1.2]], rtol=1e-15)
    assert gradients.parameters["output"].alpha is None


def test_sgd_step_updates_alpha() -> None:
    network = hand_network()
    X, y = np.array([[1.0, 2.0]]), np.array([[0.0]])
    gradients = network.gradients(X, y, make_loss("mse")).parameters

    make_optimizer("sgd", 0.01).update(network.parameters, gradients)

    alpha = network.parameters["hidden"].alpha
    assert alpha is not None
    np.testing.assert_allclose(alpha, [0.2 - 0.01 * 15.0], rtol=1e-15)


def with_drawn_alpha(network: Network, seed: int) -> Network:
    # Alphas other than the initial 0.25, and different per unit, so a mix-up shows.
    rng = np.random.default_rng(seed)
    for params in network.parameters.values():
        if params.alpha is not None:
            params.alpha[:] = rng.uniform(0.05, 0.6, params.alpha.shape)
    return network


def assert_gradients_agree(network: Network, X: Array, y: Array) -> None:
    for check in check_gradients(network, X, y, make_loss("mse"), STEP):
        assert check.max_relative_error < TOLERANCE, check


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "per-unit"])
def test_skip_and_join_gradients(shared: bool) -> None:
    spec = skip_and_join("prelu", "identity", 2)
    spec = spec if shared else per_neuron(spec)
    network, X, y = draw_case(spec, "mse", seed=31)
    assert_gradients_agree(with_drawn_alpha(network, 31), X, y)


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "per-unit"])
@pytest.mark.parametrize("seed", [32, 33])
def test_random_graph_gradients(shared: bool, seed: int) -> None:
    spec = random_graph(np.random.default_rng(seed), "prelu", "identity", 2)
    spec = spec if shared else per_neuron(spec)
    network, X, y = draw_case(spec, "mse", seed)
    assert_gradients_agree(with_drawn_alpha(network, seed), X, y)


def test_alpha_gradient_is_checked() -> None:
    # A wrong dalpha must show: halve it after backpropagation.
    spec = per_neuron(chain(3, (3, "prelu"), (1, "identity")))
    network, X, y = draw_case(spec, "mse", seed=34)

    class HalfAlpha(PReLU):
        def backward_alpha(self, z: Floats, grad_a: Floats, alpha: Floats) -> tuple[Floats, Floats]:
            grad_z, grad_alpha = super().backward_alpha(z, grad_a, alpha)
            return grad_z, 0.5 * grad_alpha

    network.activations["layer 1"] = HalfAlpha()
    (hidden, _) = check_gradients(network, X, y, make_loss("mse"), STEP)
    assert hidden.max_relative_error > 0.1


def test_missing_alpha_starts_at_initial() -> None:
    spec = per_neuron(chain(2, (3, "prelu"), (1, "identity")))
    parameters = {
        "layer 1": LayerParameters(np.ones((2, 3)), np.zeros(3)),
        "layer 2": LayerParameters(np.ones((3, 1)), np.zeros(1)),
    }
    network = Network(spec, parameters)
    np.testing.assert_array_equal(network.parameters["layer 1"].alpha, [INITIAL_ALPHA] * 3)


def test_wrong_alpha_shape_rejected() -> None:
    spec = chain(2, (3, "prelu"), (1, "identity"))
    parameters = {
        "layer 1": LayerParameters(np.ones((2, 3)), np.zeros(3), np.ones(3)),
        "layer 2": LayerParameters(np.ones((3, 1)), np.zeros(1)),
    }
    with pytest.raises(EngineError, match=r"'layer 1': alpha has shape \(3,\), expected \(1,\)"):
        Network(spec, parameters)


def test_alpha_on_other_activation_rejected() -> None:
    spec = chain(2, (3, "tanh"), (1, "identity"))
    parameters = {
        "layer 1": LayerParameters(np.ones((2, 3)), np.zeros(3), np.ones(1)),
        "layer 2": LayerParameters(np.ones((3, 1)), np.zeros(1)),
    }
    with pytest.raises(EngineError, match="'layer 1' is not a prelu layer"):
        Network(spec, parameters)


@pytest.mark.parametrize(("per_unit", "shape"), [(False, (1,)), (True, (4,))])
def test_initialize_sets_alpha(per_unit: bool, shape: tuple[int, ...]) -> None:
    spec = chain(2, (4, "prelu"), (1, "sigmoid"))
    spec = per_neuron(spec) if per_unit else spec
    parameters = initialize(spec, "xavier_uniform", 0)
    np.testing.assert_array_equal(parameters["layer 1"].alpha, np.full(shape, INITIAL_ALPHA))
    assert parameters["layer 2"].alpha is None


def test_parameter_count_includes_alpha() -> None:
    # 2 * 4 weights + 4 biases + alpha, then 4 weights + 1 bias.
    shared = chain(2, (4, "prelu"), (1, "sigmoid"))
    assert shared.parameter_count() == 8 + 4 + 1 + 4 + 1
    assert per_neuron(shared).parameter_count() == 8 + 4 + 4 + 4 + 1


def test_prelu_xor_learns_alpha() -> None:
    spec = per_neuron(chain(2, (4, "prelu"), (1, "sigmoid")))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    xor = np.array([[0.0], [1.0], [1.0], [0.0]])
    settings = TrainingSettings(loss="binary_cross_entropy", learning_rate=0.05, optimizer="adam")
    trainer = Trainer(network, corners, xor, settings)

    trainer.train(1000)

    alpha = trainer.network.parameters["layer 1"].alpha
    assert alpha is not None
    assert trainer.history.accuracy[-1] == 1.0
    # A unit whose z stays above 0 on every corner gets no gradient for its alpha.
    assert np.any(alpha != INITIAL_ALPHA)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_large_inputs_finite(dtype: type) -> None:
    z = np.array([[1000.0, -1000.0, 0.0]], dtype=dtype)
    alpha = np.array([0.25], dtype=dtype)
    a = PReLU().forward_alpha(z, alpha)
    grad_z, grad_alpha = PReLU().backward_alpha(z, np.ones_like(z), alpha)
    assert a.dtype == dtype
    assert grad_alpha.dtype == dtype
    np.testing.assert_array_equal(a, np.array([[1000.0, -250.0, 0.0]], dtype=dtype))
    assert np.all(np.isfinite(grad_z))
    # -1000 from the negative input, 0 from z = 0
    assert grad_alpha[0] == -1000.0
