"""The ``nnstudio`` command: open the desktop app, or train and inspect projects headless.

``nnstudio [PROJECT]`` opens the window. ``nnstudio train``, ``nnstudio gradients``,
``nnstudio gradcheck`` and ``nnstudio export`` run on the same project files without a
window and without importing Qt; ``nnstudio figure`` imports Qt only when it runs, and
draws offscreen when there is no display.

Every error is one line on stderr. Exit status:

- 0: success, including a perceptron run that does not converge (its last line says so)
- 1: the engine rejects the request, the output file cannot be written, or a gradient
  check finds an error above its tolerance
- 2: a project file that cannot be read, invalid command-line arguments, or a network
  or dataset that the perceptron rule cannot train
- 3: training diverged
- 130: interrupted (Ctrl+C)
- 141: stdout was closed early, as by "| head"
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import NoReturn

from nnstudio import __version__, cli_commands, cli_export, cli_figure, cli_gradcheck
from nnstudio.cli_commands import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    CommandError,
)
from nnstudio.cli_train_options import add_training_options, number, whole_number
from nnstudio.engine.errors import EngineError
from nnstudio.project.fields import ProjectError
from nnstudio.project.model import MAX_SEED

# The same limits the project file accepts, so that a run's settings can always be saved.
from nnstudio.project.settings_format import MAX_EPOCHS, MAX_LEARNING_RATE

COMMANDS = ("open", "train", "gradients", "gradcheck", "export", "figure")

# 128 + SIGPIPE, the status a shell reports for a program killed by a closed pipe.
EXIT_BROKEN_PIPE = 141


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


def _reject_unknown_command(arguments: list[str]) -> None:
    """Raise CommandError for "nnstudio WORD FILE...", where WORD is no command and no file."""
    first = arguments[0] if arguments else ""
    if len(arguments) < 2 or first.startswith("-") or Path(first).suffix or Path(first).exists():
        return
    raise CommandError(
        f"unknown command {first!r}; the commands are {', '.join(COMMANDS)} "
        "(see 'nnstudio --help')",
        EXIT_BAD_INPUT,
    )


def _dispatch(arguments: list[str]) -> int:
    # "nnstudio PROJECT" and a bare "nnstudio" are short for "nnstudio open ...".
    if not arguments or arguments[0] not in (*COMMANDS, "-h", "--help", "--version"):
        _reject_unknown_command(arguments)
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
    if args.command == "figure":
        return cli_figure.run_figure(args)
    if args.command == "gradcheck":
        return cli_gradcheck.run_gradcheck(args)
    return cli_commands.run_gradients(args)


def build_parser() -> argparse.ArgumentParser:
    """Build the parser for every command; ``--help`` on each shows its options."""
    parser = _Parser(
        prog="nnstudio",
        usage="nnstudio [PROJECT] | "
        "nnstudio {train,gradients,gradcheck,export,figure} PROJECT [options]",
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
        type=whole_number(1, MAX_EPOCHS),
        metavar="N",
        help="epochs to train in this run (default: up to the project's training.epochs "
        "epochs in total, or that many more when the history already has them)",
    )
    trainer.add_argument(
        "--seed",
        type=whole_number(0, MAX_SEED),
        metavar="S",
        help="set the seed, draw new first weights from it and clear the history",
    )
    trainer.add_argument(
        "--lr",
        type=number(0.0, MAX_LEARNING_RATE, low_open=True),
        metavar="RATE",
        help="learning rate for this run; saved in --out",
    )
    trainer.add_argument(
        "--target-loss",
        type=number(0.0, math.inf),
        metavar="LOSS",
        help="stop after the first epoch whose loss on the training set is at most LOSS; "
        "saved in --out",
    )
    trainer.add_argument(
        "--out", metavar="FILE", help="write the trained project (weights and history) to FILE"
    )
    trainer.add_argument(
        "--json", action="store_true", help="print one JSON object with the result, no progress"
    )
    add_training_options(trainer)

    gradients = commands.add_parser(
        "gradients",
        prog="nnstudio gradients",
        help="print the output, loss and dLoss/dW, dLoss/db of every layer",
        description="Run the project's current weights on its whole dataset and print the "
        "network's output, the loss and the gradient of the loss for every layer. Both are "
        "those of the data loss, without the l1 and l2 penalty that training adds.",
    )
    gradients.add_argument("project", help="project file (.nnproj) to inspect")
    gradients.add_argument("--json", action="store_true", help="print one JSON object")

    cli_gradcheck.add_gradcheck_parser(commands)
    cli_export.add_export_parser(commands)
    cli_figure.add_figure_parser(commands)
    return parser


def _fail(message: str, status: int) -> int:
    # One line, whatever the message holds, so that scripts can read it.
    line = message.replace("\r", " ").replace("\n", " ")
    print(f"nnstudio: error: {line}", file=sys.stderr)
    return status
