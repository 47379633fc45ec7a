"""One forward and backward pass of chosen samples, cut into the steps a lecture walks through.

The steps are: Forward for each layer, Loss, Backward for each layer from the
output back, and Update. Every number comes from the engine: z, a and the
inputs of each layer from Network.forward, dLoss/dz, dLoss/dW and dLoss/db from
Network.backward, and the new weights from a fresh engine optimizer applied to
a copy of the weights. This module imports no Qt, so it runs and is tested
without a display.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.activations import PReLU, Softmax
from nnstudio.engine.errors import EngineError
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import Gradients, Parameters, copy_parameters
from nnstudio.engine.optimizers import make_optimizer
from nnstudio.engine.regularization import Regularization
from nnstudio.gui.stepthrough.chain_rule import chain_rule_text
from nnstudio.gui.stepthrough.notation import Notation, ParameterRef
from nnstudio.gui.stepthrough.step import Step
from nnstudio.gui.stepthrough.steps import build_steps
from nnstudio.project.model import Project

Array = NDArray[np.floating]


class Walkthrough:
    """The forward pass, loss, backward pass and update of ``samples`` (0-based row indices).

    Several samples form one batch, as in minibatch training: every loss and
    gradient is then the batch mean the engine computes. Raises GraphError when
    the drawing is not a network, EngineError when the loss does not fit the
    output layer, and ValueError for an empty or out-of-range sample list. A
    network that cannot backpropagate (a step unit) still gets its Forward and
    Loss steps, and ``backward_error`` gives the reason the rest is missing.
    """

    def __init__(self, project: Project, samples: Sequence[int]) -> None:
        count = len(project.dataset.X)
        self.samples = [int(index) for index in samples]
        if not self.samples:
            raise ValueError("choose at least one sample to step through")
        for index in self.samples:
            if not 0 <= index < count:
                last = count - 1
                raise ValueError(
                    f"sample index {index} is out of range; the dataset has samples 0 to {last}"
                )

        # forward and loss
        # A copy, because undo commands change the project's settings in place.
        self.settings = copy.copy(project.settings)
        self.network = project.network()
        self.spec = self.network.spec
        self.notation = Notation(self.spec)
        self.loss = make_loss(self.settings.loss)
        dataset = project.dataset
        self.X = dataset.network_inputs(dataset.X[self.samples])
        self.y: Array = np.asarray(project.dataset.y[self.samples], dtype=self.network.dtype)
        self.run = self.network.forward(self.X)
        self.loss_value = self.network.loss_of(self.run, self.y, self.loss)
        self.standardized = project.dataset.mean is not None

        # backward and update
        self.gradients: Gradients | None = None
        self.backward_error: str | None = None
        try:
            self.gradients = self.network.backward(self.run, self.y, self.loss)
        except EngineError as error:
            self.backward_error = str(error)
        self.step_gradients: Parameters | None = None
        self.updated: Parameters | None = None
        if self.gradients is not None:
            self.step_gradients, self.updated = self._apply_optimizer(self.gradients)

        self.steps: list[Step] = build_steps(self)

    # what the steps and the chain rule read

    @property
    def batch_size(self) -> int:
        return len(self.samples)

    @property
    def output(self) -> Array:
        return self.run.a[self.spec.output_name]

    def output_gradient(self) -> Array:
        """Return dLoss/dŷ (samples, outputs) from the loss's own gradient function."""
        return self.loss.gradient(self.output, self.y)

    def delta(self, layer: str) -> Array:
        """Return dLoss/dz of ``layer`` (samples, units) from the backward pass."""
        if self.gradients is None:
            raise EngineError(self.backward_error or "the backward pass did not run")
        return self.gradients.dz[layer]

    def error_is_delta(self) -> bool:
        """Return True when dLoss/dz of the output is (ŷ - y)/N, so the lecture's (ŷ - y) fits.

        That holds for the mean squared error on a linear output, and for the
        cross-entropies computed from the logits of their sigmoid or softmax.
        """
        output = self.spec.layer(self.spec.output_name)
        if output.activations:
            return False  # a per-neuron mix is neither linear nor one logit activation
        activation = output.activation
        if self.loss.name == "mse":
            return activation == "identity"
        return self.loss.logit_activation == activation

    def unit_activation(self, layer: str, unit: int) -> str:
        """Return the name of the activation that unit ``unit`` of ``layer`` applies."""
        return self.spec.layer(layer).unit_activations()[unit]

    def activation_slope(self, layer: str) -> Array | None:
        """Return da/dz of ``layer`` element by element, or None for softmax, which mixes units."""
        activation = self.network.activations[layer]
        z, a = self.run.z[layer], self.run.a[layer]
        if isinstance(activation, Softmax):
            return None
        if isinstance(activation, PReLU):
            alpha = self.network.parameters[layer].alpha
            assert alpha is not None  # Network gives every prelu layer an alpha
            slope: Array = np.where(z > 0, 1.0, alpha).astype(z.dtype)
            return slope
        return activation.derivative(z, a)

    def weight_row(self, consumer: str, source: str, unit: int) -> int:
        """Return the row of ``consumer``'s W that carries unit ``unit`` of ``source``."""
        for row in self.notation.input_rows(consumer):
            if row.source == source and row.unit == unit:
                return row.row
        raise KeyError(f"{source} does not feed {consumer}")

    def incoming_gradient(self, layer: str) -> Array:
        """Return dLoss/da of a hidden ``layer``: the sum over the layers it feeds of δ Wᵀ.

        This repeats the engine's own product dz @ W.T for each consumer, because
        Network.backward keeps dLoss/dz but not dLoss/da.
        """
        total = np.zeros_like(self.run.a[layer])
        units = self.spec.units(layer)
        for consumer in self.notation.consumers(layer):
            start = self.weight_row(consumer, layer, 0)
            W = self.network.parameters[consumer].W
            total += (self.delta(consumer) @ W.T)[:, start : start + units]
        return total

    # the update

    def _apply_optimizer(self, gradients: Gradients) -> tuple[Parameters, Parameters]:
        """Return the gradient a training step uses and the weights after that step.

        The gradient includes the L1 and L2 penalty, as in training. The
        optimizer is new, as at the start of a training run: momentum's velocity
        and Adam's moments start at zero.
        """
        s = self.settings
        step_gradients = copy_parameters(gradients.parameters)
        regularization = Regularization(s.l1, s.l2)
        if regularization.active:
            regularization.add_gradient(self.network.parameters, step_gradients)
        betas = (s.adam_beta1, s.adam_beta2)
        optimizer = make_optimizer(s.optimizer, s.learning_rate, s.momentum, betas, s.adam_eps)
        updated = copy_parameters(self.network.parameters)
        optimizer.update(updated, step_gradients)
        return step_gradients, updated

    def chain_rule(self, ref: ParameterRef) -> str:
        """Return the chain-rule product for ``ref`` in the lecture's notation, with numbers."""
        return chain_rule_text(self, ref)

    def parameters_of(self, layer: str) -> list[ParameterRef]:
        """Return every weight of ``layer`` (row by row), then its biases."""
        W = self.network.parameters[layer].W
        refs = [
            ParameterRef(layer, "W", unit, row)
            for row in range(W.shape[0])
            for unit in range(W.shape[1])
        ]
        if self.network.parameters[layer].b is not None:
            refs += [ParameterRef(layer, "b", unit) for unit in range(W.shape[1])]
        return refs

    def value(self, ref: ParameterRef, parameters: Parameters | None = None) -> float:
        """Return the value of ``ref`` in ``parameters`` (default: the current weights)."""
        layer = (parameters or self.network.parameters)[ref.layer]
        if ref.kind == "W":
            return float(layer.W[ref.row, ref.unit])
        assert layer.b is not None
        return float(layer.b[ref.unit])

    def gradient(self, ref: ParameterRef) -> float:
        """Return dLoss/d``ref`` from the backward pass (without any weight penalty)."""
        if self.gradients is None:
            raise EngineError(self.backward_error or "the backward pass did not run")
        return self.value(ref, self.gradients.parameters)
