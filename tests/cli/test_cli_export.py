"""``nnstudio export`` run as a user runs it, with each written file then run on its own."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnstudio.export import onnx_available
from nnstudio.project.fileformat import load_project
from tests.conftest import EXAMPLES, REPO
from tests.export import (
    TIMEOUT,
    engine_outputs,
    printed_outputs,
    run_script,
    sample_inputs,
    write_csv,
)

XOR = EXAMPLES / "xor.nnproj"
WORKED = EXAMPLES / "worked-example.nnproj"

HAS_RUNTIME = onnx_available() and importlib.util.find_spec("onnxruntime") is not None
HAS_TORCH = importlib.util.find_spec("torch") is not None


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=REPO,
        check=False,
    )


def assert_one_error_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "file_format",
    [
        "python",
        pytest.param(
            "pytorch",
            marks=pytest.mark.skipif(not HAS_TORCH, reason="running the script needs torch"),
        ),
    ],
)
@pytest.mark.parametrize("example", [XOR, WORKED], ids=["xor", "worked-example"])
def test_export_script(file_format: str, example: Path, tmp_path: Path) -> None:
    out = tmp_path / "network.py"
    project = load_project(example)
    X = sample_inputs(project)

    result = run_cli("export", example, "--format", file_format, "--out", out)
    printed = run_script(out, write_csv(tmp_path / "inputs.csv", X))

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"wrote the {_kind(file_format)} of {example} to {out}"]
    assert printed.returncode == 0, printed.stderr
    expected = engine_outputs(project, X)
    np.testing.assert_allclose(printed_outputs(printed.stdout), expected, rtol=0, atol=1e-12)


@pytest.mark.skipif(
    not HAS_RUNTIME, reason="needs onnx and onnxruntime: pip install 'nnstudio[onnx]'"
)
def test_export_onnx(tmp_path: Path) -> None:
    import onnxruntime

    out = tmp_path / "xor.onnx"
    project = load_project(XOR)
    X = sample_inputs(project)

    result = run_cli("export", XOR, "--format", "onnx", "--out", out)
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (output,) = session.run(["output"], {"input": X.astype(np.float32)})

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [f"wrote the ONNX model of {XOR} to {out}"]
    np.testing.assert_allclose(output, engine_outputs(project, X), rtol=0, atol=1e-5)


def test_onnx_missing(tmp_path: Path) -> None:
    # The command in a child interpreter where "import onnx" fails, as without the package.
    script = (
        "import sys\n"
        "sys.modules['onnx'] = None\n"
        "from nnstudio.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    out = tmp_path / "xor.onnx"
    result = subprocess.run(
        [sys.executable, "-c", script, "export", str(XOR), "--format", "onnx", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=REPO,
        check=False,
    )

    line = assert_one_error_line(result, 1)
    assert line.startswith("nnstudio: error: ONNX export needs the onnx package")
    assert "pip install 'nnstudio[onnx]'" in line
    assert not out.exists()


def test_bad_project_file(tmp_path: Path) -> None:
    project = tmp_path / "broken.nnproj"
    project.write_text("{not json", encoding="utf-8")
    out = tmp_path / "network.py"

    result = run_cli("export", project, "--format", "python", "--out", out)

    line = assert_one_error_line(result, 2)
    assert "broken.nnproj: not a valid JSON document" in line
    assert not out.exists()


def test_unfinished_network(tmp_path: Path) -> None:
    document = json.loads(XOR.read_text(encoding="utf-8"))
    document["network"]["connections"] = [["input", "hidden 1"]]
    project = tmp_path / "unfinished.nnproj"
    project.write_text(json.dumps(document), encoding="utf-8")

    result = run_cli("export", project, "--format", "python", "--out", tmp_path / "network.py")

    line = assert_one_error_line(result, 1)
    assert "cannot export an unfinished network" in line


def test_missing_out_folder(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "network.py"
    result = run_cli("export", XOR, "--format", "python", "--out", out)

    line = assert_one_error_line(result, 2)
    assert f"the folder {out.parent} does not exist" in line


def test_unknown_format(tmp_path: Path) -> None:
    result = run_cli("export", XOR, "--format", "pmml", "--out", tmp_path / "network.pmml")

    line = assert_one_error_line(result, 2)
    assert "invalid choice: 'pmml'" in line


def test_format_required(tmp_path: Path) -> None:
    result = run_cli("export", XOR, "--out", tmp_path / "network.py")

    line = assert_one_error_line(result, 2)
    assert "--format" in line


def _kind(file_format: str) -> str:
    return {"python": "NumPy script", "pytorch": "PyTorch script"}[file_format]
