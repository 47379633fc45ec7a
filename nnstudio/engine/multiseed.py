"""Train K copies of one network, one per seed, side by side in stacked arrays.

Copy k starts from ``initialize(spec, initializer, seeds[k], init_scale,
bias_init, bias_value)``, the first weights a project with that seed draws, and
shuffles with the generator that ``Trainer`` seeds with ``seeds[k]``, so its
loss history and final weights are those of a ``Trainer`` that trains the same
network with ``settings.seed = seeds[k]``. ``settings.seed`` itself is not used.

A copy stops when it reaches the goal (unless ``stop_at_goal`` is False), when
the epochs run out, or when its loss stops being finite. A diverged copy keeps
the weights of its last finite epoch, as ``Trainer`` does, and the others go on.
Stopped copies leave the stacks, so later epochs only compute the copies still
training.

Settings that ``Trainer`` accepts are followed, with two exceptions that raise
EngineError: a validation set (and so early stopping), and prelu layers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.errors import EngineError
from nnstudio.engine.graph import NetworkSpec
from nnstudio.engine.initializers import initialize
from nnstudio.engine.network import Network, Parameters
from nnstudio.engine.stacked import (
    StackedNetwork,
    add_penalty_gradients,
    copy_stack,
    make_stacked_optimizer,
    penalties,
    stack_parameters,
    unstack_copy,
)
from nnstudio.engine.training import History, Trainer, TrainingSettings

Array = NDArray[np.floating]
Flags = NDArray[np.bool_]
Epochs = NDArray[np.int64]
Rows = NDArray[np.intp]

# A goal rule gets the loss and accuracy (K,) of the copies that finished an
# epoch with a finite loss, and returns which of them count as trained.
GoalRule = Callable[[Array, Array], Flags]


@dataclass(frozen=True)
class Goal:
    """The rule for a trained copy: loss at most ``target_loss``, or accuracy at least
    ``target_accuracy``. None turns that half of the rule off."""

    target_loss: float | None = None
    target_accuracy: float | None = 1.0

    def __call__(self, loss: Array, accuracy: Array) -> Flags:
        reached = np.zeros(loss.shape, dtype=bool)
        if self.target_loss is not None:
            reached |= loss <= self.target_loss
        if self.target_accuracy is not None:
            # NaN, the accuracy of a regression, never reaches a target.
            reached |= accuracy >= self.target_accuracy
        return reached


@dataclass
class ManySeedsResult:
    """The outcome of each copy, row k for ``seeds[k]``.

    Epochs count from 1. ``loss`` and ``accuracy`` are (K, epochs) and hold NaN
    after a copy stopped (accuracy is NaN throughout when the targets are not
    class labels). ``stop_epoch[k]`` is the number of epochs in copy k's history,
    which is ``Trainer.epoch`` when that seed stops alone. ``goal_epoch`` and
    ``diverged_epoch`` are the first epoch where the goal held or the loss was
    not finite, or 0 when that never happened.
    """

    seeds: tuple[int, ...]
    loss: Array
    accuracy: Array
    final_parameters: list[Parameters]
    goal_epoch: Epochs
    diverged_epoch: Epochs
    stop_epoch: Epochs

    @property
    def reached_goal(self) -> Flags:
        result: Flags = self.goal_epoch > 0
        return result

    @property
    def diverged(self) -> Flags:
        result: Flags = self.diverged_epoch > 0
        return result

    @property
    def count_reached(self) -> int:
        return int(np.count_nonzero(self.reached_goal))

    def history(self, index: int) -> History:
        """Return copy ``index``'s history in the form ``Trainer.history`` has."""
        length = int(self.stop_epoch[index])
        loss = [float(value) for value in self.loss[index, :length]]
        accuracy = [float(value) for value in self.accuracy[index, :length]]
        return History(loss, accuracy)


