"""Render the screenshots in docs/images, offscreen, so no display is needed.

- nnstudio-xor.png: the main window after training the XOR example.
- nnstudio-iris.png: the same after training the iris example (four inputs).
- import-dialog.png: File > Import data on examples/iris.csv.

Run from the repository root: ``python docs/make_screenshot.py``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from nnstudio.gui.app import create_application  # noqa: E402
from nnstudio.gui.import_dialog import ImportDialog  # noqa: E402
from nnstudio.gui.main_window import MainWindow  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    app = create_application()
    app.setOrganizationName("nnstudio-screenshot")
    status = 0
    for example in ("xor", "iris"):
        status |= _trained_window(app, example)
    status |= _import_dialog(app)
    return status


def _import_dialog(app: QApplication) -> int:
    sample = (ROOT / "examples" / "iris.csv").read_text(encoding="utf-8")
    dialog = ImportDialog("iris.csv", sample)
    dialog.show()
    app.processEvents()
    return _save(dialog, "import-dialog.png")


def _trained_window(app: QApplication, example: str) -> int:
    window = MainWindow()
    window.resize(1440, 900)
    window.show()
    if not window.open_path(ROOT / "examples" / f"{example}.nnproj"):
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

    status = _save(window, f"nnstudio-{example}.png")
    window.training.shutdown()
    window.autosaver.close()
    window.hide()
    return status


def _save(widget: QWidget, name: str) -> int:
    out = ROOT / "docs" / "images" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(out)):
        print(f"could not write {out}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
