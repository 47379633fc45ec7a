"""Mutated project files: the loader returns a usable project or one ProjectError naming the field.

Every test starts from a valid document (each example project, the default
project, the default network on generated moons, and the iris example saved
with its weights) and changes it the way a
hand edit, a bad merge or a damaged disk might. Whatever the change, load_project
either returns a project that can be used or raises ProjectError. Its message
starts with the file's path and then names a field, or describes a problem of the
whole file (not JSON, not UTF-8, nested too deeply, a number with too many
digits). No other exception may escape, and no file may make the loader hang.

The strategies here also feed tests/cli/test_cli_fuzz.py and
tests/gui/test_open_fuzz.py.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from nnstudio.engine.activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from nnstudio.engine.errors import GraphError
from nnstudio.project.fields import ProjectError
from nnstudio.project.fileformat import load_project, project_to_dict
from nnstudio.project.generators import generate
from nnstudio.project.model import Project, default_project
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.timeout(60)

Document = dict[str, Any]
JsonPath = tuple[str | int, ...]

# Derandomized, so that CI runs the same files every time. Without an example
# database, a run never depends on files that an earlier run left behind. The
# deadline leaves room for a busy shared 2-core machine and still catches a load
# that takes seconds. NNSTUDIO_FUZZ_EXAMPLES sets the examples per test for a longer search.
FUZZ = settings(
    max_examples=int(os.environ.get("NNSTUDIO_FUZZ_EXAMPLES", "200")),
    deadline=3000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# The subprocess and window tests report a failing file without shrinking it,
# because every shrinking step would start a process or open a window.
NO_SHRINK = (Phase.explicit, Phase.generate)

# Messages about the file as a whole, which name no field.
WHOLE_FILE_PROBLEMS = (
    "not a valid JSON document",
    "not UTF-8",
    "nested too deeply",
    "too many digits",
    "byte order mark",
)
FIELD_PATTERN = re.compile(r"field '([^']*)': ")

WITH_WEIGHTS = "iris.nnproj with weights"
DEFAULT = "default project"
GENERATED = "generated moons"


# Seed documents


@functools.cache
def seed_documents() -> dict[str, Document]:
    """Return the valid documents that mutations start from, by name.

    The iris example refers to iris.csv in its own folder, so mutated copies are
    written next to a copy of that file (see ``workspace``).
    """
    documents = {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(EXAMPLES.glob("*.nnproj"))
    }
    documents[DEFAULT] = project_to_dict(default_project())
    documents[GENERATED] = project_to_dict(generated_project())
    # Most example files leave out the weights. This copy has a CSV dataset and weights.
    documents[WITH_WEIGHTS] = project_to_dict(load_project(EXAMPLES / "iris.nnproj"), EXAMPLES)
    return documents


def generated_project() -> Project:
    """Return the default network on generated moons, which the file saves as a request."""
    project = default_project()
    project.dataset = generate("moons", 60, 0.1, 1)
    project.reinitialize()
    return project


def seed_names(with_parameters: bool = False) -> list[str]:
    documents = seed_documents()
    return [
        name
        for name, document in documents.items()
        if not with_parameters or document.get("parameters") is not None
    ]


def seed(name: str) -> Document:
    """Return a fresh copy of the seed document ``name``, which the caller may change."""
    return copy.deepcopy(seed_documents()[name])


def encode(document: Any) -> bytes:
    # The layout nnstudio writes: one space of indent, UTF-8, a final newline.
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


# JSON paths


def all_paths(value: Any, prefix: JsonPath = ()) -> list[JsonPath]:
    """Return the path of ``value`` and of everything inside it, parents first.

    Of a list longer than three items, only the first two and the last are
    included. Otherwise the hundreds of rows of a dataset or a weight matrix
    would crowd out the other fields when a path is drawn.
    """
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += all_paths(item, (*prefix, key))
    elif isinstance(value, list):
        indices = range(len(value)) if len(value) <= 3 else (0, 1, len(value) - 1)
        for index in indices:
            paths += all_paths(value[index], (*prefix, index))
    return paths


def field_name(path: JsonPath) -> str:
    """Return the path as the loader's messages write it, e.g. network.layers[1].units."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else key
    return text or "(top level)"


def value_at(document: Any, path: JsonPath) -> Any:
    for key in path:
        document = document[key]
    return document


def set_value(document: Any, path: JsonPath, value: Any) -> Any:
    """Set the value at ``path`` and return the document. The empty path replaces all of it."""
    if not path:
        return value
    value_at(document, path[:-1])[path[-1]] = value
    return document


