"""``nnstudio export``: write a project's network as ONNX, a NumPy script or a PyTorch script.

The command calls the same exporters as the app's File > Export menu. Nothing in
this module imports Qt, and onnx is imported only for ``--format onnx``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from nnstudio.cli_commands import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, CommandError, read_project
from nnstudio.export import (
    ExportError,
    export_numpy_script,
    export_onnx,
    export_pytorch_script,
)

# Each --format choice with its exporter and the name of what it writes, for the report line.
Exporter = Callable[..., None]
FORMATS: dict[str, tuple[Exporter, str]] = {
    "onnx": (export_onnx, "ONNX model"),
    "python": (export_numpy_script, "NumPy script"),
    "pytorch": (export_pytorch_script, "PyTorch script"),
}


def add_export_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``export`` command and its options to the ``nnstudio`` parser."""
    exporter = commands.add_parser(
        "export",
        prog="nnstudio export",
        help="write the network and its weights as ONNX, a NumPy script or a PyTorch script",
        description="Write the project's network with its current weights, including the "
        "dataset's input standardization, as a file that runs without nnstudio.",
    )
    exporter.add_argument("project", help="project file (.nnproj) to export")
    exporter.add_argument(
        "--format",
        required=True,
        choices=tuple(FORMATS),
        help="onnx: an ONNX model (needs the onnx package); python: a script that needs only "
        "NumPy; pytorch: a script that rebuilds the network in PyTorch",
    )
    exporter.add_argument("--out", required=True, metavar="FILE", help="file to write")


def run_export(args: argparse.Namespace) -> int:
    """Export the project in ``args.project`` as ``args.format`` to ``args.out``."""
    out = Path(args.out)
    _check_output_path(out)
    project = read_project(args.project)
    export, description = FORMATS[args.format]
    try:
        export(project, out, source=Path(args.project).name)
    except ExportError as error:
        raise CommandError(str(error), EXIT_FAILED) from None
    print(f"wrote the {description} of {args.project} to {out}", file=sys.stderr)
    return EXIT_OK


def _check_output_path(path: Path) -> None:
    if path.is_dir():
        raise CommandError(
            f"{path}: is a folder; give --out a file name such as network.onnx", EXIT_BAD_INPUT
        )
    if not path.parent.is_dir():
        raise CommandError(
            f"{path}: the folder {path.parent} does not exist; create it or choose another --out",
            EXIT_BAD_INPUT,
        )
