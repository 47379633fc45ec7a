"""Reading and writing the ``training`` object of a project file.

Every field except ``loss``, ``learning_rate`` and ``epochs`` is optional, and a
missing field takes its default, so files written before a field existed still
load. docs/project-format.md lists the fields with their ranges.
"""

from __future__ import annotations

from typing import Any

from nnstudio.engine.initializers import BIAS_INITIALIZERS, INITIALIZERS
from nnstudio.engine.losses import LOSSES
from nnstudio.engine.optimizers import ADAM_BETAS, ADAM_EPS, OPTIMIZERS
from nnstudio.engine.training import BATCH_MODES, DTYPES
from nnstudio.project.fields import FieldError, as_float, as_int, as_text, require
from nnstudio.project.model import ALGORITHMS, BACKPROPAGATION, MAX_SEED, Settings

# Limits shared with the command line, so that every run's settings can be saved.
MAX_EPOCHS = 100_000_000
MAX_LEARNING_RATE = 1e3
MAX_PENALTY = 1e3
MAX_VALIDATION_FRACTION = 0.5
MAX_BIAS_VALUE = 100.0


def read_settings(data: dict[str, Any]) -> Settings:
    """Validate the ``training`` object and return its settings; raises FieldError."""
    s = Settings()
    s.loss = as_text(require(data, "loss", "training"), "training.loss", tuple(LOSSES))
    s.learning_rate = as_float(
        require(data, "learning_rate", "training"),
        "training.learning_rate",
        0.0,
        MAX_LEARNING_RATE,
        True,
    )
    s.epochs = as_int(require(data, "epochs", "training"), "training.epochs", 1, MAX_EPOCHS)
    s.seed = as_int(data.get("seed", 0), "training.seed", 0, MAX_SEED)
    s.dtype = as_text(data.get("dtype", "float64"), "training.dtype", tuple(DTYPES))
    s.algorithm = as_text(data.get("algorithm", BACKPROPAGATION), "training.algorithm", ALGORITHMS)

    _read_optimizer(data, s)
    _read_batches(data, s)
    _read_stopping(data, s)
    _read_initialization(data, s)
    return s


def settings_to_dict(s: Settings) -> dict[str, Any]:
    """Return the ``training`` object for ``s``, every field written, defaults included."""
    return {
        "algorithm": s.algorithm,
        "loss": s.loss,
        "learning_rate": s.learning_rate,
        "optimizer": s.optimizer,
        "momentum": s.momentum,
        "batch_mode": s.batch_mode,
        "batch_size": s.batch_size,
        "epochs": s.epochs,
        "target_loss": s.target_loss,
        "seed": s.seed,
        "initializer": s.initializer,
        "init_scale": s.init_scale,
        "adam_beta1": s.adam_beta1,
        "adam_beta2": s.adam_beta2,
        "adam_eps": s.adam_eps,
        "l1": s.l1,
        "l2": s.l2,
        "dtype": s.dtype,
        "target_accuracy": s.target_accuracy,
        "validation_fraction": s.validation_fraction,
        "patience": s.patience,
        "bias_init": s.bias_init,
        "bias_value": s.bias_value,
    }


def _read_optimizer(data: dict[str, Any], s: Settings) -> None:
    s.optimizer = as_text(data.get("optimizer", "sgd"), "training.optimizer", OPTIMIZERS)
    s.momentum = as_float(data.get("momentum", 0.9), "training.momentum", 0.0, 1.0)
    s.adam_beta1 = _read_beta(data.get("adam_beta1", ADAM_BETAS[0]), "training.adam_beta1")
    s.adam_beta2 = _read_beta(data.get("adam_beta2", ADAM_BETAS[1]), "training.adam_beta2")
    s.adam_eps = as_float(data.get("adam_eps", ADAM_EPS), "training.adam_eps", 0.0, 1.0, True)
    s.l1 = as_float(data.get("l1", 0.0), "training.l1", 0.0, MAX_PENALTY)
    s.l2 = as_float(data.get("l2", 0.0), "training.l2", 0.0, MAX_PENALTY)


def _read_beta(value: Any, field: str) -> float:
    # Adam divides by 1 - beta^t, so a beta of 1 would divide by zero.
    beta = as_float(value, field, 0.0, 1.0)
    if beta == 1.0:
        raise FieldError(
            field, f"{value} is out of range; expected a number at least 0 and below 1"
        )
    return beta


def _read_batches(data: dict[str, Any], s: Settings) -> None:
    s.batch_mode = as_text(data.get("batch_mode", "full"), "training.batch_mode", BATCH_MODES)
    s.batch_size = as_int(data.get("batch_size", 32), "training.batch_size", 1, 1_000_000)


def _read_stopping(data: dict[str, Any], s: Settings) -> None:
    target_loss = data.get("target_loss")
    if target_loss is not None:
        s.target_loss = as_float(target_loss, "training.target_loss", 0.0)
    target_accuracy = data.get("target_accuracy")
    if target_accuracy is not None:
        s.target_accuracy = as_float(target_accuracy, "training.target_accuracy", 0.0, 1.0)
    s.validation_fraction = as_float(
        data.get("validation_fraction", 0.0),
        "training.validation_fraction",
        0.0,
        MAX_VALIDATION_FRACTION,
    )
    s.patience = as_int(data.get("patience", 0), "training.patience", 0, MAX_EPOCHS)


def _read_initialization(data: dict[str, Any], s: Settings) -> None:
    s.initializer = as_text(
        data.get("initializer", "xavier_uniform"), "training.initializer", tuple(INITIALIZERS)
    )
    s.init_scale = as_float(data.get("init_scale", 0.5), "training.init_scale", 0.0, 100.0)
    s.bias_init = as_text(data.get("bias_init", "zeros"), "training.bias_init", BIAS_INITIALIZERS)
    s.bias_value = as_float(
        data.get("bias_value", 0.0), "training.bias_value", -MAX_BIAS_VALUE, MAX_BIAS_VALUE
    )
