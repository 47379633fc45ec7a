"""Training speed of nnstudio's engine beside PyTorch and scikit-learn, on four workloads.

Run from the repository root (see benchmarks/README.md):

    python benchmarks/engine_speed.py [--repeats 7] [--seconds 0.25] [--only W3,W4]

One step is the forward pass, backward pass and SGD update on one batch. Every
contender starts each timed block from the workload's first weights and walks
the same sequence of batches. Blocks of all contenders of a workload are
interleaved, repeat after repeat, so that load from other processes spreads
over all of them. The table gives steps per second in the best and in the
median block, and the ratios to PyTorch and to the matrix-product limit
computed from each. Before timing, the script trains every contender for 10
steps from the same weights and prints the losses side by side.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from prototype_fast import FastChain
from threadpoolctl import threadpool_info, threadpool_limits
from workloads import Workload, all_workloads

from nnstudio.engine.losses import make_loss
from nnstudio.engine.network import Network
from nnstudio.engine.optimizers import SGD
from nnstudio.engine.training import Trainer, TrainingSettings

# Blocks shorter than this are lengthened, because timer and scheduler noise
# would dominate them.
MIN_BLOCK_SECONDS = 0.05
# Pause after each block, because idle pool threads poll for work for a while
# before they sleep, and they would take a core from the next block. libgomp,
# PyTorch's OpenMP here, polls for 300,000 spins by default, and OpenBLAS polls too.
SETTLE_SECONDS = 0.05
CHECK_STEPS = 10

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

    @property
    def label(self) -> str:
        return f"{self.engine} {self.dtype} {self.threads}"


def nnstudio_contender(workload: Workload, dtype: type, blas_threads: int | None) -> Contender:
    """Build the current engine's contender: Network.gradients, then SGD.update."""
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
            gradients = network.gradients(X, y, loss)
            optimizer.update(network.parameters, gradients.parameters)
            value = gradients.loss
        return value

    threads = _blas_label(blas_threads)
    return Contender("nnstudio", np.dtype(dtype).name, threads, reset, run, blas_threads)


def trainer_contender(workload: Workload) -> Contender:
    """Build a contender for nnstudio's Trainer.step, float64, as the app and CLI drive it.

    Beyond Network.gradients and SGD.update, each step gathers its batch rows,
    and the last step of an epoch evaluates the loss and accuracy on the whole
    training set. The Trainer shuffles with its own seed, so its batches hold
    the workload's samples in another order, and the loss check leaves it out.
    """
    X = np.vstack([batch.X for batch in workload.batches])
    y = np.vstack([batch.y for batch in workload.batches])
    full = len(workload.batches) == 1
    settings = TrainingSettings(
        loss=workload.loss,
        learning_rate=workload.learning_rate,
        batch_mode="full" if full else "minibatch",
        batch_size=len(workload.batches[0].X),
    )
    trainer = Trainer(Network(workload.spec, workload.parameters()), X, y, settings)

    def reset() -> None:
        nonlocal trainer
        trainer = Trainer(Network(workload.spec, workload.parameters()), X, y, settings)

    def run(steps: int) -> float:
        for _ in range(steps):
            trainer.step()
        return float("nan")

    return Contender("nnstudio Trainer", "float64", "BLAS default", reset, run)


def prototype_contender(
    workload: Workload, dtype: type, blas_threads: int | None, every_loss: bool = False
) -> Contender:
    """Build a FastChain contender, which computes every batch loss with ``every_loss``.

    Without ``every_loss`` the batch loss is computed once, after the last
    step, because the Trainer needs none. The engine's contender computes it
    at every step, inside Network.gradients.
    """
    network = Network(workload.spec, workload.parameters(), dtype=dtype)
    fast = FastChain(network, make_loss(workload.loss), workload.learning_rate)
    batches = [fast.prepare(b.X, b.y) for b in workload.batches]

    def reset() -> None:
        fast.load(workload.initial)

    def run(steps: int) -> float:
        for step in range(steps):
            fast.step(batches[step % len(batches)])
            if every_loss:
                fast.batch_loss()
        return fast.batch_loss()

    engine = "prototype+loss" if every_loss else "prototype"
    threads = _blas_label(blas_threads)
    return Contender(engine, np.dtype(dtype).name, threads, reset, run, blas_threads)


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

    threads = _blas_label(blas_threads)
    return Contender("matmul limit", np.dtype(dtype).name, threads, lambda: None, run, blas_threads)


def contenders_for(workload: Workload, with_sklearn: bool) -> list[Contender]:
    contenders = [torch_contender(workload, 1), torch_contender(workload, 2)]
    if with_sklearn:
        contenders.append(sklearn_contender(workload))
    contenders += [
        trainer_contender(workload),
        nnstudio_contender(workload, np.float64, None),
        nnstudio_contender(workload, np.float32, None),
        nnstudio_contender(workload, np.float32, 1),
    ]
    for threads in (1, 2):
        contenders += [
            prototype_contender(workload, np.float64, threads),
            prototype_contender(workload, np.float32, threads),
        ]
    contenders.append(prototype_contender(workload, np.float32, 1, every_loss=True))
    if workload.key in ("W3", "W4"):
        for threads in (1, 2):
            contenders += [
                matmul_limit_contender(workload, np.float64, threads),
                matmul_limit_contender(workload, np.float32, threads),
            ]
    return contenders


