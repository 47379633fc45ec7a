"""Which path the Trainer takes, and weights that callers read, edit or replace between steps.

On the fast path a network's W and b are views into the trainer's flat weight
vector. The GUI's worker copies them into snapshots, the CLI copies them into
the project, and a caller may edit or replace them between steps; every such
case must give the weights the general path gives.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.typing import NDArray

from nnstudio.engine.activations import Sigmoid
from nnstudio.engine.errors import StepBackpropagationError, TrainingDiverged
from nnstudio.engine.graph import LayerSpec, NetworkSpec, chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import LayerParameters, Network, copy_parameters
from nnstudio.engine.optimizers import SGD
from nnstudio.engine.training import (
    FAST_PATH,
    GENERAL_PATH,
    Trainer,
    TrainingSettings,
    accuracy,
)
from tests.engine.test_fast_step import (
    CLASSES,
    HIDDEN,
    OUTPUTS,
    POINTS,
    QUADRANT,
    assert_close,
    pair,
    skip_graph,
)

Array = NDArray[np.float64]


def workload_trainer(
    sizes: tuple[int, ...], hidden: str, output: str, loss: str, y: Array, batch_mode: str
) -> Trainer:
    """A Trainer shaped like one benchmark workload (benchmarks/workloads.py), on random data."""
    spec = chain(sizes[0], *[(units, hidden) for units in sizes[1:-1]], (sizes[-1], output))
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(len(y), sizes[0]))
    settings = TrainingSettings(loss=loss, batch_mode=batch_mode, batch_size=32)
    return Trainer(Network(spec, initialize(spec, "he_uniform", 0)), X, y, settings)


def test_workloads_take_the_fast_path() -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, (40, 1)).astype(float)
    digits = np.eye(10)[rng.integers(0, 10, 40)]
    trainers = [
        workload_trainer((2, 4, 1), "sigmoid", "sigmoid", "mse", labels, "full"),
        workload_trainer(
            (2, 8, 8, 1), "tanh", "sigmoid", "binary_cross_entropy", labels, "minibatch"
        ),
        workload_trainer((64, 64, 10), "relu", "softmax", "cross_entropy", digits, "minibatch"),
        workload_trainer(
            (784, 256, 256, 10), "relu", "softmax", "cross_entropy", digits, "minibatch"
        ),
    ]
    for trainer in trainers:
        assert trainer.step_path == FAST_PATH, trainer.fallback_reason
        assert trainer.fallback_reason == ""
        trainer.step()
        assert trainer.step_path == FAST_PATH


def test_prelu_falls_back() -> None:
    spec = chain(3, (4, "prelu"), (1, "sigmoid"))
    trainer = Trainer(
        Network(spec, initialize(spec, "xavier_uniform", 0)),
        POINTS,
        QUADRANT,
        TrainingSettings(loss="binary_cross_entropy"),
    )
    assert trainer.step_path == GENERAL_PATH
    assert "alpha" in trainer.fallback_reason
    trainer.train(3)
    assert trainer.step_path == GENERAL_PATH


def test_unknown_activation_falls_back() -> None:
    # An activation class the fast path has no kernel for, such as a new one.
    class Softsign(Sigmoid):
        name = "softsign"

        def forward(self, z: Array) -> Array:
            return z / (1.0 + np.abs(z))

        def derivative(self, z: Array, a: Array) -> Array:
            return 1.0 / (1.0 + np.abs(z)) ** 2

    spec = chain(3, (4, "sigmoid"), (1, "identity"))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    network.activations["layer 1"] = Softsign()
    trainer = Trainer(network, POINTS, QUADRANT, TrainingSettings(loss="mse"))
    assert trainer.step_path == GENERAL_PATH
    assert "softsign" in trainer.fallback_reason
    trainer.train(2)


def test_step_activation_falls_back_and_raises() -> None:
    spec = chain(3, (4, "step"), (1, "sigmoid"))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    trainer = Trainer(network, POINTS, QUADRANT, TrainingSettings(loss="mse"))
    assert trainer.step_path == GENERAL_PATH
    with pytest.raises(StepBackpropagationError):
        trainer.step()


def test_softmax_with_mse_falls_back() -> None:
    spec = chain(3, (4, "tanh"), (3, "softmax"))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    trainer = Trainer(network, POINTS, CLASSES, TrainingSettings(loss="mse"))
    assert trainer.step_path == GENERAL_PATH
    assert "mse" in trainer.fallback_reason


def test_fast_path_can_be_turned_off() -> None:
    fast, general = pair(chain(3, (4, "tanh"), (1, "sigmoid")), QUADRANT, TrainingSettings())
    assert fast.step_path == FAST_PATH
    assert general.step_path == GENERAL_PATH
    assert "turned off" in general.fallback_reason


def small_pair(
    optimizer: str = "momentum", batch_mode: str = "minibatch"
) -> tuple[Trainer, Trainer]:
    spec = chain(3, (5, "tanh"), (3, "softmax"))
    settings = TrainingSettings(
        loss="cross_entropy",
        learning_rate=0.1,
        optimizer=optimizer,
        batch_mode=batch_mode,
        batch_size=8,
        seed=4,
    )
    return pair(spec, CLASSES, settings)


def both(trainers: tuple[Trainer, Trainer], steps: int) -> None:
    for trainer in trainers:
        for _ in range(steps):
            trainer.step()


def test_parameters_are_views_of_the_trained_weights() -> None:
    fast, general = small_pair()
    held = fast.network.parameters["layer 1"]
    both((fast, general), 5)
    # The network contains views that follow training, in the dict it had.
    current = fast.network.parameters["layer 1"]
    assert current.W.base is not None
    both((fast, general), 5)
    assert fast.network.parameters["layer 1"] is current
    assert not np.array_equal(current.W, held.W)
    assert_close(fast.network.parameters, general.network.parameters)
    # Snapshots, as the GUI worker and the CLI take them, are copies.
    snapshot = copy_parameters(fast.network.parameters)
    both((fast, general), 1)
    assert not np.array_equal(snapshot["layer 1"].W, fast.network.parameters["layer 1"].W)


def test_edit_in_place_between_steps() -> None:
    trainers = small_pair()
    both(trainers, 7)
    for trainer in trainers:
        trainer.network.parameters["layer 1"].W[0, 1] = 0.75
        trainer.network.parameters["layer 2"].b[...] *= 0.5  # type: ignore[index]
    both(trainers, 9)
    assert_close(trainers[0].network.parameters, trainers[1].network.parameters)


def test_replaced_arrays_between_steps() -> None:
    trainers = small_pair(optimizer="adam")
    both(trainers, 6)
    rng = np.random.default_rng(3)
    new_W = rng.normal(size=(3, 5))
    new_b = rng.normal(size=3)
    for trainer in trainers:
        params = trainer.network.parameters
        params["layer 1"].W = new_W.copy()
        params["layer 2"] = LayerParameters(params["layer 2"].W.copy(), new_b.copy())
    both(trainers, 6)
    assert_close(trainers[0].network.parameters, trainers[1].network.parameters)
    # The caller's arrays were read, not updated in place.
    assert not np.shares_memory(trainers[0].network.parameters["layer 1"].W, new_W)


def test_replaced_dict_between_steps() -> None:
    trainers = small_pair(batch_mode="full")
    both(trainers, 4)
    spec = trainers[0].network.spec
    others = initialize(spec, "xavier_normal", 9)
    for trainer in trainers:
        trainer.network.parameters = copy_parameters(others)
    both(trainers, 8)
    assert_close(trainers[0].network.parameters, trainers[1].network.parameters)


def test_wrong_shape_is_reported() -> None:
    fast, _ = small_pair()
    fast.step()
    fast.network.parameters["layer 1"].W = np.zeros((2, 2))
    with pytest.raises(Exception, match="shape"):
        fast.step()


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_state_moves_between_paths(optimizer: str) -> None:
    # Half the run fast, half general, then fast again: the optimizer's state moves along.
    mixed, general = small_pair(optimizer=optimizer)
    both((mixed, general), 6)
    mixed.fast_path_enabled = False
    both((mixed, general), 6)
    assert mixed.step_path == GENERAL_PATH
    mixed.fast_path_enabled = True
    both((mixed, general), 6)
    assert mixed.step_path == FAST_PATH
    assert_close(mixed.network.parameters, general.network.parameters)


def test_replaced_optimizer_takes_over() -> None:
    trainers = small_pair(optimizer="sgd")
    both(trainers, 4)
    for trainer in trainers:
        trainer.optimizer = SGD(0.02)
    both(trainers, 4)
    assert trainers[0].step_path == FAST_PATH
    assert_close(trainers[0].network.parameters, trainers[1].network.parameters)


def test_early_stopping_restores_the_same_weights() -> None:
    spec = chain(3, (8, "tanh"), (3, "softmax"))
    settings = TrainingSettings(
        loss="cross_entropy",
        learning_rate=0.5,
        batch_mode="minibatch",
        batch_size=4,
        validation_fraction=0.3,
        patience=3,
    )
    fast, general = pair(spec, CLASSES, settings)
    fast.train(300)
    general.train(300)
    assert fast.stop_reason and fast.stop_reason == general.stop_reason
    assert fast.epoch == general.epoch
    assert_close(fast.network.parameters, general.network.parameters)
    # Training goes on from the restored weights.
    fast.train(2)
    general.train(2)
    assert_close(fast.network.parameters, general.network.parameters)


def test_divergence_restores_the_last_finite_weights() -> None:
    spec = chain(1, (1, "identity"))
    X = np.array([[10.0], [20.0]])
    y = np.array([[1000.0], [2000.0]])
    first = initialize(spec, "xavier_uniform", 0)
    trainers = [
        Trainer(
            Network(spec, first),
            X,
            y,
            TrainingSettings(loss="mse", learning_rate=1e3),
            fast_path=path,
        )
        for path in (True, False)
    ]
    epochs = []
    for trainer in trainers:
        with pytest.raises(TrainingDiverged):
            trainer.train(100)
        epochs.append(trainer.epoch)
    assert trainers[0].step_path == FAST_PATH
    assert epochs[0] == epochs[1]
    last = [trainer.network.parameters["layer 1"].W for trainer in trainers]
    assert np.all(np.isfinite(last[0]))
    np.testing.assert_allclose(last[0], last[1], rtol=1e-9)


@pytest.mark.parametrize("output", sorted(OUTPUTS))
@pytest.mark.parametrize("hidden", HIDDEN)
def test_evaluation_is_the_general_path_bit_for_bit(hidden: str, output: str) -> None:
    loss_name, activation, y = OUTPUTS[output]
    spec = chain(3, (5, hidden), (y.shape[1], activation))
    settings = TrainingSettings(loss=loss_name, batch_mode="minibatch", batch_size=8)
    trainer = Trainer(Network(spec, initialize(spec, "xavier_uniform", 3)), POINTS, y, settings)
    trainer.train(3)
    assert trainer.step_path == FAST_PATH
    network = trainer.network
    expected_loss = network.loss(POINTS, y, make_loss(loss_name))
    assert trainer.history.loss[-1] == expected_loss
    assert trainer.evaluate() == (expected_loss, accuracy(network.predict(POINTS), y))


def test_graph_evaluation_is_the_general_path_bit_for_bit() -> None:
    settings = TrainingSettings(loss="cross_entropy", validation_fraction=0.25)
    trainer = Trainer(
        Network(skip_graph(), initialize(skip_graph(), "he_normal", 1)), POINTS, CLASSES, settings
    )
    trainer.train(4)
    assert trainer.step_path == FAST_PATH
    loss = make_loss("cross_entropy")
    network = trainer.network
    assert trainer.history.loss[-1] == network.loss(trainer.X, trainer.y, loss)
    expected = network.loss(trainer.X_validation, trainer.y_validation, loss)
    assert trainer.history.validation_loss[-1] == expected


def test_mixed_layer_falls_back() -> None:
    if "activations" not in {field.name for field in dataclasses.fields(LayerSpec)}:
        pytest.skip("this engine has no activation per neuron")
    layer = LayerSpec("mixed", 3, "tanh", ("input",), activations=("tanh", "relu", "sigmoid"))  # type: ignore[call-arg]
    spec = NetworkSpec(3, (layer, LayerSpec("out", 1, "sigmoid", ("mixed",))))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    trainer = Trainer(network, POINTS, QUADRANT, TrainingSettings(loss="binary_cross_entropy"))
    assert trainer.step_path == GENERAL_PATH
    assert "mixed" in trainer.fallback_reason
    trainer.train(2)
