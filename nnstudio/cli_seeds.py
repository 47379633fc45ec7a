"""``nnstudio train PROJECT --seeds K``: train K copies of a project, one per seed, at once.

The copies start from the first weights of seeds S, S + 1, ..., S + K - 1, where
S is ``--seed`` or the project's seed, and train in one vectorized pass
(engine/multiseed.py). The command prints one line per seed and how many copies
reached the goal that project/many_seeds.py defines. It writes no project.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import Any

from nnstudio.cli_commands import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    CommandError,
    epoch_keys,
    read_project,
)
from nnstudio.cli_train_options import OptionConflict, apply_training_options
from nnstudio.engine.errors import EngineError
from nnstudio.engine.multiseed import ManySeedsResult, ManySeedsTrainer
from nnstudio.project.many_seeds import (
    SeedGoal,
    check_history_size,
    final_values,
    project_goal,
    seed_range,
    seeds_trainer,
)

PROGRESS_INTERVAL_SECONDS = 1.0


def run_seeds(args: argparse.Namespace) -> int:
    """Train ``args.seeds`` copies of ``args.project`` and print each one's outcome."""
    if args.out is not None:
        raise CommandError(
            "--seeds trains fresh copies and saves none of them; drop --out, or train one "
            "seed without --seeds to save it",
            EXIT_BAD_INPUT,
        )
    project = read_project(args.project)
    try:
        apply_training_options(args, project.settings)
    except OptionConflict as error:
        raise CommandError(str(error), EXIT_BAD_INPUT) from None
    if args.lr is not None:
        project.settings.learning_rate = args.lr
    if args.epochs is not None:
        project.settings.epochs = args.epochs
    first_seed = project.settings.seed if args.seed is None else args.seed
    try:
        seeds = seed_range(first_seed, args.seeds)
        check_history_size(len(seeds), project.settings.epochs)
    except EngineError as error:
        raise CommandError(str(error), EXIT_BAD_INPUT) from None

    goal = project_goal(project)
    trainer = seeds_trainer(project, seeds, goal)
    result = _train(trainer, show_progress=not args.json)

    if args.json:
        print(json.dumps(seeds_report(result, goal, trainer.epochs)))
    else:
        _print_report(result, goal, trainer.epochs)
    return EXIT_OK


def seeds_report(result: ManySeedsResult, goal: SeedGoal, max_epochs: int) -> dict[str, Any]:
    """Return the ``--json`` object: the goal, the count and one entry per seed.

    ``max_epochs`` is the epochs each copy may train, --epochs or training.epochs.
    """
    copies = []
    for index, seed in enumerate(result.seeds):
        loss, accuracy = final_values(result, index)
        # Each copy starts with an empty history, so its last epoch is the count it trained.
        trained = int(result.stop_epoch[index])
        copies.append(
            {
                "seed": seed,
                **epoch_keys(trained, trained),
                # JSON has no NaN: a regression's accuracy is null.
                "loss": None if math.isnan(loss) else loss,
                "accuracy": None if math.isnan(accuracy) else accuracy,
                "converged": bool(result.reached_goal[index]),
                "goal_epoch": int(result.goal_epoch[index]) or None,
                "diverged_at_epoch": int(result.diverged_epoch[index]) or None,
                # The older name of epochs_trained.
                "epochs": trained,
            }
        )
    return {
        "goal": goal.description,
        "max_epochs": max_epochs,
        "copies": len(result.seeds),
        "reached": result.count_reached,
        "seeds": copies,
        # The older name of max_epochs, kept as an alias like those of a single run.
        "epochs": max_epochs,
    }


def summary_line(result: ManySeedsResult, goal: SeedGoal, epochs: int) -> str:
    """Return "N of K reached the goal (...)", the line the window's dialog shows too."""
    return (
        f"{result.count_reached} of {len(result.seeds)} reached the goal "
        f"({goal.description} within {epochs:,} epochs)"
    )


def _train(trainer: ManySeedsTrainer, show_progress: bool) -> ManySeedsResult:
    last_report = time.monotonic()
    while not trainer.finished:
        trainer.run_epoch()
        now = time.monotonic()
        if show_progress and now - last_report >= PROGRESS_INTERVAL_SECONDS:
            last_report = now
            still = len(trainer.active)
            line = f"epoch {trainer.epoch}/{trainer.epochs}  {still} copies still training"
            print(line, file=sys.stderr, flush=True)
    return trainer.result()


def _print_report(result: ManySeedsResult, goal: SeedGoal, epochs: int) -> None:
    print(f"{'seed':>10}  {'epochs':>9}  {'loss':>12}  {'accuracy':>8}  converged")
    for index, seed in enumerate(result.seeds):
        loss, accuracy = final_values(result, index)
        shown_accuracy = "n/a" if math.isnan(accuracy) else f"{100 * accuracy:.4g}%"
        converged = "yes" if result.reached_goal[index] else "no"
        if result.diverged[index]:
            converged += f" (diverged at epoch {int(result.diverged_epoch[index])})"
        print(
            f"{seed:>10}  {int(result.stop_epoch[index]):>9}  {loss:>12.6g}  "
            f"{shown_accuracy:>8}  {converged}"
        )
    print(summary_line(result, goal, epochs))
