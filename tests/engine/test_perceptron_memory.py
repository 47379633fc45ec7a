"""The perceptron trainer's memory on long runs, and the records it keeps in NumPy arrays.

Every record is compared with a plain loop written here from the rule, epoch by
epoch and exactly. The records of epochs that repeat a cycle are not stored but
read back from earlier rows, so these tests check that they still equal what
the rule does.
The memory bounds are five times what tracemalloc measured after the same
runs (Python 3.11, NumPy 2), generous enough not to depend on the machine.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pytest

from nnstudio.engine.graph import LayerSpec, NetworkSpec
from nnstudio.engine.network import LayerParameters, Network
from nnstudio.engine.perceptron import PerceptronResult, PerceptronTrainer
from nnstudio.engine.perceptron_records import StateIndex
from tests.engine.test_perceptron_cycles import first_repeat

T = TypeVar("T")

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR = np.array([[0.0], [1.0], [1.0], [0.0]])
AND = np.array([[0.0], [0.0], [0.0], [1.0]])
# Ten integer points that no line separates. With learning rate 1 from zero
# weights, the end of epoch 7443 repeats the end of epoch 3307.
LONG_X = np.array(
    [[41, -29], [-47, -24], [-10, 38], [-6, -49], [-20, 12],
     [38, 28], [60, -38], [46, -54], [7, -27], [-36, 19]],
    dtype=float,
)  # fmt: skip
LONG_Y = np.array([[0], [1], [1], [0], [1], [0], [0], [0], [1], [1]], dtype=float)
LONG_EPOCHS = 9000
# Twenty overlapping points whose weights repeat no earlier state within
# 3000 epochs at learning rate 0.1, so the cycle search runs all along.
BLOB_X = np.array(
    [[-0.5, -0.32], [-0.66, -1.03], [-0.77, -1.09], [-0.46, 0.3], [-0.8, -0.87],
     [-0.21, -0.29], [-0.44, -1.06], [-0.52, -0.08], [-1.31, -0.77], [-1.64, -1.27],
     [-0.61, 0.36], [-0.26, 0.66], [0.59, 0.39], [-1.01, 0.18], [0.47, 0.57],
     [-0.42, 0.21], [-0.09, 0.01], [1.14, 0.02], [0.48, 1.03], [0.15, 0.43]],
)  # fmt: skip
BLOB_Y = np.repeat([[0.0], [1.0]], 10, axis=0)
BLOB_EPOCHS = 3000

# Bytes that tracemalloc measured for each run (at the end, at the peak).
XOR_5000_BYTES = (2_700, 2_800)
LONG_BYTES = (266_000, 672_000)
BLOB_BYTES = (269_000, 341_000)

Epoch = tuple[int, np.ndarray, np.ndarray | None]


def plain_run(
    X: np.ndarray, y: np.ndarray, lr: float, epochs: int, W: np.ndarray, b: np.ndarray | None
) -> list[Epoch]:
    """Return (misclassified, W, b) after each epoch of the rule, samples in order."""
    run = []
    for _ in range(epochs):
        mistakes = 0
        for x, target in zip(X, y, strict=True):
            z = x @ W if b is None else x @ W + b
            error = target - (z >= 0)
            if np.any(error != 0):
                mistakes += 1
                W = W + lr * np.outer(x, error)
                if b is not None:
                    b = b + lr * error
        run.append((mistakes, W, b))
    return run


def zero_trainer(X: np.ndarray, y: np.ndarray, lr: float) -> PerceptronTrainer:
    return PerceptronTrainer.from_arrays(
        np.zeros((X.shape[1], y.shape[1])), np.zeros(y.shape[1]), X, y, lr
    )


def traced(run: Callable[[], T]) -> tuple[T, int, int]:
    """Call ``run``; return its value and the bytes it added, at the end and at the peak."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    try:
        value = run()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        if started:
            tracemalloc.stop()
    return value, current - before, peak - before


def assert_matches(result: PerceptronResult, expected: list[Epoch], first: int = 1) -> None:
    assert len(result.epochs) == len(expected)
    assert result.misclassified == [count for count, _, _ in expected]
    for record, (count, W, b) in zip(result.epochs, expected, strict=True):
        assert record.epoch == first, "epoch numbers"
        assert record.misclassified == count, f"misclassified in epoch {first}"
        assert np.array_equal(record.W, W), f"W after epoch {first}"
        if b is None:
            assert record.b is None
        else:
            assert np.array_equal(record.b, b), f"b after epoch {first}"
        first += 1


@pytest.fixture(scope="module")
def long_run() -> tuple[PerceptronResult, int, int]:
    trainer = zero_trainer(LONG_X, LONG_Y, 1.0)
    return traced(lambda: trainer.train(LONG_EPOCHS))


# memory


def test_xor_memory_stays_flat() -> None:
    trainer = zero_trainer(CORNERS, XOR, 0.25)

    result, current, peak = traced(lambda: trainer.train(5000))

    assert result.cycle_epochs == (2, 3)
    assert len(result.epochs) == 5000
    assert current < 5 * XOR_5000_BYTES[0]
    assert peak < 5 * XOR_5000_BYTES[1]


def test_long_cycle_memory(long_run: tuple[PerceptronResult, int, int]) -> None:
    result, current, peak = long_run

    assert result.cycle_epochs == (3307, 7443)
    assert current < 5 * LONG_BYTES[0]
    assert peak < 5 * LONG_BYTES[1]


def test_memory_while_search_runs() -> None:
    trainer = zero_trainer(BLOB_X, BLOB_Y, 0.1)

    result, current, peak = traced(lambda: trainer.train(BLOB_EPOCHS))

    assert not result.converged
    assert result.cycle_epochs is None
    assert len(result.epochs) == BLOB_EPOCHS
    assert current < 5 * BLOB_BYTES[0]
    assert peak < 5 * BLOB_BYTES[1]


