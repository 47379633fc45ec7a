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
    """The largest relative error between the two gradients of one layer's parameters."""

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
        worst = 0.0
        pairs = [(params.W, analytic[name].W)]
        if params.b is not None and analytic[name].b is not None:
            pairs.append((params.b, analytic[name].b))
        for value, grad in pairs:
            numeric = _central_differences(network, X, y, loss, value, h)
            worst = max(worst, float(relative_error(grad, numeric).max()))
        results.append(LayerCheck(name, worst))
    return results


def _central_differences(
    network: Network, X: Array, y: Array, loss: Loss, value: Array, h: float
) -> Array:
    numeric = np.zeros_like(value)
    flat = value.reshape(-1)
    out = numeric.reshape(-1)
    for index in range(flat.size):
        original = flat[index]
        flat[index] = original + h
        plus = network.loss(X, y, loss)
        flat[index] = original - h
        minus = network.loss(X, y, loss)
        flat[index] = original
        out[index] = (plus - minus) / (2 * h)
    return numeric
