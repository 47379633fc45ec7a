"""Reading and writing project files: versioned JSON, validated field by field.

docs/project-format.md documents every field. Reading never executes anything
from the file: it is parsed with the json module and each value is checked
before it reaches the project.
"""

from __future__ import annotations

import json
import math
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from nnstudio.engine.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from nnstudio.engine.errors import GraphError
from nnstudio.project.dataset_format import ConfirmCsv, CsvDeclined, dataset_to_dict, read_dataset
from nnstudio.project.fields import (
    FieldError,
    ProjectError,
    as_bool,
    as_float,
    as_int,
    as_list,
    as_object,
    as_text,
    require,
)
from nnstudio.project.migrations import LATEST_VERSION, migrate
from nnstudio.project.model import INPUT, MAX_UNITS, OUTPUT, Layer, Project
from nnstudio.project.results_format import (
    history_to_dict,
    parameters_to_dict,
    read_history,
    read_parameters,
)
from nnstudio.project.settings_format import read_settings, settings_to_dict
from nnstudio.project.unit_activations_format import (
    read_unit_activations,
    unit_activations_to_dict,
)

FORMAT_NAME = "nnstudio-project"
# The version this nnstudio writes; migrations.py upgrades every older one to it.
FORMAT_VERSION = LATEST_VERSION
# Larger version numbers are not a format version at all, rather than a newer one.
MAX_VERSION = 10**6
SUFFIX = ".nnproj"
MAX_FILE_BYTES = 50_000_000
BYTE_ORDER_MARK = "\ufeff"


