"""Exports of layers whose neurons have activations of their own.

The engine comparisons of every exporter run the "per-neuron" case of
tests/export; these tests check what is particular to mixed layers.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from nnstudio.export import export_numpy_script, export_onnx, export_pytorch_script
from nnstudio.export.common import grouped_order, snapshot_project, unit_groups
from tests.export import engine_outputs, mixed_project, printed_outputs, run_script, write_csv
from tests.export.test_onnx_export import load_model, requires_onnx, run_model, tolerance


def test_groups_and_order() -> None:
    layer = snapshot_project(mixed_project()).spec.layer("mixed 2")
    groups = unit_groups(layer)
    assert groups == [("step", [0, 2]), ("tanh", [1]), ("sigmoid", [3])]
    # Side by side the groups hold units 0, 2, 1, 3; unit 1 sits in column 2.
    assert grouped_order(groups) == [0, 2, 1, 3]


@requires_onnx
def test_onnx_gathers_groups(tmp_path: Path) -> None:
    path = tmp_path / "mixed.onnx"
    export_onnx(mixed_project(), path)
    model = load_model(path)
    ops = [node.op_type for node in model.graph.node if node.output[0].startswith("mixed_2")]
    assert ops.count("Gather") == 4  # three groups, then the reordering
    assert "Concat" in ops

    metadata = {prop.key: prop.value for prop in model.metadata_props}
    layers = {entry["name"]: entry for entry in json.loads(metadata["layers"])}
    assert layers["mixed 2"]["activations"] == ["step", "tanh", "step", "sigmoid"]
    assert layers["mixed 1"]["slope"] == 0.2
    assert "activations" not in layers.get("hidden 1", {})


@requires_onnx
def test_onnx_step_unit_at_zero(tmp_path: Path) -> None:
    """A mixed output whose z is exactly 0: step gives 1 there, identity 0."""
    project = mixed_project()
    project.layer("output").activations = ["step", "identity", "sigmoid"]
    assert project.parameters is not None
    project.parameters["output"].W[:] = 0.0
    project.parameters["output"].b = np.zeros(3)
    path = tmp_path / "zero.onnx"
    export_onnx(project, path)

    X = np.ones((2, 3))
    output = run_model(path, X)["output"]
    expected = engine_outputs(project, X)
    np.testing.assert_allclose(expected, [[1.0, 0.0, 0.5]] * 2, rtol=0, atol=0)
    np.testing.assert_allclose(output, expected, rtol=0, atol=tolerance(expected))


def test_numpy_script_on_single_rows(tmp_path: Path) -> None:
    project = mixed_project()
    script = tmp_path / "mixed.py"
    export_numpy_script(project, script)
    X = np.array([[0.5, -1.0, 2.0]])
    expected = engine_outputs(project, X)

    result = run_script(script, write_csv(tmp_path / "one.csv", X))
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(printed_outputs(result.stdout), expected, rtol=0, atol=1e-12)


def test_pytorch_script_parses(tmp_path: Path) -> None:
    # Runs without torch; tests/export/test_pytorch_script.py runs the script when torch is there.
    script = tmp_path / "mixed_torch.py"
    export_pytorch_script(mixed_project(), script)
    text = script.read_text(encoding="utf-8")
    ast.parse(text)
    assert "a_mixed_2 = joined[:, [0, 2, 1, 3]]" in text


@pytest.mark.parametrize("units", [1, 5])
def test_uniform_list_exports_plain(units: int) -> None:
    project = mixed_project()
    layer = project.layer("mixed 1")
    layer.resize(units)
    layer.activations = ["abs"] * units
    project.reinitialize()
    spec = snapshot_project(project).spec
    assert spec.layer("mixed 1").activation == "abs"
    assert spec.layer("mixed 1").activations == ()