def time_block(contender: Contender, steps: int) -> float:
    """Return the seconds per step of one block, with the contender's thread settings."""
    import torch

    contender.reset()
    if contender.torch_threads is not None:
        torch.set_num_threads(contender.torch_threads)
    with threadpool_limits(limits=contender.blas_threads, user_api="blas"):
        start = time.perf_counter()
        contender.run(steps)
        elapsed = time.perf_counter() - start
    time.sleep(SETTLE_SECONDS)
    return elapsed / steps


def calibrate(contender: Contender, seconds: float) -> int:
    """Return a step count that makes one block last about ``seconds`` (also a warm-up)."""
    steps = 4
    while True:
        per_step = time_block(contender, steps)
        if per_step * steps >= MIN_BLOCK_SECONDS:
            return max(4, round(seconds / per_step))
        steps *= 4


def measure(contenders: list[Contender], repeats: int, seconds: float) -> dict[str, list[float]]:
    steps = {c.label: calibrate(c, seconds) for c in contenders}
    times: dict[str, list[float]] = {c.label: [] for c in contenders}
    for repeat in range(repeats):
        # Rotate the order so that no contender always follows the same one.
        shift = repeat % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            times[contender.label].append(time_block(contender, steps[contender.label]))
    return times


def check_agreement(workload: Workload, contenders: list[Contender]) -> list[str]:
    """Train each contender 10 steps from the same weights and return a line per final loss."""
    losses = {}
    for contender in contenders:
        if contender.engine in ("matmul limit", "nnstudio Trainer"):
            continue
        contender.reset()
        with threadpool_limits(limits=contender.blas_threads, user_api="blas"):
            losses[contender.label] = contender.run(CHECK_STEPS)
    reference = losses["nnstudio float64 BLAS default"]
    lines = []
    for label, value in losses.items():
        relative = abs(value - reference) / abs(reference)
        # float32 keeps about 7 digits, and sums over hundreds of inputs for
        # 10 steps lose 2 or 3 more. float64 contenders must match to 1e-12.
        tolerance = 1e-12 if " float64 " in label else 1e-4
        if label.startswith("scikit-learn") and workload.loss == "mse":
            verdict = "not compared: scikit-learn's classifier trains with log-loss, not mse"
        elif relative <= tolerance:
            verdict = f"agrees within {tolerance:g}"
        else:
            verdict = f"DIFFERS by more than {tolerance:g}"
        lines.append(
            f"  {label:34s} loss {value:.10f}  relative difference {relative:.1e}  {verdict}"
        )
    return lines


def peak_memory(workload: Workload, steps: int = 100) -> list[str]:
    """Return what each NumPy engine allocates during its steps and keeps between them.

    The transient peak is tracemalloc's peak during ``steps`` steps, after a
    warm-up step, minus what was allocated when they started. tracemalloc records
    NumPy's allocations but not PyTorch's, so PyTorch is left out here.
    """
    return _memory_lines(workload, np.float64, steps) + _memory_lines(workload, np.float32, steps)


def _memory_lines(workload: Workload, dtype: type, steps: int) -> list[str]:
    name = np.dtype(dtype).name
    loss = make_loss(workload.loss)
    network = Network(workload.spec, workload.parameters(), dtype=dtype)
    optimizer = SGD(workload.learning_rate)
    batches: list[tuple[Array, Array]] = [
        (b.X.astype(dtype), b.y.astype(dtype)) for b in workload.batches
    ]
    fast = FastChain(Network(workload.spec, workload.parameters(), dtype), loss, 0.1)
    prepared = [fast.prepare(b.X, b.y) for b in workload.batches]

    def engine_step(step: int) -> None:
        X, y = batches[step % len(batches)]
        optimizer.update(network.parameters, network.gradients(X, y, loss).parameters)

    def fast_step(step: int) -> None:
        fast.step(prepared[step % len(prepared)])

    lines = []
    for engine, step in (("nnstudio", engine_step), ("prototype", fast_step)):
        step(0)
        tracemalloc.start()
        for index in range(steps):
            step(index)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        lines.append(f"  {engine} {name}: transient peak {(peak - current) / 1024:.1f} KiB")
    kept = fast.buffer_bytes() / 1024
    lines.append(f"  prototype {name}: buffers kept between steps {kept:.0f} KiB")
    return lines


