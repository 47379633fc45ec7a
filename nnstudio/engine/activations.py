"""Activation functions, each with its derivative beside it, registered by name.

Shapes: z and a are (samples, units). ``backward`` takes dLoss/da and returns
dLoss/dz for the same batch. Element-wise activations only define
``derivative(z, a)``, the value of da/dz at each element; the base class turns
it into ``backward``. PReLU is the one activation with a learned parameter,
alpha, which the network passes in from the layer's parameters. PerNeuron
applies a different activation to each unit (column) of a layer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.errors import EngineError, StepBackpropagationError

Array = NDArray[np.floating]


class Activation:
    """One activation function: its forward map and its backward map."""

    name: ClassVar[str] = ""
    # False for step, and for a PerNeuron mix with a step unit: the derivative
    # of step is zero almost everywhere, so gradient descent cannot learn through it.
    differentiable: bool = True

    def forward(self, z: Array) -> Array:
        raise NotImplementedError

    def derivative(self, z: Array, a: Array) -> Array:
        """Return da/dz element by element; z is the pre-activation, a = forward(z)."""
        raise NotImplementedError

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        """Return dLoss/dz given dLoss/da."""
        result: Array = grad_a * self.derivative(z, a)
        return result

    def describe(self) -> dict[str, float | str]:
        """Return the fields a project file stores for this activation."""
        return {"activation": self.name}


ACTIVATIONS: dict[str, Callable[..., Activation]] = {}


def register(cls: type[Activation]) -> type[Activation]:
    """Add an activation class to the registry under its ``name``."""
    ACTIVATIONS[cls.name] = cls
    return cls


# PyTorch's initial value of PReLU's alpha (torch.nn.PReLU, init=0.25).
INITIAL_ALPHA = 0.25


def make_activation(name: str, slope: float = 0.01) -> Activation:
    """Build the activation registered as ``name``; ``slope`` applies to leaky_relu."""
    if name not in ACTIVATIONS:
        choices = ", ".join(sorted(ACTIVATIONS))
        raise EngineError(f"unknown activation {name!r}; choose one of: {choices}")
    if name == "leaky_relu":
        return LeakyReLU(slope)
    return ACTIVATIONS[name]()


@register
class Identity(Activation):
    name = "identity"

    def forward(self, z: Array) -> Array:
        return z

    def derivative(self, z: Array, a: Array) -> Array:
        return np.ones_like(z)

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        return grad_a


@register
class Step(Activation):
    """Heaviside step with step(0) = 1, the threshold unit of the perceptron."""

    name = "step"
    differentiable = False

    def forward(self, z: Array) -> Array:
        return (z >= 0).astype(z.dtype)

    def derivative(self, z: Array, a: Array) -> Array:
        raise StepBackpropagationError()


@register
class Sigmoid(Activation):
    name = "sigmoid"

    def forward(self, z: Array) -> Array:
        # Split by sign so exp never overflows: for z < 0 use e^z / (1 + e^z).
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def derivative(self, z: Array, a: Array) -> Array:
        return a * (1.0 - a)


@register
class Tanh(Activation):
    name = "tanh"

    def forward(self, z: Array) -> Array:
        return np.tanh(z)

    def derivative(self, z: Array, a: Array) -> Array:
        return 1.0 - a * a


@register
class ReLU(Activation):
    """max(0, z); the derivative is taken as 0 at z = 0, as PyTorch does."""

    name = "relu"

    def forward(self, z: Array) -> Array:
        return np.maximum(z, 0.0)

    def derivative(self, z: Array, a: Array) -> Array:
        return (z > 0).astype(z.dtype)


@register
class LeakyReLU(Activation):
    """z for z > 0, slope * z otherwise; the derivative is slope at z <= 0."""

    name = "leaky_relu"

    def __init__(self, slope: float = 0.01) -> None:
        self.slope = float(slope)

    def forward(self, z: Array) -> Array:
        return np.where(z > 0, z, self.slope * z)

    def derivative(self, z: Array, a: Array) -> Array:
        return np.where(z > 0, 1.0, self.slope).astype(z.dtype)

    def describe(self) -> dict[str, float | str]:
        return {"activation": self.name, "slope": self.slope}


@register
class PReLU(Activation):
    """z for z > 0, alpha * z otherwise, with alpha learned by backpropagation.

    alpha has shape (1,), one value for the whole layer, or (units,), one value
    per unit, and comes from the layer's parameters: the network calls
    ``forward_alpha`` and ``backward_alpha``. As in PyTorch, da/dz is alpha at
    z <= 0, and da/dalpha is z there and 0 above.
    """

    name = "prelu"

    def forward(self, z: Array) -> Array:
        raise EngineError("prelu needs its layer's alpha; use forward_alpha(z, alpha)")

    def derivative(self, z: Array, a: Array) -> Array:
        raise EngineError("prelu needs its layer's alpha; use backward_alpha(z, grad_a, alpha)")

    def forward_alpha(self, z: Array, alpha: Array) -> Array:
        """Return the activation of z (samples, units) with alpha of shape (1,) or (units,)."""
        result: Array = np.where(z > 0, z, alpha * z)
        return result

    def backward_alpha(self, z: Array, grad_a: Array, alpha: Array) -> tuple[Array, Array]:
        """Return dLoss/dz and dLoss/dalpha (shaped like alpha) given dLoss/da."""
        positive = z > 0
        grad_z: Array = grad_a * np.where(positive, 1.0, alpha).astype(z.dtype)

        # Each unit's alpha collects grad_a * z over the samples where z <= 0. A
        # shared alpha also sums over the units.
        per_unit = (grad_a * np.where(positive, 0.0, z)).sum(axis=0)
        grad_alpha: Array = per_unit.sum(keepdims=True) if alpha.shape == (1,) else per_unit
        return grad_z, grad_alpha.astype(z.dtype)


@register
class Absolute(Activation):
    """|z|; the derivative is sign(z), taken as 0 at z = 0."""

    name = "abs"

    def forward(self, z: Array) -> Array:
        return np.abs(z)

    def derivative(self, z: Array, a: Array) -> Array:
        return np.sign(z)


@register
class Softmax(Activation):
    """Softmax over each row. Not element-wise: backward applies the Jacobian."""

    name = "softmax"

    def forward(self, z: Array) -> Array:
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        result: Array = e / e.sum(axis=1, keepdims=True)
        return result

    def derivative(self, z: Array, a: Array) -> Array:
        raise EngineError("softmax has no element-wise derivative; use backward()")

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        # For each row: dz_i = a_i * (g_i - sum_j g_j a_j).
        inner = (grad_a * a).sum(axis=1, keepdims=True)
        result: Array = a * (grad_a - inner)
        return result


HIDDEN_ACTIVATIONS = (
    "identity",
    "step",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "prelu",
    "abs",
)
OUTPUT_ACTIVATIONS = ("identity", "sigmoid", "softmax", "step")

# Activations that couple a layer's units or carry a learned parameter of the
# layer, so they cannot be given to some units of a layer and not to others.
LAYER_ONLY_ACTIVATIONS = ("softmax", "prelu")


class PerNeuron(Activation):
    """One registered activation per unit: unit j's column of z goes through ``names[j]``.

    Units that share an activation are computed together, so a layer whose units
    all share one activation gets the same numbers, bit for bit, as that
    activation alone. ``slope`` applies to the leaky_relu units. A step unit
    makes the whole layer non-differentiable, as a step layer is.
    """

    name = "per-neuron activations"

    def __init__(self, names: Sequence[str], slope: float = 0.01) -> None:
        check_unit_activations(names)
        if "prelu" in names:
            # prelu needs the alpha from the layer's parameters, which PerNeuron is not given.
            raise EngineError(layer_only_message("prelu"))
        self.names = tuple(names)
        self.slope = float(slope)
        self.groups: list[tuple[Activation, list[int]]] = []
        for name in dict.fromkeys(self.names):
            columns = [j for j, unit_name in enumerate(self.names) if unit_name == name]
            self.groups.append((make_activation(name, slope), columns))
        self.differentiable = all(part.differentiable for part, _ in self.groups)

    def forward(self, z: Array) -> Array:
        a = np.empty_like(z)
        for part, columns in self.groups:
            a[:, columns] = part.forward(z[:, columns])
        return a

    def derivative(self, z: Array, a: Array) -> Array:
        slopes = np.empty_like(z)
        for part, columns in self.groups:
            slopes[:, columns] = part.derivative(z[:, columns], a[:, columns])
        return slopes

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        grad_z = np.empty_like(grad_a)
        for part, columns in self.groups:
            grad_z[:, columns] = part.backward(z[:, columns], a[:, columns], grad_a[:, columns])
        return grad_z

    def describe(self) -> dict[str, float | str]:
        described: dict[str, float | str] = {"activations": ", ".join(self.names)}
        if "leaky_relu" in self.names:
            described["slope"] = self.slope
        return described


def check_unit_activations(names: Sequence[str]) -> None:
    """Raise EngineError unless ``names`` can be mixed in one layer, one name per unit.

    Every name must be registered. softmax and prelu are allowed only when every
    unit uses them, because softmax couples the units and prelu's learned
    slope belongs to the layer.
    """
    if not names:
        raise EngineError("a per-neuron activation list needs one name per unit; it is empty")
    for index, name in enumerate(names):
        if name not in ACTIVATIONS:
            choices = ", ".join(sorted(ACTIVATIONS))
            raise EngineError(
                f"unknown activation {name!r} for unit {index + 1}; choose one of: {choices}"
            )
    mixed = len(set(names)) > 1
    for name in LAYER_ONLY_ACTIVATIONS:
        if mixed and name in names:
            raise EngineError(layer_only_message(name))


def layer_only_message(name: str) -> str:
    """Return why ``name`` (softmax or prelu) cannot be chosen for single units of a layer."""
    if name == "softmax":
        reason = "softmax couples the units of a layer, since each output depends on every z"
    else:
        reason = "prelu learns its slope for the layer as a whole"
    return (
        f"{reason}, so it cannot be mixed with other activations in one layer; "
        f"set {name} for the whole layer, or choose other activations for its neurons"
    )


def make_unit_activations(names: Sequence[str], slope: float = 0.01) -> Activation:
    """Build the activation of a layer whose unit j uses ``names[j]``.

    A list with one name throughout gives that activation itself, so prelu and
    softmax layers keep their usual objects; a mixed list gives PerNeuron.
    """
    check_unit_activations(names)
    if len(set(names)) == 1:
        return make_activation(names[0], slope)
    return PerNeuron(names, slope)
