"""Copy and paste of layers: select with a rubber band or clicks, Ctrl+C, Ctrl+V, undo."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QMimeData, QPointF
from PySide6.QtGui import QGuiApplication

from nnstudio.gui import commands
from nnstudio.gui.clipboard import MIME_TYPE
from nnstudio.gui.main_window import MainWindow
from tests.gui.mouse import drag

pytestmark = pytest.mark.timeout(60)

WindowFactory = Callable[..., MainWindow]


def _two_connected_hidden(window: MainWindow) -> None:
    document = window.document
    document.undo_stack.push(commands.add_layer(document, (220.0, 200.0), 5, "relu"))
    document.undo_stack.push(commands.connect_layers(document, "hidden 1", "hidden 2"))


def test_copy_paste_keeps_inner_connections(make_window: WindowFactory) -> None:
    window = make_window()
    _two_connected_hidden(window)
    window.canvas.select_layers(["hidden 1", "hidden 2", "input"])
    window.copy_action.trigger()
    window.paste_action.trigger()

    project = window.document.project
    assert [layer.name for layer in project.layers][-2:] == ["hidden 3", "hidden 4"]
    assert project.layer("hidden 3").units == 4
    assert project.layer("hidden 3").activation == "tanh"
    assert project.layer("hidden 4").units == 5
    assert project.layer("hidden 4").activation == "relu"
    assert ("hidden 3", "hidden 4") in project.connections
    assert project.layer("hidden 3").position == (
        project.layer("hidden 1").position[0] + 40.0,
        project.layer("hidden 1").position[1] + 40.0,
    )
    assert sorted(window.canvas.selected_layers()) == ["hidden 3", "hidden 4"]

    window.undo_action.trigger()
    assert not window.document.project.has_layer("hidden 3")


def test_rubber_band_selects_layers(make_window: WindowFactory) -> None:
    window = make_window()
    canvas = window.canvas
    bounds = canvas.canvas_scene.itemsBoundingRect()
    start = QPointF(bounds.left() - 30, bounds.top() - 30)
    end = QPointF(bounds.right() + 30, bounds.bottom() + 30)
    drag(canvas, start, end)
    assert sorted(canvas.selected_layers()) == ["hidden 1", "input", "output"]


def test_paste_without_layers_says_so(make_window: WindowFactory) -> None:
    window = make_window()
    QGuiApplication.clipboard().setText("not layers")
    shown: list[str] = []
    window.canvas.message.connect(shown.append)
    window.paste_action.trigger()
    assert "no nnstudio layers" in shown[-1]
    assert len(window.document.project.layers) == 3


def test_paste_rejects_bad_clipboard(make_window: WindowFactory) -> None:
    window = make_window()
    data = QMimeData()
    data.setData(MIME_TYPE, b'{"layers": [{"name": "x", "role": "hidden", "units": 999}]}')
    QGuiApplication.clipboard().setMimeData(data)
    shown: list[str] = []
    window.canvas.message.connect(shown.append)
    window.paste_action.trigger()
    assert "units" in shown[-1]
    assert len(window.document.project.layers) == 3