def with_token(document: Any, path: JsonPath, token: str) -> bytes:
    """Encode ``document`` with ``token`` written verbatim at ``path``, as for NaN or 1e400."""
    marker = "@@token@@"
    text = encode(set_value(document, path, marker)).decode("utf-8")
    return text.replace(json.dumps(marker), token, 1).encode("utf-8")


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "list"
    return "object"


# Mutated files


@dataclass(frozen=True)
class MutatedFile:
    """The bytes of a changed project file, what was changed, and on which field."""

    seed: str
    change: str
    data: bytes
    # The dotted path of the changed value, or "" when the change concerns the whole file.
    field: str = ""
    # "load" or "reject" when the format's rules decide the outcome, otherwise "either".
    expected: str = "either"
    # The bytes of iris.csv for the iris seeds, or None to keep the example's file.
    csv: bytes | None = None

    def __repr__(self) -> str:
        # Hypothesis prints failing examples, and some files are megabytes long.
        return f"MutatedFile(seed={self.seed!r}, change={self.change!r}, {len(self.data)} bytes)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis's printer would list every dataclass field, the bytes included.
        printer.text(repr(self))


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
VALUES_BY_KIND = {
    "text": st.text(max_size=20),
    "number": st.integers(-(10**9), 10**9) | st.floats(allow_nan=False, allow_infinity=False),
    "bool": st.booleans(),
    "null": st.none(),
    "list": st.lists(SCALARS, max_size=4),
    "object": st.dictionaries(st.text(max_size=8), SCALARS, max_size=3),
}

# Deferred, so that importing this module (as the CLI and window tests do) loads no project.
seeds = st.deferred(lambda: st.sampled_from(seed_names()))
seeds_with_parameters = st.deferred(lambda: st.sampled_from(seed_names(with_parameters=True)))


@st.composite
def truncated(draw: st.DrawFn) -> MutatedFile:
    name = draw(seeds)
    data = encode(seed(name))
    end = draw(st.integers(0, len(data) - 1))
    # Only a cut that removes no more than the final newline leaves valid JSON.
    expected = "load" if document_loads(data[:end]) else "reject"
    return MutatedFile(name, f"cut after byte {end} of {len(data)}", data[:end], "", expected)


@st.composite
def wrong_type(draw: st.DrawFn) -> MutatedFile:
    name = draw(seeds)
    document = seed(name)
    path = draw(st.sampled_from(all_paths(document)))
    old = value_at(document, path)
    kind = draw(st.sampled_from([kind for kind in VALUES_BY_KIND if kind != kind_of(old)]))
    new = draw(VALUES_BY_KIND[kind])
    document = set_value(document, path, new)
    change = f"replaced {kind_of(old)} {short(old)} with {kind} {short(new)}"
    # Null means "absent" or "none" in several optional fields, and such a field
    # may accept a value in place of its null. Every other change of type breaks
    # a rule of the format.
    expected = "either" if old is None or new is None else "reject"
    return MutatedFile(name, change, encode(document), field_name(path), expected)


# Fields whose absence docs/project-format.md calls an error, and fields with a
# default whose absence must not matter. Some fields are in neither list. The
# default "bias": true no longer fits stored weights with "b": null. "b" may be
# absent only without a bias, and "mean" and "scale" come in pairs. Without
# "csv" or "builtin", the dataset becomes an inline table that the remaining
# fields do not describe.
REQUIRED_FIELDS = [
    re.compile(pattern)
    for pattern in (
        r"format",
        r"version",
        r"network",
        r"dataset",
        r"training",
        r"network\.(layers|connections)",
        r"network\.layers\[\d+\]\.(name|role|units|activation)",
        r"dataset\.(inputs|targets|target)",
        r"dataset\.(samples|noise)",
        r"training\.(loss|learning_rate|epochs)",
        r"parameters\.initial",
        r"parameters\.(initial|current)\.[^.]+",
        r"parameters\.(initial|current)\.[^.]+\.W",
    )
]
OPTIONAL_FIELDS = [
    re.compile(pattern)
    for pattern in (
        r"description",
        r"parameters",
        r"history",
        r"history\.(loss|accuracy|epochs)",
        r"network\.layers\[\d+\]\.(position|slope)",
        r"training\.(optimizer|momentum|batch_mode|batch_size|seed|initializer|init_scale)",
        r"training\.target_loss",
        r"parameters\.current",
        r"dataset\.(name|separator|decimal|header|drop_invalid_rows|standardize)",
        r"dataset\.(input_names|class_names)",
        r"dataset\.seed",
    )
]


