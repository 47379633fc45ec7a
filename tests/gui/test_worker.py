"""The training worker and its controller, driven as the main window drives them."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import QObject, Slot

from nnstudio.engine.errors import EngineError, TrainingDiverged
from nnstudio.engine.network import Parameters
from nnstudio.engine.training import History, Trainer
from nnstudio.gui.training_run import TrainingRun
from nnstudio.gui.worker import TrainingController, TrainingSnapshot
from nnstudio.project.datasets import Dataset
from nnstudio.project.model import Project, default_project

WAIT_MS = 10_000  # generous upper bound for any single wait; runs take well under a second
FOREVER = 10**9  # epochs for runs that only end when the test stops them


class Recorder(QObject):
    """Collects what the controller reports, in the GUI thread."""

    def __init__(self, controller: TrainingController) -> None:
        super().__init__()
        self.snapshots: list[TrainingSnapshot] = []
        self.finished: list[TrainingSnapshot] = []
        self.failed: list[tuple[str, TrainingSnapshot]] = []
        self.states: list[str] = []
        controller.snapshot_received.connect(self.on_snapshot)
        controller.run_finished.connect(self.on_finished)
        controller.run_failed.connect(self.on_failed)
        controller.state_changed.connect(self.on_state)

    @Slot(object)
    def on_snapshot(self, snapshot: TrainingSnapshot) -> None:
        self.snapshots.append(snapshot)

    @Slot(object)
    def on_finished(self, snapshot: TrainingSnapshot) -> None:
        self.finished.append(snapshot)

    @Slot(str, object)
    def on_failed(self, message: str, snapshot: TrainingSnapshot) -> None:
        self.failed.append((message, snapshot))

    @Slot(str)
    def on_state(self, state: str) -> None:
        self.states.append(state)

    @property
    def epoch(self) -> int:
        return self.snapshots[-1].epoch if self.snapshots else 0

    def loss(self) -> np.ndarray:
        ends = [s for s in self.finished] + [s for _, s in self.failed]
        return np.concatenate([s.loss for s in self.snapshots + ends])


@pytest.fixture
def controller(qtbot: object) -> Iterator[TrainingController]:
    controller = TrainingController()
    yield controller
    controller.shutdown()


@pytest.fixture
def recorder(controller: TrainingController) -> Recorder:
    return Recorder(controller)


def _project(epochs: int = 1000, **settings: object) -> Project:
    project = default_project()
    project.settings.epochs = epochs
    for name, value in settings.items():
        setattr(project.settings, name, value)
    return project


def _regression_project(learning_rate: float) -> Project:
    """A 2-4-1 tanh/identity network fitting 3 (x1 + x2): with a large rate the loss explodes."""
    project = default_project()
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    project.set_dataset(Dataset(X, 3.0 * X.sum(axis=1, keepdims=True)))
    project.output_layer().activation = "identity"
    project.settings.learning_rate = learning_rate
    return project


def _headless(project: Project) -> Trainer:
    return Trainer(
        project.network(), project.dataset.X, project.dataset.y, copy.deepcopy(project.settings)
    )


def _assert_same_parameters(a: Parameters, b: Parameters) -> None:
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name].W, b[name].W)
        np.testing.assert_array_equal(a[name].b, b[name].b)


def _all_finite(parameters: Parameters) -> bool:
    return all(np.isfinite(p.W).all() and np.isfinite(p.b).all() for p in parameters.values())


def _wait_for_snapshot(qtbot, recorder: Recorder) -> None:
    qtbot.waitUntil(lambda: len(recorder.snapshots) > 0, timeout=WAIT_MS)


# whole runs


@pytest.mark.parametrize("batch_mode", ["full", "minibatch"])
def test_run_matches_a_headless_trainer_bit_for_bit(qtbot, controller, recorder, batch_mode):
    project = _project(batch_mode=batch_mode, batch_size=2)
    with qtbot.waitSignal(controller.run_finished, timeout=WAIT_MS):
        controller.start(project)

    trainer = _headless(project)
    trainer.train(project.settings.epochs)
    final = recorder.finished[0]
    assert final.final
    assert final.reason == "completed"
    assert final.epoch == final.target_epochs == 1000
    assert np.array_equal(recorder.loss(), trainer.history.loss)
    _assert_same_parameters(final.parameters, trainer.network.parameters)
    assert controller.state == "idle"
    assert recorder.states == ["running", "idle"]


def test_snapshots_carry_accuracy_and_the_boundary(qtbot, controller, recorder):
    with qtbot.waitSignal(controller.run_finished, timeout=WAIT_MS):
        controller.start(_project(epochs=2000, learning_rate=2.0))
    final = recorder.finished[0]
    accuracy = np.concatenate([s.accuracy for s in recorder.snapshots + [final]])
    assert len(accuracy) == 2000
    assert accuracy[-1] == 1.0
    assert final.extent == (-0.5, 1.5, -0.5, 1.5)
    assert final.grid is not None
    assert final.grid.shape == (100, 100)
    # XOR learned: low at (0, 0) (row 25, column 25), high at (1, 0) (row 25, column 74)
    assert final.grid[25, 25] < 0.2
    assert final.grid[25, 74] > 0.8


def test_run_continues_the_project_history():
    project = _project(epochs=1000)
    project.history = History([0.3] * 400, [0.5] * 400)
    assert TrainingRun(project, 1).target_epochs == 1000  # finishes the planned epochs
    project.history = History([0.3] * 1000, [0.5] * 1000)
    run = TrainingRun(project, 1)
    assert run.target_epochs == 2000  # already there: another 1000
    assert run.snapshot().epoch == 1000
    assert len(run.snapshot().loss) == 0


def test_target_loss_ends_the_run(qtbot, controller, recorder):
    with qtbot.waitSignal(controller.run_finished, timeout=WAIT_MS):
        controller.start(_project(epochs=FOREVER, target_loss=0.05))
    final = recorder.finished[0]
    loss = recorder.loss()
    assert final.reason == "target loss reached"
    assert loss[-1] <= 0.05 < loss[-2]
    assert final.epoch == len(loss)


# pause, resume, step, stop


def test_pause_holds_the_epoch_and_resume_continues(qtbot, controller, recorder):
    controller.start(_project(epochs=FOREVER))
    _wait_for_snapshot(qtbot, recorder)
    controller.pause()
    assert controller.state == "paused"
    qtbot.wait(100)  # snapshots already on their way arrive
    held, count = recorder.epoch, len(recorder.snapshots)
    qtbot.wait(250)
    assert (recorder.epoch, len(recorder.snapshots)) == (held, count)

    controller.resume()
    assert controller.state == "running"
    qtbot.waitUntil(lambda: recorder.epoch > held + 10, timeout=WAIT_MS)
    controller.pause()
    qtbot.wait(100)
    held = recorder.epoch
    with qtbot.waitSignal(controller.run_finished, timeout=WAIT_MS):
        controller.stop()
    assert recorder.finished[0].epoch == held  # nothing ran while paused


def test_step_when_idle_takes_one_full_batch_epoch_and_pauses(qtbot, controller, recorder):
    project = _project()
    controller.step(project)
    assert controller.state == "paused"
    _wait_for_snapshot(qtbot, recorder)
    qtbot.wait(200)
    assert len(recorder.snapshots) == 1
    snapshot = recorder.snapshots[0]
    assert snapshot.epoch == 1
    assert len(snapshot.loss) == 1

    trainer = _headless(project)
    assert trainer.step()
    _assert_same_parameters(snapshot.parameters, trainer.network.parameters)
    assert snapshot.loss[0] == trainer.history.loss[0]

    controller.step()
    qtbot.waitUntil(lambda: len(recorder.snapshots) == 2, timeout=WAIT_MS)
    assert recorder.epoch == 2
    assert controller.state == "paused"


def test_step_takes_one_minibatch(qtbot, controller, recorder):
    project = _project(batch_mode="minibatch", batch_size=2)  # two batches per epoch
    trainer = _headless(project)
    controller.step(project)
    _wait_for_snapshot(qtbot, recorder)
    assert not trainer.step()
    snapshot = recorder.snapshots[0]
    assert snapshot.epoch == 0
    assert len(snapshot.loss) == 0
    _assert_same_parameters(snapshot.parameters, trainer.network.parameters)

    controller.step()
    qtbot.waitUntil(lambda: len(recorder.snapshots) == 2, timeout=WAIT_MS)
    assert trainer.step()
    assert recorder.epoch == 1
    _assert_same_parameters(recorder.snapshots[1].parameters, trainer.network.parameters)


def test_step_while_running_pauses(qtbot, controller, recorder):
    controller.start(_project(epochs=FOREVER))
    _wait_for_snapshot(qtbot, recorder)
    controller.step()
    assert controller.state == "paused"
    qtbot.wait(100)
    held = recorder.epoch
    qtbot.wait(200)
    assert recorder.epoch == held


def test_step_when_idle_needs_the_project(controller):
    with pytest.raises(ValueError, match="needs the project"):
        controller.step()
    assert controller.state == "idle"


def test_learning_rate_changes_at_the_next_step(qtbot, controller, recorder):
    project = _project(learning_rate=0.5)
    controller.step(project)
    _wait_for_snapshot(qtbot, recorder)
    controller.set_learning_rate(3.0)
    controller.step()
    qtbot.waitUntil(lambda: len(recorder.snapshots) == 2, timeout=WAIT_MS)

    trainer = _headless(project)
    trainer.step()
    trainer.set_learning_rate(3.0)
    trainer.step()
    # same run, not a restart
    np.testing.assert_array_equal(recorder.loss(), trainer.history.loss)
    _assert_same_parameters(recorder.snapshots[1].parameters, trainer.network.parameters)


def test_stop_returns_promptly_with_finite_weights(qtbot, controller, recorder):
    controller.start(_project(epochs=FOREVER))
    _wait_for_snapshot(qtbot, recorder)
    started = time.monotonic()
    with qtbot.waitSignal(controller.run_finished, timeout=WAIT_MS):
        controller.stop()
        assert time.monotonic() - started < 0.1
        assert controller.state == "idle"
    final = recorder.finished[0]
    assert final.final
    assert final.reason == "stopped"
    assert final.epoch >= recorder.snapshots[-1].epoch
    assert _all_finite(final.parameters)


# failures


def test_divergence_reports_the_epoch_and_keeps_finite_weights(qtbot, controller, recorder):
    project = _regression_project(learning_rate=1e6)
    trainer = _headless(project)
    with pytest.raises(TrainingDiverged) as diverged:
        trainer.train(project.settings.epochs)

    with qtbot.waitSignal(controller.run_failed, timeout=WAIT_MS):
        controller.start(project)
    message, final = recorder.failed[0]
    assert f"diverged at epoch {diverged.value.epoch}" in message
    assert "learning rate 1e+06" in message
    assert final.final
    assert final.reason == "diverged"
    assert final.epoch == diverged.value.epoch - 1
    assert _all_finite(final.parameters)
    _assert_same_parameters(final.parameters, trainer.network.parameters)
    assert recorder.finished == []
    assert controller.state == "idle"


def test_an_engine_error_in_the_loop_reaches_the_user(qtbot, controller, recorder):
    project = _project()
    project.layer("hidden 1").activation = "step"  # cannot backpropagate
    with qtbot.waitSignal(controller.run_failed, timeout=WAIT_MS):
        controller.start(project)
    message, final = recorder.failed[0]
    assert "cannot backpropagate" in message
    assert "'hidden 1'" in message
    assert final.reason == "error"
    assert final.epoch == 0


def test_a_project_that_cannot_train_is_refused_at_start(controller, recorder):
    project = _project()
    project.settings.loss = "cross_entropy"  # needs a softmax output
    with pytest.raises(EngineError, match="softmax"):
        controller.start(project)
    assert controller.state == "idle"
    assert recorder.states == []


# runs replacing runs, and closing


def test_a_second_start_drops_late_snapshots_of_the_first(qtbot, controller, recorder):
    controller.start(_project(epochs=FOREVER))
    first = controller.run_id
    late = LateProbe(controller)
    time.sleep(0.3)  # the GUI is busy; the first run's snapshots queue up meanwhile

    controller.start(_project(epochs=FOREVER, learning_rate=1.0))
    second = controller.run_id
    late.armed = True
    qtbot.waitUntil(lambda: len(recorder.snapshots) >= 3, timeout=WAIT_MS)
    assert late.count > 0  # the first run's snapshots did arrive late ...
    assert {s.run_id for s in recorder.snapshots} == {second} != {first}  # ... and were dropped
    assert recorder.finished == []  # the first run's "stopped" too
    assert controller.state == "running"


class LateProbe(QObject):
    """Counts the current worker's snapshots that arrive once ``armed``."""

    def __init__(self, controller: TrainingController) -> None:
        super().__init__()
        self.armed = False
        self.count = 0
        controller._runs[controller.run_id].worker.progressed.connect(self.on_progressed)

    @Slot(object)
    def on_progressed(self, snapshot: TrainingSnapshot) -> None:
        self.count += self.armed


