"""The options of ``nnstudio train`` that set training settings, and their number parsers.

Each option replaces one field of the project's ``training`` object for this run,
and ``--out`` saves it. The ranges are those the project file accepts, so a
run's settings can always be saved and opened again.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from nnstudio.engine.losses import LOSSES
from nnstudio.engine.optimizers import OPTIMIZERS
from nnstudio.engine.training import BATCH_MODES, DTYPES
from nnstudio.project.many_seeds import MAX_COPIES, MAX_HISTORY_VALUES, REGRESSION_GOAL_LOSS
from nnstudio.project.model import ALGORITHMS, Settings
from nnstudio.project.settings_format import (
    MAX_EPOCHS,
    MAX_PENALTY,
    MAX_VALIDATION_FRACTION,
)

MAX_BATCH_SIZE = 1_000_000


class OptionConflict(Exception):
    """Two options that cannot be given together; the message names both."""


def add_training_options(parser: argparse.ArgumentParser) -> None:
    """Add the options that change the optimizer, batches, loss, penalty, dtype and stopping."""
    group = parser.add_argument_group("training settings (each is saved in --out)")

    # algorithm
    group.add_argument(
        "--algorithm",
        choices=ALGORITHMS,
        help="backpropagation: gradient descent on the loss through every layer; perceptron: "
        "Rosenblatt's rule for one layer of step units, one sample at a time in the dataset's "
        "order, which uses no loss, optimizer or batches",
    )

    # optimizer
    group.add_argument("--optimizer", choices=OPTIMIZERS, help="update rule")
    group.add_argument(
        "--momentum", type=number(0.0, 1.0), metavar="M", help="momentum coefficient, 0 to 1"
    )
    group.add_argument(
        "--adam-beta1",
        type=number(0.0, 1.0, high_open=True),
        metavar="B",
        help="Adam's decay rate of the mean gradient, at least 0 and below 1",
    )
    group.add_argument(
        "--adam-beta2",
        type=number(0.0, 1.0, high_open=True),
        metavar="B",
        help="Adam's decay rate of the mean squared gradient, at least 0 and below 1",
    )
    group.add_argument(
        "--adam-eps",
        type=number(0.0, 1.0, low_open=True),
        metavar="EPS",
        help="Adam's term added to the root of the mean squared gradient, above 0, at most 1",
    )

    # batches
    group.add_argument(
        "--batch-mode",
        choices=BATCH_MODES,
        help="full: one update per epoch; minibatch: batches of --batch-size; "
        "stochastic: one sample per update",
    )
    group.add_argument(
        "--batch-size",
        type=whole_number(1, MAX_BATCH_SIZE),
        metavar="N",
        help="samples per batch; implies --batch-mode minibatch",
    )

    # loss and precision
    group.add_argument("--loss", choices=tuple(LOSSES), help="loss function")
    group.add_argument(
        "--l1",
        type=number(0.0, MAX_PENALTY),
        metavar="L1",
        help="L1 penalty coefficient on the weights: adds L1 * sum |W| to the loss",
    )
    group.add_argument(
        "--l2",
        type=number(0.0, MAX_PENALTY),
        metavar="L2",
        help="L2 penalty coefficient on the weights: adds L2 / 2 * sum W^2 to the loss",
    )
    group.add_argument(
        "--dtype", choices=tuple(DTYPES), help="floating-point type of the network and data"
    )

    # stopping
    group.add_argument(
        "--target-accuracy",
        type=number(0.0, 1.0),
        metavar="FRACTION",
        help="stop after the first epoch whose training accuracy is at least FRACTION (0 to 1)",
    )
    group.add_argument(
        "--validation-fraction",
        type=number(0.0, MAX_VALIDATION_FRACTION),
        metavar="FRACTION",
        help="fraction of the samples (0 to 0.5) held out as a validation set, drawn from the seed",
    )
    group.add_argument(
        "--patience",
        type=whole_number(0, MAX_EPOCHS),
        metavar="N",
        help="stop after N epochs without a lower validation loss and restore the weights of "
        "the best epoch; 0 turns early stopping off",
    )
    _add_seeds_option(parser)


def _add_seeds_option(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "many seeds",
        "With --seeds K, train K fresh copies from the first weights of seeds S to S+K-1 "
        "(S is --seed or the project's seed), each for --epochs or training.epochs epochs, "
        "all at once. Each copy stops when it reaches the goal: training loss at most "
        "--target-loss when set, else training accuracy at least --target-accuracy when "
        f"set, else 100% accuracy for class labels, else (a regression) a loss at most "
        f"{REGRESSION_GOAL_LOSS:g}. Prints one line per seed and how many reached the goal; "
        "writes no project, so --out cannot be used. A validation set is not supported. "
        "See docs/many-seeds.md.",
    )
    group.add_argument(
        "--seeds",
        type=whole_number(1, MAX_COPIES),
        metavar="K",
        help=f"number of copies to train, 1 to {MAX_COPIES}; K times the epochs may be at "
        f"most {MAX_HISTORY_VALUES:,}",
    )


def apply_training_options(args: argparse.Namespace, settings: Settings) -> None:
    """Copy every given option into ``settings``; raises OptionConflict for a conflict."""
    if args.batch_size is not None:
        if args.batch_mode not in (None, "minibatch"):
            raise OptionConflict(
                f"--batch-size sets minibatch mode, but --batch-mode is {args.batch_mode}; "
                "drop one of the two options"
            )
        settings.batch_mode = "minibatch"
        settings.batch_size = args.batch_size

    for option in (
        "algorithm",
        "optimizer",
        "momentum",
        "adam_beta1",
        "adam_beta2",
        "adam_eps",
        "batch_mode",
        "loss",
        "l1",
        "l2",
        "dtype",
        "target_loss",
        "target_accuracy",
        "validation_fraction",
        "patience",
    ):
        value = getattr(args, option)
        if value is not None:
            setattr(settings, option, value)


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """Return an argparse type that reads a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range; expected {low} to {high}")
        return value

    return parse


def number(
    low: float, high: float, low_open: bool = False, high_open: bool = False
) -> Callable[[str], float]:
    """Return an argparse type that reads a finite number between ``low`` and ``high``.

    ``low_open`` and ``high_open`` exclude the bound itself.
    """
    lowest = f"above {low:g}" if low_open else f"at least {low:g}"
    highest = f"below {high:g}" if high_open else f"at most {high:g}"
    expected = lowest if high == math.inf else f"{lowest} and {highest}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        too_low = value <= low if low_open else value < low
        too_high = value >= high if high_open else value > high
        if not math.isfinite(value) or too_low or too_high:
            raise argparse.ArgumentTypeError(
                f"{text} is out of range; expected a number {expected}"
            )
        return value

    return parse
