"""``nnstudio train`` with the perceptron rule: misclassified counts as progress, then the outcome.

The run is the one the desktop app makes (ProjectPerceptron): one sample at a
time in the dataset's order, continuing the project's history, until the first
epoch without a mistake or the end of the run's epochs. A run that does not
converge still exits with status 0, as a backpropagation run that does not reach
its target does. Its last line states whether the data is proven not linearly
separable (the weights cycle) or the rule has simply not converged yet.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from nnstudio.cli_commands import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    PROGRESS_INTERVAL_SECONDS,
    PROGRESS_STEPS,
    CommandError,
    _write,
    epoch_keys,
    old_epoch_keys,
)
from nnstudio.engine.errors import EngineError
from nnstudio.engine.perceptron import PerceptronResult
from nnstudio.project.model import Project
from nnstudio.project.perceptron_training import ProjectPerceptron
from nnstudio.project.settings_format import settings_to_dict


def run_perceptron_train(project: Project, args: argparse.Namespace) -> int:
    """Train ``project`` with the perceptron rule and the options in ``args``; return the status.

    A network or dataset that the rule cannot train is bad input (status 2).
    """
    try:
        training = ProjectPerceptron(project, args.epochs)
    except EngineError as error:
        raise CommandError(str(error), EXIT_BAD_INPUT) from None
    first = training.epoch
    samples = len(training.trainer.X)
    progress = None if args.json else _Progress(first, training.target_epochs, samples)

    # train, one epoch at a time
    while True:
        reason = training.run_epoch()
        if progress is not None:
            progress.report(training, last=bool(reason))
        if reason:
            break

    training.store_in(project)
    if args.out is not None:
        _write(project, Path(args.out))

    result = training.result()
    if args.json:
        print(json.dumps(_result_object(project, training, result, args.out)))
    else:
        _print_summary(training, result, samples, args.out)
    return EXIT_OK


class _Progress:
    """Prints "epoch 3/50  misclassified 2 of 4" lines to stderr, as often as loss progress."""

    def __init__(self, first: int, target: int, samples: int) -> None:
        self.first = first
        self.target = target
        self.samples = samples
        self.tenths = 1
        self.last_time = time.monotonic()

    def report(self, training: ProjectPerceptron, last: bool) -> None:
        """Print the latest epoch after each tenth of the run, each second, and at the end."""
        epoch = training.epoch
        now = time.monotonic()
        due = last or epoch >= self._epoch_at(self.tenths)
        if not due and now - self.last_time < PROGRESS_INTERVAL_SECONDS:
            return

        while self._epoch_at(self.tenths) <= epoch:
            self.tenths += 1
        self.last_time = now
        count = training.trainer.records[-1].misclassified
        line = f"epoch {epoch}/{self.target}  misclassified {count} of {self.samples}"
        print(line, file=sys.stderr, flush=True)

    def _epoch_at(self, tenths: int) -> int:
        # The epoch at which the run has done ``tenths`` tenths of its epochs.
        span = self.target - self.first
        return self.first + -(-tenths * span // PROGRESS_STEPS)


def _print_summary(
    training: ProjectPerceptron, result: PerceptronResult, samples: int, out: str | None
) -> None:
    trained = len(result.epochs)
    count = result.epochs[-1].misclassified
    print(
        f"trained {trained} epochs ({training.epoch} in total) with the perceptron rule: "
        f"{count} of {samples} samples misclassified in the last epoch"
    )
    print(result.message())
    if out is None:
        print("the trained project was not saved; add --out FILE to keep it")
    else:
        print(f"wrote {out}")


def _result_object(
    project: Project, training: ProjectPerceptron, result: PerceptronResult, out: str | None
) -> dict[str, Any]:
    trained = len(result.epochs)
    return {
        **epoch_keys(trained, training.epoch),
        "algorithm": project.settings.algorithm,
        "misclassified": result.misclassified,
        "converged": result.converged,
        # The two epochs that end with the same weights, 0 for the first weights.
        "cycle_epochs": None if result.cycle_epochs is None else list(result.cycle_epochs),
        "cycle_length": result.cycle_length,
        "message": result.message(),
        "seed": project.settings.seed,
        "learning_rate": project.settings.learning_rate,
        # The settings as --out saves them: "epochs" here is the setting, not this run.
        "training": settings_to_dict(project.settings),
        "out": out,
        **old_epoch_keys(trained, training.epoch),
    }
