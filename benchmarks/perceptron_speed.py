"""Time the perceptron rule and measure the engine's memory per epoch.

The times are for the engine alone, a project run and a run in the main window.

Run from the repository root with the project's virtual environment:

    QT_QPA_PLATFORM=offscreen python benchmarks/perceptron_speed.py

The data is two noisy Gaussian blobs in the plane, 200 samples, drawn from a
fixed seed, so the classes overlap and the rule never converges: every run
trains all its epochs. Nothing here checks a time.

The memory is what tracemalloc counts while PerceptronTrainer.train runs, per
epoch, for 2 inputs and 1 unit. It is measured on three data sets: XOR, whose
weights cycle from epoch 3, ten integer points whose cycle closes at epoch
7443, and 20 blob points whose weights repeat no earlier state, so that the
cycle search runs all along.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from nnstudio.engine.perceptron import PerceptronTrainer
from nnstudio.project.datasets import Dataset
from nnstudio.project.model import INPUT, OUTPUT, PERCEPTRON, Layer, Project
from nnstudio.project.perceptron_training import ProjectPerceptron

SAMPLES = 200
CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR = np.array([[0.0], [1.0], [1.0], [0.0]])
# Ten integer points that no line separates. With learning rate 1 from zero
# weights, the end of epoch 7443 repeats the end of epoch 3307.
LONG_CYCLE_X = np.array(
    [[41, -29], [-47, -24], [-10, 38], [-6, -49], [-20, 12],
     [38, 28], [60, -38], [46, -54], [7, -27], [-36, 19]],
    dtype=float,
)  # fmt: skip
LONG_CYCLE_Y = np.array([[0], [1], [1], [0], [1], [0], [0], [0], [1], [1]], dtype=float)


def blobs(samples: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    half = samples // 2
    X = np.concatenate([rng.normal(-0.5, 0.6, (half, 2)), rng.normal(0.5, 0.6, (half, 2))])
    y = np.concatenate([np.zeros((half, 1)), np.ones((half, 1))])
    return X, y


def blob_project(epochs: int) -> Project:
    X, y = blobs(SAMPLES)
    layers = [
        Layer(INPUT, "input", 2),
        Layer(OUTPUT, "output", 1, "step", position=(220.0, 0.0)),
    ]
    project = Project(layers, [(INPUT, OUTPUT)], Dataset(X, y, name="blobs"))
    project.settings.algorithm = PERCEPTRON
    project.settings.learning_rate = 0.1
    project.settings.epochs = epochs
    project.settings.initializer = "zeros"
    project.reinitialize()
    return project


def time_engine(epochs: int) -> float:
    X, y = blobs(SAMPLES)
    trainer = PerceptronTrainer.from_arrays(np.zeros((2, 1)), np.zeros(1), X, y, 0.1)
    start = time.perf_counter()
    trainer.train(epochs)
    return time.perf_counter() - start


def time_project(epochs: int) -> float:
    training = ProjectPerceptron(blob_project(epochs))
    start = time.perf_counter()
    while not training.run_epoch():
        pass
    return time.perf_counter() - start


def time_window(epochs: int) -> tuple[float, int]:
    """Return the seconds from Train to the end of the run, and the snapshots drawn."""
    from PySide6.QtWidgets import QApplication

    from nnstudio.gui.app import create_application
    from nnstudio.gui.main_window import MainWindow

    create_application()
    window = MainWindow(blob_project(epochs))
    window.show()
    QApplication.processEvents()
    drawn = []
    window.training.controller.snapshot_received.connect(lambda s: drawn.append(s.epoch))

    start = time.perf_counter()
    window.training.train_action.trigger()
    while window.training.controller.state != "idle":
        QApplication.processEvents()
        time.sleep(0.001)
    seconds = time.perf_counter() - start
    window.training.shutdown()
    return seconds, len(drawn)


def engine_memory(X: np.ndarray, y: np.ndarray, rate: float, epochs: int) -> tuple[str, int, int]:
    """Return the run's outcome and the bytes it added, at the end and at the peak."""
    trainer = PerceptronTrainer.from_arrays(np.zeros((2, 1)), np.zeros(1), X, y, rate)
    tracemalloc.start()
    try:
        result = trainer.train(epochs)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    outcome = "no cycle" if result.cycle_epochs is None else f"cycle {result.cycle_epochs}"
    return outcome, current, peak


def print_memory(epochs: int) -> None:
    blob_X, blob_y = blobs(20)
    for name, X, y, rate in (
        ("XOR, rate 0.25", CORNERS, XOR, 0.25),
        ("10 integer points, rate 1", LONG_CYCLE_X, LONG_CYCLE_Y, 1.0),
        ("20 blob points, rate 0.1", blob_X, blob_y, 0.1),
    ):
        outcome, current, peak = engine_memory(X, y, rate, epochs)
        print(
            f"{name:26s} {epochs:,} epochs, {outcome}: {current / epochs:6.1f} bytes per "
            f"epoch at the end, {peak / epochs:6.1f} at the peak ({current / 1e6:.2f} MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200, help="epochs per run (default 200)")
    parser.add_argument(
        "--memory-epochs",
        type=int,
        default=20_000,
        help="epochs per memory measurement (default 20000, and 0 skips the measurement)",
    )
    args = parser.parse_args()
    steps = args.epochs * SAMPLES

    for name, seconds in (
        ("engine (PerceptronTrainer)", time_engine(args.epochs)),
        ("project run (ProjectPerceptron)", time_project(args.epochs)),
    ):
        print(f"{name:34s} {seconds:7.3f} s  {steps / seconds:10,.0f} samples/s")
    seconds, drawn = time_window(args.epochs)
    print(
        f"{'main window, Train to finish':34s} {seconds:7.3f} s  {steps / seconds:10,.0f} "
        f"samples/s, {drawn} snapshots drawn"
    )
    if args.memory_epochs > 0:
        print_memory(args.memory_epochs)


if __name__ == "__main__":
    main()
