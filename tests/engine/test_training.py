"""The training loop: convergence, batching, reproducibility, divergence and stopping."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from nnstudio.engine.errors import StepBackpropagationError, TrainingDiverged
from nnstudio.engine.graph import chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import LayerParameters, Network, Parameters, copy_parameters
from nnstudio.engine.training import Trainer, TrainingSettings
from tests.conftest import reference_dir
from tests.engine.reference import build_network

Array = NDArray[np.float64]

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR = np.array([[0.0], [1.0], [1.0], [0.0]])
AND = np.array([[0.0], [0.0], [0.0], [1.0]])


def xor_trainer(**changes: Any) -> Trainer:
    """A 2-4-1 XOR network (tanh, sigmoid) with xavier_uniform weights from seed 0.

    It trains full batch with mse and lr 0.5, and ``changes`` replaces any of these settings.
    """
    spec = chain(2, (4, "tanh"), (1, "sigmoid"))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    settings = TrainingSettings(loss="mse", learning_rate=0.5, batch_mode="full", seed=0)
    return Trainer(network, CORNERS, XOR, dataclasses.replace(settings, **changes))


def assert_parameters_equal(left: Parameters, right: Parameters) -> None:
    assert left.keys() == right.keys()
    for name in left:
        assert np.array_equal(left[name].W, right[name].W), name
        assert np.array_equal(left[name].b, right[name].b), name


def test_xor_converges() -> None:
    trainer = xor_trainer()
    trainer.train(5000)
    assert trainer.history.loss[-1] < 0.01
    assert trainer.history.accuracy[-1] == 1.0


def test_and_single_unit_converges() -> None:
    spec = chain(2, (1, "sigmoid"))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    settings = TrainingSettings(loss="binary_cross_entropy", learning_rate=1.0)
    trainer = Trainer(network, CORNERS, AND, settings)
    trainer.train(1000)
    assert trainer.history.accuracy[-1] == 1.0
    assert network.predict(CORNERS)[3, 0] > 0.5


# One-hot inputs and a linear unit without bias make each sample's gradient
# touch only its own weight: with W = 0, y = 1, mse and batches of size k, a
# weight becomes lr / k after one visit and more after a second visit.
ONE_HOT_SAMPLES = 10


def one_hot_trainer(mode: str, batch_size: int, learning_rate: float = 0.5) -> Trainer:
    spec = chain(ONE_HOT_SAMPLES, (1, "identity"), bias=False)
    zeros = {"layer 1": LayerParameters(np.zeros((ONE_HOT_SAMPLES, 1)), None)}
    network = Network(spec, zeros)
    X = np.eye(ONE_HOT_SAMPLES)
    y = np.ones((ONE_HOT_SAMPLES, 1))
    settings = TrainingSettings(
        loss="mse", learning_rate=learning_rate, batch_mode=mode, batch_size=batch_size, seed=3
    )
    return Trainer(network, X, y, settings)


def steps_in_first_epoch(trainer: Trainer) -> int:
    steps = 1
    while not trainer.step():
        steps += 1
    return steps


def test_stochastic_visits_each_sample_once() -> None:
    trainer = one_hot_trainer("stochastic", batch_size=32)
    assert steps_in_first_epoch(trainer) == ONE_HOT_SAMPLES
    W = trainer.network.parameters["layer 1"].W[:, 0]
    assert np.array_equal(W, np.full(ONE_HOT_SAMPLES, 0.5))


def test_minibatch_visits_each_sample_once() -> None:
    # 10 samples in batches of 4: two batches of 4 and one of 2.
    trainer = one_hot_trainer("minibatch", batch_size=4)
    assert steps_in_first_epoch(trainer) == 3
    W = trainer.network.parameters["layer 1"].W[:, 0]
    assert np.count_nonzero(W == 0.5 / 4) == 8
    assert np.count_nonzero(W == 0.5 / 2) == 2


def test_full_batch_is_one_step() -> None:
    trainer = one_hot_trainer("full", batch_size=4)
    assert steps_in_first_epoch(trainer) == 1
    W = trainer.network.parameters["layer 1"].W[:, 0]
    assert np.array_equal(W, np.full(ONE_HOT_SAMPLES, 0.5 / ONE_HOT_SAMPLES))


def test_stochastic_three_epochs_three_visits() -> None:
    # Each visit with lr 0.5 halves the distance to 1: 0, 0.5, 0.75, 0.875.
    trainer = one_hot_trainer("stochastic", batch_size=1)
    trainer.train(3)
    W = trainer.network.parameters["layer 1"].W[:, 0]
    assert np.array_equal(W, np.full(ONE_HOT_SAMPLES, 0.875))


def test_minibatch_three_epochs_three_visits() -> None:
    # Batches of 5: each visit moves a weight 0.5 / 5 of the way to 1.
    trainer = one_hot_trainer("minibatch", batch_size=5)
    trainer.train(3)
    W = trainer.network.parameters["layer 1"].W[:, 0]
    np.testing.assert_allclose(W, 1.0 - 0.9**3, rtol=1e-15)


@pytest.mark.parametrize(("mode", "batch_size"), [("minibatch", 2), ("stochastic", 1)])
def test_shuffling_reproducible(mode: str, batch_size: int) -> None:
    runs = []
    for seed in (7, 7, 8):
        trainer = xor_trainer(batch_mode=mode, batch_size=batch_size, seed=seed)
        trainer.train(20)
        runs.append(trainer)
    same, again, other = runs
    assert_parameters_equal(same.network.parameters, again.network.parameters)
    np.testing.assert_array_equal(same.history.loss, again.history.loss)
    assert not np.array_equal(
        same.network.parameters["layer 1"].W, other.network.parameters["layer 1"].W
    )


def test_history_equals_evaluate() -> None:
    trainer = xor_trainer(batch_mode="minibatch", batch_size=3)
    for epoch in range(1, 4):
        trainer.run_epoch()
        loss, accuracy = trainer.evaluate()
        assert trainer.epoch == epoch
        assert len(trainer.history.loss) == epoch
        assert trainer.history.loss[-1] == loss
        assert trainer.history.accuracy[-1] == accuracy


def test_history_loss_matches_network() -> None:
    trainer = xor_trainer()
    trainer.run_epoch()
    loss = trainer.network.loss(CORNERS, XOR, make_loss("mse"))
    assert trainer.history.loss[-1] == loss


def diverging_trainer() -> Trainer:
    # A linear unit on inputs of 10 and 20 with lr 1e3: each epoch multiplies
    # the error by about 1 - 1e3 * 250, so the loss overflows to inf within
    # about 30 epochs.
    spec = chain(1, (1, "identity"))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    X = np.array([[10.0], [20.0]])
    y = np.array([[1000.0], [2000.0]])
    return Trainer(network, X, y, TrainingSettings(loss="mse", learning_rate=1e3))


def test_divergence_keeps_last_finite_weights() -> None:
    trainer = diverging_trainer()
    previous = copy_parameters(trainer.network.parameters)
    with pytest.raises(TrainingDiverged) as info:
        for _ in range(200):
            trainer.run_epoch()
            previous = copy_parameters(trainer.network.parameters)
    error = info.value
    current = trainer.network.parameters["layer 1"]

    assert error.epoch == trainer.epoch + 1
    assert error.epoch > 1
    assert f"epoch {error.epoch}" in str(error)
    assert "smaller learning rate" in str(error)
    assert np.all(np.isfinite(current.W))
    assert current.b is not None
    assert np.all(np.isfinite(current.b))
    assert_parameters_equal(trainer.network.parameters, previous)
    assert len(trainer.history.loss) == trainer.epoch
    assert np.all(np.isfinite(trainer.history.loss))


def test_divergence_inside_train() -> None:
    trainer = diverging_trainer()
    with pytest.raises(TrainingDiverged, match="learning rate 1000"):
        trainer.train(200)


def test_target_loss_stops_early() -> None:
    trainer = xor_trainer(target_loss=0.05)
    trainer.train(5000)
    losses = trainer.history.loss
    assert losses[-1] <= 0.05
    assert all(loss > 0.05 for loss in losses[:-1])
    assert trainer.epoch == len(losses)
    assert trainer.epoch < 5000


def test_set_learning_rate_keeps_state() -> None:
    trainer = xor_trainer()
    trainer.train(10)
    before = copy_parameters(trainer.network.parameters)
    gradients = trainer.network.gradients(CORNERS, XOR, make_loss("mse")).parameters

    trainer.set_learning_rate(0.125)
    trainer.step()

    assert trainer.epoch == 11
    assert len(trainer.history.loss) == 11
    for name, layer in trainer.network.parameters.items():
        expected_W = before[name].W - 0.125 * gradients[name].W
        expected_b = before[name].b - 0.125 * gradients[name].b
        np.testing.assert_allclose(layer.W, expected_W, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(layer.b, expected_b, rtol=1e-12, atol=1e-15)


def test_step_network_raises() -> None:
    spec = chain(2, (2, "step"), (1, "sigmoid"))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    trainer = Trainer(network, CORNERS, XOR, TrainingSettings(loss="mse"))
    with pytest.raises(StepBackpropagationError) as info:
        trainer.step()
    assert "sigmoid" in str(info.value)
    assert "perceptron rule" in str(info.value)
    assert "'layer 1'" in str(info.value)


def test_seed_worked_example_step() -> None:
    case = json.loads((reference_dir() / "seed-worked-example.json").read_text())
    run = next(run for run in case["optimizers"] if run["name"] == "sgd")
    network = build_network(case)
    X = np.array(case["X"], dtype=float)
    y = np.array(case["y"], dtype=float)
    settings = TrainingSettings(loss=case["loss"], learning_rate=run["lr"], batch_mode="full")
    trainer = Trainer(network, X, y, settings)

    for _ in range(run["steps"]):
        trainer.step()

    for name, expected in zip(network.spec.order, run["weights_after"], strict=True):
        np.testing.assert_allclose(network.parameters[name].W, expected["W"], rtol=1e-9, atol=1e-12)
        assert expected["b"] is None
        assert network.parameters[name].b is None
