"""Training speed of nnstudio's engine beside PyTorch and scikit-learn, on four workloads.

Run from the repository root (see benchmarks/README.md):

    python benchmarks/engine_speed.py [--repeats 7] [--seconds 0.25] [--only W3,W4]

One step is the forward pass, backward pass and SGD update on one batch. The
"nnstudio step" rows time FastStep.train, the engine function that
Trainer.step calls on its fast path; "nnstudio Trainer" times Trainer.step
itself, and "general path" the engine's general path (Network.gradients, then
SGD.update). Every contender starts each timed block from the workload's first
weights. Blocks of all contenders of a workload are interleaved, repeat after
repeat, so that load from other processes spreads over all of them. The table
gives steps per second in the best and in the median block, and the ratios to
PyTorch and to the matrix-product limit computed from each. Before timing,
the script trains every contender for 10 steps from the same weights and
prints the losses side by side.
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

import numpy as np
from blas_threads import BlasThreads
from contenders import (
    Contender,
    general_contender,
    matmul_limit_contender,
    sklearn_contender,
    step_contender,
    torch_contender,
    trainer_contender,
)
from workloads import Workload, all_workloads

# Blocks shorter than this are lengthened, because timer and scheduler noise
# would dominate them.
MIN_BLOCK_SECONDS = 0.05
# Pause after each block, because idle pool threads poll for work for a while
# before they sleep, and they would take a core from the next block. libgomp,
# PyTorch's OpenMP here, polls for 300,000 spins by default, and OpenBLAS polls too.
SETTLE_SECONDS = 0.05
CHECK_STEPS = 10
REFERENCE = "general path float64 BLAS default"

BLAS = BlasThreads()


def contenders_for(workload: Workload, with_sklearn: bool) -> list[Contender]:
    contenders = [torch_contender(workload, 1), torch_contender(workload, 2)]
    if with_sklearn:
        contenders.append(sklearn_contender(workload))
    contenders += [
        step_contender(workload, np.float64, None),
        step_contender(workload, np.float32, None),
        trainer_contender(workload, np.float64),
        trainer_contender(workload, np.float32),
        general_contender(workload, np.float64),
        general_contender(workload, np.float32),
    ]
    if workload.key in ("W3", "W4"):
        threads: tuple[int | None, ...] = (None, 1) if BLAS.available else (None,)
        for count in threads:
            if count is not None:
                contenders += [
                    step_contender(workload, np.float64, count),
                    step_contender(workload, np.float32, count),
                ]
            contenders += [
                matmul_limit_contender(workload, np.float64, count),
                matmul_limit_contender(workload, np.float32, count),
            ]
    return contenders


def time_block(contender: Contender, steps: int) -> float:
    """Return the seconds per step of one block, with the contender's thread settings."""
    import torch

    contender.reset()
    if contender.torch_threads is not None:
        torch.set_num_threads(contender.torch_threads)
    with BLAS.limited(contender.blas_threads):
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
        with BLAS.limited(contender.blas_threads):
            losses[contender.label] = contender.run(CHECK_STEPS)
    reference = losses[REFERENCE]
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


def memory_lines(workload: Workload, steps: int = 100) -> list[str]:
    """Return what the fast step and the general path allocate during steps and keep between.

    The transient peak is tracemalloc's peak during ``steps`` steps, after
    warm-up steps, minus what was allocated when they started. tracemalloc
    records NumPy's allocations but not PyTorch's, so PyTorch is left out.
    """
    lines = []
    for dtype in (np.float64, np.float32):
        name = np.dtype(dtype).name
        fast = step_contender(workload, dtype, None)
        general = general_contender(workload, dtype)
        for contender in (fast, general):
            contender.reset()
            contender.run(len(workload.batches) + 1)
            tracemalloc.start()
            contender.run(steps)
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            transient = (peak - current) / 1024
            lines.append(f"  {contender.engine} {name}: transient peak {transient:.1f} KiB")
        kept = fast.kept_bytes() / 1024 if fast.kept_bytes is not None else float("nan")
        lines.append(f"  nnstudio step {name}: buffers kept between steps {kept:.0f} KiB")
    return lines


def summarize(workload: Workload, times: dict[str, list[float]]) -> list[str]:
    """Return Markdown table rows: steps/s, ratio to PyTorch and share of the limit.

    Each ratio comes twice, from the best blocks and from the median blocks.
    PyTorch's reference is its faster thread setting, chosen separately for
    the best and the median. The share of the matrix-product limit compares
    the engine's step with the limit at the same dtype and BLAS thread setting.
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
        if limit in times and engine == "nnstudio step":
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

    return [
        f"date: {datetime.date.today().isoformat()}",
        f"CPU: {_cpu_model()}, {os.cpu_count()} cores",
        f"Python {platform.python_version()}, NumPy {np.__version__}, "
        f"PyTorch {torch.__version__}, scikit-learn {sklearn.__version__}",
        f"NumPy's BLAS: {BLAS.describe()}",
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
    args = parser.parse_args()

    for line in machine_report():
        print(line)
    chosen = [w for w in all_workloads() if not args.only or w.key in args.only.split(",")]
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
            print("\n".join(memory_lines(workload)))
        times = measure(contenders, args.repeats, args.seconds)
        table += summarize(workload, times)
        print("\n".join(table[-len(times) :]), flush=True)

    print("\n" + "\n".join(table))
    peak_rss = _peak_rss_mib()
    print(f"\nprocess peak RSS: {peak_rss:.0f} MiB")


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
