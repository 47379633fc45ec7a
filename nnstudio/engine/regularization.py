"""L1 and L2 penalties on the weights W, added to the data loss during training.

penalty = l1 * sum |W| + l2 / 2 * sum W^2, summed over every layer's W.
d penalty / dW = l1 * sign(W) + l2 * W, with sign(0) = 0.

Biases and prelu alphas are not penalized. The l2 term is the weight decay of
torch.optim.SGD(weight_decay=l2), which adds l2 * W to the gradient. The
penalty does not depend on the batch, so every update adds its whole gradient,
in minibatch and stochastic training too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.engine.network import Parameters


@dataclass(frozen=True)
class Regularization:
    """The coefficients l1 and l2 (both at least 0) of the weight penalty."""

    l1: float = 0.0
    l2: float = 0.0

    @property
    def active(self) -> bool:
        return self.l1 > 0 or self.l2 > 0

    def penalty(self, parameters: Parameters) -> float:
        """Return l1 * sum |W| + l2 / 2 * sum W^2 over every layer."""
        total = 0.0
        for layer in parameters.values():
            if self.l1 > 0:
                total += self.l1 * float(np.abs(layer.W).sum())
            if self.l2 > 0:
                total += 0.5 * self.l2 * float((layer.W * layer.W).sum())
        return total

    def add_gradient(self, parameters: Parameters, gradients: Parameters) -> None:
        """Add d penalty / dW to every layer's dLoss/dW in ``gradients``, in place."""
        for name, layer in parameters.items():
            grad = gradients[name].W
            if self.l1 > 0:
                grad += self.l1 * np.sign(layer.W)
            if self.l2 > 0:
                grad += self.l2 * layer.W
