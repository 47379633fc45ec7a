"""The validation split and early stopping on the validation loss."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.errors import EngineError
from nnstudio.engine.network import Parameters, copy_parameters

Rows = NDArray[np.intp]

# Absorbs the rounding of fraction * count, so that 0.29 of 100 samples is 29, not 28.
_ROUNDING = 1e-9


def split_validation(count: int, fraction: float, seed: int) -> tuple[Rows, Rows]:
    """Return the rows of the training set and of the validation set, each in ascending order.

    floor(fraction * count) samples, drawn by a permutation from the seed, form
    the validation set. The generator has a stream of its own, [seed, 2], so the
    split does not change the first weights (stream 0) or the batch order
    (stream 1). With fraction 0 every row is a training row.
    """
    size = math.floor(fraction * count + _ROUNDING)
    if fraction <= 0:
        return np.arange(count), np.arange(0)
    if size == 0:
        raise EngineError(
            f"a validation fraction of {fraction:g} of {count} samples is less than one "
            f"sample; raise validation_fraction to at least 1/{count}, or set it to 0"
        )
    if size >= count:
        raise EngineError(
            f"a validation fraction of {fraction:g} of {count} samples leaves no training "
            "sample; lower validation_fraction or add samples"
        )
    order = np.random.default_rng([seed, 2]).permutation(count)
    return np.sort(order[size:]), np.sort(order[:size])


class EarlyStopping:
    """Track the best validation loss and the weights it was reached with.

    ``update`` returns True once ``patience`` epochs in a row have brought no
    strict improvement; the caller then restores ``best_parameters``.
    """

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best_loss = math.inf
        self.best_epoch = 0
        self.best_parameters: Parameters | None = None
        self._epochs_without_improvement = 0

    def update(self, epoch: int, validation_loss: float, parameters: Parameters) -> bool:
        """Record the validation loss after ``epoch``; return True when training should stop."""
        # A NaN loss compares False, so it counts as no improvement.
        if validation_loss < self.best_loss:
            self.best_loss = validation_loss
            self.best_epoch = epoch
            self.best_parameters = copy_parameters(parameters)
            self._epochs_without_improvement = 0
            return False
        self._epochs_without_improvement += 1
        return self._epochs_without_improvement >= self.patience

    def reason(self) -> str:
        """Describe the stop for Trainer.stop_reason."""
        if self.best_parameters is None:
            return (
                f"the validation loss was not a finite number for {self.patience} epochs "
                "(weights kept)"
            )
        return (
            f"no improvement in validation loss for {self.patience} epochs "
            f"(weights from epoch {self.best_epoch} restored)"
        )