# results


def test_long_cycle_epochs_match_plain_loop(long_run: tuple[PerceptronResult, int, int]) -> None:
    result, _, _ = long_run

    assert result.cycle_epochs == first_repeat(LONG_X, LONG_Y, 1.0, LONG_EPOCHS)
    assert result.cycle_length == 4136


def test_long_run_records_match_plain_loop(long_run: tuple[PerceptronResult, int, int]) -> None:
    # Epochs 7444 to 9000 repeat the cycle, so they are read back from earlier rows.
    result, _, _ = long_run
    expected = plain_run(LONG_X, LONG_Y, 1.0, LONG_EPOCHS, np.zeros((2, 1)), np.zeros(1))

    assert_matches(result, expected)


def test_blob_records_match_plain_loop() -> None:
    result = zero_trainer(BLOB_X, BLOB_Y, 0.1).train(300)

    assert_matches(result, plain_run(BLOB_X, BLOB_Y, 0.1, 300, np.zeros((2, 1)), np.zeros(1)))


def test_records_slices() -> None:
    result = zero_trainer(CORNERS, XOR, 0.25).train(20)
    expected = plain_run(CORNERS, XOR, 0.25, 20, np.zeros((2, 1)), np.zeros(1))
    every = list(result.epochs)

    assert [record.epoch for record in result.epochs[::-3]] == [20, 17, 14, 11, 8, 5, 2]
    assert [record.epoch for record in result.epochs[1:9:2]] == [2, 4, 6, 8]
    assert result.epochs[-1].epoch == 20
    assert result.epochs[5:].misclassified == [count for count, _, _ in expected[5:]]
    assert len(result.epochs[30:]) == 0
    assert np.array_equal(result.epochs[-20].W, every[0].W)
    with pytest.raises(IndexError):
        result.epochs[20]


def test_record_copies_are_independent() -> None:
    trainer = zero_trainer(CORNERS, XOR, 0.25)
    trainer.train(10)

    trainer.records[9].W[0, 0] = 99.0

    assert trainer.records[9].W[0, 0] != 99.0
    assert trainer.records[8].W[0, 0] != 99.0


def test_earlier_result_unchanged_by_training() -> None:
    trainer = zero_trainer(LONG_X, LONG_Y, 1.0)
    expected = plain_run(LONG_X, LONG_Y, 1.0, 200, np.zeros((2, 1)), np.zeros(1))
    early = trainer.train(70)

    later = trainer.train(130)

    assert_matches(early, expected[:70])
    assert_matches(later, expected)


def test_weight_edit_after_cycle() -> None:
    trainer = zero_trainer(CORNERS, XOR, 0.25)
    trainer.train(10)
    start = plain_run(CORNERS, XOR, 0.25, 10, np.zeros((2, 1)), np.zeros(1))

    # A weight set by hand while paused, after the cycle stopped the search.
    trainer.parameters.W[1, 0] = -0.75
    edited_W = trainer.parameters.W.copy()
    edited_b = trainer.parameters.b.copy()
    result = trainer.train(10)

    assert_matches(result, start + plain_run(CORNERS, XOR, 0.25, 10, edited_W, edited_b))
    assert result.cycle_epochs is not None
    assert result.cycle_epochs[0] >= 10


def test_learning_rate_change_after_cycle() -> None:
    trainer = zero_trainer(CORNERS, XOR, 0.25)
    trainer.train(10)
    start = plain_run(CORNERS, XOR, 0.25, 10, np.zeros((2, 1)), np.zeros(1))
    W, b = trainer.parameters.W.copy(), trainer.parameters.b.copy()

    trainer.set_learning_rate(0.5)
    result = trainer.train(10)

    assert_matches(result, start + plain_run(CORNERS, XOR, 0.5, 10, W, b))
    assert result.cycle_epochs is not None
    assert result.cycle_epochs[0] >= 10


def test_layer_without_bias_after_cycle() -> None:
    # Through the origin, AND cannot be learned and the weights cycle.
    spec = NetworkSpec(2, (LayerSpec("output", 1, "step", ("input",), bias=False),))
    network = Network(spec, {"output": LayerParameters(np.zeros((2, 1)), None)})
    trainer = PerceptronTrainer(network, CORNERS, AND, 0.25)

    result = trainer.train(30)

    assert result.cycle_epochs is not None
    assert_matches(result, plain_run(CORNERS, AND, 0.25, 30, np.zeros((2, 1)), None))


# the set of states seen


def test_state_index_finds_every_state() -> None:
    rng = np.random.default_rng(5)
    states = [rng.random(3).tobytes() for _ in range(5000)]
    index = StateIndex(lambda epoch: states[epoch])

    for epoch, key in enumerate(states):
        assert index.find(key) is None
        index.add(key, epoch)

    assert len(index) == len(states)
    assert all(index.find(key) == epoch for epoch, key in enumerate(states))
    assert index.find(rng.random(3).tobytes()) is None


def test_state_index_wraps_past_last_slot() -> None:
    # States whose hashes fall in the last 4 of 128 slots fill the end of the
    # table, so most of them wrap round to its first slots. That happens both
    # before and after the table doubles from 64 to 128 slots at the 33rd state.
    rng = np.random.default_rng(6)
    states: list[bytes] = []
    while len(states) < 40:
        key = rng.random(2).tobytes()
        if hash(key) & 127 >= 124:
            states.append(key)
    index = StateIndex(lambda epoch: states[epoch])

    for epoch, key in enumerate(states):
        index.add(key, epoch)

    assert [index.find(key) for key in states] == list(range(40))
