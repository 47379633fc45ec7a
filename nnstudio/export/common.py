"""Shared parts of the exporters: a checked copy of the network, file writing, the error type.

The exporters read a project once, through ``snapshot_project``, and never touch
it again, so an export cannot change the document that is open in the app.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnstudio import __version__
from nnstudio.engine.errors import GraphError
from nnstudio.engine.graph import LayerSpec, NetworkSpec
from nnstudio.engine.network import Parameters, copy_parameters
from nnstudio.project.fileformat import replaced_file_mode
from nnstudio.project.model import Project

# Names that no layer identifier may take, because the exported files use them
# for the network's input and output.
RESERVED_IDENTIFIERS = frozenset({"input", "output"})


class ExportError(ValueError):
    """An export that cannot be done; the message names what failed and what to do next."""


@dataclass(frozen=True)
class ExportedNetwork:
    """The parts of a project that an exported file contains.

    ``parameters`` are float64 copies of the project's current weights, W with
    shape (inputs, units). ``mean`` and ``scale`` standardize the raw inputs as
    (x - mean) / scale, and both are None when the network takes the inputs as
    they are. ``identifiers`` maps each layer name to a unique snake_case name
    that is safe in Python code and in ONNX tensor names.
    """

    spec: NetworkSpec
    parameters: Parameters
    mean: list[float] | None
    scale: list[float] | None
    input_names: list[str] | None
    class_names: list[str] | None
    dataset_name: str
    description: str
    source: str | None
    identifiers: dict[str, str]
    version: str = __version__

    @property
    def input_count(self) -> int:
        return self.spec.input_units

    @property
    def output_count(self) -> int:
        return self.spec.layer(self.spec.output_name).units


def snapshot_project(project: Project, source: str | None = None) -> ExportedNetwork:
    """Copy the network, current weights and standardization of ``project`` for export.

    ``source`` names the project file in the exported file's header. Raises
    ExportError when the drawing is not a finished network or a weight is not a
    finite number.
    """
    # Project.network() draws the first weights when the project has none. A
    # shallow copy keeps that from changing the caller's project.
    try:
        network = dataclasses.replace(project).network()
    except GraphError as error:
        raise ExportError(f"cannot export an unfinished network: {error}") from None

    parameters = copy_parameters(network.parameters)
    _check_finite(parameters)
    dataset = project.dataset
    mean = scale = None
    if dataset.mean is not None and dataset.scale is not None:
        mean = _as_floats(dataset.mean)
        scale = _as_floats(dataset.scale)
    return ExportedNetwork(
        spec=network.spec,
        parameters=parameters,
        mean=mean,
        scale=scale,
        input_names=None if dataset.input_names is None else list(dataset.input_names),
        class_names=None if dataset.class_names is None else list(dataset.class_names),
        dataset_name=dataset.name,
        description=project.description,
        source=source,
        identifiers=layer_identifiers(network.spec),
    )


def layer_identifiers(spec: NetworkSpec) -> dict[str, str]:
    """Map every layer name, the input's included, to a unique snake_case identifier.

    Layer names are free text ("hidden 1", "Schicht 2"), but Python variables and
    ONNX tensor names need identifiers: "hidden 1" becomes "hidden_1". A name
    that clashes with an earlier one gets a number ("hidden_1_2").
    """
    identifiers = {spec.input_name: "input", spec.output_name: "output"}
    used_identifiers = set(RESERVED_IDENTIFIERS)
    for name in spec.order:
        if name in identifiers:
            continue
        base = _snake_case(name)
        candidate = base
        counter = 2
        while candidate in used_identifiers:
            candidate = f"{base}_{counter}"
            counter += 1
        used_identifiers.add(candidate)
        identifiers[name] = candidate
    return identifiers


def describe_layers(network: ExportedNetwork) -> list[str]:
    """Return one line per layer, in the order they are computed, for file headers."""
    spec = network.spec
    inputs = f"{spec.input_units} value{'s' if spec.input_units != 1 else ''}"
    if network.input_names:
        inputs += f" ({', '.join(network.input_names)})"
    lines = [f"{spec.input_name}: {inputs}"]
    for name in spec.order:
        layer = spec.layer(name)
        units = f"{layer.units} unit{'s' if layer.units != 1 else ''}"
        activation = layer.activation
        if layer.activations:
            activation = f"per neuron ({', '.join(layer.activations)})"
        if "leaky_relu" in layer.unit_activations():
            activation += f" (slope {layer.slope!r})"
        if activation == "prelu":
            activation += " (one alpha per unit)" if layer.prelu_per_neuron else " (one alpha)"
        bias = "with bias" if layer.bias else "no bias"
        sources = " + ".join(layer.inputs)
        lines.append(f"{name}: {units}, {activation}, {bias}, fed by {sources}")
    return lines


def unit_groups(layer: LayerSpec) -> list[tuple[str, list[int]]]:
    """Return each activation of a layer with the units (from 0) that use it, in first use order.

    Exporters compute a per-neuron layer group by group: they take the group's
    columns of z, apply its activation, and put the columns back in unit order.
    """
    names = layer.unit_activations()
    return [
        (name, [unit for unit, used in enumerate(names) if used == name])
        for name in dict.fromkeys(names)
    ]


def grouped_order(groups: list[tuple[str, list[int]]]) -> list[int]:
    """Return, for each unit, its column in the groups' columns placed side by side."""
    units = [unit for _, columns in groups for unit in columns]
    return [units.index(unit) for unit in range(len(units))]


def write_output(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so a failed write leaves no half file.

    Raises ExportError, naming the path and the reason, when the file cannot be written.
    """
    path = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as error:
        raise _write_error(path, error) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, replaced_file_mode(path))
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise _write_error(path, error) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_error(path: Path, error: OSError) -> ExportError:
    reason = error.strerror or str(error)
    return ExportError(
        f"{path}: cannot write the file ({reason}); check that the folder exists and is "
        "writable, or choose another file name"
    )


def _check_finite(parameters: Parameters) -> None:
    for name, layer in parameters.items():
        arrays = [layer.W] if layer.b is None else [layer.W, layer.b]
        if not all(np.all(np.isfinite(array)) for array in arrays):
            raise ExportError(
                f"cannot export: layer {name!r} has a weight that is not a finite number; "
                "reset the weights, or train again with a smaller learning rate"
            )


def _as_floats(values: np.ndarray) -> list[float]:
    return [float(value) for value in np.asarray(values, dtype=np.float64).reshape(-1)]


def _snake_case(name: str) -> str:
    # The exporters always put a prefix or a suffix around the identifier
    # (a_hidden_1, W_HIDDEN_1, hidden_1_z), so a leading digit or a Python
    # keyword such as "class" cannot break the code they write.
    identifier = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    return identifier or "layer"
