"""The two-dimensional data generators, the point edits of the data plot, and their examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.engine.training import Trainer
from nnstudio.project.datasets import Dataset, builtin_dataset
from nnstudio.project.fields import ProjectError
from nnstudio.project.fileformat import load_project
from nnstudio.project.generators import (
    GENERATORS,
    DatasetError,
    add_point,
    class_counts,
    generate,
    remove_nearest,
)
from nnstudio.project.model import Project
from tests.conftest import EXAMPLES

TWO_CLASS_KINDS = ["circles", "moons", "blobs", "spiral", "checkerboard"]


def class_rows(dataset: Dataset, label: int) -> np.ndarray:
    return dataset.X[dataset.labels() == label]


def train(project: Project) -> Trainer:
    """Train ``project`` for its own training.epochs, as the Train button does."""
    trainer = Trainer(
        project.network(), project.dataset.network_inputs(), project.dataset.y, project.settings
    )
    trainer.train(project.settings.epochs)
    return trainer


def first_epoch_at(accuracies: list[float], level: float) -> int:
    return next(epoch for epoch, value in enumerate(accuracies, 1) if value >= level)


# sizes, targets and names


def test_registry_kinds() -> None:
    assert list(GENERATORS) == [
        "circles",
        "moons",
        "blobs",
        "spiral",
        "checkerboard",
        "three_blobs",
    ]


@pytest.mark.parametrize("kind", TWO_CLASS_KINDS)
def test_two_class_shapes(kind: str) -> None:
    dataset = generate(kind, 200, 0.1, 0)

    assert dataset.X.shape == (200, 2)
    assert dataset.y.shape == (200, 1)
    assert set(np.unique(dataset.y)) == {0.0, 1.0}
    assert dataset.input_names == ["x₁", "x₂"]
    assert dataset.class_names is not None
    assert len(dataset.class_names) == 2


@pytest.mark.parametrize("kind", TWO_CLASS_KINDS)
def test_odd_count_split(kind: str) -> None:
    dataset = generate(kind, 201, 0.1, 0)

    assert int((dataset.y[:, 0] == 0).sum()) == 101
    assert int((dataset.y[:, 0] == 1).sum()) == 100
    # Class 0 comes first.
    assert np.all(dataset.y[:101, 0] == 0)
    assert np.all(dataset.y[101:, 0] == 1)


def test_three_blobs_one_hot() -> None:
    dataset = generate("three_blobs", 200, 0.1, 0)

    assert dataset.y.shape == (200, 3)
    np.testing.assert_array_equal(dataset.y.sum(axis=1), np.ones(200))
    np.testing.assert_array_equal(dataset.y.sum(axis=0), [67, 67, 66])
    assert dataset.class_names == ["A", "B", "C"]


def test_class_counts_remainder() -> None:
    assert class_counts(200, 2) == [100, 100]
    assert class_counts(11, 3) == [4, 4, 3]
    assert class_counts(3, 3) == [1, 1, 1]


def test_names() -> None:
    assert generate("moons", 200, 0.1, 0).name == "Moons (200, noise 0.1)"
    assert generate("three_blobs", 90, 0.0, 3).name == "Three blobs (90, noise 0)"
    assert generate("circles", 50, 0.25, 0).class_names == ["outer", "inner"]


def test_minimum_samples() -> None:
    assert generate("moons", 2, 0.0, 0).X.shape == (2, 2)
    assert generate("three_blobs", 3, 0.0, 0).y.shape == (3, 3)


# geometry without noise


def test_circles_radii() -> None:
    dataset = generate("circles", 100, 0.0, 0)

    np.testing.assert_allclose(np.hypot(*class_rows(dataset, 0).T), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.hypot(*class_rows(dataset, 1).T), 0.5, rtol=1e-12)


def test_circles_even_angles() -> None:
    outer = class_rows(generate("circles", 8, 0.0, 0), 0)

    # Four points on the unit circle at 0, 90, 180 and 270 degrees.
    np.testing.assert_allclose(outer, [[1, 0], [0, 1], [-1, 0], [0, -1]], atol=1e-15)


def test_moons_half_circles() -> None:
    dataset = generate("moons", 100, 0.0, 0)
    upper = class_rows(dataset, 0)
    lower = class_rows(dataset, 1)

    # The upper moon is the top half of the unit circle centred at (-0.5, -0.25).
    np.testing.assert_allclose(np.hypot(upper[:, 0] + 0.5, upper[:, 1] + 0.25), 1.0, rtol=1e-12)
    assert upper[:, 1].min() >= -0.25 - 1e-12
    np.testing.assert_allclose(upper[0], [0.5, -0.25], atol=1e-15)
    np.testing.assert_allclose(upper[-1], [-1.5, -0.25], atol=1e-15)
    # The lower moon is the upper one reflected through the origin.
    np.testing.assert_allclose(lower, -upper, atol=1e-15)


def test_spiral_arms() -> None:
    dataset = generate("spiral", 200, 0.0, 0)
    arm = class_rows(dataset, 0)
    radii = np.hypot(*arm.T)

    # The radius grows from 0.1 in steps of 1.3 / 100, at 1.75 turns per arm.
    np.testing.assert_allclose(radii, 0.1 + 1.3 * np.arange(100) / 100, rtol=1e-12)
    np.testing.assert_allclose(arm[0], [0.1, 0.0], atol=1e-15)
    angle = 2 * math.pi * 1.75 * 0.5
    np.testing.assert_allclose(arm[50], 0.75 * np.array([math.cos(angle), math.sin(angle)]))
    # The second arm is the first turned by half a turn.
    np.testing.assert_allclose(class_rows(dataset, 1), -arm, atol=1e-15)


def test_checkerboard_cells() -> None:
    dataset = generate("checkerboard", 2000, 0.0, 5)
    cells = np.floor((dataset.X + 1.5) / 0.75).astype(int)

    assert dataset.X.min() >= -1.5
    assert dataset.X.max() <= 1.5
    # Cell (column i, row j) contains class (i + j) % 2, so the bottom-left cell is class 0.
    np.testing.assert_array_equal(cells.sum(axis=1) % 2, dataset.labels())
    for label in (0, 1):
        occupied = {tuple(cell) for cell in cells[dataset.labels() == label]}
        assert len(occupied) == 8


def test_blobs_centres() -> None:
    dataset = generate("blobs", 4000, 0.0, 1)

    # 2000 points per blob: the standard error of a mean is 0.3 / sqrt(2000), about 0.007.
    np.testing.assert_allclose(class_rows(dataset, 0).mean(axis=0), [-0.6, -0.6], atol=0.03)
    np.testing.assert_allclose(class_rows(dataset, 1).mean(axis=0), [0.6, 0.6], atol=0.03)
    np.testing.assert_allclose(class_rows(dataset, 0).std(axis=0), [0.3, 0.3], rtol=0.05)


def test_three_blobs_centres() -> None:
    dataset = generate("three_blobs", 6000, 0.0, 1)
    half_side = 0.75 * math.sqrt(3) / 2

    expected = [[0.0, 0.75], [-half_side, -0.375], [half_side, -0.375]]
    for label, centre in enumerate(expected):
        rows = class_rows(dataset, label)
        np.testing.assert_allclose(rows.mean(axis=0), centre, atol=0.03)
        np.testing.assert_allclose(rows.std(axis=0), [0.25, 0.25], rtol=0.05)


# seed and noise


@pytest.mark.parametrize("kind", list(GENERATORS))
def test_same_seed_same_data(kind: str) -> None:
    first = generate(kind, 150, 0.2, 7)
    second = generate(kind, 150, 0.2, 7)

    np.testing.assert_array_equal(first.X, second.X)
    np.testing.assert_array_equal(first.y, second.y)


@pytest.mark.parametrize("kind", list(GENERATORS))
def test_other_seed_other_data(kind: str) -> None:
    first = generate(kind, 150, 0.2, 7)
    second = generate(kind, 150, 0.2, 8)

    assert not np.array_equal(first.X, second.X)


@pytest.mark.parametrize("kind", list(GENERATORS))
def test_noise_scales_jitter(kind: str) -> None:
    clean = generate(kind, 300, 0.0, 4).X
    small = generate(kind, 300, 0.1, 4).X
    large = generate(kind, 300, 0.3, 4).X

    # One seed gives one jitter direction per point, and noise sets its length.
    np.testing.assert_allclose(large - clean, 3 * (small - clean), atol=1e-12)


def test_noise_standard_deviation() -> None:
    jitter = generate("circles", 20000, 0.2, 0).X - generate("circles", 20000, 0.0, 0).X

    np.testing.assert_allclose(jitter.std(axis=0), [0.2, 0.2], rtol=0.03)
    np.testing.assert_allclose(jitter.mean(axis=0), [0.0, 0.0], atol=0.01)


# invalid requests


def test_unknown_kind_lists_choices() -> None:
    with pytest.raises(DatasetError) as caught:
        generate("donut", 100, 0.1, 0)

    message = str(caught.value)
    assert "'donut'" in message
    assert "circles, moons, blobs, spiral, checkerboard, three_blobs" in message


@pytest.mark.parametrize(
    ("kind", "samples"), [("moons", 1), ("three_blobs", 2), ("moons", 100_001), ("blobs", -5)]
)
def test_samples_out_of_range(kind: str, samples: int) -> None:
    with pytest.raises(DatasetError, match=f"samples {samples} is out of range"):
        generate(kind, samples, 0.1, 0)


@pytest.mark.parametrize("noise", [-0.01, 2.01, math.nan, math.inf])
def test_noise_out_of_range(noise: float) -> None:
    with pytest.raises(DatasetError, match="expected a standard deviation from 0 to 2"):
        generate("moons", 100, noise, 0)


@pytest.mark.parametrize("seed", [-1, 2**31])
def test_seed_out_of_range(seed: int) -> None:
    with pytest.raises(DatasetError, match=f"seed {seed} is out of range"):
        generate("moons", 100, 0.1, seed)


def test_errors_are_project_errors() -> None:
    assert issubclass(DatasetError, ProjectError)
    assert issubclass(DatasetError, ValueError)


def test_limits_accepted() -> None:
    assert generate("moons", 100_000, 2.0, 2**31 - 1).X.shape == (100_000, 2)


# adding and removing points


def test_add_point_one_column() -> None:
    dataset = generate("moons", 10, 0.1, 0)

    edited = add_point(dataset, 0.25, -0.5, 1)

    assert edited.X.shape == (11, 2)
    np.testing.assert_array_equal(edited.X[-1], [0.25, -0.5])
    np.testing.assert_array_equal(edited.y[-1], [1.0])
    np.testing.assert_array_equal(edited.X[:10], dataset.X)
    assert edited.class_names == ["upper", "lower"]
    assert edited.input_names == ["x₁", "x₂"]
    assert edited.name == "Moons (10, noise 0.1) (edited)"


def test_add_point_one_hot() -> None:
    dataset = generate("three_blobs", 9, 0.1, 0)

    edited = add_point(dataset, 1.0, 1.0, 2)

    assert edited.y.shape == (10, 3)
    np.testing.assert_array_equal(edited.y[-1], [0.0, 0.0, 1.0])
    assert edited.class_names == ["A", "B", "C"]


def test_add_point_leaves_original() -> None:
    dataset = generate("moons", 10, 0.1, 0)
    before = dataset.X.copy()

    add_point(dataset, 0.0, 0.0, 0)

    assert dataset.X.shape == (10, 2)
    np.testing.assert_array_equal(dataset.X, before)
    assert dataset.name == "Moons (10, noise 0.1)"


def test_edits_mark_name_once() -> None:
    dataset = generate("moons", 10, 0.1, 0)

    edited = add_point(add_point(dataset, 0.0, 0.0, 0), 1.0, 1.0, 1)

    assert edited.name == "Moons (10, noise 0.1) (edited)"


def test_add_point_drops_builtin() -> None:
    edited = add_point(builtin_dataset("xor"), 0.5, 0.5, 1)

    assert edited.builtin is None
    assert edited.name == "XOR (edited)"
    assert edited.X.shape == (5, 2)


def test_add_point_keeps_standardization() -> None:
    dataset = generate("moons", 10, 0.1, 0)
    dataset.mean = np.array([1.0, 2.0])
    dataset.scale = np.array([0.5, 4.0])

    edited = add_point(dataset, 2.0, 6.0, 0)

    assert edited.mean is not None
    np.testing.assert_array_equal(edited.mean, [1.0, 2.0])
    # The new point, like the others, is standardized for the network.
    np.testing.assert_array_equal(edited.network_inputs()[-1], [2.0, 1.0])


@pytest.mark.parametrize("label", [-1, 2])
def test_add_point_bad_label(label: int) -> None:
    with pytest.raises(DatasetError, match=f"class {label} does not exist"):
        add_point(generate("moons", 10, 0.1, 0), 0.0, 0.0, label)


def test_add_point_bad_one_hot_label() -> None:
    with pytest.raises(DatasetError, match="classes 0 to 2"):
        add_point(generate("three_blobs", 9, 0.1, 0), 0.0, 0.0, 3)


def test_add_point_not_finite() -> None:
    with pytest.raises(DatasetError, match="not finite"):
        add_point(generate("moons", 10, 0.1, 0), math.nan, 0.0, 0)


def test_add_point_regression_rejected() -> None:
    dataset = Dataset(np.zeros((3, 2)), np.array([[0.5], [1.0], [2.0]]))

    with pytest.raises(DatasetError, match="only for a classification"):
        add_point(dataset, 0.0, 0.0, 0)


def test_add_point_multi_label_rejected() -> None:
    dataset = Dataset(np.zeros((2, 2)), np.array([[1.0, 1.0], [0.0, 1.0]]))

    with pytest.raises(DatasetError, match="only for a classification"):
        add_point(dataset, 0.0, 0.0, 0)


def test_add_point_three_inputs_rejected() -> None:
    dataset = Dataset(np.zeros((2, 3)), np.array([[1.0], [0.0]]))

    with pytest.raises(DatasetError, match="only with 2 inputs, but the dataset has 3"):
        add_point(dataset, 0.0, 0.0, 0)


def test_remove_nearest_point() -> None:
    dataset = Dataset(
        np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]]),
        np.array([[0.0], [1.0], [1.0]]),
        class_names=["no", "yes"],
    )

    edited = remove_nearest(dataset, 0.9, 0.2, 0.5)

    assert edited is not None
    np.testing.assert_array_equal(edited.X, [[0.0, 0.0], [0.0, 2.0]])
    np.testing.assert_array_equal(edited.y, [[0.0], [1.0]])
    assert edited.class_names == ["no", "yes"]
    assert dataset.X.shape == (3, 2)


def test_remove_nothing_in_radius() -> None:
    dataset = Dataset(np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[0.0], [1.0]]))

    assert remove_nearest(dataset, 0.5, 0.5, 0.7) is None


def test_remove_at_exact_radius() -> None:
    dataset = Dataset(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0], [1.0]]))

    edited = remove_nearest(dataset, 0.0, 8.0, 5.0)

    assert edited is not None
    np.testing.assert_array_equal(edited.X, [[0.0, 0.0]])


def test_remove_one_hot() -> None:
    dataset = generate("three_blobs", 6, 0.0, 0)
    target = dataset.X[4]

    edited = remove_nearest(dataset, float(target[0]), float(target[1]), 0.01)

    assert edited is not None
    assert edited.y.shape == (5, 3)
    np.testing.assert_array_equal(edited.y.sum(axis=0), [2, 2, 1])
    assert edited.class_names == ["A", "B", "C"]
    assert edited.name == "Three blobs (6, noise 0) (edited)"


def test_remove_only_point_rejected() -> None:
    dataset = Dataset(np.array([[0.0, 0.0]]), np.array([[1.0]]))

    with pytest.raises(DatasetError, match="cannot remove the only point"):
        remove_nearest(dataset, 0.0, 0.0, 1.0)


@pytest.mark.parametrize("radius", [-0.1, math.nan, math.inf])
def test_remove_bad_radius(radius: float) -> None:
    with pytest.raises(DatasetError, match="expected a finite number of at least 0"):
        remove_nearest(generate("moons", 10, 0.1, 0), 0.0, 0.0, radius)


# examples


@pytest.mark.parametrize(
    ("name", "kind", "samples", "noise"),
    [
        ("moons.nnproj", "moons", 200, 0.15),
        ("spiral.nnproj", "spiral", 300, 0.1),
        ("three-blobs.nnproj", "three_blobs", 150, 0.2),
    ],
)
def test_example_data_is_generated(name: str, kind: str, samples: int, noise: float) -> None:
    # Each description names its generator request, and the stored points are its output.
    dataset = load_project(EXAMPLES / name).dataset
    expected = generate(kind, samples, noise, 0)

    np.testing.assert_array_equal(dataset.X, expected.X)
    np.testing.assert_array_equal(dataset.y, expected.y)
    assert dataset.class_names == expected.class_names
    assert dataset.name == expected.name


def test_moons_example_accuracy() -> None:
    project = load_project(EXAMPLES / "moons.nnproj")

    accuracies = train(project).history.accuracy

    # The description promises 97% at epoch 126, 100% at epoch 241, all 200 right at the end.
    assert 115 <= first_epoch_at(accuracies, 0.97) <= 140
    assert 220 <= first_epoch_at(accuracies, 1.0) <= 265
    assert accuracies[-1] == 1.0
    assert [layer.units for layer in project.layers] == [2, 8, 8, 1]


def test_spiral_example_accuracy() -> None:
    project = load_project(EXAMPLES / "spiral.nnproj")

    accuracies = train(project).history.accuracy

    # The description promises 90% at epoch 223, 97% at epoch 303, and 298 of 300 at the end.
    assert 200 <= first_epoch_at(accuracies, 0.9) <= 245
    assert 275 <= first_epoch_at(accuracies, 0.97) <= 335
    assert accuracies[-1] >= 0.9
    assert round(accuracies[-1] * 300) >= 297
    assert [layer.units for layer in project.layers] == [2, 16, 16, 1]


def test_three_blobs_example_accuracy() -> None:
    project = load_project(EXAMPLES / "three-blobs.nnproj")

    accuracies = train(project).history.accuracy

    # The description promises 95% at epoch 22 and 146 of 150 at the end.
    assert 18 <= first_epoch_at(accuracies, 0.95) <= 27
    assert accuracies[-1] >= 0.95
    assert round(accuracies[-1] * 150) >= 145
    assert [layer.units for layer in project.layers] == [2, 6, 3]
    assert project.output_layer().activation == "softmax"
