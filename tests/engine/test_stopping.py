"""Stopping criteria, the validation split and early stopping that restores the best weights."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from nnstudio.engine.errors import EngineError
from nnstudio.engine.graph import chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import Network
from nnstudio.engine.stopping import split_validation
from nnstudio.engine.training import History, Trainer, TrainingSettings

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR = np.array([[0.0], [1.0], [1.0], [0.0]])
MAX_EPOCHS = 3000


def xor_trainer(**changes: Any) -> Trainer:
    spec = chain(2, (4, "tanh"), (1, "sigmoid"))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    settings = TrainingSettings(loss="mse", learning_rate=0.5, seed=0)
    return Trainer(network, CORNERS, XOR, dataclasses.replace(settings, **changes))


# A noisy sine with more hidden units than it needs: the validation loss falls,
# then rises while the network fits the noise of the training samples.
NOISY = np.random.default_rng(0)
NOISY_X = NOISY.uniform(-1.0, 1.0, (20, 1))
NOISY_Y = np.sin(3.0 * NOISY_X) + 0.3 * NOISY.normal(size=(20, 1))


def noisy_trainer(**changes: Any) -> Trainer:
    spec = chain(1, (16, "tanh"), (1, "identity"))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    settings = TrainingSettings(
        loss="mse", learning_rate=0.1, optimizer="adam", validation_fraction=0.25, seed=1
    )
    return Trainer(network, NOISY_X, NOISY_Y, dataclasses.replace(settings, **changes))


# target loss and target accuracy


def first_epoch(values: list[float], reached: Any) -> int:
    """Return the 1-based number of the first epoch whose value satisfies ``reached``."""
    return next(index for index, value in enumerate(values) if reached(value)) + 1


def test_target_loss_exact_epoch() -> None:
    free = xor_trainer()
    free.train(MAX_EPOCHS)
    expected = first_epoch(free.history.loss, lambda loss: loss <= 0.02)

    stopped = xor_trainer(target_loss=0.02)
    stopped.train(MAX_EPOCHS)

    assert stopped.epoch == expected
    assert stopped.stop_reason == "target loss reached"
    assert stopped.reached_target()
    np.testing.assert_array_equal(stopped.history.loss, free.history.loss[:expected])


def test_target_accuracy_exact_epoch() -> None:
    free = xor_trainer()
    free.train(MAX_EPOCHS)
    expected = first_epoch(free.history.accuracy, lambda accuracy: accuracy >= 0.75)

    stopped = xor_trainer(target_accuracy=0.75)
    stopped.train(MAX_EPOCHS)

    assert stopped.epoch == expected
    assert stopped.stop_reason == "target accuracy reached"
    assert stopped.history.accuracy[-1] >= 0.75
    assert all(accuracy < 0.75 for accuracy in stopped.history.accuracy[:-1])


def test_no_criterion_no_reason() -> None:
    trainer = xor_trainer()
    trainer.train(10)
    assert trainer.epoch == 10
    assert trainer.stop_reason == ""
    assert not trainer.reached_target()


def test_regression_never_reaches_accuracy() -> None:
    trainer = noisy_trainer(target_accuracy=0.0, validation_fraction=0.0)
    trainer.train(5)
    assert trainer.epoch == 5
    assert trainer.stop_reason == ""


# validation split


def test_split_deterministic_and_disjoint() -> None:
    training, validation = split_validation(20, 0.25, seed=1)
    again = split_validation(20, 0.25, seed=1)
    assert np.array_equal(training, again[0])
    assert np.array_equal(validation, again[1])
    assert len(validation) == 5
    assert len(training) == 15
    assert set(training).isdisjoint(validation)
    assert sorted([*training, *validation]) == list(range(20))


def test_split_follows_seed() -> None:
    splits = {tuple(split_validation(20, 0.25, seed)[1]) for seed in range(5)}
    assert len(splits) == 5


def test_split_is_sorted() -> None:
    training, validation = split_validation(50, 0.5, seed=3)
    assert list(training) == sorted(training)
    assert list(validation) == sorted(validation)


@pytest.mark.parametrize(
    ("count", "fraction", "size"), [(10, 0.3, 3), (7, 0.5, 3), (100, 0.29, 29)]
)
def test_split_rounds_down(count: int, fraction: float, size: int) -> None:
    assert len(split_validation(count, fraction, seed=0)[1]) == size


def test_no_fraction_no_split() -> None:
    training, validation = split_validation(4, 0.0, seed=0)
    assert list(training) == [0, 1, 2, 3]
    assert len(validation) == 0


def test_split_too_small_rejected() -> None:
    with pytest.raises(EngineError) as info:
        split_validation(4, 0.2, seed=0)
    message = str(info.value)
    assert "0.2 of 4 samples" in message
    assert "at least 1/4" in message


def test_split_without_training_rejected() -> None:
    # Files and the command line allow at most 0.5; the engine still checks.
    with pytest.raises(EngineError, match="1 of 3 samples leaves no training sample"):
        split_validation(3, 1.0, seed=0)


def test_trainer_uses_split_rows() -> None:
    trainer = noisy_trainer()
    training, validation = split_validation(20, 0.25, seed=1)
    assert np.array_equal(trainer.X, NOISY_X[training])
    assert np.array_equal(trainer.y, NOISY_Y[training])
    assert np.array_equal(trainer.X_validation, NOISY_X[validation])
    assert np.array_equal(trainer.y_validation, NOISY_Y[validation])


# the validation loss in the history


def test_validation_loss_recorded() -> None:
    trainer = noisy_trainer()
    _, validation = split_validation(20, 0.25, seed=1)
    trainer.train(3)
    expected = trainer.network.loss(NOISY_X[validation], NOISY_Y[validation], make_loss("mse"))
    assert len(trainer.history.validation_loss) == 3
    assert trainer.history.validation_loss[-1] == expected


def test_validation_loss_nan_without_split() -> None:
    trainer = xor_trainer()
    trainer.train(3)
    assert len(trainer.history.validation_loss) == 3
    assert all(math.isnan(value) for value in trainer.history.validation_loss)


def test_validation_loss_includes_penalty() -> None:
    trainer = noisy_trainer(l2=0.01)
    _, validation = split_validation(20, 0.25, seed=1)
    trainer.train(2)
    data_loss = trainer.network.loss(NOISY_X[validation], NOISY_Y[validation], make_loss("mse"))
    _, penalty = trainer.evaluate_parts()
    assert trainer.history.validation_loss[-1] == data_loss + penalty


def test_history_pads_validation_loss() -> None:
    history = History([0.5, 0.25], [1.0, 1.0])
    assert len(history.validation_loss) == 2
    assert all(math.isnan(value) for value in history.validation_loss)


def test_continued_history_stays_aligned() -> None:
    # The app and the command line continue a history that came without validation losses.
    trainer = noisy_trainer()
    trainer.history = History([0.9, 0.8], [math.nan, math.nan], validation_loss=[])
    trainer.run_epoch()
    assert len(trainer.history.validation_loss) == 3
    assert math.isnan(trainer.history.validation_loss[0])
    assert not math.isnan(trainer.history.validation_loss[2])


# early stopping


PATIENCE = 50


def test_early_stopping_epoch() -> None:
    trainer = noisy_trainer(patience=PATIENCE)
    trainer.train(MAX_EPOCHS)

    losses = trainer.history.validation_loss
    best = int(np.argmin(losses)) + 1
    assert trainer.epoch == best + PATIENCE
    assert trainer.epoch < MAX_EPOCHS
    assert min(losses[best:]) >= losses[best - 1]


def test_early_stopping_reason() -> None:
    trainer = noisy_trainer(patience=PATIENCE)
    trainer.train(MAX_EPOCHS)
    best = int(np.argmin(trainer.history.validation_loss)) + 1
    assert trainer.stop_reason == (
        f"no improvement in validation loss for {PATIENCE} epochs "
        f"(weights from epoch {best} restored)"
    )
    assert trainer.reached_target()


def test_early_stopping_restores_best_weights() -> None:
    stopped = noisy_trainer(patience=PATIENCE)
    stopped.train(MAX_EPOCHS)
    best = int(np.argmin(stopped.history.validation_loss)) + 1

    rerun = noisy_trainer()
    rerun.train(best)

    for name, layer in rerun.network.parameters.items():
        assert np.array_equal(stopped.network.parameters[name].W, layer.W), name
        assert np.array_equal(stopped.network.parameters[name].b, layer.b), name
    assert stopped.evaluate_validation() == rerun.history.validation_loss[-1]


def test_early_stopping_keeps_history() -> None:
    stopped = noisy_trainer(patience=PATIENCE)
    stopped.train(MAX_EPOCHS)
    free = noisy_trainer()
    free.train(stopped.epoch)
    np.testing.assert_array_equal(stopped.history.loss, free.history.loss)
    np.testing.assert_array_equal(stopped.history.validation_loss, free.history.validation_loss)


def test_target_before_patience() -> None:
    # A target met in the same run ends it first, with the weights of that epoch.
    trainer = noisy_trainer(patience=PATIENCE, target_loss=10.0)
    trainer.train(MAX_EPOCHS)
    assert trainer.epoch == 1
    assert trainer.stop_reason == "target loss reached"


def test_patience_without_validation_rejected() -> None:
    with pytest.raises(EngineError) as info:
        xor_trainer(patience=5)
    message = str(info.value)
    assert "patience 5" in message
    assert "validation_fraction" in message
