"""The contenders of engine_speed.py: each engine's training step on one workload.

Every contender starts from the workload's first weights and walks the same
fixed sequence of batches (benchmarks/workloads.py), except the Trainer, which
shuffles with its own seed. ``run(steps)`` trains and returns the last batch
loss (NaN where a contender does not compute it).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from workloads import Workload

from nnstudio.engine.fast_step import FastStep
from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import Network, copy_parameters
from nnstudio.engine.optimizers import SGD
from nnstudio.engine.training import FAST_PATH, Trainer, TrainingSettings

Array = NDArray[np.floating]

if TYPE_CHECKING:
    import torch


@dataclass
class Contender:
    """One engine in one configuration: ``run(steps)`` trains and returns the last batch loss."""

    engine: str
    dtype: str
    threads: str
    reset: Callable[[], None]
    run: Callable[[int], float]
    blas_threads: int | None = None
    torch_threads: int | None = None
    # The bytes of buffers the engine keeps between steps, where it reports them.
    kept_bytes: Callable[[], int] | None = None

    @property
    def label(self) -> str:
        return f"{self.engine} {self.dtype} {self.threads}"


def blas_label(blas_threads: int | None) -> str:
    return "BLAS default" if blas_threads is None else f"BLAS {blas_threads}"


def dataset(workload: Workload) -> tuple[Array, Array, list[NDArray[np.intp] | None]]:
    """Return the workload's batches joined into one dataset, and each batch's rows in it.

    A batch of every sample gets None, which the engine reads as the whole
    training set in order, as Trainer.step passes it.
    """
    X = np.vstack([batch.X for batch in workload.batches])
    y = np.vstack([batch.y for batch in workload.batches])
    rows: list[NDArray[np.intp] | None] = []
    start = 0
    for batch in workload.batches:
        count = len(batch.X)
        rows.append(None if count == len(X) else np.arange(start, start + count))
        start += count
    return X, y, rows


def step_contender(workload: Workload, dtype: type, blas_threads: int | None) -> Contender:
    """Build the engine's training step: FastStep.train_batch, the function Trainer.step calls.

    The workload's batches follow each other in the joined dataset, so the
    epoch's order is 0, 1, 2, ... . Every epoch passes a new array of that
    order, so the step gathers the whole set at the epoch's first batch, as
    it does for the Trainer's new random order. A full batch calls
    FastStep.train(None), as the Trainer does. The batch loss is computed only
    on request, and the Trainer never requests it. reset() assigns the first
    weights to network.parameters, as a caller may between steps; the next step
    copies them into the flat weight vector.
    """
    X, y, rows = dataset(workload)
    network = Network(workload.spec, workload.parameters(), dtype=dtype)
    optimizer = SGD(workload.learning_rate)
    fast = FastStep(network, make_loss(workload.loss), optimizer, X.astype(dtype), y.astype(dtype))
    size = len(workload.batches[0].X)
    order = [np.arange(len(X))]

    def reset() -> None:
        network.parameters = Network(workload.spec, workload.parameters(), dtype).parameters

    def run(steps: int) -> float:
        if rows[0] is None:
            for _ in range(steps):
                fast.train(None)
            return fast.batch_loss()
        train = fast.train_batch
        count = len(rows)
        for step in range(steps):
            index = step % count
            if index == 0:
                order[0] = order[0].copy()
            train(order[0], size, index)
        return fast.batch_loss()

    threads = blas_label(blas_threads)
    name = np.dtype(dtype).name
    kept = fast.buffer_bytes
    return Contender("nnstudio step", name, threads, reset, run, blas_threads, kept_bytes=kept)


def trainer_contender(workload: Workload, dtype: type) -> Contender:
    """Build nnstudio's Trainer.step, as the app's worker and the CLI drive it.

    Beyond the step, it draws its own shuffled batches, and after the last
    batch of each epoch it evaluates the loss and accuracy on the whole
    training set with the general forward pass and keeps a copy of the weights.
    """
    X, y, _ = dataset(workload)
    full = len(workload.batches) == 1
    settings = TrainingSettings(
        loss=workload.loss,
        learning_rate=workload.learning_rate,
        batch_mode="full" if full else "minibatch",
        batch_size=len(workload.batches[0].X),
        dtype=np.dtype(dtype).name,
    )
    trainer = Trainer(Network(workload.spec, workload.parameters()), X, y, settings)
    if trainer.step_path != FAST_PATH:
        raise RuntimeError(f"{workload.key} is not on the fast path: {trainer.fallback_reason}")

    def reset() -> None:
        trainer.network.parameters = copy_parameters(workload.initial)

    def run(steps: int) -> float:
        step = trainer.step
        for _ in range(steps):
            step()
        return float("nan")

    return Contender("nnstudio Trainer", np.dtype(dtype).name, "BLAS default", reset, run)


def general_contender(workload: Workload, dtype: type) -> Contender:
    """Build the general path: Network.gradients, then SGD.update (the engine before fast_step)."""
    loss = make_loss(workload.loss)
    optimizer = SGD(workload.learning_rate)
    batches: list[tuple[Array, Array]] = [
        (b.X.astype(dtype), b.y.astype(dtype)) for b in workload.batches
    ]
    network = Network(workload.spec, workload.parameters(), dtype=dtype)

    def reset() -> None:
        network.parameters = Network(workload.spec, workload.parameters(), dtype).parameters

    def run(steps: int) -> float:
        value = float("nan")
        for step in range(steps):
            X, y = batches[step % len(batches)]
            with np.errstate(over="ignore", invalid="ignore"):
                gradients = network.gradients(X, y, loss)
                optimizer.update(network.parameters, gradients.parameters)
            value = gradients.loss
        return value

    return Contender("general path", np.dtype(dtype).name, "BLAS default", reset, run)


def torch_contender(workload: Workload, threads: int) -> Contender:
    """Build a PyTorch float32 contender: nn.Sequential, the engine's loss, torch.optim.SGD."""
    import torch

    model = _torch_model(workload)
    first = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=workload.learning_rate)
    loss_of = _torch_loss(workload)
    batches = [
        (
            torch.tensor(b.X, dtype=torch.float32),
            torch.tensor(b.y, dtype=torch.float32),
            torch.tensor(b.labels),
        )
        for b in workload.batches
    ]

    def reset() -> None:
        with torch.no_grad():
            for parameter, value in zip(model.parameters(), first, strict=True):
                parameter.copy_(value)

    def run(steps: int) -> float:
        loss = torch.zeros(())
        for step in range(steps):
            X, y, labels = batches[step % len(batches)]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_of(model(X), y, labels)
            loss.backward()
            optimizer.step()
        return float(loss.item())

    return Contender("PyTorch", "float32", f"{threads} thr", reset, run, torch_threads=threads)


