"""Export a network as an ONNX model (opset 17, float32) that onnxruntime and others can run.

The graph has one input, "input" of shape (N, inputs), and one output, "output",
the output layer's activations. A softmax output layer also exposes its
pre-activations as a second output, "logits", so that users who need raw scores
do not apply softmax twice. Standardization, when the dataset has it, is the
first two nodes (Sub, Div), so the model takes raw inputs. A layer whose
neurons have activations of their own gathers each group of columns of z,
applies the group's operator, joins the groups and gathers the columns back
into neuron order.

The onnx package is imported only when a model is built, so nnstudio imports and
runs without it.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnstudio.engine.graph import LayerSpec
from nnstudio.export.common import (
    ExportedNetwork,
    ExportError,
    grouped_order,
    snapshot_project,
    unit_groups,
    write_output,
)
from nnstudio.project.model import Project

if TYPE_CHECKING:
    import onnx

# Opset 17, part of ONNX since version 1.12, has every operator this graph uses.
# Softmax takes its axis (-1, per row) as given since opset 13; before, it
# flattened its input to 2-D.
OPSET = 17

INSTALL_HINT = "pip install 'nnstudio[onnx]' (or: pip install onnx)"

# ONNX operators of the element-wise activations, with their attributes.
_ACTIVATION_OPS: dict[str, str] = {
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "relu": "Relu",
    "leaky_relu": "LeakyRelu",
    "abs": "Abs",
    "softmax": "Softmax",
}


def onnx_available() -> bool:
    """Return whether the onnx package is installed, so that export_onnx can work."""
    return importlib.util.find_spec("onnx") is not None


def export_onnx(project: Project, path: Path | str, *, source: str | None = None) -> None:
    """Write the network and current weights of ``project`` as an ONNX model at ``path``.

    ``source`` names the project file in the model's metadata. Raises ExportError
    when onnx is not installed, the network is unfinished, a weight does not fit
    in float32, or the file cannot be written.
    """
    network = snapshot_project(project, source)
    model = build_onnx_model(network)
    write_output(path, model.SerializeToString())


def build_onnx_model(network: ExportedNetwork) -> onnx.ModelProto:
    """Return the checked ONNX model of ``network``; raises ExportError without onnx."""
    try:
        import onnx
        from onnx import helper
    except ImportError:
        raise ExportError(f"ONNX export needs the onnx package: {INSTALL_HINT}") from None

    graph = _GraphBuilder(network)
    graph.add_standardization()
    for name in network.spec.order:
        graph.add_layer(name)

    opsets = [helper.make_opsetid("", OPSET)]
    model = helper.make_model(
        graph.make_graph(),
        opset_imports=opsets,
        # make_model stamps the newest IR version that the installed onnx supports,
        # which older runtimes reject. The opset's own IR version is enough.
        ir_version=helper.find_min_ir_version_for(opsets),
        producer_name="nnstudio",
        producer_version=network.version,
        doc_string=_doc_string(network),
    )
    helper.set_model_props(model, _metadata(network))

    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as error:
        lines = str(error).strip().splitlines() or [type(error).__name__]
        raise ExportError(
            f"the ONNX model failed onnx's check ({lines[0]}); this is a bug in nnstudio's "
            "exporter, so please report it with the project file"
        ) from None
    return model


class _GraphBuilder:
    """Collects the nodes and float32 initializers of the graph, layer by layer.

    Tensor names are the layer's identifier plus a suffix without underscores
    (hidden_1_W, hidden_1_z), so two layers never share a tensor name.
    """

    def __init__(self, network: ExportedNetwork) -> None:
        from onnx import helper, numpy_helper

        self.helper = helper
        self.numpy_helper = numpy_helper
        self.network = network
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        # The tensor that contains each layer's activations, the input's included.
        self.activations = {network.spec.input_name: "input"}

    def add_standardization(self) -> None:
        network = self.network
        if network.mean is None or network.scale is None:
            return
        self._constant("input_mean", network.mean, "the standardization mean")
        self._constant("input_scale", network.scale, "the standardization scale")
        self._node("Sub", ["input", "input_mean"], "input_centered")
        self._node("Div", ["input_centered", "input_scale"], "input_standardized")
        self.activations[network.spec.input_name] = "input_standardized"

    def add_layer(self, name: str) -> None:
        network = self.network
        layer = network.spec.layer(name)
        identifier = network.identifiers[name]
        params = network.parameters[name]
        z_name, a_name = self._layer_outputs(name)

        # the layer's input: one source as it is, several side by side
        sources = [self.activations[source] for source in layer.inputs]
        layer_input = sources[0]
        if len(sources) > 1:
            layer_input = self._node("Concat", sources, f"{identifier}_in", axis=1)

        # z = a_in @ W + b, with W as the engine stores it: (inputs, units)
        self._constant(f"{identifier}_W", params.W, f"the W of layer {name!r}")
        if params.b is None:
            self._node("MatMul", [layer_input, f"{identifier}_W"], z_name)
        else:
            self._constant(f"{identifier}_b", params.b, f"the b of layer {name!r}")
            product = self._node("MatMul", [layer_input, f"{identifier}_W"], f"{identifier}_matmul")
            self._node("Add", [product, f"{identifier}_b"], z_name)

        self.activations[name] = self._add_activation(name, z_name, a_name)

    def make_graph(self) -> Any:
        helper = self.helper
        spec = self.network.spec
        float_type = self._float_type()
        inputs = [helper.make_tensor_value_info("input", float_type, ["N", spec.input_units])]
        output_units = self.network.output_count
        outputs = [helper.make_tensor_value_info("output", float_type, ["N", output_units])]
        if _plain_activation(spec.layer(spec.output_name)) == "softmax":
            outputs.append(helper.make_tensor_value_info("logits", float_type, ["N", output_units]))
        return helper.make_graph(
            self.nodes, "nnstudio_network", inputs, outputs, initializer=self.initializers
        )

    def _layer_outputs(self, name: str) -> tuple[str, str]:
        """Return the tensor names of the layer's z and a."""
        spec = self.network.spec
        identifier = self.network.identifiers[name]
        activation = _plain_activation(spec.layer(name))
        if name != spec.output_name:
            a_name = f"{identifier}_z" if activation == "identity" else f"{identifier}_a"
            return f"{identifier}_z", a_name
        if activation == "softmax":
            return "logits", "output"
        if activation == "identity":
            return "output", "output"
        return f"{identifier}_z", "output"

    def _add_activation(self, name: str, z_name: str, a_name: str) -> str:
        layer = self.network.spec.layer(name)
        if layer.activations:
            return self._add_per_neuron(name, z_name, a_name)
        return self._apply(name, layer.activation, z_name, a_name)

    def _add_per_neuron(self, name: str, z_name: str, a_name: str) -> str:
        """Apply each neuron's activation to its column: gather, apply, concat, gather back."""
        identifier = self.network.identifiers[name]
        groups = unit_groups(self.network.spec.layer(name))
        parts = []
        for index, (activation, columns) in enumerate(groups):
            prefix = f"{identifier}_group{index}"
            self._indices(f"{prefix}_columns", columns)
            part_z = self._node("Gather", [z_name, f"{prefix}_columns"], f"{prefix}_z", axis=1)
            parts.append(self._apply(name, activation, part_z, f"{prefix}_a", prefix))
        joined = self._node("Concat", parts, f"{identifier}_grouped", axis=1)
        self._indices(f"{identifier}_order", grouped_order(groups))
        return self._node("Gather", [joined, f"{identifier}_order"], a_name, axis=1)

    def _apply(
        self, name: str, activation: str, z_name: str, a_name: str, prefix: str | None = None
    ) -> str:
        """Add the nodes that compute ``activation`` of tensor ``z_name``; return the result's name.

        The result is ``a_name``, except for identity, which returns ``z_name``.
        ``prefix`` names the helper tensors; it defaults to the layer's identifier.
        """
        layer = self.network.spec.layer(name)
        if activation == "identity":
            return z_name
        if activation == "step":
            # Heaviside step with step(0) = 1: (z >= 0) cast to float.
            if not any(item.name == "zero" for item in self.initializers):
                self._constant("zero", np.zeros(()), "zero")
            prefix = prefix or self.network.identifiers[name]
            at_least_zero = self._node("GreaterOrEqual", [z_name, "zero"], f"{prefix}_ge")
            return self._node("Cast", [at_least_zero], a_name, to=self._float_type())
        if activation == "leaky_relu":
            return self._node("LeakyRelu", [z_name], a_name, alpha=float(layer.slope))
        if activation == "prelu":
            # PRelu broadcasts its slope, of shape (1,) or (units,), over (N, units).
            identifier = self.network.identifiers[name]
            alpha = self.network.parameters[name].alpha
            self._constant(f"{identifier}_alpha", alpha, f"the alpha of layer {name!r}")
            return self._node("PRelu", [z_name, f"{identifier}_alpha"], a_name)
        if activation == "softmax":
            return self._node("Softmax", [z_name], a_name, axis=-1)
        if activation in _ACTIVATION_OPS:
            return self._node(_ACTIVATION_OPS[activation], [z_name], a_name)
        raise ExportError(
            f"cannot export layer {name!r}: ONNX export has no {activation!r} activation; "
            "choose another activation for this layer"
        )

    def _node(self, op_type: str, inputs: list[str], output: str, **attributes: Any) -> str:
        node = self.helper.make_node(op_type, inputs, [output], name=f"{output}_{op_type}")
        if attributes:
            node.attribute.extend(
                self.helper.make_attribute(key, value) for key, value in attributes.items()
            )
        self.nodes.append(node)
        return output

    def _indices(self, name: str, values: list[int]) -> None:
        """Add an int64 initializer of column indices, as Gather takes them."""
        array = np.asarray(values, dtype=np.int64)
        self.initializers.append(self.numpy_helper.from_array(array, name))

    def _constant(self, name: str, values: Any, description: str) -> None:
        array = np.asarray(values, dtype=np.float64)
        # onnxruntime's float graphs reject double initializers, so every constant
        # is float32, and a value beyond float32's range would turn into inf.
        if np.any(np.abs(array) > np.finfo(np.float32).max):
            raise ExportError(
                f"cannot export to ONNX: {description} has a value beyond the float32 range "
                "(about 3.4e38); reset the weights or use the Python script export"
            )
        self.initializers.append(self.numpy_helper.from_array(array.astype(np.float32), name))

    def _float_type(self) -> int:
        from onnx import TensorProto

        return int(TensorProto.FLOAT)


