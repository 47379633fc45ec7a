"""Common training problems, found in a network's weights, its activations and its loss history.

Each finding is a Diagnosis: a short title, the evidence in numbers (which
layer, which neurons, which epochs) and a suggestion, all in plain sentences a
student can act on. The thresholds below are documented in docs/diagnostics.md.

Shapes: X is (samples, input units), as for Network.forward. Neuron indices
are 0-based in the Diagnosis fields and 1-based in its sentences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.activations import Activation
from nnstudio.engine.network import Network
from nnstudio.engine.training import History

Array = NDArray[np.floating]

# A unit is saturated on a sample when |z| exceeds its activation's threshold,
# where the slope da/dz is under 1% of its maximum: sigmoid'(6) = 0.0025 (the
# maximum is 0.25) and tanh'(3) = 0.0099 (the maximum is 1).
SATURATION_Z = {"sigmoid": 6.0, "tanh": 3.0}
SATURATED_SHARE = 0.9  # share of the samples on which a unit must be saturated
# Units of one layer count as identical when their incoming weights and biases
# differ by at most this much, relative to the largest absolute value among them.
SYMMETRY_TOLERANCE = 1e-9
EXPLODING_WINDOW = 20  # epochs
EXPLODING_FACTOR = 10.0  # latest loss over the lowest loss of the window
PLATEAU_EPOCHS = 200
PLATEAU_CHANGE = 1e-3  # (highest - lowest) / highest loss over PLATEAU_EPOCHS
MAX_LISTED_NEURONS = 8


@dataclass(frozen=True)
class Diagnosis:
    """One problem found: what it is, the numbers behind it, and what to try.

    ``kind`` is one of "dead_relu", "saturated", "symmetric", "exploding_loss"
    and "loss_plateau". ``layer`` and ``neurons`` (0-based) name the units
    involved; both are empty for the loss diagnoses.
    """

    kind: str
    title: str
    evidence: str
    suggestion: str
    layer: str = ""
    neurons: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        """Return the evidence and the suggestion as one paragraph."""
        return f"{self.evidence} {self.suggestion}"


def diagnose(
    network: Network, X: Array, history: History, learning_rate: float | None = None
) -> list[Diagnosis]:
    """Return every problem found in ``network`` on the samples X and in its loss ``history``.

    An exploding loss comes first, because it also causes most of the other findings
    (saturated units after a jump of the weights, for one). A plateau comes last.
    """
    loss, accuracy = history.loss.tolist(), history.accuracy.tolist()
    from_history = diagnose_history(loss, accuracy, learning_rate, history.epochs.tolist())
    exploding = [d for d in from_history if d.kind == "exploding_loss"]
    rest = [d for d in from_history if d.kind != "exploding_loss"]
    return exploding + diagnose_network(network, X) + rest


def diagnose_network(network: Network, X: Array) -> list[Diagnosis]:
    """Return the dead, saturated and identical units of ``network`` on the samples X."""
    found = [*find_symmetric_layers(network)]
    if len(X) == 0:
        return found
    with np.errstate(over="ignore", invalid="ignore"):
        run = network.forward(X)
    for name in network.spec.order:
        z = run.z[name]
        names = np.array(unit_activation_names(network.activations[name], z.shape[1]))
        relu = np.flatnonzero(names == "relu")
        if relu.size:
            found.extend(_dead_units(name, z, relu))
        if name == network.spec.output_name:
            continue
        for activation in SATURATION_Z:
            units = np.flatnonzero(names == activation)
            if units.size:
                found.extend(_saturated_units(name, activation, z, units))
    return found


def unit_activation_names(activation: Activation, units: int) -> tuple[str, ...]:
    """Return the name of each unit's activation: the layer's, or each unit's in a mixed layer.

    A layer with per-neuron activations carries them as a ``names`` tuple.
    """
    names = getattr(activation, "names", None)
    if isinstance(names, tuple) and len(names) == units:
        return tuple(str(name) for name in names)
    return (activation.name,) * units


def diagnose_history(
    loss: Sequence[float],
    accuracy: Sequence[float],
    learning_rate: float | None = None,
    epochs: Sequence[int] | None = None,
) -> list[Diagnosis]:
    """Return an exploding loss or a loss plateau found in the per-epoch ``loss`` and ``accuracy``.

    ``accuracy`` contains NaN for a regression, which is never called a plateau
    because there is no accuracy to fall short of 100%. ``epochs`` numbers the
    entries (1, 2, ... when None); a downsampled History has gaps there.
    """
    exploding = find_exploding_loss(loss, learning_rate, epochs)
    if exploding is not None:
        return [exploding]
    plateau = find_plateau(loss, accuracy, epochs)
    return [] if plateau is None else [plateau]


def _epoch_numbers(loss: Sequence[float], epochs: Sequence[int] | None) -> NDArray[np.int64]:
    if epochs is None:
        return np.arange(1, len(loss) + 1, dtype=np.int64)
    return np.asarray(epochs, dtype=np.int64)


# units


def find_symmetric_layers(network: Network) -> list[Diagnosis]:
    """Return a diagnosis for each hidden layer whose units all have equal weights and biases."""
    found = []
    for name in network.spec.order:
        params = network.parameters[name]
        units = params.W.shape[1]
        if name == network.spec.output_name or units < 2:
            continue
        columns = [params.W] if params.b is None else [params.W, params.b[np.newaxis, :]]
        stacked = np.vstack(columns)
        if not np.all(np.isfinite(stacked)):
            continue
        spread = np.abs(stacked - stacked[:, :1]).max()
        if spread <= SYMMETRY_TOLERANCE * max(float(np.abs(stacked).max()), 1.0):
            found.append(_symmetric(name, units))
    return found


def _symmetric(name: str, units: int) -> Diagnosis:
    return Diagnosis(
        kind="symmetric",
        title=f"Identical units in {name!r}",
        evidence=(
            f"All {units} neurons of {name!r} have the same incoming weights and bias, so they "
            "compute the same value and receive the same update: the layer acts as one neuron."
        ),
        suggestion=(
            "Choose a random initializer (for example Glorot/Xavier uniform) and reset the "
            "weights, so the neurons start different."
        ),
        layer=name,
        neurons=tuple(range(units)),
    )


def _dead_units(name: str, z: Array, units: NDArray[np.intp]) -> list[Diagnosis]:
    """Return a diagnosis for the ``units`` (relu columns of z) that are 0 on every sample."""
    # relu(z) = 0 exactly when z <= 0; NaN compares False, so it never counts as dead.
    dead = units[np.all(z[:, units] <= 0, axis=0)]
    if dead.size == 0:
        return []
    largest = float(z[:, dead].max())
    samples = len(z)
    return [
        Diagnosis(
            kind="dead_relu",
            title=f"Dead ReLU units in {name!r}",
            evidence=(
                f"{_neuron_list(dead).capitalize()} of {name!r} output 0 on all {samples} "
                f"training samples (the largest pre-activation z is {largest:.3g}), so no "
                "gradient flows through them and their incoming weights never change."
            ),
            suggestion=(
                "Start the biases at 0 or a small positive value, lower the learning rate, "
                "or use leaky_relu, which keeps a small slope below 0."
            ),
            layer=name,
            neurons=tuple(int(i) for i in dead),
        )
    ]


def _saturated_units(
    name: str, activation: str, z: Array, units: NDArray[np.intp]
) -> list[Diagnosis]:
    """Return a diagnosis for the ``units`` (columns of z using ``activation``) that saturate."""
    threshold = SATURATION_Z[activation]
    magnitude = np.abs(z)
    share = np.mean(magnitude[:, units] > threshold, axis=0)
    saturated = units[share >= SATURATED_SHARE]
    if saturated.size == 0:
        return []
    median = float(np.median(magnitude[:, saturated]))
    return [
        Diagnosis(
            kind="saturated",
            title=f"Saturated {activation} units in {name!r}",
            evidence=(
                f"{_neuron_list(saturated).capitalize()} of {name!r} have |z| > {threshold:g} "
                f"on at least {SATURATED_SHARE:.0%} of the samples (median |z| {median:.3g}). "
                f"There the {activation}'s slope is under 1% of its maximum, so these neurons "
                "pass almost no gradient back and learn very slowly."
            ),
            suggestion=(
                "Draw smaller first weights (Glorot/Xavier), standardize the inputs, or lower "
                "the learning rate."
            ),
            layer=name,
            neurons=tuple(int(i) for i in saturated),
        )
    ]


def _neuron_list(indices: NDArray[np.intp]) -> str:
    """Return 1-based neuron numbers as words, e.g. "neurons 1, 2 and 4"."""
    numbers = [str(int(i) + 1) for i in indices]
    if len(numbers) == 1:
        return f"neuron {numbers[0]}"
    if len(numbers) > MAX_LISTED_NEURONS:
        shown = ", ".join(numbers[:MAX_LISTED_NEURONS])
        return f"neurons {shown}, … ({len(numbers)} in all)"
    return f"neurons {', '.join(numbers[:-1])} and {numbers[-1]}"


# loss history


def find_exploding_loss(
    loss: Sequence[float], learning_rate: float | None = None, epochs: Sequence[int] | None = None
) -> Diagnosis | None:
    """Return a diagnosis when the latest loss is not finite, or rose EXPLODING_FACTOR times.

    The rise is measured from the lowest loss of the last EXPLODING_WINDOW epochs.
    """
    if len(loss) == 0:
        return None
    values = np.asarray(loss, dtype=np.float64)
    numbers = _epoch_numbers(loss, epochs)
    epoch, latest = int(numbers[-1]), float(values[-1])
    if not math.isfinite(latest):
        evidence = f"The loss became {_word(latest)} at epoch {epoch:,}."
        return _exploding(evidence, learning_rate)

    in_window = numbers > epoch - EXPLODING_WINDOW
    window = values[in_window]
    lowest_at = int(np.argmin(window))
    lowest = float(window[lowest_at])
    if lowest <= 0 or latest < EXPLODING_FACTOR * lowest:
        return None
    lowest_epoch = int(numbers[in_window][lowest_at])
    evidence = (
        f"The loss rose from {lowest:.3g} at epoch {lowest_epoch:,} to {latest:.3g} at epoch "
        f"{epoch:,}, {latest / lowest:.3g} times as large, within the last "
        f"{min(EXPLODING_WINDOW, epoch)} epochs."
    )
    return _exploding(evidence, learning_rate)


def _exploding(evidence: str, learning_rate: float | None) -> Diagnosis:
    if learning_rate is not None and learning_rate > 0:
        suggestion = (
            f"The steps overshoot: lower the learning rate (now {learning_rate:g}), for "
            f"example to {learning_rate / 10:g}, reset the weights and train again."
        )
    else:
        suggestion = (
            "The steps overshoot: lower the learning rate, reset the weights and train again."
        )
    return Diagnosis("exploding_loss", "Exploding loss", evidence, suggestion)


def _word(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "infinite" if value > 0 else "minus infinity"


def find_plateau(
    loss: Sequence[float], accuracy: Sequence[float], epochs: Sequence[int] | None = None
) -> Diagnosis | None:
    """Return a diagnosis when the loss barely moved over PLATEAU_EPOCHS and accuracy is below 1.

    "Barely" means the (highest - lowest) / highest loss of those epochs is
    below PLATEAU_CHANGE.
    """
    numbers = _epoch_numbers(loss, epochs)
    if len(loss) == 0 or len(accuracy) == 0 or numbers[-1] < PLATEAU_EPOCHS:
        return None
    latest_accuracy = float(accuracy[-1])
    if not math.isfinite(latest_accuracy) or latest_accuracy >= 1.0:
        return None
    epoch = int(numbers[-1])
    in_window = numbers > epoch - PLATEAU_EPOCHS
    window = np.asarray(loss, dtype=np.float64)[in_window]
    highest, lowest = float(window.max()), float(window.min())
    if not np.all(np.isfinite(window)) or highest <= 0:
        return None
    change = (highest - lowest) / highest
    if change >= PLATEAU_CHANGE:
        return None
    first = int(numbers[in_window][0])
    evidence = (
        f"The loss has changed by less than {PLATEAU_CHANGE:.1%} over the last "
        f"{PLATEAU_EPOCHS} epochs ({window[0]:.4g} at epoch {first:,}, "
        f"{window[-1]:.4g} at epoch {epoch:,}) while the accuracy is {latest_accuracy:.0%}."
    )
    suggestion = (
        "The network may be stuck: try a larger learning rate, momentum or Adam, more hidden "
        "units, or another seed. With overlapping classes this may also be the best it can do."
    )
    return Diagnosis("loss_plateau", "Loss plateau", evidence, suggestion)
