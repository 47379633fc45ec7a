"""The perceptron trainer's per-epoch records and its set of weight states seen, in NumPy arrays.

A run of the rule can add thousands of epochs a second, so nothing here keeps
a Python object per epoch:

- EpochLog stores each epoch's misclassified count and end weights as a row
  of growing NumPy arrays. Once the weights cycle, an epoch whose count and
  weights equal, byte for byte, those of the epoch one period earlier adds no
  row: the log notes that its epochs repeat rows already stored. So a run
  that cycles stops growing the log once the cycle is found.
- EpochRecords hands the log out as EpochRecord items built on demand.
- StateIndex is the cycle search's set of weight states: an open-addressing
  hash table of (hash, epoch) pairs that point back at the weights in the log.
  It compares weights byte for byte only when two hashes are equal.

Shapes: W is (inputs, units) and b is (units,), so a log of n rows stores W as
(n, inputs, units) and b as (n, units).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from numpy.typing import DTypeLike, NDArray

Array = NDArray[np.floating]

_FIRST_ROWS = 64  # rows allocated first; the arrays double when full
_FIRST_SLOTS = 64  # hash table slots allocated first, a power of two
_EMPTY = -1  # epoch stored in an unused slot


@dataclass(frozen=True)
class EpochRecord:
    """The state after one pass: its number (from 1), its mistakes and copies of W and b.

    ``misclassified`` counts the samples whose output was wrong when the rule
    reached them, once per sample however many of its outputs were wrong.
    ``b`` is None for a layer without bias.
    """

    epoch: int
    misclassified: int
    W: Array
    b: Array | None


@dataclass(frozen=True)
class _Rows:
    """Stored rows and the spans of epochs that map onto them.

    Span i starts at epoch ``firsts[i]`` and ends where the next one starts.
    Epoch e of a span with period 0 is row ``starts[i] + (e - firsts[i])``. With
    a period p > 0 it is row ``starts[i] + (e - firsts[i]) % p``.
    """

    counts: NDArray[np.int64]
    W: Array
    b: Array | None
    firsts: NDArray[np.int64]
    starts: NDArray[np.int64]
    periods: NDArray[np.int64]

    def rows_of(self, epochs: NDArray[np.int64]) -> NDArray[np.int64]:
        span = np.searchsorted(self.firsts, epochs, side="right") - 1
        offset = epochs - self.firsts[span]
        period = self.periods[span]
        wrapped = np.where(period > 0, offset % np.maximum(period, 1), offset)
        return self.starts[span] + wrapped


class EpochRecords(Sequence[EpochRecord]):
    """Read-only records of evenly spaced epochs, read from an EpochLog's arrays.

    Each item is an EpochRecord built when it is read, with its own copies of
    W and b. A slice is another EpochRecords over the same arrays.
    """

    def __init__(self, rows: _Rows, epochs: range) -> None:
        self._rows = rows
        self._epochs = epochs

    def __len__(self) -> int:
        return len(self._epochs)

    @overload
    def __getitem__(self, index: int) -> EpochRecord: ...

    @overload
    def __getitem__(self, index: slice) -> EpochRecords: ...

    def __getitem__(self, index: int | slice) -> EpochRecord | EpochRecords:
        if isinstance(index, slice):
            return EpochRecords(self._rows, self._epochs[index])

        # Indexing the range checks the bounds and counts a negative index from the end.
        epoch = self._epochs[index]
        row = int(self._rows.rows_of(np.array([epoch], dtype=np.int64))[0])
        b = None if self._rows.b is None else self._rows.b[row].copy()
        return EpochRecord(epoch, int(self._rows.counts[row]), self._rows.W[row].copy(), b)

    def __iter__(self) -> Iterator[EpochRecord]:
        for index in range(len(self._epochs)):
            yield self[index]

    @property
    def misclassified(self) -> list[int]:
        """The misclassified count of every record, in order, read without building records."""
        epochs = np.arange(self._epochs.start, self._epochs.stop, self._epochs.step, dtype=np.int64)
        counts: list[int] = self._rows.counts[self._rows.rows_of(epochs)].tolist()
        return counts


class EpochLog:
    """The growing arrays behind a trainer's records, one row per epoch that repeats no other.

    ``first_epoch`` is the number of epochs trained before the log, so its
    first epoch is ``first_epoch + 1``. A log with ``bias`` False stores no b.
    """

    def __init__(
        self, first_epoch: int, inputs: int, units: int, bias: bool, dtype: DTypeLike
    ) -> None:
        self.first_epoch = first_epoch
        # The misclassified count of the latest epoch, or None before the first.
        self.last_misclassified: int | None = None
        self._epochs = 0  # epochs logged
        self._count = 0  # rows used
        self._counts = np.zeros(_FIRST_ROWS, dtype=np.int64)
        self._W = np.zeros((_FIRST_ROWS, inputs, units), dtype=dtype)
        self._b = np.zeros((_FIRST_ROWS, units), dtype=dtype) if bias else None
        # (first epoch, first row, period) of each span, as _Rows describes them
        self._spans: list[tuple[int, int, int]] = []
        # The period that the next epochs are expected to repeat, or 0.
        self._period = 0

    def __len__(self) -> int:
        return self._epochs

    def expect_period(self, period: int) -> None:
        """Expect the next epochs to repeat those ``period`` epochs earlier.

        A period of 0 expects nothing. The log compares every epoch with the
        expected row, so a wrong expectation costs a row and never changes a record.
        """
        self._period = period

    def append(self, misclassified: int, W: Array, b: Array | None) -> None:
        """Add the next epoch: its misclassified count and its end weights (copied)."""
        epoch = self._last_epoch() + 1
        if self._can_repeat(epoch) and self._repeats(epoch - self._period, misclassified, W, b):
            self._note_repeat(epoch)
        else:
            self._period = 0
            self._store(epoch, misclassified, W, b)
        self._epochs += 1
        self.last_misclassified = misclassified

    def records(self) -> EpochRecords:
        """Return the epochs so far; later appends do not change the returned records."""
        count = self._count
        spans = np.array(self._spans, dtype=np.int64).reshape(-1, 3)
        firsts, starts, periods = spans[:, 0], spans[:, 1], spans[:, 2]
        b = None if self._b is None else self._b[:count]
        rows = _Rows(self._counts[:count], self._W[:count], b, firsts, starts, periods)
        first = self.first_epoch + 1
        return EpochRecords(rows, range(first, first + self._epochs))

    def state_key(self, epoch: int) -> bytes:
        """Return the bytes of the weights at the end of ``epoch``, as the trainer keys them."""
        row = self._row_of(epoch)
        b = None if self._b is None else self._b[row]
        return state_key(self._W[row], b)

    def _last_epoch(self) -> int:
        return self.first_epoch + self._epochs

    def _row_of(self, epoch: int) -> int:
        # Spans are few (one or two more per restart of the cycle search), latest first.
        for first, start, period in reversed(self._spans):
            if first <= epoch:
                offset = epoch - first
                return start + (offset % period if period else offset)
        raise IndexError(f"epoch {epoch} is before the first epoch of the log")

    def _can_repeat(self, epoch: int) -> bool:
        # A new cycling span needs the last period's epochs in consecutive rows.
        if not self._period or not self._spans:
            return False
        first, _, period = self._spans[-1]
        if period:
            return period == self._period
        return first <= epoch - self._period

    def _repeats(self, earlier: int, misclassified: int, W: Array, b: Array | None) -> bool:
        row = self._row_of(earlier)
        if int(self._counts[row]) != misclassified or W.tobytes() != self._W[row].tobytes():
            return False
        return self._b is None or b is None or b.tobytes() == self._b[row].tobytes()

    def _note_repeat(self, epoch: int) -> None:
        if not self._spans[-1][2]:
            # The first repeat: a span that cycles through the last period's rows.
            self._spans.append((epoch, self._row_of(epoch - self._period), self._period))

    def _store(self, epoch: int, misclassified: int, W: Array, b: Array | None) -> None:
        if self._count == len(self._counts):
            self._grow()
        row = self._count
        self._counts[row] = misclassified
        self._W[row] = W
        if self._b is not None and b is not None:
            self._b[row] = b
        self._count += 1
        if not self._spans or self._spans[-1][2]:
            self._spans.append((epoch, row, 0))

    def _grow(self) -> None:
        # Copies, not resizes: records() handed out earlier keep viewing the old arrays.
        size = 2 * len(self._counts)
        self._counts = _enlarged(self._counts, size)
        self._W = _enlarged(self._W, size)
        if self._b is not None:
            self._b = _enlarged(self._b, size)


class StateIndex:
    """The epochs at whose end the weights had each state seen, found through a hash table.

    ``key_of(epoch)`` must return the state bytes of an epoch added before,
    because the table keeps only each state's hash and epoch. It confirms an
    equal hash by comparing those bytes. Slots are probed linearly, and the table
    doubles when it would become more than half full.
    """

    def __init__(self, key_of: Callable[[int], bytes]) -> None:
        self._key_of = key_of
        self._count = 0
        self._hashes = np.zeros(_FIRST_SLOTS, dtype=np.int64)
        self._epochs = np.full(_FIRST_SLOTS, _EMPTY, dtype=np.int64)

    def __len__(self) -> int:
        return self._count

    def find(self, key: bytes) -> int | None:
        """Return the epoch added with the state ``key``, or None when it was not added."""
        epoch = int(self._epochs[self._slot_of(hash(key), key)])
        return None if epoch == _EMPTY else epoch

    def add(self, key: bytes, epoch: int) -> None:
        """Add a state that find() does not contain, under the epoch that ended with it."""
        if 2 * (self._count + 1) > len(self._epochs):
            self._grow()
        digest = hash(key)
        slot = self._slot_of(digest, key)
        self._hashes[slot] = digest
        self._epochs[slot] = epoch
        self._count += 1

    def _slot_of(self, digest: int, key: bytes) -> int:
        """Return the slot that contains ``key``, or the empty slot where it would go."""
        mask = len(self._epochs) - 1
        slot = digest & mask
        while self._epochs[slot] != _EMPTY:
            same_hash = self._hashes[slot] == digest
            if same_hash and self._key_of(int(self._epochs[slot])) == key:
                return slot
            slot = (slot + 1) & mask
        return slot

    def _grow(self) -> None:
        """Move the entries to a table twice the size, with NumPy rather than one by one.

        Every entry is a different state, so none needs its bytes compared.
        """
        used = self._epochs != _EMPTY
        hashes, epochs = self._hashes[used], self._epochs[used]
        size = 2 * len(self._epochs)
        self._hashes = np.zeros(size, dtype=np.int64)
        self._epochs = np.full(size, _EMPTY, dtype=np.int64)

        # In order of home slot, each entry takes the first slot at or after its
        # home that follows the previous entry's: slot[i] = max(home[i],
        # slot[i - 1] + 1), so slot[i] - i is the running maximum of home[i] - i.
        homes = hashes & (size - 1)
        order = np.argsort(homes, kind="stable")
        hashes, epochs, homes = hashes[order], epochs[order], homes[order]
        ranks = np.arange(len(homes))
        slots = ranks + np.maximum.accumulate(homes - ranks)
        fits = slots < size
        self._hashes[slots[fits]] = hashes[fits]
        self._epochs[slots[fits]] = epochs[fits]

        # The few pushed past the last slot wrap around to the first free ones.
        wrapped = zip(hashes[~fits].tolist(), epochs[~fits].tolist(), strict=True)
        for digest, epoch in wrapped:
            slot = digest & (size - 1)
            while self._epochs[slot] != _EMPTY:
                slot = (slot + 1) & (size - 1)
            self._hashes[slot] = digest
            self._epochs[slot] = epoch


def state_key(W: Array, b: Array | None) -> bytes:
    """Return the bytes of W followed by those of b, equal exactly when the weights are equal.

    Adding 0.0 turns -0.0 into 0.0, so equal weights give equal bytes.
    """
    key = (W + 0.0).tobytes()
    if b is not None:
        key += (b + 0.0).tobytes()
    return key


def _enlarged(array: NDArray[Any], rows: int) -> NDArray[Any]:
    bigger = np.zeros_like(array, shape=(rows, *array.shape[1:]))
    bigger[: len(array)] = array
    return bigger
