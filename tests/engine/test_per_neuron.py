"""Per-neuron activations: each unit of a layer with its own activation function."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from numpy.typing import NDArray

from nnstudio.engine.activations import PerNeuron, make_activation, make_unit_activations
from nnstudio.engine.errors import EngineError, GraphError, StepBackpropagationError
from nnstudio.engine.gradcheck import check_gradients
from nnstudio.engine.graph import LayerSpec, NetworkSpec
from nnstudio.engine.initializers import initialize
from nnstudio.engine.losses import make_loss
from nnstudio.engine.multiseed import Goal, train_many_seeds
from nnstudio.engine.network import LayerParameters, Network
from nnstudio.engine.perceptron import check_perceptron_network
from nnstudio.engine.training import Trainer, TrainingSettings

Array = NDArray[np.float64]

ELEMENTWISE = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "abs"]
MIX = ("tanh", "relu", "sigmoid", "leaky_relu", "abs", "identity")
TOLERANCE = 1e-6
STEP = 1e-5
KINK_MARGIN = 1e-3


def mixed_spec(hidden: tuple[str, ...], output: tuple[str, ...] = ()) -> NetworkSpec:
    """Two inputs, a hidden layer fed by the input, and an output reading both."""
    layers = (
        LayerSpec("hidden", len(hidden), "tanh", ("input",), slope=0.2, activations=hidden),
        LayerSpec(
            "output", max(len(output), 1), "identity", ("hidden", "input"), activations=output
        ),
    )
    return NetworkSpec(2, layers)


# the PerNeuron object


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_shared_name_is_bit_identical(name: str, dtype: type) -> None:
    rng = np.random.default_rng(3)
    z = rng.normal(scale=2.0, size=(7, 4)).astype(dtype)
    grad_a = rng.normal(size=(7, 4)).astype(dtype)
    plain = make_activation(name, 0.3)
    mixed = PerNeuron([name] * 4, 0.3)

    a = plain.forward(z)
    assert np.array_equal(mixed.forward(z), a)
    assert mixed.forward(z).dtype == a.dtype
    assert np.array_equal(mixed.derivative(z, a), plain.derivative(z, a))
    assert np.array_equal(mixed.backward(z, a, grad_a), plain.backward(z, a, grad_a))


def test_step_forward_in_mix() -> None:
    z = np.array([[-1.0, 0.0, 2.0], [0.5, -0.5, -3.0]])
    mixed = PerNeuron(["step", "relu", "step"])

    expected = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(mixed.forward(z), expected)
    assert not mixed.differentiable
    with pytest.raises(StepBackpropagationError, match="step activation"):
        mixed.backward(z, mixed.forward(z), np.ones_like(z))


def test_each_column_by_hand() -> None:
    z = np.array([[0.5, -1.0, -2.0, 3.0], [-0.25, 2.0, 1.5, -4.0]])
    mixed = PerNeuron(["tanh", "relu", "leaky_relu", "abs"], slope=0.1)

    a = mixed.forward(z)
    expected = np.array(
        [
            [math.tanh(0.5), 0.0, -0.2, 3.0],
            [math.tanh(-0.25), 2.0, 1.5, 4.0],
        ]
    )
    np.testing.assert_allclose(a, expected, rtol=0, atol=1e-15)
    slopes = np.array(
        [
            [1 - math.tanh(0.5) ** 2, 0.0, 0.1, 1.0],
            [1 - math.tanh(-0.25) ** 2, 1.0, 1.0, -1.0],
        ]
    )
    np.testing.assert_allclose(mixed.derivative(z, a), slopes, rtol=0, atol=1e-15)


def test_uniform_list_gives_plain_object() -> None:
    assert type(make_unit_activations(["relu", "relu"])).__name__ == "ReLU"
    assert make_unit_activations(["softmax", "softmax"]).name == "softmax"
    assert isinstance(make_unit_activations(["relu", "tanh"]), PerNeuron)


@pytest.mark.parametrize("name", ["softmax", "prelu"])
def test_layer_only_names_rejected(name: str) -> None:
    with pytest.raises(EngineError, match=f"set {name} for the whole layer"):
        make_unit_activations(["relu", name])


def test_unknown_name_rejected() -> None:
    with pytest.raises(EngineError, match="unknown activation 'swish' for unit 2"):
        make_unit_activations(["relu", "swish"])


# the layer spec


def test_spec_uniform_list_normalized() -> None:
    layer = LayerSpec("h", 3, "tanh", ("input",), activations=("relu", "relu", "relu"))
    assert layer.activation == "relu"
    assert layer.activations == ()
    assert layer.unit_activations() == ("relu", "relu", "relu")


def test_spec_wrong_length_rejected() -> None:
    with pytest.raises(GraphError, match="'h' has 3 units but 2 per-neuron activations"):
        LayerSpec("h", 3, "tanh", ("input",), activations=("relu", "tanh"))


def test_spec_softmax_mix_rejected() -> None:
    with pytest.raises(GraphError, match="layer 'out': softmax couples the units"):
        LayerSpec("out", 2, "identity", ("input",), activations=("softmax", "identity"))


def test_spec_mixed_layer_has_no_alpha() -> None:
    layer = LayerSpec("h", 2, "prelu", ("input",), activations=("relu", "tanh"))
    assert layer.alpha_shape() is None


# networks with mixed layers


def test_network_shared_name_is_bit_identical() -> None:
    """A network whose hidden layer is a PerNeuron of one name matches the plain network."""
    spec = mixed_spec(("tanh",) * 4)
    assert spec.layer("hidden").activations == ()
    rng = np.random.default_rng(8)
    X = rng.normal(size=(6, 2))
    y = rng.normal(size=(6, 1))
    plain = Network(spec, initialize(spec, "xavier_uniform", 4))
    composite = Network(spec, initialize(spec, "xavier_uniform", 4))
    composite.activations["hidden"] = PerNeuron(["tanh"] * 4)

    loss = make_loss("mse")
    left = plain.gradients(X, y, loss)
    right = composite.gradients(X, y, loss)
    assert left.loss == right.loss
    for name in spec.order:
        assert np.array_equal(left.parameters[name].W, right.parameters[name].W)
        assert np.array_equal(left.dz[name], right.dz[name])


def hand_network() -> Network:
    """x = (1, -2) into tanh, relu and leaky_relu (slope 0.1) units, then one identity output."""
    layers = (
        LayerSpec(
            "hidden", 3, "tanh", ("input",), slope=0.1, activations=("tanh", "relu", "leaky_relu")
        ),
        LayerSpec("output", 1, "identity", ("hidden",)),
    )
    spec = NetworkSpec(2, layers)
    # z = x @ W + b = (0.5, -1.0, -2.0) for x = (1, -2).
    W = np.array([[0.5, 1.0, 0.0], [0.25, 0.5, 1.0]])
    b = np.array([0.5, -1.0, 0.0])
    parameters = {
        "hidden": LayerParameters(W, b),
        "output": LayerParameters(np.array([[1.0], [2.0], [3.0]]), np.array([0.0])),
    }
    return Network(spec, parameters)


def test_hand_worked_mix() -> None:
    network = hand_network()
    X = np.array([[1.0, -2.0]])
    y = np.array([[0.0]])

    run = network.forward(X)
    np.testing.assert_allclose(run.z["hidden"], [[0.5, -1.0, -2.0]], rtol=0, atol=1e-15)
    # a = (tanh 0.5, relu -1, 0.1 * -2) and the output 1 * a1 + 2 * a2 + 3 * a3.
    tanh_half = 0.46211715726000974
    np.testing.assert_allclose(run.a["hidden"], [[tanh_half, 0.0, -0.2]], rtol=0, atol=1e-15)
    output = tanh_half - 0.6
    np.testing.assert_allclose(run.a["output"], [[output]], rtol=0, atol=1e-15)

    # mse with 1/2: dL/dy = y - t; each hidden delta is w_j * dL/dy * f_j'(z_j).
    grads = network.gradients(X, y, make_loss("mse"))
    assert grads.loss == pytest.approx(0.5 * output**2, rel=1e-14)
    delta = [output * 1.0 * (1 - tanh_half**2), 0.0, output * 3.0 * 0.1]
    np.testing.assert_allclose(grads.dz["hidden"], [delta], rtol=1e-14, atol=0)
    expected_W = np.outer([1.0, -2.0], delta)
    np.testing.assert_allclose(grads.parameters["hidden"].W, expected_W, rtol=1e-14, atol=0)


def draw_case(spec: NetworkSpec, seed: int) -> tuple[Network, Array, Array]:
    """Draw weights and data until no pre-activation lies near a kink."""
    rng = np.random.default_rng(seed)
    while True:
        network = Network(spec, initialize(spec, "normal", int(rng.integers(1 << 30)), 0.8))
        X = rng.normal(size=(5, 2))
        y = rng.normal(size=(5, spec.units("output")))
        run = network.forward(X)
        if all(np.abs(z).min() > KINK_MARGIN for z in run.z.values()):
            return network, X, y


@pytest.mark.parametrize("seed", range(4))
def test_mixed_hidden_gradients(seed: int) -> None:
    network, X, y = draw_case(mixed_spec(MIX), seed)
    for check in check_gradients(network, X, y, make_loss("mse"), h=STEP):
        assert check.max_relative_error < TOLERANCE, check.layer


@pytest.mark.parametrize("seed", range(3))
def test_mixed_output_gradients(seed: int) -> None:
    spec = mixed_spec(("relu", "tanh", "abs"), ("identity", "sigmoid", "tanh"))
    network, X, y = draw_case(spec, seed)
    for check in check_gradients(network, X, y, make_loss("mse"), h=STEP):
        assert check.max_relative_error < TOLERANCE, check.layer


def test_step_mix_rejected_in_backprop() -> None:
    spec = mixed_spec(("step", "tanh"))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    X = np.array([[0.5, -1.0]])
    assert network.predict(X).shape == (1, 1)
    with pytest.raises(StepBackpropagationError, match="layer 'hidden' uses the step"):
        network.gradients(X, np.array([[1.0]]), make_loss("mse"))


def test_logit_loss_rejects_mixed_output() -> None:
    spec = mixed_spec(("tanh", "relu"), ("sigmoid", "identity"))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    with pytest.raises(EngineError, match="output layer uses per-neuron activations"):
        network.loss(np.zeros((1, 2)), np.zeros((1, 2)), make_loss("binary_cross_entropy"))


def test_perceptron_rejects_mixed_step_layer() -> None:
    layer = LayerSpec("output", 2, "step", ("input",), activations=("step", "sigmoid"))
    with pytest.raises(EngineError, match="uses step, sigmoid; set its activation to step"):
        check_perceptron_network(NetworkSpec(2, (layer,)))


# training many seeds at once


CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR = np.array([[0.0], [1.0], [1.0], [0.0]])


def test_many_seeds_match_trainer() -> None:
    spec = mixed_spec(("tanh", "relu", "sigmoid", "leaky_relu"))
    settings = TrainingSettings(loss="mse", learning_rate=0.3, optimizer="momentum")
    never = Goal(target_loss=None, target_accuracy=None)
    result = train_many_seeds(spec, CORNERS, XOR, settings, [2, 5], epochs=25, goal=never)

    for row, seed in enumerate([2, 5]):
        network = Network(spec, initialize(spec, "xavier_uniform", seed))
        trainer = Trainer(network, CORNERS, XOR, dataclasses.replace(settings, seed=seed))
        for _ in range(25):
            trainer.run_epoch()
        np.testing.assert_allclose(result.loss[row], trainer.history.loss, rtol=1e-12, atol=0)
        final = result.final_parameters[row]["hidden"].W
        np.testing.assert_allclose(final, trainer.network.parameters["hidden"].W, rtol=1e-12)


def test_many_seeds_reject_step_mix() -> None:
    spec = mixed_spec(("step", "tanh"))
    with pytest.raises(StepBackpropagationError, match="layer 'hidden'"):
        train_many_seeds(spec, CORNERS, XOR, TrainingSettings(), [0], epochs=2)


def test_mixed_xor_learns() -> None:
    spec = mixed_spec(("tanh", "relu", "sigmoid", "tanh"))
    network = Network(spec, initialize(spec, "xavier_uniform", 1))
    settings = TrainingSettings(loss="mse", learning_rate=0.2, optimizer="adam", epochs=600)
    trainer = Trainer(network, CORNERS, XOR, settings)
    for _ in range(600):
        trainer.run_epoch()
    assert trainer.history.loss[-1] < 0.01
    np.testing.assert_array_equal(trainer.network.predict(CORNERS) > 0.5, XOR > 0.5)
