"""The training history: loss, accuracy and validation loss per epoch, in bounded memory.

A History keeps every epoch until it contains ``capacity`` entries. When it is
full and another epoch arrives, it compacts itself to at most half of its
capacity:

- the first epoch and the latest epoch are always kept, with their exact values;
- the other epochs are grouped into buckets of ``stride`` consecutive epochs,
  aligned at epoch 2 (epochs 2 to stride + 1, then the next stride, ...), and
  of each bucket only the entry with the lowest loss and the entry with the
  highest loss stay, in epoch order. The stride is a power of two, doubled until
  the result fits in half the capacity.

Epochs added after a compaction are kept one by one until the next one, so the
recent part of the curve has full detail. Because strides are powers of two
aligned at the same epoch, a bucket's min and max stay exact through every
later compaction: a spike in the loss survives, however long the run. Accuracy
and validation loss are kept at the epochs chosen by the loss, so a spike in
the validation loss alone may be dropped. Every entry keeps its epoch number
(``epochs``), so a plot puts each point at its real epoch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

DEFAULT_CAPACITY = 10_000
MIN_CAPACITY = 16
_INITIAL_SIZE = 64  # entries allocated first; the arrays double up to the capacity

_ArrayT = TypeVar("_ArrayT", bound=NDArray[Any])


class History:
    """The loss, accuracy and validation loss of the finished epochs, downsampled past a capacity.

    ``loss``, ``accuracy``, ``validation_loss`` and ``epochs`` are read-only
    NumPy views of the kept entries, all of the same length, ``len(history)``.
    An accuracy is NaN for a regression, and a validation loss is NaN for an
    epoch trained without a validation set. ``epochs`` (int64) contains the epoch
    number of each entry, from 1, strictly increasing; without a compaction it
    is 1, 2, ..., len(history). ``epoch_count`` is the number of the latest
    epoch, which counts every epoch trained, kept or not.

    The constructor takes the first entries: a shorter ``validation_loss`` (or
    none) is padded with NaN, and ``epochs`` defaults to 1, 2, ...
    """

    def __init__(
        self,
        loss: ArrayLike = (),
        accuracy: ArrayLike = (),
        validation_loss: ArrayLike = (),
        epochs: ArrayLike | None = None,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        if capacity < MIN_CAPACITY:
            raise ValueError(f"capacity {capacity} is too small; use at least {MIN_CAPACITY}")
        self.capacity = capacity
        self._count = 0
        self._stride = 1
        self._allocate(_INITIAL_SIZE)
        self.extend(loss, accuracy, validation_loss, epochs)

    # the kept entries

    @property
    def loss(self) -> NDArray[np.float64]:
        return _read_only(self._loss[: self._count])

    @property
    def accuracy(self) -> NDArray[np.float64]:
        return _read_only(self._accuracy[: self._count])

    @property
    def validation_loss(self) -> NDArray[np.float64]:
        return _read_only(self._validation[: self._count])

    @property
    def epochs(self) -> NDArray[np.int64]:
        return _read_only(self._epochs[: self._count])

    @property
    def epoch_count(self) -> int:
        """The number of the latest epoch: every epoch trained so far, 0 when empty."""
        return int(self._epochs[self._count - 1]) if self._count else 0

    @property
    def stride(self) -> int:
        """Epochs per bucket of the last compaction; 1 while every epoch is kept."""
        return self._stride

    def __len__(self) -> int:
        return self._count

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, History):
            return NotImplemented
        return all(
            np.array_equal(mine, theirs, equal_nan=True)
            for mine, theirs in zip(self._columns(), other._columns(), strict=True)
        )

    def __repr__(self) -> str:
        return f"History({self._count} entries, epochs 1 to {self.epoch_count})"

    # adding epochs

    def append(
        self, loss: float, accuracy: float | None, validation_loss: float = math.nan
    ) -> None:
        """Add the next epoch. An accuracy of None (a regression) is stored as NaN."""
        if self._count == self.capacity:
            self._compact()
        self._ensure_room(self._count + 1)
        index = self._count
        self._epochs[index] = self.epoch_count + 1
        self._loss[index] = loss
        self._accuracy[index] = math.nan if accuracy is None else accuracy
        self._validation[index] = validation_loss
        self._count += 1

    def extend(
        self,
        loss: ArrayLike,
        accuracy: ArrayLike,
        validation_loss: ArrayLike = (),
        epochs: ArrayLike | None = None,
    ) -> None:
        """Add several epochs at once; the arguments are as for the constructor.

        ``epochs`` given must continue after ``epoch_count``, strictly increasing;
        by default the new entries are the next epochs, one by one.
        """
        columns = self._new_columns(loss, accuracy, validation_loss, epochs)
        start = 0
        total = len(columns[0])
        while start < total:
            if self._count == self.capacity:
                self._compact()
            end = min(total, start + self.capacity - self._count)
            self._write([column[start:end] for column in columns])
            start = end

    def copy(self) -> History:
        """Return an independent copy, with the same entries and capacity."""
        twin = History(capacity=self.capacity)
        twin.extend(self.loss, self.accuracy, self.validation_loss, self.epochs)
        twin._stride = self._stride
        return twin

    # internals

    def _columns(self) -> tuple[NDArray[Any], ...]:
        return (self.epochs, self.loss, self.accuracy, self.validation_loss)

    def _new_columns(
        self,
        loss: ArrayLike,
        accuracy: ArrayLike,
        validation_loss: ArrayLike,
        epochs: ArrayLike | None,
    ) -> list[NDArray[Any]]:
        new_loss = _vector(loss, "loss")
        count = len(new_loss)
        new_accuracy = _vector(accuracy, "accuracy")
        if len(new_accuracy) != count:
            raise ValueError(f"accuracy has {len(new_accuracy)} entries but loss has {count}")
        validation = _vector(validation_loss, "validation_loss")
        if len(validation) > count:
            raise ValueError(f"validation_loss has {len(validation)} entries but loss has {count}")
        validation = np.concatenate([validation, np.full(count - len(validation), math.nan)])
        first = self.epoch_count + 1
        if epochs is None:
            numbers = np.arange(first, first + count, dtype=np.int64)
        else:
            numbers = _epoch_numbers(epochs, count, first)
        return [numbers, new_loss, new_accuracy, validation]

    def _write(self, columns: Sequence[NDArray[Any]]) -> None:
        start, end = self._count, self._count + len(columns[0])
        self._ensure_room(end)
        for target, values in zip(self._buffers(), columns, strict=True):
            target[start:end] = values
        self._count = end

    def _buffers(self) -> tuple[NDArray[Any], ...]:
        return (self._epochs, self._loss, self._accuracy, self._validation)

    def _allocate(self, size: int) -> None:
        self._epochs = np.zeros(size, dtype=np.int64)
        self._loss = np.zeros(size)
        self._accuracy = np.zeros(size)
        self._validation = np.zeros(size)

    def _ensure_room(self, needed: int) -> None:
        size = len(self._loss)
        if needed <= size:
            return
        old = self._buffers()
        self._allocate(min(self.capacity, max(needed, 2 * size)))
        for target, values in zip(self._buffers(), old, strict=True):
            target[: self._count] = values[: self._count]

    def _compact(self) -> None:
        """Thin the entries to at most half the capacity, as the module docstring describes."""
        epochs, loss = self.epochs, self.loss
        # The current stride first: it thins the epochs kept one by one since the last
        # compaction. Double it only while the result does not fit.
        stride = self._stride
        keep = _kept_entries(epochs, loss, stride)
        while len(keep) > self.capacity // 2:
            stride *= 2
            keep = _kept_entries(epochs, loss, stride)
        kept = [column[keep] for column in self._columns()]
        self._count = 0
        self._write(kept)
        self._stride = stride


def _kept_entries(
    epochs: NDArray[np.int64], loss: NDArray[np.float64], stride: int
) -> NDArray[np.intp]:
    """Return the indices that survive a compaction into buckets of ``stride`` epochs."""
    count = len(epochs)
    middle = np.arange(1, count - 1)
    buckets = (epochs[middle] - 2) // stride

    # By bucket, then by loss: each bucket's first index has its min, its last its max.
    order = middle[np.lexsort((loss[middle], buckets))]
    sorted_buckets = (epochs[order] - 2) // stride
    starts = np.flatnonzero(np.diff(sorted_buckets, prepend=-1))
    ends = np.append(starts[1:], len(order)) - 1
    chosen = np.concatenate([[0], order[starts], order[ends], [count - 1]])
    return np.unique(chosen)


def _vector(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """Return ``values`` as a float64 vector; None entries (JSON null) become NaN."""
    if isinstance(values, (list, tuple)):
        values = [math.nan if value is None else value for value in values]
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _epoch_numbers(epochs: ArrayLike, count: int, first: int) -> NDArray[np.int64]:
    numbers = np.asarray(epochs)
    if numbers.shape != (count,):
        raise ValueError(f"epochs has shape {numbers.shape} but loss has {count} entries")
    if count == 0:
        return numbers.astype(np.int64)
    as_int = numbers.astype(np.int64)
    if not np.array_equal(as_int, numbers):
        raise ValueError("epochs must be whole numbers")
    if as_int[0] < first or np.any(np.diff(as_int) <= 0):
        raise ValueError(f"epochs must increase strictly, starting at {first} or later")
    return as_int


def _read_only(view: _ArrayT) -> _ArrayT:
    view.flags.writeable = False
    return view
