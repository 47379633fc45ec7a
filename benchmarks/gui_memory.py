"""Memory of a long run with live plots: RSS while a window trains XOR 2-4-1 for many epochs.

A real MainWindow (offscreen) trains the default XOR project at full speed with
its loss curve, decision boundary and status bar live. Every few seconds the
script reads the process's resident set size (VmRSS in /proc/self/status). The
growth is measured from the first sample after WARM_UP_EPOCHS, once the plots,
the history and NumPy's allocations have reached their working size. The
history and the loss curve are bounded (engine/history.py), so the growth should
stay flat however long the run.

Run from the repository root; it prints markdown tables ready for
docs/benchmarks.md. No test runs this script.

    python benchmarks/gui_memory.py [--epochs 1000000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from gui_common import (  # noqa: E402
    close_window,
    open_window,
    print_machine_table,
    rss_mb,
    run_events,
    wait_until,
    xor_project,
)

WARM_UP_EPOCHS = 20_000
SAMPLE_SECONDS = 2.0


def measure(epochs: int) -> tuple[list[tuple[int, float, float]], int, int]:
    """Train ``epochs`` epochs; return (epoch, seconds, RSS MB) samples, history and curve sizes."""
    window = open_window(xor_project(epochs))
    history = lambda: window.document.project.history  # noqa: E731
    window.training.train_action.trigger()
    wait_until(lambda: history().epoch_count >= WARM_UP_EPOCHS, 600)

    samples = []
    start = time.perf_counter()
    while window.training.controller.state != "idle":
        samples.append((history().epoch_count, time.perf_counter() - start, rss_mb()))
        run_events(SAMPLE_SECONDS)
    samples.append((history().epoch_count, time.perf_counter() - start, rss_mb()))

    kept = len(history())
    curve = len(window.loss_plot.curve_data()[0])
    close_window(window)
    return samples, kept, curve


def print_results(samples: list[tuple[int, float, float]], kept: int, curve: int) -> None:
    epochs = np.array([sample[0] for sample in samples], dtype=np.float64)
    rss = np.array([sample[2] for sample in samples])
    slope = np.polyfit(epochs, rss, 1)[0] * 100_000 if len(samples) > 1 else float("nan")
    seconds = samples[-1][1]

    print("| measure | value |")
    print("| --- | --- |")
    print(f"| last epoch (measured from epoch {epochs[0]:,.0f}) | {epochs[-1]:,.0f} |")
    print(f"| time (s) | {seconds:.0f} |")
    print(f"| epochs per second | {(epochs[-1] - epochs[0]) / max(seconds, 1e-9):,.0f} |")
    print(f"| RSS after warm-up (MB) | {rss[0]:.1f} |")
    print(f"| RSS at the end (MB) | {rss[-1]:.1f} |")
    print(f"| RSS maximum (MB) | {rss.max():.1f} |")
    print(f"| growth, end minus warm-up (MB) | {rss[-1] - rss[0]:+.1f} (target < 30) |")
    print(f"| fitted slope (MB per 100,000 epochs) | {slope:+.3f} |")
    print(f"| history entries kept / loss curve points | {kept:,} / {curve:,} |")
    print()
    print("| epoch | RSS (MB) |")
    print("| --- | --- |")
    step = max(1, len(samples) // 10)
    for epoch, _seconds, value in [*samples[::step], samples[-1]]:
        print(f"| {epoch:,} | {value:.1f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--epochs", type=int, default=1_000_000, help="epochs to train (default 1000000)"
    )
    args = parser.parse_args()

    samples, kept, curve = measure(args.epochs)
    print_machine_table()
    print()
    print_results(samples, kept, curve)
    return 0


if __name__ == "__main__":
    sys.exit(main())
