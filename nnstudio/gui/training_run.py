"""The Qt-free half of the training worker: one run's trainer, its controls and its snapshots.

A TrainingRun is built from a Project in the GUI thread and then used only by
the worker thread. RunControl is the one object both threads touch; every
field of it is read and written under its condition's lock.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from nnstudio.engine.network import Network, Parameters, copy_parameters
from nnstudio.engine.training import History, Trainer
from nnstudio.gui.weight_values import WeightRef, write_value
from nnstudio.project.boundary import (
    BOUNDARY_LEVEL,
    Extent,
    Plane,
    boundary_extent,
    boundary_grid,
    has_boundary,
)
from nnstudio.project.contour import contour_segments
from nnstudio.project.model import Project

BOUNDARY_RESOLUTION = 100


@dataclass
class TrainingSnapshot:
    """The data that crosses the thread boundary: copies that the worker no longer touches.

    ``loss`` and ``accuracy`` hold only the epochs finished since the previous
    snapshot of the run (the final snapshot included) that the worker's history
    still keeps, so the receiver appends them to the history it keeps.
    """

    run_id: int
    epoch: int  # epochs in the project's history so far
    target_epochs: int  # history length at which this run stops
    loss: NDArray[np.float64]
    accuracy: NDArray[np.float64]  # NaN where the targets are not class labels
    parameters: Parameters
    grid: NDArray[np.float32] | None  # boundary_grid of the weights; None without two inputs
    extent: Extent | None
    final: bool
    # "" while running; at the end "completed", "target loss reached", "stopped",
    # "diverged" or "error", and "converged" for a perceptron run (perceptron_run.py)
    reason: str
    # The traceback of an unexpected error, for the message's details; "" otherwise.
    details: str = ""
    # Validation loss of the same epochs as ``loss``, NaN without a validation set.
    validation_loss: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    # The epoch number of each entry of ``loss``. The worker's history is bounded
    # (engine/history.py), so a long run may send fewer entries than epochs.
    epochs: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Perceptron runs only (perceptron_run.py): the misclassified count of every epoch
    # finished since the previous snapshot, the last one being epoch ``epoch``, and in
    # the final snapshot the outcome, such as "converged after 6 epochs: ...".
    misclassified: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    outcome: str = ""
    # contour_segments(grid, BOUNDARY_LEVEL), computed here so the GUI thread only draws
    # it; None when ``grid`` is None.
    contour: NDArray[np.float64] | None = None


class TrainingRun:
    """One run: a Trainer that continues the project's history, and the snapshots it sends."""

    def __init__(self, project: Project, run_id: int, columns: tuple[int, int] = (0, 1)) -> None:
        """Copy what the run needs from ``project``; raises EngineError when it cannot train."""
        # Copies only: the GUI thread keeps using the project while the run trains.
        settings = copy.deepcopy(project.settings)
        network = project.network()
        X, y = project.dataset.network_inputs().copy(), project.dataset.y.copy()
        self.trainer = Trainer(network, X, y, settings)
        # Continue the project's history, so epoch numbers and the divergence message
        # count from the project's first epoch.
        history = project.history
        self.trainer.history = history.copy()
        self.trainer.epoch = history.epoch_count

        self.run_id = run_id
        done = history.epoch_count
        self.target_epochs = project.run_target_epoch()
        self.dataset = project.dataset.copy()
        # The plane and extent of the boundary, replaced as one tuple when the GUI
        # picks other input columns, so the worker never sees half of a change.
        self.view: tuple[Plane, Extent] | None = None
        if has_boundary(network):
            self.set_columns(columns)
        self._sent = done  # the last epoch already sent
        self._changed = False  # weights changed since the last snapshot

    @property
    def epoch(self) -> int:
        return self.trainer.history.epoch_count

    @property
    def changed(self) -> bool:
        return self._changed

    def step(self) -> str:
        """Apply one batch update; return why the run ends now, or "" to go on.

        Raises TrainingDiverged, with the trainer's weights back at the last
        finite ones.
        """
        self._changed = True
        if not self.trainer.step():
            return ""
        if self.epoch >= self.target_epochs:
            return "completed"
        if self.trainer.reached_target():
            return self.trainer.stop_reason or "target reached"
        return ""

    def set_columns(self, columns: tuple[int, int]) -> None:
        """Draw the boundary over these two input columns from the next snapshot on."""
        self.view = (Plane(self.dataset, columns), boundary_extent(self.dataset.X, columns))

    def snapshot(self, final: bool = False, reason: str = "") -> TrainingSnapshot:
        snapshot = build_snapshot(
            self.run_id,
            self.target_epochs,
            self.trainer.network,
            self.trainer.history,
            self._sent,
            self.view,
            final,
            reason,
        )
        self._sent = snapshot.epoch
        self._changed = False
        return snapshot


