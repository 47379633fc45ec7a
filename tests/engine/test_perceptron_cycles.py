"""The perceptron trainer's cycle epochs, continued epoch numbers and learning-rate changes.

The cycles are checked against a plain loop written here from the rule itself,
and against the reference XOR case.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnstudio.engine.errors import EngineError
from nnstudio.engine.perceptron import PerceptronTrainer
from tests.engine.reference import load_cases

CASES = {case["name"]: case for case in load_cases("perceptron")}
CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR = np.array([[0.0], [1.0], [1.0], [0.0]])
# Not linearly separable: the segment between the two points of class 0 crosses
# the segment between the two points of class 1, at (0.6, -0.4).
CROSSED_X = np.array([[1.0, 0.0], [0.0, -1.0], [1.0, -1.0], [-1.0, 2.0]])
CROSSED_Y = np.array([[0.0], [0.0], [1.0], [1.0]])


def first_repeat(X: np.ndarray, y: np.ndarray, lr: float, epochs: int) -> tuple[int, int] | None:
    """Return (earlier, later): the first epoch whose end weights equal an earlier end's.

    Epoch 0 is the start (W = 0, b = 0). A plain loop over the samples, in order.
    """
    W = np.zeros((X.shape[1], y.shape[1]))
    b = np.zeros(y.shape[1])
    seen = {(W.tobytes(), b.tobytes()): 0}
    for epoch in range(1, epochs + 1):
        mistakes = 0
        for x, target in zip(X, y, strict=True):
            error = target - (x @ W + b >= 0)
            if np.any(error != 0):
                mistakes += 1
                W = W + lr * np.outer(x, error)
                b = b + lr * error
        key = ((W + 0.0).tobytes(), (b + 0.0).tobytes())
        if mistakes and key in seen:
            return seen[key], epoch
        seen.setdefault(key, epoch)
    return None


def zero_trainer(X: np.ndarray, y: np.ndarray, lr: float, **options: int) -> PerceptronTrainer:
    return PerceptronTrainer.from_arrays(
        np.zeros((X.shape[1], y.shape[1])), np.zeros(y.shape[1]), X, y, lr, **options
    )


def test_xor_cycle_epochs() -> None:
    case = CASES["perceptron-xor"]
    X, y = np.array(case["X"]), np.array(case["y"])

    result = zero_trainer(X, y, case["lr"]).train(case["max_epochs"])

    assert result.cycle_epochs == first_repeat(X, y, case["lr"], case["max_epochs"])
    earlier, later = result.cycle_epochs
    assert result.cycle_length == later - earlier
    assert f"Epoch {later} ends with the weights it started with" in result.message()


def test_longer_cycle_named() -> None:
    expected = first_repeat(CROSSED_X, CROSSED_Y, 1.0, 50)
    assert expected is not None
    earlier, later = expected

    result = zero_trainer(CROSSED_X, CROSSED_Y, 1.0).train(50)

    assert result.cycle_epochs == expected
    assert later - earlier > 1
    message = result.message()
    assert "the data is not linearly separable" in message
    assert (
        f"After epoch {later} the weights are back to those at the start of epoch {earlier + 1}"
        in message
    )
    assert f"period of {later - earlier} epochs" in message


def test_first_epoch_numbers_continue() -> None:
    case = CASES["perceptron-xor"]
    X, y = np.array(case["X"]), np.array(case["y"])
    plain = zero_trainer(X, y, 0.25).train(6)

    result = zero_trainer(X, y, 0.25, first_epoch=10).train(6)

    assert [record.epoch for record in result.epochs] == list(range(11, 17))
    assert result.misclassified == plain.misclassified
    assert plain.cycle_epochs is not None
    assert result.cycle_epochs == (plain.cycle_epochs[0] + 10, plain.cycle_epochs[1] + 10)
    assert result.message().startswith("did not converge in 6 more epochs (epoch 16 in all)")


def test_learning_rate_change_restarts_cycle_search() -> None:
    trainer = zero_trainer(CORNERS, XOR, 0.25)
    trainer.train(1)
    W, b = trainer.parameters.W.copy(), trainer.parameters.b.copy()

    trainer.set_learning_rate(0.5)
    result = trainer.train(30)

    # From the weights after epoch 1, the rest is a run with rate 0.5 alone.
    fresh = PerceptronTrainer.from_arrays(W, b, CORNERS, XOR, 0.5, first_epoch=1).train(30)
    assert result.misclassified[1:] == fresh.misclassified
    assert result.cycle_epochs == fresh.cycle_epochs
    assert result.cycle_epochs is not None
    assert result.cycle_epochs[0] >= 1


def test_learning_rate_change_mid_epoch() -> None:
    trainer = zero_trainer(CORNERS, XOR, 0.25)
    trainer.train(3)
    trainer.step()

    trainer.set_learning_rate(0.5)
    result = trainer.train(30)

    # The mixed epoch 4 cannot start a cycle: its end is the earliest repeat.
    assert result.cycle_epochs is not None
    assert result.cycle_epochs[0] >= 4
    assert trainer.learning_rate == 0.5


@pytest.mark.parametrize("value", [0.0, -0.25, float("nan"), float("inf")])
def test_bad_learning_rate_change(value: float) -> None:
    trainer = zero_trainer(CORNERS, XOR, 0.25)

    with pytest.raises(EngineError, match="the perceptron rule needs a number above 0"):
        trainer.set_learning_rate(value)
    assert trainer.learning_rate == 0.25


def test_weight_edit_restarts_cycle_search() -> None:
    trainer = zero_trainer(CORNERS, XOR, 0.25)
    trainer.train(3)
    assert trainer.cycle_epochs == (2, 3)

    # A weight set by hand between steps, as the window allows while paused.
    trainer.parameters.W[0, 0] = 0.5
    trainer.step()

    assert trainer.cycle_epochs is None
    result = trainer.train(30)
    # Epoch 4 mixes weights from before and after the edit, so no cycle starts earlier.
    assert result.cycle_epochs is not None
    assert result.cycle_epochs[0] >= 4
