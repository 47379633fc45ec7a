"""Generated datasets from the training panel, and points added or removed by clicking."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from nnstudio.gui.main_window import MainWindow
from nnstudio.project.generators import generate

pytestmark = pytest.mark.timeout(60)

WindowFactory = Callable[..., MainWindow]


def _click_plot(
    window: MainWindow, qtbot: object, x: float, y: float, button: Qt.MouseButton
) -> None:
    widget = window.boundary_plot.plot_widget
    view = widget.getPlotItem().getViewBox()
    scene_point = view.mapViewToScene(QPointF(x, y))
    position = widget.mapFromScene(scene_point)
    qtbot.mouseClick(widget.viewport(), button, pos=position)  # type: ignore[attr-defined]


def test_pick_moons_and_change_noise(make_window: WindowFactory) -> None:
    window = make_window()
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("generated:moons"))
    dataset = window.document.project.dataset
    expected = generate("moons", 200, 0.1, 0)
    np.testing.assert_array_equal(dataset.X, expected.X)
    assert panel.noise.isVisibleTo(panel)

    panel.noise.setValue(0.3)
    np.testing.assert_array_equal(
        window.document.project.dataset.X, generate("moons", 200, 0.3, 0).X
    )
    panel.samples.setValue(120)
    assert len(window.document.project.dataset.X) == 120

    window.undo_action.trigger()
    assert len(window.document.project.dataset.X) == 200
    panel.dataset.setCurrentIndex(panel.dataset.findData("xor"))
    assert not panel.noise.isVisibleTo(panel)


def test_three_blobs_sets_three_outputs(make_window: WindowFactory) -> None:
    window = make_window()
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("generated:three_blobs"))
    assert window.document.project.output_layer().units == 3


def test_click_adds_and_removes_points(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    window.boundary_panel.new_class.setCurrentIndex(1)
    _click_plot(window, qtbot, 0.5, 0.5, Qt.MouseButton.LeftButton)
    dataset = window.document.project.dataset
    assert len(dataset.X) == 5
    np.testing.assert_allclose(dataset.X[-1], [0.5, 0.5], atol=0.03)
    assert dataset.labels()[-1] == 1

    _click_plot(window, qtbot, 1.0, 1.0, Qt.MouseButton.RightButton)
    dataset = window.document.project.dataset
    assert len(dataset.X) == 4
    assert not np.any(np.all(dataset.X == [1.0, 1.0], axis=1))

    window.undo_action.trigger()
    window.undo_action.trigger()
    assert window.document.project.dataset.name == "XOR"
