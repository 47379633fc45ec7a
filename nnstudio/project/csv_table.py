"""Reading a CSV file into a table of text cells, and detecting how the file is written.

A CSV file is read as UTF-8 (with or without a byte-order mark). The separator,
whether the first row is a header, and the decimal mark can be given or
detected from the first lines. Cells stay text here; csv_dataset.py turns the
chosen columns into numbers and classes.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nnstudio.project.fields import ProjectError

SEPARATORS = (",", ";", "\t")
DECIMALS = (".", ",")
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

# Detection reads only the first lines, so a large file is sniffed as fast as a small one.
SNIFF_LINES = 50
# Errors that concern many lines name this many of them, then give the count.
LISTED_LINES = 5

_BOM = b"\xef\xbb\xbf"
# The number syntax a spreadsheet writes: digits, an optional decimal point and
# an optional exponent. Python's float() would also accept "nan", "inf", "1_000"
# and non-ASCII digits, none of which a data file should contain as a number.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class CsvError(ProjectError):
    """A CSV file or table that cannot be used. The message names the file or line and the fix."""


@dataclass
class CsvOptions:
    """The separator, header and decimal mark of a CSV file. A field left as None is detected."""

    separator: str | None = None  # ",", ";" or "\t"
    has_header: bool | None = None
    decimal: str | None = None  # "." or ","


@dataclass
class CsvTable:
    """The cells of a CSV file as text, one list per data row.

    ``header`` names every column: the file's header row, or "column 1",
    "column 2", ... when the file has none. ``line_numbers`` gives, for each data
    row, the 1-based line of the file where the row starts. ``options`` has every
    field set, detected ones included. ``path`` is the absolute path of the file,
    or None for a table parsed from text.
    """

    header: list[str]
    rows: list[list[str]]
    line_numbers: list[int]
    options: CsvOptions
    path: Path | None = None

    def column_index(self, name: str) -> int:
        """Return the position of the column ``name``; raises CsvError when there is none."""
        if name not in self.header:
            columns = ", ".join(repr(column) for column in self.header)
            raise CsvError(f"there is no column named {name!r}; the columns are {columns}")
        return self.header.index(name)

    def column(self, name: str) -> list[str]:
        """Return the cells of the column ``name``, one per data row."""
        index = self.column_index(name)
        return [row[index] for row in self.rows]

    @property
    def decimal(self) -> str:
        return self.options.decimal or "."


def parse_number(text: str, decimal: str = ".") -> float | None:
    """Return the number in the cell ``text``, or None when it contains no finite number.

    ``decimal`` is the decimal mark: with "," a cell such as "2,5" is 2.5 and a
    cell with a point is not a number, because a point there usually groups
    thousands. Spaces around the number are ignored.
    """
    text = text.strip()
    if decimal == ",":
        if "." in text:
            return None
        text = text.replace(",", ".")
    if not _NUMBER.fullmatch(text):
        return None
    number = float(text)
    # "1e999" matches the pattern but overflows to inf.
    return number if math.isfinite(number) else None


def read_table(path: str | os.PathLike[str], options: CsvOptions | None = None) -> CsvTable:
    """Read the CSV file at ``path``; raises CsvError naming the file and the problem."""
    path = Path(path)
    text = _read_text(path)
    try:
        table = parse_text(text, options)
    except CsvError as error:
        raise CsvError(f"{path}: {error}") from None
    table.path = path.absolute()
    return table


def sniff_options(text_sample: str) -> CsvOptions:
    """Detect the separator, header and decimal mark from the first lines of a CSV text."""
    text = _strip_bom(text_sample)
    _check_not_empty(text)
    sample = _first_lines(text)
    separator = _detect_separator(sample)
    rows = [cells for _, cells in _lenient_records(sample, separator)]
    decimal = _detect_decimal(rows, separator)
    return CsvOptions(separator, _detect_header(rows, decimal), decimal)


def parse_text(text: str, options: CsvOptions | None = None) -> CsvTable:
    """Split a CSV text into a table, detecting the options that are None in ``options``."""
    options = options or CsvOptions()
    text = _strip_bom(text)
    _check_not_empty(text)
    separator = options.separator or _detect_separator(_first_lines(text))
    _check_choice(separator, SEPARATORS, "separator")
    records = list(_records(text, separator))

    sample = [cells for _, cells in records[:SNIFF_LINES]]
    decimal = options.decimal or _detect_decimal(sample, separator)
    _check_choice(decimal, DECIMALS, "decimal mark")
    if separator == decimal:
        raise CsvError(
            "the decimal mark and the separator are both a comma; a file with decimal "
            "commas needs another separator, such as a semicolon"
        )
    has_header = options.has_header
    if has_header is None:
        has_header = _detect_header(sample, decimal)

    used = CsvOptions(separator, has_header, decimal)
    return _build_table(records, used)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CsvError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise CsvError(f"{path}: is a folder, not a CSV file") from None
    except PermissionError:
        raise CsvError(f"{path}: permission denied") from None
    except OSError as error:
        raise CsvError(f"{path}: could not be read ({error.strerror or error})") from None

    offset = len(_BOM) if data.startswith(_BOM) else 0
    try:
        return data[offset:].decode("utf-8")
    except UnicodeDecodeError as error:
        position = offset + error.start
        line = data[:position].count(b"\n") + 1
        raise CsvError(
            f"{path}: not UTF-8 text: the byte at offset {position} (line {line}) is not valid "
            "UTF-8; save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8') and import it again"
        ) from None


def _strip_bom(text: str) -> str:
    # A byte-order mark decoded as part of the text would stick to the first column's name.
    return text[1:] if text.startswith("\ufeff") else text


def _check_not_empty(text: str) -> None:
    if not text.strip():
        raise CsvError("the file is empty; a CSV file needs at least one row of data")


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        names = ", ".join(repr(choice) for choice in choices)
        raise CsvError(f"{value!r} is not a supported {what}; choose one of {names}")


def _first_lines(text: str) -> str:
    # newline="" keeps "\r\n" and "\r" as they are, as the csv module expects.
    stream = io.StringIO(text, newline="")
    return "".join(stream.readline() for _ in range(SNIFF_LINES))


def _records(text: str, separator: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line where the row starts, cells) for every row that is not blank."""
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=separator, skipinitialspace=True, strict=True
    )
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise CsvError(
                f"line {start}: invalid quoting ({error}); enclose a field that contains the "
                'separator, a quote or a line break in double quotes, and double each " inside it'
            ) from None
        if cells:
            yield start, cells
        # A quoted field may span lines, so the next row starts after the last line read.
        start = reader.line_num + 1


