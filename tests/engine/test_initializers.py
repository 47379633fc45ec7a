"""Initializers: the constant initializer, bias initialization, and unchanged default draws."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from nnstudio.engine.errors import EngineError
from nnstudio.engine.graph import LayerSpec, NetworkSpec
from nnstudio.engine.initializers import INITIALIZERS, initialize

Draw = Callable[[np.random.Generator, int, int], NDArray[np.float64]]

# 3 inputs to 4 units with bias, 4 to 2 without.
SPEC = NetworkSpec(
    3,
    (
        LayerSpec("hidden", 4, "tanh", ("input",)),
        LayerSpec("output", 2, "identity", ("hidden",), bias=False),
    ),
)


def test_constant_weights_exact() -> None:
    parameters = initialize(SPEC, "constant", seed=5, scale=0.375)
    np.testing.assert_array_equal(parameters["hidden"].W, np.full((3, 4), 0.375))
    np.testing.assert_array_equal(parameters["output"].W, np.full((4, 2), 0.375))
    np.testing.assert_array_equal(parameters["hidden"].b, np.zeros(4))
    assert parameters["output"].b is None


def test_constant_ignores_seed() -> None:
    first = initialize(SPEC, "constant", seed=1, scale=2.0)
    second = initialize(SPEC, "constant", seed=2, scale=2.0)
    np.testing.assert_array_equal(first["hidden"].W, second["hidden"].W)


def test_bias_constant() -> None:
    parameters = initialize(SPEC, "zeros", 0, bias_init="constant", bias_value=-0.5)
    np.testing.assert_array_equal(parameters["hidden"].b, np.full(4, -0.5))
    assert parameters["output"].b is None


def test_bias_zeros_ignores_value() -> None:
    parameters = initialize(SPEC, "zeros", 0, bias_init="zeros", bias_value=3.0)
    np.testing.assert_array_equal(parameters["hidden"].b, np.zeros(4))


def test_bias_init_leaves_weights() -> None:
    # Biases are not drawn, so a constant bias does not move the generator.
    plain = initialize(SPEC, "he_normal", 9)
    biased = initialize(SPEC, "he_normal", 9, bias_init="constant", bias_value=1.0)
    for name in SPEC.order:
        np.testing.assert_array_equal(plain[name].W, biased[name].W)


@pytest.mark.parametrize(
    ("method", "draw"),
    [
        (
            "xavier_uniform",
            lambda rng, i, o: rng.uniform(-np.sqrt(6 / (i + o)), np.sqrt(6 / (i + o)), (i, o)),
        ),
        ("xavier_normal", lambda rng, i, o: rng.normal(0.0, np.sqrt(2 / (i + o)), (i, o))),
        ("he_uniform", lambda rng, i, o: rng.uniform(-np.sqrt(6 / i), np.sqrt(6 / i), (i, o))),
        ("he_normal", lambda rng, i, o: rng.normal(0.0, np.sqrt(2 / i), (i, o))),
        ("uniform", lambda rng, i, o: rng.uniform(-0.5, 0.5, (i, o))),
        ("normal", lambda rng, i, o: rng.normal(0.0, 0.5, (i, o))),
    ],
)
def test_default_draws_unchanged(method: str, draw: Draw) -> None:
    # The documented formula, drawn layer by layer in order from the stream [seed, 0].
    rng = np.random.default_rng([3, 0])
    expected = [draw(rng, 3, 4), draw(rng, 4, 2)]
    parameters = initialize(SPEC, method, 3)
    np.testing.assert_array_equal(parameters["hidden"].W, expected[0])
    np.testing.assert_array_equal(parameters["output"].W, expected[1])
    np.testing.assert_array_equal(parameters["hidden"].b, np.zeros(4))


def test_every_initializer_listed() -> None:
    assert set(INITIALIZERS) == {
        "xavier_uniform",
        "xavier_normal",
        "he_uniform",
        "he_normal",
        "uniform",
        "normal",
        "zeros",
        "constant",
    }


def test_unknown_bias_init_rejected() -> None:
    with pytest.raises(EngineError, match="unknown bias initialization 'ones'; choose one of"):
        initialize(SPEC, "zeros", 0, bias_init="ones")
