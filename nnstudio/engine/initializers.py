"""Weight initializers, registered by name.

Each takes a NumPy generator, fan_in and fan_out and returns W of shape
(fan_in, fan_out). Formulas:

- zeros: every weight 0 (shows the symmetry problem: hidden units stay equal)
- constant: every weight equal to scale (the same symmetry problem)
- uniform: U(-scale, scale)
- normal: N(0, scale^2)
- xavier_uniform: U(-r, r) with r = sqrt(6 / (fan_in + fan_out))   (Glorot and Bengio, 2010)
- xavier_normal: N(0, 2 / (fan_in + fan_out))
- he_uniform: U(-r, r) with r = sqrt(6 / fan_in)                   (He et al., 2015)
- he_normal: N(0, 2 / fan_in)

Biases start at 0 ("zeros") or at a given value ("constant"), and a prelu
layer's alpha starts at INITIAL_ALPHA. Neither draws from the generator, so
they leave the weights drawn for a seed unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.activations import INITIAL_ALPHA
from nnstudio.engine.errors import EngineError
from nnstudio.engine.graph import NetworkSpec
from nnstudio.engine.network import LayerParameters, Parameters

Array = NDArray[np.float64]
Initializer = Callable[[np.random.Generator, int, int, float], Array]


def _zeros(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float) -> Array:
    return np.zeros((fan_in, fan_out))


def _constant(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float) -> Array:
    return np.full((fan_in, fan_out), float(scale))


def _uniform(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float) -> Array:
    return rng.uniform(-scale, scale, (fan_in, fan_out))


def _normal(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float) -> Array:
    return rng.normal(0.0, scale, (fan_in, fan_out))


def _xavier_uniform(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float) -> Array:
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out))


def _xavier_normal(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float) -> Array:
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), (fan_in, fan_out))


def _he_uniform(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float) -> Array:
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, (fan_in, fan_out))


def _he_normal(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float) -> Array:
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out))


INITIALIZERS: dict[str, Initializer] = {
    "xavier_uniform": _xavier_uniform,
    "xavier_normal": _xavier_normal,
    "he_uniform": _he_uniform,
    "he_normal": _he_normal,
    "uniform": _uniform,
    "normal": _normal,
    "zeros": _zeros,
    "constant": _constant,
}

BIAS_INITIALIZERS = ("zeros", "constant")


def initialize(
    spec: NetworkSpec,
    method: str,
    seed: int,
    scale: float = 0.5,
    bias_init: str = "zeros",
    bias_value: float = 0.0,
) -> Parameters:
    """Draw every layer's weights with ``method`` from a generator seeded with ``seed``.

    ``scale`` applies to uniform, normal and constant. Biases are 0 with
    ``bias_init`` "zeros" and ``bias_value`` with "constant".
    """
    if method not in INITIALIZERS:
        choices = ", ".join(INITIALIZERS)
        raise EngineError(f"unknown weight initialization {method!r}; choose one of: {choices}")
    if bias_init not in BIAS_INITIALIZERS:
        choices = ", ".join(BIAS_INITIALIZERS)
        raise EngineError(f"unknown bias initialization {bias_init!r}; choose one of: {choices}")
    draw = INITIALIZERS[method]
    bias = bias_value if bias_init == "constant" else 0.0
    # A stream of its own, so that the shuffling stream of the same seed is
    # independent of how many weights the network has.
    rng = np.random.default_rng([seed, 0])
    parameters: Parameters = {}
    for name in spec.order:
        layer = spec.layer(name)
        W = draw(rng, spec.fan_in(name), layer.units, scale)
        b = np.full(layer.units, float(bias)) if layer.bias else None
        alpha_shape = layer.alpha_shape()
        alpha = None if alpha_shape is None else np.full(alpha_shape, INITIAL_ALPHA)
        parameters[name] = LayerParameters(W, b, alpha)
    return parameters
