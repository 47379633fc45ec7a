"""Shared parts of the GUI benchmarks: an offscreen main window, the machine, percentiles.

Importing this module sets QT_QPA_PLATFORM=offscreen (unless it is set already)
and keeps the benchmark's settings, recent files and autosaves in a temporary
folder, away from the user's own.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_SCRATCH = Path(tempfile.mkdtemp(prefix="nnstudio-gui-benchmark-"))
os.environ["XDG_DATA_HOME"] = str(_SCRATCH / "data")

import numpy as np  # noqa: E402  (after the environment above)
import pyqtgraph  # noqa: E402
import PySide6  # noqa: E402
from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, QTimer  # noqa: E402

from nnstudio.gui import dialogs  # noqa: E402
from nnstudio.gui.app import create_application  # noqa: E402
from nnstudio.gui.main_window import MainWindow  # noqa: E402
from nnstudio.project.model import Project, default_project  # noqa: E402

WINDOW_SIZE = (1400, 900)


def xor_project(epochs: int) -> Project:
    """Return the default XOR project (2-4-1, tanh hidden, sigmoid output) set to ``epochs``."""
    project = default_project("xor")
    project.settings.epochs = epochs
    return project


def open_window(project: Project) -> MainWindow:
    """Open a main window on ``project``, shown and laid out, with isolated settings."""
    app = create_application()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(_SCRATCH))
    QCoreApplication.setOrganizationName("nnstudio-benchmarks")
    window = MainWindow(project)
    window.resize(*WINDOW_SIZE)
    window.show()
    app.processEvents()
    return window


def close_window(window: MainWindow) -> None:
    # A trained project has unsaved changes; the benchmark discards them unasked.
    dialogs.ask_save_changes = lambda _parent, _name: "discard"
    window.training.shutdown()
    window.close()
    window.deleteLater()
    QCoreApplication.processEvents()


def run_events(seconds: float) -> None:
    """Run the Qt event loop for ``seconds``, as the application would."""
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def wait_until(condition: object, timeout: float) -> bool:
    """Run the event loop until ``condition()`` is true or ``timeout`` seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():  # type: ignore[operator]
            return True
        run_events(0.05)
    return False


def rss_mb() -> float:
    """Return this process's resident set size in MB (VmRSS in /proc/self/status)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS line in /proc/self/status; this needs Linux")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def machine_rows() -> list[tuple[str, str]]:
    """Return the machine, versions and current load as (what, value) rows."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    return [
        ("date (UTC)", time.strftime("%Y-%m-%d %H:%M", time.gmtime())),
        ("CPU", f"{cpu}, `nproc` {os.cpu_count()}"),
        ("load (`uptime`)", load),
        ("Python", platform.python_version()),
        ("NumPy", np.__version__),
        ("PySide6", PySide6.__version__),
        ("pyqtgraph", pyqtgraph.__version__),
        ("Qt platform", os.environ["QT_QPA_PLATFORM"]),
    ]


def print_machine_table() -> None:
    print("| what | value |")
    print("| --- | --- |")
    for what, value in machine_rows():
        print(f"| {what} | {value} |")
    sys.stdout.flush()
