"""Time the perceptron rule: the engine alone, a project run, and a run in the main window.

Run from the repository root with the project's virtual environment:

    QT_QPA_PLATFORM=offscreen python benchmarks/perceptron_speed.py

The data is two noisy Gaussian blobs in the plane, 200 samples, drawn from a
fixed seed, so the classes overlap and the rule never converges: every run
trains all its epochs. Nothing here checks a time.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nnstudio.engine.perceptron import PerceptronTrainer
from nnstudio.project.datasets import Dataset
from nnstudio.project.model import INPUT, OUTPUT, PERCEPTRON, Layer, Project
from nnstudio.project.perceptron_training import ProjectPerceptron

SAMPLES = 200


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200, help="epochs per run (default 200)")
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


if __name__ == "__main__":
    main()
