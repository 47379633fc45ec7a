"""The headless commands behind ``nnstudio train`` and ``nnstudio gradients``.

Both drive the same engine objects as the desktop app (Trainer, Network), so a
run here and a run in the window with the same project give the same numbers.
Nothing in this module imports Qt.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nnstudio.cli_train_options import OptionConflict, apply_training_options
from nnstudio.engine.errors import EngineError, TrainingDiverged
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import Gradients, Network, copy_parameters
from nnstudio.engine.training import Trainer
from nnstudio.project.fileformat import load_project, save_project
from nnstudio.project.model import PERCEPTRON, Project
from nnstudio.project.settings_format import settings_to_dict

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130

# Progress goes to stderr at every tenth of the run, and at least once a second
# in between, so long runs show signs of life without flooding the terminal.
PROGRESS_STEPS = 10
PROGRESS_INTERVAL_SECONDS = 1.0


class CommandError(Exception):
    """An error a command reports as one line, with the exit status to return."""

    def __init__(self, message: str, status: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.status = status


@dataclasses.dataclass
class TrainingRun:
    """Result of one ``nnstudio train`` run, with epochs counted from the project's first."""

    first_epoch: int  # epochs in the history before this run
    target_epoch: int  # history length at which the run stops
    last_epoch: int  # history length after this run
    loss: float  # on the training set, with the penalty
    accuracy: float | None
    diverged: TrainingDiverged | None
    penalty: float = 0.0
    validation_loss: float = math.nan  # NaN without a validation set
    stop_reason: str = ""  # Trainer.stop_reason after the last epoch

    @property
    def trained(self) -> int:
        return self.last_epoch - self.first_epoch

    @property
    def stopped_early(self) -> bool:
        return self.last_epoch < self.target_epoch


# train


def run_train(args: argparse.Namespace) -> int:
    """Train the project in ``args.project`` as the options ask; return the exit status."""
    if args.seeds is not None:
        # Imported here because cli_seeds imports this module.
        from nnstudio.cli_seeds import run_seeds

        return run_seeds(args)
    if args.out is not None:
        _check_output_path(Path(args.out))
    project = read_project(args.project)
    try:
        apply_training_options(args, project.settings)
    except OptionConflict as error:
        raise CommandError(str(error), EXIT_BAD_INPUT) from None
    if args.seed is not None:
        project.settings.seed = args.seed
        project.reinitialize()
    if args.lr is not None:
        project.settings.learning_rate = args.lr
    if project.settings.algorithm == PERCEPTRON:
        # Imported here because cli_perceptron imports this module.
        from nnstudio.cli_perceptron import run_perceptron_train

        return run_perceptron_train(project, args)

    run = train_project(project, args.epochs, show_progress=not args.json)

    if args.out is not None:
        _write(project, Path(args.out))

    if args.json:
        print(json.dumps(_train_result(project, run, args.out)))
    else:
        _print_train_summary(run, args.out)
    if run.diverged is not None:
        print(f"nnstudio: error: {run.diverged}", file=sys.stderr)
        return EXIT_DIVERGED
    return EXIT_OK


def train_project(
    project: Project, epochs: int | None = None, show_progress: bool = False
) -> TrainingRun:
    """Train ``project`` with its settings and keep its new weights and history.

    The run starts from the project's current weights and continues its history,
    as the Train button does. It trains ``epochs`` more epochs. Without ``epochs``
    it follows the Train button's rule: it trains until the history has
    training.epochs entries, or training.epochs more when it already has them.
    A stopping criterion of the settings (target loss, target accuracy, patience)
    can end the run earlier. When training diverges, the project keeps the weights
    of the last epoch whose loss was finite, and the returned run records the error.
    """
    settings = dataclasses.replace(project.settings)
    dataset = project.dataset
    trainer = Trainer(project.network(), dataset.network_inputs(), dataset.y, settings)
    # Continuing the history makes the epoch numbers, and the epoch that the
    # divergence message names, count from the project's first epoch.
    first = project.history.epoch_count
    trainer.history = project.history.copy()
    trainer.epoch = first
    target = project.run_target_epoch(epochs)
    progress = _Progress(first, target) if show_progress else None

    diverged = None
    try:
        while trainer.epoch < target:
            trainer.run_epoch()
            if progress is not None:
                progress.report(trainer)
            if trainer.stop_reason:
                break
    except TrainingDiverged as error:
        diverged = error

    # After a divergence the trainer has already restored the last finite weights,
    # and after early stopping those of the best epoch.
    project.parameters = copy_parameters(trainer.network.parameters)
    project.history = trainer.history

    loss, accuracy = trainer.evaluate()
    _, penalty = trainer.evaluate_parts()
    return TrainingRun(
        first,
        target,
        trainer.epoch,
        loss,
        accuracy,
        diverged,
        penalty,
        trainer.evaluate_validation(),
        trainer.stop_reason,
    )


