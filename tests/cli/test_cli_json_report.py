"""Every key of `nnstudio train --json`, checked against the written project file and its history.

The command runs through its entry function, nnstudio.cli.main, as the console
script calls it. The expected values come from the project files the run reads
and writes, read as plain JSON, and from one Trainer per seed for --seeds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nnstudio.cli import main
from nnstudio.engine.training import Trainer
from nnstudio.project.fileformat import load_project
from tests.conftest import EXAMPLES

XOR = EXAMPLES / "xor.nnproj"
PERCEPTRON_AND = EXAMPLES / "perceptron-and.nnproj"

BACKPROP_KEYS = {
    "epochs_trained",
    "last_epoch",
    "loss",
    "accuracy",
    "seed",
    "learning_rate",
    "stopped_early",
    "stop_reason",
    "diverged_at_epoch",
    "penalty",
    "validation_loss",
    "training",
    "out",
    "epochs",
    "total_epochs",
}
PERCEPTRON_KEYS = {
    "epochs_trained",
    "last_epoch",
    "algorithm",
    "misclassified",
    "converged",
    "cycle_epochs",
    "cycle_length",
    "message",
    "seed",
    "learning_rate",
    "training",
    "out",
    "epochs",
    "total_epochs",
}
SEEDS_KEYS = {"goal", "max_epochs", "copies", "reached", "seeds", "epochs"}
COPY_KEYS = {
    "seed",
    "epochs_trained",
    "last_epoch",
    "loss",
    "accuracy",
    "converged",
    "goal_epoch",
    "diverged_at_epoch",
    "epochs",
}


def train_json(capsys: pytest.CaptureFixture[str], *args: str | Path) -> dict[str, Any]:
    """Run `nnstudio train ARGS --json` and return the one object it prints."""
    status = main(["train", *map(str, args), "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.err == ""
    report = json.loads(captured.out)
    assert isinstance(report, dict)
    return report


def read_document(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def last_history_epoch(document: dict[str, Any]) -> int:
    """The number of the last epoch in a project file's history, 0 for no history."""
    history = document.get("history") or {}
    epochs = history.get("epochs") or [0]
    return int(epochs[-1])


def short_project(folder: Path, source: Path, epochs: int) -> Path:
    """Copy ``source`` into ``folder`` with its training.epochs setting changed to ``epochs``."""
    document = read_document(source)
    document["training"]["epochs"] = epochs
    folder.mkdir(exist_ok=True)
    path = folder / source.name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# backpropagation


def check_backprop_report(
    report: dict[str, Any], before: Path, after: Path, stop_reason: str | None = None
) -> None:
    """Compare every key of ``report`` with the project files the run read and wrote."""
    written = read_document(after)
    history = written["history"]

    assert set(report) == BACKPROP_KEYS
    assert report["last_epoch"] == last_history_epoch(written)
    trained = last_history_epoch(written) - last_history_epoch(read_document(before))
    assert report["epochs_trained"] == trained
    assert report["training"] == written["training"]
    assert report["loss"] == history["loss"][-1]
    assert report["accuracy"] == history["accuracy"][-1]
    assert report["seed"] == written["training"]["seed"]
    assert report["learning_rate"] == written["training"]["learning_rate"]
    assert report["stopped_early"] is (stop_reason is not None)
    assert report["stop_reason"] == stop_reason
    assert report["diverged_at_epoch"] is None
    # The example has no l1 or l2 penalty and no validation set.
    assert written["training"]["l1"] == 0
    assert written["training"]["l2"] == 0
    assert report["penalty"] == 0.0
    assert report["validation_loss"] is None
    assert report["out"] == str(after)
    assert report["epochs"] == report["epochs_trained"]
    assert report["total_epochs"] == report["last_epoch"]


