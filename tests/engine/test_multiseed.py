"""Training many seeds at once, checked seed by seed against the single-seed Trainer.

On the machine these tests were written on (AMD EPYC, NumPy 2.4, OpenBLAS 0.3.31) every
case here matches the Trainer bit for bit. The asserts allow rtol 1e-12,
because a stacked matrix product may take another BLAS kernel than a single one
on other hardware and differ in the last bits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from nnstudio.engine.activations import ACTIVATIONS, make_activation
from nnstudio.engine.errors import EngineError, StepBackpropagationError, TrainingDiverged
from nnstudio.engine.graph import LayerSpec, NetworkSpec, chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.multiseed import (
    Goal,
    GoalRule,
    ManySeedsResult,
    ManySeedsTrainer,
    train_many_seeds,
)
from nnstudio.engine.network import Network, Parameters
from nnstudio.engine.training import Trainer, TrainingSettings

Array = NDArray[np.float64]

RTOL = 1e-12
# Weights pass near zero, where a relative tolerance alone means nothing.
WEIGHT_ATOL = 1e-14

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR = np.array([[0.0], [1.0], [1.0], [0.0]])

# 23 samples: batches of 5 leave a last batch of 3.
_DATA = np.random.default_rng(5)
POINTS = _DATA.normal(size=(23, 3))
QUADRANTS = (POINTS[:, :1] * POINTS[:, 1:2] > 0).astype(float)
CLASSES = np.eye(4)[_DATA.integers(0, 4, size=23)]
VALUES = POINTS @ np.array([[1.0, -2.0], [0.5, 0.0], [0.2, 1.0]])

NEVER = Goal(target_loss=None, target_accuracy=None)


def run_alone(
    spec: NetworkSpec,
    X: Array,
    y: Array,
    settings: TrainingSettings,
    seed: int,
    epochs: int,
    goal: GoalRule = NEVER,
) -> Trainer:
    """Train one seed with Trainer until ``epochs``, the goal or a divergence."""
    network = Network(spec, initialize(spec, "xavier_uniform", seed))
    # The stacked arithmetic repeats the general path's, so compare with that path.
    trainer = Trainer(network, X, y, dataclasses.replace(settings, seed=seed), fast_path=False)
    try:
        while trainer.epoch < epochs:
            trainer.run_epoch()
            loss = np.array([trainer.history.loss[-1]])
            accuracy = np.array([trainer.history.accuracy[-1]])
            if goal(loss, accuracy)[0]:
                break
    except TrainingDiverged:
        pass
    return trainer


def assert_same_weights(left: Parameters, right: Parameters) -> None:
    assert left.keys() == right.keys()
    for name in left:
        np.testing.assert_allclose(left[name].W, right[name].W, rtol=RTOL, atol=WEIGHT_ATOL)
        left_b = left[name].b
        right_b = right[name].b
        if left_b is None:
            assert right_b is None
        else:
            assert right_b is not None
            np.testing.assert_allclose(left_b, right_b, rtol=RTOL, atol=WEIGHT_ATOL)


def assert_matches_alone(
    spec: NetworkSpec,
    X: Array,
    y: Array,
    settings: TrainingSettings,
    seeds: Sequence[int],
    epochs: int,
) -> ManySeedsResult:
    """Train ``seeds`` at once and alone, and compare histories and final weights."""
    result = train_many_seeds(spec, X, y, settings, seeds, epochs=epochs, goal=NEVER)
    assert result.seeds == tuple(seeds)
    assert result.loss.shape == (len(seeds), epochs)
    for row, seed in enumerate(seeds):
        alone = run_alone(spec, X, y, settings, seed, epochs)
        np.testing.assert_allclose(result.loss[row], alone.history.loss, rtol=RTOL, atol=0)
        np.testing.assert_array_equal(result.accuracy[row], alone.history.accuracy)
        assert_same_weights(result.final_parameters[row], alone.network.parameters)
    return result


def skip_graph() -> NetworkSpec:
    """Two hidden layers; the output also reads the input and the first hidden layer."""
    layers = (
        LayerSpec("hidden 1", 5, "tanh", ("input",)),
        LayerSpec("hidden 2", 4, "relu", ("hidden 1",)),
        LayerSpec("output", 1, "sigmoid", ("hidden 2", "input", "hidden 1")),
    )
    return NetworkSpec(3, layers)


# the same numbers as the Trainer


@pytest.mark.parametrize("mode", ["full", "minibatch", "stochastic"])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("loss", ["mse", "binary_cross_entropy"])
def test_chain_matches_trainer(mode: str, optimizer: str, hidden: str, loss: str) -> None:
    spec = chain(3, (6, hidden), (1, "sigmoid"))
    settings = TrainingSettings(
        loss=loss, learning_rate=0.1, batch_mode=mode, batch_size=5, optimizer=optimizer
    )
    assert_matches_alone(spec, POINTS, QUADRANTS, settings, [0, 1, 2], epochs=15)


@pytest.mark.parametrize("mode", ["full", "minibatch", "stochastic"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_skip_graph_matches_trainer(mode: str, optimizer: str) -> None:
    settings = TrainingSettings(
        loss="binary_cross_entropy",
        learning_rate=0.1,
        batch_mode=mode,
        batch_size=5,
        optimizer=optimizer,
    )
    assert_matches_alone(skip_graph(), POINTS, QUADRANTS, settings, [3, 4, 5], epochs=15)


def test_one_seed_matches_trainer() -> None:
    spec = chain(2, (2, "sigmoid"), (1, "sigmoid"))
    settings = TrainingSettings(loss="mse", learning_rate=0.5)
    assert_matches_alone(spec, CORNERS, XOR, settings, [7], epochs=300)


def test_twenty_seeds_match_trainer() -> None:
    spec = chain(3, (4, "tanh"), (1, "sigmoid"))
    settings = TrainingSettings(
        loss="mse", learning_rate=0.3, batch_mode="minibatch", batch_size=5, optimizer="momentum"
    )
    assert_matches_alone(spec, POINTS, QUADRANTS, settings, range(100, 120), epochs=20)


DIFFERENTIABLE_HIDDEN = [
    name
    for name in ACTIVATIONS
    if make_activation(name).differentiable and name not in ("softmax", "prelu")
]


@pytest.mark.parametrize("hidden", DIFFERENTIABLE_HIDDEN)
def test_every_hidden_activation(hidden: str) -> None:
    spec = chain(3, (5, hidden), (1, "sigmoid"))
    settings = TrainingSettings(loss="mse", learning_rate=0.2, batch_mode="minibatch", batch_size=5)
    assert_matches_alone(spec, POINTS, QUADRANTS, settings, [0, 1], epochs=10)


@pytest.mark.parametrize(
    ("loss", "output", "targets"),
    [
        ("mse", "identity", VALUES),
        ("mae", "identity", VALUES),
        ("binary_cross_entropy", "sigmoid", QUADRANTS),
        ("cross_entropy", "softmax", CLASSES),
    ],
)
def test_every_loss(loss: str, output: str, targets: Array) -> None:
    spec = chain(3, (5, "tanh"), (targets.shape[1], output))
    settings = TrainingSettings(
        loss=loss, learning_rate=0.05, batch_mode="minibatch", batch_size=5, optimizer="adam"
    )
    assert_matches_alone(spec, POINTS, targets, settings, [0, 1], epochs=10)


def test_regression_accuracy_is_nan() -> None:
    spec = chain(3, (5, "tanh"), (2, "identity"))
    result = train_many_seeds(
        spec, POINTS, VALUES, TrainingSettings(learning_rate=0.05), [0], epochs=5
    )
    assert np.all(np.isnan(result.accuracy))
    assert np.all(np.isfinite(result.loss))


# divergence


def test_diverged_copies_stop_alone() -> None:
    # A two-weight linear chain whose product must reach 1. With lr 0.4, seeds 8
    # and 9 start with weights large enough to diverge, and seeds 0 to 7 stay finite.
    spec = chain(1, (1, "identity"), (1, "identity"), bias=False)
    X = np.array([[1.0], [2.0]])
    settings = TrainingSettings(loss="mse", learning_rate=0.4)
    seeds = range(10)
    result = train_many_seeds(spec, X, X, settings, seeds, epochs=60, goal=NEVER)

    assert list(np.flatnonzero(result.diverged)) == [8, 9]
    for row, seed in enumerate(seeds):
        alone = run_alone(spec, X, X, settings, seed, 60)
        stopped = result.stop_epoch[row]
        assert stopped == alone.epoch
        assert np.all(np.isnan(result.loss[row, stopped:]))
        np.testing.assert_allclose(result.loss[row, :stopped], alone.history.loss, rtol=RTOL)
        assert_same_weights(result.final_parameters[row], alone.network.parameters)
    assert result.diverged_epoch[8] == result.stop_epoch[8] + 1
    assert result.diverged_epoch[9] == result.stop_epoch[9] + 1
    assert np.all(result.stop_epoch[:8] == 60)


# goals


def xor_221() -> NetworkSpec:
    return chain(2, (2, "sigmoid"), (1, "sigmoid"))


def test_xor_stuck_count_matches_trainer() -> None:
    # How many 2-2-1 sigmoid networks learn XOR within 2000 epochs, counted
    # seed by seed with Trainer and all at once.
    settings = TrainingSettings(loss="mse", learning_rate=0.5, batch_mode="full")
    seeds = range(20)
    result = train_many_seeds(xor_221(), CORNERS, XOR, settings, seeds, epochs=2000)

    solved = Goal(target_accuracy=1.0)
    alone = [run_alone(xor_221(), CORNERS, XOR, settings, seed, 2000, solved) for seed in seeds]
    reached_alone = [trainer.history.accuracy[-1] == 1.0 for trainer in alone]
    assert result.count_reached == sum(reached_alone)
    assert list(result.reached_goal) == reached_alone
    # Both outcomes occur among these seeds, so the count can tell them apart.
    assert 0 < result.count_reached < 20
    for row, trainer in enumerate(alone):
        assert result.stop_epoch[row] == trainer.epoch
        assert_same_weights(result.final_parameters[row], trainer.network.parameters)


def test_target_loss_stops_like_trainer() -> None:
    settings = TrainingSettings(loss="mse", learning_rate=0.5, target_loss=0.02)
    goal = Goal(target_loss=0.02, target_accuracy=None)
    result = train_many_seeds(xor_221(), CORNERS, XOR, settings, range(6), epochs=3000, goal=goal)
    for seed in range(6):
        alone = Trainer(
            Network(xor_221(), initialize(xor_221(), "xavier_uniform", seed)),
            CORNERS,
            XOR,
            dataclasses.replace(settings, seed=seed),
            fast_path=False,
        )
        alone.train(3000)
        assert result.stop_epoch[seed] == alone.epoch
        assert result.reached_goal[seed] == alone.reached_target()
        np.testing.assert_array_equal(result.history(seed).loss, alone.history.loss)


def test_default_goal_uses_target_loss() -> None:
    settings = TrainingSettings(loss="mse", learning_rate=0.5, target_loss=0.2)
    result = train_many_seeds(xor_221(), CORNERS, XOR, settings, [0, 1], epochs=3000)
    for row in range(2):
        stopped = result.stop_epoch[row]
        last_loss = result.loss[row, stopped - 1]
        last_accuracy = result.accuracy[row, stopped - 1]
        assert last_loss <= 0.2 or last_accuracy == 1.0
        assert result.goal_epoch[row] == stopped


def test_callable_goal() -> None:
    def solved_and_low(
        loss: NDArray[np.floating], accuracy: NDArray[np.floating]
    ) -> NDArray[np.bool_]:
        result: NDArray[np.bool_] = (loss < 0.05) & (accuracy == 1.0)
        return result

    spec = chain(2, (2, "tanh"), (1, "sigmoid"))
    settings = TrainingSettings(loss="mse", learning_rate=0.5)
    seeds = range(8)
    result = train_many_seeds(spec, CORNERS, XOR, settings, seeds, epochs=1500, goal=solved_and_low)
    for row, seed in enumerate(seeds):
        alone = run_alone(spec, CORNERS, XOR, settings, seed, 1500, solved_and_low)
        assert result.stop_epoch[row] == alone.epoch
        assert result.history(row).loss == pytest.approx(alone.history.loss, rel=RTOL)
    # Seed 6 gets stuck and the others do not, so both outcomes are checked.
    assert list(np.flatnonzero(~result.reached_goal)) == [6]


def test_goal_without_stopping() -> None:
    settings = TrainingSettings(loss="mse", learning_rate=0.5)
    stopping = train_many_seeds(xor_221(), CORNERS, XOR, settings, range(10), epochs=1500)
    going_on = train_many_seeds(
        xor_221(), CORNERS, XOR, settings, range(10), epochs=1500, stop_at_goal=False
    )
    np.testing.assert_array_equal(going_on.goal_epoch, stopping.goal_epoch)
    assert np.all(going_on.stop_epoch == 1500)
    assert np.all(np.isfinite(going_on.loss))
    assert going_on.count_reached == stopping.count_reached


# the trainer object


def test_epochs_one_at_a_time() -> None:
    settings = TrainingSettings(loss="mse", learning_rate=0.5, batch_mode="stochastic")
    trainer = ManySeedsTrainer(xor_221(), CORNERS, XOR, settings, [4, 5], epochs=50, goal=NEVER)
    for _ in range(10):
        trainer.run_epoch()
    partial = trainer.result()
    alone = run_alone(xor_221(), CORNERS, XOR, settings, 5, 10)
    assert trainer.epoch == 10
    assert not trainer.finished
    assert list(partial.stop_epoch) == [10, 10]
    assert_same_weights(partial.final_parameters[1], alone.network.parameters)
    assert partial.history(1).loss == pytest.approx(alone.history.loss, rel=RTOL)


def test_zero_epochs_keeps_first_weights() -> None:
    result = train_many_seeds(xor_221(), CORNERS, XOR, TrainingSettings(), [3], epochs=0)
    assert result.loss.shape == (1, 0)
    assert result.stop_epoch[0] == 0
    assert_same_weights(result.final_parameters[0], initialize(xor_221(), "xavier_uniform", 3))


def test_initializer_and_scale_used() -> None:
    settings = TrainingSettings()
    result = train_many_seeds(
        xor_221(), CORNERS, XOR, settings, [2], initializer="uniform", init_scale=0.1, epochs=0
    )
    first = initialize(xor_221(), "uniform", 2, 0.1)
    assert_same_weights(result.final_parameters[0], first)


def test_bias_init_used() -> None:
    settings = TrainingSettings()
    result = train_many_seeds(
        xor_221(), CORNERS, XOR, settings, [2], bias_init="constant", bias_value=0.3, epochs=0
    )
    first = initialize(xor_221(), "xavier_uniform", 2, bias_init="constant", bias_value=0.3)
    assert_same_weights(result.final_parameters[0], first)
    bias = result.final_parameters[0]["layer 1"].b
    assert bias is not None
    assert np.all(bias == 0.3)


# rejected requests


def test_step_rejected() -> None:
    spec = chain(2, (2, "step"), (1, "sigmoid"))
    with pytest.raises(StepBackpropagationError, match="layer 1"):
        train_many_seeds(spec, CORNERS, XOR, TrainingSettings(), [0], epochs=5)


def test_no_seeds_rejected() -> None:
    with pytest.raises(EngineError, match="no seeds"):
        train_many_seeds(xor_221(), CORNERS, XOR, TrainingSettings(), [], epochs=5)


def test_loss_output_mismatch_rejected() -> None:
    spec = chain(2, (2, "tanh"), (1, "identity"))
    settings = TrainingSettings(loss="binary_cross_entropy")
    with pytest.raises(EngineError, match="needs a sigmoid output"):
        train_many_seeds(spec, CORNERS, XOR, settings, [0], epochs=5)


def test_unknown_batch_mode_rejected() -> None:
    settings = TrainingSettings(batch_mode="online")
    with pytest.raises(EngineError, match="unknown batch mode 'online'"):
        train_many_seeds(xor_221(), CORNERS, XOR, settings, [0], epochs=5)


def test_negative_epochs_rejected() -> None:
    with pytest.raises(EngineError, match="epochs is -1"):
        train_many_seeds(xor_221(), CORNERS, XOR, TrainingSettings(), [0], epochs=-1)


@pytest.mark.skipif("prelu" not in ACTIVATIONS, reason="this engine has no prelu activation")
def test_prelu_rejected() -> None:
    spec = chain(2, (2, "prelu"), (1, "sigmoid"))
    with pytest.raises(EngineError, match="prelu"):
        train_many_seeds(spec, CORNERS, XOR, TrainingSettings(), [0], epochs=5)


# settings beyond the optimizer


@pytest.mark.parametrize("mode", ["full", "minibatch"])
def test_weight_penalty_matches_trainer(mode: str) -> None:
    spec = chain(3, (6, "tanh"), (1, "sigmoid"))
    settings = TrainingSettings(
        loss="binary_cross_entropy",
        learning_rate=0.1,
        batch_mode=mode,
        batch_size=5,
        l1=0.01,
        l2=0.05,
    )
    assert_matches_alone(spec, POINTS, QUADRANTS, settings, [0, 1, 2], epochs=15)


def test_float32_matches_trainer() -> None:
    spec = chain(3, (6, "tanh"), (1, "sigmoid"))
    settings = TrainingSettings(
        loss="mse", learning_rate=0.1, batch_mode="minibatch", batch_size=5, dtype="float32"
    )
    result = assert_matches_alone(spec, POINTS, QUADRANTS, settings, [0, 1], epochs=15)
    assert result.final_parameters[0]["layer 1"].W.dtype == np.float32


def test_adam_constants_match_trainer() -> None:
    spec = chain(3, (6, "relu"), (1, "sigmoid"))
    settings = TrainingSettings(
        loss="mse",
        learning_rate=0.05,
        optimizer="adam",
        adam_beta1=0.8,
        adam_beta2=0.99,
        adam_eps=1e-6,
    )
    assert_matches_alone(spec, POINTS, QUADRANTS, settings, [0, 1], epochs=15)


def test_target_accuracy_in_default_goal() -> None:
    spec = chain(2, (2, "tanh"), (1, "sigmoid"))
    settings = TrainingSettings(loss="mse", learning_rate=0.5, target_accuracy=0.75)
    result = train_many_seeds(spec, CORNERS, XOR, settings, range(4), epochs=1000)
    for seed in range(4):
        alone = Trainer(
            Network(spec, initialize(spec, "xavier_uniform", seed)),
            CORNERS,
            XOR,
            dataclasses.replace(settings, seed=seed),
            fast_path=False,
        )
        alone.train(1000)
        assert result.stop_epoch[seed] == alone.epoch
        assert result.accuracy[seed, alone.epoch - 1] >= 0.75


def test_validation_set_rejected() -> None:
    settings = TrainingSettings(validation_fraction=0.25)
    with pytest.raises(EngineError, match="validation set"):
        train_many_seeds(xor_221(), POINTS[:, :2], QUADRANTS, settings, [0], epochs=5)
