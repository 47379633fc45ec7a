"""The PyTorch script rebuilds the network in torch and prints the engine's outputs to 1e-12."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from nnstudio.export import export_pytorch_script
from nnstudio.project.model import Project
from tests.export import (
    CASES,
    branches_project,
    engine_outputs,
    printed_outputs,
    run_script,
    sample_inputs,
    standardized_project,
    write_csv,
)

# The script builds the network in float64, like the engine.
TOLERANCE = 1e-12


@pytest.fixture
def torch() -> Any:
    return pytest.importorskip(
        "torch", reason="running the PyTorch script needs torch, which is not installed"
    )


def export(project: Project, tmp_path: Path) -> Path:
    path = tmp_path / "network_torch.py"
    export_pytorch_script(project, path, source="test.nnproj")
    return path


def import_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("exported_torch_network", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_script_is_python_importing_torch(tmp_path: Path) -> None:
    # Runs without torch: the export itself never needs it.
    tree = ast.parse(export(branches_project(), tmp_path).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")

    assert imported == {"argparse", "csv", "math", "sys", "torch"}


@pytest.mark.parametrize("case", CASES)
def test_script_matches_engine(case: str, tmp_path: Path, torch: Any) -> None:
    project = CASES[case]()
    X = sample_inputs(project)
    expected = engine_outputs(project, X)
    script = export(project, tmp_path)

    result = run_script(script, write_csv(tmp_path / "inputs.csv", X))

    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(printed_outputs(result.stdout), expected, rtol=0, atol=TOLERANCE)


def test_one_linear_per_layer(tmp_path: Path, torch: Any) -> None:
    project = branches_project()
    module = import_script(export(project, tmp_path))
    linears = {
        name: layer
        for name, layer in module.MODEL.named_children()
        if isinstance(layer, torch.nn.Linear)
    }
    assert project.parameters is not None

    assert sorted(linears) == [
        "layer_join",
        "layer_left_branch",
        "layer_output",
        "layer_right_branch_2",
    ]
    for name, identifier in [("left branch", "left_branch"), ("join", "join")]:
        weight = linears[f"layer_{identifier}"].weight.detach().numpy()
        np.testing.assert_array_equal(weight, project.parameters[name].W.T)
    assert linears["layer_right_branch_2"].bias is None


def test_predict_from_python(tmp_path: Path, torch: Any) -> None:
    project = standardized_project()
    X = sample_inputs(project)
    module = import_script(export(project, tmp_path))

    predicted = module.predict(X)

    assert isinstance(predicted, torch.Tensor)
    assert predicted.dtype == torch.float64
    expected = engine_outputs(project, X)
    np.testing.assert_allclose(predicted.numpy(), expected, rtol=0, atol=TOLERANCE)


def test_script_reads_stdin(tmp_path: Path, torch: Any) -> None:
    project = standardized_project()
    X = sample_inputs(project)
    text = write_csv(tmp_path / "inputs.csv", X, header="height,weight,age").read_text()

    result = run_script(export(project, tmp_path), stdin=text)

    assert result.returncode == 0, result.stderr
    expected = engine_outputs(project, X)
    np.testing.assert_allclose(printed_outputs(result.stdout), expected, rtol=0, atol=TOLERANCE)
