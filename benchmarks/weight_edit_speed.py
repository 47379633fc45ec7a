"""Time one hand edit of a weight in the real main window, as a slider drag makes them.

Run from the repository root: ``python benchmarks/weight_edit_speed.py``. Each edit is one
SetWeightCommand, pushed as the Weight panel's slider does it (``WeightEditing.set_value``
with a drag gesture). Its time covers the GUI thread's work before the call returns: the
canvas repaint request, the decision-boundary grid (100 x 100 points), the confusion matrix,
the step-through panel and the Weight panel's loss, accuracy and outputs. Qt's painting of
the window is timed separately. Nothing here checks a time; the numbers go in
docs/benchmarks.md.
"""

from __future__ import annotations

import statistics
import time

from gui_common import close_window, open_window, print_machine_table, run_events

from nnstudio.gui.weight_values import WeightRef
from nnstudio.project.fileformat import load_project

EDITS = 200
CASES = {
    "xor-by-hand (2-2-1 step, 4 samples)": (
        "examples/xor-by-hand.nnproj",
        WeightRef("hidden 1", "W", 0, 1),
    ),
    "moons (2-8-8-1, 200 samples)": ("examples/moons.nnproj", WeightRef("hidden 1", "W", 0, 0)),
    "iris (4-8-3 softmax, 150 samples)": ("examples/iris.nnproj", WeightRef("hidden 1", "W", 0, 0)),
}


def time_case(path: str, ref: WeightRef) -> tuple[float, float, float]:
    """Return the median and maximum ms of one edit, and the median ms of painting after it."""
    window = open_window(load_project(path))
    editing = window.weight_panel.editing
    editing.select(ref)
    gesture = editing.new_gesture()
    run_events(0.2)
    edits, paints = [], []
    for index in range(EDITS):
        value = round(-2.0 + 4.0 * index / EDITS, 10)
        start = time.perf_counter()
        editing.set_value(value, gesture)
        middle = time.perf_counter()
        window.repaint()
        end = time.perf_counter()
        edits.append((middle - start) * 1000)
        paints.append((end - middle) * 1000)
    assert window.document.undo_stack.count() == 1, "a drag must stay one undo step"
    close_window(window)
    return statistics.median(edits), max(edits), statistics.median(paints)


def main() -> None:
    print_machine_table()
    print()
    print("| project | edits | median ms per edit | max ms | median ms to repaint the window |")
    print("| --- | --- | --- | --- | --- |")
    for name, (path, ref) in CASES.items():
        median, largest, paint = time_case(path, ref)
        print(f"| {name} | {EDITS} | {median:.2f} | {largest:.2f} | {paint:.2f} |")


if __name__ == "__main__":
    main()
