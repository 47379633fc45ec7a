"""The Qt-free half of a perceptron run: the rule one sample per step, and its snapshots.

A PerceptronRun replaces the TrainingRun when the project's training
algorithm is the perceptron rule. It offers what the worker uses of a
TrainingRun (step, snapshot, set_columns, view, trainer.set_learning_rate and
trainer.network), and its snapshots also carry the misclassified count of each
new epoch and, at the end, the outcome of the run.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from nnstudio.gui.training_run import TrainingRun, TrainingSnapshot, build_snapshot
from nnstudio.project.boundary import Extent, Plane, boundary_extent, has_boundary
from nnstudio.project.model import PERCEPTRON, Project
from nnstudio.project.perceptron_training import ProjectPerceptron


class PerceptronRun:
    """One run of the perceptron rule that continues the project's history."""

    def __init__(self, project: Project, run_id: int, columns: tuple[int, int] = (0, 1)) -> None:
        """Copy what the run needs from ``project``; raises EngineError when it cannot train."""
        self.training = ProjectPerceptron(project)
        # The worker sets the learning rate and hand-set weights through the trainer.
        self.trainer = self.training.trainer
        self.run_id = run_id
        self.target_epochs = self.training.target_epochs
        self.dataset = project.dataset.copy()
        self.view: tuple[Plane, Extent] | None = None
        if has_boundary(self.trainer.network):
            self.set_columns(columns)
        self._sent = self.training.epoch  # the last epoch already sent
        self._records_sent = 0  # trainer records already sent
        self._changed = False  # weights changed since the last snapshot

    @property
    def epoch(self) -> int:
        return self.training.epoch

    @property
    def changed(self) -> bool:
        return self._changed

    def step(self) -> str:
        """Apply the rule to one sample; return "converged" or "completed" at the end, else ""."""
        self._changed = True
        return self.training.step()

    def set_columns(self, columns: tuple[int, int]) -> None:
        """Draw the boundary over these two input columns from the next snapshot on."""
        self.view = (Plane(self.dataset, columns), boundary_extent(self.dataset.X, columns))

    def snapshot(self, final: bool = False, reason: str = "") -> TrainingSnapshot:
        history = self.training.history
        snapshot = build_snapshot(
            self.run_id,
            self.target_epochs,
            self.trainer.network,
            history,
            self._sent,
            self.view,
            final,
            reason,
        )
        self._sent = snapshot.epoch
        records = self.trainer.records[self._records_sent :]
        self._records_sent += len(records)
        self._changed = False

        result = self.trainer.result()
        return dataclasses.replace(
            snapshot,
            misclassified=np.array([record.misclassified for record in records], dtype=np.int64),
            outcome=result.message() if final and result.epochs else "",
        )


def make_run(
    project: Project, run_id: int, columns: tuple[int, int] = (0, 1)
) -> TrainingRun | PerceptronRun:
    """Return a run of the project's algorithm; raises EngineError when it cannot train."""
    if project.settings.algorithm == PERCEPTRON:
        return PerceptronRun(project, run_id, columns)
    return TrainingRun(project, run_id, columns)
