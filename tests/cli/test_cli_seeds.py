"""`nnstudio train --seeds K`, checked against one Trainer per seed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from nnstudio.engine.multiseed import train_many_seeds
from nnstudio.engine.training import Trainer
from nnstudio.project.fileformat import load_project, save_project
from nnstudio.project.many_seeds import MAX_COPIES, REGRESSION_GOAL_LOSS
from tests.cli.test_cli_training import XOR, json_output, noisy_project, one_error_line, run_cli

pytestmark = pytest.mark.timeout(300)

SEEDS = 20
# Vectorized matrix products may round differently from one copy's products.
TOLERANCE = 1e-9


def xor_2_2_1(folder: Path) -> Path:
    """examples/xor.nnproj with two hidden units, which gets stuck for some seeds."""
    project = load_project(XOR)
    project.layer("hidden 1").units = 2
    project.reinitialize()
    path = folder / "xor 2-2-1.nnproj"
    save_project(project, path)
    return path


def single_run(path: Path, seed: int, epochs: int | None = None, **stop: float) -> Trainer:
    """Train the project at ``path`` alone from ``seed``, stopping at the goal ``stop`` sets."""
    project = load_project(path)
    project.settings = dataclasses.replace(project.settings, seed=seed, **stop)
    if epochs is not None:
        project.settings.epochs = epochs
    project.reinitialize()
    dataset = project.dataset
    trainer = Trainer(project.network(), dataset.network_inputs(), dataset.y, project.settings)
    trainer.train(project.settings.epochs)
    return trainer


def test_seeds_match_single_trainers(tmp_path: Path) -> None:
    path = xor_2_2_1(tmp_path)
    result = run_cli("train", path, "--seeds", str(SEEDS), "--json")
    assert result.returncode == 0, result.stderr
    report = json_output(result)

    assert report["copies"] == SEEDS
    assert report["max_epochs"] == 2000
    assert report["goal"] == "100% training accuracy"
    assert [entry["seed"] for entry in report["seeds"]] == list(range(SEEDS))
    converged = 0
    for entry in report["seeds"]:
        trainer = single_run(path, entry["seed"], target_accuracy=1.0)
        reached = trainer.stop_reason == "target accuracy reached"
        converged += reached
        assert entry["epochs_trained"] == trainer.epoch
        assert entry["loss"] == pytest.approx(trainer.history.loss[-1], rel=TOLERANCE)
        assert entry["accuracy"] == trainer.history.accuracy[-1]
        assert entry["converged"] is reached
        assert entry["goal_epoch"] == (trainer.epoch if reached else None)
        assert entry["diverged_at_epoch"] is None
    assert report["reached"] == converged
    # The demo's point: with two hidden units some seeds get stuck, some do not.
    assert 0 < converged < SEEDS


def test_text_output_lists_every_seed_and_the_count(tmp_path: Path) -> None:
    path = xor_2_2_1(tmp_path)
    result = run_cli("train", path, "--seeds", "6", "--seed", "4")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["seed", "epochs", "loss", "accuracy", "converged"]
    assert len(lines) == 1 + 6 + 1

    project = load_project(path)
    engine = train_many_seeds(
        project.network_spec(), project.dataset.X, project.dataset.y, project.settings, range(4, 10)
    )
    for index, line in enumerate(lines[1:7]):
        seed, epochs, loss, accuracy, converged = line.split()
        assert int(seed) == 4 + index
        assert int(epochs) == engine.stop_epoch[index]
        last = engine.loss[index, engine.stop_epoch[index] - 1]
        assert float(loss) == pytest.approx(last, rel=1e-5)
        assert accuracy == f"{100 * engine.accuracy[index, engine.stop_epoch[index] - 1]:.4g}%"
        assert converged == ("yes" if engine.reached_goal[index] else "no")
    expected = (
        f"{engine.count_reached} of 6 reached the goal (100% training accuracy within 2,000 epochs)"
    )
    assert lines[-1] == expected


def test_target_loss_is_the_goal_when_set(tmp_path: Path) -> None:
    path = xor_2_2_1(tmp_path)
    result = run_cli("train", path, "--seeds", "4", "--target-loss", "0.07", "--json")
    assert result.returncode == 0, result.stderr
    report = json_output(result)
    assert report["goal"] == "training loss at most 0.07"
    for entry in report["seeds"]:
        trainer = single_run(path, entry["seed"], target_loss=0.07)
        assert entry["converged"] is (trainer.stop_reason == "target loss reached")
        assert entry["epochs_trained"] == trainer.epoch
        assert entry["loss"] == pytest.approx(trainer.history.loss[-1], rel=TOLERANCE)


def test_regression_goal_is_the_documented_loss(tmp_path: Path) -> None:
    path = noisy_project(tmp_path / "noisy.nnproj")
    result = run_cli("train", path, "--seeds", "3", "--epochs", "300", "--json")
    assert result.returncode == 0, result.stderr
    report = json_output(result)
    assert report["goal"].startswith(f"training loss at most {REGRESSION_GOAL_LOSS:g}")
    for entry in report["seeds"]:
        trainer = single_run(path, entry["seed"], 300, target_loss=REGRESSION_GOAL_LOSS)
        assert entry["accuracy"] is None
        assert entry["epochs_trained"] == trainer.epoch
        assert entry["converged"] is (trainer.stop_reason == "target loss reached")
        assert entry["loss"] == pytest.approx(trainer.history.loss[-1], rel=1e-7)
        assert np.isfinite(entry["loss"])


@pytest.mark.parametrize(
    ("arguments", "status", "words"),
    [
        (("--seeds", "0"), 2, "--seeds: 0 is out of range; expected 1 to 1000"),
        (("--seeds", str(MAX_COPIES + 1)), 2, f"{MAX_COPIES + 1} is out of range"),
        (("--seeds", "two"), 2, "'two' is not a whole number"),
        (("--seeds", "3", "--seed", "2147483646"), 2, "seeds 2147483646 to 2147483648"),
        (("--seeds", "3", "--out", "x.nnproj"), 2, "drop --out"),
        (("--seeds", "11", "--epochs", "1000000"), 2, "history of 11,000,000 values"),
        (("--seeds", "3", "--validation-fraction", "0.25"), 1, "validation set"),
        (("--seeds", "3", "--algorithm", "perceptron"), 1, "choose backpropagation"),
    ],
)
def test_bad_seeds_requests_give_one_line(
    tmp_path: Path, arguments: tuple[str, ...], status: int, words: str
) -> None:
    result = run_cli("train", XOR, *arguments)
    line = one_error_line(result, status)
    assert words in line
    assert result.stdout == ""
