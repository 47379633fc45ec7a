"""Export a network as a Python script that rebuilds it as torch.nn modules.

The script defines an ``nn.Module`` with one ``nn.Linear`` per layer, loads the
trained weights into it, and computes in float64 like the engine, so its outputs
match ``Network.predict`` to rounding. Running the script needs PyTorch; writing
it does not.
"""

from __future__ import annotations

from pathlib import Path

from nnstudio.engine.graph import LayerSpec
from nnstudio.export.common import (
    ExportedNetwork,
    ExportError,
    grouped_order,
    snapshot_project,
    unit_groups,
    write_output,
)
from nnstudio.export.script_parts import CSV_MAIN, constants_source, header_comment
from nnstudio.project.model import Project


def export_pytorch_script(project: Project, path: Path | str, *, source: str | None = None) -> None:
    """Write the network and current weights of ``project`` as a PyTorch script at ``path``.

    ``source`` names the project file in the script's header comment. Raises
    ExportError when the network is unfinished or the file cannot be written.
    """
    network = snapshot_project(project, source)
    text = pytorch_script_source(network, Path(path).name)
    write_output(path, text.encode("utf-8"))


def pytorch_script_source(network: ExportedNetwork, file_name: str) -> str:
    """Return the text of the PyTorch script; ``file_name`` appears in its usage lines."""
    title = "A neural network drawn in nnstudio, rebuilt as torch.nn modules."
    return "".join(
        [
            "#!/usr/bin/env python3\n",
            header_comment(network, title, "PyTorch (pip install torch)", file_name),
            '"""An nnstudio network as a torch.nn.Module, with predict(X) and a CSV reader."""\n\n',
            "import argparse\nimport csv\nimport math\nimport sys\n\n",
            "import torch\nfrom torch import nn\n\n",
            "# float64, as nnstudio computes; call model.float() for float32.\n",
            "DTYPE = torch.float64\n\n",
            constants_source(network, ""),
            _module_source(network),
            _build_source(network),
            _predict_source(network),
            CSV_MAIN,
        ]
    )


def _module_source(network: ExportedNetwork) -> str:
    spec = network.spec
    lines = [
        "",
        "",
        "class Network(nn.Module):",
        '    """The layers in the order they are computed; takes the inputs after standardization.',
        "",
        "    A layer fed by several layers takes their outputs side by side (torch.cat),",
        "    in the order that the rows of its nnstudio W follow.",
        '    """',
        "",
        "    def __init__(self):",
        "        super().__init__()",
    ]
    for name in spec.order:
        layer = spec.layer(name)
        lines.append(
            f"        self.layer_{network.identifiers[name]} = nn.Linear("
            f"{spec.fan_in(name)}, {layer.units}, bias={layer.bias}, dtype=DTYPE)"
        )
        alpha_shape = layer.alpha_shape()
        if alpha_shape is not None:
            # PReLU's slope for z <= 0, as nn.PReLU keeps it: one value or one per unit.
            lines.append(
                f"        self.alpha_{network.identifiers[name]} = nn.Parameter("
                f"torch.empty({alpha_shape[0]}, dtype=DTYPE))"
            )

    lines += ["", "    def forward(self, a_input):"]
    for name in spec.order:
        identifier = network.identifiers[name]
        layer = spec.layer(name)
        layer_input = _layer_input(network, layer)
        lines.append(f"        z_{identifier} = self.layer_{identifier}({layer_input})")
        if layer.activations:
            lines += _per_neuron_lines(layer, identifier)
        else:
            lines.append(f"        a_{identifier} = {_activation_call(layer, identifier)}")
    lines.append(f"        return a_{network.identifiers[spec.output_name]}")
    return "\n".join(lines) + "\n"


