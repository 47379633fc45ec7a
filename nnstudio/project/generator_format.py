"""The dataset section of a project file for generated data.

A generated dataset is saved as the request that draws it, for example
``{"generator": "moons", "samples": 200, "noise": 0.1, "seed": 0}``, not as a
copy of its points. Reading the project draws the points again, and the same
request always gives the same points. Other fields of the section are ignored,
as for a built-in gate.
"""

from __future__ import annotations

from typing import Any

from nnstudio.project.datasets import Dataset, GeneratorSource
from nnstudio.project.fields import as_float, as_int, as_text, require
from nnstudio.project.generators import GENERATORS, MAX_NOISE, MAX_SAMPLES, generate
from nnstudio.project.model import MAX_SEED


def read_generator_source(data: dict[str, Any]) -> GeneratorSource:
    """Validate the generator fields of the dataset section ``data`` and return the request.

    ``generator``, ``samples`` and ``noise`` are required, and ``seed`` defaults to 0
    as ``training.seed`` does. Raises FieldError naming the first invalid field.
    """
    kind = as_text(require(data, "generator", "dataset"), "dataset.generator", tuple(GENERATORS))
    classes = GENERATORS[kind].class_count
    samples = as_int(require(data, "samples", "dataset"), "dataset.samples", classes, MAX_SAMPLES)
    noise = as_float(require(data, "noise", "dataset"), "dataset.noise", 0.0, MAX_NOISE)
    seed = as_int(data.get("seed", 0), "dataset.seed", 0, MAX_SEED)
    return GeneratorSource(kind, samples, noise, seed)


def read_generated_dataset(data: dict[str, Any]) -> Dataset:
    """Validate the dataset section ``data`` and draw its points. Raises FieldError."""
    source = read_generator_source(data)
    return generate(source.kind, source.samples, source.noise, source.seed)


def generated_dataset_to_dict(source: GeneratorSource) -> dict[str, Any]:
    """Return the dataset section that saves the request ``source``, every field written."""
    return {
        "generator": source.kind,
        "samples": source.samples,
        "noise": source.noise,
        "seed": source.seed,
    }
