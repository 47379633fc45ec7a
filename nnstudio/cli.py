"""The ``nnstudio`` command: open the desktop app, or train and inspect projects headless.

``nnstudio [PROJECT]`` opens the window. ``nnstudio train``, ``nnstudio gradients`` and
``nnstudio export`` run on the same project files without a window and without importing Qt.

Every error is one line on stderr. Exit status:

- 0: success
- 1: the engine rejects the request, or the output file cannot be written
- 2: a project file that cannot be read, or invalid command-line arguments
- 3: training diverged
- 130: interrupted (Ctrl+C)
- 141: stdout was closed early, as by "| head"
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from nnstudio import __version__, cli_commands, cli_export
from nnstudio.cli_commands import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    CommandError,
)
from nnstudio.engine.errors import EngineError
from nnstudio.project.fields import ProjectError
from nnstudio.project.model import MAX_SEED

COMMANDS = ("open", "train", "gradients", "export")

# 128 + SIGPIPE, the status a shell reports for a program killed by a closed pipe.
EXIT_BROKEN_PIPE = 141

# The same limits the project file accepts, so that a run's settings can always be saved.
MAX_EPOCHS = 100_000_000
MAX_LEARNING_RATE = 1e3


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr, like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}; see '{self.prog} --help'\n")


def main(argv: list[str] | None = None) -> int:
    """Run the ``nnstudio`` command on ``argv`` (default: sys.argv[1:]); return its exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(arguments)
    except ProjectError as error:
        return _fail(str(error), EXIT_BAD_INPUT)
    except EngineError as error:
        return _fail(str(error), EXIT_FAILED)
    except CommandError as error:
        return _fail(str(error), error.status)
    except KeyboardInterrupt:
        return _fail("interrupted; nothing was written", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader of stdout went away (as with "| head"): stop quietly, and point
        # stdout at devnull so that the flush at exit cannot fail a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _dispatch(arguments: list[str]) -> int:
    # "nnstudio PROJECT" and a bare "nnstudio" are short for "nnstudio open ...".
    if not arguments or arguments[0] not in (*COMMANDS, "-h", "--help", "--version"):
        arguments.insert(0, "open")
    args = build_parser().parse_args(arguments)

    if args.command == "open":
        # Qt is imported only here, so the headless commands run without a display.
        from nnstudio.gui.app import main as run_app

        return run_app(args.project)

    if args.command == "train":
        return cli_commands.run_train(args)
    if args.command == "export":
        return cli_export.run_export(args)
    return cli_commands.run_gradients(args)


def build_parser() -> argparse.ArgumentParser:
    """Build the parser for every command; ``--help`` on each shows its options."""
    parser = _Parser(
        prog="nnstudio",
        usage="nnstudio [PROJECT] | nnstudio {train,gradients,export} PROJECT [options]",
        description="Draw a feed-forward neural network, train it live and watch it learn.",
        epilog="Run 'nnstudio COMMAND --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"nnstudio {__version__}")
    commands = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")

    opener = commands.add_parser(
        "open", prog="nnstudio open", help="open the desktop app (the default command)"
    )
    opener.add_argument("project", nargs="?", help="project file (.nnproj) to open")

    trainer = commands.add_parser(
        "train",
        prog="nnstudio train",
        help="train a project without a window",
        description="Train a project from its current weights and add the epochs to its history, "
        "as the Train button does. The trained project is written only with --out.",
    )
    trainer.add_argument("project", help="project file (.nnproj) to train")
    trainer.add_argument(
        "--epochs",
        type=_whole_number(1, MAX_EPOCHS),
        metavar="N",
        help="epochs to train in this run (default: up to the project's training.epochs "
        "epochs in total, or that many more when the history already has them)",
    )
    trainer.add_argument(
        "--seed",
        type=_whole_number(0, MAX_SEED),
        metavar="S",
        help="set the seed, draw new first weights from it and clear the history",
    )
    trainer.add_argument(
        "--lr",
        type=_positive_number(MAX_LEARNING_RATE),
        metavar="RATE",
        help="learning rate for this run; saved in --out",
    )
    trainer.add_argument(
        "--target-loss",
        type=_positive_number(math.inf, allow_zero=True),
        metavar="LOSS",
        help="stop early once the loss on the training set is at most LOSS",
    )
    trainer.add_argument(
        "--out", metavar="FILE", help="write the trained project (weights and history) to FILE"
    )
    trainer.add_argument(
        "--json", action="store_true", help="print one JSON object with the result, no progress"
    )

    gradients = commands.add_parser(
        "gradients",
        prog="nnstudio gradients",
        help="print the output, loss and dLoss/dW, dLoss/db of every layer",
        description="Run the project's current weights on its whole dataset and print the "
        "network's output, the loss and the gradient of the loss for every layer.",
    )
    gradients.add_argument("project", help="project file (.nnproj) to inspect")
    gradients.add_argument("--json", action="store_true", help="print one JSON object")

    cli_export.add_export_parser(commands)
    return parser


def _whole_number(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range; expected {low} to {high}")
        return value

    return parse


def _positive_number(high: float, allow_zero: bool = False) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        too_low = value < 0 if allow_zero else value <= 0
        if not math.isfinite(value) or too_low or value > high:
            lowest = "at least 0" if allow_zero else "above 0"
            limit = lowest if high == math.inf else f"{lowest} and at most {high:g}"
            raise argparse.ArgumentTypeError(f"{text} is out of range; expected a number {limit}")
        return value

    return parse


def _fail(message: str, status: int) -> int:
    # One line, whatever the message holds, so that scripts can read it.
    line = message.replace("\r", " ").replace("\n", " ")
    print(f"nnstudio: error: {line}", file=sys.stderr)
    return status
