"""Figures for slides: the network, the loss curve or the decision boundary as PNG or SVG.

The file name's extension picks the format. PNG files are drawn at
``PNG_SCALE`` times the size on screen, with text and lines scaled alike. A
plot that is 800 x 500 pixels in the window becomes a sharp 1600 x 1000 image,
enough for a full-width slide on a 1080p projector. SVG files are vector
drawings that scale to any size.

Both the canvas and the plots are QGraphicsScenes, and both are drawn with
QGraphicsScene.render into a QImage (PNG) or a QSvgGenerator (SVG, from QtSvg in
PySide6-Essentials). pyqtgraph's own file writers are not used: with pyqtgraph
0.14.0 on Qt 6.11 its SVGExporter fails with a ValueError while it rewrites the
path coordinates Qt writes, and its ImageExporter enlarges the drawing but
keeps cosmetic pens one pixel wide. Its export mode is used, as its writers use
it. The app's File > Export figure menu and the ``nnstudio figure`` command both
write through ``save_scene`` and ``save_plot``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pyqtgraph as pg
from pyqtgraph.exporters import Exporter
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsScene

from nnstudio.gui.canvas.colors import BACKGROUND
from nnstudio.gui.look import current_look, set_look

PNG_SCALE = 2
FORMATS = {".png": "PNG image", ".svg": "SVG drawing"}
SCENE_MARGIN = 20.0  # scene units of background around the network
# Qt's logical dots per inch at 100% scaling on Linux and Windows (macOS uses 72),
# for a scene that no view shows, as in ``nnstudio figure``.
SCREEN_DPI = 96


class FigureError(Exception):
    """A figure that cannot be written: unknown extension, no data, or a file error."""


def figure_format(path: Path) -> str:
    """Return "png" or "svg" for ``path``'s extension; other extensions raise FigureError."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        described = suffix or "no extension"
        raise FigureError(
            f"{path}: {described} is not a figure format; end the file name in .png or .svg"
        )
    return suffix.removeprefix(".")


def save_scene(scene: QGraphicsScene, path: Path) -> None:
    """Write every item of ``scene`` to ``path`` as PNG or SVG, on the canvas background."""
    figure_format(path)
    source = scene.itemsBoundingRect().adjusted(
        -SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN
    )
    if source.isEmpty():
        raise FigureError("the canvas is empty; draw a network before exporting it")
    _save(scene, source, path, BACKGROUND, "nnstudio network")


def save_plot(
    plot_widget: pg.PlotWidget, path: Path, restyle: Callable[[], None] | None = None
) -> None:
    """Write the plot of ``plot_widget`` (axes, curves, images) to ``path`` as PNG or SVG.

    ``restyle`` is the view's own restyle method, which sets the pens of its
    curves from the current look. A PNG calls it to draw them twice as wide.
    """
    figure_format(path)
    item = plot_widget.getPlotItem()
    background = plot_widget.backgroundBrush().color()
    # pyqtgraph's export mode makes its items paint for a file: the scatter plot
    # then draws each point as a path, where on screen it copies fragments of a
    # cached pixmap, which Qt's SVG writer draws with the wrong source rectangle.
    exporter = Exporter(item)
    exporter.setExportMode(True, {"antialias": True, "background": background})
    try:
        source = item.sceneBoundingRect()
        _save(plot_widget.scene(), source, path, background, "nnstudio plot", restyle)
    finally:
        exporter.setExportMode(False)


def _save(
    scene: QGraphicsScene,
    source: QRectF,
    path: Path,
    background: QColor,
    title: str,
    restyle: Callable[[], None] | None = None,
) -> None:
    _check_writable(path)
    size = QSize(max(round(source.width()), 1), max(round(source.height()), 1))
    target = QRectF(0, 0, size.width(), size.height())
    if figure_format(path) == "png":
        image = QImage(size * PNG_SCALE, QImage.Format.Format_ARGB32)
        # The painter works in logical pixels. Qt scales text and shapes by the
        # ratio, and _wider_pens widens the cosmetic pens, which it leaves alone.
        image.setDevicePixelRatio(PNG_SCALE)
        image.fill(background)
        with _wider_pens(scene, restyle):
            _render(scene, QPainter(image), target, source)
        # The .png suffix, checked by figure_format, picks Qt's PNG writer.
        if not image.save(str(path)):
            raise FigureError(_write_failed(path))
        return

    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(target)
    # pyqtgraph places axis text and points in device pixels, so the SVG's
    # resolution must be the screen's, or they drift from the curves.
    generator.setResolution(_logical_dpi(scene))
    generator.setTitle(title)
    painter = QPainter(generator)
    if not painter.isActive():
        raise FigureError(_write_failed(path))
    painter.fillRect(target, background)
    _render(scene, painter, target, source)


@contextmanager
def _wider_pens(scene: QGraphicsScene, restyle: Callable[[], None] | None) -> Iterator[None]:
    """Draw cosmetic pens PNG_SCALE times wider meanwhile, as the image enlarges the rest."""
    look = current_look()
    set_look(replace(look, pen_scale=look.pen_scale * PNG_SCALE))
    if restyle is not None:
        restyle()
    try:
        yield
    finally:
        set_look(look)
        if restyle is not None:
            restyle()
        scene.update()


def _logical_dpi(scene: QGraphicsScene) -> int:
    views = scene.views()
    return views[0].logicalDpiX() if views else SCREEN_DPI


def _render(scene: QGraphicsScene, painter: QPainter, target: QRectF, source: QRectF) -> None:
    # The selection halo belongs to editing, not to a figure.
    selected = scene.selectedItems()
    blocked = scene.blockSignals(True)
    for item in selected:
        item.setSelected(False)
    try:
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
        )
        scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)
    finally:
        painter.end()
        for item in selected:
            item.setSelected(True)
        scene.blockSignals(blocked)


def _check_writable(path: Path) -> None:
    """Raise FigureError when ``path`` cannot be a new or replaced file."""
    if path.is_dir():
        raise FigureError(f"{path}: is a folder; choose a file name such as figure.png")
    if not path.parent.is_dir():
        raise FigureError(
            f"{path}: the folder {path.parent} does not exist; create it or choose another file"
        )
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise FigureError(_write_failed(path))


def _write_failed(path: Path) -> str:
    return f"{path}: cannot write the figure; check that the folder is writable"
