"""Weight initializers, registered by name.

Each takes a NumPy generator, fan_in and fan_out and returns W of shape
(fan_in, fan_out). Biases start at zero. Formulas:

- zeros: every weight 0 (shows the symmetry problem: hidden units stay equal)
- uniform: U(-scale, scale)
- normal: N(0, scale^2)
- xavier_uniform: U(-r, r) with r = sqrt(6 / (fan_in + fan_out))   (Glorot and Bengio, 2010)
- xavier_normal: N(0, 2 / (fan_in + fan_out))
- he_uniform: U(-r, r) with r = sqrt(6 / fan_in)                   (He et al., 2015)
- he_normal: N(0, 2 / fan_in)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.errors import EngineError
from nnstudio.engine.graph import NetworkSpec
from nnstudio.engine.network import LayerParameters, Parameters

Array = NDArray[np.float64]
Initializer = Callable[[np.random.Generator, int, int, float], Array]


def _zeros(rng: np.random.Generator, fan_in: int, fan_out: int, scale: float) -> Array:
    return np.zeros((fan_in, fan_out))


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
}


def initialize(spec: NetworkSpec, method: str, seed: int, scale: float = 0.5) -> Parameters:
    """Draw every layer's weights with ``method`` from a generator seeded with ``seed``."""
    if method not in INITIALIZERS:
        choices = ", ".join(INITIALIZERS)
        raise EngineError(f"unknown weight initialization {method!r}; choose one of: {choices}")
    draw = INITIALIZERS[method]
    # A stream of its own, so that the shuffling stream of the same seed is
    # independent of how many weights the network has.
    rng = np.random.default_rng([seed, 0])
    parameters: Parameters = {}
    for name in spec.order:
        layer = spec.layer(name)
        W = draw(rng, spec.fan_in(name), layer.units, scale)
        b = np.zeros(layer.units) if layer.bias else None
        parameters[name] = LayerParameters(W, b)
    return parameters
