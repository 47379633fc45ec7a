"""The commands read a CSV file outside the project's folder, with one warning line on stderr."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES, REPO

TIMEOUT = 120


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nnstudio", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=REPO,
    )


def project_in_subfolder(folder: Path) -> tuple[Path, Path]:
    """Write the iris project into folder/projects, reading folder/iris.csv as ../iris.csv."""
    csv = folder / "iris.csv"
    shutil.copy(EXAMPLES / "iris.csv", csv)
    (folder / "projects").mkdir()
    document = json.loads((EXAMPLES / "iris.nnproj").read_text(encoding="utf-8"))
    document["dataset"]["csv"] = "../iris.csv"
    path = folder / "projects" / "iris.nnproj"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path, csv.resolve()


def test_outside_csv_warns_and_reads(tmp_path: Path) -> None:
    path, csv = project_in_subfolder(tmp_path)

    result = run_cli("gradients", path, "--json")

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"nnstudio: warning: reading the dataset from {csv}, outside the project file's folder"
    ]
    assert json.loads(result.stdout)["loss"] > 0


def test_csv_beside_project_no_warning(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "iris.csv", tmp_path / "iris.csv")
    shutil.copy(EXAMPLES / "iris.nnproj", tmp_path / "iris.nnproj")

    result = run_cli("gradients", tmp_path / "iris.nnproj", "--json")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
