"""Generated data saved as its request and drawn again exactly; CSV files outside the folder."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from nnstudio.project.datasets import Dataset
from nnstudio.project.fileformat import CsvDeclined, load_project, save_project
from nnstudio.project.generators import add_point, generate, remove_nearest
from nnstudio.project.model import Project, default_project
from tests.conftest import EXAMPLES


def project_with(dataset: Dataset) -> Project:
    project = default_project("xor")
    project.dataset = dataset
    project.layer("output").units = dataset.output_count
    project.reinitialize()
    return project


def saved(project: Project, folder: Path) -> tuple[dict[str, object], Project]:
    path = folder / "project.nnproj"
    save_project(project, path)
    document = json.loads(path.read_text(encoding="utf-8"))
    return document["dataset"], load_project(path)


def assert_same_data(loaded: Dataset, original: Dataset) -> None:
    # Bit for bit, not only equal values: the bytes of both arrays match.
    assert loaded.X.dtype == original.X.dtype
    assert loaded.X.tobytes() == original.X.tobytes()
    assert loaded.y.tobytes() == original.y.tobytes()
    assert loaded.name == original.name
    assert loaded.input_names == original.input_names
    assert loaded.class_names == original.class_names


# generated data


@pytest.mark.parametrize(
    ("kind", "samples", "noise", "seed"),
    [
        ("moons", 200, 0.1, 0),
        ("spiral", 301, 0.123456789, 42),
        ("three_blobs", 90, 0.0, 7),
        ("checkerboard", 64, 2.0, 2**31 - 1),
    ],
)
def test_generated_saved_as_request(
    kind: str, samples: int, noise: float, seed: int, tmp_path: Path
) -> None:
    dataset = generate(kind, samples, noise, seed)

    section, loaded = saved(project_with(dataset), tmp_path)

    assert section == {"generator": kind, "samples": samples, "noise": noise, "seed": seed}
    assert_same_data(loaded.dataset, dataset)
    assert loaded.dataset.generator == dataset.generator


def test_added_point_saved_inline(tmp_path: Path) -> None:
    dataset = add_point(generate("moons", 50, 0.2, 3), 0.123456789012345, -1.0 / 3.0, 1)

    section, loaded = saved(project_with(dataset), tmp_path)

    assert "generator" not in section
    assert len(section["inputs"]) == 51
    assert_same_data(loaded.dataset, dataset)
    assert loaded.dataset.X[-1, 1] == -1.0 / 3.0


def test_removed_point_saved_inline(tmp_path: Path) -> None:
    original = generate("circles", 40, 0.05, 1)
    x1, x2 = original.X[7]
    dataset = remove_nearest(original, float(x1), float(x2), 0.01)
    assert dataset is not None

    section, loaded = saved(project_with(dataset), tmp_path)

    assert "generator" not in section
    assert_same_data(loaded.dataset, dataset)
    assert len(loaded.dataset.X) == 39


def test_changed_generated_data_saved_inline(tmp_path: Path) -> None:
    # Data that no longer matches its request (moved in place here) keeps its points.
    dataset = generate("blobs", 30, 0.1, 0)
    dataset.X[0, 0] += 0.5

    section, loaded = saved(project_with(dataset), tmp_path)

    assert "generator" not in section
    assert_same_data(loaded.dataset, dataset)


# a CSV file outside the project's folder


def iris_project(folder: Path, csv: str) -> Path:
    """Write the iris example into ``folder`` with its dataset path set to ``csv``."""
    document = json.loads((EXAMPLES / "iris.nnproj").read_text(encoding="utf-8"))
    document["dataset"]["csv"] = csv
    path = folder / "iris.nnproj"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def recording(answer: bool) -> tuple[list[Path], Callable[[Path], bool]]:
    asked: list[Path] = []

    def confirm(path: Path) -> bool:
        asked.append(path)
        return answer

    return asked, confirm


def test_csv_beside_project_not_asked(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "iris.csv", tmp_path / "iris.csv")
    asked, confirm = recording(False)

    project = load_project(iris_project(tmp_path, "iris.csv"), confirm)

    assert asked == []
    assert len(project.dataset.X) == 150


def test_csv_in_subfolder_not_asked(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    shutil.copy(EXAMPLES / "iris.csv", tmp_path / "data" / "iris.csv")
    asked, confirm = recording(False)

    load_project(iris_project(tmp_path, "data/iris.csv"), confirm)

    assert asked == []


def test_csv_in_parent_asked_and_read(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "iris.csv", tmp_path / "iris.csv")
    (tmp_path / "projects").mkdir()
    asked, confirm = recording(True)

    path = iris_project(tmp_path / "projects", "../iris.csv")
    project = load_project(path, confirm)

    assert asked == [(tmp_path / "iris.csv").resolve()]
    assert len(project.dataset.X) == 150


def test_csv_absolute_elsewhere_declined(tmp_path: Path) -> None:
    (tmp_path / "projects").mkdir()
    asked, confirm = recording(False)
    csv = str((EXAMPLES / "iris.csv").resolve())

    with pytest.raises(CsvDeclined) as caught:
        load_project(iris_project(tmp_path / "projects", csv), confirm)

    assert asked == [Path(csv)]
    assert caught.value.path == Path(csv)
    assert str(caught.value) == (
        f"reading the CSV file {csv}, outside the project's folder, was declined"
    )


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_link_to_elsewhere_asked(tmp_path: Path) -> None:
    (tmp_path / "projects").mkdir()
    os.symlink(EXAMPLES / "iris.csv", tmp_path / "projects" / "iris.csv")
    asked, confirm = recording(True)

    load_project(iris_project(tmp_path / "projects", "iris.csv"), confirm)

    assert asked == [(EXAMPLES / "iris.csv").resolve()]


def test_without_confirm_outside_csv_read(tmp_path: Path) -> None:
    (tmp_path / "projects").mkdir()
    path = iris_project(tmp_path / "projects", str((EXAMPLES / "iris.csv").resolve()))
    assert len(load_project(path).dataset.X) == 150
