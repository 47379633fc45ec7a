"""Copy and paste of hidden layers, through the system clipboard.

The clipboard holds JSON under nnstudio's own MIME type: the copied layers and
the connections among them. Pasting reads it as untrusted input, like a project
file, and adds renamed copies beside the originals.
"""

from __future__ import annotations

import json
import logging

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from nnstudio.gui import commands
from nnstudio.gui.canvas.view import NetworkCanvas
from nnstudio.gui.document import ProjectDocument
from nnstudio.project.fields import ProjectError, as_list, as_object, as_text
from nnstudio.project.fileformat import layer_from_dict, layer_to_dict
from nnstudio.project.model import Layer

log = logging.getLogger(__name__)

MIME_TYPE = "application/x-nnstudio-layers"
PASTE_OFFSET = 40.0


class LayerClipboard:
    """Copies the canvas selection and pastes it into the document."""

    def __init__(self, canvas: NetworkCanvas, document: ProjectDocument) -> None:
        self.canvas = canvas
        self.document = document

    def copy(self) -> int:
        """Put the selected hidden layers on the clipboard; return how many were copied."""
        project = self.document.project
        selected = set(self.canvas.selected_layers())
        # Project order, so copies keep the order (and names) of their originals.
        names = [
            layer.name
            for layer in project.layers
            if layer.name in selected and layer.role == "hidden"
        ]
        if not names:
            self.canvas.message.emit("select hidden layers to copy; input and output stay unique")
            return 0
        inner = [[a, b] for a, b in project.connections if a in names and b in names]
        payload = {
            "layers": [layer_to_dict(project.layer(name)) for name in names],
            "connections": inner,
        }
        data = QMimeData()
        data.setData(MIME_TYPE, json.dumps(payload).encode("utf-8"))
        data.setText(", ".join(names))
        QGuiApplication.clipboard().setMimeData(data)
        return len(names)

    def paste(self) -> list[str]:
        """Add copies of the clipboard's layers; return the new names."""
        data = QGuiApplication.clipboard().mimeData()
        if data is None or not data.hasFormat(MIME_TYPE):
            self.canvas.message.emit("the clipboard holds no nnstudio layers; copy layers first")
            return []
        try:
            layers, connections = self._read(bytes(data.data(MIME_TYPE).data()))
        except (ProjectError, ValueError) as error:
            log.warning("ignoring clipboard content: %s", error)
            self.canvas.message.emit(f"cannot paste: {error}")
            return []
        self.document.undo_stack.push(commands.paste_layers(self.document, layers, connections))
        names = [layer.name for layer in layers]
        self.canvas.select_layers(names)
        return names

    def _read(self, raw: bytes) -> tuple[list[Layer], list[tuple[str, str]]]:
        payload = as_object(json.loads(raw.decode("utf-8")), "clipboard")
        items = as_list(payload.get("layers"), "clipboard.layers")
        copies = [layer_from_dict(item, f"clipboard.layers[{i}]") for i, item in enumerate(items)]
        if any(layer.role != "hidden" for layer in copies):
            raise ProjectError("only hidden layers can be pasted")

        renamed = self._rename(copies)
        connections = []
        for i, pair in enumerate(as_list(payload.get("connections", []), "clipboard.connections")):
            pair = as_list(pair, f"clipboard.connections[{i}]")
            source, target = (as_text(end, "clipboard.connections") for end in pair[:2])
            if source in renamed and target in renamed:
                connections.append((renamed[source], renamed[target]))
        return copies, connections

    def _rename(self, copies: list[Layer]) -> dict[str, str]:
        # New names follow the "hidden N" pattern, skipping every name in use.
        taken = {layer.name for layer in self.document.project.layers}
        renamed: dict[str, str] = {}
        index = 1
        for layer in copies:
            while f"hidden {index}" in taken:
                index += 1
            new_name = f"hidden {index}"
            taken.add(new_name)
            renamed[layer.name] = new_name
            layer.name = new_name
            x, y = layer.position
            layer.position = (x + PASTE_OFFSET, y + PASTE_OFFSET)
        return renamed
