"""Load the reference cases and translate them into engine networks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnstudio.engine.graph import LayerSpec, NetworkSpec
from nnstudio.engine.network import LayerParameters, Network
from tests.conftest import reference_dir


def load_cases(kind: str) -> list[dict[str, Any]]:
    """Return every reference case of ``kind`` ("gradient" or "perceptron")."""
    folder = reference_dir()
    files = sorted(folder.glob("*.json"))
    if not files:
        pytest.fail(f"no reference cases found in {folder}; set NNSTUDIO_REFERENCE")
    cases = [json.loads(Path(f).read_text()) for f in files]
    wanted = "perceptron" if kind == "perceptron" else None
    return [case for case in cases if case.get("rule") == wanted]


def build_network(case: dict[str, Any]) -> Network:
    """Translate a gradient case's layers and weights into a chain network."""
    layers = case["layers"]
    specs = []
    previous = "input"
    pairs = zip(layers[1:], case["weights"], strict=True)
    for index, (layer, weights) in enumerate(pairs, start=1):
        name = f"layer {index}"
        specs.append(
            LayerSpec(
                name,
                layer["units"],
                layer["activation"],
                (previous,),
                bias=weights["b"] is not None,
                slope=layer.get("slope", 0.01),
            )
        )
        previous = name
    spec = NetworkSpec(layers[0]["units"], tuple(specs))
    params = {
        f"layer {i}": LayerParameters(
            np.array(w["W"], dtype=float), None if w["b"] is None else np.array(w["b"], dtype=float)
        )
        for i, w in enumerate(case["weights"], start=1)
    }
    return Network(spec, params)
