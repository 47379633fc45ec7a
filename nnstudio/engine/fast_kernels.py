"""In-place NumPy kernels of the fast training step: activations and output errors.

Every kernel returns a list of NumPy calls, each a function and its arguments
with the buffers already bound, which the step runs in order. Arrays are
feature-major, (units, samples), the transpose of the engine's layout, so that
every element-wise call runs on contiguous memory and softmax reduces along
axis 0. Scalars are 0-d arrays of the network's dtype (``Constants``), because
NumPy converts a Python float argument on every call, which costs about as
much as the call itself on small arrays. Each kernel computes what its
counterpart in activations.py or losses.py computes, in the same order of
operations where that is possible, so the two paths agree to rounding.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine import activations

Array = NDArray[np.floating]
# One NumPy call of a compiled step: the function and its arguments, buffers included.
Call = tuple[Callable[..., object], tuple[object, ...]]


class Constants:
    """The scalars the kernels use, as 0-d arrays of the network's dtype."""

    def __init__(self, dtype: type) -> None:
        self.dtype = dtype
        self.zero: Array = np.zeros((), dtype)
        self.half: Array = np.array(0.5, dtype)
        self.one: Array = np.ones((), dtype)

    def of(self, value: float) -> Array:
        """Return ``value`` as a new 0-d array of the dtype."""
        return np.array(value, self.dtype)


class Kernel:
    """One activation as NumPy calls that write into given buffers.

    ``scratch`` belongs to the layer and has the shape of z, so forward may
    leave in it what backward needs (a mask or a derivative).
    """

    def __init__(self, constants: Constants) -> None:
        self.c = constants

    def forward(self, z: Array, out: Array, scratch: Array) -> list[Call]:
        """Return the calls that write f(z) into ``out``, which may be ``z`` itself."""
        raise NotImplementedError

    def backward(self, a: Array, grad: Array, scratch: Array) -> list[Call]:
        """Return the calls that turn ``grad`` from dLoss/da into dLoss/dz in place."""
        raise NotImplementedError


class IdentityKernel(Kernel):
    def forward(self, z: Array, out: Array, scratch: Array) -> list[Call]:
        return [] if out is z else [(np.copyto, (out, z))]

    def backward(self, a: Array, grad: Array, scratch: Array) -> list[Call]:
        return []


class SigmoidKernel(Kernel):
    def forward(self, z: Array, out: Array, scratch: Array) -> list[Call]:
        # sigmoid(z) = 0.5 * tanh(z / 2) + 0.5 cannot overflow, so the step
        # needs no guard. It rounds differently from the engine's split form by
        # about an ulp, and below about 1e-16 it keeps only its absolute accuracy.
        half = self.c.half
        return [
            (np.multiply, (z, half, out)),
            (np.tanh, (out, out)),
            (np.multiply, (out, half, out)),
            (np.add, (out, half, out)),
        ]

    def backward(self, a: Array, grad: Array, scratch: Array) -> list[Call]:
        # The engine's grad * (a * (1 - a)), in the same order.
        return [
            (np.subtract, (self.c.one, a, scratch)),
            (np.multiply, (scratch, a, scratch)),
            (np.multiply, (grad, scratch, grad)),
        ]


class TanhKernel(Kernel):
    def forward(self, z: Array, out: Array, scratch: Array) -> list[Call]:
        return [(np.tanh, (z, out))]

    def backward(self, a: Array, grad: Array, scratch: Array) -> list[Call]:
        # The engine's grad * (1 - a * a).
        return [
            (np.multiply, (a, a, scratch)),
            (np.subtract, (self.c.one, scratch, scratch)),
            (np.multiply, (grad, scratch, grad)),
        ]


class ReLUKernel(Kernel):
    """relu(z) = z * (z > 0), with the 0/1 mask left in ``scratch`` for backward."""

    def forward(self, z: Array, out: Array, scratch: Array) -> list[Call]:
        # The engine's np.maximum(z, 0) gives +0.0 where this gives -0.0 for
        # z < 0; both compare equal and add the same into the next product.
        return [
            (np.greater, (z, self.c.zero, scratch)),
            (np.multiply, (z, scratch, out)),
        ]

    def backward(self, a: Array, grad: Array, scratch: Array) -> list[Call]:
        return [(np.multiply, (grad, scratch, grad))]


class LeakyReLUKernel(Kernel):
    """z where z > 0, slope * z elsewhere, with the derivative (1 or slope) kept in ``scratch``."""

    def __init__(self, constants: Constants, slope: float) -> None:
        super().__init__(constants)
        self.slope = constants.of(slope)

    def forward(self, z: Array, out: Array, scratch: Array) -> list[Call]:
        mask = np.empty(z.shape, bool)
        return [
            (np.greater, (z, self.c.zero, mask)),
            (np.copyto, (scratch, self.slope)),
            (np.copyto, (scratch, self.c.one, "same_kind", mask)),
            (np.multiply, (z, scratch, out)),
        ]

    def backward(self, a: Array, grad: Array, scratch: Array) -> list[Call]:
        return [(np.multiply, (grad, scratch, grad))]


