"""Backpropagation against central differences, on random graphs, for every activation and loss."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.typing import NDArray

from nnstudio.engine.activations import ACTIVATIONS, Tanh, make_activation
from nnstudio.engine.errors import StepBackpropagationError
from nnstudio.engine.gradcheck import check_gradients
from nnstudio.engine.graph import LayerSpec, NetworkSpec, chain
from nnstudio.engine.losses import LOSSES, make_loss
from nnstudio.engine.network import LayerParameters, Network, Parameters

Array = NDArray[np.float64]

TOLERANCE = 1e-6
# Near the cube root of float64's eps, where the rounding error of central
# differences (about eps * loss / h) and their truncation error (about h^2)
# balance. With h = 1e-6 a deep sigmoid layer's small gradients come within
# a factor of 2 of the tolerance.
STEP = 1e-5
# Every pre-activation, and for mae every output - target, stays this far from
# 0, so that no perturbation of a weight by STEP crosses the kink of relu,
# leaky_relu, abs or mae, where the one-sided slopes differ.
KINK_MARGIN = 1e-3
SAMPLES = 5
INPUTS = 3

DIFFERENTIABLE = [name for name in sorted(ACTIVATIONS) if make_activation(name).differentiable]
NOT_DIFFERENTIABLE = [name for name in sorted(ACTIVATIONS) if name not in DIFFERENTIABLE]

LOSS_OUTPUTS = [
    (loss, output)
    for loss in sorted(LOSSES)
    for output in (
        (LOSSES[loss].logit_activation,)
        if LOSSES[loss].logit_activation is not None
        else ("identity", "sigmoid", "tanh")
    )
]


def skip_and_join(hidden: str, output: str, outputs: int) -> NetworkSpec:
    """Two branches off the input join in one layer, and the input also skips to the output."""
    layers = (
        LayerSpec("output", outputs, output, ("join", "input")),
        LayerSpec("join", 3, hidden, ("left", "right"), slope=0.3),
        LayerSpec("left", 4, hidden, ("input",)),
        LayerSpec("right", 2, hidden, ("input",), bias=False),
    )
    return NetworkSpec(INPUTS, layers)


def random_graph(rng: np.random.Generator, hidden: str, output: str, outputs: int) -> NetworkSpec:
    """Draw an acyclic graph: each hidden layer reads a random subset of the earlier ones."""
    names = [f"hidden {index}" for index in range(int(rng.integers(2, 5)))]
    layers = []
    consumed: set[str] = set()
    for index, name in enumerate(names):
        earlier = ["input", *names[:index]]
        count = int(rng.integers(1, len(earlier) + 1))
        sources = tuple(str(source) for source in rng.choice(earlier, count, replace=False))
        consumed.update(sources)
        units = int(rng.integers(1, 4))
        layers.append(LayerSpec(name, units, hidden, sources, bool(rng.random() < 0.7)))

    # Every layer that no other layer reads feeds the output, so the graph has one sink.
    sources = tuple(name for name in names if name not in consumed)
    if rng.random() < 0.5:
        sources = (*sources, "input")
    layers.append(LayerSpec("output", outputs, output, sources, bool(rng.random() < 0.7)))
    order = rng.permutation(len(layers))
    return NetworkSpec(INPUTS, tuple(layers[i] for i in order))


def targets(loss: str, rng: np.random.Generator, outputs: int) -> Array:
    """Draw targets that suit ``loss``: one-hot rows, 0/1 labels, or real numbers."""
    activation = LOSSES[loss].logit_activation
    if activation == "softmax":
        return np.eye(outputs)[rng.integers(0, outputs, SAMPLES)]
    if activation == "sigmoid":
        return rng.integers(0, 2, (SAMPLES, outputs)).astype(np.float64)
    return rng.normal(size=(SAMPLES, outputs))


def draw_parameters(spec: NetworkSpec, rng: np.random.Generator) -> Parameters:
    parameters: Parameters = {}
    for name in spec.order:
        layer = spec.layer(name)
        W = rng.normal(0.0, 1.0 / np.sqrt(spec.fan_in(name)), (spec.fan_in(name), layer.units))
        b = rng.normal(0.0, 0.5, layer.units) if layer.bias else None
        parameters[name] = LayerParameters(W, b)
    return parameters


def away_from_kinks(network: Network, X: Array, y: Array, loss: str) -> bool:
    run = network.forward(X)
    if any(np.abs(z).min() < KINK_MARGIN for z in run.z.values()):
        return False
    output = run.output(network.spec)
    return loss != "mae" or bool(np.abs(output - y).min() >= KINK_MARGIN)


def draw_case(spec: NetworkSpec, loss: str, seed: int) -> tuple[Network, Array, Array]:
    """Draw weights and a batch for ``spec``, again until no value sits near a kink."""
    rng = np.random.default_rng(seed)
    outputs = spec.layer(spec.output_name).units
    for _ in range(100):
        network = Network(spec, draw_parameters(spec, rng))
        X = rng.normal(size=(SAMPLES, INPUTS))
        y = targets(loss, rng, outputs)
        if away_from_kinks(network, X, y, loss):
            return network, X, y
    raise AssertionError(f"no draw for seed {seed} kept clear of the kinks; change the seed")


def assert_gradients_agree(network: Network, X: Array, y: Array, loss: str) -> None:
    for check in check_gradients(network, X, y, make_loss(loss), STEP):
        assert check.max_relative_error < TOLERANCE, check


def test_registry_has_differentiable_activations() -> None:
    assert "sigmoid" in DIFFERENTIABLE
    assert "step" in NOT_DIFFERENTIABLE


@pytest.mark.parametrize("activation", DIFFERENTIABLE)
def test_activation_skip_and_join(activation: str) -> None:
    spec = skip_and_join(activation, "identity", 2)
    network, X, y = draw_case(spec, "mse", seed=1)
    assert_gradients_agree(network, X, y, "mse")


@pytest.mark.parametrize("activation", DIFFERENTIABLE)
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_activation_random_graph(activation: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    spec = random_graph(rng, activation, activation, 2)
    network, X, y = draw_case(spec, "mse", seed)
    assert_gradients_agree(network, X, y, "mse")


@pytest.mark.parametrize("activation", NOT_DIFFERENTIABLE)
def test_nondifferentiable_activation_rejected(activation: str) -> None:
    spec = chain(INPUTS, (2, activation), (1, "identity"))
    network = Network(spec, draw_parameters(spec, np.random.default_rng(0)))
    X = np.ones((2, INPUTS))
    with pytest.raises(StepBackpropagationError):
        network.gradients(X, np.zeros((2, 1)), make_loss("mse"))


@pytest.mark.parametrize(("loss", "output"), LOSS_OUTPUTS)
def test_loss_skip_and_join(loss: str, output: str) -> None:
    spec = skip_and_join("tanh", output, 3)
    network, X, y = draw_case(spec, loss, seed=2)
    assert_gradients_agree(network, X, y, loss)


@pytest.mark.parametrize(("loss", "output"), LOSS_OUTPUTS)
@pytest.mark.parametrize("seed", [21, 22])
def test_loss_random_graph(loss: str, output: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    spec = random_graph(rng, "leaky_relu", output, 3)
    network, X, y = draw_case(spec, loss, seed)
    assert_gradients_agree(network, X, y, loss)


def test_random_graphs_have_joins_and_no_bias() -> None:
    # The random graphs above are meant to cover these shapes, not only chains.
    specs = [
        random_graph(np.random.default_rng(seed), "tanh", "identity", 2)
        for seed in (11, 12, 13, 21, 22)
    ]
    layers = [layer for spec in specs for layer in spec.layers]
    assert any(len(layer.inputs) >= 2 for layer in layers)
    assert any("input" in layer.inputs for layer in layers if layer.name == "output")
    assert any(not layer.bias for layer in layers)


def test_check_catches_wrong_derivative() -> None:
    class WrongTanh(Tanh):
        def derivative(self, z: Array, a: Array) -> Array:
            result: Array = 1.0 - a  # should be 1 - a * a
            return result

    spec = skip_and_join("tanh", "identity", 2)
    network, X, y = draw_case(spec, "mse", seed=3)
    network.activations["left"] = WrongTanh()
    worst = {
        check.layer: check.max_relative_error
        for check in check_gradients(network, X, y, make_loss("mse"), STEP)
    }
    assert worst["left"] > 1e-2


def test_check_with_transposed_weights() -> None:
    # W from a transpose is not C-contiguous. The check must still nudge the
    # network's own weights, not a copy of them.
    spec = chain(INPUTS, (2, "tanh"), (1, "identity"))
    rng = np.random.default_rng(4)
    parameters = {
        "layer 1": LayerParameters(rng.normal(size=(2, INPUTS)).T, rng.normal(size=2)),
        "layer 2": LayerParameters(rng.normal(size=(1, 2)).T, rng.normal(size=1)),
    }
    network = Network(spec, parameters)
    X = rng.normal(size=(SAMPLES, INPUTS))
    y = rng.normal(size=(SAMPLES, 1))
    assert not network.parameters["layer 1"].W.flags["C_CONTIGUOUS"]
    assert_gradients_agree(network, X, y, "mse")


def test_chain_graph_equals_chain() -> None:
    # The same chain, listed backwards under other names, must compute the same
    # floating-point operations as chain() does.
    drawn = NetworkSpec(
        INPUTS,
        (
            LayerSpec("out", 2, "sigmoid", ("second",)),
            LayerSpec("second", 3, "relu", ("first",)),
            LayerSpec("first", 4, "tanh", ("x",)),
        ),
        input_name="x",
    )
    plain = chain(INPUTS, (4, "tanh"), (3, "relu"), (2, "sigmoid"))
    rng = np.random.default_rng(5)
    drawn_parameters = draw_parameters(drawn, rng)
    renamed = {"layer 1": "first", "layer 2": "second", "layer 3": "out"}
    plain_parameters = {name: drawn_parameters[source].copy() for name, source in renamed.items()}
    X = rng.normal(size=(SAMPLES, INPUTS))
    y = rng.normal(size=(SAMPLES, 2))
    loss = make_loss("mse")

    ours = Network(drawn, drawn_parameters).gradients(X, y, loss)
    theirs = Network(plain, plain_parameters).gradients(X, y, loss)

    assert drawn.order == ("first", "second", "out")
    assert np.array_equal(ours.output, theirs.output)
    assert ours.loss == theirs.loss
    for name, source in renamed.items():
        assert np.array_equal(ours.parameters[source].W, theirs.parameters[name].W), name
        assert np.array_equal(ours.parameters[source].b, theirs.parameters[name].b), name
        assert np.array_equal(ours.dz[source], theirs.dz[name]), name


MIXABLE = [name for name in DIFFERENTIABLE if name not in ("softmax", "prelu")]


def with_mixed_units(spec: NetworkSpec, rng: np.random.Generator) -> NetworkSpec:
    """Give every layer of ``spec`` a random activation per unit, drawn from MIXABLE."""
    layers = []
    for layer in spec.layers:
        names = tuple(str(name) for name in rng.choice(MIXABLE, layer.units))
        layers.append(dataclasses.replace(layer, activations=names, slope=0.25))
    return NetworkSpec(spec.input_units, tuple(layers))


@pytest.mark.parametrize("seed", [31, 32, 33, 34, 35])
def test_mixed_units_random_graph(seed: int) -> None:
    rng = np.random.default_rng(seed)
    spec = with_mixed_units(random_graph(rng, "tanh", "identity", 3), rng)
    assert any(layer.activations for layer in spec.layers)
    network, X, y = draw_case(spec, "mse", seed)
    assert_gradients_agree(network, X, y, "mse")
