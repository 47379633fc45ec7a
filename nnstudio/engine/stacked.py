"""K copies of one network in stacked arrays: forward, backward, loss and optimizer steps.

Shapes: a stack of activations is (K, samples, units); a layer's stacked W is
(K, inputs, units) and its b is (K, units), so z[k] = a[k] @ W[k] + b[k]. Data
that every copy shares, such as the unshuffled training set, stays (samples,
features) and broadcasts over the copy axis. Stacked weights travel in the
engine's ``Parameters`` dict, with the copy axis in front of each array.

Each operation repeats the one that network.py, losses.py or optimizers.py
applies to a single network, in the same order, so copy k gets the numbers that
a single network with copy k's weights gets. The activation objects and the loss
gradients are the engine's own. The per-copy loss values and the weight penalty
are written out again here, because the engine's versions sum over a whole
batch. The optimizers keep their own state for the K copies, but their update
arithmetic is the engine's momentum_update and adam_update.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.activations import Activation
from nnstudio.engine.errors import EngineError, StepBackpropagationError
from nnstudio.engine.graph import NetworkSpec
from nnstudio.engine.losses import Loss
from nnstudio.engine.network import LayerParameters, Parameters
from nnstudio.engine.optimizers import (
    SGD,
    Adam,
    Momentum,
    Optimizer,
    adam_update,
    momentum_update,
)

Array = NDArray[np.floating]
Rows = NDArray[np.intp]

# Activations with a learned parameter of their own, which these stacks do not carry.
LEARNED_ACTIVATIONS = ("prelu",)


def stack_parameters(copies: Sequence[Parameters], dtype: type = np.float64) -> Parameters:
    """Stack per-copy parameters into one dict whose arrays have the copy axis in front."""
    stacked: Parameters = {}
    for name, first in copies[0].items():
        W: Array = np.stack([copy[name].W for copy in copies]).astype(dtype)
        b: Array | None = None
        if first.b is not None:
            b = np.stack([_bias(copy[name]) for copy in copies]).astype(dtype)
        stacked[name] = LayerParameters(W, b)
    return stacked


def unstack_copy(stacked: Parameters, index: int) -> Parameters:
    """Return copy ``index`` of stacked parameters as ordinary engine parameters."""
    result: Parameters = {}
    for name, layer in stacked.items():
        b = None if layer.b is None else layer.b[index].copy()
        result[name] = LayerParameters(layer.W[index].copy(), b)
    return result


def select_copies(stacked: Parameters, rows: Rows) -> Parameters:
    """Return the copies at ``rows``, as new arrays."""
    result: Parameters = {}
    for name, layer in stacked.items():
        b = None if layer.b is None else layer.b[rows]
        result[name] = LayerParameters(layer.W[rows], b)
    return result


def copy_stack(stacked: Parameters) -> Parameters:
    return {name: layer.copy() for name, layer in stacked.items()}


@dataclass
class StackedPass:
    """Every layer's stacked z, a and layer input for one batch, kept for backward."""

    z: dict[str, Array]
    a: dict[str, Array]
    inputs: dict[str, Array]


