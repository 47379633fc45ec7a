"""File > Export figure through the main window, with the save dialog replaced."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from nnstudio.cli_commands import train_project
from nnstudio.gui import dialogs
from nnstudio.gui.canvas.colors import BACKGROUND
from nnstudio.gui.figures import PNG_SCALE, SCENE_MARGIN
from nnstudio.gui.look import PALETTES
from nnstudio.gui.main_window import MainWindow
from nnstudio.gui.plots.loss_plot import CURVE_COLOUR
from nnstudio.gui.plots.style import boundary_colormap
from nnstudio.project.fileformat import load_project
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.timeout(120)

WindowFactory = Callable[..., MainWindow]
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def trained_window(make_window: WindowFactory) -> MainWindow:
    project = load_project(EXAMPLES / "xor.nnproj")
    train_project(project)  # the engine's Trainer, as `nnstudio train` runs it
    return make_window(project)


def export_to(
    monkeypatch: pytest.MonkeyPatch, window: MainWindow, action_name: str, path: Path
) -> None:
    monkeypatch.setattr(dialogs, "ask_figure_path", lambda _parent, _title, _name: path)
    getattr(window.figure_menu, action_name).trigger()


def pixel_rgb(image: QImage, x: float, y: float) -> tuple[int, int, int]:
    color = image.pixelColor(round(x), round(y))
    return color.red(), color.green(), color.blue()


def rgb(color: QColor | str) -> tuple[int, int, int]:
    color = QColor(color)
    return color.red(), color.green(), color.blue()


def count_rgb(image: QImage, wanted: tuple[int, int, int]) -> int:
    return sum(
        pixel_rgb(image, x, y) == wanted
        for x in range(0, image.width())
        for y in range(0, image.height(), 2)
    )


def svg_shapes(path: Path) -> list[ElementTree.Element]:
    root = ElementTree.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return [e for e in root.iter() if e.tag in (f"{SVG}path", f"{SVG}polyline", f"{SVG}line")]


def test_network_png_size_and_colours(
    trained_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "network.png"
    export_to(monkeypatch, trained_window, "network_action", target)

    image = QImage(str(target))
    bounds = trained_window.canvas.canvas_scene.itemsBoundingRect()
    assert image.width() == PNG_SCALE * round(bounds.width() + 2 * SCENE_MARGIN)
    assert image.height() == PNG_SCALE * round(bounds.height() + 2 * SCENE_MARGIN)
    assert pixel_rgb(image, 1, 1) == rgb(BACKGROUND)
    # The largest weight is drawn in the full colour of its sign.
    assert (
        count_rgb(image, rgb(PALETTES["blue-orange"].positive))
        + count_rgb(image, rgb(PALETTES["blue-orange"].negative))
        > 0
    )
    assert "Exported the network" in trained_window.statusBar().currentMessage()


def test_network_svg_has_lines_in_palette(
    trained_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    palette = [a for a in trained_window.presentation.palette_menu.actions()]
    [a for a in palette if a.data() == "okabe-ito"][0].trigger()
    target = tmp_path / "network.svg"
    export_to(monkeypatch, trained_window, "network_action", target)

    assert len(svg_shapes(target)) > 0
    text = target.read_text()
    assert PALETTES["okabe-ito"].positive in text or PALETTES["okabe-ito"].negative in text
    assert PALETTES["blue-orange"].positive not in text


def test_boundary_png_shows_heatmap_colour(
    trained_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A floating dock of a good size, as a user would make it before exporting.
    dock = trained_window.docks["Decision boundary"]
    dock.setFloating(True)
    dock.resize(700, 600)
    QApplication.processEvents()
    target = tmp_path / "boundary.png"
    export_to(monkeypatch, trained_window, "boundary_action", target)

    image = QImage(str(target))
    plot = trained_window.boundary_plot
    item = plot.plot_widget.getPlotItem()
    frame = item.sceneBoundingRect()
    assert image.width() == PNG_SCALE * round(frame.width())
    assert image.height() == PNG_SCALE * round(frame.height())

    # Near the lower left corner of the XOR plane, away from the data points and the contour.
    x, y = -0.3, -0.3
    value = plot.value_at(x, y)
    assert value < 0.2  # XOR at (0, 0) is class 0 after training
    scene_point = item.getViewBox().mapViewToScene(QPointF(x, y))
    offset = scene_point - frame.topLeft()
    shown = pixel_rgb(image, offset.x() * PNG_SCALE, offset.y() * PNG_SCALE)
    expected = rgb(boundary_colormap().map(value, mode="qcolor"))
    assert all(abs(a - b) <= 6 for a, b in zip(shown, expected, strict=True)), (shown, expected)


def test_boundary_svg_and_loss_svg_parse(
    trained_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for action_name in ("boundary_action", "loss_action"):
        target = tmp_path / f"{action_name}.svg"
        export_to(monkeypatch, trained_window, action_name, target)
        assert len(svg_shapes(target)) > 0, action_name


def test_loss_png_has_curve(
    trained_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "loss.png"
    export_to(monkeypatch, trained_window, "loss_action", target)

    image = QImage(str(target))
    frame = trained_window.loss_plot.plot_widget.getPlotItem().sceneBoundingRect()
    assert (image.width(), image.height()) == (
        PNG_SCALE * round(frame.width()),
        PNG_SCALE * round(frame.height()),
    )
    assert pixel_rgb(image, 1, 1) == (255, 255, 255)
    assert count_rgb(image, rgb(CURVE_COLOUR)) > 0
    # The 1-pixel curve is 2 pixels thick at twice the size: on the flat tail, a
    # column crosses PNG_SCALE rows of the curve's colour.
    column = round(image.width() * 0.8)
    curve = rgb(CURVE_COLOUR)
    rows = [
        y
        for y in range(image.height())
        if sum(abs(a - b) for a, b in zip(pixel_rgb(image, column, y), curve, strict=True)) < 90
    ]
    assert len(rows) >= PNG_SCALE, rows


def test_empty_loss_and_bad_extension_errors(
    make_window: WindowFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    messages: list[tuple[str, str]],
) -> None:
    window = make_window()
    export_to(monkeypatch, window, "loss_action", tmp_path / "loss.png")
    assert not (tmp_path / "loss.png").exists()
    assert "train the network first" in messages[-1][1]

    export_to(monkeypatch, window, "network_action", tmp_path / "network.jpg")
    assert not (tmp_path / "network.jpg").exists()
    assert ".jpg is not a figure format" in messages[-1][1]


def test_figure_path_dialog_adds_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(
        QFileDialog,
        "getSaveFileName",
        staticmethod(lambda *_args: ("/tmp/figure", "SVG drawing (*.svg)")),
    )
    assert dialogs.ask_figure_path(None, "Export", "x.png") == Path("/tmp/figure.svg")  # type: ignore[arg-type]
