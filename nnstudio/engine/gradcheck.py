"""Finite-difference check of the backpropagated gradients."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.losses import Loss
from nnstudio.engine.network import Network

Array = NDArray[np.floating]


@dataclass
class LayerCheck:
    """The largest difference between the two gradients of one layer's W and b.

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
    network: Network, X: Array, y: Array, loss: Loss, h: float = 1e-6
) -> list[LayerCheck]:
    """Compare backpropagation with central differences (L(w+h) - L(w-h)) / 2h per parameter."""
    analytic = network.gradients(X, y, loss).parameters
    results = []
    for name in network.spec.order:
        params = network.parameters[name]
        pairs = [(params.W, analytic[name].W)]
        bias_grad = analytic[name].b
        if params.b is not None and bias_grad is not None:
            pairs.append((params.b, bias_grad))
        difference, scale = 0.0, 1e-8
        for value, grad in pairs:
            numeric = _central_differences(network, X, y, loss, value, h)
            difference = max(difference, float(np.abs(grad - numeric).max()))
            scale = max(scale, float(np.abs(grad).max()), float(np.abs(numeric).max()))
        results.append(LayerCheck(name, difference / scale))
    return results


def _central_differences(
    network: Network, X: Array, y: Array, loss: Loss, value: Array, h: float
) -> Array:
    # Index value itself: reshape(-1) copies a non-contiguous array (such as a
    # transposed W), and nudging the copy would leave the network unchanged.
    numeric = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        original = value[index]
        value[index] = original + h
        plus = network.loss(X, y, loss)
        value[index] = original - h
        minus = network.loss(X, y, loss)
        value[index] = original
        numeric[index] = (plus - minus) / (2 * h)
    return numeric
