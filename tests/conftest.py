"""Shared test setup: offscreen Qt and the location of the reference cases."""

from __future__ import annotations

import os
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
