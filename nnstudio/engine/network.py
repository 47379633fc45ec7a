"""Forward and backward passes through a network of dense layers.

Shapes: arrays are (samples, features); a layer's W is (inputs, units) and its
b is (units,), so z = a_in @ W + b and a = f(z). For a layer fed by several
layers, a_in is their activations side by side in the order of its inputs.
A prelu layer also has a learned alpha, of shape (1,) or (units,).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.activations import INITIAL_ALPHA, Activation, PReLU
from nnstudio.engine.errors import EngineError, StepBackpropagationError
from nnstudio.engine.graph import NetworkSpec
from nnstudio.engine.losses import Loss

Array = NDArray[np.floating]


@dataclass
class LayerParameters:
    """The weights W (inputs, units), bias b (units,) and prelu alpha of one layer.

    b is None for a layer without bias, and alpha is None for every activation
    except prelu, where it has shape (1,) or (units,).
    """

    W: Array
    b: Array | None
    alpha: Array | None = None

    def copy(self) -> LayerParameters:
        b = None if self.b is None else self.b.copy()
        alpha = None if self.alpha is None else self.alpha.copy()
        return LayerParameters(self.W.copy(), b, alpha)


Parameters = dict[str, LayerParameters]


def copy_parameters(parameters: Parameters) -> Parameters:
    return {name: layer.copy() for name, layer in parameters.items()}


@dataclass
class ForwardPass:
    """Every layer's pre-activation z and activation a for one batch, kept for backward."""

    z: dict[str, Array]
    a: dict[str, Array]
    inputs: dict[str, Array]

    def output(self, spec: NetworkSpec) -> Array:
        return self.a[spec.output_name]


@dataclass
class Gradients:
    """dLoss/dW, dLoss/db and dLoss/dalpha per layer, plus dLoss/dz per layer for teaching views."""

    loss: float
    output: Array
    parameters: Parameters
    dz: dict[str, Array]


