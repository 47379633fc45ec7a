"""File > Export: the trained network as ONNX, a NumPy script or a PyTorch script."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu, QWidget

from nnstudio import export
from nnstudio.gui import dialogs
from nnstudio.gui.document import ProjectDocument

log = logging.getLogger(__name__)

ONNX_MISSING = (
    "ONNX export needs the onnx package, which is not installed. "
    "Install it with: pip install nnstudio[onnx]"
)


class ExportMenu(QObject):
    """Builds the Export submenu and writes the files it offers.

    Signals:
        status(str): a short message for the status bar.
    """

    status = Signal(str)

    def __init__(self, window: QWidget, document: ProjectDocument) -> None:
        super().__init__(window)
        self.window = window
        self.document = document
        self.menu = QMenu("E&xport", window)
        self.onnx_action = self.menu.addAction("&ONNX model…")
        self.python_action = self.menu.addAction("&Python script (NumPy)…")
        self.pytorch_action = self.menu.addAction("Py&Torch script…")
        self.onnx_action.triggered.connect(self.export_onnx)
        self.python_action.triggered.connect(self.export_python)
        self.pytorch_action.triggered.connect(self.export_pytorch)
        self.onnx_action.setToolTip("Write the network and its weights as an ONNX model")
        self.python_action.setToolTip("Write a script that runs the network with NumPy alone")
        self.pytorch_action.setToolTip("Write a script that rebuilds the network in PyTorch")
        if not export.onnx_available():
            self.onnx_action.setToolTip(ONNX_MISSING)
        self.menu.setToolTipsVisible(True)

    def export_onnx(self) -> bool:
        if not export.onnx_available():
            dialogs.show_information(self.window, "Export ONNX", ONNX_MISSING)
            return False
        return self._export("ONNX model", ".onnx", "ONNX model (*.onnx)", export.export_onnx)

    def export_python(self) -> bool:
        return self._export(
            "Python script", ".py", "Python script (*.py)", export.export_numpy_script
        )

    def export_pytorch(self) -> bool:
        return self._export(
            "PyTorch script", ".py", "Python script (*.py)", export.export_pytorch_script
        )

    def _export(
        self,
        what: str,
        suffix: str,
        name_filter: str,
        write: Callable[..., None],
    ) -> bool:
        stem = self.document.path.stem if self.document.path else "network"
        folder = self.document.path.parent if self.document.path else Path.home()
        suggestion = str(folder / f"{stem}{'-torch' if 'PyTorch' in what else ''}{suffix}")
        path = dialogs.ask_export_path(self.window, f"Export {what}", suggestion, name_filter)
        if path is None:
            return False
        source = self.document.path.name if self.document.path else None
        try:
            write(self.document.project, path, source=source)
        except export.ExportError as error:
            # The exporter's messages name the file already.
            log.warning("export to %s failed: %s", path, error)
            dialogs.show_error(self.window, f"Cannot export {what}", str(error))
            return False
        self.status.emit(f"Exported {what} to {path.name}")
        return True