def test_shutdown_while_running_joins_quickly(qtbot, controller, recorder):
    controller.start(_project(epochs=FOREVER))
    _wait_for_snapshot(qtbot, recorder)
    started = time.monotonic()
    controller.shutdown()
    assert time.monotonic() - started < 2.0
    assert controller.state == "idle"
    controller.shutdown()  # twice is fine

    # the stopped run's last results, queued before the join, stay out of a reset project
    received = len(recorder.snapshots)
    qtbot.wait(200)
    assert len(recorder.snapshots) == received
    assert recorder.finished == []


def test_shutdown_while_idle_is_harmless_and_the_controller_stays_usable(
    qtbot, controller, recorder
):
    controller.shutdown()
    controller.shutdown()
    assert controller.state == "idle"
    with qtbot.waitSignal(controller.run_finished, timeout=WAIT_MS):
        controller.start(_project(epochs=10))
    assert recorder.finished[0].epoch == 10


def test_closing_during_a_run_ends_the_process_cleanly():
    script = textwrap.dedent(
        """
        import gc
        from PySide6.QtCore import QCoreApplication, QTimer
        from nnstudio.gui.worker import TrainingController
        from nnstudio.project.model import default_project

        app = QCoreApplication([])
        project = default_project()
        project.settings.epochs = 10**9
        controller = TrainingController()
        controller.start(project)
        controller.start(project)  # the first run is still stopping
        QTimer.singleShot(300, app.quit)
        app.exec()
        controller.shutdown()
        del controller
        gc.collect()
        print("closed")
        """
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    assert "Destroyed while thread" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert "closed" in result.stdout


def test_snapshots_arrive_at_most_about_thirty_a_second(qtbot, controller, recorder):
    controller.start(_project(epochs=FOREVER))
    started = time.monotonic()
    qtbot.wait(3000)
    controller.stop()
    elapsed = time.monotonic() - started
    rate = len(recorder.snapshots) / elapsed
    assert 3 <= rate <= 40, rate  # the lower bound only shows that snapshots flow
    epochs_per_snapshot = recorder.epoch / len(recorder.snapshots)
    assert epochs_per_snapshot > 5  # snapshots bundle many epochs, never one per step
