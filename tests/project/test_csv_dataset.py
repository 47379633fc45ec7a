"""Chosen CSV columns turned into datasets: numbers, classes, problem rows and standardization."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from nnstudio.project.csv_dataset import (
    MISSING,
    NOT_A_NUMBER,
    ProblemRow,
    ProblemRowsError,
    build_dataset,
    find_problem_rows,
    suggested_output,
)
from nnstudio.project.csv_table import CsvError, CsvOptions, parse_text, read_table
from nnstudio.project.datasets import CsvSource, Dataset

FIXTURES = Path(__file__).parent / "fixtures" / "csv"


def fixture_dataset(name: str, inputs: list[str], target: str, **options: bool) -> Dataset:
    return build_dataset(read_table(FIXTURES / name), inputs, target, **options)


def test_numbers_parsed() -> None:
    dataset = fixture_dataset("comma.csv", ["x", "y"], "target", standardize=False)

    np.testing.assert_array_equal(dataset.X, [[1.5, 2.0], [3.0, -4.25]])
    np.testing.assert_array_equal(dataset.y, [[0.0], [1.0]])
    assert dataset.input_names == ["x", "y"]
    assert dataset.mean is None
    assert dataset.scale is None


def test_decimal_comma_numbers() -> None:
    dataset = fixture_dataset("decimal_comma.csv", ["x", "y"], "target", standardize=False)

    np.testing.assert_array_equal(dataset.X, [[1.5, 2.0], [3.0, -4.25]])


def test_inputs_in_chosen_order() -> None:
    dataset = fixture_dataset("comma.csv", ["y", "x"], "target")

    np.testing.assert_array_equal(dataset.X, [[2.0, 1.5], [-4.25, 3.0]])
    assert dataset.input_names == ["y", "x"]


def test_two_text_classes() -> None:
    dataset = fixture_dataset("two_classes.csv", ["x", "y"], "animal")

    # Sorted, "cat" is class 0 and "dog" class 1.
    assert dataset.class_names == ["cat", "dog"]
    np.testing.assert_array_equal(dataset.y, [[1.0], [0.0], [1.0]])
    assert suggested_output(dataset) == ("sigmoid", "binary_cross_entropy")


def test_three_text_classes() -> None:
    dataset = fixture_dataset("three_classes.csv", ["x"], "species")

    assert dataset.class_names == ["a", "b", "c"]
    np.testing.assert_array_equal(dataset.y, [[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(dataset.X, [[1.0], [2.0], [3.0], [4.0]])
    assert suggested_output(dataset) == ("softmax", "cross_entropy")


def test_numeric_binary_target() -> None:
    dataset = fixture_dataset("binary_numeric.csv", ["x", "y"], "spam")

    np.testing.assert_array_equal(dataset.y, [[1.0], [0.0], [1.0]])
    assert dataset.class_names == ["0", "1"]
    assert dataset.is_classification
    assert suggested_output(dataset) == ("sigmoid", "binary_cross_entropy")


def test_regression_target() -> None:
    dataset = fixture_dataset("regression.csv", ["size", "rooms"], "price", standardize=False)

    np.testing.assert_array_equal(dataset.X, [[50.0, 2.0], [80.0, 3.0], [65.0, 2.0]])
    np.testing.assert_array_equal(dataset.y, [[120.5], [199.0], [150.25]])
    assert dataset.class_names is None
    assert not dataset.is_classification
    assert suggested_output(dataset) == ("identity", "mse")


def test_quoted_text_classes() -> None:
    dataset = fixture_dataset("quoted.csv", ["x"], "name, full")

    assert dataset.class_names == ['Smith, "Jo"', "plain", "two\nlines"]
    np.testing.assert_array_equal(dataset.y, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])


def test_one_class_rejected() -> None:
    table = parse_text("x,label\n1,a\n2,a\n")

    with pytest.raises(CsvError, match="only one class, 'a'"):
        build_dataset(table, ["x"], "label")


def test_too_many_classes_rejected() -> None:
    rows = "".join(f"{i},{i}.5\n" for i in range(70))
    table = parse_text("x,price\n" + rows + "70,7O.5\n")

    with pytest.raises(CsvError, match="71 different values") as caught:
        build_dataset(table, ["x"], "price")

    assert "such as '7O.5'" in str(caught.value)


# problem rows


def test_problem_rows_found() -> None:
    table = read_table(FIXTURES / "problems.csv")

    problems = find_problem_rows(table, ["x", "y"], "target")

    assert problems == [
        ProblemRow(3, "x", "", MISSING),
        ProblemRow(4, "y", "abc", NOT_A_NUMBER),
        ProblemRow(5, "target", "", MISSING),
    ]


def test_problem_rows_without_target() -> None:
    table = read_table(FIXTURES / "problems.csv")

    problems = find_problem_rows(table, ["y"])

    assert problems == [ProblemRow(4, "y", "abc", NOT_A_NUMBER)]


def test_problem_rows_rejected() -> None:
    table = read_table(FIXTURES / "problems.csv")

    with pytest.raises(ProblemRowsError) as caught:
        build_dataset(table, ["x", "y"], "target")

    message = str(caught.value)
    assert caught.value.problems == find_problem_rows(table, ["x", "y"], "target")
    assert message.startswith("3 rows have a missing value or a value that is not a number")
    assert "(lines 3, 4, 5)" in message
    assert "line 3, column 'x' is empty" in message
    assert "line 4, column 'y': 'abc' is not a number" in message
    assert "line 5, column 'target' is empty" in message
    assert message.endswith("fix them in the file, or choose to drop these rows")


def test_problem_message_counts_rows() -> None:
    rows = "".join(f"{i},,a\n" for i in range(8))
    table = parse_text("x,y,label\n1,2,b\n" + rows)

    with pytest.raises(CsvError, match=r"8 rows have .* \(lines 3, 4, 5, 6, 7 and 3 more\)"):
        build_dataset(table, ["x", "y"], "label")


def test_problem_rows_dropped() -> None:
    dataset = fixture_dataset(
        "problems.csv", ["x", "y"], "target", drop_invalid_rows=True, standardize=False
    )

    np.testing.assert_array_equal(dataset.X, [[1.0, 2.0], [7.0, 8.0]])
    np.testing.assert_array_equal(dataset.y, [[0.0], [1.0]])
    assert dataset.class_names == ["a", "b"]


def test_all_rows_dropped_rejected() -> None:
    table = parse_text("x,y\na,1\nb,2\n", CsvOptions(has_header=True))

    with pytest.raises(CsvError, match="no row is left"):
        build_dataset(table, ["x"], "y", drop_invalid_rows=True)


# column choice


def test_unknown_input_rejected() -> None:
    table = read_table(FIXTURES / "comma.csv")

    with pytest.raises(CsvError, match="no column named 'z'"):
        build_dataset(table, ["x", "z"], "target")


def test_target_as_input_rejected() -> None:
    table = read_table(FIXTURES / "comma.csv")

    with pytest.raises(CsvError, match="both an input and the target"):
        build_dataset(table, ["x", "target"], "target")


def test_no_inputs_rejected() -> None:
    table = read_table(FIXTURES / "comma.csv")

    with pytest.raises(CsvError, match="no input column is chosen"):
        build_dataset(table, [], "target")


# standardization


def test_standardization_numbers() -> None:
    dataset = fixture_dataset("standardize.csv", ["a", "b", "c"], "target")

    # a = 1, 2, 6: mean 3, deviations -2, -1, 3, variance (4 + 1 + 9) / 3.
    # b = 10, 20, 30: mean 20, variance (100 + 0 + 100) / 3. c is constant.
    assert dataset.mean is not None
    assert dataset.scale is not None
    np.testing.assert_allclose(dataset.mean, [3.0, 20.0, 5.0], rtol=1e-15)
    np.testing.assert_allclose(
        dataset.scale, [math.sqrt(14 / 3), math.sqrt(200 / 3), 1.0], rtol=1e-15
    )
    np.testing.assert_array_equal(dataset.X, [[1, 10, 5], [2, 20, 5], [6, 30, 5]])


def test_standardized_network_inputs() -> None:
    dataset = fixture_dataset("standardize.csv", ["a", "b", "c"], "target")

    sa, sb = math.sqrt(14 / 3), math.sqrt(200 / 3)
    expected = [[-2 / sa, -10 / sb, 0.0], [-1 / sa, 0.0, 0.0], [3 / sa, 10 / sb, 0.0]]
    np.testing.assert_allclose(dataset.network_inputs(), expected, rtol=1e-14, atol=1e-15)
    # The constant column becomes exactly 0, with no division by zero.
    np.testing.assert_array_equal(dataset.network_inputs()[:, 2], [0.0, 0.0, 0.0])


def test_network_inputs_of_new_rows() -> None:
    dataset = fixture_dataset("standardize.csv", ["a", "b", "c"], "target")

    inputs = dataset.network_inputs(np.array([[3.0, 20.0, 7.0]]))

    np.testing.assert_allclose(inputs, [[0.0, 0.0, 2.0]], atol=1e-15)


def test_standardize_off() -> None:
    dataset = fixture_dataset("standardize.csv", ["a"], "target", standardize=False)

    np.testing.assert_array_equal(dataset.network_inputs(), [[1.0], [2.0], [6.0]])


# source and name


def test_source_recorded() -> None:
    dataset = fixture_dataset("decimal_comma.csv", ["x"], "target", drop_invalid_rows=True)

    assert dataset.source == CsvSource(
        path=(FIXTURES / "decimal_comma.csv").absolute(),
        separator=";",
        decimal=",",
        header=True,
        inputs=["x"],
        target="target",
        drop_invalid_rows=True,
        standardize=True,
    )


def test_name_defaults_to_file() -> None:
    assert fixture_dataset("comma.csv", ["x"], "target").name == "comma"


def test_text_table_has_no_source() -> None:
    dataset = build_dataset(parse_text("x,y\n1,2\n3,4\n"), ["x"], "y", name="typed")

    assert dataset.source is None
    assert dataset.name == "typed"