class _Progress:
    """Prints "epoch 200/2000  loss 0.0412  accuracy 100%" lines to stderr."""

    def __init__(self, first: int, target: int) -> None:
        self.first = first
        self.target = target
        self.tenths = 1
        self.last_time = time.monotonic()

    def report(self, trainer: Trainer) -> None:
        epoch = trainer.epoch
        now = time.monotonic()
        due = epoch >= self._epoch_at(self.tenths)
        if not due and now - self.last_time < PROGRESS_INTERVAL_SECONDS:
            return

        while self._epoch_at(self.tenths) <= epoch:
            self.tenths += 1
        self.last_time = now
        loss = trainer.history.loss[-1]
        accuracy = trainer.history.accuracy[-1]
        validation_loss = trainer.history.validation_loss[-1]
        line = f"epoch {epoch}/{self.target}  loss {loss:.4g}"
        if not math.isnan(accuracy):
            line += f"  accuracy {_percent(accuracy)}"
        if not math.isnan(validation_loss):
            line += f"  validation loss {validation_loss:.4g}"
        print(line, file=sys.stderr, flush=True)

    def _epoch_at(self, tenths: int) -> int:
        # The epoch at which the run has done ``tenths`` tenths of its epochs.
        return self.first + math.ceil(tenths * (self.target - self.first) / PROGRESS_STEPS)


def epoch_keys(epochs_trained: int, last_epoch: int) -> dict[str, int]:
    """Return the epoch counts of a ``nnstudio train --json`` report, or of one ``--seeds`` copy.

    ``last_epoch`` is the number of the last epoch in the history, which counts
    the epochs of earlier runs too. The project's ``training.epochs`` setting is
    a different number and appears only inside the report's ``training`` object.
    """
    return {"epochs_trained": epochs_trained, "last_epoch": last_epoch}


def old_epoch_keys(epochs_trained: int, last_epoch: int) -> dict[str, int]:
    """Return the keys that reports had before ``epochs_trained`` and ``last_epoch``.

    They are kept as aliases so that scripts which read them keep working, and
    docs/cli.md marks them as deprecated.
    """
    return {"epochs": epochs_trained, "total_epochs": last_epoch}


def _train_result(project: Project, run: TrainingRun, out: str | None) -> dict[str, Any]:
    return {
        **epoch_keys(run.trained, run.last_epoch),
        "loss": run.loss,
        "accuracy": run.accuracy,
        "seed": project.settings.seed,
        "learning_rate": project.settings.learning_rate,
        "stopped_early": run.stopped_early,
        "stop_reason": run.stop_reason or None,
        "diverged_at_epoch": None if run.diverged is None else run.diverged.epoch,
        "penalty": run.penalty,
        # JSON has no NaN: a run without a validation set gives null.
        "validation_loss": None if math.isnan(run.validation_loss) else run.validation_loss,
        # The settings as --out saves them: "epochs" here is the setting, not this run.
        "training": settings_to_dict(project.settings),
        "out": out,
        **old_epoch_keys(run.trained, run.last_epoch),
    }


def _print_train_summary(run: TrainingRun, out: str | None) -> None:
    line = f"trained {run.trained} epochs ({run.last_epoch} in total): loss {run.loss:.6g}"
    if run.accuracy is not None:
        line += f", accuracy {_percent(run.accuracy)}"
    if not math.isnan(run.validation_loss):
        line += f", validation loss {run.validation_loss:.6g}"
    print(line)
    if run.stop_reason:
        print(f"stopped early: {run.stop_reason}")
    if out is None:
        print("the trained project was not saved; add --out FILE to keep it")
    else:
        print(f"wrote {out}")


def _percent(fraction: float) -> str:
    return f"{100 * fraction:.4g}%"


def read_project(path: str | Path) -> Project:
    """Load the project at ``path`` for a command, warning on stderr about a CSV file elsewhere."""
    return load_project(path, confirm_csv=_warn_outside_csv)


def _warn_outside_csv(csv: Path) -> bool:
    # A command runs on files the user names, so it reads the file, but says so.
    print(
        f"nnstudio: warning: reading the dataset from {csv}, outside the project file's folder",
        file=sys.stderr,
    )
    return True


