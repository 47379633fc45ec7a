"""Time training many seeds at once against one Trainer per seed, and count stuck XOR runs.

The workload is the classroom question: a 2-2-1 network (sigmoid hidden,
sigmoid output, mse, learning rate 0.5, full batch, xavier_uniform) on XOR,
seeds 0 to 99, 5000 epochs. Both ways train every seed for all epochs, so they
do the same arithmetic. Each way runs ``--repeats`` times. The script reports
the minimum and median wall time of each and their ratios, and then how many
seeds reach 100% accuracy within the epochs.

Run from the repository root: ``python benchmarks/multiseed.py``. The 100
separate runs take about 40 s per repeat on a 2-core AMD EPYC virtual machine,
so the default 5 repeats take a few minutes.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nnstudio.engine.graph import chain
from nnstudio.engine.initializers import initialize
from nnstudio.engine.multiseed import Goal, train_many_seeds
from nnstudio.engine.network import Network
from nnstudio.engine.training import Trainer, TrainingSettings

CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR = np.array([[0.0], [1.0], [1.0], [0.0]])
SPEC = chain(2, (2, "sigmoid"), (1, "sigmoid"))
SETTINGS = TrainingSettings(loss="mse", learning_rate=0.5, batch_mode="full")
# Never met, so every copy trains all epochs, as the separate Trainers do.
NEVER = Goal(target_loss=None, target_accuracy=None)


def train_at_once(seeds: range, epochs: int) -> int:
    """Train every seed in one vectorized run and return how many reached 100% accuracy."""
    result = train_many_seeds(SPEC, CORNERS, XOR, SETTINGS, seeds, epochs=epochs, goal=NEVER)
    return int(np.count_nonzero(np.any(result.accuracy == 1.0, axis=1)))


def train_one_by_one(seeds: range, epochs: int) -> int:
    """Train one Trainer per seed and return how many reached 100% accuracy."""
    reached = 0
    for seed in seeds:
        network = Network(SPEC, initialize(SPEC, "xavier_uniform", seed))
        settings = dataclasses.replace(SETTINGS, seed=seed)
        trainer = Trainer(network, CORNERS, XOR, settings)
        trainer.train(epochs)
        reached += 1.0 in trainer.history.accuracy
    return reached


def time_repeats(run: Callable[[], int], repeats: int) -> tuple[list[float], int]:
    """Return the wall time of each repeat and the count of the last one."""
    times = []
    count = 0
    for _ in range(repeats):
        start = time.perf_counter()
        count = run()
        times.append(time.perf_counter() - start)
    return times, count


def describe_machine() -> str:
    """Return the CPU model, CPU count and the Python and NumPy versions."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs, "
        f"Python {platform.python_version()}, NumPy {np.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100, help="train seeds 0 to SEEDS - 1")
    parser.add_argument("--epochs", type=int, default=5000, help="epochs per seed")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each way")
    args = parser.parse_args()
    seeds = range(args.seeds)

    print(f"machine: {describe_machine()}")
    print(f"workload: {args.seeds} seeds of 2-2-1 on XOR, {args.epochs} epochs, full batch")
    at_once, count_at_once = time_repeats(lambda: train_at_once(seeds, args.epochs), args.repeats)
    alone, count_alone = time_repeats(lambda: train_one_by_one(seeds, args.epochs), args.repeats)

    for label, times in (("vectorized", at_once), ("one Trainer per seed", alone)):
        print(f"{label}: min {min(times):.3f} s, median {statistics.median(times):.3f} s")
    ratio_min = min(alone) / min(at_once)
    ratio_median = statistics.median(alone) / statistics.median(at_once)
    print(f"speed-up: {ratio_min:.1f}x (min), {ratio_median:.1f}x (median)")

    print(
        f"reached 100% accuracy within {args.epochs} epochs: {count_at_once} of {args.seeds} "
        f"seeds vectorized, {count_alone} one by one; {args.seeds - count_at_once} got stuck"
    )


if __name__ == "__main__":
    main()
