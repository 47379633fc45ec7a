"""Training one project from many seeds at once, and the goal each copy is judged by.

Copy k of a project is the project's network with the first weights that seed
``first_seed + k`` draws, trained for ``settings.epochs`` epochs with the
project's other settings. The project's current weights and history play no
part. ``nnstudio train --seeds`` and Training > Train many seeds share this
module, so both report the same numbers for the same project and seeds.

The goal a copy must reach, decided from the project's settings:

1. ``target_loss`` when it is set: a training loss at most that value;
2. otherwise ``target_accuracy`` when it is set: a training accuracy at least that value;
3. otherwise, for class labels (every target 0 or 1): 100% training accuracy;
4. otherwise (a regression): a training loss at most REGRESSION_GOAL_LOSS.

A copy stops after the first epoch that meets the goal.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnstudio.engine.errors import EngineError
from nnstudio.engine.multiseed import Goal, ManySeedsResult, ManySeedsTrainer
from nnstudio.project.model import MAX_SEED, PERCEPTRON, Project

# The largest number of copies one request may train. Each copy keeps its
# weights, optimizer state and a loss history of ``epochs`` floats.
MAX_COPIES = 1000
# The maximum number of loss and accuracy values the copies' histories may
# hold together (copies × epochs). The engine allocates both in full at the start: at this
# limit that is 2 × 80 MB of float64.
MAX_HISTORY_VALUES = 10_000_000
# The loss a regression copy must reach when the settings name no target.
REGRESSION_GOAL_LOSS = 0.01


@dataclass(frozen=True)
class SeedGoal:
    """The rule a copy must meet, and the words that describe it to the user."""

    rule: Goal
    description: str


def project_goal(project: Project) -> SeedGoal:
    """Return the goal of ``project``'s copies, following the order in the module docstring."""
    s = project.settings
    if s.target_loss is not None:
        return SeedGoal(Goal(s.target_loss, None), f"training loss at most {s.target_loss:g}")
    if s.target_accuracy is not None:
        percent = f"{100 * s.target_accuracy:g}%"
        return SeedGoal(Goal(None, s.target_accuracy), f"training accuracy at least {percent}")
    if is_class_labels(project):
        return SeedGoal(Goal(None, 1.0), "100% training accuracy")
    return SeedGoal(
        Goal(REGRESSION_GOAL_LOSS, None),
        f"training loss at most {REGRESSION_GOAL_LOSS:g} (a regression with no target set)",
    )


def is_class_labels(project: Project) -> bool:
    """Return True when every target is 0 or 1, the rule the engine's accuracy follows."""
    y = project.dataset.y
    return bool(np.all((y == 0) | (y == 1)))


def seed_range(first_seed: int, copies: int) -> range:
    """Return the seeds first_seed, first_seed + 1, ...; raises EngineError when out of range."""
    if not 1 <= copies <= MAX_COPIES:
        raise EngineError(f"{copies} copies is out of range; choose from 1 to {MAX_COPIES} copies")
    last = first_seed + copies - 1
    if first_seed < 0 or last > MAX_SEED:
        raise EngineError(
            f"seeds {first_seed} to {last} go past the largest seed, {MAX_SEED}; "
            "choose a smaller first seed or fewer copies"
        )
    return range(first_seed, first_seed + copies)


def check_history_size(copies: int, epochs: int) -> None:
    """Raise EngineError when copies × epochs is above MAX_HISTORY_VALUES."""
    values = copies * epochs
    if values > MAX_HISTORY_VALUES:
        raise EngineError(
            f"{copies} copies of {epochs:,} epochs each need a history of "
            f"{values:,} values, more than the {MAX_HISTORY_VALUES:,} allowed; "
            "choose fewer copies or fewer epochs"
        )


def seeds_trainer(
    project: Project, seeds: Sequence[int], goal: SeedGoal, stop_at_goal: bool = True
) -> ManySeedsTrainer:
    """Return a trainer of one copy of ``project`` per seed, not yet started.

    With ``stop_at_goal`` False every copy trains all its epochs, and the result
    still records the first epoch at which each one met the goal.

    Raises GraphError for a drawing that is not a network, and EngineError for
    settings the many-seeds trainer does not support (a validation set, prelu
    layers, the perceptron rule), a dataset the network cannot train on, or
    copies × epochs above MAX_HISTORY_VALUES.
    """
    settings = copy.deepcopy(project.settings)
    if settings.algorithm == PERCEPTRON:
        raise EngineError(
            "training many seeds at once uses backpropagation, but the project's algorithm "
            "is the perceptron rule; choose backpropagation"
        )
    check_history_size(len(seeds), settings.epochs)
    dataset = project.dataset
    return ManySeedsTrainer(
        project.network_spec(),
        dataset.network_inputs().copy(),
        dataset.y.copy(),
        settings,
        list(seeds),
        initializer=settings.initializer,
        init_scale=settings.init_scale,
        bias_init=settings.bias_init,
        bias_value=settings.bias_value,
        goal=goal.rule,
        stop_at_goal=stop_at_goal,
    )


def train_seeds(project: Project, seeds: Sequence[int]) -> tuple[ManySeedsResult, SeedGoal]:
    """Train one copy of ``project`` per seed to the end, and return the result and the goal."""
    goal = project_goal(project)
    return seeds_trainer(project, seeds, goal).train(), goal


def final_values(result: ManySeedsResult, index: int) -> tuple[float, float]:
    """Return copy ``index``'s loss and accuracy after its last epoch (NaN for no epoch)."""
    epochs = int(result.stop_epoch[index])
    if epochs == 0:
        return float("nan"), float("nan")
    return float(result.loss[index, epochs - 1]), float(result.accuracy[index, epochs - 1])