def _build_source(network: ExportedNetwork) -> str:
    lines = [
        "",
        "",
        "def build_model():",
        '    """Return the network with the trained weights loaded, in evaluation mode."""',
        "    model = Network()",
        "    with torch.no_grad():",
        "        # nn.Linear stores its weight as (units, inputs), the transpose of nnstudio's W.",
    ]
    for name in network.spec.order:
        identifier = network.identifiers[name]
        module = f"model.layer_{identifier}"
        upper = identifier.upper()
        lines.append(f"        {module}.weight.copy_(torch.tensor(W_{upper}, dtype=DTYPE).T)")
        if network.spec.layer(name).bias:
            lines.append(f"        {module}.bias.copy_(torch.tensor(B_{upper}, dtype=DTYPE))")
        if network.spec.layer(name).alpha_shape() is not None:
            alpha = f"model.alpha_{identifier}"
            lines.append(f"        {alpha}.copy_(torch.tensor(ALPHA_{upper}, dtype=DTYPE))")
    lines += ["    return model.eval()", ""]
    return "\n".join(lines) + "\n"


def _predict_source(network: ExportedNetwork) -> str:
    lines = [
        "",
        "MODEL = build_model()",
        "",
        "",
        "def predict(X):",
        f'    """Return the outputs, shape (samples, {network.output_count}), '
        f'for X of shape (samples, {network.input_count})."""',
        "    X = torch.as_tensor(X, dtype=DTYPE)",
        "    if X.ndim != 2 or X.shape[1] != INPUT_COUNT:",
        "        shape = tuple(X.shape)",
        '        raise ValueError(f"X has shape {shape}; expected (samples, {INPUT_COUNT})")',
    ]
    if network.mean is not None:
        lines += [
            "    X = (X - torch.tensor(MEAN, dtype=DTYPE)) / torch.tensor(SCALE, dtype=DTYPE)",
        ]
    lines += [
        "    with torch.no_grad():",
        "        return MODEL(X)",
        "",
        "",
        "def predict_rows(rows):",
        '    """Return the outputs for a list of input rows, as lists of floats."""',
        "    return predict(rows).tolist()",
        "",
    ]
    return "\n".join(lines)


def _layer_input(network: ExportedNetwork, layer: LayerSpec) -> str:
    names = [f"a_{network.identifiers[source]}" for source in layer.inputs]
    if len(names) == 1:
        return names[0]
    return f"torch.cat([{', '.join(names)}], dim=1)"


def _per_neuron_lines(layer: LayerSpec, identifier: str) -> list[str]:
    """Return the lines that apply each neuron's own activation to its column of z.

    The groups of columns are joined with torch.cat and put back in neuron order
    by indexing, which autograd follows, so the module can also be trained.
    """
    groups = unit_groups(layer)
    lines = ["        # Each neuron of this layer has its own activation; columns are neurons."]
    parts = []
    for index, (activation, columns) in enumerate(groups):
        z = f"z_{identifier}[:, {columns!r}]"
        call = _activation_call(layer, identifier, activation, z)
        lines.append(f"        part_{index} = {call}")
        parts.append(f"part_{index}")
    lines.append(f"        joined = torch.cat([{', '.join(parts)}], dim=1)")
    lines.append(f"        a_{identifier} = joined[:, {grouped_order(groups)!r}]")
    return lines


def _activation_call(
    layer: LayerSpec, identifier: str, activation: str | None = None, z: str | None = None
) -> str:
    """Return the expression of ``activation`` (the layer's by default) applied to ``z``."""
    activation = activation or layer.activation
    z = z or f"z_{identifier}"
    calls = {
        "identity": z,
        # Heaviside step with step(0) = 1, as in nnstudio.
        "step": f"({z} >= 0).to({z}.dtype)",
        "sigmoid": f"torch.sigmoid({z})",
        "tanh": f"torch.tanh({z})",
        "relu": f"torch.relu({z})",
        "leaky_relu": f"nn.functional.leaky_relu({z}, negative_slope={layer.slope!r})",
        "prelu": f"nn.functional.prelu({z}, self.alpha_{identifier})",
        "abs": f"torch.abs({z})",
        "softmax": f"torch.softmax({z}, dim=1)",
    }
    if activation not in calls:
        raise ExportError(
            f"cannot export layer {layer.name!r}: the PyTorch script has no {activation!r} "
            "activation; choose another activation for this layer"
        )
    return calls[activation]