def test_three_epoch_numbers_differ(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = short_project(tmp_path, XOR, 50)
    first = tmp_path / "first.nnproj"
    second = tmp_path / "second.nnproj"
    third = tmp_path / "third.nnproj"

    # --epochs sets this run's length and leaves the setting alone
    report = train_json(capsys, source, "--epochs", "20", "--out", first)
    check_backprop_report(report, source, first)
    assert report["epochs_trained"] == 20
    assert report["last_epoch"] == 20
    assert report["training"]["epochs"] == 50

    # without --epochs the run completes the setting's 50 epochs in all
    report = train_json(capsys, first, "--out", second)
    check_backprop_report(report, first, second)
    assert report["epochs_trained"] == 30
    assert report["last_epoch"] == 50
    assert report["training"]["epochs"] == 50

    # once the history has them, the setting is the number of epochs added
    report = train_json(capsys, second, "--out", third)
    check_backprop_report(report, second, third)
    assert report["epochs_trained"] == 50
    assert report["last_epoch"] == 100
    assert report["training"]["epochs"] == 50


def test_early_stop_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "stopped.nnproj"
    report = train_json(capsys, XOR, "--target-loss", "0.05", "--out", out)

    check_backprop_report(report, XOR, out, "target loss reached")
    assert report["loss"] <= 0.05
    assert report["training"]["target_loss"] == 0.05
    assert report["epochs_trained"] < report["training"]["epochs"]
    # the epoch before the last one had not reached the target yet
    assert read_document(out)["history"]["loss"][-2] > 0.05


def test_options_reported_as_saved(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "trained.nnproj"
    report = train_json(capsys, XOR, "--epochs", "30", "--seed", "7", "--lr", "0.3", "--out", out)

    check_backprop_report(report, XOR, out)
    assert report["seed"] == 7
    assert report["learning_rate"] == 0.3
    assert report["training"]["epochs"] == read_document(XOR)["training"]["epochs"]


def test_report_without_out(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # The same run with --out gives the values to compare, since nothing is written here.
    out = tmp_path / "trained.nnproj"
    saved = train_json(capsys, XOR, "--epochs", "25", "--out", out)
    report = train_json(capsys, XOR, "--epochs", "25")

    assert report["out"] is None
    assert {**report, "out": str(out)} == saved


# perceptron rule


def test_perceptron_report_keys(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    first = tmp_path / "first.nnproj"
    second = tmp_path / "second.nnproj"
    setting = read_document(PERCEPTRON_AND)["training"]["epochs"]

    report = train_json(capsys, PERCEPTRON_AND, "--epochs", "2", "--out", first)
    assert report["epochs_trained"] == 2
    assert report["last_epoch"] == last_history_epoch(read_document(first))
    assert report["converged"] is False

    report = train_json(capsys, first, "--out", second)
    written = read_document(second)

    assert set(report) == PERCEPTRON_KEYS
    assert report["last_epoch"] == last_history_epoch(written)
    trained = last_history_epoch(written) - last_history_epoch(read_document(first))
    assert report["epochs_trained"] == trained
    assert report["training"] == written["training"]
    assert report["training"]["epochs"] == setting
    assert report["algorithm"] == "perceptron"
    assert len(report["misclassified"]) == trained
    # AND is linearly separable: the run converges, so the last epoch classifies every sample.
    assert report["converged"] is True
    assert report["misclassified"][-1] == 0
    assert written["history"]["accuracy"][-1] == 1.0
    assert report["cycle_epochs"] is None
    assert report["cycle_length"] is None
    # The message counts this run's epochs and numbers the last one.
    assert report["message"].startswith(f"converged after {trained} more epochs")
    assert f"epoch {report['last_epoch']} in all" in report["message"]
    assert report["seed"] == written["training"]["seed"]
    assert report["learning_rate"] == written["training"]["learning_rate"]
    assert report["out"] == str(second)
    assert report["epochs"] == report["epochs_trained"]
    assert report["total_epochs"] == report["last_epoch"]


# many seeds


def single_run(path: Path, seed: int) -> Trainer:
    """Train the project at ``path`` alone from ``seed`` until 100% accuracy or its epochs."""
    project = load_project(path)
    project.settings.seed = seed
    project.settings.target_accuracy = 1.0
    project.reinitialize()
    dataset = project.dataset
    trainer = Trainer(project.network(), dataset.network_inputs(), dataset.y, project.settings)
    trainer.train(project.settings.epochs)
    return trainer


@pytest.mark.parametrize("epochs_option", [(), ("--epochs", "120")])
def test_seeds_report_keys(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, epochs_option: tuple[str, ...]
) -> None:
    source = short_project(tmp_path, XOR, 400)
    max_epochs = int(epochs_option[1]) if epochs_option else 400
    single = short_project(tmp_path / "single", XOR, max_epochs) if epochs_option else source

    report = train_json(capsys, source, "--seeds", "3", *epochs_option)

    assert set(report) == SEEDS_KEYS
    assert report["max_epochs"] == max_epochs
    assert report["epochs"] == max_epochs
    assert report["copies"] == 3
    assert report["goal"] == "100% training accuracy"
    reached = 0
    for seed, entry in zip(range(3), report["seeds"], strict=True):
        trainer = single_run(single, seed)
        converged = trainer.stop_reason == "target accuracy reached"
        reached += converged

        assert set(entry) == COPY_KEYS
        assert entry["seed"] == seed
        assert entry["epochs_trained"] == trainer.epoch
        assert entry["last_epoch"] == trainer.history.epoch_count
        assert entry["epochs"] == entry["epochs_trained"]
        assert entry["loss"] == pytest.approx(trainer.history.loss[-1], rel=1e-9)
        assert entry["accuracy"] == trainer.history.accuracy[-1]
        assert entry["converged"] is converged
        assert entry["goal_epoch"] == (trainer.epoch if converged else None)
        assert entry["diverged_at_epoch"] is None
    assert report["reached"] == reached
