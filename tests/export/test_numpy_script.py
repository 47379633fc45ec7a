"""The NumPy script, run as its own process, prints the engine's outputs to 1e-12."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from nnstudio.export import ExportError, export_numpy_script
from nnstudio.project.fileformat import load_project
from nnstudio.project.model import Project
from tests.conftest import EXAMPLES
from tests.export import (
    CASES,
    branches_project,
    chain_project,
    engine_outputs,
    printed_outputs,
    run_script,
    sample_inputs,
    standardized_project,
    write_csv,
)

# The script repeats the engine's float64 formulas with the exact weights.
TOLERANCE = 1e-12


def export(project: Project, tmp_path: Path, source: str | None = "test.nnproj") -> Path:
    path = tmp_path / "network.py"
    export_numpy_script(project, path, source=source)
    return path


def import_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("exported_network", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("case", CASES)
def test_script_matches_engine(case: str, tmp_path: Path) -> None:
    project = CASES[case]()
    X = sample_inputs(project)
    expected = engine_outputs(project, X)
    script = export(project, tmp_path)

    result = run_script(script, write_csv(tmp_path / "inputs.csv", X))

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    np.testing.assert_allclose(printed_outputs(result.stdout), expected, rtol=0, atol=TOLERANCE)


def test_script_reads_stdin_with_header(tmp_path: Path) -> None:
    project = standardized_project()
    X = sample_inputs(project)
    script = export(project, tmp_path)
    text = write_csv(tmp_path / "inputs.csv", X, header="height,weight,age").read_text()

    result = run_script(script, stdin=text)

    assert result.returncode == 0, result.stderr
    expected = engine_outputs(project, X)
    np.testing.assert_allclose(printed_outputs(result.stdout), expected, rtol=0, atol=TOLERANCE)


def test_predict_from_python(tmp_path: Path) -> None:
    project = branches_project()
    X = sample_inputs(project)
    module = import_script(export(project, tmp_path))

    predicted = module.predict(X)

    assert predicted.shape == (len(X), 3)
    np.testing.assert_allclose(predicted, engine_outputs(project, X), rtol=0, atol=TOLERANCE)


def test_weights_written_exactly(tmp_path: Path) -> None:
    project = standardized_project()
    module = import_script(export(project, tmp_path))
    assert project.parameters is not None

    np.testing.assert_array_equal(module.W_HIDDEN_1, project.parameters["hidden 1"].W)
    np.testing.assert_array_equal(module.B_HIDDEN_1, project.parameters["hidden 1"].b)
    np.testing.assert_array_equal(module.W_OUTPUT, project.parameters["output"].W)
    np.testing.assert_array_equal(module.MEAN, project.dataset.mean)
    np.testing.assert_array_equal(module.SCALE, project.dataset.scale)
    assert module.INPUT_NAMES == ["height", "weight", "age"]
    assert module.CLASS_NAMES == ["no", "yes"]


def test_script_imports_only_numpy(tmp_path: Path) -> None:
    tree = ast.parse(export(branches_project(), tmp_path).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])

    assert imported == {"argparse", "csv", "math", "sys", "numpy"}


def test_header_names_project(tmp_path: Path) -> None:
    project = load_project(EXAMPLES / "xor.nnproj")
    text = export(project, tmp_path, source="xor.nnproj").read_text(encoding="utf-8")
    header = text.split('"""')[0]

    assert "from the project xor.nnproj (dataset: XOR)" in header
    assert "hidden 1: 4 units, tanh, with bias, fed by input" in header
    assert "output: 1 unit, sigmoid, with bias, fed by hidden 1" in header
    assert "python network.py inputs.csv" in header


def test_description_cannot_break_comment(tmp_path: Path) -> None:
    project = chain_project("tanh", "sigmoid")
    project.description = 'two lines\nprint("not a comment")\x00"""'
    script = export(project, tmp_path)

    result = run_script(script, write_csv(tmp_path / "inputs.csv", np.zeros((1, 3))))

    assert result.returncode == 0, result.stderr
    assert printed_outputs(result.stdout).shape == (1, 2)


def test_wrong_column_count(tmp_path: Path) -> None:
    script = export(chain_project("tanh", "sigmoid"), tmp_path)
    csv_path = tmp_path / "inputs.csv"
    csv_path.write_text("1,2,3\n4,5\n", encoding="utf-8")

    result = run_script(script, csv_path)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {csv_path}, line 2: expected 3 numbers, got 2; "
        "give one number per input of the network"
    ]


def test_text_after_first_row(tmp_path: Path) -> None:
    script = export(chain_project("tanh", "sigmoid"), tmp_path)

    result = run_script(script, stdin="1,2,3\na,b,c\n")

    assert result.returncode == 2
    assert "standard input, line 2: 'a,b,c' is not a row of numbers" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_missing_csv_file(tmp_path: Path) -> None:
    script = export(chain_project("tanh", "sigmoid"), tmp_path)

    result = run_script(script, tmp_path / "missing.csv")

    assert result.returncode == 2
    assert "missing.csv: cannot read the file" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_non_finite_weight_rejected(tmp_path: Path) -> None:
    project = chain_project("tanh", "sigmoid")
    assert project.parameters is not None
    project.parameters["output"].W[0, 0] = np.nan

    with pytest.raises(ExportError, match="layer 'output' has a weight that is not a finite"):
        export(project, tmp_path)
    assert not (tmp_path / "network.py").exists()
