"""Training in float32: XOR still learns, arrays stay float32, the numerical traps stay finite."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from nnstudio.engine.graph import chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.network import LayerParameters, Network
from nnstudio.engine.training import Trainer, TrainingSettings

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR = np.array([[0.0], [1.0], [1.0], [0.0]])


@pytest.fixture(autouse=True)
def warnings_are_errors() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def xor_trainer(hidden: str = "tanh", **changes: Any) -> Trainer:
    spec = chain(2, (4, hidden), (1, "sigmoid"))
    network = Network(spec, initialize(spec, "xavier_uniform", 0))
    settings = TrainingSettings(loss="mse", learning_rate=0.5, dtype="float32")
    return Trainer(network, CORNERS, XOR, dataclasses.replace(settings, **changes))


def test_xor_trains_in_float32() -> None:
    trainer = xor_trainer()
    trainer.train(2000)
    assert trainer.history.accuracy[-1] == 1.0
    assert trainer.history.loss[-1] < 0.01


def test_float64_network_converted() -> None:
    trainer = xor_trainer()
    assert trainer.network.dtype == np.float32
    assert trainer.X.dtype == np.float32
    assert trainer.y.dtype == np.float32


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_parameters_stay_float32(optimizer: str) -> None:
    trainer = xor_trainer("prelu", optimizer=optimizer, learning_rate=0.05, l1=1e-3, l2=1e-3)
    trainer.train(20)
    for layer in trainer.network.parameters.values():
        assert layer.W.dtype == np.float32
        assert layer.b is not None
        assert layer.b.dtype == np.float32
    alpha = trainer.network.parameters["layer 1"].alpha
    assert alpha is not None
    assert alpha.dtype == np.float32


def test_float32_close_to_float64() -> None:
    single = xor_trainer()
    double = xor_trainer(dtype="float64")
    single.train(100)
    double.train(100)
    np.testing.assert_allclose(single.history.loss, double.history.loss, rtol=1e-4)


def one_unit_trainer(activation: str, loss: str, weight: float, y: Any, units: int = 1) -> Trainer:
    """One layer without bias whose weight turns inputs of +-1 into logits of +-weight."""
    spec = chain(units, (units, activation), bias=False)
    W = weight * np.eye(units)
    network = Network(spec, {"layer 1": LayerParameters(W, None)})
    X = np.vstack([np.eye(units), -np.eye(units)])
    settings = TrainingSettings(loss=loss, learning_rate=0.1, dtype="float32")
    return Trainer(network, X, np.asarray(y, dtype=float), settings)


def test_bce_large_logits_float32() -> None:
    # Logits +1000 and -1000 with targets 0 and 1: softplus gives 1000 for each sample.
    trainer = one_unit_trainer("sigmoid", "binary_cross_entropy", 1000.0, [[0.0], [1.0]])
    loss, _ = trainer.evaluate()
    trainer.step()
    assert loss == 1000.0
    assert np.all(np.isfinite(trainer.network.parameters["layer 1"].W))


def test_sigmoid_large_logits_float32() -> None:
    # Sigmoid saturates to exactly 1 and 0, so mse is 1/2 * (1 + 1) / 2 with the wrong targets.
    trainer = one_unit_trainer("sigmoid", "mse", 1000.0, [[0.0], [1.0]])
    loss, _ = trainer.evaluate()
    trainer.step()
    assert loss == 0.5
    assert np.all(np.isfinite(trainer.network.parameters["layer 1"].W))


def test_softmax_large_logits_float32() -> None:
    # Inputs +-e_k times 1000: each row has one logit of +-1000 and two of 0.
    y = np.vstack([np.eye(3), np.roll(np.eye(3), 1, axis=1)])
    trainer = one_unit_trainer("softmax", "cross_entropy", 1000.0, y, units=3)
    loss, accuracy = trainer.evaluate()
    trainer.step()
    # Rows 1-3 are right with probability 1, loss 0. Rows 4-6 put -1000 on one class
    # and 0 on the target and one other: loss log(2 + e^-1000) = log 2 each.
    np.testing.assert_allclose(loss, 3 * np.log(2.0) / 6, rtol=1e-6)
    assert np.isfinite(loss)
    assert accuracy is not None
    assert np.all(np.isfinite(trainer.network.parameters["layer 1"].W))