@st.composite
def missing_field(draw: st.DrawFn) -> MutatedFile:
    name = draw(seeds)
    document = seed(name)
    keyed = [path for path in all_paths(document) if path and isinstance(path[-1], str)]
    path = draw(st.sampled_from(keyed))
    del value_at(document, path[:-1])[path[-1]]
    field = field_name(path)
    if any(pattern.fullmatch(field) for pattern in REQUIRED_FIELDS):
        return MutatedFile(name, f"deleted {field}", encode(document), field, "reject")
    # Without a required field to blame, another field may report the gap: without
    # "bias", for example, the layer has a bias that its stored weights lack.
    expected = "either"
    if any(pattern.fullmatch(field) for pattern in OPTIONAL_FIELDS):
        expected = "load"
    return MutatedFile(name, f"deleted {field}", encode(document), "", expected)


# Unknown keys are drawn with a prefix no project field has, so that they can
# never collide with a field the loader reads.
unknown_keys = st.text(max_size=10).map(lambda text: f"extra {text}")


@st.composite
def extra_field(draw: st.DrawFn) -> MutatedFile:
    name = draw(seeds)
    document = seed(name)
    objects = [path for path in all_paths(document) if isinstance(value_at(document, path), dict)]
    path = draw(st.sampled_from(objects))
    key = draw(unknown_keys)
    value = draw(JSON_VALUES)
    value_at(document, path)[key] = value
    change = f"added {key!r}: {short(value)}"
    # Unknown fields are ignored, except in the weights, which are keyed by layer name.
    field = field_name(path)
    expected = "reject" if field in ("parameters.initial", "parameters.current") else "load"
    return MutatedFile(name, change, encode(document), field, expected)


# Tokens that do not read as a finite float, which every field rejects.
NOT_FINITE = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1" + "0" * 400)
# 10**5000 has more digits than Python's int() reads (4300), so the JSON parser rejects it.
TOO_MANY_DIGITS = ("1" + "0" * 5000, "-1" + "0" * 5000)
NUMBER_TOKENS = (*NOT_FINITE, *TOO_MANY_DIGITS, "1e308", "-1e308", "1e-400")


@st.composite
def number_token(draw: st.DrawFn) -> MutatedFile:
    name = draw(seeds)
    document = seed(name)
    leaves = [
        path
        for path in all_paths(document)
        if not isinstance(value_at(document, path), (dict, list))
    ]
    path = draw(st.sampled_from(leaves))
    token = draw(st.sampled_from(NUMBER_TOKENS))
    old = short(value_at(document, path))
    change = f"wrote {token[:20]} ({len(token)} characters) in place of {old}"
    expected = "either" if token not in (*NOT_FINITE, *TOO_MANY_DIGITS) else "reject"
    data = with_token(document, path, token)
    return MutatedFile(name, change, data, field_name(path), expected)


def reshaped(matrix: list[Any], operation: str) -> Any:
    """Return ``matrix`` (a list of rows, or a bias vector) with the wrong shape."""
    if operation == "drop row":
        return matrix[:-1]
    if operation == "add row":
        return [*matrix, matrix[-1]]
    if operation == "drop column":
        return [row[:-1] if isinstance(row, list) else row for row in matrix]
    if operation == "ragged":
        return [matrix[0][:-1] if isinstance(matrix[0], list) else [], *matrix[1:]]
    if operation == "add column":
        return [[*row, 0.25] if isinstance(row, list) else [row, 0.25] for row in matrix]
    if operation == "transpose":
        return np.array(matrix).T.tolist()
    if operation == "flatten":
        return np.array(matrix).ravel().tolist()
    if operation == "wrap in a list":
        return [matrix]
    if operation == "empty":
        return []
    if operation == "scalar":
        return 0.5
    raise ValueError(f"unknown operation {operation!r}")


def same_shape(old: list[Any], new: Any) -> bool:
    try:
        return np.array(new, dtype=np.float64).shape == np.shape(old)
    except ValueError:
        return False


SHAPE_OPERATIONS = (
    "drop row",
    "add row",
    "drop column",
    "ragged",
    "add column",
    "transpose",
    "flatten",
    "wrap in a list",
    "empty",
    "scalar",
)


