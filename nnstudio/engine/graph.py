"""The shape of a network: dense layers joined into a directed acyclic graph.

One layer is the input (it has no weights), exactly one layer is the output,
and every other layer lies on a path from the input to the output. A layer with
several incoming layers receives their outputs side by side, in the order its
``inputs`` tuple lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nnstudio.engine.activations import Activation, make_unit_activations
from nnstudio.engine.errors import EngineError, GraphError


@dataclass(frozen=True)
class LayerSpec:
    """One dense layer: its units, activation and the layers that feed it.

    ``slope`` applies to leaky_relu. ``prelu_per_neuron`` applies to prelu: True
    learns one alpha per unit, False one alpha for the whole layer.
    ``activations``, when given, names one activation per unit and overrides
    ``activation``. A list with one name throughout becomes that ``activation``
    with ``activations`` empty, so a non-empty ``activations`` always mixes
    several functions; it may not contain softmax or prelu.
    """

    name: str
    units: int
    activation: str = "identity"
    inputs: tuple[str, ...] = ()
    bias: bool = True
    slope: float = 0.01
    prelu_per_neuron: bool = False
    activations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.activations:
            return
        if len(self.activations) != self.units:
            raise GraphError(
                f"layer {self.name!r} has {self.units} units but {len(self.activations)} "
                "per-neuron activations; give exactly one activation per unit"
            )
        try:
            make_unit_activations(self.activations, self.slope)
        except EngineError as error:
            raise GraphError(f"layer {self.name!r}: {error}") from None
        if len(set(self.activations)) == 1:
            object.__setattr__(self, "activation", self.activations[0])
            object.__setattr__(self, "activations", ())

    def unit_activations(self) -> tuple[str, ...]:
        """Return the activation name of each unit, in unit order."""
        return self.activations or (self.activation,) * self.units

    def make_activation(self) -> Activation:
        """Build this layer's activation object: one function, or a PerNeuron mix."""
        return make_unit_activations(self.unit_activations(), self.slope)

    def alpha_shape(self) -> tuple[int, ...] | None:
        """Return the shape of the learned prelu alpha, or None for other activations."""
        if self.activation != "prelu" or self.activations:
            return None
        return (self.units,) if self.prelu_per_neuron else (1,)


@dataclass(frozen=True)
class NetworkSpec:
    """An input of ``input_units`` features followed by dense layers in any order."""

    input_units: int
    layers: tuple[LayerSpec, ...]
    input_name: str = "input"
    order: tuple[str, ...] = field(init=False)
    output_name: str = field(init=False)

    def __post_init__(self) -> None:
        order, output = _check_graph(self)
        object.__setattr__(self, "order", order)
        object.__setattr__(self, "output_name", output)

    def layer(self, name: str) -> LayerSpec:
        for spec in self.layers:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def units(self, name: str) -> int:
        return self.input_units if name == self.input_name else self.layer(name).units

    def fan_in(self, name: str) -> int:
        return sum(self.units(source) for source in self.layer(name).inputs)

    def parameter_count(self) -> int:
        count = 0
        for spec in self.layers:
            count += self.fan_in(spec.name) * spec.units
            count += spec.units if spec.bias else 0
            alpha = spec.alpha_shape()
            count += alpha[0] if alpha is not None else 0
        return count


def chain(input_units: int, *layers: tuple[int, str], bias: bool = True) -> NetworkSpec:
    """Build a plain chain, e.g. ``chain(2, (4, "tanh"), (1, "sigmoid"))``."""
    specs = []
    previous = "input"
    for index, (units, activation) in enumerate(layers, start=1):
        name = f"layer {index}"
        specs.append(LayerSpec(name, units, activation, (previous,), bias))
        previous = name
    return NetworkSpec(input_units, tuple(specs))


def _check_graph(spec: NetworkSpec) -> tuple[tuple[str, ...], str]:
    """Return the layers in topological order and the output layer's name."""
    names = [layer.name for layer in spec.layers]
    _check_names(spec, names)

    consumers: dict[str, list[str]] = {name: [] for name in [spec.input_name, *names]}
    for layer in spec.layers:
        if not layer.inputs:
            raise GraphError(
                f"layer {layer.name!r} has no incoming connection; "
                "connect the input or a hidden layer to it"
            )
        for source in layer.inputs:
            if source not in consumers:
                raise GraphError(f"layer {layer.name!r} is connected from unknown layer {source!r}")
            consumers[source].append(layer.name)

    # Sorting first reports any cycle by name. Without a cycle at least one
    # layer feeds no other, because following consumers must come to an end.
    order = _topological_order(spec, consumers)

    outputs = [name for name in names if not consumers[name]]
    if len(outputs) > 1:
        listed = ", ".join(repr(name) for name in outputs)
        raise GraphError(
            f"layers {listed} have no outgoing connection, but a network has exactly one "
            "output layer; connect all but one of them to a later layer"
        )

    # One sink and no cycle: every layer then reaches the output.
    return tuple(order), outputs[0]


def _check_names(spec: NetworkSpec, names: list[str]) -> None:
    if not names:
        raise GraphError("the network has no layers after the input; add an output layer")
    seen: set[str] = {spec.input_name}
    for name in names:
        if name in seen:
            raise GraphError(f"two layers are named {name!r}; give each layer its own name")
        seen.add(name)
    for layer in spec.layers:
        if layer.units < 1:
            raise GraphError(f"layer {layer.name!r} has {layer.units} units; it needs at least 1")
        if len(set(layer.inputs)) != len(layer.inputs):
            raise GraphError(f"layer {layer.name!r} is connected twice from the same layer")


def _topological_order(spec: NetworkSpec, consumers: dict[str, list[str]]) -> list[str]:
    # Kahn's algorithm; the layers left over at the end lie on a cycle.
    waiting = {layer.name: len(layer.inputs) for layer in spec.layers}
    ready = [spec.input_name]
    order: list[str] = []
    while ready:
        current = ready.pop(0)
        for consumer in consumers[current]:
            waiting[consumer] -= 1
            if waiting[consumer] == 0:
                ready.append(consumer)
                order.append(consumer)
    stuck = [name for name, count in waiting.items() if count > 0]
    if stuck:
        listed = ", ".join(repr(name) for name in stuck)
        raise GraphError(
            f"the connections between {listed} form a cycle or hang off one; "
            "remove a connection so that signals only flow forward"
        )
    return order
