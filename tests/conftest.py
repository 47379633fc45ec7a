"""Shared test setup: offscreen Qt and the location of the reference cases."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Qt reads this when the QApplication is created, so it must be set first.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def reference_dir() -> Path:
    """Return the folder of independent reference cases (PyTorch and NumPy numbers).

    It lives in the shared folder beside the repository; NNSTUDIO_REFERENCE
    overrides the location.
    """
    override = os.environ.get("NNSTUDIO_REFERENCE")
    if override:
        return Path(override)
    return REPO.parent / "shared" / "reference"


_exit_status = 0


def pytest_sessionfinish(session: object, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


def pytest_unconfigure(config: object) -> None:
    # NOTE: with PySide6 6.11 the interpreter can crash with a segmentation fault
    # while it tears down Qt objects after the last test (seen only at exit, after
    # every test had passed). Ending the process here, once pytest has printed its
    # report, keeps the run's real exit status.
    if "PySide6.QtCore" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status)
