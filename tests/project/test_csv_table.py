"""CSV files read into tables: separators, headers, decimal marks, quotes, encodings, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnstudio.project.csv_table import (
    CsvError,
    CsvOptions,
    parse_number,
    parse_text,
    read_table,
    sniff_options,
)
from nnstudio.project.fields import ProjectError

FIXTURES = Path(__file__).parent / "fixtures" / "csv"

# comma.csv, semicolon.csv, tab.csv and bom.csv contain the same table.
HEADER = ["x", "y", "target"]
ROWS = [["1.5", "2", "0"], ["3", "-4.25", "1"]]


@pytest.mark.parametrize(
    ("name", "separator"),
    [("comma.csv", ","), ("semicolon.csv", ";"), ("tab.csv", "\t")],
)
def test_separator_detected(name: str, separator: str) -> None:
    table = read_table(FIXTURES / name)

    assert table.header == HEADER
    assert table.rows == ROWS
    assert table.line_numbers == [2, 3]
    assert table.options == CsvOptions(separator, True, ".")


def test_path_is_absolute() -> None:
    table = read_table(FIXTURES / "comma.csv")

    assert table.path == (FIXTURES / "comma.csv").absolute()


def test_no_header_detected() -> None:
    table = read_table(FIXTURES / "no_header.csv")

    assert table.header == ["column 1", "column 2", "column 3"]
    assert table.rows == ROWS
    assert table.line_numbers == [1, 2]
    assert table.options.has_header is False


def test_header_forced_off() -> None:
    table = read_table(FIXTURES / "comma.csv", CsvOptions(has_header=False))

    assert table.header == ["column 1", "column 2", "column 3"]
    assert table.rows == [HEADER, *ROWS]
    assert table.line_numbers == [1, 2, 3]


def test_decimal_comma_detected() -> None:
    table = read_table(FIXTURES / "decimal_comma.csv")

    assert table.header == HEADER
    assert table.rows == [["1,5", "2", "0"], ["3", "-4,25", "1"]]
    assert table.options == CsvOptions(";", True, ",")


def test_decimal_comma_without_header() -> None:
    table = parse_text("1,5;2,0\n3,1;4,2\n")

    assert table.options == CsvOptions(";", False, ",")
    assert table.rows == [["1,5", "2,0"], ["3,1", "4,2"]]


def test_bom_removed() -> None:
    assert (FIXTURES / "bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    table = read_table(FIXTURES / "bom.csv")

    assert table.header == HEADER
    assert table.rows == ROWS


def test_bom_in_text_removed() -> None:
    table = parse_text("\ufeffa,b\n1,2\n")

    assert table.header == ["a", "b"]


def test_quoted_fields() -> None:
    table = read_table(FIXTURES / "quoted.csv")

    assert table.header == ["name, full", "x", "target"]
    assert table.rows == [['Smith, "Jo"', "1", "a"], ["two\nlines", "2", "b"], ["plain", "3", "a"]]
    # The quoted line break makes the third row start two lines after the second.
    assert table.line_numbers == [2, 3, 5]


def test_crlf_line_endings() -> None:
    table = parse_text("x,y\r\n1,2\r\n3,4\r\n")

    assert table.header == ["x", "y"]
    assert table.rows == [["1", "2"], ["3", "4"]]
    assert table.line_numbers == [2, 3]


def test_blank_lines_skipped() -> None:
    table = parse_text("x,y\n\n1,2\n\n3,4\n\n")

    assert table.rows == [["1", "2"], ["3", "4"]]
    assert table.line_numbers == [3, 5]


def test_spaces_after_separator() -> None:
    table = parse_text('x, y\n1, "2,5"\n')

    assert table.header == ["x", "y"]
    assert table.rows == [["1", "2,5"]]


def test_given_options_used() -> None:
    options = CsvOptions(separator=";", has_header=True, decimal=",")

    table = parse_text("a;b\n1;2\n", options)

    assert table.options == options
    assert table.header == ["a", "b"]


def test_column_by_name() -> None:
    table = read_table(FIXTURES / "comma.csv")

    assert table.column("y") == ["2", "-4.25"]
    assert table.column_index("target") == 2


def test_unknown_column_rejected() -> None:
    table = read_table(FIXTURES / "comma.csv")

    with pytest.raises(CsvError, match="no column named 'z'; the columns are 'x', 'y', 'target'"):
        table.column("z")


def test_sniff_options() -> None:
    assert sniff_options("a;b;c\n1,5;2;x\n3;4,25;y\n") == CsvOptions(";", True, ",")
    assert sniff_options("1\t2\n3\t4\n") == CsvOptions("\t", False, ".")


def test_sniff_cut_sample() -> None:
    # A preview sample may end in the middle of a line, even inside quotes.
    sample = 'a,b,c\n1,2,x\n3,4,y\n5,6,"unfinished'

    assert sniff_options(sample) == CsvOptions(",", True, ".")


def test_empty_header_cell_named() -> None:
    table = parse_text(",price,rooms\n0,10,2\n1,12,3\n")

    assert table.header == ["column 1", "price", "rooms"]


def test_parse_number() -> None:
    assert parse_number("2.5") == 2.5
    assert parse_number(" -1e3 ") == -1000.0
    assert parse_number(".5") == 0.5
    assert parse_number("2,5", ",") == 2.5
    assert parse_number("2.5", ",") is None
    assert parse_number("2,5") is None
    assert parse_number("nan") is None
    assert parse_number("inf") is None
    assert parse_number("1_000") is None
    assert parse_number("1e999") is None
    assert parse_number("") is None


# bad files


def test_non_utf8_rejected() -> None:
    path = FIXTURES / "latin1.csv"

    with pytest.raises(CsvError) as caught:
        read_table(path)

    message = str(caught.value)
    assert message.startswith(f"{path}: not UTF-8 text")
    # "x,y\n1,2\ncaf" is 11 bytes, so the Latin-1 "é" sits at offset 11.
    assert "offset 11 (line 3)" in message
    assert "save the file as UTF-8" in message


def test_non_utf8_offset_counts_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom-latin1.csv"
    path.write_bytes(b"\xef\xbb\xbfx,y\n\xe9,1\n")

    with pytest.raises(CsvError, match=r"offset 7 \(line 2\)"):
        read_table(path)


def test_csv_error_is_project_error() -> None:
    with pytest.raises(ProjectError):
        read_table(FIXTURES / "empty.csv")


def test_empty_file_rejected() -> None:
    path = FIXTURES / "empty.csv"

    with pytest.raises(CsvError) as caught:
        read_table(path)

    assert (
        str(caught.value) == f"{path}: the file is empty; a CSV file needs at least one row of data"
    )


def test_blank_text_rejected() -> None:
    with pytest.raises(CsvError, match="the file is empty"):
        parse_text("\n \n\n")


def test_one_column_rejected() -> None:
    with pytest.raises(CsvError, match="found only one column") as caught:
        read_table(FIXTURES / "one_column.csv")

    assert "input column and a target column" in str(caught.value)


def test_one_column_with_given_separator() -> None:
    with pytest.raises(CsvError, match="only one column with the semicolon as separator"):
        parse_text("a,b\n1,2\n", CsvOptions(separator=";"))


def test_ragged_rows_rejected() -> None:
    with pytest.raises(CsvError) as caught:
        read_table(FIXTURES / "ragged.csv")

    message = str(caught.value)
    assert "every row needs 3 fields" in message
    assert "2 rows differ: lines 3 (2 fields), 4 (4 fields);" in message


def test_ragged_rows_listed_up_to_five() -> None:
    text = "a,b\n" + "1,2\n" + "1\n" * 7

    with pytest.raises(CsvError, match=r"lines 3 \(1 field\), 4 .*, 7 \(1 field\) and 2 more;"):
        parse_text(text, CsvOptions(separator=","))


def test_header_without_rows_rejected() -> None:
    with pytest.raises(CsvError, match="a header row but no data rows"):
        parse_text("x,y\n", CsvOptions(has_header=True))


def test_duplicate_column_names_rejected() -> None:
    with pytest.raises(CsvError, match="columns 1 and 3 are both named 'x'"):
        parse_text("x,y,x\n1,2,3\n")


def test_unclosed_quote_rejected() -> None:
    with pytest.raises(CsvError, match="line 3: invalid quoting"):
        parse_text('a,b\n1,2\n3,"four\n5,6\n')


def test_decimal_comma_separator_clash() -> None:
    with pytest.raises(CsvError, match="both a comma"):
        parse_text("a,b\n1,2\n", CsvOptions(separator=",", decimal=","))


def test_unknown_separator_rejected() -> None:
    with pytest.raises(CsvError, match="'|' is not a supported separator"):
        parse_text("a|b\n1|2\n", CsvOptions(separator="|"))


def test_missing_file_rejected(tmp_path: Path) -> None:
    path = tmp_path / "nothing.csv"

    with pytest.raises(CsvError, match="nothing.csv: file not found"):
        read_table(path)


def test_large_table(tmp_path: Path) -> None:
    # 100,000 rows of 5 columns; the time is measured by hand, not asserted.
    path = tmp_path / "large.csv"
    lines = ["a,b,c,d,label"]
    lines += [f"{i},{i * 0.5},{-i},{i % 7},{'yes' if i % 2 else 'no'}" for i in range(100_000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    table = read_table(path)

    assert len(table.rows) == 100_000
    assert table.rows[-1] == ["99999", "49999.5", "-99999", "4", "yes"]
    assert table.line_numbers[-1] == 100_001
