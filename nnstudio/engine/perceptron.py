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
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.activations import make_activation
from nnstudio.engine.errors import EngineError
from nnstudio.engine.graph import LayerSpec, NetworkSpec
from nnstudio.engine.network import LayerParameters, Network

Array = NDArray[np.floating]

STEP = "step"


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


@dataclass
class PerceptronResult:
    """The passes of a perceptron run and whether it converged or cycles.

    ``cycle_length`` is the number of epochs after which the weights repeat,
    or None when no repetition was found. ``cycle_epochs`` is then (e, e +
    cycle_length): the weights at the end of both epochs are equal, with epoch 0
    meaning the weights the trainer started from. ``first_epoch`` is the number
    of epochs trained before this run, so the first record is epoch
    ``first_epoch + 1``.
    """

    converged: bool
    epochs: list[EpochRecord] = field(default_factory=list)
    cycle_length: int | None = None
    cycle_epochs: tuple[int, int] | None = None
    first_epoch: int = 0

    @property
    def cycle_detected(self) -> bool:
        return self.cycle_length is not None

    @property
    def misclassified(self) -> list[int]:
        """Return the misclassified count of every epoch, first epoch first."""
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

    NOTE: memory grows with the epochs, because every epoch keeps a record with
    copies of W and b, and the cycle search keeps each epoch's weights until it
    finds a cycle. For 2 inputs and 1 unit that is about 500 bytes per epoch
    (tracemalloc, 2000 epochs), so a run of a million epochs needs about 0.5 GB.
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
        self.records: list[EpochRecord] = []
        self.cycle_length: int | None = None
        self.cycle_epochs: tuple[int, int] | None = None
        # Index into X of the sample the last step() used, or None before the first step.
        self.last_sample: int | None = None
        self._rng = None if seed is None else np.random.default_rng(seed)
        # The current epoch's sample order, and how many of those samples are done.
        self._order: list[int] = []
        self._position = 0
        self._mistakes = 0
        # Weights at the end of each epoch (first_epoch: the start), keyed by their bytes.
        self._seen: dict[bytes, int] = {self._state_key(): first_epoch}
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
    def converged(self) -> bool:
        return bool(self.records) and self.records[-1].misclassified == 0

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
        step left, as after a weight set by hand.
        """
        self.cycle_length = None
        self.cycle_epochs = None
        self._seen = {} if self._position else {self._state_key(): self.epoch}

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
        return self.records[-1].misclassified

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
            list(self.records),
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
        b = None if params.b is None else params.b.copy()
        self.records.append(EpochRecord(self.epoch, self._mistakes, params.W.copy(), b))
        mistakes, self._mistakes = self._mistakes, 0

        # An epoch without a mistake leaves the weights as they were, which is
        # convergence rather than a cycle.
        if mistakes == 0 or self._rng is not None or self.cycle_length is not None:
            return
        key = self._state_key()
        if key in self._seen:
            self.cycle_length = self.epoch - self._seen[key]
            self.cycle_epochs = (self._seen[key], self.epoch)
        else:
            self._seen[key] = self.epoch

    def _state_key(self) -> bytes:
        # Adding 0.0 turns -0.0 into 0.0, so equal weights give equal bytes.
        params = self.parameters
        key = (params.W + 0.0).tobytes()
        if params.b is not None:
            key += (params.b + 0.0).tobytes()
        return key


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