def load_project(path: str | os.PathLike[str], confirm_csv: ConfirmCsv | None = None) -> Project:
    """Read and validate the project file at ``path``; raises ProjectError naming the problem.

    When the dataset is a CSV file outside the project file's folder (or its
    subfolders), ``confirm_csv`` gets the file's absolute path before it is read,
    and a return value of False raises CsvDeclined. Without ``confirm_csv`` the file is read.
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ProjectError(f"{path}: the file is larger than {MAX_FILE_BYTES // 1_000_000} MB")
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ProjectError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ProjectError(f"{path}: is a folder, not a project file") from None
    except PermissionError:
        raise ProjectError(f"{path}: permission denied") from None
    except UnicodeDecodeError as error:
        raise ProjectError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise ProjectError(f"{path}: could not be read ({error.strerror or error})") from None
    try:
        return project_from_text(text, path.absolute().parent, confirm_csv)
    except CsvDeclined:
        raise
    except ProjectError as error:
        raise ProjectError(f"{path}: {error}") from None


def project_from_text(
    text: str, folder: Path | None = None, confirm_csv: ConfirmCsv | None = None
) -> Project:
    """Parse and validate a project document; ``folder`` is where relative CSV paths start."""
    if text.startswith(BYTE_ORDER_MARK):
        # JSON text must not begin with a byte order mark (RFC 8259, section 8.1).
        raise ProjectError(
            "the file starts with a UTF-8 byte order mark (BOM), which JSON does not allow; "
            "save it again as UTF-8 without BOM (an editor's encoding menu offers this), "
            "or delete the first 3 bytes"
        )
    try:
        data = json.loads(text, parse_constant=_read_constant)
    except json.JSONDecodeError as error:
        raise ProjectError(
            f"not a valid JSON document (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        raise ProjectError("not a valid project: the JSON is nested too deeply") from None
    except ValueError:
        # Python's int() rejects a whole number of more than 4300 digits.
        raise ProjectError(
            "not a valid project: a number in the file has too many digits"
        ) from None
    return project_from_dict(data, folder, confirm_csv)


def project_from_dict(
    data: Any, folder: Path | None = None, confirm_csv: ConfirmCsv | None = None
) -> Project:
    """Validate a parsed JSON document of any supported version and build its project.

    A relative CSV path in the dataset starts at ``folder``, the project file's
    folder, or at the current folder when ``folder`` is None. ``confirm_csv`` is
    as for load_project.
    """
    data = as_object(data, "(top level)")
    data = migrate(data, _check_format(data))
    layers, connections = _read_network(as_object(require(data, "network", ""), "network"))
    dataset = read_dataset(require(data, "dataset", ""), folder, confirm_csv)
    settings = read_settings(as_object(require(data, "training", ""), "training"))
    description = as_text(data.get("description", ""), "description")
    project = Project(layers, connections, dataset, settings, description)

    _check_sizes(project)
    raw_parameters = data.get("parameters")
    project.history = read_history(data.get("history"))
    try:
        spec = project.network_spec()
    except GraphError as error:
        # The app saves drawings that are not finished yet, without weights; such a
        # file opens again so the user can finish it. Weights need a whole network.
        if raw_parameters is not None:
            raise FieldError("network.connections", str(error)) from None
        return project

    if raw_parameters is None:
        project.reinitialize()
        project.history = read_history(data.get("history"))
    else:
        block = as_object(raw_parameters, "parameters")
        initial = read_parameters(
            require(block, "initial", "parameters"), "parameters.initial", spec
        )
        current = block.get("current")
        project.initial_parameters = initial
        project.parameters = (
            read_parameters(current, "parameters.current", spec)
            if current is not None
            else {name: layer.copy() for name, layer in initial.items()}
        )
    return project


def project_to_dict(project: Project, folder: Path | None = None) -> dict[str, Any]:
    """Return the JSON document for ``project``; the inverse of project_from_dict.

    ``folder`` is the folder of the file being written: a CSV path is written
    relative to it, or absolute when it is None.
    """
    document: dict[str, Any] = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "description": project.description,
        "network": {
            "layers": [_layer_to_dict(layer) for layer in project.layers],
            "connections": [list(pair) for pair in project.connections],
        },
        "dataset": dataset_to_dict(project.dataset, folder),
        "training": settings_to_dict(project.settings),
        "parameters": None,
        "history": history_to_dict(project.history),
    }
    if project.initial_parameters is not None and project.parameters is not None:
        document["parameters"] = {
            "initial": parameters_to_dict(project, project.initial_parameters),
            "current": parameters_to_dict(project, project.parameters),
        }
    return document


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Write ``project`` to ``path`` atomically: a crash mid-save leaves the old file intact."""
    path = Path(path)
    # JSON has no NaN: an epoch without an accuracy (regression) is written as null.
    document = project_to_dict(project, path.absolute().parent)
    text = json.dumps(_nan_to_none(document), indent=1, allow_nan=False)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text + "\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, replaced_file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def replaced_file_mode(path: Path) -> int:
    """Return the permission bits for a file written over ``path``: those of the file it replaces.

    Without a file at ``path``, return the mode open() would give a new file.
    """
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        pass
    # mkstemp makes files readable by their owner only; a new file gets the
    # mode open() would give it. Reading the umask means setting it briefly.
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _read_constant(name: str) -> float:
    # NaN, Infinity and -Infinity are not JSON, but reading them as floats lets
    # the field checks, which reject every non-finite number, name the field.
    return float(name)


def _check_format(data: dict[str, Any]) -> int:
    """Check the format name and return the format version, which this nnstudio can read."""
    name = require(data, "format", "")
    if name != FORMAT_NAME:
        raise FieldError("format", f"expected {FORMAT_NAME!r}, got {name!r}; this is not a project")
    value = require(data, "version", "")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        as_int(value, "version", 1, MAX_VERSION)  # raises, naming the type
    whole = math.isfinite(value) and value == int(value)
    if not whole or not 1 <= value <= MAX_VERSION:
        raise FieldError(
            "version",
            f"{_shown_number(value)} is out of range; a format version is a whole number "
            f"from 1 to {MAX_VERSION}",
        )
    version = int(value)
    if version > FORMAT_VERSION:
        raise FieldError(
            "version",
            f"the file was written by format version {version}; this nnstudio reads versions "
            f"up to {FORMAT_VERSION}. Update nnstudio.",
        )
    return version


def _shown_number(value: float) -> str:
    """Return ``value`` as a message shows it: in full, or in scientific notation when long."""
    text = str(value)
    if len(text) <= 20:
        return text
    if isinstance(value, int):
        digits = text.lstrip("-")
        sign = "-" if value < 0 else ""
        return f"{sign}{digits[0]}.{digits[1:4]}e+{len(digits) - 1}"
    return f"{value:.6g}"


