"""Reading and writing what training produces: the ``parameters`` and ``history`` objects.

docs/project-format.md documents both. A prelu layer's alpha and the history's
validation loss are optional, so files written before they existed still load.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np

from nnstudio.engine.activations import INITIAL_ALPHA
from nnstudio.engine.errors import GraphError
from nnstudio.engine.graph import NetworkSpec
from nnstudio.engine.network import LayerParameters, Parameters, fit_alpha
from nnstudio.engine.training import History
from nnstudio.project.fields import FieldError, as_float, as_list, as_matrix, as_object, require
from nnstudio.project.model import Project


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
    """Read the ``history`` object; null or absent gives an empty history."""
    if item is None:
        return History()
    data = as_object(item, "history")
    loss = as_list(data.get("loss", []), "history.loss")
    acc = as_list(data.get("accuracy", []), "history.accuracy")
    history = History()
    for index, value in enumerate(loss):
        history.loss.append(as_float(value, f"history.loss[{index}]"))
    for index, value in enumerate(acc):
        if value is None:
            history.accuracy.append(math.nan)
        else:
            history.accuracy.append(as_float(value, f"history.accuracy[{index}]", 0.0, 1.0))
    if len(history.accuracy) != len(history.loss):
        raise FieldError("history.accuracy", "must have one entry per entry of history.loss")
    history.validation_loss = _read_validation_loss(data, len(history.loss))
    return history


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
    """Return the ``history`` object for ``history``."""
    # Without any validation set the list would be one null per epoch, and [] means the same.
    validation = History(history.loss, history.accuracy, history.validation_loss).validation_loss
    if all(math.isnan(value) for value in validation):
        validation = []
    return {
        "loss": list(history.loss),
        "accuracy": list(history.accuracy),
        "validation_loss": list(validation),
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
