"""The Trainer's evaluation on the fast path: the general forward pass, without its allocations.

After each epoch the Trainer evaluates the loss and accuracy on the whole
training set (and the loss on the validation set). Those numbers go into the
history, the CLI's output and the project file, and they must equal what
Network.loss and training.accuracy give for the same weights, bit for bit.
So ``Evaluation`` repeats Network.forward operation by operation, in the
engine's (samples, units) layout, with z = a @ W, then + b, and each
activation's own formula (sigmoid in its split form, softmax along axis 1),
but into buffers allocated once, and hands the output to the engine's loss.
Only the target-dependent half of the accuracy is computed once per dataset.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

from nnstudio.engine import activations
from nnstudio.engine.fast_kernels import Array, Call
from nnstudio.engine.fast_plan import Slot
from nnstudio.engine.losses import Loss


class Evaluation:
    """The data loss and accuracy of the weights in ``slots`` on one dataset (X, y)."""

    def __init__(
        self,
        slots: list[Slot],
        kinds: dict[str, activations.Activation],
        input_name: str,
        loss: Loss,
        X: Array,
        y: Array,
    ) -> None:
        self.loss = loss
        self.y = y
        self.accuracy = accuracy_rule(y)
        count = len(X)
        dtype = X.dtype
        outputs: dict[str, Array] = {input_name: X}
        self.calls: list[Call] = []
        for slot in slots:
            layer_input = outputs[slot.sources[0]]
            if len(slot.sources) > 1:
                layer_input = np.empty((count, slot.fan_in), dtype)
                start = 0
                for source in slot.sources:
                    part = outputs[source]
                    width = part.shape[1]
                    self.calls.append((np.copyto, (layer_input[:, start : start + width], part)))
                    start += width
            z = np.empty((count, slot.units), dtype)
            self.calls.append((np.matmul, (layer_input, slot.W, z)))
            if slot.has_bias:
                self.calls.append((np.add, (z, slot.weights[slot.fan_in], z)))
            a, calls = exact_forward(kinds[slot.name], z)
            self.calls += calls
            outputs[slot.name] = a
        self.logits = z
        self.output = a

    def evaluate(self) -> tuple[float, float | None]:
        """Return the data loss and the accuracy (None for a regression) of the current weights."""
        for function, arguments in self.calls:
            function(*arguments)
        if self.loss.logit_activation is not None:
            value = self.loss.value_from_logits(self.logits, self.y)
        else:
            value = self.loss.value(self.output, self.y)
        return value, self.accuracy(self.output)


def exact_forward(activation: activations.Activation, z: Array) -> tuple[Array, list[Call]]:
    """Return a buffer and the calls that write ``activation.forward(z)`` into it, bit for bit."""
    kind = type(activation)
    dtype = z.dtype
    zero, one = np.zeros((), dtype), np.ones((), dtype)
    if kind is activations.Identity:
        return z, []
    a = np.empty_like(z)
    if kind is activations.Tanh:
        return a, [(np.tanh, (z, a))]
    if kind is activations.ReLU:
        # np.maximum takes its output only by keyword since NumPy 2.4.
        return a, [(partial(np.maximum, out=a), (z, zero))]
    if kind is activations.Absolute:
        return a, [(np.absolute, (z, a))]
    mask = np.empty(z.shape, bool)
    if kind is activations.Sigmoid:
        # np.where(z >= 0, 1 / (1 + e), e / (1 + e)) with e = exp(-|z|)
        e, denominator, positive = np.empty_like(z), np.empty_like(z), np.empty_like(z)
        return a, [
            (np.absolute, (z, e)),
            (np.negative, (e, e)),
            (np.exp, (e, e)),
            (np.add, (one, e, denominator)),
            (np.divide, (one, denominator, positive)),
            (np.divide, (e, denominator, a)),
            (np.greater_equal, (z, zero, mask)),
            (np.copyto, (a, positive, "same_kind", mask)),
        ]
    if isinstance(activation, activations.LeakyReLU):
        # np.where(z > 0, z, slope * z)
        slope = np.array(activation.slope, dtype)
        return a, [
            (np.multiply, (slope, z, a)),
            (np.greater, (z, zero, mask)),
            (np.copyto, (a, z, "same_kind", mask)),
        ]
    if kind is activations.Softmax:
        # shifted = z - max over the row; e / sum of e over the row
        row = np.empty((len(z), 1), dtype)
        return a, [
            (np.maximum.reduce, (z, 1, None, row, True)),
            (np.subtract, (z, row, a)),
            (np.exp, (a, a)),
            (np.add.reduce, (a, 1, None, row, True)),
            (np.divide, (a, row, a)),
        ]
    raise ValueError(f"no exact in-place forward for {activation.name}")


def accuracy_rule(y: Array) -> Callable[[Array], float | None]:
    """Return accuracy(output, y) of training.py as a function of the output alone.

    The share of right samples is the count of them divided by the sample
    count, which equals np.mean of the booleans exactly: both divide two
    integers below 2**53 and round once.
    """
    count = len(y)
    if count == 0 or not np.all((y == 0) | (y == 1)):
        return lambda output: None
    if y.shape[1] == 1:
        positive = y >= 0.5
        return lambda output: np.count_nonzero((output >= 0.5) == positive) / count
    if np.all(y.sum(axis=1) == 1):
        classes = y.argmax(axis=1)
        return lambda output: np.count_nonzero(output.argmax(axis=1) == classes) / count
    positive = y >= 0.5
    return lambda output: np.count_nonzero(np.all((output >= 0.5) == positive, axis=1)) / count
