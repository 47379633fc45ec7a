"""Reading and writing what training produces: the ``parameters`` and ``history`` objects.

docs/project-format.md documents both. A prelu layer's alpha and the history's
validation loss are optional, so files written before they existed still load.
The history's epoch numbers came with format version 2; migrations.py adds
them to older files.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np

from nnstudio.engine.activations import INITIAL_ALPHA
from nnstudio.engine.errors import GraphError
from nnstudio.engine.graph import NetworkSpec
from nnstudio.engine.history import History
from nnstudio.engine.network import LayerParameters, Parameters, fit_alpha
from nnstudio.project.fields import (
    FieldError,
    as_float,
    as_int,
    as_list,
    as_matrix,
    as_object,
    require,
)
from nnstudio.project.model import Project

# The largest epoch number a file may give: 10**12 epochs would take years at
# the engine's speed, and the number stays exact in a float64 and in JSON.
MAX_EPOCH = 10**12


def read_parameters(item: Any, field: str, spec: NetworkSpec) -> Parameters:
    """Read one set of weights (``parameters.initial`` or ``.current``) that fits ``spec``."""
    data = as_object(item, field)
    parameters: Parameters = {}
    for name in spec.order:
        layer_field = f"{field}.{name}"
        layer = as_object(require(data, name, field), layer_field)
        units = spec.layer(name).units
        W = as_matrix(
            require(layer, "W", layer_field), f"{layer_field}.W", (spec.fan_in(name), units)
        )
        raw_b = layer.get("b")
        if spec.layer(name).bias:
            b = as_matrix(raw_b, f"{layer_field}.b", (units,))
        elif raw_b is not None:
            raise FieldError(f"{layer_field}.b", "the layer has no bias; use null")
        else:
            b = None
        alpha = _read_alpha(layer.get("alpha"), f"{layer_field}.alpha", spec, name)
        parameters[name] = LayerParameters(W, b, alpha)
    extra = set(data) - set(spec.order)
    if extra:
        raise FieldError(field, f"has weights for unknown layers: {', '.join(sorted(extra))}")
    return parameters


def _read_alpha(item: Any, field: str, spec: NetworkSpec, name: str) -> Any:
    shape = spec.layer(name).alpha_shape()
    if shape is None:
        if item is not None:
            raise FieldError(field, "the layer's activation is not prelu; remove alpha or use null")
        return None
    # A file written by hand may leave alpha out; PReLU then starts at its usual value.
    if item is None:
        return np.full(shape, INITIAL_ALPHA)
    return as_matrix(item, field, shape)


def read_history(item: Any) -> History:
    """Read the ``history`` object; null or absent gives an empty history.

    ``epochs`` numbers the entries (format version 2 on). It is required when
    ``loss`` has entries, because a long run keeps only some of its epochs.
    """
    if item is None:
        return History()
    data = as_object(item, "history")
    loss = [
        as_float(value, f"history.loss[{index}]")
        for index, value in enumerate(as_list(data.get("loss", []), "history.loss"))
    ]
    accuracy = _read_accuracy(data, len(loss))
    validation = _read_validation_loss(data, len(loss))
    epochs = _read_epochs(data, len(loss))
    # More entries than the capacity (a file written by hand) are compacted on reading.
    return History(loss, accuracy, validation, epochs)


def _read_accuracy(data: dict[str, Any], count: int) -> list[float]:
    items = as_list(data.get("accuracy", []), "history.accuracy")
    if len(items) != count:
        raise FieldError("history.accuracy", "must have one entry per entry of history.loss")
    values = []
    for index, value in enumerate(items):
        field = f"history.accuracy[{index}]"
        values.append(math.nan if value is None else as_float(value, field, 0.0, 1.0))
    return values


def _read_epochs(data: dict[str, Any], count: int) -> list[int]:
    if count == 0:
        as_list(data.get("epochs", []), "history.epochs")
        return []
    items = as_list(require(data, "epochs", "history"), "history.epochs")
    if len(items) != count:
        raise FieldError(
            "history.epochs",
            f"has {len(items)} entries but history.loss has {count}; give each entry's epoch",
        )
    epochs: list[int] = []
    for index, value in enumerate(items):
        field = f"history.epochs[{index}]"
        low = epochs[-1] + 1 if epochs else 1
        epoch = as_int(value, field, 1, MAX_EPOCH)
        if epoch < low:
            raise FieldError(
                field, f"{epoch} does not follow {low - 1}; epochs must increase strictly from 1"
            )
        epochs.append(epoch)
    return epochs


def _read_validation_loss(data: dict[str, Any], epochs: int) -> list[float]:
    # An empty list, or none, means no epoch had a validation set.
    items = as_list(data.get("validation_loss", []), "history.validation_loss")
    if not items:
        return [math.nan] * epochs
    if len(items) != epochs:
        raise FieldError(
            "history.validation_loss",
            f"has {len(items)} entries but history.loss has {epochs}; "
            "give one entry per epoch, or an empty list",
        )
    values = []
    for index, value in enumerate(items):
        field = f"history.validation_loss[{index}]"
        values.append(math.nan if value is None else as_float(value, field))
    return values


def history_to_dict(history: History) -> dict[str, Any]:
    """Return the ``history`` object for ``history``: its kept entries and their epochs."""
    # Without any validation set the list would be one null per epoch, and [] means the same.
    validation = history.validation_loss.tolist()
    if all(math.isnan(value) for value in validation):
        validation = []
    return {
        "epochs": history.epochs.tolist(),
        "loss": history.loss.tolist(),
        "accuracy": history.accuracy.tolist(),
        "validation_loss": validation,
    }


def parameters_to_dict(project: Project, parameters: Parameters) -> dict[str, Any]:
    """Return one set of weights of ``project`` as the ``parameters`` object stores it."""
    # A layer's activation may have changed since its alpha was set. The file
    # gets the alpha that the network will use, so that it always loads again.
    with contextlib.suppress(GraphError):
        parameters = fit_alpha(project.network_spec(), parameters)
    # tolist() writes each float with repr, which reads back bit for bit.
    document: dict[str, Any] = {}
    for name, layer in parameters.items():
        entry: dict[str, Any] = {"W": layer.W.tolist(), "b": None}
        if layer.b is not None:
            entry["b"] = layer.b.tolist()
        if layer.alpha is not None:
            entry["alpha"] = layer.alpha.tolist()
        document[name] = entry
    return document
