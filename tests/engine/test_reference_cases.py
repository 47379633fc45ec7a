"""The engine against the independent PyTorch reference cases, to float64 precision."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nnstudio.engine.errors import StepBackpropagationError
from nnstudio.engine.losses import make_loss
from nnstudio.engine.optimizers import make_optimizer
from tests.engine.reference import build_network, load_cases

RTOL, ATOL = 1e-9, 1e-12
CASES = load_cases("gradient")


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["name"] for case in cases]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_output_and_loss(case: dict[str, Any]) -> None:
    network = build_network(case)
    X, y = np.array(case["X"], float), np.array(case["y"], float)
    output = network.predict(X)
    loss = network.loss(X, y, make_loss(case["loss"]))
    np.testing.assert_allclose(output, case["expected"]["output"], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(loss, case["expected"]["loss"], rtol=RTOL, atol=ATOL)


WITH_GRADIENTS = [case for case in CASES if "gradients" in case["expected"]]


@pytest.mark.parametrize("case", WITH_GRADIENTS, ids=_ids(WITH_GRADIENTS))
def test_gradients(case: dict[str, Any]) -> None:
    network = build_network(case)
    X, y = np.array(case["X"], float), np.array(case["y"], float)
    grads = network.gradients(X, y, make_loss(case["loss"])).parameters
    for name, expected in zip(network.spec.order, case["expected"]["gradients"], strict=True):
        np.testing.assert_allclose(grads[name].W, expected["W"], rtol=RTOL, atol=ATOL)
        if expected["b"] is None:
            assert grads[name].b is None
        else:
            np.testing.assert_allclose(grads[name].b, expected["b"], rtol=RTOL, atol=ATOL)


OPTIMIZER_RUNS = [(case, run) for case in CASES for run in case.get("optimizers", [])]


@pytest.mark.parametrize(
    "case,run", OPTIMIZER_RUNS, ids=[f"{c['name']}-{r['name']}" for c, r in OPTIMIZER_RUNS]
)
def test_weights_after_optimizer_steps(case: dict[str, Any], run: dict[str, Any]) -> None:
    network = build_network(case)
    X, y = np.array(case["X"], float), np.array(case["y"], float)
    loss = make_loss(case["loss"])
    optimizer = make_optimizer(run["name"], run["lr"], run.get("momentum", 0.9))
    if run["name"] == "adam":
        optimizer.betas = tuple(run["betas"])  # type: ignore[attr-defined]
        optimizer.eps = run["eps"]  # type: ignore[attr-defined]

    for _ in range(run["steps"]):
        grads = network.gradients(X, y, loss).parameters
        optimizer.update(network.parameters, grads)

    for name, expected in zip(network.spec.order, run["weights_after"], strict=True):
        np.testing.assert_allclose(network.parameters[name].W, expected["W"], rtol=RTOL, atol=ATOL)
        if expected["b"] is not None:
            np.testing.assert_allclose(
                network.parameters[name].b, expected["b"], rtol=RTOL, atol=ATOL
            )


def test_step_network_refuses_backpropagation() -> None:
    case = next(c for c in CASES if c["name"] == "xor-step-hand-weights")
    network = build_network(case)
    X, y = np.array(case["X"], float), np.array(case["y"], float)
    with pytest.raises(StepBackpropagationError, match="derivative is zero almost everywhere"):
        network.gradients(X, y, make_loss("mse"))