def sklearn_contender(workload: Workload) -> Contender:
    """Build a contender for MLPClassifier.partial_fit: float32, plain SGD, no L2 penalty."""
    from sklearn.neural_network import MLPClassifier

    hidden = tuple(workload.spec.layer(name).units for name in workload.spec.order[:-1])
    model = MLPClassifier(
        hidden_layer_sizes=hidden,
        activation=workload.sklearn_activation,
        solver="sgd",
        alpha=0.0,
        batch_size=len(workload.batches[0].X),
        learning_rate="constant",
        learning_rate_init=workload.learning_rate,
        momentum=0.0,
        nesterovs_momentum=False,
        shuffle=False,
    )
    batches = [(b.X.astype(np.float32), b.labels) for b in workload.batches]
    # The Trainer also ends an epoch with a smaller batch, and scikit-learn
    # warns about every such batch.
    warnings.filterwarnings("ignore", message="Got `batch_size`", category=UserWarning)
    classes = np.arange(max(2, workload.spec.units(workload.spec.output_name)))
    # The first call draws scikit-learn's own weights. reset() overwrites them
    # in place, because the model's optimizer keeps references to these arrays.
    model.partial_fit(*batches[0], classes=classes)

    def reset() -> None:
        for index, name in enumerate(workload.spec.order):
            model.coefs_[index][...] = workload.initial[name].W
            model.intercepts_[index][...] = workload.initial[name].b

    def run(steps: int) -> float:
        for step in range(steps):
            model.partial_fit(*batches[step % len(batches)])
        return float(model.loss_)

    return Contender("scikit-learn", "float32", "default", reset, run)


