"""Render docs/images/nnstudio-xor.png: the main window after training the XOR example.

Run from the repository root: ``python docs/make_screenshot.py``. It renders
offscreen, so it needs no display.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from nnstudio.gui.app import create_application  # noqa: E402
from nnstudio.gui.main_window import MainWindow  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    app = create_application()
    app.setOrganizationName("nnstudio-screenshot")
    window = MainWindow()
    window.resize(1440, 900)
    window.show()
    if not window.open_path(ROOT / "examples" / "xor.nnproj"):
        return 1
    window.canvas.select_layer("hidden 1")
    window.training.train_action.trigger()

    deadline = time.monotonic() + 120
    while window.training.controller.state != "idle" and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    app.processEvents()
    window.canvas.fit_all()
    app.processEvents()

    out = ROOT / "docs" / "images" / "nnstudio-xor.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(out)):
        print(f"could not write {out}", file=sys.stderr)
        return 1
    print(out)
    window.document.undo_stack.setClean()
    window.training.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
