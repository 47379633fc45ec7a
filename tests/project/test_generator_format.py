"""The dataset section of a project file for generated data: reading, checks and writing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nnstudio.project.datasets import GeneratorSource
from nnstudio.project.fields import FieldError
from nnstudio.project.generator_format import (
    generated_dataset_to_dict,
    read_generated_dataset,
    read_generator_source,
)
from nnstudio.project.generators import generate


def section(**fields: Any) -> dict[str, Any]:
    """A valid moons section, with ``fields`` replaced; a value of None removes the field."""
    data: dict[str, Any] = {"generator": "moons", "samples": 200, "noise": 0.1, "seed": 3}
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def field_error(data: dict[str, Any]) -> FieldError:
    with pytest.raises(FieldError) as caught:
        read_generated_dataset(data)
    return caught.value


def test_read_draws_points() -> None:
    dataset = read_generated_dataset(section())
    expected = generate("moons", 200, 0.1, 3)

    np.testing.assert_array_equal(dataset.X, expected.X)
    np.testing.assert_array_equal(dataset.y, expected.y)
    assert dataset.name == "Moons (200, noise 0.1)"
    assert dataset.class_names == ["upper", "lower"]


def test_read_source() -> None:
    assert read_generator_source(section()) == GeneratorSource("moons", 200, 0.1, 3)


def test_seed_defaults_to_zero() -> None:
    assert read_generator_source(section(seed=None)).seed == 0


def test_whole_float_samples() -> None:
    assert read_generator_source(section(samples=200.0)).samples == 200


def test_whole_noise_accepted() -> None:
    source = read_generator_source(section(noise=1))

    assert source.noise == 1.0
    assert isinstance(source.noise, float)


def test_other_fields_ignored() -> None:
    dataset = read_generated_dataset(section(name="mine", inputs=[[1, 2]]))

    assert dataset.X.shape == (200, 2)


def test_write_section() -> None:
    source = GeneratorSource("spiral", 300, 0.05, 12)

    assert generated_dataset_to_dict(source) == {
        "generator": "spiral",
        "samples": 300,
        "noise": 0.05,
        "seed": 12,
    }


@pytest.mark.parametrize(
    "source",
    [
        GeneratorSource("circles", 2, 0.0, 0),
        GeneratorSource("three_blobs", 100_000, 2.0, 2**31 - 1),
        GeneratorSource("checkerboard", 57, 0.123456789, 99),
    ],
)
def test_round_trip(source: GeneratorSource) -> None:
    assert read_generator_source(generated_dataset_to_dict(source)) == source


def test_unknown_generator() -> None:
    error = field_error(section(generator="donut"))

    assert error.field == "dataset.generator"
    assert "'donut' is not one of: circles, moons, blobs, spiral, checkerboard" in str(error)


def test_generator_not_text() -> None:
    assert field_error(section(generator=3)).field == "dataset.generator"


@pytest.mark.parametrize("name", ["generator", "samples", "noise"])
def test_missing_field(name: str) -> None:
    error = field_error(section(**{name: None}))

    assert error.field == f"dataset.{name}"
    assert error.problem == "is missing"


@pytest.mark.parametrize("samples", [1, 100_001])
def test_samples_out_of_range(samples: int) -> None:
    error = field_error(section(samples=samples))

    assert error.field == "dataset.samples"
    assert error.problem == f"{samples} is out of range; expected 2 to 100000"


def test_three_blobs_need_three_samples() -> None:
    error = field_error(section(generator="three_blobs", samples=2))

    assert error.field == "dataset.samples"
    assert error.problem == "2 is out of range; expected 3 to 100000"


@pytest.mark.parametrize("samples", [10.5, "200", True])
def test_samples_not_whole(samples: Any) -> None:
    assert field_error(section(samples=samples)).field == "dataset.samples"


@pytest.mark.parametrize("noise", [-0.1, 2.5])
def test_noise_out_of_range(noise: float) -> None:
    error = field_error(section(noise=noise))

    assert error.field == "dataset.noise"
    assert "expected a number at least 0 and at most 2" in error.problem


@pytest.mark.parametrize("noise", ["0.1", False, None])
def test_noise_not_number(noise: Any) -> None:
    data = section()
    data["noise"] = noise

    assert field_error(data).field == "dataset.noise"


@pytest.mark.parametrize("seed", [-1, 2**31, 1.5])
def test_seed_invalid(seed: Any) -> None:
    assert field_error(section(seed=seed)).field == "dataset.seed"