def _lenient_records(sample: str, separator: str) -> list[tuple[int, list[str]]]:
    # The sample may end in the middle of a quoted field; detection uses what came before.
    records: list[tuple[int, list[str]]] = []
    try:
        for record in _records(sample, separator):
            records.append(record)
    except CsvError:
        return records
    return records


def _detect_separator(sample: str) -> str:
    """Return the separator that splits the sample into the same number (> 1) of fields."""
    best = None
    best_score = (0.0, 0.0, 0)
    for separator in SEPARATORS:
        rows = [cells for _, cells in _lenient_records(sample, separator)]
        if not rows:
            continue
        width, count = Counter(len(cells) for cells in rows).most_common(1)[0]
        if width < 2:
            continue
        # Ties in consistency happen with decimal commas: "1,5;2,0" splits evenly at
        # the commas too. The separator whose cells read as numbers is then the right one.
        score = (count / len(rows), _number_fraction(rows, separator), width)
        if score > best_score:
            best, best_score = separator, score
    if best is None:
        raise CsvError(
            "found only one column: no comma, semicolon or tab splits the lines into fields; "
            "a dataset needs at least one input column and a target column"
        )
    return best


def _number_fraction(rows: list[list[str]], separator: str) -> float:
    decimals = (".",) if separator == "," else DECIMALS
    cells = [cell for cells in rows for cell in cells]
    numbers = sum(any(parse_number(cell, mark) is not None for mark in decimals) for cell in cells)
    return numbers / len(cells)


def _detect_decimal(rows: list[list[str]], separator: str) -> str:
    """Return "," when more cells read as numbers with a decimal comma than with a point."""
    if separator == ",":
        return "."
    cells = [cell for cells in rows for cell in cells]
    commas = sum("," in cell and parse_number(cell, ",") is not None for cell in cells)
    points = sum("." in cell and parse_number(cell, ".") is not None for cell in cells)
    return "," if commas > points else "."


def _detect_header(rows: list[list[str]], decimal: str) -> bool:
    """Return whether the first row names the columns rather than containing data.

    It does when one of its cells is text above a column of numbers, or when all
    of its cells are text and the rows below contain numbers.
    """
    if len(rows) < 2:
        return False
    first, rest = rows[0], rows[1:]

    def is_text(cell: str) -> bool:
        return bool(cell.strip()) and parse_number(cell, decimal) is None

    for index, cell in enumerate(first):
        below = [row[index] for row in rest if index < len(row) and row[index].strip()]
        numeric = [value for value in below if parse_number(value, decimal) is not None]
        if is_text(cell) and below and len(numeric) == len(below):
            return True

    later_numbers = any(parse_number(cell, decimal) is not None for row in rest for cell in row)
    return all(is_text(cell) for cell in first) and later_numbers


def _build_table(records: list[tuple[int, list[str]]], options: CsvOptions) -> CsvTable:
    if options.has_header:
        header = _column_names(records[0][1])
        records = records[1:]
        if not records:
            raise CsvError("the file has a header row but no data rows")
    else:
        header = [f"column {index + 1}" for index in range(len(records[0][1]))]

    if len(header) < 2:
        separator = SEPARATOR_NAMES[options.separator or ","]
        raise CsvError(
            f"found only one column with the {separator} as separator; a dataset needs at "
            "least one input column and a target column, so choose the separator the file uses"
        )
    _check_row_lengths(records, len(header))

    rows = [cells for _, cells in records]
    line_numbers = [line for line, _ in records]
    return CsvTable(header, rows, line_numbers, options)


def _column_names(cells: list[str]) -> list[str]:
    names = [cell.strip() or f"column {index + 1}" for index, cell in enumerate(cells)]
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in seen:
            raise CsvError(
                f"columns {seen[name] + 1} and {index + 1} are both named {name!r}; "
                "rename one in the header row, because columns are chosen by name"
            )
        seen[name] = index
    return names


def _check_row_lengths(records: list[tuple[int, list[str]]], width: int) -> None:
    ragged = [(line, len(cells)) for line, cells in records if len(cells) != width]
    if not ragged:
        return
    listed = ", ".join(f"{line} ({_fields(count)})" for line, count in ragged[:LISTED_LINES])
    more = f" and {len(ragged) - LISTED_LINES} more" if len(ragged) > LISTED_LINES else ""
    lines = "line" if len(ragged) == 1 else "lines"
    raise CsvError(
        f"every row needs {_fields(width)}, as the first row has, but {len(ragged)} "
        f"{'row differs' if len(ragged) == 1 else 'rows differ'}: {lines} {listed}{more}; "
        "check the separator, and quote fields that contain it"
    )


def _fields(count: int) -> str:
    return "1 field" if count == 1 else f"{count} fields"
