"""Optimizer settings through the Trainer: the references, and changes in the middle of a run.

A change of learning rate, momentum or Adam's betas between steps must keep the
optimizer's state, so a run with a change equals a hand-written loop that makes
the same change at the same step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from nnstudio.engine.graph import chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import Network, Parameters, copy_parameters
from nnstudio.engine.training import Trainer, TrainingSettings
from tests.engine.reference import build_network, load_cases

Array = NDArray[np.float64]

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR = np.array([[0.0], [1.0], [1.0], [0.0]])
STEPS_BEFORE, STEPS_AFTER = 5, 6

OPTIMIZER_RUNS = [
    (case, run) for case in load_cases("gradient") for run in case.get("optimizers", [])
]


@pytest.mark.parametrize(
    ("case", "run"), OPTIMIZER_RUNS, ids=[f"{c['name']}-{r['name']}" for c, r in OPTIMIZER_RUNS]
)
def test_trainer_settings_match_reference(case: dict[str, Any], run: dict[str, Any]) -> None:
    # The same PyTorch numbers as test_reference_cases, reached through TrainingSettings.
    network = build_network(case)
    betas = run.get("betas", [0.9, 0.999])
    settings = TrainingSettings(
        loss=case["loss"],
        learning_rate=run["lr"],
        optimizer=run["name"],
        momentum=run.get("momentum", 0.9),
        adam_beta1=betas[0],
        adam_beta2=betas[1],
        adam_eps=run.get("eps", 1e-8),
    )
    trainer = Trainer(network, np.array(case["X"]), np.array(case["y"]), settings)

    trainer.train(run["steps"])

    for name, expected in zip(network.spec.order, run["weights_after"], strict=True):
        np.testing.assert_allclose(network.parameters[name].W, expected["W"], rtol=1e-9, atol=1e-12)
        if expected["b"] is not None:
            np.testing.assert_allclose(
                network.parameters[name].b, expected["b"], rtol=1e-9, atol=1e-12
            )


def xor_network() -> Network:
    spec = chain(2, (3, "tanh"), (1, "sigmoid"))
    return Network(spec, initialize(spec, "xavier_uniform", 4))


def arrays(parameters: Parameters) -> dict[str, Array]:
    """Name every W and b, as the optimizers key their state."""
    named: dict[str, Array] = {}
    for name, layer in parameters.items():
        named[f"{name}/W"] = layer.W
        if layer.b is not None:
            named[f"{name}/b"] = layer.b
    return named


def gradient_arrays(parameters: Parameters) -> dict[str, Array]:
    network = Network(xor_network().spec, parameters)
    return arrays(network.gradients(CORNERS, XOR, make_loss("mse")).parameters)


def assert_same(trainer: Trainer, expected: Parameters) -> None:
    for key, value in arrays(trainer.network.parameters).items():
        np.testing.assert_allclose(value, arrays(expected)[key], rtol=1e-13, atol=1e-16)


def test_sgd_learning_rate_change() -> None:
    trainer = Trainer(xor_network(), CORNERS, XOR, TrainingSettings(learning_rate=0.5))
    expected = copy_parameters(trainer.network.parameters)

    for step in range(STEPS_BEFORE + STEPS_AFTER):
        if step == STEPS_BEFORE:
            trainer.change_settings(learning_rate=0.1)
        trainer.step()

        rate = 0.5 if step < STEPS_BEFORE else 0.1
        for key, grad in gradient_arrays(expected).items():
            arrays(expected)[key] -= rate * grad

    assert trainer.settings.learning_rate == 0.1
    assert_same(trainer, expected)


def test_momentum_changes_keep_velocity() -> None:
    settings = TrainingSettings(learning_rate=0.5, optimizer="momentum", momentum=0.9)
    trainer = Trainer(xor_network(), CORNERS, XOR, settings)
    expected = copy_parameters(trainer.network.parameters)
    velocity: dict[str, Array] = {}

    for step in range(STEPS_BEFORE + STEPS_AFTER):
        if step == STEPS_BEFORE:
            trainer.change_settings(learning_rate=0.2, momentum=0.5)
        trainer.step()

        rate, momentum = (0.5, 0.9) if step < STEPS_BEFORE else (0.2, 0.5)
        for key, grad in gradient_arrays(expected).items():
            # v = momentum * v + g, starting from v = g, as torch.optim.SGD does
            velocity[key] = grad if step == 0 else momentum * velocity[key] + grad
            arrays(expected)[key] -= rate * velocity[key]

    assert_same(trainer, expected)


def test_adam_changes_keep_moments() -> None:
    settings = TrainingSettings(learning_rate=0.05, optimizer="adam")
    trainer = Trainer(xor_network(), CORNERS, XOR, settings)
    expected = copy_parameters(trainer.network.parameters)
    first: dict[str, Array] = {}
    second: dict[str, Array] = {}

    for step in range(STEPS_BEFORE + STEPS_AFTER):
        changed = step >= STEPS_BEFORE
        if step == STEPS_BEFORE:
            trainer.change_settings(
                learning_rate=0.01, adam_beta1=0.8, adam_beta2=0.99, adam_eps=1e-6
            )
        trainer.step()

        rate, beta1, beta2, eps = (0.01, 0.8, 0.99, 1e-6) if changed else (0.05, 0.9, 0.999, 1e-8)
        t = step + 1
        for key, grad in gradient_arrays(expected).items():
            first[key] = beta1 * first.get(key, 0.0) + (1 - beta1) * grad
            second[key] = beta2 * second.get(key, 0.0) + (1 - beta2) * grad * grad
            m_hat = first[key] / (1 - beta1**t)
            v_hat = second[key] / (1 - beta2**t)
            arrays(expected)[key] -= rate * m_hat / (np.sqrt(v_hat) + eps)

    assert_same(trainer, expected)


def test_adam_settings_used_from_start() -> None:
    # Non-default betas and eps given as settings equal the same hand loop.
    settings = TrainingSettings(
        learning_rate=0.05, optimizer="adam", adam_beta1=0.5, adam_beta2=0.9, adam_eps=1e-3
    )
    trainer = Trainer(xor_network(), CORNERS, XOR, settings)
    expected = copy_parameters(trainer.network.parameters)
    first: dict[str, Array] = {}
    second: dict[str, Array] = {}

    for t in range(1, 4):
        trainer.step()
        for key, grad in gradient_arrays(expected).items():
            first[key] = 0.5 * first.get(key, 0.0) + 0.5 * grad
            second[key] = 0.9 * second.get(key, 0.0) + 0.1 * grad * grad
            m_hat = first[key] / (1 - 0.5**t)
            v_hat = second[key] / (1 - 0.9**t)
            arrays(expected)[key] -= 0.05 * m_hat / (np.sqrt(v_hat) + 1e-3)

    assert_same(trainer, expected)


def test_change_settings_keeps_others() -> None:
    settings = TrainingSettings(optimizer="momentum", momentum=0.7, l2=0.01)
    trainer = Trainer(xor_network(), CORNERS, XOR, settings)
    trainer.change_settings(learning_rate=0.3)
    assert trainer.settings.momentum == 0.7
    assert trainer.settings.l2 == 0.01
    assert trainer.settings.learning_rate == 0.3
