"""Pieces of Python source that the NumPy and the PyTorch script both contain.

Both scripts start with a comment that names where the network came from, hold the
weights as literal lists, and end with the same command-line reader of CSV rows.
Float literals are written with ``repr``, Python's shortest representation that
reads back to the same float64, so the scripts compute with the exact weights.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np

from nnstudio.export.common import ExportedNetwork, describe_layers

COMMENT_WIDTH = 96


def header_comment(network: ExportedNetwork, title: str, needs: str, file_name: str) -> str:
    """Return the comment block that opens an exported script, ending with a newline."""
    origin = f"Exported by nnstudio {network.version}"
    if network.source:
        origin += f" from the project {network.source}"
    origin += f" (dataset: {network.dataset_name})."

    lines = [title, ""]
    lines += _wrap(origin)
    if network.description.strip():
        lines += _wrap(f"Project description: {network.description.strip()}")
    lines += ["", "Layers, in the order they are computed:"]
    lines += [f"  {line}" for line in describe_layers(network)]
    if network.mean is not None:
        lines.append("The inputs are standardized as (x - MEAN) / SCALE before the first layer.")
    else:
        lines.append("The network takes the inputs as they are, without standardization.")
    if network.class_names:
        lines += _wrap(f"Output classes: {', '.join(network.class_names)}.")

    count = network.input_count
    lines += [
        "",
        f"Needs {needs}.",
        "Usage, with one sample per CSV row (a header row is skipped):",
        f"  python {file_name} inputs.csv",
        f"  python {file_name} < inputs.csv",
        "It prints one line per sample: the network's outputs, separated by commas.",
        f"From Python: import this file and call predict(X), X of shape (samples, {count}).",
    ]
    return "".join(f"# {_printable(line)}".rstrip() + "\n" for line in lines)


def constants_source(network: ExportedNetwork, array_call: str) -> str:
    """Return the assignments of the input facts, the standardization and every layer's weights.

    ``array_call`` wraps each literal list, "np.array" for NumPy; an empty
    string leaves the lists as they are.
    """
    lines = [
        f"INPUT_COUNT = {network.input_count}",
        f"INPUT_NAMES = {list_literal(network.input_names)}",
        f"CLASS_NAMES = {list_literal(network.class_names)}",
        "",
    ]
    if network.mean is not None:
        lines += [
            "# The standardization fixed when the data was imported: the network sees",
            "# (x - MEAN) / SCALE, column by column.",
            f"MEAN = {_call(array_call, list_literal(network.mean))}",
            f"SCALE = {_call(array_call, list_literal(network.scale))}",
            "",
        ]
    lines += [
        "# Each layer's W has one row per input value and one column per unit, so",
        "# z = a_in @ W + b. A layer fed by several layers takes their outputs side by",
        "# side, and the rows of W follow that order.",
    ]
    for name in network.spec.order:
        identifier = network.identifiers[name].upper()
        params = network.parameters[name]
        lines.append(f"W_{identifier} = {_call(array_call, matrix_literal(params.W))}")
        if params.b is not None:
            lines.append(f"B_{identifier} = {_call(array_call, list_literal(params.b.tolist()))}")
        if params.alpha is not None:
            # A prelu layer's learned slope for z <= 0: one value, or one per unit.
            alpha = list_literal(params.alpha.tolist())
            lines.append(f"ALPHA_{identifier} = {_call(array_call, alpha)}")
    return "\n".join(lines) + "\n"


def list_literal(values: Sequence[object] | None) -> str:
    """Return a Python literal for a flat list of floats or strings, or None."""
    if values is None:
        return "None"
    return repr(list(values))


def matrix_literal(matrix: np.ndarray, indent: str = "") -> str:
    """Return a Python literal of nested lists for ``matrix``, one row per line."""
    rows = "".join(f"{indent}    {row!r},\n" for row in matrix.tolist())
    return f"[\n{rows}{indent}]"


def _call(function: str, literal: str) -> str:
    return f"{function}({literal})" if function else literal


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(_printable(text), COMMENT_WIDTH - 2) or [""]


def _printable(text: str) -> str:
    # A line break or a NUL byte inside a comment would end it or break the file,
    # and both may come from free text such as the project description.
    return "".join(char if char.isprintable() else " " for char in text)


# The command-line reader at the end of both scripts. Each script defines
# INPUT_COUNT and predict_rows(rows), which returns the outputs as lists of floats.
CSV_MAIN = '''

class InputError(ValueError):
    """A CSV input that is not rows of INPUT_COUNT finite numbers."""


def read_rows(stream, source):
    """Return the samples of a CSV stream as lists of floats; a first row of text is a header."""
    rows = []
    header_seen = False
    for line_number, fields in enumerate(csv.reader(stream), start=1):
        if not any(field.strip() for field in fields):
            continue
        try:
            row = [float(field) for field in fields]
        except ValueError:
            if rows or header_seen:
                raise InputError(
                    f"{source}, line {line_number}: {','.join(fields)!r} is not a row of "
                    f"numbers; give {INPUT_COUNT} numbers separated by commas"
                ) from None
            header_seen = True
            continue
        if len(row) != INPUT_COUNT:
            raise InputError(
                f"{source}, line {line_number}: expected {INPUT_COUNT} numbers, got "
                f"{len(row)}; give one number per input of the network"
            )
        if not all(math.isfinite(value) for value in row):
            raise InputError(
                f"{source}, line {line_number}: every input must be a finite number, "
                "not nan or inf"
            )
        rows.append(row)
    if not rows:
        raise InputError(f"{source}: no rows of numbers; give one sample per line")
    return rows


def main(argv=None):
    """Print the outputs for every row of the CSV file named in argv, or of standard input."""
    parser = argparse.ArgumentParser(
        description="Print the network's outputs for each row of a CSV file of inputs."
    )
    parser.add_argument(
        "csv",
        nargs="?",
        default="-",
        help=f"CSV file with one sample per row and {INPUT_COUNT} numbers per row; "
        "- or nothing reads standard input",
    )
    args = parser.parse_args(argv)
    source = "standard input" if args.csv == "-" else args.csv
    try:
        if args.csv == "-":
            rows = read_rows(sys.stdin, source)
        else:
            with open(args.csv, newline="", encoding="utf-8") as stream:
                rows = read_rows(stream, source)
    except OSError as error:
        print(f"error: {source}: cannot read the file ({error.strerror or error})", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"error: {source}: not UTF-8 text; save the CSV file as UTF-8", file=sys.stderr)
        return 2
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for outputs in predict_rows(rows):
        print(",".join(repr(value) for value in outputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''
