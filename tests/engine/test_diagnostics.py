"""Diagnoses of hand-built networks and loss sequences, and none for a healthy XOR network."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.engine.diagnostics import (
    EXPLODING_WINDOW,
    PLATEAU_EPOCHS,
    diagnose,
    diagnose_history,
    diagnose_network,
)
from nnstudio.engine.graph import LayerSpec, NetworkSpec, chain
from nnstudio.engine.network import LayerParameters, Network
from nnstudio.engine.training import History, Trainer, TrainingSettings

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def _two_layer(hidden: str, W1: list[list[float]], b1: list[float]) -> Network:
    """A 2-n-1 network with the given first layer and a fixed sigmoid output."""
    units = len(b1)
    spec = chain(2, (units, hidden), (1, "sigmoid"))
    W2 = np.linspace(-1.0, 1.0, units)[:, np.newaxis]
    return Network(
        spec,
        {
            "layer 1": LayerParameters(np.array(W1), np.array(b1)),
            "layer 2": LayerParameters(W2, np.array([0.1])),
        },
    )


def _kinds(found: list) -> list[str]:
    return [diagnosis.kind for diagnosis in found]


# identical units


def test_all_zero_weights_are_symmetric() -> None:
    network = _two_layer("tanh", [[0.0] * 4, [0.0] * 4], [0.0] * 4)

    found = diagnose_network(network, XOR_X)

    assert _kinds(found) == ["symmetric"]
    assert found[0].layer == "layer 1"
    assert found[0].neurons == (0, 1, 2, 3)
    assert "All 4 neurons of 'layer 1'" in found[0].evidence
    assert "initializer" in found[0].suggestion


def test_equal_nonzero_columns_are_symmetric() -> None:
    network = _two_layer("sigmoid", [[0.3, 0.3, 0.3], [-0.7, -0.7, -0.7]], [0.2, 0.2, 0.2])
    assert _kinds(diagnose_network(network, XOR_X)) == ["symmetric"]


def test_one_differing_bias_breaks_symmetry() -> None:
    network = _two_layer("sigmoid", [[0.3, 0.3, 0.3], [-0.7, -0.7, -0.7]], [0.2, 0.2, 0.21])
    assert diagnose_network(network, XOR_X) == []


def test_output_layer_is_never_called_symmetric() -> None:
    spec = chain(2, (3, "softmax"))
    network = Network(spec, {"layer 1": LayerParameters(np.zeros((2, 3)), np.zeros(3))})
    assert diagnose_network(network, XOR_X) == []


# dead relu units


def test_negative_biases_kill_relu_units() -> None:
    # z = x W + b on the XOR corners: units 1 and 3 stay below 0, unit 2 does not.
    W1 = [[0.5, -0.4, 0.8], [0.3, 0.6, 0.9]]
    network = _two_layer("relu", W1, [-10.0, 1.0, -10.0])

    found = diagnose_network(network, XOR_X)

    assert _kinds(found) == ["dead_relu"]
    assert found[0].neurons == (0, 2)
    # the largest z of the dead units is unit 3 at (1, 1): 0.8 + 0.9 - 10
    assert "largest pre-activation z is -8.3" in found[0].evidence
    assert "Neurons 1 and 3 of 'layer 1' output 0 on all 4 training samples" in (found[0].evidence)


def test_relu_unit_alive_on_one_sample_is_not_dead() -> None:
    # z = x1 + x2 - 1.5 is positive only at (1, 1)
    network = _two_layer("relu", [[1.0], [1.0]], [-1.5])
    assert diagnose_network(network, XOR_X) == []


def test_zero_pre_activation_counts_as_dead() -> None:
    # relu(0) = 0 and its derivative there is 0, so z = 0 everywhere is dead too.
    network = _two_layer("relu", [[0.0], [0.0]], [0.0])
    assert _kinds(diagnose_network(network, XOR_X)) == ["dead_relu"]


# saturated units


SATURATING_W = [[1.0, -1.0, 0.01], [1.0, 1.0, 0.02]]
SATURATING_B = [0.5, -0.5, 0.0]


def test_weights_times_fifty_saturate_sigmoid_units() -> None:
    # Times 50: unit 1 has z = 25, 75, 75, 125 and unit 2 z = -25, 25, -75, -25 on the
    # corners; unit 3 reaches only |z| = 1.5.
    W = (50 * np.array(SATURATING_W)).tolist()
    b = (50 * np.array(SATURATING_B)).tolist()
    network = _two_layer("sigmoid", W, b)

    found = diagnose_network(network, XOR_X)

    assert _kinds(found) == ["saturated"]
    assert found[0].neurons == (0, 1)
    assert "|z| > 6" in found[0].evidence
    assert "median |z| 50" in found[0].evidence


def test_unscaled_weights_are_not_saturated() -> None:
    network = _two_layer("sigmoid", SATURATING_W, SATURATING_B)
    assert diagnose_network(network, XOR_X) == []


def test_tanh_saturates_above_three() -> None:
    # z = 3.5 x1 + 3.5 x2 - 3.2: |z| = 3.2, 0.3, 0.3, 3.8, saturated on half the samples
    half = _two_layer("tanh", [[3.5], [3.5]], [-3.2])
    # z = 4 x1 + 4 x2 + 3.1: every |z| is above 3
    full = _two_layer("tanh", [[4.0], [4.0]], [3.1])

    assert diagnose_network(half, XOR_X) == []
    assert _kinds(diagnose_network(full, XOR_X)) == ["saturated"]


def test_three_of_four_samples_is_not_most() -> None:
    # z = 20 x1 + 20 x2: |z| > 6 on three corners, 75% of the samples, below 90%
    network = _two_layer("sigmoid", [[20.0], [20.0]], [0.0])
    assert diagnose_network(network, XOR_X) == []


def test_saturated_output_is_not_reported() -> None:
    spec = chain(2, (1, "sigmoid"))
    network = Network(spec, {"layer 1": LayerParameters(np.array([[50.0], [50.0]]), [40.0])})
    assert diagnose_network(network, XOR_X) == []


def test_mixed_layer_checks_each_unit_by_its_activation() -> None:
    # Units: relu with z = -10 + x1 (dead), tanh with z = 4 x1 + 4 x2 + 3.1 (saturated),
    # relu with z = x1 + x2 (alive on three corners).
    layer = LayerSpec("mixed", 3, "relu", ("input",), activations=("relu", "tanh", "relu"))
    spec = NetworkSpec(2, (layer, LayerSpec("out", 1, "sigmoid", ("mixed",))))
    W1 = np.array([[1.0, 4.0, 1.0], [0.0, 4.0, 1.0]])
    parameters = {
        "mixed": LayerParameters(W1, np.array([-10.0, 3.1, 0.0])),
        "out": LayerParameters(np.ones((3, 1)), np.zeros(1)),
    }

    found = diagnose_network(Network(spec, parameters), XOR_X)

    assert _kinds(found) == ["dead_relu", "saturated"]
    assert found[0].neurons == (0,)
    assert found[1].neurons == (1,)
    assert found[1].title == "Saturated tanh units in 'mixed'"


# exploding loss


def test_loss_rising_ten_times_is_exploding() -> None:
    loss = [1.0, 0.5, 0.3, 0.25, 0.4, 1.2, 2.6]

    found = diagnose_history(loss, [0.5] * len(loss), learning_rate=5.0)

    assert _kinds(found) == ["exploding_loss"]
    assert "rose from 0.25 at epoch 4 to 2.6 at epoch 7, 10.4 times as large" in (found[0].evidence)
    assert "now 5" in found[0].suggestion
    assert "to 0.5" in found[0].suggestion


def test_loss_rising_nine_times_is_not_exploding() -> None:
    loss = [1.0, 0.5, 0.3, 0.25, 0.4, 1.2, 2.25]
    assert diagnose_history(loss, [0.5] * len(loss)) == []


def test_rise_from_before_the_window_is_not_exploding() -> None:
    # Lowest 0.01 at epoch 1; the window's lowest is 0.05 and the rise to 0.2 only 4 times.
    loss = [0.01, *np.linspace(0.05, 0.2, EXPLODING_WINDOW + 5).tolist()]
    assert diagnose_history(loss, [0.5] * len(loss)) == []


@pytest.mark.parametrize(("value", "word"), [(math.nan, "NaN"), (math.inf, "infinite")])
def test_non_finite_loss_is_exploding(value: float, word: str) -> None:
    found = diagnose_history([0.5, 0.4, value], [0.5] * 3)

    assert _kinds(found) == ["exploding_loss"]
    assert f"became {word} at epoch 3" in found[0].evidence
    assert "lower the learning rate" in found[0].suggestion


# loss plateau


def test_flat_loss_below_full_accuracy_is_a_plateau() -> None:
    loss = [0.3] * 50 + [0.125] * PLATEAU_EPOCHS

    found = diagnose_history(loss, [0.75] * len(loss))

    assert _kinds(found) == ["loss_plateau"]
    assert "over the last 200 epochs" in found[0].evidence
    assert "0.125 at epoch 51, 0.125 at epoch 250" in found[0].evidence
    assert "accuracy is 75%" in found[0].evidence


def test_flat_loss_at_full_accuracy_is_no_plateau() -> None:
    loss = [0.125] * PLATEAU_EPOCHS
    assert diagnose_history(loss, [1.0] * len(loss)) == []


def test_slowly_falling_loss_is_no_plateau() -> None:
    # 1% lower over the window, ten times the plateau threshold of 0.1%
    loss = np.linspace(0.5, 0.495, PLATEAU_EPOCHS).tolist()
    assert diagnose_history(loss, [0.75] * len(loss)) == []


def test_short_history_is_no_plateau() -> None:
    loss = [0.125] * (PLATEAU_EPOCHS - 1)
    assert diagnose_history(loss, [0.75] * len(loss)) == []


def test_regression_is_never_a_plateau() -> None:
    loss = [0.125] * PLATEAU_EPOCHS
    assert diagnose_history(loss, [math.nan] * len(loss)) == []


# a healthy network


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid"])
def test_trained_xor_has_no_problems(hidden: str) -> None:
    spec = chain(2, (4, hidden), (1, "sigmoid"))
    rng = np.random.default_rng(0)
    parameters = {
        "layer 1": LayerParameters(rng.uniform(-1.0, 1.0, (2, 4)), np.zeros(4)),
        "layer 2": LayerParameters(rng.uniform(-1.0, 1.0, (4, 1)), np.zeros(1)),
    }
    settings = TrainingSettings(learning_rate=0.5, epochs=3000)
    trainer = Trainer(Network(spec, parameters), XOR_X, XOR_Y, settings)
    trainer.train(3000)

    assert trainer.history.accuracy[-1] == 1.0
    assert diagnose(trainer.network, XOR_X, trainer.history, settings.learning_rate) == []


def test_history_and_network_findings_combine() -> None:
    network = _two_layer("tanh", [[0.0] * 2, [0.0] * 2], [0.0] * 2)
    history = History(loss=[0.125] * PLATEAU_EPOCHS, accuracy=[0.5] * PLATEAU_EPOCHS)

    found = diagnose(network, XOR_X, history, 0.5)

    assert _kinds(found) == ["symmetric", "loss_plateau"]


def test_exploding_loss_comes_first() -> None:
    # weights times 50 saturate both sigmoid units; the loss jumped 20 times in one epoch
    W = (50 * np.array(SATURATING_W)).tolist()
    network = _two_layer("sigmoid", W, (50 * np.array(SATURATING_B)).tolist())
    history = History(loss=[0.2, 0.1, 2.0], accuracy=[0.5, 0.5, 0.5])

    found = diagnose(network, XOR_X, history, 5.0)

    assert _kinds(found) == ["exploding_loss", "saturated"]


def test_downsampled_history_uses_epoch_numbers() -> None:
    # A long run's history keeps a few entries of old epochs and every recent one.
    flat = History(
        loss=[0.3, 0.125, 0.125, 0.125, 0.125],
        accuracy=[0.5, 0.75, 0.75, 0.75, 0.75],
        epochs=[1, 500, 801, 900, 1000],
    )
    rising = History(loss=[1.0, 0.01, 0.3, 3.5], accuracy=[0.5] * 4, epochs=[1, 50, 95, 100])

    plateau = diagnose_history(flat.loss, flat.accuracy, epochs=flat.epochs)
    exploding = diagnose_history(rising.loss, rising.accuracy, epochs=rising.epochs)

    assert _kinds(plateau) == ["loss_plateau"]
    assert "(0.125 at epoch 801, 0.125 at epoch 1,000)" in plateau[0].evidence
    # epoch 50 lies outside the 20 epochs before epoch 100, so the rise counts from epoch 95
    assert _kinds(exploding) == ["exploding_loss"]
    assert "rose from 0.3 at epoch 95 to 3.5 at epoch 100" in exploding[0].evidence
