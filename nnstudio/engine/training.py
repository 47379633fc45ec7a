"""The training loop: one gradient step at a time, driven by the GUI worker, the CLI and tests.

An epoch is one pass over the training set in batches. After the last batch
of an epoch the trainer evaluates the loss and accuracy on the whole training
set with the updated weights, and that pair is the epoch's entry in the
history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.errors import EngineError, TrainingDiverged
from nnstudio.engine.losses import Loss, make_loss
from nnstudio.engine.network import Network, Parameters, copy_parameters
from nnstudio.engine.optimizers import make_optimizer

Array = NDArray[np.floating]
Rows = NDArray[np.intp]

BATCH_MODES = ("full", "minibatch", "stochastic")


@dataclass
class TrainingSettings:
    """How to train: loss, optimizer, batches, length and seed."""

    loss: str = "mse"
    learning_rate: float = 0.5
    batch_mode: str = "full"
    batch_size: int = 32
    epochs: int = 1000
    seed: int = 0
    optimizer: str = "sgd"
    momentum: float = 0.9
    target_loss: float | None = None


@dataclass
class History:
    """The loss and accuracy after each finished epoch."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)


def accuracy(output: Array, y: Array) -> float | None:
    """Return the fraction of samples classified right, or None when y is not class labels.

    One output column: the class is output >= 0.5. Several columns with one-hot
    targets: the class is the largest output. Other targets are a regression.
    """
    if not np.all((y == 0) | (y == 1)):
        return None
    if y.shape[1] == 1:
        return float(np.mean((output >= 0.5) == (y >= 0.5)))
    if np.all(y.sum(axis=1) == 1):
        return float(np.mean(output.argmax(axis=1) == y.argmax(axis=1)))
    return float(np.mean(np.all((output >= 0.5) == (y >= 0.5), axis=1)))


class Trainer:
    """Advance a network one batch at a time; owns the optimizer and the shuffling."""

    def __init__(self, network: Network, X: Array, y: Array, settings: TrainingSettings):
        if len(X) == 0:
            raise EngineError("the dataset has no samples; add at least one row")
        self.network = network
        self.X: Array = np.asarray(X, dtype=network.dtype)
        self.y: Array = np.asarray(y, dtype=network.dtype)
        self.settings = settings
        self.loss_function: Loss = make_loss(settings.loss)
        self.optimizer = make_optimizer(
            settings.optimizer, settings.learning_rate, settings.momentum
        )
        self.history = History()
        self.epoch = 0
        self._rng = np.random.default_rng([settings.seed, 1])
        self._batches: list[Rows] = []
        self._last_finite: Parameters = copy_parameters(network.parameters)
        self._check_loss_fits()

    @property
    def batch_size(self) -> int:
        mode = self.settings.batch_mode
        if mode == "full":
            return len(self.X)
        if mode == "stochastic":
            return 1
        if mode == "minibatch":
            return max(1, min(self.settings.batch_size, len(self.X)))
        raise EngineError(f"unknown batch mode {mode!r}; choose one of: {', '.join(BATCH_MODES)}")

    def set_learning_rate(self, value: float) -> None:
        self.settings.learning_rate = value
        self.optimizer.learning_rate = value

    def step(self) -> bool:
        """Apply one update on the next batch; return True when it finished an epoch."""
        if not self._batches:
            self._batches = self._plan_epoch()
        rows = self._batches.pop(0)

        # A diverging run overflows on its way to inf; _finish_epoch reports it.
        with np.errstate(over="ignore", invalid="ignore"):
            grads = self.network.gradients(self.X[rows], self.y[rows], self.loss_function)
            self.optimizer.update(self.network.parameters, grads.parameters)

        if self._batches:
            return False
        self._finish_epoch()
        return True

    def run_epoch(self) -> None:
        while not self.step():
            pass

    def train(self, epochs: int) -> None:
        """Run ``epochs`` more epochs, or fewer when the target loss is reached."""
        for _ in range(epochs):
            self.run_epoch()
            if self.reached_target():
                return

    def reached_target(self) -> bool:
        target = self.settings.target_loss
        return target is not None and bool(self.history.loss) and self.history.loss[-1] <= target

    def evaluate(self) -> tuple[float, float | None]:
        """Return the loss and accuracy on the whole training set with the current weights."""
        with np.errstate(over="ignore", invalid="ignore"):
            run = self.network.forward(self.X)
            loss = self.network.loss_of(run, self.y, self.loss_function)
        return loss, accuracy(run.output(self.network.spec), self.y)

    def _plan_epoch(self) -> list[Rows]:
        count = len(self.X)
        size = self.batch_size
        if size >= count:
            return [np.arange(count)]
        order = self._rng.permutation(count)
        return [order[start : start + size] for start in range(0, count, size)]

    def _finish_epoch(self) -> None:
        self.epoch += 1
        loss, acc = self.evaluate()
        if not np.isfinite(loss):
            self.network.parameters = copy_parameters(self._last_finite)
            self.epoch -= 1
            raise TrainingDiverged(self.epoch + 1, self.settings.learning_rate)
        self._last_finite = copy_parameters(self.network.parameters)
        self.history.loss.append(loss)
        self.history.accuracy.append(np.nan if acc is None else acc)

    def _check_loss_fits(self) -> None:
        # Raises with a clear message when the loss needs another output activation.
        self.network.loss_of(self.network.forward(self.X[:1]), self.y[:1], self.loss_function)