def _plain_activation(layer: LayerSpec) -> str | None:
    """Return the activation that every unit of ``layer`` shares, or None for a mix."""
    return None if layer.activations else layer.activation


def _doc_string(network: ExportedNetwork) -> str:
    origin = f"Exported by nnstudio {network.version}"
    if network.source:
        origin += f" from {network.source}"
    lines = [f"{origin} (dataset: {network.dataset_name})."]
    if network.description.strip():
        lines.append(network.description.strip())
    return "\n".join(lines)


def _metadata(network: ExportedNetwork) -> dict[str, str]:
    """Return the model's metadata_props; every value except the version is JSON."""
    spec = network.spec
    layers = []
    for name in spec.order:
        layer = spec.layer(name)
        entry: dict[str, Any] = {
            "name": name,
            "units": layer.units,
            "activation": layer.activation,
            "bias": layer.bias,
            "inputs": list(layer.inputs),
        }
        if layer.activations:
            entry["activations"] = list(layer.activations)
        if "leaky_relu" in layer.unit_activations():
            entry["slope"] = layer.slope
        layers.append(entry)
    properties = {
        "nnstudio_version": network.version,
        "dataset": json.dumps(network.dataset_name),
        "input_names": json.dumps(network.input_names),
        "class_names": json.dumps(network.class_names),
        "standardization": json.dumps(
            None if network.mean is None else {"mean": network.mean, "scale": network.scale}
        ),
        "layers": json.dumps(layers),
    }
    if network.source:
        properties["source_project"] = json.dumps(network.source)
    return properties