class ManySeedsTrainer:
    """Advance K copies of a network, one per seed, one epoch at a time."""

    def __init__(
        self,
        spec: NetworkSpec,
        X: Array,
        y: Array,
        settings: TrainingSettings,
        seeds: Sequence[int],
        *,
        initializer: str = "xavier_uniform",
        init_scale: float = 0.5,
        bias_init: str = "zeros",
        bias_value: float = 0.0,
        epochs: int | None = None,
        goal: GoalRule | None = None,
        stop_at_goal: bool = True,
    ) -> None:
        self.seeds = tuple(int(seed) for seed in seeds)
        if not self.seeds:
            raise EngineError("no seeds were given; give at least one seed")
        self.epochs = settings.epochs if epochs is None else epochs
        if self.epochs < 0:
            raise EngineError(f"epochs is {self.epochs}; it must be 0 or more")
        self.goal: GoalRule = _default_goal(settings) if goal is None else goal
        self.stop_at_goal = stop_at_goal

        # The first seed's Trainer checks the data and every setting with the
        # engine's own messages, and supplies the loss, optimizer and penalty.
        first = [
            initialize(spec, initializer, seed, init_scale, bias_init, bias_value)
            for seed in self.seeds
        ]
        check = Trainer(Network(spec, first[0]), X, y, settings)
        _reject_validation(check)
        self.X: Array = check.X
        self.y: Array = check.y
        self.batch_size = check.batch_size
        stacked = stack_parameters(first, check.network.dtype)
        self.network = StackedNetwork(spec, stacked, check.loss_function)
        self.optimizer = make_stacked_optimizer(check.optimizer)
        self.l1 = check.regularization.l1
        self.l2 = check.regularization.l2
        self._accuracy = _accuracy_function(self.y)

        copies = len(self.seeds)
        self.epoch = 0
        self.active: Rows = np.arange(copies)
        # Indexed by copy, like the result's rows, not by position in the stacks.
        self._rngs = [np.random.default_rng([seed, 1]) for seed in self.seeds]
        self._last_finite = copy_stack(self.network.parameters)
        self._loss = np.full((copies, self.epochs), np.nan)
        self._accuracy_history = np.full((copies, self.epochs), np.nan)
        # Each copy's entry is replaced by its last weights when it stops.
        self._final: list[Parameters] = first
        self._goal_epoch: Epochs = np.zeros(copies, dtype=np.int64)
        self._diverged_epoch: Epochs = np.zeros(copies, dtype=np.int64)
        self._stop_epoch: Epochs = np.zeros(copies, dtype=np.int64)
        if self.epochs == 0:
            self._stop(np.ones(copies, dtype=bool), self.network.parameters)
            self._keep(np.arange(0))

    @property
    def finished(self) -> bool:
        return len(self.active) == 0

    def run_epoch(self) -> None:
        """Train every copy still training for one epoch, then record and stop copies."""
        if self.finished:
            return
        # A diverging copy overflows on its way to inf, and _finish_epoch stops it.
        with np.errstate(over="ignore", invalid="ignore"):
            for X_batch, y_batch in self._plan_epoch():
                gradients = self.network.gradients(X_batch, y_batch)
                add_penalty_gradients(self.network.parameters, gradients, self.l1, self.l2)
                self.optimizer.update(self.network.parameters, gradients)
            self.epoch += 1
            run = self.network.forward(self.X)
            loss = self.network.losses(run, self.y).astype(np.float64)
            if self.l1 > 0 or self.l2 > 0:
                loss += penalties(self.network.parameters, self.l1, self.l2)
            accuracy = self._accuracy(self.network.output(run))
        self._finish_epoch(loss, accuracy)

    def train(self) -> ManySeedsResult:
        """Run epochs until every copy has stopped, and return the result."""
        while not self.finished:
            self.run_epoch()
        return self.result()

    def result(self) -> ManySeedsResult:
        """Return the result so far; copies still training report their current weights."""
        final = list(self._final)
        stop_epoch = self._stop_epoch.copy()
        for position, copy in enumerate(self.active):
            final[copy] = unstack_copy(self.network.parameters, position)
            stop_epoch[copy] = self.epoch
        return ManySeedsResult(
            seeds=self.seeds,
            loss=self._loss.copy(),
            accuracy=self._accuracy_history.copy(),
            final_parameters=final,
            goal_epoch=self._goal_epoch.copy(),
            diverged_epoch=self._diverged_epoch.copy(),
            stop_epoch=stop_epoch,
        )

    def _plan_epoch(self) -> list[tuple[Array, Array]]:
        count = len(self.X)
        size = self.batch_size
        if size >= count:
            return [(self.X, self.y)]
        # One permutation per copy from its own generator, as Trainer draws them.
        orders = np.stack([self._rngs[copy].permutation(count) for copy in self.active])
        X = self.X[orders]
        y = self.y[orders]
        return [
            (X[:, start : start + size], y[:, start : start + size])
            for start in range(0, count, size)
        ]

    def _finish_epoch(self, loss: Array, accuracy: Array) -> None:
        epoch = self.epoch
        active = self.active
        finite = np.isfinite(loss)

        # history
        self._loss[active[finite], epoch - 1] = loss[finite]
        self._accuracy_history[active[finite], epoch - 1] = accuracy[finite]

        # divergence: back to the weights of the previous epoch
        diverged = ~finite
        self._diverged_epoch[active[diverged]] = epoch
        self._stop(diverged, self._last_finite)

        # goal
        reached = np.zeros(len(active), dtype=bool)
        reached[finite] = self.goal(loss[finite], accuracy[finite])
        first_time = reached & (self._goal_epoch[active] == 0)
        self._goal_epoch[active[first_time]] = epoch

        # stopping
        done = reached if self.stop_at_goal else np.zeros(len(active), dtype=bool)
        if epoch >= self.epochs:
            done = np.ones(len(active), dtype=bool)
        self._stop(done & finite, self.network.parameters)
        self._keep(np.flatnonzero(finite & ~done))
        self._last_finite = copy_stack(self.network.parameters)

    def _stop(self, stopping: Flags, parameters: Parameters) -> None:
        # ``stopping`` and the rows of ``parameters`` follow the order of self.active.
        for position in np.flatnonzero(stopping):
            copy = self.active[position]
            self._final[copy] = unstack_copy(parameters, int(position))
            finished = self.epoch if self._diverged_epoch[copy] == 0 else self.epoch - 1
            self._stop_epoch[copy] = finished

    def _keep(self, rows: Rows) -> None:
        if len(rows) == len(self.active):
            return
        self.network.keep(rows)
        self.optimizer.keep(rows)
        self.active = self.active[rows]