class StackedNetwork:
    """K copies of one network spec, each with its own weights, run as one."""

    def __init__(self, spec: NetworkSpec, parameters: Parameters, loss: Loss) -> None:
        self.spec = spec
        self.parameters = parameters
        self.loss = loss
        self.activations: dict[str, Activation] = {}
        for layer in spec.layers:
            # A per-neuron mix is applied column by column, so it stacks like any other.
            activation = layer.make_activation()
            if not activation.differentiable:
                raise StepBackpropagationError(layer.name)
            if activation.name in LEARNED_ACTIVATIONS:
                raise EngineError(
                    f"layer {layer.name!r} uses {activation.name}, whose learned parameter is "
                    "not supported when training many seeds at once; train one seed at a time "
                    "or choose another activation"
                )
            self.activations[layer.name] = activation
        # A loss with a logit activation is always computed from the logits, as
        # Network.loss_of does once it has checked the output activation.
        self.from_logits = loss.logit_activation is not None
        self.loss_values = _loss_values_function(loss)

    def forward(self, X: Array) -> StackedPass:
        """Run X, shared (samples, inputs) or stacked (K, samples, inputs), through each layer."""
        a: dict[str, Array] = {self.spec.input_name: X}
        z: dict[str, Array] = {}
        inputs: dict[str, Array] = {}
        for name in self.spec.order:
            layer_input = self._gather(name, a)
            params = self.parameters[name]
            pre = np.matmul(layer_input, params.W)
            if params.b is not None:
                pre += params.b[:, np.newaxis, :]
            inputs[name] = layer_input
            z[name] = pre
            a[name] = _rows_of_all_copies(self.activations[name].forward, pre)
        return StackedPass(z, a, inputs)

    def output(self, run: StackedPass) -> Array:
        return run.a[self.spec.output_name]

    def losses(self, run: StackedPass, y: Array) -> Array:
        """Return each copy's loss (K,) on the batch of ``run``: a mean over its samples."""
        out = self.spec.output_name
        return self.loss_values(run.z[out], run.a[out], y)

    def gradients(self, X: Array, y: Array) -> Parameters:
        """Return dLoss/dW and dLoss/db of every copy on the batch (X, y)."""
        run = self.forward(X)
        spec = self.spec
        out = spec.output_name

        # gradient at the output's pre-activation
        if self.from_logits:
            dz_out = _samples_first(self.loss.gradient_from_logits, run.z[out], y)
        else:
            grad_a_out = _samples_first(self.loss.gradient, run.a[out], y)
            dz_out = self._layer_backward(out, run, grad_a_out)

        # backward through the layers in reverse order, as Network.backward does
        grad_a: dict[str, Array] = {}
        dz: dict[str, Array] = {out: dz_out}
        grads: Parameters = {}
        for name in reversed(spec.order):
            if name != out:
                dz[name] = self._layer_backward(name, run, grad_a.pop(name))
            params = self.parameters[name]
            dW = np.matmul(np.swapaxes(run.inputs[name], -1, -2), dz[name])
            db = dz[name].sum(axis=1) if params.b is not None else None
            grads[name] = LayerParameters(dW, db)
            if self._has_hidden_source(name):
                grad_input = np.matmul(dz[name], np.swapaxes(params.W, 1, 2))
                self._scatter(name, grad_input, grad_a)
        return {name: grads[name] for name in spec.order}

    def keep(self, rows: Rows) -> None:
        """Drop every copy except those at ``rows``."""
        self.parameters = select_copies(self.parameters, rows)

    def _layer_backward(self, name: str, run: StackedPass, grad_a: Array) -> Array:
        backward = self.activations[name].backward
        return _rows_of_all_copies(backward, run.z[name], run.a[name], grad_a)

    def _gather(self, name: str, a: dict[str, Array]) -> Array:
        sources = self.spec.layer(name).inputs
        if len(sources) == 1:
            return a[sources[0]]
        # The shared training set gets the copy axis before it is joined to stacked layers.
        copies = len(self.parameters[name].W)
        parts = [_with_copy_axis(a[source], copies) for source in sources]
        return np.concatenate(parts, axis=2)

    def _has_hidden_source(self, name: str) -> bool:
        return any(source != self.spec.input_name for source in self.spec.layer(name).inputs)

    def _scatter(self, name: str, grad_input: Array, grad_a: dict[str, Array]) -> None:
        # Split dLoss/d(layer input) into its source layers, adding to what they got already.
        start = 0
        for source in self.spec.layer(name).inputs:
            width = self.spec.units(source)
            if source != self.spec.input_name:
                part = grad_input[:, :, start : start + width]
                grad_a[source] = grad_a[source] + part if source in grad_a else part
            start += width


def _bias(layer: LayerParameters) -> Array:
    if layer.b is None:
        raise EngineError("every copy of a layer must have a bias, or none of them")
    return layer.b


def _with_copy_axis(values: Array, copies: int) -> Array:
    if values.ndim == 3:
        return values
    return np.broadcast_to(values, (copies, *values.shape))


def _rows_of_all_copies(function: Callable[..., Array], *stacks: Array) -> Array:
    """Apply an activation map, written for (samples, units), to (K, samples, units) stacks.

    The K copies' rows are joined into one (K * samples, units) array (a view
    when the stack is contiguous), so row-wise maps such as softmax still see one
    sample per row.
    """
    shape = stacks[0].shape
    rows = [stack.reshape(-1, shape[-1]) for stack in stacks]
    result: Array = function(*rows).reshape(shape)
    return result


def _samples_first(function: Callable[[Array, Array], Array], output: Array, y: Array) -> Array:
    """Apply a loss gradient, written for (samples, outputs), to a stack of K copies.

    The loss divides by len(y), which must count the samples of one copy, and
    cross-entropy normalizes along axis 1, which must be the outputs. So the
    copy axis moves last, giving (samples, outputs, K); y shared by every copy
    broadcasts as (samples, outputs, 1).

    NOTE: with 8 or more outputs, cross-entropy's sum over the outputs here runs
    along a middle axis, so it rounds differently from NumPy's pairwise sum in the
    engine and can differ from a single network in the last bits (about 1e-15).
    """
    moved = np.ascontiguousarray(np.moveaxis(output, 0, -1))
    targets = y[:, :, np.newaxis] if y.ndim == 2 else np.ascontiguousarray(np.moveaxis(y, 0, -1))
    return np.ascontiguousarray(np.moveaxis(function(moved, targets), -1, 0))


# per-copy loss values


LossValues = Callable[[Array, Array, Array], Array]


def _sum_per_copy(values: Array) -> Array:
    # One contiguous run per copy, summed as np.sum sums a single network's batch.
    flat = values.reshape(len(values), -1)
    result: Array = flat.sum(axis=1)
    return result


def _mse_values(z: Array, output: Array, y: Array) -> Array:
    diff = output - y
    result: Array = 0.5 * _sum_per_copy(diff * diff) / output.shape[1]
    return result


def _mae_values(z: Array, output: Array, y: Array) -> Array:
    result: Array = _sum_per_copy(np.abs(output - y)) / output.shape[1]
    return result


