"""The Neuron maps and Diagnostics docks and the values shown while hovering the boundary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from nnstudio.gui.insight import MAP_RESOLUTION
from nnstudio.gui.look import Look, set_look, set_palette
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.plots.neuron_maps import CELL_PIXELS, LayerMaps, NeuronMapsPanel
from nnstudio.gui.plots.style import boundary_colormap
from nnstudio.gui.presentation import restyle_window
from nnstudio.project.boundary import boundary_extent

pytestmark = pytest.mark.timeout(60)

WindowFactory = Callable[..., MainWindow]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# The maps look colours up in a table of 1024 steps, and pyqtgraph rounds its own
# colours to whole bytes, so the two may differ by one unit per channel.
COLOUR_TOLERANCE = 2


def _close(pixel: QColor, expected: QColor) -> bool:
    return all(
        abs(a - b) <= COLOUR_TOLERANCE
        for a, b in zip(pixel.getRgb()[:3], expected.getRgb()[:3], strict=True)
    )


def _open_maps(window: MainWindow, qtbot: object) -> None:
    window.docks["Neuron maps"].toggleViewAction().trigger()
    maps = window.insight.maps
    qtbot.waitUntil(lambda: maps.showing_maps and len(maps.tiles) > 0)  # type: ignore[attr-defined]


def _plot_position(window: MainWindow, x: float, y: float) -> QPoint:
    # Opening a dock resizes its neighbours through posted layout events; let them run.
    QApplication.processEvents()
    widget = window.boundary_plot.plot_widget
    view = widget.getPlotItem().getViewBox()
    return widget.mapFromScene(view.mapViewToScene(QPointF(x, y)))


def _engine_values(window: MainWindow, x: float, y: float) -> dict[str, np.ndarray]:
    """Return every layer's activations at (x, y), from a forward pass of the engine."""
    network = window.document.project.network()
    run = network.forward(np.array([[x, y]]))
    return {name: run.a[name][0] for name in run.a}


