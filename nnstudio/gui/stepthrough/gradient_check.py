"""The gradient check of step-through mode: backpropagation against finite differences.

It runs the engine's check_gradients on the project's current weights and its
whole dataset, with the training settings' loss and weight penalty, in float64
whatever the project's precision: float32 rounding alone would exceed the
threshold. This module imports no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnstudio.engine.errors import EngineError
from nnstudio.engine.gradcheck import check_gradients
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import Network
from nnstudio.engine.regularization import Regularization
from nnstudio.gui.stepthrough.notation import Notation
from nnstudio.project.model import Project

# The largest relative error that counts as agreement. Every project in examples/
# checked below 4e-9 (float64, central differences with h = 1e-6).
THRESHOLD = 1e-6


@dataclass(frozen=True)
class LayerResult:
    """The largest relative error of one layer's gradients, with the layer's lecture title."""

    layer: str
    title: str
    max_relative_error: float

    @property
    def passed(self) -> bool:
        return self.max_relative_error < THRESHOLD


@dataclass(frozen=True)
class GradientReport:
    """The result of one gradient check: one row per layer, or the engine's error message."""

    layers: tuple[LayerResult, ...] = ()
    error: str | None = None
    samples: int = 0

    @property
    def max_relative_error(self) -> float:
        return max((result.max_relative_error for result in self.layers), default=0.0)

    @property
    def passed(self) -> bool:
        return self.error is None and all(result.passed for result in self.layers)


def run_gradient_check(project: Project) -> GradientReport:
    """Compare backpropagation with central differences on every sample of ``project``.

    The drawing must be a network. An engine error, such as a step unit that
    cannot backpropagate, comes back as the report's ``error``.
    """
    # The check costs two forward passes over the whole dataset per parameter,
    # so the window calls this on a worker thread (gradient_job.py).
    current = project.network()
    network = Network(current.spec, current.parameters, dtype=np.float64)
    X = project.dataset.network_inputs()
    y = np.asarray(project.dataset.y, dtype=np.float64)
    settings = project.settings
    try:
        checks = check_gradients(
            network,
            X,
            y,
            make_loss(settings.loss),
            regularization=Regularization(settings.l1, settings.l2),
        )
    except EngineError as error:
        return GradientReport(error=str(error), samples=len(X))
    notation = Notation(network.spec)
    results = tuple(
        LayerResult(check.layer, notation.layer_title(check.layer), check.max_relative_error)
        for check in checks
    )
    return GradientReport(results, samples=len(X))
