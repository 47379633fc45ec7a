"""How responsive the window stays while it trains XOR 2-4-1 at full speed with live plots.

Two measurements per round, in one process:

- timer gaps: a 10 ms QTimer on the GUI thread records when it fires while a
  real MainWindow (offscreen) trains and redraws its loss curve, decision
  boundary and status bar. A gap far above 10 ms is a moment the window could
  not react to the user.
- throughput: the epochs per second of that GUI run, divided by the epochs per
  second of a headless Trainer on the same project in the same round.

Run from the repository root; it prints markdown tables ready for
docs/benchmarks.md. No test runs this script.

    python benchmarks/gui_responsiveness.py [--rounds 5] [--seconds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from gui_common import (  # noqa: E402
    close_window,
    open_window,
    percentile,
    print_machine_table,
    run_events,
    wait_until,
    xor_project,
)
from PySide6.QtCore import Qt, QTimer  # noqa: E402

from nnstudio.engine.training import Trainer  # noqa: E402

TIMER_MS = 10
# Far more epochs than a round trains, so the run never ends on its own.
RUN_EPOCHS = 10**8
WARM_UP_EPOCHS = 500


@dataclass
class Round:
    idle_p99: float  # ms, the same timer in a window that does not train
    gap_p50: float  # ms
    gap_p99: float
    gap_max: float
    gui_speed: float  # epochs/s
    headless_speed: float

    @property
    def ratio(self) -> float:
        return self.gui_speed / self.headless_speed


def timer_gaps(seconds: float) -> list[float]:
    """Run the event loop for ``seconds`` with a 10 ms timer; return the gaps between its ticks."""
    stamps: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: stamps.append(time.perf_counter()))
    timer.start(TIMER_MS)
    run_events(seconds)
    timer.stop()
    gaps: list[float] = (np.diff(stamps) * 1000).tolist()
    return gaps


def idle_gaps(seconds: float) -> list[float]:
    """Return the timer gaps in an open window that does not train: the machine's own noise."""
    window = open_window(xor_project(RUN_EPOCHS))
    gaps = timer_gaps(seconds)
    close_window(window)
    return gaps


def gui_round(seconds: float) -> tuple[list[float], float]:
    """Train in a window for ``seconds``; return the timer gaps (ms) and the epochs per second."""
    window = open_window(xor_project(RUN_EPOCHS))
    history = lambda: window.document.project.history  # noqa: E731
    window.training.train_action.trigger()
    wait_until(lambda: history().epoch_count >= WARM_UP_EPOCHS, 30)

    first_epoch, start = history().epoch_count, time.perf_counter()
    gaps = timer_gaps(seconds)
    last_epoch, end = history().epoch_count, time.perf_counter()

    close_window(window)
    return gaps, (last_epoch - first_epoch) / (end - start)


def headless_speed(seconds: float) -> float:
    """Return the epochs per second of a Trainer on the same project, without a window."""
    project = xor_project(RUN_EPOCHS)
    dataset = project.dataset
    trainer = Trainer(project.network(), dataset.network_inputs(), dataset.y, project.settings)
    trainer.train(WARM_UP_EPOCHS)
    epochs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        trainer.train(100)
        epochs += 100
    return epochs / (time.perf_counter() - start)


def measure(seconds: float) -> Round:
    idle = idle_gaps(min(seconds, 2.0))
    # Headless before and after the window, averaged, because the load of a
    # shared machine changes within seconds.
    before = headless_speed(seconds / 2)
    gaps, gui_speed = gui_round(seconds)
    after = headless_speed(seconds / 2)
    return Round(
        percentile(idle, 99),
        percentile(gaps, 50),
        percentile(gaps, 99),
        max(gaps),
        gui_speed,
        (before + after) / 2,
    )


def print_rounds(rounds: list[Round]) -> None:
    print(
        "| round | idle gap p99 (ms) | gap p50 (ms) | gap p99 (ms) | gap max (ms) "
        "| GUI epochs/s | headless epochs/s | ratio |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for number, r in enumerate(rounds, start=1):
        print(
            f"| {number} | {r.idle_p99:.1f} | {r.gap_p50:.1f} | {r.gap_p99:.1f} | {r.gap_max:.1f} "
            f"| {r.gui_speed:,.0f} | {r.headless_speed:,.0f} | {r.ratio:.2f} |"
        )


def print_summary(rounds: list[Round]) -> None:
    rows = [
        ("timer gap p99 without training (ms)", [r.idle_p99 for r in rounds], "-"),
        ("timer gap p50 (ms)", [r.gap_p50 for r in rounds], "-"),
        ("timer gap p99 (ms)", [r.gap_p99 for r in rounds], "< 20"),
        ("timer gap max (ms)", [r.gap_max for r in rounds], "-"),
        ("GUI / headless epochs per second", [r.ratio for r in rounds], ">= 0.7"),
    ]
    print("| measure | min | median | max | target |")
    print("| --- | --- | --- | --- | --- |")
    for name, values, target in rows:
        print(
            f"| {name} | {min(values):.2f} | {statistics.median(values):.2f} "
            f"| {max(values):.2f} | {target} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds to run (default 5)")
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="seconds of each measurement (default 5)"
    )
    args = parser.parse_args()

    rounds = []
    for number in range(1, args.rounds + 1):
        rounds.append(measure(args.seconds))
        print(f"round {number} of {args.rounds} done", file=sys.stderr, flush=True)

    print_machine_table()
    print()
    print(f"{args.rounds} rounds of {args.seconds:g} s each, timer interval {TIMER_MS} ms.")
    print()
    print_rounds(rounds)
    print()
    print_summary(rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
