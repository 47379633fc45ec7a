"""Gradient-descent optimizers, with the update rules PyTorch's torch.optim uses.

- sgd: w -= lr * g
- momentum: v = momentum * v + g; w -= lr * v (v starts at 0)
- adam: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
  w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

The learning rate and momentum are plain attributes, so they can change between
steps without resetting the optimizer's state.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.errors import EngineError
from nnstudio.engine.network import Parameters

Array = NDArray[np.floating]


class Optimizer:
    name = ""

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = learning_rate

    def update(self, parameters: Parameters, gradients: Parameters) -> None:
        """Change ``parameters`` in place by one step along ``gradients``."""
        for name, layer in parameters.items():
            grad = gradients[name]
            self._apply(f"{name}/W", layer.W, grad.W)
            if layer.b is not None and grad.b is not None:
                self._apply(f"{name}/b", layer.b, grad.b)

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

    def _apply(self, key: str, value: Array, grad: Array) -> None:
        velocity = self._velocity.get(key)
        if velocity is None:
            # PyTorch starts the buffer at the first gradient, which equals 0 * m + g.
            velocity = grad.copy()
            self._velocity[key] = velocity
        else:
            velocity *= self.momentum
            velocity += grad
        value -= self.learning_rate * velocity


class Adam(Optimizer):
    name = "adam"

    def __init__(
        self,
        learning_rate: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(learning_rate)
        self.betas = betas
        self.eps = eps
        self._moments: dict[str, tuple[Array, Array, list[int]]] = {}

    def _apply(self, key: str, value: Array, grad: Array) -> None:
        if key not in self._moments:
            self._moments[key] = (np.zeros_like(value), np.zeros_like(value), [0])
        m, v, count = self._moments[key]
        beta1, beta2 = self.betas
        count[0] += 1
        m *= beta1
        m += (1.0 - beta1) * grad
        v *= beta2
        v += (1.0 - beta2) * grad * grad
        m_hat = m / (1.0 - beta1 ** count[0])
        v_hat = v / (1.0 - beta2 ** count[0])
        value -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.eps)


OPTIMIZERS = ("sgd", "momentum", "adam")


def make_optimizer(name: str, learning_rate: float, momentum: float = 0.9) -> Optimizer:
    """Build the optimizer registered as ``name``."""
    if name == "sgd":
        return SGD(learning_rate)
    if name == "momentum":
        return Momentum(learning_rate, momentum)
    if name == "adam":
        return Adam(learning_rate)
    raise EngineError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}")
