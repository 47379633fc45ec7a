"""The training loop: one gradient step at a time, driven by the GUI worker, the CLI and tests.

An epoch is one pass over the training set in batches. After the last batch
of an epoch the trainer evaluates, with the updated weights, the loss and
accuracy on the whole training set and the loss on the validation set. Those
values are the epoch's entry in the history. Both losses include the L1 and L2
penalty on the weights (see regularization.py).

A run stops when the caller's epoch count is reached, or after the first epoch
that meets a stopping criterion: the target loss, the target accuracy, or
``patience`` epochs without a lower validation loss. The last one restores the
weights of the epoch with the lowest validation loss.

A step takes one of two paths, which compute the same numbers up to rounding.
The fast path (fast_step.py) trains with preallocated buffers and one flat
weight vector, and covers the usual networks, losses and optimizers. The
general path, Network.gradients followed by the optimizer's update, trains
everything else. ``Trainer.step_path`` names the path in use and
``Trainer.fallback_reason`` why the fast path does not apply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.errors import EngineError, TrainingDiverged
from nnstudio.engine.fast_coverage import fast_path_problem
from nnstudio.engine.fast_step import FastStep
from nnstudio.engine.history import History as History  # re-exported for callers
from nnstudio.engine.losses import Loss, make_loss
from nnstudio.engine.network import Network, Parameters, copy_parameters
from nnstudio.engine.optimizers import ADAM_BETAS, ADAM_EPS, make_optimizer
from nnstudio.engine.regularization import Regularization
from nnstudio.engine.stopping import EarlyStopping, split_validation

Array = NDArray[np.floating]
Rows = NDArray[np.intp]

BATCH_MODES = ("full", "minibatch", "stochastic")
FAST_PATH, GENERAL_PATH = "fast", "general"
DTYPES: dict[str, type] = {"float64": np.float64, "float32": np.float32}

TARGET_LOSS_REACHED = "target loss reached"
TARGET_ACCURACY_REACHED = "target accuracy reached"


@dataclass
class TrainingSettings:
    """How to train: loss, optimizer, batches, length, seed, penalty, precision and stopping.

    ``l1`` and ``l2`` weight the penalty on W. ``dtype`` is "float64" or
    "float32". ``target_accuracy`` is a fraction from 0 to 1.
    ``validation_fraction`` (0 to 0.5) of the samples form the validation set,
    and ``patience`` > 0 stops after that many epochs without a lower validation
    loss; 0 turns early stopping off.
    """

    loss: str = "mse"
    learning_rate: float = 0.5
    batch_mode: str = "full"
    batch_size: int = 32
    epochs: int = 1000
    seed: int = 0
    optimizer: str = "sgd"
    momentum: float = 0.9
    target_loss: float | None = None
    adam_beta1: float = ADAM_BETAS[0]
    adam_beta2: float = ADAM_BETAS[1]
    adam_eps: float = ADAM_EPS
    l1: float = 0.0
    l2: float = 0.0
    dtype: str = "float64"
    target_accuracy: float | None = None
    validation_fraction: float = 0.0
    patience: int = 0


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
    """Advance a network one batch at a time; owns the optimizer, the shuffling and the stops.

    The X and y given to it hold every sample. With a validation fraction the
    attributes ``X`` and ``y`` keep only the training rows, and ``X_validation``
    and ``y_validation`` the validation rows. When ``settings.dtype`` differs from
    the network's dtype, ``network`` is a converted copy of the given network.

    ``fast_path=False`` trains on the general path even where the fast one
    applies; the attribute ``fast_path_enabled`` may change between steps, and
    the optimizer's state moves with the run. On the fast path, once the first
    step has run, each layer's W and b in ``network.parameters`` are views into
    the trainer's flat weight vector. A caller may edit them in place between steps, or assign new
    arrays or a new dict; the next step copies those values in and puts the
    views back. Arrays a caller assigned are read, never updated.
    """

    def __init__(
        self,
        network: Network,
        X: Array,
        y: Array,
        settings: TrainingSettings,
        *,
        fast_path: bool = True,
    ):
        if len(X) == 0:
            raise EngineError("the dataset has no samples; add at least one row")
        self.settings = settings
        self.network = _in_dtype(network, settings.dtype)
        X = np.asarray(X, dtype=self.network.dtype)
        y = np.asarray(y, dtype=self.network.dtype)

        # training and validation rows
        train_rows, validation_rows = split_validation(
            len(X), settings.validation_fraction, settings.seed
        )
        has_validation = len(validation_rows) > 0
        self.X: Array = X[train_rows] if has_validation else X
        self.y: Array = y[train_rows] if has_validation else y
        self.X_validation: Array = X[validation_rows]
        self.y_validation: Array = y[validation_rows]
        if settings.patience > 0 and not has_validation:
            raise EngineError(
                f"patience {settings.patience} stops training on the validation loss, but "
                "there is no validation set; set validation_fraction above 0, or patience to 0"
            )

        self.loss_function: Loss = make_loss(settings.loss)
        self.optimizer = make_optimizer(
            settings.optimizer,
            settings.learning_rate,
            settings.momentum,
            (settings.adam_beta1, settings.adam_beta2),
            settings.adam_eps,
        )
        self.regularization = Regularization(settings.l1, settings.l2)
        self.history = History()
        self.epoch = 0
        # Why the last epoch ended the run, or "" to go on.
        self.stop_reason = ""
        self._early_stopping = EarlyStopping(settings.patience) if settings.patience else None
        self._rng = np.random.default_rng([settings.seed, 1])
        # This epoch's order (None for a full batch in order), its batches and the next one's index
        self._order: Rows | None = None
        self._batches: list[Rows] = []
        self._next_batch = 0
        self._last_finite: Parameters = copy_parameters(self.network.parameters)
        self._check_loss_fits()

        # The path of the next step: FAST_PATH or GENERAL_PATH. The fast path's
        # buffers are built at the first step or evaluation that uses them.
        self.fast_path_enabled = fast_path
        self._fast: FastStep | None = None
        self._general_for: tuple[object, ...] = ()
        self.step_path, self.fallback_reason = self._choose_path()

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
        self.change_settings(learning_rate=value)

    def change_settings(
        self,
        *,
        learning_rate: float | None = None,
        momentum: float | None = None,
        adam_beta1: float | None = None,
        adam_beta2: float | None = None,
        adam_eps: float | None = None,
        l1: float | None = None,
        l2: float | None = None,
    ) -> None:
        """Change the given settings from the next step on; None leaves a setting as it is.

        The optimizer keeps its state (momentum's velocity, Adam's moments and
        step count), so a change mid-run equals a run that made it at that step.
        """
        s = self.settings
        s.learning_rate = _given(learning_rate, s.learning_rate)
        s.momentum = _given(momentum, s.momentum)
        s.adam_beta1 = _given(adam_beta1, s.adam_beta1)
        s.adam_beta2 = _given(adam_beta2, s.adam_beta2)
        s.adam_eps = _given(adam_eps, s.adam_eps)
        s.l1 = _given(l1, s.l1)
        s.l2 = _given(l2, s.l2)

        betas = (s.adam_beta1, s.adam_beta2)
        self.optimizer.set_hyperparameters(s.learning_rate, s.momentum, betas, s.adam_eps)
        self.regularization = Regularization(s.l1, s.l2)

    def step(self) -> bool:
        """Apply one update on the next batch; return True when it finished an epoch."""
        if self._next_batch == len(self._batches):
            self._plan_epoch()
        index = self._next_batch
        self._next_batch += 1
        rows = self._batches[index]

        fast = self._fast_step()
        if fast is not None:
            penalty = self.regularization
            if self._order is None:
                # A batch of every sample is the training set in order: no gathering.
                fast.train(None, penalty.l1, penalty.l2)
            else:
                fast.train_batch(self._order, len(self._batches[0]), index, penalty.l1, penalty.l2)
        else:
            # A diverging run overflows on its way to inf; _finish_epoch reports it.
            with np.errstate(over="ignore", invalid="ignore"):
                grads = self.network.gradients(self.X[rows], self.y[rows], self.loss_function)
                if self.regularization.active:
                    self.regularization.add_gradient(self.network.parameters, grads.parameters)
                self.optimizer.update(self.network.parameters, grads.parameters)

        if self._next_batch < len(self._batches):
            return False
        self._finish_epoch()
        return True

    def run_epoch(self) -> None:
        while not self.step():
            pass

    def train(self, epochs: int) -> None:
        """Run ``epochs`` more epochs, or fewer when a stopping criterion ends the run."""
        for _ in range(epochs):
            self.run_epoch()
            if self.stop_reason:
                return

    def reached_target(self) -> bool:
        """Return True when the last epoch met a stopping criterion; stop_reason names it."""
        return bool(self.stop_reason)

    def evaluate(self) -> tuple[float, float | None]:
        """Return the loss (with the penalty) and accuracy on the whole training set."""
        data_loss, acc = self._evaluate(self.X, self.y)
        if not self.regularization.active:
            return data_loss, acc
        return data_loss + self.regularization.penalty(self.network.parameters), acc

    def evaluate_parts(self) -> tuple[float, float]:
        """Return the data loss on the whole training set and the weight penalty, apart."""
        data_loss, _ = self._evaluate(self.X, self.y)
        return data_loss, self.regularization.penalty(self.network.parameters)

    def evaluate_validation(self) -> float:
        """Return the loss (with the penalty) on the validation set, or NaN without one."""
        if len(self.X_validation) == 0:
            return math.nan
        data_loss, _ = self._evaluate(self.X_validation, self.y_validation)
        return data_loss + self.regularization.penalty(self.network.parameters)

    def _evaluate(self, X: Array, y: Array) -> tuple[float, float | None]:
        # The fast path evaluates with the general path's arithmetic, bit for bit
        # (fast_eval.py), so the history and every reported loss equal Network.loss.
        known = X is self.X or X is self.X_validation
        fast = self._fast_step() if known and self._fast is not None else None
        if fast is not None:
            return fast.evaluate(X, y)
        with np.errstate(over="ignore", invalid="ignore"):
            run = self.network.forward(X)
            loss = self.network.loss_of(run, y, self.loss_function)
        return loss, accuracy(run.output(self.network.spec), y)

    def _plan_epoch(self) -> None:
        """Draw the next epoch's order of samples and cut it into batches."""
        count = len(self.X)
        size = self.batch_size
        self._next_batch = 0
        if size >= count:
            self._order = None
            self._batches = [np.arange(count)]
            return
        self._order = self._rng.permutation(count)
        self._batches = [self._order[start : start + size] for start in range(0, count, size)]

    def _finish_epoch(self) -> None:
        self.epoch += 1
        loss, acc = self.evaluate()
        if not np.isfinite(loss):
            self.network.parameters = copy_parameters(self._last_finite)
            self.epoch -= 1
            raise TrainingDiverged(self.epoch + 1, self.settings.learning_rate)
        self._last_finite = self._kept_parameters()
        validation_loss = self.evaluate_validation()
        self.history.append(loss, acc, validation_loss)
        self.stop_reason = self._stop_reason(loss, acc, validation_loss)

    def _stop_reason(self, loss: float, acc: float | None, validation_loss: float) -> str:
        s = self.settings
        early = self._early_stopping
        # Early stopping records every epoch, even one that also meets a target.
        stop_early = early is not None and early.update(
            self.epoch, validation_loss, self.network.parameters
        )
        if s.target_loss is not None and loss <= s.target_loss:
            return TARGET_LOSS_REACHED
        if s.target_accuracy is not None and acc is not None and acc >= s.target_accuracy:
            return TARGET_ACCURACY_REACHED
        if early is None or not stop_early:
            return ""

        if early.best_parameters is not None:
            self.network.parameters = copy_parameters(early.best_parameters)
            self._last_finite = copy_parameters(early.best_parameters)
        return early.reason()

    def _kept_parameters(self) -> Parameters:
        # The fast path copies its flat vector into a second one and returns views
        # of it, which stay valid until the next epoch keeps its weights.
        if self._fast is not None and self.step_path == FAST_PATH:
            return self._fast.kept_parameters()
        return copy_parameters(self.network.parameters)

    def _choose_path(self) -> tuple[str, str]:
        """Return the path the next step takes and, for the general path, why."""
        if not self.fast_path_enabled:
            return GENERAL_PATH, "the fast path is turned off (fast_path=False)"
        problem = fast_path_problem(self.network, self.loss_function, self.optimizer)
        return (GENERAL_PATH, problem) if problem else (FAST_PATH, "")

    def _fast_step(self) -> FastStep | None:
        """Return the FastStep for the next step, or None for the general path.

        It is built on first use, and again when a caller has replaced the
        network, loss, optimizer or data. The optimizer's state moves with the
        run between the two paths.
        """
        fast = self._fast
        objects = (self.network, self.loss_function, self.optimizer, self.X, self.y)
        if fast is not None and self.fast_path_enabled and fast.serves(*objects):
            return fast
        same = len(self._general_for) == len(objects) and all(
            old is new for old, new in zip(self._general_for, objects, strict=True)
        )
        if fast is None and same and self.fast_path_enabled:
            return None
        if fast is not None:
            fast.export_state()
            self._fast = None
        self.step_path, self.fallback_reason = self._choose_path()
        if self.step_path == FAST_PATH:
            self._fast = FastStep(*objects)
            self._general_for = ()
        else:
            # Remember what the fast path cannot train, so the check runs once.
            self._general_for = objects if self.fast_path_enabled else ()
        return self._fast

    def _check_loss_fits(self) -> None:
        # Raises with a clear message when the loss needs another output activation.
        self.network.loss_of(self.network.forward(self.X[:1]), self.y[:1], self.loss_function)


def _given(value: float | None, current: float) -> float:
    return current if value is None else value


def dtype_named(name: str) -> type:
    """Return the NumPy float type of a dtype setting, "float64" or "float32"."""
    if name not in DTYPES:
        raise EngineError(f"unknown dtype {name!r}; choose one of: {', '.join(DTYPES)}")
    return DTYPES[name]


def _in_dtype(network: Network, name: str) -> Network:
    dtype = dtype_named(name)
    if np.dtype(network.dtype) == np.dtype(dtype):
        return network
    return Network(network.spec, network.parameters, dtype)
