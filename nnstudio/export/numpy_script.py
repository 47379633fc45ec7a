"""Export a network as a standalone Python script that needs only NumPy.

The script computes the forward pass with the engine's own formulas, in float64
and with the exact weights, so its outputs match ``Network.predict`` to rounding.
"""

from __future__ import annotations

from pathlib import Path

from nnstudio.engine.graph import LayerSpec
from nnstudio.export.common import (
    ExportedNetwork,
    ExportError,
    snapshot_project,
    unit_groups,
    write_output,
)
from nnstudio.export.script_parts import CSV_MAIN, constants_source, header_comment
from nnstudio.project.model import Project

# The activations that need a function of their own in the script, written with
# the same formulas as nnstudio.engine.activations.
_FUNCTIONS = {
    "step": '''
def step(z):
    """Return 1 where z >= 0 and 0 elsewhere, the perceptron's threshold unit."""
    return (z >= 0).astype(z.dtype)
''',
    "sigmoid": '''
def sigmoid(z):
    """Return 1 / (1 + exp(-z)) without overflow."""
    # For z < 0, e / (1 + e) with e = exp(z) is the same value, and exp(-|z|) <= 1.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
''',
    "leaky_relu": '''
def leaky_relu(z, slope):
    """Return z where z > 0 and slope * z elsewhere."""
    return np.where(z > 0, z, slope * z)
''',
    "prelu": '''
def prelu(z, alpha):
    """Return z where z > 0 and alpha * z elsewhere; alpha has one value or one per unit."""
    return np.where(z > 0, z, alpha * z)
''',
    "softmax": '''
def softmax(z):
    """Return the softmax of each row; subtracting the row's max keeps exp finite."""
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)
''',
}


def export_numpy_script(project: Project, path: Path | str, *, source: str | None = None) -> None:
    """Write the network and current weights of ``project`` as a NumPy script at ``path``.

    ``source`` names the project file in the script's header comment. Raises
    ExportError when the network is unfinished or the file cannot be written.
    """
    network = snapshot_project(project, source)
    text = numpy_script_source(network, Path(path).name)
    write_output(path, text.encode("utf-8"))


def numpy_script_source(network: ExportedNetwork, file_name: str) -> str:
    """Return the text of the NumPy script; ``file_name`` appears in its usage lines."""
    parts = [
        "#!/usr/bin/env python3\n",
        header_comment(
            network, "Forward pass of a neural network drawn in nnstudio.", "NumPy", file_name
        ),
        '"""An nnstudio network in plain NumPy, with predict(X) and a CSV reader."""\n\n',
        "import argparse\nimport csv\nimport math\nimport sys\n\nimport numpy as np\n\n",
        constants_source(network, "np.array"),
    ]
    used = {
        activation
        for name in network.spec.order
        for activation in network.spec.layer(name).unit_activations()
    }
    parts += ["\n" + _FUNCTIONS[name] for name in sorted(used) if name in _FUNCTIONS]
    parts += ["\n", _predict_source(network), CSV_MAIN]
    return "".join(parts)


def _predict_source(network: ExportedNetwork) -> str:
    spec = network.spec
    output = network.identifiers[spec.output_name]
    lines = [
        "",
        "def predict(X):",
        f'    """Return the outputs, shape (samples, {network.output_count}), '
        f'for X of shape (samples, {network.input_count})."""',
        "    X = np.asarray(X, dtype=np.float64)",
        "    if X.ndim != 2 or X.shape[1] != INPUT_COUNT:",
        '        raise ValueError(f"X has shape {X.shape}; expected (samples, {INPUT_COUNT})")',
    ]
    if network.mean is not None:
        lines.append("    a_input = (X - MEAN) / SCALE")
    else:
        lines.append("    a_input = X")

    for name in spec.order:
        identifier = network.identifiers[name]
        layer = spec.layer(name)
        product = f"{_layer_input(network, layer)} @ W_{identifier.upper()}"
        bias = f" + B_{identifier.upper()}" if layer.bias else ""
        lines.append(f"    z_{identifier} = {product}{bias}")
        if layer.activations:
            lines += _per_neuron_lines(layer, identifier)
        else:
            lines.append(f"    a_{identifier} = {_activation_call(layer, identifier)}")
    lines += [
        f"    return a_{output}",
        "",
        "",
        "def predict_rows(rows):",
        '    """Return the outputs for a list of input rows, as lists of floats."""',
        "    return predict(np.array(rows, dtype=np.float64)).tolist()",
        "",
    ]
    return "\n".join(lines)


def _layer_input(network: ExportedNetwork, layer: LayerSpec) -> str:
    names = [f"a_{network.identifiers[source]}" for source in layer.inputs]
    if len(names) == 1:
        return names[0]
    return f"np.concatenate([{', '.join(names)}], axis=1)"


def _per_neuron_lines(layer: LayerSpec, identifier: str) -> list[str]:
    """Return the lines that apply each neuron's own activation to its column of z."""
    lines = [
        "    # Each neuron of this layer has its own activation; columns are neurons.",
        f"    a_{identifier} = np.empty_like(z_{identifier})",
    ]
    for activation, columns in unit_groups(layer):
        z = f"z_{identifier}[:, {columns!r}]"
        call = _activation_call(layer, identifier, activation, z)
        lines.append(f"    a_{identifier}[:, {columns!r}] = {call}")
    return lines


def _activation_call(
    layer: LayerSpec, identifier: str, activation: str | None = None, z: str | None = None
) -> str:
    """Return the expression of ``activation`` (the layer's by default) applied to ``z``."""
    activation = activation or layer.activation
    z = z or f"z_{identifier}"
    calls = {
        "identity": z,
        "step": f"step({z})",
        "sigmoid": f"sigmoid({z})",
        "tanh": f"np.tanh({z})",
        "relu": f"np.maximum({z}, 0.0)",
        "leaky_relu": f"leaky_relu({z}, {layer.slope!r})",
        "prelu": f"prelu({z}, ALPHA_{identifier.upper()})",
        "abs": f"np.abs({z})",
        "softmax": f"softmax({z})",
    }
    if activation not in calls:
        raise ExportError(
            f"cannot export layer {layer.name!r}: the NumPy script has no {activation!r} "
            "activation; choose another activation for this layer"
        )
    return calls[activation]
