"""The project: the drawn network, its dataset, training settings, weights and history.

The input layer's size always follows the dataset's input count, and the output
layer's size follows its target count. The hidden layers and every connection
are what the user drew. Whenever the shape of the network changes, the weights are drawn
again from the seed, so the same project always starts from the same weights.
A change of activation keeps W and b. A layer that becomes prelu, or changes
between one alpha and one alpha per unit, starts its alpha again at 0.25.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nnstudio.engine.activations import LAYER_ONLY_ACTIVATIONS
from nnstudio.engine.errors import GraphError
from nnstudio.engine.graph import LayerSpec, NetworkSpec
from nnstudio.engine.initializers import initialize
from nnstudio.engine.network import Network, Parameters, copy_parameters, fit_alpha
from nnstudio.engine.training import History, TrainingSettings, dtype_named
from nnstudio.project.datasets import Dataset, builtin_dataset

MAX_UNITS = 64
# Seeds stay within a signed 32-bit int, the range of Qt's spin boxes.
MAX_SEED = 2**31 - 1
INPUT = "input"
OUTPUT = "output"
# Training algorithms: gradient descent through every layer, or Rosenblatt's rule
# for one layer of step units (engine/perceptron.py).
BACKPROPAGATION = "backpropagation"
PERCEPTRON = "perceptron"
ALGORITHMS = (BACKPROPAGATION, PERCEPTRON)


@dataclass
class Layer:
    """One layer as drawn: name, role, size, activation and place on the canvas."""

    name: str
    role: str  # "input", "hidden" or "output"
    units: int
    activation: str = "identity"
    bias: bool = True
    slope: float = 0.01
    position: tuple[float, float] = (0.0, 0.0)
    # prelu only: learn one alpha per unit rather than one for the layer
    prelu_per_neuron: bool = False
    # One activation name per neuron, overriding ``activation``; None gives every
    # neuron ``activation``. Neurons beyond the list's end also get ``activation``,
    # and a softmax or prelu ``activation`` applies to every neuron whatever the list.
    activations: list[str] | None = None

    def unit_activations(self) -> list[str]:
        """Return the activation of each of the ``units`` neurons, in order."""
        if self.activation in LAYER_ONLY_ACTIVATIONS:
            return [self.activation] * self.units
        names = list(self.activations or [])[: self.units]
        return names + [self.activation] * (self.units - len(names))

    def resize(self, units: int) -> None:
        """Set the neuron count; added neurons get ``activation``, removed ones drop theirs."""
        self.units = units
        if self.activations is not None:
            kept = self.activations[:units]
            self.activations = kept + [self.activation] * (units - len(kept))


@dataclass
class Settings(TrainingSettings):
    """Training settings plus how the first weights and biases are drawn.

    ``init_scale`` is the s of the uniform, normal and constant initializers.
    ``bias_init`` is "zeros" or "constant", which sets every bias to ``bias_value``.
    ``algorithm`` is one of ALGORITHMS. Of these settings, the perceptron rule uses
    only the learning rate, the epochs, the dtype and those of the first weights.
    """

    initializer: str = "xavier_uniform"
    init_scale: float = 0.5
    bias_init: str = "zeros"
    bias_value: float = 0.0
    algorithm: str = BACKPROPAGATION


@dataclass
class Project:
    """Everything a project file holds."""

    layers: list[Layer]
    connections: list[tuple[str, str]]
    dataset: Dataset
    settings: Settings = field(default_factory=Settings)
    description: str = ""
    initial_parameters: Parameters | None = None
    parameters: Parameters | None = None
    history: History = field(default_factory=History)

    # layers and connections

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def has_layer(self, name: str) -> bool:
        return any(layer.name == name for layer in self.layers)

    def source_row_offset(self, source: str, target: str) -> int:
        """Return the first row of ``source``'s block in the W of ``target``.

        A layer's W stacks the rows of its source layers in the order of the
        connection list. Raises KeyError when ``source`` does not feed ``target``.
        """
        if (source, target) not in self.connections:
            raise KeyError(f"{source} -> {target}")
        offset = 0
        for first, second in self.connections:
            if second == target and first == source:
                break
            if second == target:
                offset += self.layer(first).units
        return offset

    def new_layer_name(self) -> str:
        index = 1
        while self.has_layer(f"hidden {index}"):
            index += 1
        return f"hidden {index}"

    def network_spec(self) -> NetworkSpec:
        """Return the engine's view of the drawing; raises GraphError when it is not a network."""
        # The input layer gets no LayerSpec, so a connection into it would silently vanish.
        for source, target in self.connections:
            if target == INPUT:
                raise GraphError(
                    f"layer {source!r} is connected into the input layer, which takes no "
                    "connections; remove that connection"
                )
        specs = []
        for layer in self.layers:
            if layer.role == "input":
                continue
            sources = tuple(source for source, target in self.connections if target == layer.name)
            specs.append(
                LayerSpec(
                    layer.name,
                    layer.units,
                    layer.activation,
                    sources,
                    layer.bias,
                    layer.slope,
                    layer.prelu_per_neuron,
                    tuple(layer.unit_activations()) if layer.activations else (),
                )
            )
        spec = NetworkSpec(self.input_layer().units, tuple(specs), input_name=INPUT)
        if spec.output_name != OUTPUT:
            raise GraphError(
                f"layer {spec.output_name!r} leads nowhere; connect it towards the output layer"
            )
        return spec

    def input_layer(self) -> Layer:
        return self.layer(INPUT)

    def output_layer(self) -> Layer:
        return self.layer(OUTPUT)

    def parameter_count(self) -> int | None:
        """Return the number of weights and biases, or None while the drawing is not a network."""
        try:
            return self.network_spec().parameter_count()
        except GraphError:
            return None

    # dataset

    def set_dataset(self, dataset: Dataset) -> None:
        """Use ``dataset``, resizing the input and output layers to fit it."""
        self.dataset = dataset
        self.input_layer().resize(dataset.input_count)
        self.output_layer().resize(dataset.output_count)

    # weights

    def network(self) -> Network:
        """Return an engine network with the current weights (drawing them if needed).

        The network computes in the dtype of the settings.
        """
        spec = self.network_spec()
        if not self._parameters_fit(spec):
            self.reinitialize()
        assert self.parameters is not None and self.initial_parameters is not None
        self.parameters = fit_alpha(spec, self.parameters)
        self.initial_parameters = fit_alpha(spec, self.initial_parameters)
        dtype = dtype_named(self.settings.dtype)
        return Network(spec, copy_parameters(self.parameters), dtype)

    def reinitialize(self) -> None:
        """Draw new first weights from the seed and forget the training history."""
        spec = self.network_spec()
        s = self.settings
        self.initial_parameters = initialize(
            spec, s.initializer, s.seed, s.init_scale, s.bias_init, s.bias_value
        )
        self.parameters = copy_parameters(self.initial_parameters)
        self.history = History()

    def reset_weights(self) -> None:
        """Go back to the first weights exactly and clear the history."""
        initial = self.initial_parameters
        if initial is None or not _fits(self.network_spec(), initial):
            self.reinitialize()
            return
        self.parameters = copy_parameters(initial)
        self.history = History()

    def run_target_epoch(self, epochs: int | None = None) -> int:
        """Return the history length at which a training run of this project stops.

        ``epochs`` given: that many more epochs. Otherwise the run trains up to
        ``settings.epochs`` in all, or that many more once the history is there
        already, which is what the Train button does.
        """
        done = self.history.epoch_count
        if epochs is not None:
            return done + epochs
        if done < self.settings.epochs:
            return self.settings.epochs
        return done + self.settings.epochs

    def _parameters_fit(self, spec: NetworkSpec) -> bool:
        if self.parameters is None or self.initial_parameters is None:
            return False
        return _fits(spec, self.parameters) and _fits(spec, self.initial_parameters)


def _fits(spec: NetworkSpec, parameters: Parameters) -> bool:
    if set(parameters) != set(spec.order):
        return False
    for name in spec.order:
        layer = spec.layer(name)
        params = parameters[name]
        if params.W.shape != (spec.fan_in(name), layer.units):
            return False
        if (params.b is None) == layer.bias:
            return False
    return True


def default_project(dataset_name: str = "xor") -> Project:
    """Return the project a new window starts with: input, one hidden layer, output."""
    dataset = builtin_dataset(dataset_name)
    layers = [
        Layer(INPUT, "input", dataset.input_count, position=(0.0, 0.0)),
        Layer("hidden 1", "hidden", 4, "tanh", position=(220.0, 0.0)),
        Layer(OUTPUT, "output", dataset.output_count, "sigmoid", position=(440.0, 0.0)),
    ]
    connections = [(INPUT, "hidden 1"), ("hidden 1", OUTPUT)]
    project = Project(layers, connections, dataset)
    project.reinitialize()
    return project
