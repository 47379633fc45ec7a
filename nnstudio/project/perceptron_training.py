"""A project trained with the perceptron rule, continuing its history: used by the CLI and the GUI.

The rule minimizes no loss, but the project's history has one loss and one
accuracy per epoch, so that epochs keep their numbers and a saved project can
be trained further. Each perceptron epoch therefore records the mean squared
error (with the 1/2) and the accuracy of the step outputs on the whole dataset
after that epoch, whatever ``training.loss`` is. The misclassified count of
each epoch, the number that the rule itself makes, lives in the trainer's
records and is not saved.
"""

from __future__ import annotations

import math

from nnstudio.engine.errors import EngineError
from nnstudio.engine.history import History
from nnstudio.engine.losses import MeanSquaredError
from nnstudio.engine.network import copy_parameters
from nnstudio.engine.perceptron import (
    PerceptronResult,
    PerceptronTrainer,
    check_perceptron_network,
)
from nnstudio.engine.training import accuracy
from nnstudio.project.model import Project

# Reasons a run ends, as ProjectPerceptron.step returns them.
CONVERGED = "converged"
COMPLETED = "completed"


class ProjectPerceptron:
    """Apply the perceptron rule to a copy of a project's network, one sample per step.

    Samples are visited in the dataset's order, which makes every epoch depend
    on the weights alone, so a cycle of the weights is found when there is one.
    The run stops after the first epoch without a mistake, or at the history
    length ``project.run_target_epoch(epochs)``, as a backpropagation run does.
    """

    def __init__(self, project: Project, epochs: int | None = None) -> None:
        """Copy what the run needs; raises EngineError when the rule cannot train it."""
        done = project.history.epoch_count
        network = project.network()
        X = project.dataset.network_inputs().copy()
        y = project.dataset.y.copy()
        self.trainer = PerceptronTrainer(
            network, X, y, project.settings.learning_rate, first_epoch=done
        )
        self.history: History = project.history.copy()
        self.target_epochs = project.run_target_epoch(epochs)
        self._mse = MeanSquaredError()
        self._finished_epoch = False  # whether the last step ended an epoch

    @property
    def epoch(self) -> int:
        """Epochs in the history so far, the ones before this run included."""
        return self.trainer.epoch

    @property
    def misclassified(self) -> list[int]:
        """The misclassified count of every epoch of this run, first epoch first."""
        return self.trainer.result().misclassified

    def step(self) -> str:
        """Apply the rule to the next sample; return why the run ends now, or "" to go on."""
        self._finished_epoch = self.trainer.step()
        if not self._finished_epoch:
            return ""
        self._record_epoch()
        if self.trainer.converged:
            return CONVERGED
        if self.epoch >= self.target_epochs:
            return COMPLETED
        return ""

    def run_epoch(self) -> str:
        """Finish the current epoch; return why the run ends after it, or "" to go on."""
        while True:
            reason = self.step()
            if self._finished_epoch:
                return reason

    def result(self) -> PerceptronResult:
        return self.trainer.result()

    def store_in(self, project: Project) -> None:
        """Give ``project`` the weights and the history this run has reached."""
        project.parameters = copy_parameters(self.trainer.network.parameters)
        project.history = self.history.copy()

    def _record_epoch(self) -> None:
        network = self.trainer.network
        run = network.forward(self.trainer.X)
        output = run.output(network.spec)
        loss = network.loss_of(run, self.trainer.y, self._mse)
        self.history.append(loss, accuracy(output, self.trainer.y), math.nan)


def perceptron_problem(project: Project) -> str | None:
    """Return why the perceptron rule cannot train ``project``, or None when it can.

    This checks the drawing and the targets without touching the project's weights.
    """
    try:
        check_perceptron_network(project.network_spec())
    except EngineError as error:
        return str(error)
    if not project.dataset.is_classification:
        return (
            f"the perceptron rule needs targets of 0 or 1, but the dataset "
            f"{project.dataset.name!r} has other values; choose a classification dataset"
        )
    return None