def train_many_seeds(
    spec: NetworkSpec,
    X: Array,
    y: Array,
    settings: TrainingSettings,
    seeds: Sequence[int],
    *,
    initializer: str = "xavier_uniform",
    init_scale: float = 0.5,
    bias_init: str = "zeros",
    bias_value: float = 0.0,
    epochs: int | None = None,
    goal: GoalRule | None = None,
    stop_at_goal: bool = True,
) -> ManySeedsResult:
    """Train one copy of ``spec`` per seed on (X, y), all at once, and return what each did.

    ``epochs`` defaults to ``settings.epochs``. ``goal`` defaults to the loss at
    most ``settings.target_loss``, or the accuracy at least
    ``settings.target_accuracy`` (1.0, every sample classified right, when that
    is None). See the module docstring for how copies stop.
    """
    trainer = ManySeedsTrainer(
        spec,
        X,
        y,
        settings,
        seeds,
        initializer=initializer,
        init_scale=init_scale,
        bias_init=bias_init,
        bias_value=bias_value,
        epochs=epochs,
        goal=goal,
        stop_at_goal=stop_at_goal,
    )
    return trainer.train()


def _default_goal(settings: TrainingSettings) -> Goal:
    target_accuracy = 1.0 if settings.target_accuracy is None else settings.target_accuracy
    return Goal(settings.target_loss, target_accuracy)


def _reject_validation(check: Trainer) -> None:
    # Trainer draws the validation rows from settings.seed, so each seed would
    # need training rows of its own.
    if len(check.X_validation) > 0:
        raise EngineError(
            "training many seeds at once does not support a validation set yet; "
            "set validation_fraction to 0 (and patience to 0)"
        )


def _accuracy_function(y: Array) -> Callable[[Array], Array]:
    """Return the per-copy form of training.accuracy for the fixed targets ``y``.

    The returned function takes the stacked output (K, samples, outputs) and
    returns each copy's accuracy (K,), NaN when y is not class labels.
    """
    if not np.all((y == 0) | (y == 1)):
        return lambda output: np.full(len(output), np.nan)
    if y.shape[1] == 1:
        return lambda output: np.mean((output >= 0.5) == (y >= 0.5), axis=(1, 2))
    if np.all(y.sum(axis=1) == 1):
        labels = y.argmax(axis=1)
        return lambda output: np.mean(output.argmax(axis=2) == labels, axis=1)
    return lambda output: np.mean(np.all((output >= 0.5) == (y >= 0.5), axis=2), axis=1)