class AbsoluteKernel(Kernel):
    """|z|, with sign(z), the derivative, kept in ``scratch``."""

    def forward(self, z: Array, out: Array, scratch: Array) -> list[Call]:
        return [(np.sign, (z, scratch)), (np.absolute, (z, out))]

    def backward(self, a: Array, grad: Array, scratch: Array) -> list[Call]:
        return [(np.multiply, (grad, scratch, grad))]


# The engine's activation classes the fast step has kernels for. A class, not
# a name, decides: an activation added under another class falls back.
HIDDEN_KERNELS: dict[type[activations.Activation], type[Kernel]] = {
    activations.Identity: IdentityKernel,
    activations.Sigmoid: SigmoidKernel,
    activations.Tanh: TanhKernel,
    activations.ReLU: ReLUKernel,
    activations.LeakyReLU: LeakyReLUKernel,
    activations.Absolute: AbsoluteKernel,
}
# Losses from the logits, by loss name, with the output activation class they need.
LOGIT_OUTPUTS: dict[str, type[activations.Activation]] = {
    "binary_cross_entropy": activations.Sigmoid,
    "cross_entropy": activations.Softmax,
}
# Losses of the output activation itself, with dLoss/da as the output error.
ACTIVATION_LOSSES = ("mse", "mae")


def make_kernel(activation: activations.Activation, constants: Constants) -> Kernel:
    """Return the kernel of an engine activation the fast step supports.

    A softmax or sigmoid output under a loss from the logits gets a kernel too,
    but the step never calls it: output_error computes that loss's error fused.
    """
    if isinstance(activation, activations.LeakyReLU):
        return LeakyReLUKernel(constants, activation.slope)
    return HIDDEN_KERNELS.get(type(activation), IdentityKernel)(constants)


class ErrorScale:
    """The factor c of a batch's output error: lr / N when the step folds SGD's rate in, else 1 / N.

    With plain SGD every gradient is linear in the output error, so scaling the
    error by lr / N in place of 1 / N makes the gradient vector lr * g, and the
    update a single subtraction. The two round differently by about an ulp.
    """

    def __init__(self, count: int, constants: Constants, rate: float | None) -> None:
        self.count = count
        self.c = constants.of(0.0)
        self.half_c = constants.of(0.0)
        # vectors that hold 1 / c, for softmax's scaled sum
        self.inverses: list[Array] = []
        self.set_rate(rate)

    @property
    def factor(self) -> float:
        return (1.0 if self.rate is None else self.rate) / self.count

    def set_rate(self, rate: float | None) -> None:
        """Use lr / N for a learning rate other than 0, or 1 / N for None."""
        self.rate = rate
        factor = self.factor
        self.c[...] = factor
        self.half_c[...] = 0.5 * factor
        for vector in self.inverses:
            vector[...] = 1.0 / factor


def scaled_targets(loss_name: str, y: Array, factor: float) -> Array:
    """Return targets (outputs, samples) as output_error reads them for a factor c.

    Binary cross-entropy reads c (0.5 - y), cross-entropy c y, and mse and mae y itself.
    """
    scaled: Array
    if loss_name == "binary_cross_entropy":
        scaled = np.multiply(0.5 - y, factor, dtype=y.dtype)
        return scaled
    if loss_name == "cross_entropy":
        scaled = np.multiply(y, factor, dtype=y.dtype)
        return scaled
    return y


def output_error(
    loss_name: str, logits: Array, output: Array, y: Array, scale: ErrorScale, error: Array
) -> list[Call]:
    """Return the calls that write c dLoss/doutput into ``error``, (outputs, samples).

    ``y`` contains scaled_targets. For a loss from the logits this is c dLoss/dz =
    c (p - y), fused with the output activation: binary cross-entropy gives
    (c / 2) tanh(z / 2) + c (0.5 - y), since sigmoid(z) = tanh(z / 2) / 2 + 1/2,
    and cross-entropy gives e / (sum(e) / c) - c y with e = exp(z - max z), the
    sum over the classes taken as a product with a vector of 1 / c. For mse it is
    c (a - y) and for mae c sign(a - y), which the output activation's backward
    then turns into c dLoss/dz.
    """
    if loss_name == "binary_cross_entropy":
        half = np.array(0.5, logits.dtype)
        return [
            (np.multiply, (logits, half, error)),
            (np.tanh, (error, error)),
            (np.multiply, (error, scale.half_c, error)),
            (np.add, (error, y, error)),
        ]
    if loss_name == "cross_entropy":
        classes, count = logits.shape
        column_max = np.empty(count, logits.dtype)
        column_sum = np.empty(count, logits.dtype)
        inverse = np.full(classes, 1.0 / scale.factor, logits.dtype)
        scale.inverses.append(inverse)
        return [
            (np.maximum.reduce, (logits, 0, None, column_max)),
            (np.subtract, (logits, column_max, error)),
            (np.exp, (error, error)),
            # BLAS sums the short axis 0 faster than np.sum does.
            (np.dot, (inverse, error, column_sum)),
            (np.divide, (error, column_sum, error)),
            (np.subtract, (error, y, error)),
        ]
    calls: list[Call] = [(np.subtract, (output, y, error))]
    if loss_name == "mae":
        calls.append((np.sign, (error, error)))
    calls.append((np.multiply, (error, scale.c, error)))
    return calls
