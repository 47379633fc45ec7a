"""Rosenblatt's perceptron learning rule for one layer of step units.

Shapes: arrays are (samples, features); W is (inputs, units) and b is (units,),
so z = x @ W + b and the output is step(z), with step(z) = 1 for z >= 0.

The rule takes one sample x with target y at a time, in the listed order
(or shuffled each epoch when a seed is given), and updates
W += lr * outer(x, y - output) and b += lr * (y - output).
A pass over every sample is one epoch. When the data is linearly separable
(by a hyperplane through the origin, for a layer without bias), the rule stops
making mistakes after finitely many updates: this is the perceptron
convergence theorem. When it is not, every epoch makes a mistake. Without
shuffling, an epoch depends only on the weights at its start. So when an epoch
with mistakes ends with weights that an earlier epoch ended with, the rule
repeats those epochs forever, which proves that the classes of at least one
output are not linearly separable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.activations import make_activation
from nnstudio.engine.errors import EngineError
from nnstudio.engine.graph import LayerSpec, NetworkSpec
from nnstudio.engine.network import LayerParameters, Network
from nnstudio.engine.perceptron_records import (
    EpochLog,
    EpochRecord,
    EpochRecords,
    StateIndex,
    state_key,
)

Array = NDArray[np.floating]

STEP = "step"


@dataclass
class PerceptronResult:
    """The passes of a perceptron run and whether it converged or cycles.

    ``cycle_length`` is the number of epochs after which the weights repeat,
    or None when no repetition was found. ``cycle_epochs`` is then (e, e +
    cycle_length): the weights at the end of both epochs are equal, with epoch 0
    meaning the weights the trainer started from. ``first_epoch`` is the number
    of epochs trained before this run, so the first record is epoch
    ``first_epoch + 1``. A trainer's result has EpochRecords as ``epochs``,
    which builds each EpochRecord when it is read.
    """

    converged: bool
    epochs: Sequence[EpochRecord] = ()
    cycle_length: int | None = None
    cycle_epochs: tuple[int, int] | None = None
    first_epoch: int = 0

    @property
    def cycle_detected(self) -> bool:
        return self.cycle_length is not None

    @property
    def misclassified(self) -> list[int]:
        """Return the misclassified count of every epoch, first epoch first."""
        if isinstance(self.epochs, EpochRecords):
            return self.epochs.misclassified
        return [record.misclassified for record in self.epochs]

    def message(self) -> str:
        """Describe the outcome for the user, naming the epochs of a weight cycle."""
        if not self.epochs:
            return "not trained yet"
        span = self._span()
        if self.converged:
            return f"converged after {span}: every sample classified correctly"
        if self.cycle_epochs is None or self.cycle_length is None:
            # Without a repeat, nothing shows whether more epochs would help.
            return (
                f"did not converge in {span}: no epoch classified every sample correctly "
                "yet. The data may not be linearly separable, or it is and the rule needs "
                "more epochs"
            )
        earlier, later = self.cycle_epochs
        if later == earlier + 1:
            repeat = f"Epoch {later} ends with the weights it started with"
        else:
            repeat = (
                f"After epoch {later} the weights are back to those at the start of "
                f"epoch {earlier + 1}"
            )
        return (
            f"did not converge in {span}: the data is not linearly separable "
            f"({self._separator_clause()}). {repeat}, so the weights cycle forever with "
            f"a period of {_epochs(self.cycle_length)}"
        )

    def _span(self) -> str:
        count = len(self.epochs)
        if self.first_epoch == 0:
            return _epochs(count)
        return f"{_epochs(count, 'more ')} (epoch {self.epochs[-1].epoch} in all)"

    def _separator_clause(self) -> str:
        last = self.epochs[-1]
        inputs, outputs = last.W.shape
        boundary = "straight line" if inputs == 2 else "hyperplane"
        if last.b is None:
            boundary += " through the origin"
        if outputs == 1:
            return f"no {boundary} separates the classes"
        return f"for at least one output, no {boundary} separates the classes"


def check_perceptron_network(spec: NetworkSpec) -> None:
    """Raise EngineError unless ``spec`` is one layer of step units.

    NetworkSpec already ensures that a network's only layer is fed by the input alone.
    """
    rule = "the perceptron rule trains one layer of step units connected straight to the input"
    if len(spec.layers) != 1:
        names = ", ".join(repr(layer.name) for layer in spec.layers)
        raise EngineError(
            f"{rule}, but this network has {len(spec.layers)} layers after the input "
            f"({names}); remove the hidden layers, or train several layers with "
            "backpropagation and sigmoid units in place of step"
        )
    layer = spec.layers[0]
    if layer.activation != STEP or layer.activations:
        uses = ", ".join(layer.unit_activations()) if layer.activations else layer.activation
        raise EngineError(
            f"{rule}, but layer {layer.name!r} uses {uses}; set its activation "
            "to step, or train it with backpropagation"
        )


def is_perceptron_network(spec: NetworkSpec) -> bool:
    """Return True when the perceptron rule can train ``spec``."""
    try:
        check_perceptron_network(spec)
    except EngineError:
        return False
    return True


class PerceptronTrainer:
    """Apply the perceptron rule one sample at a time to a one-layer step network.

    The trainer updates W and b of ``network`` in place. ``X`` is (samples,
    inputs) and ``y`` (samples, units) contains targets of 0 or 1. With a ``seed``
    each epoch visits the samples in an order shuffled from it, and cycles are
    not looked for, because the next epoch then depends on more than the weights.
    ``first_epoch`` continues the numbering of earlier training: the first epoch
    of this trainer is ``first_epoch + 1``.

    Memory: each epoch's misclassified count and end weights are a row of
    NumPy arrays, and the cycle search keeps a hash and an epoch per state seen
    (see perceptron_records). Once the weights cycle, the search frees its table
    and the epochs that repeat the cycle add no row, so memory stops growing.
    Measured by benchmarks/perceptron_speed.py (tracemalloc, Python 3.11, NumPy
    2.4) after 20,000 epochs with 2 inputs and 1 unit, XOR (cycle found at
    epoch 3) adds 0.2 bytes per epoch, 4 kB in all. Ten points whose cycle
    closes at epoch 7443 add 13 bytes per epoch. Twenty points whose weights
    never repeat add 105 bytes per epoch (134 at the peak), and 84 after 100,000
    epochs, half for the rows and half for the table. Both double when full, so
    such a run takes between about 64 and 128 bytes per epoch: 64 to 128 MB for
    a million epochs.
    """

    def __init__(
        self,
        network: Network,
        X: Array,
        y: Array,
        learning_rate: float,
        *,
        seed: int | None = None,
        first_epoch: int = 0,
    ) -> None:
        check_perceptron_network(network.spec)
        _check_learning_rate(learning_rate)
        self.network = network
        self.learning_rate = learning_rate
        self._layer = network.spec.layers[0].name
        self._step = make_activation(STEP)
        self.X, self.y = _checked_data(network, X, y)

        self.first_epoch = first_epoch
        self.epoch = first_epoch
        params = self.parameters
        inputs, units = params.W.shape
        self._log = EpochLog(first_epoch, inputs, units, params.b is not None, params.W.dtype)
        self.cycle_length: int | None = None
        self.cycle_epochs: tuple[int, int] | None = None
        # Index into X of the sample the last step() used, or None before the first step.
        self.last_sample: int | None = None
        self._rng = None if seed is None else np.random.default_rng(seed)
        # The current epoch's sample order, and how many of those samples are done.
        self._order: list[int] = []
        self._position = 0
        self._mistakes = 0
        # The cycle search: the weights it started from as (epoch, state bytes), and
        # the epoch of each state seen since. None while no search runs.
        self._start: tuple[int, bytes] | None = None
        self._seen: StateIndex | None = None
        self.restart_cycle_search()
        # The weights as the last step left them, to notice changes made between
        # steps; None before the first step and with shuffling (no cycle search).
        self._left: bytes | None = None

    @classmethod
    def from_arrays(
        cls,
        W: Array,
        b: Array,
        X: Array,
        y: Array,
        learning_rate: float,
        *,
        seed: int | None = None,
        first_epoch: int = 0,
    ) -> PerceptronTrainer:
        """Build a trainer on copies of W (inputs, units) and b (units,)."""
        W = np.asarray(W, dtype=np.float64)
        if W.ndim != 2:
            raise EngineError(f"W has shape {W.shape}; it must be (inputs, units)")
        spec = NetworkSpec(W.shape[0], (LayerSpec("output", W.shape[1], STEP, ("input",)),))
        network = Network(spec, {"output": LayerParameters(W, np.asarray(b, dtype=np.float64))})
        return cls(network, X, y, learning_rate, seed=seed, first_epoch=first_epoch)

    @property
    def parameters(self) -> LayerParameters:
        """The layer's current W and b (the network's own arrays, not copies)."""
        return self.network.parameters[self._layer]

    @property
    def records(self) -> EpochRecords:
        """The epochs this trainer finished, first epoch first."""
        return self._log.records()

    @property
    def converged(self) -> bool:
        return self._log.last_misclassified == 0

    def set_learning_rate(self, value: float) -> None:
        """Use ``value`` from the next sample on.

        A cycle found with the old rate need not repeat with the new one, so the
        search for a cycle starts again: from the current weights at the start of
        an epoch, or from the end of the current epoch. That epoch still counts as
        a mistake-free epoch or not as a whole.
        """
        _check_learning_rate(value)
        if value == self.learning_rate:
            return
        self.learning_rate = value
        self.restart_cycle_search()

    def restart_cycle_search(self) -> None:
        """Forget the weights seen so far, after a change that the rule did not make.

        step() calls this itself when the weights differ from those its last
        step left, as after a weight set by hand. With shuffling no search runs.
        """
        self.cycle_length = None
        self.cycle_epochs = None
        self._log.expect_period(0)
        self._start = None
        self._seen = None
        if self._rng is not None:
            return
        self._seen = StateIndex(self._state_key_at)
        if not self._position:
            self._start = (self.epoch, self._state_key())
            self._seen.add(self._start[1], self.epoch)

    def step(self) -> bool:
        """Apply the rule to the next sample; return True when it finished an epoch."""
        if self._left is not None and self._state_key() != self._left:
            self.restart_cycle_search()
        if self._position == 0:
            self._order = self._plan_epoch()
        row = self._order[self._position]
        self._position += 1
        self.last_sample = row

        # forward
        x = self.X[row]
        params = self.parameters
        z = x @ params.W
        if params.b is not None:
            z = z + params.b
        error = self.y[row] - self._step.forward(z)

        # update, only where an output was wrong
        if np.any(error != 0):
            self._mistakes += 1
            params.W += self.learning_rate * np.outer(x, error)
            if params.b is not None:
                params.b += self.learning_rate * error
        if self._rng is None:
            self._left = self._state_key()

        if self._position < len(self._order):
            return False
        self._position = 0
        self._finish_epoch()
        return True

    def run_epoch(self) -> int:
        """Finish the current epoch; return how many of its samples were misclassified."""
        while not self.step():
            pass
        # The loop has just finished an epoch, so the log has its count.
        return self._log.last_misclassified or 0

    def train(self, max_epochs: int, *, stop_at_cycle: bool = False) -> PerceptronResult:
        """Run up to ``max_epochs`` more epochs, stopping after the first without a mistake.

        With ``stop_at_cycle`` the run also stops once the weights cycle, since
        every later epoch repeats one already seen.
        """
        if max_epochs < 1:
            raise EngineError(f"max_epochs is {max_epochs}; train at least 1 epoch")
        for _ in range(max_epochs):
            if self.converged or (stop_at_cycle and self.cycle_length is not None):
                break
            self.run_epoch()
        return self.result()

    def result(self) -> PerceptronResult:
        """Return the epochs so far and whether they converged or cycle."""
        return PerceptronResult(
            self.converged,
            self._log.records(),
            self.cycle_length,
            self.cycle_epochs,
            self.first_epoch,
        )

    def _plan_epoch(self) -> list[int]:
        count = len(self.X)
        if self._rng is None:
            return list(range(count))
        return [int(row) for row in self._rng.permutation(count)]

    def _finish_epoch(self) -> None:
        self.epoch += 1
        params = self.parameters
        self._log.append(self._mistakes, params.W, params.b)
        mistakes, self._mistakes = self._mistakes, 0

        # An epoch without a mistake leaves the weights as they were, which is
        # convergence rather than a cycle.
        if mistakes == 0 or self._seen is None:
            return
        key = self._state_key()
        earlier = self._seen.find(key)
        if earlier is None:
            self._seen.add(key, self.epoch)
            return

        # Every later epoch repeats one already seen, so the search stops here
        # and frees its table until a restart, and the log stores no more rows.
        self.cycle_length = self.epoch - earlier
        self.cycle_epochs = (earlier, self.epoch)
        self._log.expect_period(self.cycle_length)
        self._start = None
        self._seen = None

    def _state_key(self) -> bytes:
        params = self.parameters
        return state_key(params.W, params.b)

    def _state_key_at(self, epoch: int) -> bytes:
        # The search's first state is the only one not at the end of a logged epoch.
        if self._start is not None and epoch == self._start[0]:
            return self._start[1]
        return self._log.state_key(epoch)


def _check_learning_rate(value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise EngineError(
            f"learning rate {value!r} is invalid; the perceptron rule needs "
            "a number above 0, such as 0.25"
        )


def _checked_data(network: Network, X: Array, y: Array) -> tuple[Array, Array]:
    """Return X and y in the network's dtype after checking their shapes and values."""
    inputs = network.spec.input_units
    units = network.spec.layers[0].units
    X = np.asarray(X, dtype=network.dtype)
    y = np.asarray(y, dtype=network.dtype)
    if X.ndim != 2 or X.shape[1] != inputs:
        raise EngineError(f"X has shape {X.shape}; it must be (samples, {inputs})")
    if len(X) == 0:
        raise EngineError("the dataset has no samples; add at least one row")
    if y.shape != (len(X), units):
        raise EngineError(f"y has shape {y.shape}; it must be ({len(X)}, {units})")
    if not np.all(np.isfinite(X)):
        raise EngineError("X contains NaN or infinite values; every input must be a finite number")

    wrong = np.argwhere((y != 0) & (y != 1))
    if len(wrong):
        row, column = (int(index) for index in wrong[0])
        raise EngineError(
            f"target row {row + 1}, column {column + 1} is {y[row, column]:g}, but the "
            "perceptron rule needs targets of 0 or 1; use a classification dataset"
        )
    return X, y


def _epochs(count: int, more: str = "") -> str:
    return f"1 {more}epoch" if count == 1 else f"{count} {more}epochs"
