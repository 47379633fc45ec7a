"""The Trainer's fast path against its general path: the same weights after many steps.

Each case trains two copies of one network from the same weights, one with
``fast_path=False`` (Network.gradients and the optimizer's update), and
compares the weights and the history. The two paths round differently (the
fast one folds the bias into the matrix product and computes sigmoid through
tanh), so float64 weights agree to about 1e-14, not bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from nnstudio.engine.graph import LayerSpec, NetworkSpec, chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.network import Network, Parameters
from nnstudio.engine.training import FAST_PATH, GENERAL_PATH, Trainer, TrainingSettings
from tests.engine.reference import build_network, load_cases

Array = NDArray[np.float64]

RTOL = 1e-12
# Weights that pass near zero need an absolute floor too.
ATOL = 1e-13

_DATA = np.random.default_rng(11)
# 26 samples: batches of 8 leave a last batch of 2.
POINTS = _DATA.normal(size=(26, 3))
QUADRANT = (POINTS[:, :1] * POINTS[:, 1:2] > 0).astype(float)
CLASSES = np.eye(3)[_DATA.integers(0, 3, size=26)]
VALUES = np.tanh(POINTS @ np.array([[0.7, -0.4], [0.3, 0.2], [-0.5, 0.6]]))

HIDDEN = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "abs")
# (loss, output activation, targets)
OUTPUTS = {
    "mse-identity": ("mse", "identity", VALUES),
    "mse-sigmoid": ("mse", "sigmoid", QUADRANT),
    "mae-tanh": ("mae", "tanh", VALUES),
    "bce-sigmoid": ("binary_cross_entropy", "sigmoid", QUADRANT),
    "ce-softmax": ("cross_entropy", "softmax", CLASSES),
}
OPTIMIZERS = ("sgd", "momentum", "adam")
MODES = ("full", "minibatch", "stochastic")


def settings_for(loss: str, **changes: object) -> TrainingSettings:
    settings = TrainingSettings(loss=loss, learning_rate=0.05, batch_size=8, seed=2)
    for key, value in changes.items():
        setattr(settings, key, value)
    return settings


def pair(
    spec: NetworkSpec, y: Array, settings: TrainingSettings, seed: int = 1
) -> tuple[Trainer, Trainer]:
    """Return a fast-path and a general-path Trainer for the same network, data and settings."""
    first = initialize(spec, "xavier_uniform", seed)
    fast = Trainer(Network(spec, first), POINTS, y, settings)
    general = Trainer(Network(spec, first), POINTS, y, settings, fast_path=False)
    return fast, general


def assert_close(fast: Parameters, general: Parameters, rtol: float = RTOL) -> None:
    atol = ATOL if rtol == RTOL else rtol
    assert fast.keys() == general.keys()
    for name in fast:
        np.testing.assert_allclose(fast[name].W, general[name].W, rtol=rtol, atol=atol)
        if general[name].b is None:
            assert fast[name].b is None
        else:
            np.testing.assert_allclose(fast[name].b, general[name].b, rtol=rtol, atol=atol)


def train_both(fast: Trainer, general: Trainer, epochs: int, rtol: float = RTOL) -> None:
    fast.train(epochs)
    general.train(epochs)
    assert fast.step_path == FAST_PATH, fast.fallback_reason
    assert general.step_path == GENERAL_PATH
    assert_close(fast.network.parameters, general.network.parameters, rtol)
    np.testing.assert_allclose(fast.history.loss, general.history.loss, rtol=rtol * 10)
    np.testing.assert_array_equal(fast.history.accuracy, general.history.accuracy)


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_activation_and_loss(hidden: str, output: str) -> None:
    loss, activation, y = OUTPUTS[output]
    spec = chain(3, (5, hidden), (4, "tanh"), (y.shape[1], activation))
    train_both(*pair(spec, y, settings_for(loss, batch_mode="minibatch")), epochs=40)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("output", ["mse-sigmoid", "ce-softmax"])
def test_optimizer_and_batch_mode(output: str, optimizer: str, mode: str) -> None:
    loss, activation, y = OUTPUTS[output]
    spec = chain(3, (6, "tanh"), (y.shape[1], activation))
    settings = settings_for(loss, optimizer=optimizer, batch_mode=mode)
    epochs = 8 if mode == "stochastic" else 60
    train_both(*pair(spec, y, settings), epochs)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_l1_and_l2_penalty(optimizer: str) -> None:
    spec = chain(3, (6, "relu"), (1, "sigmoid"))
    settings = settings_for(
        "binary_cross_entropy", optimizer=optimizer, batch_mode="minibatch", l1=0.01, l2=0.02
    )
    train_both(*pair(spec, QUADRANT, settings), epochs=40)


def test_layers_without_bias_and_leaky_slope() -> None:
    layers = (
        LayerSpec("a", 5, "leaky_relu", ("input",), bias=False, slope=0.2),
        LayerSpec("b", 2, "identity", ("a",), bias=True),
    )
    spec = NetworkSpec(3, layers)
    train_both(*pair(spec, VALUES, settings_for("mse", batch_mode="minibatch")), epochs=40)


def skip_graph(activation: str = "tanh", bias: bool = True) -> NetworkSpec:
    """A DAG: the output reads the input and both hidden layers, and b reads input and a."""
    layers = (
        LayerSpec("a", 4, activation, ("input",)),
        LayerSpec("b", 3, "sigmoid", ("a", "input"), bias=bias),
        LayerSpec("out", 3, "softmax", ("input", "b", "a")),
    )
    return NetworkSpec(3, layers)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_skip_connection_graph(activation: str, optimizer: str) -> None:
    settings = settings_for("cross_entropy", optimizer=optimizer, batch_mode="minibatch")
    train_both(*pair(skip_graph(activation), CLASSES, settings), epochs=40)


def test_two_consumers_of_one_layer_without_bias() -> None:
    # "a" feeds both "b" and "c"; "c" reads only "a", so its share arrives by a product.
    layers = (
        LayerSpec("a", 4, "tanh", ("input",)),
        LayerSpec("b", 3, "relu", ("a",), bias=False),
        LayerSpec("c", 2, "sigmoid", ("a",)),
        LayerSpec("out", 2, "identity", ("b", "c")),
    )
    spec = NetworkSpec(3, layers)
    train_both(*pair(spec, VALUES, settings_for("mse", optimizer="momentum")), epochs=60)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_float32(optimizer: str) -> None:
    spec = chain(3, (6, "tanh"), (3, "softmax"))
    settings = settings_for("cross_entropy", optimizer=optimizer, dtype="float32")
    fast, general = pair(spec, CLASSES, settings)
    train_both(fast, general, epochs=30, rtol=2e-5)
    assert fast.network.parameters["layer 1"].W.dtype == np.float32


def test_settings_changed_mid_run() -> None:
    spec = chain(3, (5, "tanh"), (1, "sigmoid"))
    settings = settings_for("binary_cross_entropy", optimizer="adam", batch_mode="minibatch")
    fast, general = pair(spec, QUADRANT, settings)
    for trainer in (fast, general):
        trainer.train(10)
        trainer.change_settings(learning_rate=0.02, adam_beta1=0.8, adam_eps=1e-6, l2=0.05)
        trainer.train(10)
        # Not l1 with Adam: weights that L1 holds at zero flip the sign of their
        # gradient on a rounding difference, and Adam makes each flip a full step.
        trainer.change_settings(l2=0.0, momentum=0.5)
        trainer.train(10)
    assert_close(fast.network.parameters, general.network.parameters)


OPTIMIZER_RUNS = [
    (case, run) for case in load_cases("gradient") for run in case.get("optimizers", [])
]


@pytest.mark.parametrize(
    ("case", "run"), OPTIMIZER_RUNS, ids=[f"{c['name']}-{r['name']}" for c, r in OPTIMIZER_RUNS]
)
def test_reference_cases_on_fast_path(case: dict[str, object], run: dict[str, object]) -> None:
    # PyTorch's float64 weights after the reference steps, reached on the fast path.
    network = build_network(case)
    betas = run.get("betas", [0.9, 0.999])
    assert isinstance(betas, list)
    settings = TrainingSettings(
        loss=str(case["loss"]),
        learning_rate=float(run["lr"]),  # type: ignore[arg-type]
        optimizer=str(run["name"]),
        momentum=float(run.get("momentum", 0.9)),  # type: ignore[arg-type]
        adam_beta1=betas[0],
        adam_beta2=betas[1],
        adam_eps=float(run.get("eps", 1e-8)),  # type: ignore[arg-type]
    )
    trainer = Trainer(network, np.array(case["X"]), np.array(case["y"]), settings)
    assert trainer.step_path == FAST_PATH, trainer.fallback_reason
    trainer.train(int(run["steps"]))  # type: ignore[call-overload]
    expected = run["weights_after"]
    assert isinstance(expected, list)
    for name, want in zip(network.spec.order, expected, strict=True):
        got = trainer.network.parameters[name]
        np.testing.assert_allclose(got.W, want["W"], rtol=1e-9, atol=1e-12)
        if want["b"] is not None:
            np.testing.assert_allclose(got.b, want["b"], rtol=1e-9, atol=1e-12)
