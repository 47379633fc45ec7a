"""One epoch's batches for the fast step: the training set gathered once, in the epoch's order.

The Trainer visits the training set in a new random order every epoch, in
batches of a fixed size. Gathering each batch's rows at its step costs two
NumPy calls a step, which on a classroom network is a tenth of the step.
Here the whole set is gathered once an epoch into arrays of its own, every
batch is a slice of them, and every batch has a plan compiled on its slices,
so that a step only runs its plan. The plans of one batch size share their
buffers (fast_plan.BufferPool): what this costs is about 30 µs to compile each
plan, once, their lists of calls, and the gathered copy of the data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nnstudio.engine.fast_kernels import Array
from nnstudio.engine.fast_plan import BufferPool, Plan

Rows = np.ndarray[Any, np.dtype[np.intp]]

# Above this many batches an epoch, the step gathers each batch as it comes,
# because each plan costs about 30 µs to compile and keeps its calls in memory.
MAX_BATCHES = 1024


class EpochBatches:
    """The training set in one epoch's order, and a plan bound to each of its batches.

    ``X_ones`` is the training set, (samples, features + 1) with a column of
    ones; ``compile(X, y, pool)`` returns the plan of the batch X, y. Batches
    are ``size`` samples each, the last one the rest.
    """

    def __init__(
        self,
        X_ones: Array,
        outputs: int,
        size: int,
        compile: Callable[[Array, Array, BufferPool], Plan],
    ) -> None:
        count = len(X_ones)
        self.size = size
        self.source = X_ones
        self.X: Array = np.empty_like(X_ones)
        # the samples in whole batches of ``size``; the rest form the last batch
        self.whole = count - count % size
        # The targets of the whole batches and of the rest, (outputs, samples)
        # each: apart, because the two read targets scaled differently.
        self.y_whole: Array = np.empty((outputs, self.whole), X_ones.dtype)
        self.y_rest: Array = np.empty((outputs, count - self.whole), X_ones.dtype)
        # the order the arrays hold now, or None before the first arrange()
        self.order: Rows | None = None

        whole_pool, rest_pool = BufferPool(), BufferPool()
        self.plans: list[Plan] = [
            compile(self.X[start : start + size], self.y_whole[:, start : start + size], whole_pool)
            for start in range(0, self.whole, size)
        ]
        if self.whole < count:
            self.plans.append(compile(self.X[self.whole :], self.y_rest, rest_pool))

    def arrange(self, order: Rows, targets: Callable[[int], Array]) -> None:
        """Gather the samples in ``order``; ``targets(n)`` gives the targets a batch of n reads."""
        self.source.take(order, 0, self.X, "clip")
        self.order = order
        self.gather_targets(targets)

    def gather_targets(self, targets: Callable[[int], Array]) -> None:
        """Gather the targets again in the arranged order, after they were scaled anew.

        The targets differ by batch size (fast_kernels.scaled_targets), so the
        last, smaller batch takes its columns from its own targets.
        """
        order = self.order
        if order is None:
            return
        whole = self.whole
        targets(self.size).take(order[:whole], 1, self.y_whole, "clip")
        if whole < len(order):
            targets(len(order) - whole).take(order[whole:], 1, self.y_rest, "clip")

    def rows(self, index: int) -> Rows:
        """Return the samples of batch ``index`` in the order arranged last."""
        if self.order is None:
            raise ValueError("no order has been arranged yet")
        start = index * self.size
        return self.order[start : start + self.size]


def batch_count(samples: int, size: int) -> int:
    """Return the number of batches of ``size`` an epoch of ``samples`` has."""
    return -(-samples // size)