def _check_output_path(path: Path) -> None:
    # Checked before training, so that a long run is not lost to a typing mistake.
    if path.is_dir():
        raise CommandError(
            f"{path}: is a folder; give --out a file name such as run.nnproj", EXIT_BAD_INPUT
        )
    if not path.parent.is_dir():
        raise CommandError(
            f"{path}: the folder {path.parent} does not exist; create it or choose another --out",
            EXIT_BAD_INPUT,
        )


def _write(project: Project, path: Path) -> None:
    try:
        save_project(project, path)
    except OSError as error:
        reason = error.strerror or str(error)
        raise CommandError(
            f"{path}: cannot write the project ({reason}); check that the folder exists and "
            "is writable, or choose another --out"
        ) from None


# gradients


def run_gradients(args: argparse.Namespace) -> int:
    """Print the output, loss and gradients of the project in ``args.project``."""
    project = read_project(args.project)
    network = project.network()
    gradients = compute_gradients(project, network)
    if args.json:
        print(json.dumps(_gradients_result(network, gradients)))
    else:
        _print_gradients(project, network, gradients)
    return EXIT_OK


def compute_gradients(project: Project, network: Network) -> Gradients:
    """Return the loss and dLoss/dW, dLoss/db on the whole dataset for ``network``."""
    loss = make_loss(project.settings.loss)
    with np.errstate(over="ignore", invalid="ignore"):
        gradients = network.gradients(project.dataset.network_inputs(), project.dataset.y, loss)

    values = [gradients.output, np.array(gradients.loss)]
    for layer in gradients.parameters.values():
        values.append(layer.W)
        if layer.b is not None:
            values.append(layer.b)
        if layer.alpha is not None:
            values.append(layer.alpha)
    if not all(np.all(np.isfinite(value)) for value in values):
        raise EngineError(
            "the output or the gradients overflow to a value that is not a finite number "
            "with these weights; reset the weights or train with a smaller learning rate"
        )
    return gradients


def _gradients_result(network: Network, gradients: Gradients) -> dict[str, Any]:
    layers = []
    for name in network.spec.order:
        params = network.parameters[name]
        grads = gradients.parameters[name]
        layers.append(
            {
                "name": name,
                "inputs": list(network.spec.layer(name).inputs),
                "W": params.W.tolist(),
                "b": None if params.b is None else params.b.tolist(),
                "dW": grads.W.tolist(),
                "db": None if grads.b is None else grads.b.tolist(),
                "alpha": None if params.alpha is None else params.alpha.tolist(),
                "dalpha": None if grads.alpha is None else grads.alpha.tolist(),
            }
        )
    return {"output": gradients.output.tolist(), "loss": gradients.loss, "layers": layers}


def _print_gradients(project: Project, network: Network, gradients: Gradients) -> None:
    samples = len(project.dataset.X)
    print(f"output for the {samples} sample{'s' if samples != 1 else ''} of the dataset:")
    print(_matrix(gradients.output))
    print(f"loss ({project.settings.loss}): {gradients.loss:.10g}")

    for name in network.spec.order:
        spec = network.spec.layer(name)
        params = network.parameters[name]
        grads = gradients.parameters[name]
        units = f"{spec.units} unit{'s' if spec.units != 1 else ''}"
        bias = "with bias" if spec.bias else "no bias"
        incoming = ", ".join(f"{source} ({network.spec.units(source)})" for source in spec.inputs)
        print()
        activation = spec.activation
        if spec.activations:
            activation = f"per neuron ({', '.join(spec.activations)})"
        print(f"layer {name!r}: {units}, {activation}, {bias}")
        print(f"  rows of W, in order: {incoming}")
        print("  W =")
        print(_matrix(params.W))
        print("  dLoss/dW =")
        print(_matrix(grads.W))
        if params.b is not None and grads.b is not None:
            print("  b =")
            print(_matrix(params.b))
            print("  dLoss/db =")
            print(_matrix(grads.b))
        if params.alpha is not None and grads.alpha is not None:
            print("  alpha =")
            print(_matrix(params.alpha))
            print("  dLoss/dalpha =")
            print(_matrix(grads.alpha))


def _matrix(values: NDArray[np.floating]) -> str:
    # At most ten decimals hide float64 rounding noise (4.1832 rather than
    # 4.183199999999999) but keep every digit a hand calculation has.
    text = np.array2string(
        values,
        precision=10,
        separator=", ",
        max_line_width=96,
        threshold=sys.maxsize,
        floatmode="maxprec",
    )
    return "\n".join(f"    {line}" for line in text.splitlines())