@st.composite
def wrong_shape(draw: st.DrawFn) -> MutatedFile:
    name = draw(seeds_with_parameters)
    document = seed(name)
    parameter_set = draw(st.sampled_from(["initial", "current"]))
    weights = document["parameters"][parameter_set]
    layer = draw(st.sampled_from(sorted(weights)))
    arrays = [key for key in ("W", "b") if weights[layer].get(key) is not None]
    key = draw(st.sampled_from(arrays))
    operation = draw(st.sampled_from(SHAPE_OPERATIONS))
    old = weights[layer][key]
    new = reshaped(old, operation)
    weights[layer][key] = new
    path = ("parameters", parameter_set, layer, key)
    change = f"{operation} of a {np.shape(old)} array"
    # A transposed square matrix and a flattened vector keep their shape.
    expected = "load" if same_shape(old, new) else "reject"
    return MutatedFile(name, change, encode(document), field_name(path), expected)


def non_input_layers(document: Document) -> list[int]:
    layers = document["network"]["layers"]
    return [index for index, layer in enumerate(layers) if layer["role"] != "input"]


ACTIVATION_NAMES = st.sampled_from(
    sorted({*HIDDEN_ACTIVATIONS, *OUTPUT_ACTIVATIONS, "swish", "gelu", "elu", "softplus"})
)
# Near misses a person might type: other capitals, spaces, hyphens.
NEAR_MISSES = ACTIVATION_NAMES.flatmap(
    lambda name: st.sampled_from(
        [name.upper(), name.title(), f" {name}", f"{name} ", name.replace("_", "-"), name + "\n"]
    )
)


@st.composite
def unknown_activation(draw: st.DrawFn) -> MutatedFile:
    name = draw(seeds)
    document = seed(name)
    index = draw(st.sampled_from(non_input_layers(document)))
    activation = draw(ACTIVATION_NAMES | NEAR_MISSES | st.text(max_size=12))
    path = ("network", "layers", index, "activation")
    document = set_value(document, path, activation)
    role = document["network"]["layers"][index]["role"]
    allowed = OUTPUT_ACTIVATIONS if role == "output" else HIDDEN_ACTIVATIONS
    expected = "load" if activation in allowed else "reject"
    change = f"activation {activation!r}"
    return MutatedFile(name, change, encode(document), field_name(path), expected)


UNIT_COUNTS = (
    st.integers(-(10**12), 0)
    | st.integers(65, 10**12)
    | st.integers(1, 64)
    | st.sampled_from([0.0, -0.0, -1.0, 0.5, 4.5, 64.5, 1e20, -1e20, 10**30])
)


@st.composite
def unit_count(draw: st.DrawFn) -> MutatedFile:
    name = draw(seeds)
    document = seed(name)
    index = draw(st.integers(0, len(document["network"]["layers"]) - 1))
    units = draw(UNIT_COUNTS)
    path = ("network", "layers", index, "units")
    old = value_at(document, path)
    document = set_value(document, path, units)
    field, expected = field_name(path), "load"
    if not (isinstance(units, int) and 1 <= units <= 64):
        expected = "reject"
    elif units == old:
        expected = "load"
    elif document["network"]["layers"][index]["role"] != "hidden":
        # The input and output layers must match the dataset's columns.
        expected = "reject"
    elif document.get("parameters") is not None:
        # A hidden layer may change size, but then the stored weights no longer fit.
        field, expected = "parameters", "reject"
    return MutatedFile(name, f"units {units!r}", encode(document), field, expected)


def add_loop_layers(document: Document) -> None:
    """Add two hidden layers fed by the first hidden layer that feed each other."""
    network = document["network"]
    first_hidden = network["layers"][non_input_layers(document)[0]]["name"]
    for loop_name in ("loop a", "loop b"):
        network["layers"].append(
            {"name": loop_name, "role": "hidden", "units": 2, "activation": "relu"}
        )
    network["connections"] += [[first_hidden, "loop a"], ["loop a", "loop b"], ["loop b", "loop a"]]


@st.composite
def cycle(draw: st.DrawFn) -> MutatedFile:
    name = draw(seeds)
    document = seed(name)
    network = document["network"]
    names = [network["layers"][index]["name"] for index in non_input_layers(document)]
    backwards = [[target, source] for source, target in network["connections"] if source != "input"]
    shape = draw(st.sampled_from(["self loop", "reversed connection", "loop of new layers"]))
    if shape == "self loop":
        layer = draw(st.sampled_from(names))
        network["connections"].append([layer, layer])
    elif shape == "reversed connection" and backwards:
        network["connections"].append(draw(st.sampled_from(backwards)))
    else:
        add_loop_layers(document)
    # A drawing with a cycle opens unfinished, unless the file has weights for it.
    expected = "load" if document.get("parameters") is None else "reject"
    return MutatedFile(name, shape, encode(document), "network.connections", expected)


