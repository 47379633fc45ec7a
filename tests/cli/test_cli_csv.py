"""``nnstudio train`` and ``nnstudio gradients`` on projects whose dataset is a CSV file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from nnstudio.project.fileformat import load_project
from tests.conftest import EXAMPLES, REPO

TIMEOUT = 120

IRIS = EXAMPLES / "iris.nnproj"
IRIS_CSV = EXAMPLES / "iris.csv"


def run_cli(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=cwd,
    )


def json_output(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """Return the one line on stderr of a run that failed with exit status 2."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_train_iris_json() -> None:
    result = run_cli("train", "examples/iris.nnproj", "--json")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json_output(result)
    assert data["epochs_trained"] == 500
    assert data["accuracy"] >= 0.95
    assert data["diverged_at_epoch"] is None


def test_train_iris_from_other_folder(tmp_path: Path) -> None:
    # The CSV path starts at the project file's folder, not the current folder.
    result = run_cli("train", IRIS, "--epochs", "5", "--json", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert json_output(result)["epochs_trained"] == 5


def test_out_in_other_folder(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "iris-trained.nnproj"
    out.parent.mkdir()

    result = run_cli("train", IRIS, "--epochs", "20", "--out", out, "--json")

    assert result.returncode == 0, result.stderr
    section = json.loads(out.read_text(encoding="utf-8"))["dataset"]
    assert section["csv"] == Path(os.path.relpath(IRIS_CSV, out.parent)).as_posix()
    assert "targets" not in section
    trained = load_project(out)
    assert len(trained.history.loss) == 20
    np.testing.assert_array_equal(trained.dataset.X, load_project(IRIS).dataset.X)


def test_out_trains_again(tmp_path: Path) -> None:
    out = tmp_path / "runs" / "iris-trained.nnproj"
    out.parent.mkdir()
    first = run_cli("train", IRIS, "--epochs", "20", "--out", out, "--json")
    assert first.returncode == 0, first.stderr

    second = run_cli("train", out.name, "--epochs", "1", "--json", cwd=out.parent)

    assert second.returncode == 0, second.stderr
    assert json_output(second)["last_epoch"] == 21


def test_missing_csv_exit_2(tmp_path: Path) -> None:
    project = tmp_path / "iris.nnproj"
    shutil.copyfile(IRIS, project)

    result = run_cli("train", project)

    line = error_line(result)
    assert "field 'dataset.csv'" in line
    assert str(tmp_path / "iris.csv") in line
    assert result.stdout == ""


def test_bad_csv_rows_exit_2(tmp_path: Path) -> None:
    shutil.copyfile(IRIS, tmp_path / "iris.nnproj")
    rows = IRIS_CSV.read_text(encoding="utf-8").splitlines()
    rows[3] = "4.7,,1.3,0.2,setosa"
    (tmp_path / "iris.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    line = error_line(run_cli("train", tmp_path / "iris.nnproj"))

    assert "line 4, column 'sepal_width' is empty" in line
    assert "dataset.drop_invalid_rows" in line


def test_gradients_iris() -> None:
    result = run_cli("gradients", IRIS, "--json")

    assert result.returncode == 0, result.stderr
    data = json_output(result)
    assert np.array(data["output"]).shape == (150, 3)
    np.testing.assert_allclose(np.array(data["output"]).sum(axis=1), 1.0, rtol=1e-12)
