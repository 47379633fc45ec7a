"""Turning chosen columns of a CSV table into a dataset: numbers, classes and standardization.

Input columns must contain numbers. The target column decides the kind of problem:

- numbers that are all 0 or 1: two classes, one target column;
- other numbers: a regression, one target column of numbers;
- text: one class per distinct value, sorted. Two classes give one 0/1 column
  (the second class is 1), more give one one-hot column per class.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnstudio.project.csv_table import LISTED_LINES, CsvError, CsvTable, parse_number
from nnstudio.project.datasets import Array, CsvSource, Dataset
from nnstudio.project.model import MAX_UNITS

MISSING = "missing"
NOT_A_NUMBER = "not a number"

# The problems a message describes one by one before it gives only the count.
LISTED_PROBLEMS = 3


@dataclass(frozen=True)
class ProblemRow:
    """One cell that keeps its row out of a dataset.

    ``line`` is the 1-based line of the file where the row starts, and ``reason``
    is MISSING or NOT_A_NUMBER.
    """

    line: int
    column: str
    value: str
    reason: str


class ProblemRowsError(CsvError):
    """Rows with missing values or values that are not numbers, which keep a dataset from forming.

    ``problems`` lists every problem cell. ``summary`` describes the first few
    without the advice on what to do, so a caller can give its own.
    """

    def __init__(self, problems: list[ProblemRow]) -> None:
        self.problems = problems
        self.summary = _problem_summary(problems)
        super().__init__(f"{self.summary}; fix them in the file, or choose to drop these rows")


def find_problem_rows(
    table: CsvTable, columns: Sequence[str], target_column: str | None = None
) -> list[ProblemRow]:
    """Return the cells of ``columns`` that are missing or are not numbers, row by row.

    ``target_column`` may contain text (class names), so only its missing cells are
    problems. Rows are in file order and, within a row, cells in column order.
    Raises CsvError when a column does not exist.
    """
    values = {name: _numbers(table, name) for name in columns}
    target = None if target_column is None else table.column(target_column)
    return _problems(table, values, target, target_column or "")


def build_dataset(
    table: CsvTable,
    input_columns: Sequence[str],
    target_column: str,
    drop_invalid_rows: bool = False,
    standardize: bool = True,
    name: str | None = None,
) -> Dataset:
    """Build a dataset from the chosen columns of ``table``.

    Rows with a problem (see find_problem_rows) raise ProblemRowsError, unless
    ``drop_invalid_rows`` leaves them out; other invalid choices raise CsvError.
    ``standardize`` stores the mean and the population standard deviation of
    each input column (1 for a constant column) in the dataset, and X keeps the
    values of the file. ``name`` defaults to the file's name without its
    extension. When the table was read from a file, the dataset's ``source``
    records the file and these choices.
    """
    _check_columns(table, input_columns, target_column)

    values = {column: _numbers(table, column) for column in input_columns}
    target_cells = table.column(target_column)
    problems = _problems(table, values, target_cells, target_column)
    if problems and not drop_invalid_rows:
        raise ProblemRowsError(problems)
    keep = _kept_rows(table, problems)

    columns = [np.array(values[column], dtype=np.float64)[keep] for column in input_columns]
    X = np.column_stack(columns)
    y, class_names = _encode_target([target_cells[i] for i in keep], table.decimal, target_column)
    dataset = Dataset(X, y, None, name or _default_name(table), list(input_columns), class_names)

    if standardize:
        dataset.mean, dataset.scale = standardization(X, input_columns)
    if table.path is not None:
        dataset.source = CsvSource(
            path=table.path,
            separator=table.options.separator or ",",
            decimal=table.decimal,
            header=bool(table.options.has_header),
            inputs=list(input_columns),
            target=target_column,
            drop_invalid_rows=drop_invalid_rows,
            standardize=standardize,
        )
    return dataset


def standardization(X: Array, names: Sequence[str]) -> tuple[Array, Array]:
    """Return the mean and population standard deviation of each column of ``X``.

    A constant column gets mean = its value and scale 1, so it becomes exactly 0
    and nothing is divided by zero. Raises CsvError, naming the column, when the
    values are too large for a finite standard deviation.
    """
    constant = X.max(axis=0) == X.min(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = np.where(constant, X[0], X.mean(axis=0))
        scale = np.where(constant, 1.0, X.std(axis=0))

    for index, name in enumerate(names):
        if not (np.isfinite(mean[index]) and np.isfinite(scale[index])):
            raise CsvError(
                f"column {name!r} has values too large to standardize; "
                "scale them down in the file or turn standardization off"
            )
    return mean, scale


def suggested_output(dataset: Dataset) -> tuple[str, str]:
    """Return the (output activation, loss) pair that fits the dataset's targets.

    softmax and cross_entropy for one-hot classes, sigmoid and
    binary_cross_entropy for 0/1 targets, identity and mse for anything else.
    """
    if not dataset.is_classification:
        return "identity", "mse"
    if dataset.output_count > 1 and bool(np.all(dataset.y.sum(axis=1) == 1)):
        return "softmax", "cross_entropy"
    return "sigmoid", "binary_cross_entropy"


def _check_columns(table: CsvTable, inputs: Sequence[str], target: str) -> None:
    if not inputs:
        raise CsvError("no input column is chosen; choose at least one column of numbers")
    for column in [*inputs, target]:
        table.column_index(column)
    if len(set(inputs)) != len(inputs):
        raise CsvError("an input column is chosen twice; choose each column once")
    if target in inputs:
        raise CsvError(
            f"column {target!r} is both an input and the target; "
            "remove it from the inputs or choose another target"
        )


def _numbers(table: CsvTable, column: str) -> list[float | None]:
    decimal = table.decimal
    return [parse_number(cell, decimal) for cell in table.column(column)]


def _problems(
    table: CsvTable,
    values: dict[str, list[float | None]],
    target_cells: list[str] | None,
    target_column: str,
) -> list[ProblemRow]:
    problems = []
    for row_index, line in enumerate(table.line_numbers):
        row = table.rows[row_index]
        for column, numbers in values.items():
            if numbers[row_index] is None:
                cell = row[table.column_index(column)]
                reason = MISSING if not cell.strip() else NOT_A_NUMBER
                problems.append(ProblemRow(line, column, cell, reason))
        if target_cells is not None and not target_cells[row_index].strip():
            problems.append(ProblemRow(line, target_column, target_cells[row_index], MISSING))
    return problems


def _problem_summary(problems: list[ProblemRow]) -> str:
    lines = sorted({problem.line for problem in problems})
    listed = "; ".join(_describe(problem) for problem in problems[:LISTED_PROBLEMS])
    line_list = ", ".join(str(line) for line in lines[:LISTED_LINES])
    more = f" and {len(lines) - LISTED_LINES} more" if len(lines) > LISTED_LINES else ""
    rows = "1 row has" if len(lines) == 1 else f"{len(lines)} rows have"
    problem = "a missing value or a value that is not a number"
    return f"{rows} {problem} (lines {line_list}{more}): {listed}"


def _describe(problem: ProblemRow) -> str:
    where = f"line {problem.line}, column {problem.column!r}"
    if problem.reason == MISSING:
        return f"{where} is empty"
    return f"{where}: {problem.value!r} is not a number"


def _kept_rows(table: CsvTable, problems: list[ProblemRow]) -> list[int]:
    dropped = {problem.line for problem in problems}
    keep = [i for i, line in enumerate(table.line_numbers) if line not in dropped]
    if not keep:
        raise CsvError(
            "every row has a missing value or a value that is not a number, so no row is left; "
            "check the decimal mark and the chosen columns"
        )
    return keep


def _encode_target(cells: list[str], decimal: str, column: str) -> tuple[Array, list[str] | None]:
    """Return the target array and the class names (None for a regression)."""
    numbers = [parse_number(cell, decimal) for cell in cells]
    if all(number is not None for number in numbers):
        y = np.array(numbers, dtype=np.float64).reshape(-1, 1)
        if np.all((y == 0) | (y == 1)):
            return y, ["0", "1"]
        return y, None

    labels = [cell.strip() for cell in cells]
    classes = sorted(set(labels))
    _check_class_count(classes, column, cells, numbers)
    if len(classes) == 2:
        binary = np.array([label == classes[1] for label in labels], dtype=np.float64)
        return binary.reshape(-1, 1), classes
    index = {name: position for position, name in enumerate(classes)}
    one_hot = np.zeros((len(labels), len(classes)))
    one_hot[np.arange(len(labels)), [index[label] for label in labels]] = 1.0
    return one_hot, classes


def _check_class_count(
    classes: list[str], column: str, cells: list[str], numbers: list[float | None]
) -> None:
    if len(classes) < 2:
        raise CsvError(
            f"the target column {column!r} has only one class, {classes[0]!r}; "
            "a classification needs at least two"
        )
    if len(classes) > MAX_UNITS:
        # A column of numbers with a few typing mistakes also lands here.
        text = [cell for cell, number in zip(cells, numbers, strict=True) if number is None]
        raise CsvError(
            f"the target column {column!r} has {len(classes)} different values, but a "
            f"classification can have at most {MAX_UNITS} classes; if the column holds numbers, "
            f"fix the values that are not numbers, such as {text[0]!r}"
        )


def _default_name(table: CsvTable) -> str:
    return table.path.stem if table.path is not None else "CSV data"
