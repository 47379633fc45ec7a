"""Project files whose dataset is a CSV file, and the column fields of inline datasets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnstudio.engine.training import Trainer
from nnstudio.project.fields import ProjectError
from nnstudio.project.fileformat import load_project, project_to_dict, save_project
from nnstudio.project.model import Project
from tests.conftest import EXAMPLES

FIXTURES = Path(__file__).parent / "fixtures" / "csv"

Document = dict[str, Any]

# two_classes.csv, as the dataset should read it.
TWO_CLASSES_X = [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]]
TWO_CLASSES_Y = [[1.0], [0.0], [1.0]]
# Means of x = 0, 1, 2 and y = 1, 0, 2, and their population standard deviations.
TWO_CLASSES_MEAN = [1.0, 1.0]
TWO_CLASSES_SCALE = [np.sqrt(2 / 3), np.sqrt(2 / 3)]


def csv_document(csv_path: str, **dataset: Any) -> Document:
    """A project on two_classes.csv: inputs x and y, two classes, a 2-3-1 network."""
    return {
        "format": "nnstudio-project",
        "version": 1,
        "network": {
            "layers": [
                {"name": "input", "role": "input", "units": 2},
                {"name": "hidden 1", "role": "hidden", "units": 3, "activation": "tanh"},
                {"name": "output", "role": "output", "units": 1, "activation": "sigmoid"},
            ],
            "connections": [["input", "hidden 1"], ["hidden 1", "output"]],
        },
        "dataset": {"csv": csv_path, "inputs": ["x", "y"], "target": "animal", **dataset},
        "training": {"loss": "binary_cross_entropy", "learning_rate": 0.5, "epochs": 10},
    }


def write_project(path: Path, document: Document) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def copy_fixture(name: str, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURES / name, target)
    return target


def saved_dataset(path: Path) -> Document:
    section = json.loads(path.read_text(encoding="utf-8"))["dataset"]
    assert isinstance(section, dict)
    return section


def test_csv_dataset_loads(tmp_path: Path) -> None:
    copy_fixture("two_classes.csv", tmp_path / "data.csv")
    path = write_project(tmp_path / "p.nnproj", csv_document("data.csv"))

    dataset = load_project(path).dataset

    np.testing.assert_array_equal(dataset.X, TWO_CLASSES_X)
    np.testing.assert_array_equal(dataset.y, TWO_CLASSES_Y)
    assert dataset.class_names == ["cat", "dog"]
    assert dataset.input_names == ["x", "y"]
    assert dataset.name == "data"
    assert dataset.mean is not None
    assert dataset.scale is not None
    np.testing.assert_allclose(dataset.mean, TWO_CLASSES_MEAN, rtol=1e-15)
    np.testing.assert_allclose(dataset.scale, TWO_CLASSES_SCALE, rtol=1e-15)


def test_csv_path_relative_to_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy_fixture("two_classes.csv", tmp_path / "data" / "animals.csv")
    path = write_project(tmp_path / "projects" / "p.nnproj", csv_document("../data/animals.csv"))
    # The current folder must not matter.
    monkeypatch.chdir(tmp_path / "data")

    dataset = load_project(path).dataset

    assert dataset.source is not None
    assert dataset.source.path == tmp_path / "data" / "animals.csv"
    np.testing.assert_array_equal(dataset.X, TWO_CLASSES_X)


def test_round_trip_in_other_folder(tmp_path: Path) -> None:
    copy_fixture("two_classes.csv", tmp_path / "data" / "animals.csv")
    first = write_project(tmp_path / "a" / "p.nnproj", csv_document("../data/animals.csv"))
    project = load_project(first)
    second = tmp_path / "b" / "deeper" / "copy.nnproj"
    second.parent.mkdir(parents=True)

    save_project(project, second)
    reopened = load_project(second)

    section = saved_dataset(second)
    assert section["csv"] == "../../data/animals.csv"
    assert section["inputs"] == ["x", "y"]
    assert section["target"] == "animal"
    assert "targets" not in section
    np.testing.assert_array_equal(reopened.dataset.X, TWO_CLASSES_X)
    np.testing.assert_array_equal(reopened.dataset.y, TWO_CLASSES_Y)
    assert reopened.dataset.mean is not None
    assert project.dataset.mean is not None
    np.testing.assert_array_equal(reopened.dataset.mean, project.dataset.mean)


def test_saved_section_fields(tmp_path: Path) -> None:
    copy_fixture("decimal_comma.csv", tmp_path / "d.csv")
    document = csv_document("d.csv", inputs=["x"], target="target", name="Decimal")
    document["network"]["layers"][0]["units"] = 1
    project = load_project(write_project(tmp_path / "p.nnproj", document))

    save_project(project, tmp_path / "saved.nnproj")

    assert saved_dataset(tmp_path / "saved.nnproj") == {
        "name": "Decimal",
        "csv": "d.csv",
        "separator": ";",
        "decimal": ",",
        "header": True,
        "inputs": ["x"],
        "target": "target",
        "drop_invalid_rows": False,
        "standardize": True,
        # x = 1.5, 3: mean 2.25, population standard deviation 0.75.
        "mean": [2.25],
        "scale": [0.75],
    }


def test_save_twice_same_bytes(tmp_path: Path) -> None:
    copy_fixture("two_classes.csv", tmp_path / "data.csv")
    path = write_project(tmp_path / "p.nnproj", csv_document("data.csv"))
    save_project(load_project(path), path)
    first = path.read_bytes()

    save_project(load_project(path), path)

    assert path.read_bytes() == first


def test_absolute_path_kept(tmp_path: Path) -> None:
    csv = copy_fixture("two_classes.csv", tmp_path / "data" / "animals.csv")
    path = write_project(tmp_path / "p.nnproj", csv_document(str(csv)))
    project = load_project(path)
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()

    save_project(project, elsewhere / "p.nnproj")

    assert saved_dataset(elsewhere / "p.nnproj")["csv"] == str(csv)


def test_dict_without_folder_is_absolute(tmp_path: Path) -> None:
    csv = copy_fixture("two_classes.csv", tmp_path / "data.csv")
    project = load_project(write_project(tmp_path / "p.nnproj", csv_document("data.csv")))

    assert project_to_dict(project)["dataset"]["csv"] == str(csv)


def test_stored_scaling_used_after_edit(tmp_path: Path) -> None:
    csv = copy_fixture("two_classes.csv", tmp_path / "data.csv")
    path = write_project(tmp_path / "p.nnproj", csv_document("data.csv"))
    save_project(load_project(path), path)
    csv.write_text("x,y,animal\n0,1,dog\n1,0,cat\n2,2,dog\n10,20,cat\n", encoding="utf-8")

    dataset = load_project(path).dataset

    np.testing.assert_array_equal(dataset.X, [*TWO_CLASSES_X, [10.0, 20.0]])
    assert dataset.mean is not None
    assert dataset.scale is not None
    np.testing.assert_allclose(dataset.mean, TWO_CLASSES_MEAN, rtol=1e-15)
    np.testing.assert_allclose(dataset.scale, TWO_CLASSES_SCALE, rtol=1e-15)


def test_given_scaling_used(tmp_path: Path) -> None:
    copy_fixture("two_classes.csv", tmp_path / "data.csv")
    document = csv_document("data.csv", mean=[1.0, 2.0], scale=[4.0, 0.5])

    dataset = load_project(write_project(tmp_path / "p.nnproj", document)).dataset

    np.testing.assert_array_equal(dataset.network_inputs(), [[-0.25, -2], [0, -4], [0.25, 0]])


def test_standardize_off_loads(tmp_path: Path) -> None:
    copy_fixture("two_classes.csv", tmp_path / "data.csv")
    document = csv_document("data.csv", standardize=False)

    dataset = load_project(write_project(tmp_path / "p.nnproj", document)).dataset

    assert dataset.mean is None
    np.testing.assert_array_equal(dataset.network_inputs(), TWO_CLASSES_X)


def test_options_detected_when_absent(tmp_path: Path) -> None:
    copy_fixture("decimal_comma.csv", tmp_path / "d.csv")
    document = csv_document("d.csv", inputs=["y"], target="target", standardize=False)
    document["network"]["layers"][0]["units"] = 1

    dataset = load_project(write_project(tmp_path / "p.nnproj", document)).dataset

    np.testing.assert_array_equal(dataset.X, [[2.0], [-4.25]])


def test_dropped_rows_in_project(tmp_path: Path) -> None:
    copy_fixture("problems.csv", tmp_path / "p.csv")
    document = csv_document("p.csv", target="target", drop_invalid_rows=True)

    dataset = load_project(write_project(tmp_path / "p.nnproj", document)).dataset

    np.testing.assert_array_equal(dataset.X, [[1.0, 2.0], [7.0, 8.0]])


# bad CSV references


def load_error(path: Path) -> str:
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    return str(caught.value)


def test_missing_csv_rejected(tmp_path: Path) -> None:
    path = write_project(tmp_path / "p.nnproj", csv_document("gone.csv"))

    message = load_error(path)

    assert message.startswith(f"{path}: field 'dataset.csv':")
    assert f"'gone.csv' was not found at {tmp_path / 'gone.csv'}" in message


def test_missing_column_rejected(tmp_path: Path) -> None:
    csv = copy_fixture("two_classes.csv", tmp_path / "data.csv")
    path = write_project(tmp_path / "p.nnproj", csv_document("data.csv", inputs=["x", "z"]))

    message = load_error(path)

    assert "field 'dataset.inputs[1]'" in message
    assert f"there is no column 'z' in {csv}" in message
    assert "its columns are 'x', 'y', 'animal'" in message


def test_missing_target_column_rejected(tmp_path: Path) -> None:
    copy_fixture("two_classes.csv", tmp_path / "data.csv")
    path = write_project(tmp_path / "p.nnproj", csv_document("data.csv", target="kind"))

    assert "field 'dataset.target': there is no column 'kind'" in load_error(path)


def test_column_removed_after_save(tmp_path: Path) -> None:
    csv = copy_fixture("two_classes.csv", tmp_path / "data.csv")
    path = write_project(tmp_path / "p.nnproj", csv_document("data.csv"))
    save_project(load_project(path), path)
    csv.write_text("x,animal\n0,dog\n1,cat\n", encoding="utf-8")

    message = load_error(path)

    assert "field 'dataset.inputs[1]': there is no column 'y'" in message


def test_problem_rows_in_project_rejected(tmp_path: Path) -> None:
    copy_fixture("problems.csv", tmp_path / "p.csv")
    path = write_project(tmp_path / "p.nnproj", csv_document("p.csv", target="target"))

    message = load_error(path)

    assert "field 'dataset.csv'" in message
    assert "3 rows have a missing value" in message
    assert "set dataset.drop_invalid_rows to true" in message


def test_bad_csv_file_rejected(tmp_path: Path) -> None:
    csv = copy_fixture("latin1.csv", tmp_path / "data.csv")
    path = write_project(tmp_path / "p.nnproj", csv_document("data.csv"))

    message = load_error(path)

    assert f"field 'dataset.csv': {csv}: not UTF-8 text" in message


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"separator": "|"}, "dataset.separator", "'|' is not one of"),
        ({"separator": ",", "decimal": ","}, "dataset.decimal", "cannot be a comma"),
        ({"header": "yes"}, "dataset.header", "expected true or false"),
        ({"inputs": []}, "dataset.inputs", "is empty"),
        ({"inputs": ["x", "x"]}, "dataset.inputs[1]", "'x' appears twice"),
        ({"inputs": ["x", "animal"]}, "dataset.target", "also an input"),
        ({"csv": " "}, "dataset.csv", "is empty"),
        ({"csv": 3}, "dataset.csv", "expected text"),
        ({"mean": [0.0, 0.0]}, "dataset.scale", "give both mean and scale"),
        ({"mean": [0.0], "scale": [1.0]}, "dataset.mean", "a list of 2 numbers"),
        ({"mean": [0, 0], "scale": [1, 0]}, "dataset.scale[1]", "0 is not above 0"),
        ({"standardize": False, "mean": [0, 0], "scale": [1, 1]}, "dataset.mean", "is false"),
    ],
)
def test_bad_csv_section_rejected(
    tmp_path: Path, changes: dict[str, Any], field: str, problem: str
) -> None:
    copy_fixture("two_classes.csv", tmp_path / "data.csv")
    path = write_project(tmp_path / "p.nnproj", csv_document("data.csv", **changes))

    message = load_error(path)

    assert f"field '{field}'" in message
    assert problem in message


# inline datasets


def inline_document(**dataset: Any) -> Document:
    document = csv_document("unused.csv")
    document["dataset"] = {
        "inputs": [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]],
        "targets": [[1.0], [0.0], [1.0]],
        **dataset,
    }
    return document


def test_inline_column_fields_round_trip(tmp_path: Path) -> None:
    document = inline_document(
        input_names=["x", "y"], class_names=["cat", "dog"], mean=[1.0, 1.0], scale=[0.5, 2.0]
    )
    project = load_project(write_project(tmp_path / "p.nnproj", document))

    save_project(project, tmp_path / "saved.nnproj")
    section = saved_dataset(tmp_path / "saved.nnproj")

    assert section["input_names"] == ["x", "y"]
    assert section["class_names"] == ["cat", "dog"]
    assert section["mean"] == [1.0, 1.0]
    assert section["scale"] == [0.5, 2.0]
    reopened = load_project(tmp_path / "saved.nnproj").dataset
    np.testing.assert_array_equal(reopened.network_inputs(), [[-2, 0], [0, -0.5], [2, 0.5]])


def test_inline_fields_default_to_null(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path / "p.nnproj", inline_document()))

    save_project(project, tmp_path / "saved.nnproj")
    section = saved_dataset(tmp_path / "saved.nnproj")

    assert section["input_names"] is None
    assert section["class_names"] is None
    assert section["mean"] is None
    assert section["scale"] is None


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"input_names": ["x"]}, "dataset.input_names", "has 1 names, but the dataset has 2"),
        ({"input_names": ["x", 2]}, "dataset.input_names[1]", "expected text"),
        ({"class_names": ["a", "b", "c"]}, "dataset.class_names", "has 3 names"),
        ({"mean": [0, 0, 0], "scale": [1, 1, 1]}, "dataset.mean", "a list of 2 numbers"),
        ({"mean": [0, 0], "scale": [1, -1]}, "dataset.scale[1]", "-1 is not above 0"),
        ({"scale": [1, 1]}, "dataset.mean", "give both"),
        ({"mean": [0, "1"], "scale": [1, 1]}, "dataset.mean[1]", "expected a number"),
    ],
)
def test_bad_inline_fields_rejected(
    tmp_path: Path, changes: dict[str, Any], field: str, problem: str
) -> None:
    path = write_project(tmp_path / "p.nnproj", inline_document(**changes))

    message = load_error(path)

    assert f"field '{field}'" in message
    assert problem in message


def test_infinite_scale_rejected(tmp_path: Path) -> None:
    path = tmp_path / "p.nnproj"
    text = json.dumps(inline_document(mean=[0, 0], scale=[1, 1]))
    path.write_text(text.replace('"scale": [1, 1]', '"scale": [1, Infinity]'), encoding="utf-8")

    assert "field 'dataset.scale'" in load_error(path)


def test_class_names_need_classes(tmp_path: Path) -> None:
    document = inline_document(targets=[[0.5], [2.0], [1.0]], class_names=["a", "b"])

    message = load_error(write_project(tmp_path / "p.nnproj", document))

    assert "field 'dataset.class_names': is given but the targets are not all 0 or 1" in message


# the iris example


def test_iris_example_reads_csv() -> None:
    project = load_project(EXAMPLES / "iris.nnproj")
    dataset = project.dataset

    assert dataset.X.shape == (150, 4)
    assert dataset.y.shape == (150, 3)
    assert dataset.class_names == ["setosa", "versicolor", "virginica"]
    np.testing.assert_array_equal(dataset.y.sum(axis=0), [50, 50, 50])
    # The first flower of the file.
    np.testing.assert_array_equal(dataset.X[0], [5.1, 3.5, 1.4, 0.2])
    assert dataset.source is not None
    assert dataset.source.path == EXAMPLES / "iris.csv"


def train(project: Project) -> Trainer:
    dataset = project.dataset
    trainer = Trainer(project.network(), dataset.network_inputs(), dataset.y, project.settings)
    trainer.train(project.settings.epochs)
    return trainer


def test_iris_example_accuracy() -> None:
    project = load_project(EXAMPLES / "iris.nnproj")

    trainer = train(project)

    # The description promises 95% after about 125 epochs and 146 of 150 after 500.
    accuracy = trainer.history.accuracy
    first_above = next(i for i, value in enumerate(accuracy) if value >= 0.95) + 1
    assert project.settings.epochs == 500
    assert accuracy[-1] == pytest.approx(146 / 150)
    assert 110 <= first_above <= 140


def test_iris_setosa_after_one_epoch() -> None:
    project = load_project(EXAMPLES / "iris.nnproj")
    dataset = project.dataset
    trainer = Trainer(project.network(), dataset.network_inputs(), dataset.y, project.settings)

    trainer.train(1)

    predicted = trainer.network.predict(dataset.network_inputs()).argmax(axis=1)
    setosa = dataset.y[:, 0] == 1
    assert np.sum(setosa) == 50
    assert np.all(predicted[setosa] == 0)
