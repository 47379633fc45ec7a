"""Gradient-descent optimizers, with the update rules PyTorch's torch.optim uses.

- sgd: w -= lr * g
- momentum: v = momentum * v + g; w -= lr * v (v starts at 0)
- adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
  w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

Every parameter array is updated: W, b and a prelu layer's alpha. The learning
rate, the momentum, Adam's betas and eps are plain attributes, so they can change
between steps without resetting the optimizer's state. Adam's bias correction
then uses the betas of the current step, as torch.optim.Adam does.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.errors import EngineError
from nnstudio.engine.network import Parameters

Array = NDArray[np.floating]

# torch.optim.Adam's defaults
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


class Optimizer:
    name = ""

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = learning_rate

    def set_hyperparameters(
        self, learning_rate: float, momentum: float, betas: tuple[float, float], eps: float
    ) -> None:
        """Use these values from the next update on. Each rule keeps the values it uses."""
        self.learning_rate = learning_rate

    def update(self, parameters: Parameters, gradients: Parameters) -> None:
        """Change ``parameters`` in place by one step along ``gradients``."""
        for name, layer in parameters.items():
            grad = gradients[name]
            self._apply(f"{name}/W", layer.W, grad.W)
            if layer.b is not None and grad.b is not None:
                self._apply(f"{name}/b", layer.b, grad.b)
            if layer.alpha is not None and grad.alpha is not None:
                self._apply(f"{name}/alpha", layer.alpha, grad.alpha)

    def _apply(self, key: str, value: Array, grad: Array) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    name = "sgd"

    def _apply(self, key: str, value: Array, grad: Array) -> None:
        value -= self.learning_rate * grad


class Momentum(Optimizer):
    name = "momentum"

    def __init__(self, learning_rate: float, momentum: float = 0.9) -> None:
        super().__init__(learning_rate)
        self.momentum = momentum
        self._velocity: dict[str, Array] = {}

    def set_hyperparameters(
        self, learning_rate: float, momentum: float, betas: tuple[float, float], eps: float
    ) -> None:
        self.learning_rate = learning_rate
        self.momentum = momentum

    def _apply(self, key: str, value: Array, grad: Array) -> None:
        momentum_update(self._velocity, key, value, grad, self.momentum, self.learning_rate)


def momentum_update(
    velocities: dict[str, Array],
    key: str,
    value: Array,
    grad: Array,
    momentum: float,
    learning_rate: float,
) -> None:
    """Update ``value`` in place by SGD with momentum, keeping its velocity in ``velocities``."""
    velocity = velocities.get(key)
    if velocity is None:
        # PyTorch starts the buffer at the first gradient, which equals 0 * m + g.
        velocity = grad.copy()
        velocities[key] = velocity
    else:
        velocity *= momentum
        velocity += grad
    value -= learning_rate * velocity


class Adam(Optimizer):
    name = "adam"

    def __init__(
        self,
        learning_rate: float,
        betas: tuple[float, float] = ADAM_BETAS,
        eps: float = ADAM_EPS,
    ) -> None:
        super().__init__(learning_rate)
        self.betas = betas
        self.eps = eps
        self._moments: dict[str, tuple[Array, Array, list[int]]] = {}

    def set_hyperparameters(
        self, learning_rate: float, momentum: float, betas: tuple[float, float], eps: float
    ) -> None:
        self.learning_rate = learning_rate
        self.betas = betas
        self.eps = eps

    def _apply(self, key: str, value: Array, grad: Array) -> None:
        if key not in self._moments:
            self._moments[key] = (np.zeros_like(value), np.zeros_like(value), [0])
        m, v, count = self._moments[key]
        count[0] += 1
        adam_update(m, v, value, grad, count[0], self.learning_rate, self.betas, self.eps)


def adam_update(
    m: Array,
    v: Array,
    value: Array,
    grad: Array,
    step: int,
    learning_rate: float,
    betas: tuple[float, float],
    eps: float,
) -> None:
    """Update ``value`` and its moments ``m`` and ``v`` in place by Adam step number ``step``.

    ``step`` counts from 1 and sets the bias correction. The arrays share one
    shape, so K stacked copies of a parameter that have all taken the same
    number of steps are updated at once with one ``step``.
    """
    beta1, beta2 = betas
    m *= beta1
    m += (1.0 - beta1) * grad
    v *= beta2
    v += (1.0 - beta2) * grad * grad
    m_hat = m / (1.0 - beta1**step)
    v_hat = v / (1.0 - beta2**step)
    value -= learning_rate * m_hat / (np.sqrt(v_hat) + eps)


OPTIMIZERS = ("sgd", "momentum", "adam")


def make_optimizer(
    name: str,
    learning_rate: float,
    momentum: float = 0.9,
    betas: tuple[float, float] = ADAM_BETAS,
    eps: float = ADAM_EPS,
) -> Optimizer:
    """Build the optimizer registered as ``name``, which ignores the arguments of other rules."""
    if name == "sgd":
        return SGD(learning_rate)
    if name == "momentum":
        return Momentum(learning_rate, momentum)
    if name == "adam":
        return Adam(learning_rate, betas, eps)
    raise EngineError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}")
