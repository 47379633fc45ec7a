"""The perceptron rule against the NumPy reference cases, epoch by epoch and exactly.

With learning rate 0.25, zero starting weights and 0/1 data every weight is a
multiple of 0.25, which float64 represents exactly, so the tests compare with no
tolerance.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nnstudio.engine.errors import EngineError
from nnstudio.engine.graph import LayerSpec, NetworkSpec, chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.network import LayerParameters, Network
from nnstudio.engine.perceptron import PerceptronTrainer, is_perceptron_network
from tests.engine.reference import load_cases

CASES = {case["name"]: case for case in load_cases("perceptron")}
NAMES = sorted(CASES)
CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
AND = np.array([[0.0], [0.0], [0.0], [1.0]])


def perceptron_network(case: dict[str, Any]) -> Network:
    """Translate a reference case into an engine network: input straight to step outputs."""
    W = np.array(case["initial"]["W"], dtype=float)
    b = np.array(case["initial"]["b"], dtype=float)
    spec = NetworkSpec(W.shape[0], (LayerSpec("output", W.shape[1], "step", ("input",)),))
    return Network(spec, {"output": LayerParameters(W, b)})


def reference_trainer(name: str) -> PerceptronTrainer:
    case = CASES[name]
    X = np.array(case["X"], dtype=float)
    y = np.array(case["y"], dtype=float)
    return PerceptronTrainer(perceptron_network(case), X, y, case["lr"])


def trained(name: str) -> tuple[PerceptronTrainer, dict[str, Any]]:
    trainer = reference_trainer(name)
    trainer.train(CASES[name]["max_epochs"])
    return trainer, CASES[name]


def reference_period(case: dict[str, Any]) -> int | None:
    """Return the epochs between the first end-of-epoch weights that repeat, from the file."""
    seen: dict[str, int] = {}
    for entry in case["expected"]["epochs"]:
        key = repr((entry["W"], entry["b"]))
        if key in seen and entry["misclassified"] > 0:
            return int(entry["epoch"]) - seen[key]
        seen.setdefault(key, entry["epoch"])
    return None


def test_reference_cases_found() -> None:
    assert {"perceptron-and", "perceptron-xor", "perceptron-three-outputs"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_reference_epoch_count(name: str) -> None:
    trainer, case = trained(name)

    assert len(trainer.records) == len(case["expected"]["epochs"])
    assert trainer.epoch == len(case["expected"]["epochs"])


@pytest.mark.parametrize("name", NAMES)
def test_reference_every_epoch(name: str) -> None:
    trainer, case = trained(name)

    for record, expected in zip(trainer.records, case["expected"]["epochs"], strict=True):
        assert record.epoch == expected["epoch"]
        assert record.misclassified == expected["misclassified"], f"epoch {record.epoch}"
        assert np.array_equal(record.W, expected["W"]), f"W after epoch {record.epoch}"
        assert record.b is not None
        assert np.array_equal(record.b, expected["b"]), f"b after epoch {record.epoch}"


@pytest.mark.parametrize("name", NAMES)
def test_reference_converged(name: str) -> None:
    trainer, case = trained(name)

    assert trainer.result().converged == case["expected"]["converged"]


@pytest.mark.parametrize("name", NAMES)
def test_network_has_final_weights(name: str) -> None:
    trainer, case = trained(name)
    last = case["expected"]["epochs"][-1]

    params = trainer.network.parameters["output"]
    assert np.array_equal(params.W, last["W"])
    assert params.b is not None
    assert np.array_equal(params.b, last["b"])


def test_from_arrays_matches_reference() -> None:
    case = CASES["perceptron-xor"]
    W = np.array(case["initial"]["W"], dtype=float)
    b = np.array(case["initial"]["b"], dtype=float)
    X = np.array(case["X"], dtype=float)
    y = np.array(case["y"], dtype=float)

    result = PerceptronTrainer.from_arrays(W, b, X, y, case["lr"]).train(case["max_epochs"])

    last = case["expected"]["epochs"][-1]
    final = result.epochs[-1]
    assert np.array_equal(final.W, last["W"])
    assert final.b is not None
    assert np.array_equal(final.b, last["b"])
    assert np.array_equal(W, case["initial"]["W"]), "from_arrays changed the caller's W"
    assert np.array_equal(b, case["initial"]["b"]), "from_arrays changed the caller's b"


def test_float32_network_matches_reference() -> None:
    # Multiples of 0.25 this small are exact in float32 too.
    case = CASES["perceptron-and"]
    network = perceptron_network(case)
    network32 = Network(network.spec, network.parameters, np.float32)
    X = np.array(case["X"], dtype=float)
    y = np.array(case["y"], dtype=float)

    result = PerceptronTrainer(network32, X, y, case["lr"]).train(case["max_epochs"])

    last = case["expected"]["epochs"][-1]
    assert result.epochs[-1].W.dtype == np.float32
    assert np.array_equal(result.epochs[-1].W, last["W"])
    assert result.misclassified == [entry["misclassified"] for entry in case["expected"]["epochs"]]


def test_and_misclassified_per_epoch() -> None:
    trainer, case = trained("perceptron-and")

    expected = [entry["misclassified"] for entry in case["expected"]["epochs"]]
    assert trainer.result().misclassified == expected


def test_and_message() -> None:
    trainer, case = trained("perceptron-and")

    count = len(case["expected"]["epochs"])
    assert trainer.result().message().startswith(f"converged after {count} epochs")
    assert not trainer.result().cycle_detected


def test_xor_cycle() -> None:
    trainer, case = trained("perceptron-xor")
    result = trainer.result()

    assert result.cycle_detected
    assert result.cycle_length == reference_period(case)


def test_xor_message() -> None:
    trainer, case = trained("perceptron-xor")
    message = trainer.result().message()
    period = reference_period(case)

    assert message.startswith(f"did not converge in {case['max_epochs']} epochs")
    assert "not linearly separable" in message
    assert "no straight line separates the classes" in message
    assert f"period of {period} epoch" in message


def test_xor_stop_at_cycle() -> None:
    trainer = reference_trainer("perceptron-xor")
    case = CASES["perceptron-xor"]

    result = trainer.train(case["max_epochs"], stop_at_cycle=True)

    assert result.cycle_detected
    assert len(result.epochs) < case["max_epochs"]
    assert not result.converged


def test_three_outputs_trained_at_once() -> None:
    trainer, case = trained("perceptron-three-outputs")

    outputs = trainer.network.predict(np.array(case["X"], dtype=float))
    assert trainer.records[0].W.shape == (2, 3)
    assert np.array_equal(outputs, case["y"])


def test_three_outputs_match_single_runs() -> None:
    # Each output has its own column of W, so training the three together must end
    # with the weights that training each output alone reaches.
    trainer, case = trained("perceptron-three-outputs")
    X = np.array(case["X"], dtype=float)
    y = np.array(case["y"], dtype=float)
    W = np.array(case["initial"]["W"], dtype=float)
    b = np.array(case["initial"]["b"], dtype=float)

    for column in range(y.shape[1]):
        single = PerceptronTrainer.from_arrays(
            W[:, [column]], b[[column]], X, y[:, [column]], case["lr"]
        )
        single.train(case["max_epochs"])
        assert np.array_equal(single.parameters.W[:, 0], trainer.parameters.W[:, column])
        assert single.parameters.b is not None
        assert trainer.parameters.b is not None
        assert single.parameters.b[0] == trainer.parameters.b[column]


def test_step_ends_epoch_on_last_sample() -> None:
    trainer = reference_trainer("perceptron-and")

    finished = [trainer.step() for _ in range(8)]

    assert finished == [False, False, False, True, False, False, False, True]
    assert trainer.epoch == 2
    assert trainer.last_sample == 3


def test_run_epoch_returns_misclassified() -> None:
    trainer = reference_trainer("perceptron-and")
    expected = [entry["misclassified"] for entry in CASES["perceptron-and"]["expected"]["epochs"]]

    counts = [trainer.run_epoch() for _ in expected]

    assert counts == expected


def test_train_after_convergence_adds_nothing() -> None:
    trainer, _ = trained("perceptron-and")
    count = len(trainer.records)

    result = trainer.train(10)

    assert len(result.epochs) == count
    assert result.converged


def test_too_few_epochs_message() -> None:
    trainer = reference_trainer("perceptron-and")

    result = trainer.train(2)

    assert not result.converged
    assert not result.cycle_detected
    assert result.message().startswith("did not converge in 2 epochs")
    assert "may not be linearly separable" in result.message()


def test_seed_shuffles_and_converges() -> None:
    network = Network(perceptron_network(CASES["perceptron-and"]).spec, zero_weights(2, 1))
    first = PerceptronTrainer(network, CORNERS, AND, 0.25, seed=3).train(100)
    again = PerceptronTrainer.from_arrays(
        np.zeros((2, 1)), np.zeros(1), CORNERS, AND, 0.25, seed=3
    ).train(100)

    assert first.converged
    assert first.misclassified == again.misclassified
    assert np.array_equal(first.epochs[-1].W, again.epochs[-1].W)


def test_seed_skips_cycle_search() -> None:
    xor = np.array([[0.0], [1.0], [1.0], [0.0]])
    trainer = PerceptronTrainer.from_arrays(
        np.zeros((2, 1)), np.zeros(1), CORNERS, xor, 0.25, seed=0
    )

    result = trainer.train(30)

    assert not result.converged
    assert not result.cycle_detected
    assert "may not be linearly separable" in result.message()


def test_layer_without_bias() -> None:
    # Through the origin, the corner (0, 0) always gives z = 0 and output 1, so AND,
    # whose target there is 0, can never be learned.
    spec = NetworkSpec(2, (LayerSpec("output", 1, "step", ("input",), bias=False),))
    network = Network(spec, {"output": LayerParameters(np.zeros((2, 1)), None)})

    result = PerceptronTrainer(network, CORNERS, AND, 0.25).train(20)

    assert result.epochs[-1].b is None
    assert result.cycle_detected
    assert "no straight line through the origin" in result.message()


def test_single_epoch_wording() -> None:
    or_targets = np.array([[0.0], [1.0], [1.0], [1.0]])
    trainer = PerceptronTrainer.from_arrays(
        np.ones((2, 1)), np.array([-0.5]), CORNERS, or_targets, 0.25
    )

    assert trainer.train(5).message().startswith("converged after 1 epoch:")


def test_is_perceptron_network() -> None:
    single = NetworkSpec(2, (LayerSpec("output", 3, "step", ("input",)),))

    assert is_perceptron_network(single)
    assert not is_perceptron_network(chain(2, (1, "sigmoid")))
    assert not is_perceptron_network(chain(2, (2, "step"), (1, "step")))


def test_rejects_hidden_layers() -> None:
    spec = chain(2, (2, "step"), (1, "step"))
    network = Network(spec, initialize(spec, "zeros", 0))

    with pytest.raises(EngineError) as info:
        PerceptronTrainer(network, CORNERS, AND, 0.25)

    message = str(info.value)
    assert "one layer of step units" in message
    assert "2 layers" in message
    assert "backpropagation" in message
    assert "sigmoid" in message


def test_rejects_sigmoid_output() -> None:
    spec = chain(2, (1, "sigmoid"))
    network = Network(spec, initialize(spec, "zeros", 0))

    with pytest.raises(EngineError, match="uses sigmoid; set its activation to step"):
        PerceptronTrainer(network, CORNERS, AND, 0.25)


def test_rejects_targets_not_binary() -> None:
    targets = np.array([[0.0], [0.5], [0.0], [1.0]])

    with pytest.raises(EngineError) as info:
        PerceptronTrainer.from_arrays(np.zeros((2, 1)), np.zeros(1), CORNERS, targets, 0.25)

    assert "row 2, column 1 is 0.5" in str(info.value)
    assert "targets of 0 or 1" in str(info.value)


@pytest.mark.parametrize("rate", [0.0, -0.25, float("nan"), float("inf")])
def test_rejects_learning_rate(rate: float) -> None:
    with pytest.raises(EngineError, match="above 0"):
        PerceptronTrainer.from_arrays(np.zeros((2, 1)), np.zeros(1), CORNERS, AND, rate)


def test_rejects_wrong_shapes() -> None:
    with pytest.raises(EngineError, match=r"X has shape \(4, 3\)"):
        PerceptronTrainer.from_arrays(np.zeros((2, 1)), np.zeros(1), np.zeros((4, 3)), AND, 0.25)
    with pytest.raises(EngineError, match=r"y has shape \(4, 2\)"):
        PerceptronTrainer.from_arrays(
            np.zeros((2, 1)), np.zeros(1), CORNERS, np.zeros((4, 2)), 0.25
        )
    with pytest.raises(EngineError, match=r"W has shape \(2,\)"):
        PerceptronTrainer.from_arrays(np.zeros(2), np.zeros(1), CORNERS, AND, 0.25)


def test_rejects_empty_dataset() -> None:
    with pytest.raises(EngineError, match="no samples"):
        PerceptronTrainer.from_arrays(
            np.zeros((2, 1)), np.zeros(1), np.zeros((0, 2)), np.zeros((0, 1)), 0.25
        )


def test_rejects_zero_max_epochs() -> None:
    trainer = reference_trainer("perceptron-and")

    with pytest.raises(EngineError, match="at least 1 epoch"):
        trainer.train(0)


def zero_weights(inputs: int, units: int) -> dict[str, LayerParameters]:
    return {"output": LayerParameters(np.zeros((inputs, units)), np.zeros(units))}
