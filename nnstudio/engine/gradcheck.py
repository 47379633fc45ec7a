"""Finite-difference check of the backpropagated gradients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.losses import Loss
from nnstudio.engine.network import LayerParameters, Network
from nnstudio.engine.regularization import Regularization

Array = NDArray[np.floating]


@dataclass
class LayerCheck:
    """The largest difference between the two gradients of one layer's W, b and prelu alpha.

    The difference is divided by the largest magnitude in either gradient of
    that layer. Central differences resolve only about eps * loss / h, so an
    entry near zero measured against itself would report rounding as error.
    """

    layer: str
    max_relative_error: float


def relative_error(analytic: Array, numeric: Array) -> Array:
    """|a - n| / max(|a|, |n|, 1e-8), element by element; the floor avoids 0/0."""
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), 1e-8)
    result: Array = np.abs(analytic - numeric) / scale
    return result


def check_gradients(
    network: Network,
    X: Array,
    y: Array,
    loss: Loss,
    h: float = 1e-6,
    regularization: Regularization | None = None,
) -> list[LayerCheck]:
    """Compare backpropagation with central differences (L(w+h) - L(w-h)) / 2h per parameter.

    With ``regularization`` the loss L includes the weight penalty, and the
    backpropagated gradient includes its derivative, as in training.
    """
    penalty = regularization or Regularization()
    analytic = network.gradients(X, y, loss).parameters
    penalty.add_gradient(network.parameters, analytic)

    def total_loss() -> float:
        return network.loss(X, y, loss) + penalty.penalty(network.parameters)

    results = []
    for name in network.spec.order:
        difference, scale = 0.0, 1e-8
        for value, grad in _pairs(network.parameters[name], analytic[name]):
            numeric = _central_differences(total_loss, value, h)
            difference = max(difference, float(np.abs(grad - numeric).max()))
            scale = max(scale, float(np.abs(grad).max()), float(np.abs(numeric).max()))
        results.append(LayerCheck(name, difference / scale))
    return results


def _pairs(params: LayerParameters, grads: LayerParameters) -> list[tuple[Array, Array]]:
    """Return each parameter array of a layer with its backpropagated gradient."""
    pairs = [(params.W, grads.W)]
    if params.b is not None and grads.b is not None:
        pairs.append((params.b, grads.b))
    if params.alpha is not None and grads.alpha is not None:
        pairs.append((params.alpha, grads.alpha))
    return pairs


def _central_differences(total_loss: Callable[[], float], value: Array, h: float) -> Array:
    # Index value itself: reshape(-1) copies a non-contiguous array (such as a
    # transposed W), and nudging the copy would leave the network unchanged.
    numeric = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        original = value[index]
        value[index] = original + h
        plus = total_loss()
        value[index] = original - h
        minus = total_loss()
        value[index] = original
        numeric[index] = (plus - minus) / (2 * h)
    return numeric
