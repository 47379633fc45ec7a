"""Time File > Export figure and presentation mode in the main window, offscreen.

Run from the repository root: ``python benchmarks/figure_export.py``. It trains
the XOR example with the engine, opens it in a main window, then writes each
figure as PNG and SVG and switches presentation mode on and off, printing the
median of ``REPEATS`` runs and the file sizes. Nothing here checks a time.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from nnstudio.cli_commands import train_project  # noqa: E402
from nnstudio.gui.app import create_application  # noqa: E402
from nnstudio.gui.figures import save_plot, save_scene  # noqa: E402
from nnstudio.gui.main_window import MainWindow  # noqa: E402
from nnstudio.project.fileformat import load_project  # noqa: E402

REPEATS = 7
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "xor.nnproj"


def median_ms(action: Callable[[], None]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    app = create_application()
    project = load_project(EXAMPLE)
    train_project(project)
    window = MainWindow(project)
    window.show()
    # A floating boundary dock of a usual size, as a user would export it.
    dock = window.docks["Decision boundary"]
    dock.setFloating(True)
    dock.resize(700, 600)
    app.processEvents()

    figures: dict[str, Callable[[Path], None]] = {
        "network": lambda path: save_scene(window.canvas.canvas_scene, path),
        "loss": lambda path: save_plot(
            window.loss_plot.plot_widget, path, window.loss_plot.restyle
        ),
        "boundary": lambda path: save_plot(
            window.boundary_plot.plot_widget, path, window.boundary_plot.restyle
        ),
    }
    with tempfile.TemporaryDirectory() as folder:
        for name, write in figures.items():
            for suffix in ("png", "svg"):
                path = Path(folder) / f"{name}.{suffix}"
                milliseconds = median_ms(lambda write=write, path=path: write(path))
                size = path.stat().st_size / 1024
                print(f"{name:9} {suffix}: {milliseconds:6.1f} ms  {size:6.0f} KiB")

    def toggle() -> None:
        window.presentation.set_active(not window.presentation.active)
        app.processEvents()

    print(f"presentation mode on or off: {median_ms(toggle):6.1f} ms")
    window.presentation.set_active(False)
    window.training.shutdown()


if __name__ == "__main__":
    main()
