"""The bounded training history: exact up to its capacity, then min/max buckets per stride."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.engine.history import DEFAULT_CAPACITY, History
from nnstudio.engine.training import History as TrainingHistory


def filled(count: int, capacity: int = DEFAULT_CAPACITY) -> History:
    """A history of ``count`` epochs whose loss is 1 / epoch and accuracy epoch / count."""
    history = History(capacity=capacity)
    epochs = np.arange(1, count + 1)
    history.extend(1.0 / epochs, epochs / count)
    return history


def test_training_module_exports_same_class() -> None:
    assert TrainingHistory is History


def test_keeps_every_epoch_up_to_capacity() -> None:
    history = filled(DEFAULT_CAPACITY)

    assert len(history) == DEFAULT_CAPACITY
    np.testing.assert_array_equal(history.epochs, np.arange(1, DEFAULT_CAPACITY + 1))
    np.testing.assert_array_equal(history.loss, 1.0 / np.arange(1, DEFAULT_CAPACITY + 1))
    assert history.stride == 1


def test_append_matches_extend() -> None:
    one_by_one = History(capacity=64)
    for epoch in range(1, 301):
        one_by_one.append(1.0 / epoch, None, 0.5 / epoch)
    at_once = History(capacity=64)
    epochs = np.arange(1, 301)
    at_once.extend(1.0 / epochs, np.full(300, np.nan), 0.5 / epochs)

    assert one_by_one == at_once


def test_million_appends_stay_bounded() -> None:
    history = History()
    for epoch in range(1, 1_000_001):
        history.append(1.0 / epoch, 0.5, math.nan)

    assert len(history) <= DEFAULT_CAPACITY
    assert history.epoch_count == 1_000_000
    # The buffers never grow past the capacity, whatever the run's length.
    for column in (history._epochs, history._loss, history._accuracy, history._validation):
        assert column.size <= DEFAULT_CAPACITY
    assert history.epochs[0] == 1
    assert history.epochs[-1] == 1_000_000
    assert history.loss[-1] == 1.0 / 1_000_000
    assert history.loss[0] == 1.0


def test_epochs_increase_and_match_values() -> None:
    history = filled(123_457, capacity=1000)

    assert np.all(np.diff(history.epochs) > 0)
    # Every kept entry is the value of its own epoch.
    np.testing.assert_array_equal(history.loss, 1.0 / history.epochs)
    np.testing.assert_array_equal(history.accuracy, history.epochs / 123_457)


def test_spikes_survive_downsampling() -> None:
    count = 500_000
    loss = np.full(count, 0.5)
    spikes = {1234: 9.0, 250_001: 7.5, 499_000: 8.25}
    dips = {77_777: 0.001, 400_000: 0.002}
    for epoch, value in {**spikes, **dips}.items():
        loss[epoch - 1] = value
    history = History(capacity=500)
    history.extend(loss, np.zeros(count))

    kept = dict(zip(history.epochs.tolist(), history.loss.tolist(), strict=True))
    for epoch, value in {**spikes, **dips}.items():
        assert kept.get(epoch) == value, epoch
    assert len(history) <= 500


def test_buckets_keep_true_min_and_max() -> None:
    rng = np.random.default_rng(3)
    count = 40_000
    loss = rng.random(count)
    history = History(capacity=256)
    history.extend(loss, np.zeros(count))
    stride = history.stride
    epochs = np.arange(1, count + 1)

    # Compare each completed bucket before the last compaction with the raw values.
    last_bucket = (history.epochs[-2] - 2) // stride
    for bucket in range(int(last_bucket) // 2):
        first, last = 2 + bucket * stride, 1 + (bucket + 1) * stride
        raw = loss[(epochs >= first) & (epochs <= last)]
        inside = (history.epochs >= first) & (history.epochs <= last)
        assert history.loss[inside].min() == raw.min(), bucket
        assert history.loss[inside].max() == raw.max(), bucket


def test_last_value_exact_after_many_compactions() -> None:
    history = History(capacity=32)
    for epoch in range(1, 5001):
        history.append(float(epoch % 7), 0.25, float(epoch))
        assert history.loss[-1] == float(epoch % 7)
        assert history.validation_loss[-1] == float(epoch)
        assert history.epochs[-1] == epoch
        assert len(history) <= 32


def test_validation_loss_padded_with_nan() -> None:
    history = History([0.5, 0.25], [1.0, 1.0])

    assert len(history.validation_loss) == 2
    assert np.all(np.isnan(history.validation_loss))


def test_accuracy_none_is_nan() -> None:
    history = History()
    history.append(0.3, None)

    assert math.isnan(history.accuracy[0])


def test_views_are_read_only() -> None:
    history = filled(10)

    with pytest.raises(ValueError, match="read-only"):
        history.loss[0] = 5.0


def test_copy_is_independent() -> None:
    history = filled(100, capacity=32)
    twin = history.copy()
    twin.append(0.0, 1.0)

    assert twin.epoch_count == 101
    assert history.epoch_count == 100
    assert twin.capacity == 32


def test_explicit_epochs_continue() -> None:
    history = History([0.5, 0.4], [0.0, 0.0], epochs=[1, 10])
    history.extend([0.3], [0.5], epochs=[25])
    history.append(0.2, 0.5)

    np.testing.assert_array_equal(history.epochs, [1, 10, 25, 26])


@pytest.mark.parametrize(
    ("epochs", "message"),
    [
        ([2, 2], "increase strictly"),
        ([0, 1], "starting at 1"),
        ([1.5, 2], "whole numbers"),
        ([1], "shape"),
    ],
)
def test_invalid_epochs_rejected(epochs: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        History([0.5, 0.4], [0.0, 0.0], epochs=epochs)


def test_mismatched_lengths_rejected() -> None:
    with pytest.raises(ValueError, match="accuracy has 1 entries but loss has 2"):
        History([0.5, 0.4], [0.0])


def test_capacity_too_small_rejected() -> None:
    with pytest.raises(ValueError, match="capacity 4 is too small"):
        History(capacity=4)
