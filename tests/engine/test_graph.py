"""Graph validation: every malformed network is rejected with a message naming its layers."""

from __future__ import annotations

import pytest

from nnstudio.engine.errors import GraphError
from nnstudio.engine.graph import LayerSpec, NetworkSpec


def rejection(*layers: LayerSpec) -> str:
    """Build a network of ``layers`` on 2 inputs and return the GraphError's message."""
    with pytest.raises(GraphError) as info:
        NetworkSpec(2, layers)
    return str(info.value)


def test_cycle_names_its_layers() -> None:
    message = rejection(
        LayerSpec("a", 3, "tanh", ("input", "c")),
        LayerSpec("b", 3, "tanh", ("a",)),
        LayerSpec("c", 3, "tanh", ("b",)),
        LayerSpec("output", 1, "sigmoid", ("b",)),
    )
    assert "cycle" in message
    assert "'a'" in message
    assert "'b'" in message
    assert "'c'" in message


def test_cycle_without_sink_names_its_layers() -> None:
    message = rejection(
        LayerSpec("a", 3, "tanh", ("input", "b")),
        LayerSpec("b", 3, "tanh", ("a",)),
    )
    assert "cycle" in message
    assert "'a'" in message
    assert "'b'" in message


def test_self_loop_is_a_cycle() -> None:
    message = rejection(
        LayerSpec("a", 3, "tanh", ("input", "a")),
        LayerSpec("output", 1, "sigmoid", ("a",)),
    )
    assert "cycle" in message
    assert "'a'" in message


def test_two_sinks_named() -> None:
    message = rejection(
        LayerSpec("dead end", 3, "tanh", ("input",)),
        LayerSpec("output", 1, "sigmoid", ("input",)),
    )
    assert "'dead end'" in message
    assert "'output'" in message
    assert "no outgoing connection" in message


def test_layer_without_inputs_named() -> None:
    message = rejection(
        LayerSpec("floating", 3, "tanh", ()),
        LayerSpec("output", 1, "sigmoid", ("input", "floating")),
    )
    assert "'floating'" in message
    assert "no incoming connection" in message


def test_duplicate_name_named() -> None:
    message = rejection(
        LayerSpec("twin", 3, "tanh", ("input",)),
        LayerSpec("twin", 2, "tanh", ("input",)),
        LayerSpec("output", 1, "sigmoid", ("twin",)),
    )
    assert "'twin'" in message


def test_layer_named_like_input_rejected() -> None:
    message = rejection(LayerSpec("input", 1, "sigmoid", ("input",)))
    assert "'input'" in message


@pytest.mark.parametrize("units", [0, -1])
def test_units_below_one_named(units: int) -> None:
    message = rejection(
        LayerSpec("empty", units, "tanh", ("input",)),
        LayerSpec("output", 1, "sigmoid", ("empty",)),
    )
    assert "'empty'" in message
    assert f"{units} units" in message


def test_unknown_source_named() -> None:
    message = rejection(
        LayerSpec("hidden", 3, "tanh", ("input",)),
        LayerSpec("output", 1, "sigmoid", ("hidden", "ghost")),
    )
    assert "'output'" in message
    assert "'ghost'" in message


def test_same_source_twice_named() -> None:
    message = rejection(LayerSpec("output", 1, "sigmoid", ("input", "input")))
    assert "'output'" in message


def test_no_layers_rejected() -> None:
    message = rejection()
    assert "no layers" in message


def test_diamond_topological_order() -> None:
    # Listed out of order on purpose: the order comes from the connections.
    spec = NetworkSpec(
        2,
        (
            LayerSpec("join", 1, "sigmoid", ("left", "right")),
            LayerSpec("right", 2, "relu", ("input",)),
            LayerSpec("left", 3, "tanh", ("input",)),
        ),
    )
    position = {name: index for index, name in enumerate(spec.order)}
    assert sorted(spec.order) == ["join", "left", "right"]
    assert position["left"] < position["join"]
    assert position["right"] < position["join"]
    assert spec.output_name == "join"


def test_diamond_sizes() -> None:
    spec = NetworkSpec(
        2,
        (
            LayerSpec("left", 3, "tanh", ("input",)),
            LayerSpec("right", 2, "relu", ("input",), bias=False),
            LayerSpec("join", 1, "sigmoid", ("left", "right", "input")),
        ),
    )
    assert spec.fan_in("join") == 3 + 2 + 2
    # left 2*3 + 3, right 2*2 without bias, join 7*1 + 1
    assert spec.parameter_count() == 9 + 4 + 8


def test_long_chain_order() -> None:
    names = [f"layer {index}" for index in range(10)]
    layers = [LayerSpec(names[0], 2, "tanh", ("input",))]
    for index in range(1, len(names)):
        layers.append(LayerSpec(names[index], 2, "tanh", (names[index - 1],)))
    spec = NetworkSpec(2, tuple(reversed(layers)))
    assert spec.order == tuple(names)