def build_snapshot(
    run_id: int,
    target_epochs: int,
    network: Network,
    history: History,
    sent: int,
    view: tuple[Plane, Extent] | None,
    final: bool,
    reason: str,
) -> TrainingSnapshot:
    """Return the snapshot of a run: the epochs after epoch ``sent``, weights and boundary."""
    grid = extent = contour = None
    if view is not None:
        plane, extent = view
        grid = boundary_grid(network, extent, BOUNDARY_RESOLUTION, plane)
        contour = contour_segments(grid, BOUNDARY_LEVEL)

    # The epochs since the last snapshot that the bounded history still keeps.
    new = history.epochs > sent
    return TrainingSnapshot(
        run_id=run_id,
        epoch=history.epoch_count,
        target_epochs=target_epochs,
        loss=history.loss[new],
        accuracy=history.accuracy[new],
        validation_loss=history.validation_loss[new],
        epochs=history.epochs[new],
        parameters=copy_parameters(network.parameters),
        grid=grid,  # a new array on every call
        extent=extent,
        contour=contour,
        final=final,
        reason=reason,
    )


@dataclass
class Turn:
    """The worker's next move: stop, or take one step (with new settings first).

    ``weight_edits`` are values set by hand while the run was paused, oldest
    first; the worker applies them before the step, or before its final
    snapshot when it stops.
    """

    stop: bool
    learning_rate: float | None
    weight_edits: list[tuple[WeightRef, float]] = field(default_factory=list)
    # Optimizer and penalty settings changed mid-run, as Trainer.change_settings takes them.
    settings: dict[str, float] = field(default_factory=dict)


def apply_weight_edits(parameters: Parameters, edits: list[tuple[WeightRef, float]]) -> None:
    """Write hand-set values into ``parameters``, in the order they were made."""
    for ref, value in edits:
        write_value(parameters, ref, value)


class RunControl:
    """Pause, resume, single steps and stop, set from the GUI thread and obeyed by the worker.

    Invariant: the worker takes a step only while not stopped and either not
    paused or with a single step granted (``_steps`` > 0).
    """

    def __init__(self, paused: bool = False) -> None:
        self._condition = threading.Condition()
        self._paused = paused
        self._steps = 0
        self._stopped = False
        self._learning_rate: float | None = None
        self._settings: dict[str, float] = {}
        self._ended = False
        self._displaying = False
        self._weight_edits: list[tuple[WeightRef, float]] = []

    @property
    def ended(self) -> bool:
        """True once the worker has left its run loop for good."""
        with self._condition:
            return self._ended

    def end(self) -> None:
        with self._condition:
            self._ended = True
            self._stopped = True

    def pause(self) -> None:
        with self._condition:
            self._paused = True
            self._steps = 0

    def resume(self) -> None:
        with self._condition:
            self._paused = False
            self._steps = 0
            self._condition.notify_all()

    def step(self) -> None:
        """Grant one more step, then pause; a running worker finishes its current step first."""
        with self._condition:
            self._steps = self._steps + 1 if self._paused else 1
            self._paused = True
            self._condition.notify_all()

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify_all()

    def set_learning_rate(self, value: float) -> None:
        with self._condition:
            self._learning_rate = value

    def change_setting(self, key: str, value: float) -> None:
        """Hand a changed optimizer or penalty setting to the worker, for its next step."""
        with self._condition:
            self._settings[key] = value

    def queue_weight_edit(self, ref: WeightRef, value: float) -> None:
        """Hand a value set by hand in the GUI to the worker, for its next turn."""
        with self._condition:
            self._weight_edits.append((ref, value))

    def expect_display(self) -> None:
        """Mark a snapshot as on its way to the GUI; call this before emitting it."""
        with self._condition:
            self._displaying = True

    def wait_until_displayed(self, timeout: float) -> None:
        """Block the worker until the GUI has drawn that snapshot, a stop, or ``timeout`` s.

        The engine's loop holds the GIL almost all the time, and every PySide and
        pyqtgraph call in the GUI thread has to win it back. Without this pause, a
        redraw that takes 5 ms on its own took seconds while training ran.
        """
        with self._condition:
            self._condition.wait_for(lambda: not self._displaying or self._stopped, timeout)
            self._displaying = False

    def displayed(self) -> None:
        """Tell a waiting worker that the GUI has drawn the snapshot it sent."""
        with self._condition:
            self._displaying = False
            self._condition.notify_all()

    def next_turn(self, before_waiting: Callable[[], None]) -> Turn:
        """Block while paused; ``before_waiting`` runs once, without the lock, before blocking."""
        with self._condition:
            will_wait = self._must_wait()
        if will_wait:
            before_waiting()
        with self._condition:
            while self._must_wait():
                self._condition.wait()
            edits, self._weight_edits = self._weight_edits, []
            if self._stopped:
                return Turn(stop=True, learning_rate=None, weight_edits=edits)
            if self._paused:
                self._steps -= 1
            learning_rate, self._learning_rate = self._learning_rate, None
            settings, self._settings = self._settings, {}
            return Turn(False, learning_rate, edits, settings)

    def _must_wait(self) -> bool:
        return self._paused and self._steps == 0 and not self._stopped
