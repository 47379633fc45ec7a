"""L1 and L2 penalties: the value by hand, the gradient by hand and by finite differences."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from nnstudio.engine.gradcheck import check_gradients
from nnstudio.engine.graph import LayerSpec, NetworkSpec, chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import LayerParameters, Network, copy_parameters
from nnstudio.engine.regularization import Regularization
from nnstudio.engine.training import Trainer, TrainingSettings
from tests.engine.test_gradcheck import STEP, TOLERANCE, draw_case, random_graph, skip_and_join

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR = np.array([[0.0], [1.0], [1.0], [0.0]])


def small_network() -> Network:
    """W1 = [[1, -2]], W2 = [[3], [0]], with biases and a prelu alpha that are not penalized."""
    spec = NetworkSpec(
        1,
        (
            LayerSpec("hidden", 2, "prelu", ("input",)),
            LayerSpec("output", 1, "identity", ("hidden",)),
        ),
    )
    parameters = {
        "hidden": LayerParameters(np.array([[1.0, -2.0]]), np.array([5.0, -5.0]), np.array([7.0])),
        "output": LayerParameters(np.array([[3.0], [0.0]]), np.array([9.0])),
    }
    return Network(spec, parameters)


def test_penalty_by_hand() -> None:
    # l1 * (1 + 2 + 3 + 0) + l2 / 2 * (1 + 4 + 9 + 0) = 0.6 + 1.4
    penalty = Regularization(l1=0.1, l2=0.2).penalty(small_network().parameters)
    assert penalty == pytest.approx(2.0, rel=1e-15)


def test_l1_only_by_hand() -> None:
    assert Regularization(l1=0.5).penalty(small_network().parameters) == 3.0


def test_l2_only_by_hand() -> None:
    assert Regularization(l2=2.0).penalty(small_network().parameters) == 14.0


def test_gradient_by_hand() -> None:
    network = small_network()
    gradients = {
        name: LayerParameters(np.zeros_like(p.W), np.zeros_like(p.b), None)
        for name, p in network.parameters.items()
    }

    Regularization(l1=0.1, l2=0.2).add_gradient(network.parameters, gradients)

    # l1 * sign(W) + l2 * W, with sign(0) = 0; biases untouched
    np.testing.assert_allclose(gradients["hidden"].W, [[0.1 + 0.2, -0.1 - 0.4]], rtol=1e-15)
    np.testing.assert_allclose(gradients["output"].W, [[0.1 + 0.6], [0.0]], rtol=1e-15)
    np.testing.assert_array_equal(gradients["hidden"].b, [0.0, 0.0])


def xor_trainer(**changes: Any) -> Trainer:
    spec = chain(2, (4, "tanh"), (1, "sigmoid"))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    settings = TrainingSettings(loss="mse", learning_rate=0.5, seed=0)
    return Trainer(network, CORNERS, XOR, dataclasses.replace(settings, **changes))


def test_evaluate_adds_penalty() -> None:
    trainer = xor_trainer(l1=0.01, l2=0.02)
    trainer.run_epoch()
    parameters = trainer.network.parameters
    data_loss = trainer.network.loss(CORNERS, XOR, make_loss("mse"))
    weights = [layer.W for layer in parameters.values()]
    penalty = 0.01 * sum(np.abs(W).sum() for W in weights)
    penalty += 0.01 * sum((W * W).sum() for W in weights)

    loss, _ = trainer.evaluate()
    parts = trainer.evaluate_parts()

    assert parts[0] == data_loss
    assert parts[1] == pytest.approx(penalty, rel=1e-14)
    assert loss == parts[0] + parts[1]
    assert trainer.history.loss[-1] == loss


def test_step_adds_penalty_gradient() -> None:
    trainer = xor_trainer(l1=0.01, l2=0.02, learning_rate=0.3)
    before = copy_parameters(trainer.network.parameters)
    gradients = Network(trainer.network.spec, before).gradients(CORNERS, XOR, make_loss("mse"))

    trainer.step()

    for name, layer in trainer.network.parameters.items():
        W = before[name].W
        expected_W = W - 0.3 * (gradients.parameters[name].W + 0.01 * np.sign(W) + 0.02 * W)
        expected_b = before[name].b - 0.3 * gradients.parameters[name].b
        np.testing.assert_allclose(layer.W, expected_W, rtol=1e-14, atol=1e-16)
        np.testing.assert_allclose(layer.b, expected_b, rtol=1e-14, atol=1e-16)


def test_zero_penalty_changes_nothing() -> None:
    plain = xor_trainer()
    zero = xor_trainer(l1=0.0, l2=0.0)
    plain.train(50)
    zero.train(50)
    np.testing.assert_array_equal(plain.history.loss, zero.history.loss)
    assert plain.evaluate_parts()[1] == 0.0


def test_l2_shrinks_weights() -> None:
    plain = xor_trainer()
    decayed = xor_trainer(l2=0.05)
    plain.train(300)
    decayed.train(300)

    def norm(trainer: Trainer) -> float:
        return sum(float((layer.W**2).sum()) for layer in trainer.network.parameters.values())

    assert norm(decayed) < norm(plain)


def assert_regularized_gradients_agree(network: Network, X: Any, y: Any) -> None:
    regularization = Regularization(l1=0.03, l2=0.07)
    checks = check_gradients(network, X, y, make_loss("mse"), STEP, regularization)
    for check in checks:
        assert check.max_relative_error < TOLERANCE, check


def weights_away_from_zero(network: Network) -> Network:
    # |W| has a kink at 0, where central differences and sign(0) = 0 disagree.
    for layer in network.parameters.values():
        small = np.abs(layer.W) < 1e-3
        layer.W[small] = 0.1
    return network


@pytest.mark.parametrize("activation", ["tanh", "prelu"])
def test_finite_differences_skip_and_join(activation: str) -> None:
    network, X, y = draw_case(skip_and_join(activation, "identity", 2), "mse", seed=41)
    assert_regularized_gradients_agree(weights_away_from_zero(network), X, y)


@pytest.mark.parametrize("seed", [42, 43])
def test_finite_differences_random_graph(seed: int) -> None:
    spec = random_graph(np.random.default_rng(seed), "sigmoid", "identity", 2)
    network, X, y = draw_case(spec, "mse", seed)
    assert_regularized_gradients_agree(weights_away_from_zero(network), X, y)


def test_check_catches_missing_penalty_gradient() -> None:
    # The check compares against the penalized loss, so a gradient without the
    # penalty's derivative must fail it.
    network, X, y = draw_case(skip_and_join("tanh", "identity", 2), "mse", seed=44)
    penalized = check_gradients(network, X, y, make_loss("mse"), STEP, Regularization(l2=0.5))
    plain = check_gradients(network, X, y, make_loss("mse"), STEP)

    class NoGradient(Regularization):
        def add_gradient(self, parameters: Any, gradients: Any) -> None:
            pass

    broken = check_gradients(network, X, y, make_loss("mse"), STEP, NoGradient(l2=0.5))

    assert max(check.max_relative_error for check in penalized) < TOLERANCE
    assert max(check.max_relative_error for check in plain) < TOLERANCE
    assert max(check.max_relative_error for check in broken) > 1e-3