def engine_parts(workload: Workload, number: int = 200) -> str:
    """Return the time of each part of one engine step, float32, on the first batch.

    The parts are Network.forward, the loss value alone, Network.backward
    (which computes the loss value again, and its gradient) and SGD.update.
    The output activation is timed on its own too, because with a loss from
    logits (W2 to W4) backward never reads what forward computed with it.
    """
    import timeit

    network = Network(workload.spec, workload.parameters(), dtype=np.float32)
    loss = make_loss(workload.loss)
    optimizer = SGD(workload.learning_rate)
    X = workload.batches[0].X.astype(np.float32)
    y = workload.batches[0].y.astype(np.float32)
    run = network.forward(X)
    gradients = network.backward(run, y, loss)
    output = workload.spec.output_name
    parts = {
        "forward": lambda: network.forward(X),
        "loss value": lambda: network.loss_of(run, y, loss),
        "backward": lambda: network.backward(run, y, loss),
        "update": lambda: optimizer.update(network.parameters, gradients.parameters),
        "output activation": lambda: network.activations[output].forward(run.z[output]),
    }
    costs = {
        name: min(timeit.repeat(part, number=number, repeat=5)) / number * 1e6
        for name, part in parts.items()
    }
    listed = ", ".join(f"{name} {cost:.1f}" for name, cost in costs.items())
    return f"{workload.key} engine step parts, float32, microseconds: {listed}"


def summarize(workload: Workload, times: dict[str, list[float]]) -> list[str]:
    """Return Markdown table rows: steps/s, ratio to PyTorch and share of the limit.

    Each ratio comes twice, from the best blocks and from the median blocks.
    PyTorch's reference is its faster thread setting, chosen separately for
    the best and the median. The share of the matrix-product limit compares
    with the limit at the same dtype and BLAS thread count.
    """
    best = {label: min(values) for label, values in times.items()}
    median = {label: statistics.median(values) for label, values in times.items()}
    torch_labels = [label for label in times if label.startswith("PyTorch")]
    torch_best = min(best[label] for label in torch_labels)
    torch_median = min(median[label] for label in torch_labels)
    rows = []
    for label in times:
        engine, dtype, threads = _split_label(label)
        limit = f"matmul limit {dtype} {threads}"
        shares = ["", ""]
        if limit in times and engine.startswith(("nnstudio", "prototype")):
            shares = [f"{best[limit] / best[label]:.2f}", f"{median[limit] / median[label]:.2f}"]
        rows.append(
            f"| {workload.key} | {engine} | {dtype} | {threads} | {1 / best[label]:,.0f} | "
            f"{1 / median[label]:,.0f} | {torch_best / best[label]:.2f} | "
            f"{torch_median / median[label]:.2f} | {shares[0]} | {shares[1]} |"
        )
    return rows


def machine_report() -> list[str]:
    import sklearn
    import torch

    blas = [
        f"{i['internal_api']} {i['version']} ({i['architecture']}, {i['num_threads']} threads, "
        f"{os.path.basename(i['filepath'])})"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    return [
        f"date: {datetime.date.today().isoformat()}",
        f"CPU: {_cpu_model()}, {os.cpu_count()} cores",
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"PyTorch {torch.__version__}, scikit-learn {sklearn.__version__}",
        f"BLAS: {'; '.join(blas)}",
        f"PyTorch threads by default: {torch.get_num_threads()}",
        "OPENBLAS_CORETYPE="
        f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
        f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed blocks per contender")
    parser.add_argument("--seconds", type=float, default=0.25, help="length of one block")
    parser.add_argument("--only", default="", help="comma-separated workload keys, e.g. W3,W4")
    parser.add_argument(
        "--parts", action="store_true", help="time only the parts of the engine's step"
    )
    args = parser.parse_args()

    for line in machine_report():
        print(line)
    chosen = [w for w in all_workloads() if not args.only or w.key in args.only.split(",")]
    if args.parts:
        for workload in chosen:
            print(engine_parts(workload, 20 if workload.key == "W4" else 2000))
        return
    with_sklearn = _has_sklearn()

    table = [
        "| workload | engine | dtype | threads | steps/s best | steps/s median "
        "| x PyTorch best | x PyTorch median | limit share best | limit share median |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for workload in chosen:
        contenders = contenders_for(workload, with_sklearn)
        print(f"\n{workload.key} {workload.title}: loss of step {CHECK_STEPS}, same first weights")
        print("\n".join(check_agreement(workload, contenders)))
        if workload.key == "W3":
            print(f"{workload.key} memory over 100 steps (tracemalloc):")
            print("\n".join(peak_memory(workload)))
        times = measure(contenders, args.repeats, args.seconds)
        table += summarize(workload, times)
        print("\n".join(table[-len(times) :]), flush=True)

    print("\n" + "\n".join(table))
    peak_rss = _peak_rss_mib()
    print(f"\nprocess peak RSS: {peak_rss:.0f} MiB")


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


def _blas_label(blas_threads: int | None) -> str:
    return "BLAS default" if blas_threads is None else f"BLAS {blas_threads}"


def _split_label(label: str) -> tuple[str, str, str]:
    for dtype in ("float64", "float32"):
        if f" {dtype} " in label:
            engine, threads = label.split(f" {dtype} ")
            return engine, dtype, threads
    raise ValueError(f"label {label!r} names no dtype")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _peak_rss_mib() -> float:
    import resource

    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _has_sklearn() -> bool:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("scikit-learn is not installed; its rows are left out", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    main()