def matmul_limit_contender(workload: Workload, dtype: type, blas_threads: int | None) -> Contender:
    """Build the limit: one step's matrix products alone, into preallocated outputs.

    In the engine's layout, they are z = a @ W and dW = a.T @ dz for every
    layer, and dLoss/da = dz @ W.T for every layer but the first.
    The first layer reads the workload's own batches, so the inputs stream
    through the caches as they do in training. Every other operand is a fixed
    random array.
    """
    rng = np.random.default_rng(0)
    spec = workload.spec
    widths = [spec.input_units] + [spec.units(name) for name in spec.order]
    weights: list[Array] = [
        rng.standard_normal((fan_in, units)).astype(dtype)
        for fan_in, units in zip(widths[:-1], widths[1:], strict=True)
    ]
    buffers: dict[int, tuple[list[Array], list[Array]]] = {}
    steps: list[list[tuple[Array, Array, Array]]] = []
    for batch in workload.batches:
        count = len(batch.X)
        if count not in buffers:
            hidden: list[Array] = [
                rng.standard_normal((count, width)).astype(dtype) for width in widths[1:]
            ]
            buffers[count] = (hidden, [a.copy() for a in hidden])
        hidden, deltas = buffers[count]
        activations = [batch.X.astype(dtype), *hidden]
        calls: list[tuple[Array, Array, Array]] = []
        for index, W in enumerate(weights):
            fan_in, units = W.shape
            calls.append((activations[index], W, np.empty((count, units), dtype)))
            calls.append((activations[index].T, deltas[index], np.empty((fan_in, units), dtype)))
            if index:
                calls.append((deltas[index], W.T, np.empty((count, fan_in), dtype)))
        steps.append(calls)

    def run(count: int) -> float:
        for step in range(count):
            for left, right, out in steps[step % len(steps)]:
                np.dot(left, right, out)
        return float("nan")

    threads = blas_label(blas_threads)
    return Contender("matmul limit", np.dtype(dtype).name, threads, lambda: None, run, blas_threads)


def _torch_model(workload: Workload) -> torch.nn.Sequential:
    import torch

    activations = {"sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}
    modules: list[torch.nn.Module] = []
    spec = workload.spec
    for name in spec.order:
        params = workload.initial[name]
        linear = torch.nn.Linear(*params.W.shape)
        with torch.no_grad():
            # torch.nn.Linear keeps W as (units, inputs), the transpose of the engine's.
            linear.weight.copy_(torch.tensor(params.W.T))
            linear.bias.copy_(torch.tensor(params.b))
        modules.append(linear)
        activation = spec.layer(name).activation
        # The output activation belongs to the loss when the loss takes logits.
        if name != spec.output_name or workload.loss == "mse":
            modules.append(activations[activation]())
    return torch.nn.Sequential(*modules)


def _torch_loss(workload: Workload) -> Callable[..., torch.Tensor]:
    from torch.nn import functional

    if workload.loss == "mse":
        # The engine's mse carries a factor 1/2 and averages over samples only,
        # so with one output column it equals half of PyTorch's mean.
        return lambda output, y, labels: 0.5 * functional.mse_loss(output, y)
    if workload.loss == "binary_cross_entropy":
        return lambda output, y, labels: functional.binary_cross_entropy_with_logits(output, y)
    return lambda output, y, labels: functional.cross_entropy(output, labels)