def test_maps_dock_has_one_map_per_neuron(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    assert window.docks["Neuron maps"].isHidden()

    _open_maps(window, qtbot)

    # the default network is 2-4-1: four hidden neurons and one output
    maps = window.insight.maps
    assert sorted(maps.tiles) == [("hidden 1", i) for i in range(4)] + [("output", 0)]
    assert maps.headers["hidden 1"].text() == "hidden 1 (tanh)"
    assert maps.headers["output"].text() == "output (sigmoid)"
    assert maps.tiles[("hidden 1", 2)].caption.text() == "neuron 3"


@pytest.mark.parametrize(
    ("layer", "neuron", "low", "high"), [("hidden 1", 2, -1.0, 1.0), ("output", 0, 0.0, 1.0)]
)
def test_map_pixel_shows_engine_activation(
    make_window: WindowFactory, qtbot: object, layer: str, neuron: int, low: float, high: float
) -> None:
    window = make_window()
    _open_maps(window, qtbot)
    dataset = window.document.project.dataset
    x_min, x_max, y_min, y_max = boundary_extent(dataset.X)

    # grid point in column 30 and row 10, counted from the lowest y
    column, row = 30, 10
    steps = MAP_RESOLUTION - 1
    x = x_min + column * (x_max - x_min) / steps
    y = y_min + row * (y_max - y_min) / steps
    value = _engine_values(window, x, y)[layer][neuron]
    expected = boundary_colormap().map((value - low) / (high - low), mode="qcolor")

    # the image has the highest y on top; take the middle pixel of the cell
    pixmap = window.insight.maps.tiles[(layer, neuron)].image_label.pixmap()
    image = pixmap.toImage()
    pixel = image.pixelColor(
        column * CELL_PIXELS + CELL_PIXELS // 2, (steps - row) * CELL_PIXELS + CELL_PIXELS // 2
    )
    assert abs(pixel.red() - expected.red()) <= COLOUR_TOLERANCE
    assert abs(pixel.green() - expected.green()) <= COLOUR_TOLERANCE
    assert abs(pixel.blue() - expected.blue()) <= COLOUR_TOLERANCE


def test_hover_shows_every_activation(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    _open_maps(window, qtbot)
    insight = window.insight

    viewport = window.boundary_plot.plot_widget.viewport()
    QTest.mouseMove(viewport, _plot_position(window, 0.25, 0.75))
    qtbot.waitUntil(lambda: len(insight.overlay.neuron_labels) == 7)  # type: ignore[attr-defined]

    # The mouse sits on a whole pixel, so the point is within a pixel of (0.25, 0.75).
    x, y = insight.hovered
    view = window.boundary_plot.plot_widget.getPlotItem().getViewBox()
    pixel_width, pixel_height = view.viewPixelSize()
    assert x == pytest.approx(0.25, abs=pixel_width)
    assert y == pytest.approx(0.75, abs=pixel_height)
    expected = _engine_values(window, x, y)
    for layer, values in expected.items():
        for index, value in enumerate(values):
            shown = insight.overlay.neuron_labels[(layer, index)].text
            assert float(shown) == pytest.approx(value, rel=5e-3, abs=5e-4)
    for (layer, index), tile in insight.maps.tiles.items():
        caption = tile.caption.text()
        assert caption.startswith(f"neuron {index + 1} = ")
        assert float(caption.split("= ")[1]) == pytest.approx(
            expected[layer][index], rel=5e-3, abs=5e-4
        )

    # leaving the plot clears the values
    window.boundary_panel.hover_ended.emit()
    assert insight.overlay.neuron_labels == {}
    assert insight.maps.tiles[("output", 0)].caption.text() == "neuron 1"


def test_hover_keeps_click_to_add_point(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    viewport = window.boundary_plot.plot_widget.viewport()
    position = _plot_position(window, 0.5, 0.5)

    QTest.mouseMove(viewport, position)
    qtbot.waitUntil(lambda: window.insight.overlay.neuron_labels != {})  # type: ignore[attr-defined]
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=position)  # type: ignore[attr-defined]

    dataset = window.document.project.dataset
    assert len(dataset.X) == 5
    np.testing.assert_array_equal(dataset.X[-1], window.insight.hovered)


def test_zero_weights_show_identical_units(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    panel = window.insight.diagnostics
    qtbot.waitUntil(lambda: panel.scope_label.text() != "")  # type: ignore[attr-defined]
    assert not panel.empty_label.isHidden()
    assert panel.empty_label.text() == "No problems found"
    assert panel.cards == []
    assert window.docks["Diagnostics"].windowTitle() == "Diagnostics"

    training = window.training_panel
    training.initializer.setCurrentIndex(training.initializer.findData("zeros"))

    qtbot.waitUntil(lambda: len(panel.cards) == 1)  # type: ignore[attr-defined]
    assert panel.empty_label.isHidden()
    # the dock sits behind the Layer tab, whose neighbour tab counts the problems
    assert window.docks["Diagnostics"].windowTitle() == "Diagnostics (1)"
    assert panel.diagnoses[0].kind == "symmetric"
    assert panel.texts()[0].startswith(
        "Identical units in 'hidden 1'. All 4 neurons of 'hidden 1' have the same incoming "
        "weights and bias"
    )


def test_training_from_zeros_reaches_a_plateau(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    training = window.training_panel
    training.initializer.setCurrentIndex(training.initializer.findData("zeros"))

    window.training.train_action.trigger()
    qtbot.waitUntil(lambda: window.training.controller.state == "idle", timeout=30_000)  # type: ignore[attr-defined]

    # With every weight 0 only the output bias learns: the output stays 0.5 for all
    # four samples, the mean squared error ½·0.5² = 0.125, and half the samples are right.
    panel = window.insight.diagnostics
    qtbot.waitUntil(lambda: "1,000 epochs" in panel.scope_label.text())  # type: ignore[attr-defined]
    assert len(panel.cards) == 2
    assert [d.kind for d in panel.diagnoses] == ["symmetric", "loss_plateau"]
    assert "(0.125 at epoch 801, 0.125 at epoch 1,000)" in panel.diagnoses[1].evidence
    assert "accuracy is 50%" in panel.diagnoses[1].evidence


def test_palette_change_recolours_maps(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    _open_maps(window, qtbot)
    tile = window.insight.maps.tiles[("output", 0)]
    value = _engine_values(window, -0.5, -0.5)["output"][0]  # grid point (0, 0)
    bottom_left = (CELL_PIXELS // 2, MAP_RESOLUTION * CELL_PIXELS - 1 - CELL_PIXELS // 2)

    try:
        set_palette("purple-green")
        restyle_window(window)
        expected = boundary_colormap().map(value, mode="qcolor")
        qtbot.waitUntil(  # type: ignore[attr-defined]
            lambda: _close(tile.image_label.pixmap().toImage().pixelColor(*bottom_left), expected)
        )
    finally:
        set_look(Look())
        restyle_window(window)


def test_mixed_layer_gets_one_scale_per_activation(qtbot: object) -> None:
    # unit 1 tanh, units 2 and 3 relu; every relu value is 2 except one cell of 4
    grids = np.zeros((3, 2, 2), dtype=np.float32)
    grids[1:] = 2.0
    grids[2, 0, 0] = 4.0
    panel = NeuronMapsPanel()
    qtbot.addWidget(panel)  # type: ignore[attr-defined]

    panel.show_maps([LayerMaps("hidden", ("tanh", "relu", "relu"), grids)])

    assert panel.headers["hidden"].text() == "hidden (tanh, relu)"
    assert panel.tiles[("hidden", 1)].caption.text() == "neuron 2 (relu)"
    assert panel.tiles[("hidden", 0)].toolTip() == "tanh: colour scale from -1 to 1"
    assert panel.tiles[("hidden", 2)].toolTip() == "relu: colour scale from 0 to 4"
    # tanh 0 is the middle of its scale, relu 2 the middle of 0 .. 4: both white
    middle = boundary_colormap().map(0.5, mode="qcolor")
    for index in (0, 1):
        image = panel.tiles[("hidden", index)].image_label.pixmap().toImage()
        assert _close(image.pixelColor(1, 1), middle)


def test_maps_follow_training(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    _open_maps(window, qtbot)
    tile = window.insight.maps.tiles[("output", 0)]
    bottom_left = (CELL_PIXELS // 2, MAP_RESOLUTION * CELL_PIXELS - 1 - CELL_PIXELS // 2)
    before = tile.image_label.pixmap().toImage().pixelColor(*bottom_left)

    window.training.train_action.trigger()
    qtbot.waitUntil(lambda: window.training.controller.state == "idle", timeout=30_000)  # type: ignore[attr-defined]

    # After training, the output at (-0.5, -0.5), grid point (0, 0), is far from where it began.
    value = _engine_values(window, -0.5, -0.5)["output"][0]
    expected = boundary_colormap().map(value, mode="qcolor")
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: _close(tile.image_label.pixmap().toImage().pixelColor(*bottom_left), expected)
    )
    assert not _close(before, expected)


def test_step_through_keeps_canvas_free(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    _open_maps(window, qtbot)
    insight = window.insight
    window.step_through.mode_action.setChecked(True)
    # Step-through mode brings its Matrices dock, tabbed with the boundary, to the front.
    window.docks["Decision boundary"].raise_()

    QTest.mouseMove(window.boundary_plot.plot_widget.viewport(), _plot_position(window, 1.0, 0.0))
    qtbot.waitUntil(lambda: insight.hovered is not None)  # type: ignore[attr-defined]
    tile = insight.maps.tiles[("output", 0)]
    qtbot.waitUntil(lambda: "=" in tile.caption.text())  # type: ignore[attr-defined]

    # the maps follow the mouse, but the canvas keeps only step-through's labels
    assert insight.overlay.neuron_labels == {}
    x, y = insight.hovered
    expected = _engine_values(window, x, y)["output"][0]
    assert float(tile.caption.text().split("= ")[1]) == pytest.approx(expected, rel=5e-3)


def test_opening_a_project_clears_hover(make_window: WindowFactory, qtbot: object) -> None:
    window = make_window()
    _open_maps(window, qtbot)
    insight = window.insight
    QTest.mouseMove(window.boundary_plot.plot_widget.viewport(), _plot_position(window, 0.5, 0.5))
    qtbot.waitUntil(lambda: insight.overlay.neuron_labels != {})  # type: ignore[attr-defined]

    assert window.open_path(EXAMPLES / "iris.nnproj")

    # iris: 4 inputs, 8 hidden units and 3 outputs
    qtbot.waitUntil(lambda: len(insight.maps.tiles) == 11)  # type: ignore[attr-defined]
    assert insight.hovered is None
    assert insight.overlay.neuron_labels == {}
    assert all("=" not in tile.caption.text() for tile in insight.maps.tiles.values())