def _read_network(network: dict[str, Any]) -> tuple[list[Layer], list[tuple[str, str]]]:
    raw_layers = as_list(require(network, "layers", "network"), "network.layers")
    layers = [_read_layer(item, f"network.layers[{i}]") for i, item in enumerate(raw_layers)]
    names = [layer.name for layer in layers]
    for role, name in (("input", INPUT), ("output", OUTPUT)):
        matching = [layer for layer in layers if layer.role == role]
        if len(matching) != 1 or matching[0].name != name:
            raise FieldError("network.layers", f"needs exactly one {role} layer, named {name!r}")
    if len(set(names)) != len(names):
        raise FieldError("network.layers", "two layers have the same name")

    raw_connections = as_list(require(network, "connections", "network"), "network.connections")
    connections: list[tuple[str, str]] = []
    for index, item in enumerate(raw_connections):
        field = f"network.connections[{index}]"
        pair = as_list(item, field)
        if len(pair) != 2:
            raise FieldError(field, "expected [source layer, target layer]")
        source, target = as_text(pair[0], field), as_text(pair[1], field)
        for end in (source, target):
            if end not in names:
                raise FieldError(field, f"names layer {end!r}, which does not exist")
        if (source, target) in connections:
            raise FieldError(field, f"connects {source!r} to {target!r} a second time")
        connections.append((source, target))
    return layers, connections


def _read_layer(item: Any, field: str) -> Layer:
    data = as_object(item, field)
    name = as_text(require(data, "name", field), f"{field}.name")
    if not name.strip() or len(name) > 60:
        raise FieldError(f"{field}.name", "must be 1 to 60 characters")
    role = as_text(require(data, "role", field), f"{field}.role", ("input", "hidden", "output"))
    units = as_int(require(data, "units", field), f"{field}.units", 1, MAX_UNITS)
    position = as_list(data.get("position", [0, 0]), f"{field}.position")
    if len(position) != 2:
        raise FieldError(f"{field}.position", "expected [x, y]")
    x = as_float(position[0], f"{field}.position", -1e6, 1e6)
    y = as_float(position[1], f"{field}.position", -1e6, 1e6)
    layer = Layer(name, role, units, position=(x, y))
    if role == "input":
        return layer
    choices = OUTPUT_ACTIVATIONS if role == "output" else HIDDEN_ACTIVATIONS
    layer.activation = as_text(require(data, "activation", field), f"{field}.activation", choices)
    layer.bias = as_bool(data.get("bias", True), f"{field}.bias")
    layer.slope = as_float(data.get("slope", 0.01), f"{field}.slope", 0.0, 1.0)
    per_neuron = data.get("prelu_per_neuron", False)
    layer.prelu_per_neuron = as_bool(per_neuron, f"{field}.prelu_per_neuron")
    read_unit_activations(data, layer, field, choices)
    return layer


def _check_sizes(project: Project) -> None:
    dataset = project.dataset
    for name, count, what in (
        (INPUT, dataset.input_count, "inputs"),
        (OUTPUT, dataset.output_count, "target columns"),
    ):
        layer = project.layer(name)
        if layer.units != count:
            index = project.layers.index(layer)
            raise FieldError(
                f"network.layers[{index}].units",
                f"the {name} layer has {layer.units} units but the dataset has {count} {what}",
            )


def _layer_to_dict(layer: Layer) -> dict[str, Any]:
    data: dict[str, Any] = {"name": layer.name, "role": layer.role, "units": layer.units}
    if layer.role != "input":
        data["activation"] = layer.activation
        data["bias"] = layer.bias
        if layer.activation == "leaky_relu":
            data["slope"] = layer.slope
        if layer.activation == "prelu":
            data["prelu_per_neuron"] = layer.prelu_per_neuron
        unit_activations_to_dict(layer, data)
    # An int position would be written as 10 but read back as 10.0, changing the next save.
    data["position"] = [round(float(layer.position[0]), 2), round(float(layer.position[1]), 2)]
    return data


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [_nan_to_none(item) for item in value]
    if isinstance(value, dict):
        return {key: _nan_to_none(item) for key, item in value.items()}
    return value


def layer_from_dict(item: Any, field: str) -> Layer:
    """Read one layer object as the project file stores it; raises FieldError naming ``field``."""
    return _read_layer(item, field)


def layer_to_dict(layer: Layer) -> dict[str, Any]:
    """Return one layer as the project file stores it."""
    return _layer_to_dict(layer)