class Network:
    """A network spec with its parameters; runs forward and backward passes.

    A prelu layer given without alpha starts at INITIAL_ALPHA. The parameters
    are copied into arrays of ``dtype``.
    """

    def __init__(self, spec: NetworkSpec, parameters: Parameters, dtype: type = np.float64):
        self.spec = spec
        self.dtype = dtype
        self.activations: dict[str, Activation] = {
            layer.name: layer.make_activation() for layer in spec.layers
        }
        self.parameters = {
            name: _cast(_with_initial_alpha(spec, name, parameters[name]), dtype)
            for name in spec.order
        }
        self._check_shapes()

    def forward(self, X: Array) -> ForwardPass:
        """Run the batch X (samples, input units) through every layer in order."""
        spec = self.spec
        a: dict[str, Array] = {spec.input_name: np.asarray(X, dtype=self.dtype)}
        z: dict[str, Array] = {}
        inputs: dict[str, Array] = {}
        for name in spec.order:
            layer_input = self._gather(name, a)
            params = self.parameters[name]
            pre = layer_input @ params.W
            if params.b is not None:
                pre += params.b
            inputs[name] = layer_input
            z[name] = pre
            a[name] = self._activate(name, pre)
        return ForwardPass(z, a, inputs)

    def predict(self, X: Array) -> Array:
        return self.forward(X).output(self.spec)

    def loss(self, X: Array, y: Array, loss: Loss) -> float:
        return self.loss_of(self.forward(X), y, loss)

    def loss_of(self, run: ForwardPass, y: Array, loss: Loss) -> float:
        out = self.spec.output_name
        if self._from_logits(loss):
            return loss.value_from_logits(run.z[out], y)
        return loss.value(run.a[out], y)

    def gradients(self, X: Array, y: Array, loss: Loss) -> Gradients:
        """Return the loss on (X, y) and dLoss/dW, dLoss/db (and dLoss/dalpha) for every layer."""
        run = self.forward(X)
        y = np.asarray(y, dtype=self.dtype)
        return self.backward(run, y, loss)

    def backward(self, run: ForwardPass, y: Array, loss: Loss) -> Gradients:
        spec = self.spec
        out = spec.output_name
        grad_alpha: dict[str, Array | None] = {}

        # loss and its gradient at the output's pre-activation
        if self._from_logits(loss):
            value = loss.value_from_logits(run.z[out], y)
            dz_out = loss.gradient_from_logits(run.z[out], y)
        else:
            value = loss.value(run.a[out], y)
            grad_a_out = loss.gradient(run.a[out], y)
            dz_out, grad_alpha[out] = self._layer_backward(out, run, grad_a_out)

        # backward through the layers in reverse order, reusing the stored z and a
        grad_a: dict[str, Array] = {}
        dz: dict[str, Array] = {out: dz_out}
        grads: Parameters = {}
        for name in reversed(spec.order):
            if name != out:
                dz[name], grad_alpha[name] = self._layer_backward(name, run, grad_a.pop(name))
            params = self.parameters[name]
            dW = run.inputs[name].T @ dz[name]
            db = dz[name].sum(axis=0) if params.b is not None else None
            grads[name] = LayerParameters(dW, db, grad_alpha.get(name))
            self._scatter(name, dz[name] @ params.W.T, grad_a)

        ordered = {name: grads[name] for name in spec.order}
        return Gradients(value, run.a[out], ordered, dz)

    def _activate(self, name: str, z: Array) -> Array:
        activation = self.activations[name]
        if isinstance(activation, PReLU):
            return activation.forward_alpha(z, self._alpha(name))
        return activation.forward(z)

    def _layer_backward(
        self, name: str, run: ForwardPass, grad_a: Array
    ) -> tuple[Array, Array | None]:
        """Return dLoss/dz of layer ``name`` and, for prelu, dLoss/dalpha."""
        activation = self.activations[name]
        if isinstance(activation, PReLU):
            return activation.backward_alpha(run.z[name], grad_a, self._alpha(name))
        try:
            return activation.backward(run.z[name], run.a[name], grad_a), None
        except StepBackpropagationError:
            raise StepBackpropagationError(name) from None

    def _alpha(self, name: str) -> Array:
        alpha = self.parameters[name].alpha
        if alpha is None:
            raise EngineError(
                f"layer {name!r} uses prelu but its parameters have no alpha; "
                "give it an alpha of shape (1,) or (units,)"
            )
        return alpha

    def _from_logits(self, loss: Loss) -> bool:
        activation = self.activations[self.spec.output_name].name
        if loss.logit_activation is None:
            return False
        if activation != loss.logit_activation:
            raise EngineError(
                f"the {loss.name} loss needs a {loss.logit_activation} output layer, "
                f"but the output layer uses {activation}; change one of them"
            )
        return True

    def _gather(self, name: str, a: dict[str, Array]) -> Array:
        sources = self.spec.layer(name).inputs
        if len(sources) == 1:
            return a[sources[0]]
        return np.concatenate([a[source] for source in sources], axis=1)

    def _scatter(self, name: str, grad_input: Array, grad_a: dict[str, Array]) -> None:
        # Split dLoss/d(input of this layer) back into its source layers and add it
        # to what their other consumers already sent.
        start = 0
        for source in self.spec.layer(name).inputs:
            if source == self.spec.input_name:
                start += self.spec.input_units
                continue
            width = self.spec.units(source)
            part = grad_input[:, start : start + width]
            grad_a[source] = grad_a[source] + part if source in grad_a else part
            start += width

    def _check_shapes(self) -> None:
        for name in self.spec.order:
            expected = (self.spec.fan_in(name), self.spec.layer(name).units)
            params = self.parameters[name]
            if params.W.shape != expected:
                raise EngineError(
                    f"layer {name!r}: W has shape {params.W.shape}, expected {expected}"
                )
            has_bias = self.spec.layer(name).bias
            if has_bias and (params.b is None or params.b.shape != (expected[1],)):
                raise EngineError(f"layer {name!r}: b must have shape ({expected[1]},)")
            if not has_bias and params.b is not None:
                raise EngineError(f"layer {name!r} has no bias, but a bias was given")
            self._check_alpha(name)

    def _check_alpha(self, name: str) -> None:
        expected = self.spec.layer(name).alpha_shape()
        alpha = self.parameters[name].alpha
        if expected is None and alpha is not None:
            raise EngineError(f"layer {name!r} is not a prelu layer, but an alpha was given")
        if expected is not None and alpha is not None and alpha.shape != expected:
            raise EngineError(f"layer {name!r}: alpha has shape {alpha.shape}, expected {expected}")


def fit_alpha(spec: NetworkSpec, parameters: Parameters) -> Parameters:
    """Return ``parameters`` with each layer's alpha fitted to its activation.

    A prelu layer whose alpha is missing or has another shape gets
    INITIAL_ALPHA, and other layers lose their alpha. W and b are shared, not
    copied. Every layer of ``parameters`` must be a layer of ``spec``.
    """
    fitted: Parameters = {}
    for name, params in parameters.items():
        shape = spec.layer(name).alpha_shape()
        alpha = params.alpha
        if shape is None:
            alpha = None
        elif alpha is None or alpha.shape != shape:
            alpha = np.full(shape, INITIAL_ALPHA)
        fitted[name] = LayerParameters(params.W, params.b, alpha)
    return fitted


def _with_initial_alpha(spec: NetworkSpec, name: str, params: LayerParameters) -> LayerParameters:
    shape = spec.layer(name).alpha_shape()
    if shape is None or params.alpha is not None:
        return params
    return LayerParameters(params.W, params.b, np.full(shape, INITIAL_ALPHA))


def _cast(params: LayerParameters, dtype: type) -> LayerParameters:
    W: Array = np.array(params.W, dtype=dtype)
    b: Array | None = None if params.b is None else np.array(params.b, dtype=dtype)
    alpha: Array | None = None if params.alpha is None else np.array(params.alpha, dtype=dtype)
    return LayerParameters(W, b, alpha)
