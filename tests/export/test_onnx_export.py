"""The ONNX model, run by onnxruntime, gives the engine's outputs to float32 precision."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnstudio.export import ExportError, export_onnx, onnx_available
from nnstudio.project.model import Project
from tests.conftest import REPO
from tests.export import (
    CASES,
    TIMEOUT,
    chain_project,
    engine_outputs,
    sample_inputs,
    standardized_project,
)

HAS_RUNTIME = onnx_available() and importlib.util.find_spec("onnxruntime") is not None
requires_onnx = pytest.mark.skipif(
    not HAS_RUNTIME,
    reason="needs onnx and onnxruntime, which are not installed: pip install 'nnstudio[onnx]'",
)

# float32 keeps about 7 significant digits, so outputs agree to 1e-5 of their size.
FLOAT32_TOLERANCE = 1e-5


def run_model(path: Path, X: np.ndarray) -> dict[str, np.ndarray]:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    results = session.run(None, {"input": X.astype(np.float32)})
    return dict(zip(names, results, strict=True))


def load_model(path: Path) -> Any:
    import onnx

    return onnx.load(str(path))


def tolerance(expected: np.ndarray) -> float:
    return FLOAT32_TOLERANCE * max(1.0, float(np.abs(expected).max()))


def export(project: Project, tmp_path: Path) -> Path:
    path = tmp_path / "network.onnx"
    export_onnx(project, path, source="test.nnproj")
    return path


@requires_onnx
@pytest.mark.parametrize("case", CASES)
def test_onnx_matches_engine(case: str, tmp_path: Path) -> None:
    project = CASES[case]()
    X = sample_inputs(project)
    expected = engine_outputs(project, X)

    outputs = run_model(export(project, tmp_path), X)

    assert outputs["output"].shape == expected.shape
    assert outputs["output"].dtype == np.float32
    np.testing.assert_allclose(outputs["output"], expected, rtol=0, atol=tolerance(expected))


@requires_onnx
def test_softmax_logits_output(tmp_path: Path) -> None:
    project = chain_project("tanh", "softmax", outputs=3)
    X = sample_inputs(project)
    network = project.network()
    logits = network.forward(project.dataset.network_inputs(X)).z["output"]

    outputs = run_model(export(project, tmp_path), X)

    assert sorted(outputs) == ["logits", "output"]
    np.testing.assert_allclose(outputs["logits"], logits, rtol=0, atol=tolerance(logits))
    np.testing.assert_allclose(outputs["output"].sum(axis=1), 1.0, rtol=0, atol=1e-6)


@requires_onnx
def test_sigmoid_has_one_output(tmp_path: Path) -> None:
    outputs = run_model(export(chain_project("relu", "sigmoid"), tmp_path), np.zeros((2, 3)))
    assert list(outputs) == ["output"]


@requires_onnx
def test_step_at_zero_is_one(tmp_path: Path) -> None:
    project = chain_project("identity", "step")
    assert project.parameters is not None
    for params in project.parameters.values():
        params.W[:] = 0.0
        params.b[:] = 0.0

    outputs = run_model(export(project, tmp_path), np.ones((2, 3)))

    np.testing.assert_array_equal(outputs["output"], np.ones((2, 2)))
    np.testing.assert_array_equal(engine_outputs(project, np.ones((2, 3))), np.ones((2, 2)))


@requires_onnx
def test_batch_of_one(tmp_path: Path) -> None:
    project = standardized_project()
    X = sample_inputs(project)[:1]
    expected = engine_outputs(project, X)

    outputs = run_model(export(project, tmp_path), X)

    assert outputs["output"].shape == (1, 2)
    np.testing.assert_allclose(outputs["output"], expected, rtol=0, atol=tolerance(expected))


@requires_onnx
def test_model_signature(tmp_path: Path) -> None:
    import onnx
    from onnx import helper

    model = load_model(export(chain_project("tanh", "sigmoid"), tmp_path))
    graph = model.graph
    input_shape = [
        dim.dim_param or dim.dim_value for dim in graph.input[0].type.tensor_type.shape.dim
    ]
    output_shape = [
        dim.dim_param or dim.dim_value for dim in graph.output[0].type.tensor_type.shape.dim
    ]

    assert [opset.version for opset in model.opset_import if opset.domain == ""] == [17]
    assert model.ir_version == helper.find_min_ir_version_for([helper.make_opsetid("", 17)])
    assert model.producer_name == "nnstudio"
    assert graph.input[0].name == "input"
    assert input_shape == ["N", 3]
    assert graph.output[0].name == "output"
    assert output_shape == ["N", 2]
    assert graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT


@requires_onnx
def test_initializers_are_float32(tmp_path: Path) -> None:
    import onnx

    model = load_model(export(standardized_project(), tmp_path))
    types = {initializer.name: initializer.data_type for initializer in model.graph.initializer}

    assert types
    assert set(types.values()) == {onnx.TensorProto.FLOAT}
    assert "input_mean" in types
    assert "input_scale" in types


@requires_onnx
def test_standardization_nodes_first(tmp_path: Path) -> None:
    model = load_model(export(standardized_project(), tmp_path))
    first_two = [node.op_type for node in model.graph.node[:2]]
    assert first_two == ["Sub", "Div"]


@requires_onnx
def test_metadata(tmp_path: Path) -> None:
    import nnstudio

    model = load_model(export(standardized_project(), tmp_path))
    metadata = {prop.key: prop.value for prop in model.metadata_props}

    assert metadata["nnstudio_version"] == nnstudio.__version__
    assert json.loads(metadata["input_names"]) == ["height", "weight", "age"]
    assert json.loads(metadata["class_names"]) == ["no", "yes"]
    assert json.loads(metadata["source_project"]) == "test.nnproj"
    assert json.loads(metadata["standardization"]) == {
        "mean": [10.0, -3.0, 0.25],
        "scale": [4.0, 0.5, 2.0],
    }


@requires_onnx
def test_export_leaves_project_unchanged(tmp_path: Path) -> None:
    # A project without weights gets them drawn for the export, but only in a copy.
    project = chain_project("tanh", "sigmoid")
    project.parameters = None
    project.initial_parameters = None

    export(project, tmp_path)

    assert project.parameters is None
    assert project.initial_parameters is None


@requires_onnx
def test_unfinished_network_rejected(tmp_path: Path) -> None:
    project = chain_project("tanh", "sigmoid")
    project.connections.remove(("hidden 1", "output"))
    with pytest.raises(ExportError, match="unfinished network"):
        export(project, tmp_path)
    assert not (tmp_path / "network.onnx").exists()


@requires_onnx
def test_weight_beyond_float32_rejected(tmp_path: Path) -> None:
    project = chain_project("tanh", "sigmoid")
    assert project.parameters is not None
    project.parameters["hidden 1"].W[0, 0] = 1e300
    with pytest.raises(ExportError, match="float32 range"):
        export(project, tmp_path)


@requires_onnx
def test_missing_folder_rejected(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="cannot write the file"):
        export_onnx(chain_project("tanh", "sigmoid"), tmp_path / "missing" / "network.onnx")


def test_missing_onnx_message(tmp_path: Path) -> None:
    # A child interpreter in which "import onnx" fails, as it does without the package.
    script = (
        "import sys\n"
        "sys.modules['onnx'] = None\n"
        "from nnstudio.export import ExportError, export_onnx, onnx_available\n"
        "from nnstudio.project.model import default_project\n"
        "print(onnx_available())\n"
        "try:\n"
        "    export_onnx(default_project(), sys.argv[1])\n"
        "except ExportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "network.onnx")],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=REPO,
        check=False,
    )
    lines = result.stdout.splitlines()

    assert result.returncode == 0, result.stderr
    assert lines[0] == "False"
    assert "needs the onnx package" in lines[1]
    assert "pip install 'nnstudio[onnx]'" in lines[1]
    assert not (tmp_path / "network.onnx").exists()


def test_import_loads_no_onnx_or_qt() -> None:
    script = (
        "import sys\n"
        "import nnstudio.export\n"
        "import nnstudio.cli\n"
        "roots = {name.split('.')[0] for name in sys.modules}\n"
        "print(sorted(roots & {'onnx', 'onnxruntime', 'torch', 'PySide6', 'pyqtgraph'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=REPO,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
