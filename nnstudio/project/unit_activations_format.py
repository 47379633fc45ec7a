"""The optional per-neuron ``activations`` list of a layer in a project file.

A layer may store ``"activations": ["tanh", "relu", ...]``, one name per neuron,
which overrides its ``activation`` neuron by neuron. docs/project-format.md
documents the field.
"""

from __future__ import annotations

from typing import Any

from nnstudio.engine.activations import LAYER_ONLY_ACTIVATIONS, layer_only_message
from nnstudio.project.fields import FieldError, as_list, as_text
from nnstudio.project.model import Layer


def read_unit_activations(
    data: dict[str, Any], layer: Layer, field: str, choices: tuple[str, ...]
) -> None:
    """Set ``layer.activations`` from ``data["activations"]`` when it is there.

    ``field`` is the layer's path, such as network.layers[2], and ``choices``
    the activations its role allows. Raises FieldError naming the list or the
    entry at fault.
    """
    if "activations" not in data:
        return
    path = f"{field}.activations"
    if layer.activation in LAYER_ONLY_ACTIVATIONS:
        raise FieldError(
            path,
            f"a {layer.activation} layer cannot set an activation per neuron; "
            f"remove {path} or change the layer's activation",
        )
    items = as_list(data["activations"], path)
    if len(items) != layer.units:
        raise FieldError(
            path,
            f"has {len(items)} names but the layer has {layer.units} neurons; "
            "give exactly one activation per neuron",
        )
    names = []
    for index, item in enumerate(items):
        entry = f"{path}[{index}]"
        name = as_text(item, entry, choices)
        if name in LAYER_ONLY_ACTIVATIONS:
            raise FieldError(entry, layer_only_message(name))
        names.append(name)
    layer.activations = names


def unit_activations_to_dict(layer: Layer, data: dict[str, Any]) -> None:
    """Add the per-neuron list and, when a neuron uses leaky_relu, the slope to ``data``.

    A softmax or prelu layer ignores its list (see Layer.unit_activations), so
    none is written for it.
    """
    if layer.activations is None or layer.activation in LAYER_ONLY_ACTIVATIONS:
        return
    names = layer.unit_activations()
    data["activations"] = names
    if "leaky_relu" in names:
        data["slope"] = layer.slope
