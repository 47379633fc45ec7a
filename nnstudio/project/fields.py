"""Typed reading of JSON values, with errors that name the field and the problem."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray


class ProjectError(ValueError):
    """A project file that cannot be read; the message names the file, field and problem."""


class FieldError(ProjectError):
    """One invalid field; ``field`` is its dotted path, such as training.learning_rate."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"field '{field}': {problem}")
        self.field = field
        self.problem = problem


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"


def require(data: dict[str, Any], key: str, path: str) -> Any:
    if key not in data:
        raise FieldError(_join(path, key), "is missing")
    return data[key]


def as_object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError(field, f"expected an object, got {_kind(value)}")
    return value


def as_list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise FieldError(field, f"expected a list, got {_kind(value)}")
    return value


def as_text(value: Any, field: str, choices: tuple[str, ...] | None = None) -> str:
    if not isinstance(value, str):
        raise FieldError(field, f"expected text, got {_kind(value)}")
    if choices is not None and value not in choices:
        raise FieldError(field, f"{value!r} is not one of: {', '.join(choices)}")
    return value


def as_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise FieldError(field, f"expected true or false, got {_kind(value)}")
    return value


def as_int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise FieldError(field, f"expected a whole number, got {_kind(value)} ({value!r})")
    if not low <= value <= high:
        raise FieldError(field, f"{value} is out of range; expected {low} to {high}")
    return int(value)


def as_float(
    value: Any, field: str, low: float = -math.inf, high: float = math.inf, low_open: bool = False
) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldError(field, f"expected a number, got {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:
        # JSON whole numbers have no size limit, but a float stops near 1.8e308.
        raise FieldError(field, "the number is too large; expected a finite number") from None
    if not math.isfinite(number):
        raise FieldError(field, f"{value} is not a finite number")
    too_low = number <= low if low_open else number < low
    if too_low or number > high:
        bound = f"above {low:g}" if low_open else f"at least {low:g}"
        limit = f"{bound}" if high == math.inf else f"{bound} and at most {high:g}"
        raise FieldError(field, f"{value} is out of range; expected a number {limit}")
    return number


def as_matrix(value: Any, field: str, shape: tuple[int, ...] | None = None) -> NDArray[np.float64]:
    """Read a list (or list of lists) of finite numbers, optionally of a given shape."""
    if not isinstance(value, list):
        raise FieldError(field, f"expected a list of numbers, got {_kind(value)}")
    _check_numbers(value, field)
    try:
        array = np.array(value, dtype=np.float64)
    except OverflowError:
        raise FieldError(
            field, "contains a number that is too large; expected finite numbers"
        ) from None
    except (TypeError, ValueError):
        raise FieldError(field, "expected numbers in equal-length rows") from None
    if array.dtype != np.float64 or array.ndim not in (1, 2):
        raise FieldError(field, "expected numbers in equal-length rows")
    if not np.all(np.isfinite(array)):
        raise FieldError(field, "contains a value that is not a finite number")
    if shape is not None and array.shape != shape:
        raise FieldError(field, f"has shape {array.shape}, expected {shape}")
    return array


def _check_numbers(value: list[Any], field: str) -> None:
    # numpy would quietly turn "1.5" or true into a number; a project file may not.
    for index, item in enumerate(value):
        if isinstance(item, list):
            for inner in item:
                if isinstance(inner, bool) or not isinstance(inner, (int, float)):
                    raise FieldError(f"{field}[{index}]", f"expected numbers, got {_kind(inner)}")
        elif isinstance(item, bool) or not isinstance(item, (int, float)):
            raise FieldError(f"{field}[{index}]", f"expected a number, got {_kind(item)}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