VERSIONS = (
    st.integers(-(10**9), 10**9)
    | st.sampled_from([0, 1, 2, 1.0, 2.0, 1.5, 0.5, 10**6, 10**6 + 1, 10**30, 1e300])
    | st.sampled_from(["1", "v1", True, False, None, [1], {"major": 1}])
)
FORMATS = st.sampled_from(
    ["nnstudio-project", "NNSTUDIO-PROJECT", "nnstudio-project ", "nnstudio", "keras", ""]
) | st.text(max_size=20)


@st.composite
def format_version(draw: st.DrawFn) -> MutatedFile:
    name = draw(seeds)
    document = seed(name)
    key = draw(st.sampled_from(["format", "version"]))
    value = draw(FORMATS if key == "format" else VERSIONS)
    document[key] = value
    valid = document["format"] == "nnstudio-project" and is_readable_version(document["version"])
    expected = "load" if valid else "reject"
    return MutatedFile(name, f"{key} {short(value)}", encode(document), key, expected)


def is_readable_version(value: Any) -> bool:
    # A whole number may be written as 1.0, but true is no number in a project file.
    # A document of version 2 read as version 1 still loads: the migration only
    # renumbers its (empty or complete) history.
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value in (1, 2)


# 0xC0, 0xC1 and 0xF5 to 0xFF never occur in UTF-8. The sequences are a lone
# continuation byte, an overlong "/", a UTF-16 surrogate, a cut-off euro sign
# and "été" in Latin-1.
INVALID_UTF8 = st.sampled_from(
    [bytes([byte]) for byte in (0xC0, 0xC1, 0xF5, 0xFE, 0xFF)]
    + [b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xe9t\xe9"]
)


@st.composite
def non_utf8(draw: st.DrawFn) -> MutatedFile:
    name = draw(seeds)
    data = encode(seed(name))
    offset = draw(st.integers(0, len(data)))
    inserted = draw(INVALID_UTF8)
    change = f"inserted {inserted!r} at byte {offset}"
    return MutatedFile(name, change, data[:offset] + inserted + data[offset:], "", "reject")


def nested(depth: int, container: str) -> str:
    if container == "list":
        return "[" * depth + "1" + "]" * depth
    return '{"a": ' * depth + "1" + "}" * depth


# json.loads raises RecursionError at a depth of Python's recursion limit (1000)
# less the caller's own stack depth. So a file nested 990 or 1010 levels deep
# may parse in a fresh CLI process and be "nested too deeply" inside pytest.
# The CLI and window tests use only the depths whose outcome is the same everywhere.
NEAR_RECURSION_LIMIT = (990, 1010)
CLEAR_DEPTHS = (2, 40, 500, 5000, 100_000)


@st.composite
def deep_nesting(
    draw: st.DrawFn, depths: tuple[int, ...] = (*CLEAR_DEPTHS, *NEAR_RECURSION_LIMIT)
) -> MutatedFile:
    name = draw(seeds)
    document = seed(name)
    objects = [path for path in all_paths(document) if isinstance(value_at(document, path), dict)]
    # Either replace an existing value or add the nesting under a new key.
    path = draw(st.sampled_from(all_paths(document)))
    if draw(st.booleans()):
        path = (*draw(st.sampled_from(objects)), "extra nesting")
    depth = draw(st.sampled_from(depths))
    container = draw(st.sampled_from(["list", "object"]))
    change = f"{depth} nested {container}s at {field_name(path)}"
    data = with_token(document, path, nested(depth, container))
    return MutatedFile(name, change, data, field_name(path))


@st.composite
def other_text(draw: st.DrawFn) -> MutatedFile:
    """Replace a text value (a name, a path, a column) with other text."""
    name = draw(seeds)
    document = seed(name)
    texts = [path for path in all_paths(document) if isinstance(value_at(document, path), str)]
    path = draw(st.sampled_from(texts))
    text = draw(st.text(max_size=30) | st.sampled_from(["", " ", "\n", "../iris.csv", "/", "."]))
    change = f"{field_name(path)}: text {short(value_at(document, path))} became {short(text)}"
    document = set_value(document, path, text)
    # A renamed layer is reported where the old name is still used, so no field is expected.
    return MutatedFile(name, change, encode(document))


CSV_CELLS = st.sampled_from(
    [
        "",
        " ",
        "nan",
        "inf",
        "1e400",
        "1e308",
        "1" + "0" * 5000,
        "1,5",
        '"',
        "abc",
        "-0",
        "new class",
    ]
)


def damaged_csv_text(text: str, operation: str, line: int, cell: str) -> bytes:
    lines = text.splitlines(keepends=True)
    line = line % len(lines)
    if operation == "truncate":
        return text.encode("utf-8")[: len("".join(lines[:line]).encode("utf-8")) + 7]
    if operation == "delete line":
        del lines[line]
    elif operation == "extra field":
        lines[line] = lines[line].rstrip("\n") + ",9.9\n"
    else:
        fields = lines[line].rstrip("\n").split(",")
        fields[line % len(fields)] = cell
        lines[line] = ",".join(fields) + "\n"
    return "".join(lines).encode("utf-8")


@st.composite
def damaged_csv(draw: st.DrawFn) -> MutatedFile:
    """Damage the CSV file that the iris projects read, and keep the project file as it is."""
    name = draw(st.sampled_from(["iris.nnproj", WITH_WEIGHTS]))
    text = (EXAMPLES / "iris.csv").read_text(encoding="utf-8")
    operation = draw(st.sampled_from(["truncate", "delete line", "extra field", "replace cell"]))
    line = draw(st.integers(0, 200))
    cell = draw(CSV_CELLS | st.text(max_size=8))
    csv = damaged_csv_text(text, operation, line, cell)
    if draw(st.booleans()):
        offset = draw(st.integers(0, len(csv)))
        csv = csv[:offset] + draw(INVALID_UTF8) + csv[offset:]
    row = line % len(text.splitlines()) + 1
    change = f"iris.csv: {operation} at line {row}, cell {short(cell)}"
    return MutatedFile(name, change, encode(seed(name)), csv=csv)


MUTATIONS: dict[str, Callable[[], st.SearchStrategy[MutatedFile]]] = {
    "truncated": truncated,
    "wrong type": wrong_type,
    "missing field": missing_field,
    "extra field": extra_field,
    "number token": number_token,
    "wrong shape": wrong_shape,
    "unknown activation": unknown_activation,
    "unit count": unit_count,
    "cycle": cycle,
    "format or version": format_version,
    "non-UTF-8": non_utf8,
    "deep nesting": deep_nesting,
    "other text": other_text,
    "damaged CSV": damaged_csv,
}


def any_mutation() -> st.SearchStrategy[MutatedFile]:
    """Return every kind of mutation, with outcomes that do not depend on the stack depth."""
    kinds = [make() for kind, make in MUTATIONS.items() if kind != "deep nesting"]
    return st.one_of([*kinds, deep_nesting(depths=CLEAR_DEPTHS)])


# The property


def prepare_workspace(folder: Path) -> Path:
    """Copy iris.csv, which the iris seeds refer to, into ``folder`` and return the folder."""
    shutil.copy(EXAMPLES / "iris.csv", folder / "iris.csv")
    return folder


def write_mutation(folder: Path, mutation: MutatedFile, name: str = "mutated.nnproj") -> Path:
    """Write the mutated project file, and iris.csv as the mutation has it, into ``folder``."""
    csv = mutation.csv if mutation.csv is not None else (EXAMPLES / "iris.csv").read_bytes()
    (folder / "iris.csv").write_bytes(csv)
    path = folder / name
    path.write_bytes(mutation.data)
    return path


@dataclass(frozen=True)
class Rejection:
    """A ProjectError from the loader: the field it names ("" for the whole file) and the text."""

    field: str
    message: str


def check_message(error: ProjectError, path: Path) -> Rejection:
    """Check that the message names the file and then a field or a whole-file problem."""
    message = str(error)
    prefix = f"{path}: "
    assert message.startswith(prefix), message
    problem = message[len(prefix) :]
    match = FIELD_PATTERN.match(problem)
    if match is not None:
        return Rejection(match.group(1), message)
    assert any(phrase in problem for phrase in WHOLE_FILE_PROBLEMS), message
    return Rejection("", message)


def check_usable(project: Project) -> None:
    """Check that a loaded project counts its weights and, when it is a network, predicts."""
    count = project.parameter_count()
    if count is None:
        # An unfinished drawing opens, and training then reports what to connect.
        with pytest.raises(GraphError):
            project.network_spec()
        return
    assert count > 0
    # Finite weights, inputs and means near 1e308 overflow to inf or NaN, which
    # is an allowed result. The CLI computes under the same errstate. Without it,
    # pytest's filterwarnings setting would turn numpy's overflow warning into an error.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        inputs = project.dataset.network_inputs()
        outputs = project.network().predict(inputs)
    assert outputs.shape == (len(inputs), project.output_layer().units)


def load_outcome(path: Path) -> Project | Rejection:
    """Load ``path`` and check the property: a usable project, or a message naming the field."""
    try:
        project = load_project(path)
    except ProjectError as error:
        return check_message(error, path)
    check_usable(project)
    return project


def check_expected(mutation: MutatedFile, outcome: Project | Rejection) -> None:
    """Check the outcome that the mutation's ``expected`` and ``field`` call for."""
    if mutation.expected == "load":
        assert isinstance(outcome, Project), outcome
    if mutation.expected == "reject":
        assert isinstance(outcome, Rejection), "the mutated file loaded"
    if isinstance(outcome, Rejection) and outcome.field and mutation.field:
        assert related(outcome.field, mutation.field), outcome.message


def related(field: str, changed: str) -> bool:
    """Return whether ``field`` is the changed field, a parent, a child, or a sibling of it.

    Siblings count because some rules join the fields of one object: dataset.mean
    needs dataset.scale, and dataset.targets needs as many rows as dataset.inputs.
    """
    if field == changed or changed == "(top level)":
        return True
    for outer, inner in ((field, changed), (changed, field)):
        if inner.startswith((f"{outer}.", f"{outer}[")):
            return True
    parent = containing_object(field)
    return bool(parent) and parent == containing_object(changed)


def containing_object(field: str) -> str:
    """Return the path of the object that contains ``field``: dataset for dataset.inputs[3]."""
    key = re.sub(r"(\[\d+\])+$", "", field)
    return key.rpartition(".")[0]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_workspace(tmp_path_factory.mktemp("fuzz"))


def document_loads(data: bytes) -> bool:
    try:
        json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return True


# Tests


def test_seeds_load(workspace: Path) -> None:
    # The mutations below mean something only when the unchanged seeds load.
    for name in seed_names():
        path = write_mutation(workspace, MutatedFile(name, "none", encode(seed(name))))
        assert isinstance(load_outcome(path), Project), name


@FUZZ
@given(mutation=truncated())
def test_truncated_file(workspace: Path, mutation: MutatedFile) -> None:
    outcome = load_outcome(write_mutation(workspace, mutation))
    check_expected(mutation, outcome)
    if isinstance(outcome, Rejection):
        assert outcome.field == "", outcome.message


@FUZZ
@given(mutation=wrong_type())
def test_wrong_type(workspace: Path, mutation: MutatedFile) -> None:
    check_expected(mutation, load_outcome(write_mutation(workspace, mutation)))


@FUZZ
@given(mutation=missing_field())
def test_missing_field(workspace: Path, mutation: MutatedFile) -> None:
    outcome = load_outcome(write_mutation(workspace, mutation))
    check_expected(mutation, outcome)
    if mutation.field:
        assert isinstance(outcome, Rejection)
        assert outcome.field == mutation.field, outcome.message
        assert "is missing" in outcome.message


def assert_same_project(loaded: Project, expected: Project) -> None:
    assert loaded.layers == expected.layers
    assert loaded.connections == expected.connections
    assert loaded.settings == expected.settings
    assert loaded.description == expected.description
    assert np.array_equal(loaded.dataset.X, expected.dataset.X)
    assert np.array_equal(loaded.dataset.y, expected.dataset.y)
    assert loaded.parameters is not None
    assert expected.parameters is not None
    assert loaded.parameters.keys() == expected.parameters.keys()
    for name, layer in expected.parameters.items():
        assert np.array_equal(loaded.parameters[name].W, layer.W), name
        assert np.array_equal(loaded.parameters[name].b, layer.b), name


@FUZZ
@given(mutation=extra_field())
def test_extra_field(workspace: Path, mutation: MutatedFile) -> None:
    outcome = load_outcome(write_mutation(workspace, mutation))
    check_expected(mutation, outcome)
    if isinstance(outcome, Rejection):
        assert outcome.field == mutation.field, outcome.message
        assert "unknown layers" in outcome.message
    else:
        unchanged = MutatedFile(mutation.seed, "none", encode(seed(mutation.seed)))
        expected = load_project(write_mutation(workspace, unchanged, "unchanged.nnproj"))
        assert_same_project(outcome, expected)


@FUZZ
@given(mutation=number_token())
def test_number_token(workspace: Path, mutation: MutatedFile) -> None:
    outcome = load_outcome(write_mutation(workspace, mutation))
    check_expected(mutation, outcome)


@FUZZ
@given(mutation=wrong_shape())
def test_wrong_weight_shape(workspace: Path, mutation: MutatedFile) -> None:
    outcome = load_outcome(write_mutation(workspace, mutation))
    check_expected(mutation, outcome)
    if isinstance(outcome, Rejection):
        assert outcome.field.startswith(mutation.field), outcome.message


@FUZZ
@given(mutation=unknown_activation())
def test_unknown_activation(workspace: Path, mutation: MutatedFile) -> None:
    outcome = load_outcome(write_mutation(workspace, mutation))
    check_expected(mutation, outcome)
    if isinstance(outcome, Rejection):
        assert outcome.field == mutation.field, outcome.message
        assert "is not one of" in outcome.message or "expected text" in outcome.message


@FUZZ
@given(mutation=unit_count())
def test_unit_count(workspace: Path, mutation: MutatedFile) -> None:
    outcome = load_outcome(write_mutation(workspace, mutation))
    check_expected(mutation, outcome)
    if isinstance(outcome, Rejection) and mutation.field != "parameters":
        assert outcome.field == mutation.field, outcome.message


@FUZZ
@given(mutation=cycle())
def test_cycle(workspace: Path, mutation: MutatedFile) -> None:
    outcome = load_outcome(write_mutation(workspace, mutation))
    check_expected(mutation, outcome)
    if isinstance(outcome, Project):
        assert outcome.parameter_count() is None
    else:
        assert outcome.field == "network.connections", outcome.message


@FUZZ
@given(mutation=format_version())
def test_format_or_version(workspace: Path, mutation: MutatedFile) -> None:
    outcome = load_outcome(write_mutation(workspace, mutation))
    check_expected(mutation, outcome)
    if isinstance(outcome, Rejection):
        assert outcome.field == mutation.field, outcome.message
    version = json.loads(mutation.data)["version"]
    if mutation.field == "version" and isinstance(version, int) and 2 < version <= 10**6:
        assert isinstance(outcome, Rejection)
        assert f"written by format version {version};" in outcome.message
        assert "Update nnstudio." in outcome.message
    if mutation.field == "version" and isinstance(version, (int, float)) and version > 10**6:
        assert isinstance(outcome, Rejection)
        assert "is out of range" in outcome.message


@FUZZ
@given(mutation=non_utf8())
def test_non_utf8_bytes(workspace: Path, mutation: MutatedFile) -> None:
    outcome = load_outcome(write_mutation(workspace, mutation))
    check_expected(mutation, outcome)
    with pytest.raises(UnicodeDecodeError) as decoding:
        mutation.data.decode("utf-8")
    assert isinstance(outcome, Rejection)
    assert f"not UTF-8 text (byte {decoding.value.start})" in outcome.message


@FUZZ
@given(mutation=deep_nesting())
def test_deep_nesting(workspace: Path, mutation: MutatedFile) -> None:
    check_expected(mutation, load_outcome(write_mutation(workspace, mutation)))


@FUZZ
@given(mutation=other_text())
def test_other_text(workspace: Path, mutation: MutatedFile) -> None:
    check_expected(mutation, load_outcome(write_mutation(workspace, mutation)))


@FUZZ
@given(mutation=damaged_csv())
def test_damaged_csv(workspace: Path, mutation: MutatedFile) -> None:
    outcome = load_outcome(write_mutation(workspace, mutation))
    if isinstance(outcome, Rejection):
        # A new class in the target column changes the output layer's size.
        assert outcome.field.startswith("dataset") or outcome.field.endswith(".units"), outcome


def test_csv_path_too_long(workspace: Path) -> None:
    # Most file systems limit a file name to 255 bytes.
    document = seed("iris.nnproj")
    document["dataset"]["csv"] = "a" * 300 + ".csv"
    mutation = MutatedFile("iris.nnproj", "a 304-character CSV file name", encode(document))
    outcome = load_outcome(write_mutation(workspace, mutation))
    assert isinstance(outcome, Rejection)
    assert outcome.field == "dataset.csv", outcome.message


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no POSIX permission bits")
@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root reads every folder, so there is no failure to test",
)
def test_csv_in_locked_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copy(EXAMPLES / "iris.csv", locked / "iris.csv")
    document = seed("iris.nnproj")
    document["dataset"]["csv"] = "locked/iris.csv"
    path = tmp_path / "locked csv.nnproj"
    path.write_bytes(encode(document))
    locked.chmod(0)
    try:
        outcome = load_outcome(path)
    finally:
        locked.chmod(0o755)
    assert isinstance(outcome, Rejection)
    assert outcome.field == "dataset.csv", outcome.message