def _binary_cross_entropy_values(z: Array, output: Array, y: Array) -> Array:
    softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))
    result: Array = _sum_per_copy(softplus - y * z) / z.shape[1]
    return result


def _cross_entropy_values(z: Array, output: Array, y: Array) -> Array:
    shifted = z - z.max(axis=2, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    result: Array = -_sum_per_copy(y * log_softmax) / z.shape[1]
    return result


# Each formula equals the engine's loss value for one copy. Binary cross-entropy
# and cross-entropy take the from-logits forms, the only ones training uses.
_LOSS_VALUES: dict[str, LossValues] = {
    "mse": _mse_values,
    "mae": _mae_values,
    "binary_cross_entropy": _binary_cross_entropy_values,
    "cross_entropy": _cross_entropy_values,
}


def _loss_values_function(loss: Loss) -> LossValues:
    if loss.name not in _LOSS_VALUES:
        choices = ", ".join(_LOSS_VALUES)
        raise EngineError(
            f"training many seeds at once does not support the {loss.name} loss yet; "
            f"choose one of: {choices}"
        )
    return _LOSS_VALUES[loss.name]


# optimizers


class StackedOptimizer:
    """An optimizer rule of optimizers.py with separate state for each of K copies."""

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = learning_rate

    def update(self, parameters: Parameters, gradients: Parameters) -> None:
        """Change the stacked ``parameters`` in place by one step along ``gradients``."""
        for name, layer in parameters.items():
            grad = gradients[name]
            self._apply(f"{name}/W", layer.W, grad.W)
            if layer.b is not None and grad.b is not None:
                self._apply(f"{name}/b", layer.b, grad.b)

    def keep(self, rows: Rows) -> None:
        """Drop the state of every copy except those at ``rows``."""

    def _apply(self, key: str, value: Array, grad: Array) -> None:
        value -= self.learning_rate * grad


class StackedMomentum(StackedOptimizer):
    def __init__(self, learning_rate: float, momentum: float) -> None:
        super().__init__(learning_rate)
        self.momentum = momentum
        self._velocity: dict[str, Array] = {}

    def keep(self, rows: Rows) -> None:
        self._velocity = {key: velocity[rows] for key, velocity in self._velocity.items()}

    def _apply(self, key: str, value: Array, grad: Array) -> None:
        momentum_update(self._velocity, key, value, grad, self.momentum, self.learning_rate)


class StackedAdam(StackedOptimizer):
    def __init__(self, learning_rate: float, betas: tuple[float, float], eps: float) -> None:
        super().__init__(learning_rate)
        self.betas = betas
        self.eps = eps
        # Every update steps every parameter of every copy still training, so one
        # count serves them all.
        self._steps = 0
        self._moments: dict[str, tuple[Array, Array]] = {}

    def update(self, parameters: Parameters, gradients: Parameters) -> None:
        self._steps += 1
        super().update(parameters, gradients)

    def keep(self, rows: Rows) -> None:
        self._moments = {key: (m[rows], v[rows]) for key, (m, v) in self._moments.items()}

    def _apply(self, key: str, value: Array, grad: Array) -> None:
        if key not in self._moments:
            self._moments[key] = (np.zeros_like(value), np.zeros_like(value))
        m, v = self._moments[key]
        adam_update(m, v, value, grad, self._steps, self.learning_rate, self.betas, self.eps)


def make_stacked_optimizer(rule: Optimizer) -> StackedOptimizer:
    """Build the stacked form of the engine optimizer ``rule``, with its constants."""
    if isinstance(rule, Momentum):
        return StackedMomentum(rule.learning_rate, rule.momentum)
    if isinstance(rule, Adam):
        return StackedAdam(rule.learning_rate, rule.betas, rule.eps)
    if isinstance(rule, SGD):
        return StackedOptimizer(rule.learning_rate)
    raise EngineError(
        f"training many seeds at once does not support the {rule.name} optimizer yet; "
        "choose sgd, momentum or adam"
    )


# weight penalty


def add_penalty_gradients(
    parameters: Parameters, gradients: Parameters, l1: float, l2: float
) -> None:
    """Add the L1 and L2 penalty's dW to every copy's gradients, as Regularization does."""
    for name, layer in parameters.items():
        grad = gradients[name].W
        if l1 > 0:
            grad += l1 * np.sign(layer.W)
        if l2 > 0:
            grad += l2 * layer.W


def penalties(parameters: Parameters, l1: float, l2: float) -> Array:
    """Return each copy's penalty l1 * sum |W| + l2 / 2 * sum W^2, as float64 (K,)."""
    copies = len(next(iter(parameters.values())).W)
    total: Array = np.zeros(copies)
    for layer in parameters.values():
        # Regularization sums in the weights' dtype and adds up in Python floats.
        if l1 > 0:
            total += l1 * _sum_per_copy(np.abs(layer.W)).astype(np.float64)
        if l2 > 0:
            total += 0.5 * l2 * _sum_per_copy(layer.W * layer.W).astype(np.float64)
    return total
