"""Batches gathered once an epoch (FastStep.train_batch) against batches gathered at each step.

Both routes run the same arithmetic on the same samples, so their weights
must be equal bit for bit, whatever happens between the steps.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from nnstudio.engine import fast_step
from nnstudio.engine.fast_step import FastStep
from nnstudio.engine.graph import chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import Network
from nnstudio.engine.optimizers import SGD, Adam, Optimizer
from tests.engine.test_fast_step import CLASSES, POINTS, QUADRANT

Array = NDArray[np.float64]
SIZE = 8  # 26 samples: batches of 8, 8, 8 and 2


def make_step(loss: str, y: Array, optimizer: Optimizer) -> FastStep:
    output = "softmax" if loss == "cross_entropy" else "sigmoid"
    spec = chain(3, (5, "tanh"), (4, "relu"), (y.shape[1], output))
    network = Network(spec, initialize(spec, "xavier_uniform", 3))
    return FastStep(network, make_loss(loss), optimizer, POINTS, y)


def weights(step: FastStep) -> Array:
    return step.theta.copy()


def run_epochs(
    arranged: FastStep,
    gathered: FastStep,
    epochs: int,
    between: Callable[[FastStep, int], None] | None = None,
) -> None:
    """Train both steps on the same shuffled batches, calling ``between(step, index)`` first."""
    rng = np.random.default_rng(8)
    for _ in range(epochs):
        order = rng.permutation(len(POINTS))
        for index, start in enumerate(range(0, len(order), SIZE)):
            for step in (arranged, gathered):
                if between is not None:
                    between(step, index)
            arranged.train_batch(order, SIZE, index)
            gathered.train(order[start : start + SIZE])


@pytest.mark.parametrize(
    ("loss", "y"), [("cross_entropy", CLASSES), ("binary_cross_entropy", QUADRANT)]
)
def test_arranged_batches_equal_gathered_batches(loss: str, y: Array) -> None:
    arranged, gathered = make_step(loss, y, SGD(0.3)), make_step(loss, y, SGD(0.3))

    run_epochs(arranged, gathered, epochs=5)

    np.testing.assert_array_equal(weights(arranged), weights(gathered))
    assert not np.array_equal(weights(arranged), make_step(loss, y, SGD(0.3)).theta)


def test_learning_rate_changed_inside_an_epoch() -> None:
    # With SGD the rate is folded into the targets the plans read, so a change
    # must reach the targets of the epoch already gathered.
    arranged = make_step("cross_entropy", CLASSES, SGD(0.3))
    gathered = make_step("cross_entropy", CLASSES, SGD(0.3))

    def change_rate(step: FastStep, index: int) -> None:
        step.optimizer.learning_rate = 0.3 + 0.1 * index

    run_epochs(arranged, gathered, epochs=3, between=change_rate)

    np.testing.assert_array_equal(weights(arranged), weights(gathered))


def test_adam_and_penalty_on_arranged_batches() -> None:
    arranged = make_step("binary_cross_entropy", QUADRANT, Adam(0.05))
    gathered = make_step("binary_cross_entropy", QUADRANT, Adam(0.05))
    rng = np.random.default_rng(9)
    for _ in range(4):
        order = rng.permutation(len(POINTS))
        for index, start in enumerate(range(0, len(order), SIZE)):
            arranged.train_batch(order, SIZE, index, l1=0.01, l2=0.02)
            gathered.train(order[start : start + SIZE], l1=0.01, l2=0.02)

    np.testing.assert_array_equal(weights(arranged), weights(gathered))


def test_many_batches_fall_back_to_gathering(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_step, "MAX_BATCHES", 2)
    arranged = make_step("cross_entropy", CLASSES, SGD(0.3))
    gathered = make_step("cross_entropy", CLASSES, SGD(0.3))

    run_epochs(arranged, gathered, epochs=2)

    np.testing.assert_array_equal(weights(arranged), weights(gathered))
    assert arranged.buffer_bytes() == gathered.buffer_bytes()


def test_batch_loss_after_train_batch() -> None:
    step = make_step("cross_entropy", CLASSES, SGD(0.3))
    order = np.random.default_rng(10).permutation(len(POINTS))
    step.train_batch(order, SIZE, 0)
    before = Network(step.network.spec, {k: v.copy() for k, v in step.network.parameters.items()})
    rows = order[SIZE : 2 * SIZE]

    step.train_batch(order, SIZE, 1)

    expected = before.loss(POINTS[rows], CLASSES[rows], make_loss("cross_entropy"))
    assert step.batch_loss() == pytest.approx(expected, rel=1e-12)


def test_plans_of_one_batch_size_share_their_buffers() -> None:
    step = make_step("cross_entropy", CLASSES, SGD(0.3))
    step.train_batch(np.arange(len(POINTS)), SIZE, 0)
    epoch = step._epoch
    assert epoch is not None

    first, second, last = epoch.plans[0], epoch.plans[1], epoch.plans[3]
    assert all(a is b for a, b in zip(first.buffers, second.buffers, strict=True))
    assert not any(a is b for a, b in zip(first.buffers, last.buffers, strict=True))
    assert [plan.count for plan in epoch.plans] == [8, 8, 8, 2]
    # each plan reads its own slice of the gathered set: samples 8 to 15 here
    np.testing.assert_array_equal(second.X[:, :3], POINTS[8:16])
