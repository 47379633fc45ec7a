"""Loss functions, registered by name, each with its gradient beside it.

Every loss is a mean over the N samples of a batch and a sum over outputs.
``gradient`` returns dLoss/doutput with the 1/N already applied. Binary
cross-entropy pairs with a sigmoid output and cross-entropy with softmax. Each
of these is also computed from the logits z, which keeps it finite however
large z grows. Its gradient with respect to z is then simply (p - y) / N.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.activations import Sigmoid
from nnstudio.engine.errors import EngineError

Array = NDArray[np.floating]


class Loss:
    """One loss: its value and its gradient with respect to the network output."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    # The output activation this loss is computed through from the logits;
    # None when the loss works on any output.
    logit_activation: ClassVar[str | None] = None

    def value(self, output: Array, y: Array) -> float:
        raise NotImplementedError

    def gradient(self, output: Array, y: Array) -> Array:
        raise NotImplementedError

    def value_from_logits(self, z: Array, y: Array) -> float:
        raise EngineError(f"{self.name} is not computed from logits")

    def gradient_from_logits(self, z: Array, y: Array) -> Array:
        raise EngineError(f"{self.name} is not computed from logits")


class MeanSquaredError(Loss):
    """(1/N) sum_n 1/2 ||output_n - y_n||^2; the 1/2 makes the gradient output - y."""

    name = "mse"
    label = "Mean squared error (with 1/2)"

    def value(self, output: Array, y: Array) -> float:
        diff = output - y
        return float(0.5 * np.sum(diff * diff) / len(y))

    def gradient(self, output: Array, y: Array) -> Array:
        result: Array = (output - y) / len(y)
        return result


class MeanAbsoluteError(Loss):
    """(1/N) sum_n ||output_n - y_n||_1, with subgradient 0 where output == y."""

    name = "mae"
    label = "Mean absolute error"

    def value(self, output: Array, y: Array) -> float:
        return float(np.sum(np.abs(output - y)) / len(y))

    def gradient(self, output: Array, y: Array) -> Array:
        result: Array = np.sign(output - y) / len(y)
        return result


class BinaryCrossEntropy(Loss):
    """(1/N) sum -(y log p + (1 - y) log(1 - p)) with p = sigmoid(z)."""

    name = "binary_cross_entropy"
    label = "Binary cross-entropy"
    logit_activation = "sigmoid"

    def value(self, output: Array, y: Array) -> float:
        # Only reached when the output is not a sigmoid of known logits; clip
        # so that a probability of exactly 0 or 1 gives a large finite loss.
        tiny = np.finfo(output.dtype).tiny
        p = np.clip(output, tiny, 1.0 - np.finfo(output.dtype).eps)
        return float(-np.sum(y * np.log(p) + (1.0 - y) * np.log1p(-p)) / len(y))

    def gradient(self, output: Array, y: Array) -> Array:
        eps = np.finfo(output.dtype).eps
        p = np.clip(output, eps, 1.0 - eps)
        result: Array = (p - y) / (p * (1.0 - p)) / len(y)
        return result

    def value_from_logits(self, z: Array, y: Array) -> float:
        # -log sigmoid(z) = softplus(-z); written so that exp never overflows.
        softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))
        return float(np.sum(softplus - y * z) / len(y))

    def gradient_from_logits(self, z: Array, y: Array) -> Array:
        result: Array = (_SIGMOID.forward(z) - y) / len(y)
        return result


class CrossEntropy(Loss):
    """(1/N) sum -y log p with p = softmax(z), from the log-softmax of the logits."""

    name = "cross_entropy"
    label = "Cross-entropy (softmax)"
    logit_activation = "softmax"

    def value(self, output: Array, y: Array) -> float:
        p = np.clip(output, np.finfo(output.dtype).tiny, 1.0)
        return float(-np.sum(y * np.log(p)) / len(y))

    def gradient(self, output: Array, y: Array) -> Array:
        p = np.clip(output, np.finfo(output.dtype).tiny, 1.0)
        result: Array = -y / p / len(y)
        return result

    def value_from_logits(self, z: Array, y: Array) -> float:
        return float(-np.sum(y * _log_softmax(z)) / len(y))

    def gradient_from_logits(self, z: Array, y: Array) -> Array:
        result: Array = (np.exp(_log_softmax(z)) - y) / len(y)
        return result


_SIGMOID = Sigmoid()


def _log_softmax(z: Array) -> Array:
    shifted = z - z.max(axis=1, keepdims=True)
    result: Array = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return result


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (MeanSquaredError, MeanAbsoluteError, BinaryCrossEntropy, CrossEntropy)
}


def make_loss(name: str) -> Loss:
    """Build the loss registered as ``name``."""
    if name not in LOSSES:
        choices = ", ".join(sorted(LOSSES))
        raise EngineError(f"unknown loss {name!r}; choose one of: {choices}")
    return LOSSES[name]()
