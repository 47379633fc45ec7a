"""``nnstudio figure``: draw the network, the loss curve or the decision boundary to a file.

The command builds the same views as the window (canvas scene, loss plot,
boundary plot) without showing them and writes them through the same code as
File > Export figure, so a figure looks like the app. Qt is imported only when
the command runs; without a display it draws on Qt's offscreen platform.

With ``--train`` the project is first trained as ``nnstudio train PROJECT``
trains it (the engine's Trainer, the project's settings, its current weights).
Without ``--train``, a loss figure of a project with no saved loss history is
an error whose message suggests ``--train``, because an empty plot would only
puzzle a class.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nnstudio.cli_commands import EXIT_BAD_INPUT, EXIT_OK, CommandError, train_project
from nnstudio.project.fileformat import load_project
from nnstudio.project.model import Project

if TYPE_CHECKING:
    from nnstudio.gui.plots.boundary_plot import BoundaryPlot
    from nnstudio.gui.plots.loss_plot import LossPlot

log = logging.getLogger(__name__)

WHAT = ("network", "loss", "boundary")
EXTENSIONS = (".png", ".svg")
# Size of the plots in logical pixels; PNG files have twice as many (figures.PNG_SCALE).
LOSS_SIZE = (800, 500)
BOUNDARY_SIZE = (640, 600)


def add_figure_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``figure`` command and its options to the ``nnstudio`` parser."""
    figure = commands.add_parser(
        "figure",
        prog="nnstudio figure",
        help="draw the network, loss curve or decision boundary to a PNG or SVG file",
        description="Draw one view of a project as the app shows it and write it to a file. "
        "The extension of --out picks the format: .png (drawn at twice the size on screen) "
        "or .svg.",
    )
    figure.add_argument("project", help="project file (.nnproj) to draw")
    figure.add_argument(
        "--what",
        required=True,
        choices=WHAT,
        help="network: the canvas drawing; loss: the loss curve; boundary: the decision "
        "boundary over the first two inputs",
    )
    figure.add_argument("--out", required=True, metavar="FILE", help="file to write (.png or .svg)")
    figure.add_argument(
        "--train",
        action="store_true",
        help="train first with the project's settings, as 'nnstudio train PROJECT' does; "
        "the project file is not changed",
    )


def run_figure(args: argparse.Namespace) -> int:
    """Write the view ``args.what`` of ``args.project`` to ``args.out``."""
    out = Path(args.out)
    _check_output_path(out)
    project = load_project(args.project)
    if args.train:
        run = train_project(project)
        if run.diverged is not None:
            print(
                f"nnstudio: warning: {run.diverged}; drawing the last finite weights",
                file=sys.stderr,
            )
    _check_drawable(project, args.what, args.project)

    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from nnstudio.gui.figures import FigureError

    try:
        _draw(project, args.what, out)
    except FigureError as error:
        raise CommandError(str(error), EXIT_BAD_INPUT) from None
    print(f"wrote the {args.what} figure of {args.project} to {out}", file=sys.stderr)
    return EXIT_OK


def _check_output_path(path: Path) -> None:
    if path.suffix.lower() not in EXTENSIONS:
        described = path.suffix or "no extension"
        raise CommandError(
            f"{path}: {described} is not a figure format; end --out in .png or .svg", EXIT_BAD_INPUT
        )
    if path.is_dir():
        raise CommandError(
            f"{path}: is a folder; give --out a file name such as figure.png", EXIT_BAD_INPUT
        )
    if not path.parent.is_dir():
        raise CommandError(
            f"{path}: the folder {path.parent} does not exist; create it or choose another --out",
            EXIT_BAD_INPUT,
        )
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CommandError(
            f"{path}: cannot write there; check the permissions or choose another --out",
            EXIT_BAD_INPUT,
        )


def _check_drawable(project: Project, what: str, source: str) -> None:
    if what == "loss" and len(project.history.loss) == 0:
        raise CommandError(
            f"{source} has no loss history to plot; add --train to train it first",
            EXIT_BAD_INPUT,
        )
    if what == "boundary" and project.dataset.input_count < 2:
        raise CommandError(
            f"{source}: the decision boundary needs at least two inputs, and the dataset has "
            f"{project.dataset.input_count}; draw --what network or loss instead",
            EXIT_BAD_INPUT,
        )
    if what == "boundary" and project.parameters is None:
        raise CommandError(
            f"{source}: the drawing is not a complete network, so it has no weights to draw "
            "a boundary from; connect the layers in the app first",
            EXIT_BAD_INPUT,
        )


def _draw(project: Project, what: str, out: Path) -> None:
    # Qt and the views are imported here, so the other commands never load Qt.
    from PySide6.QtCore import qInstallMessageHandler

    from nnstudio.gui.app import create_application
    from nnstudio.gui.figures import save_plot, save_scene

    # Qt's platform notes (such as the offscreen platform's "does not support
    # propagateSizeHints") would break the one-line stderr; they go to the log.
    qInstallMessageHandler(lambda _kind, _context, text: log.debug("Qt: %s", text))
    create_application()
    if what == "network":
        from nnstudio.gui.canvas.scene import CanvasScene
        from nnstudio.gui.document import ProjectDocument

        document = ProjectDocument(project)
        scene = CanvasScene(document, document)
        save_scene(scene, out)
        return

    widget = _plot_view(project, what)
    save_plot(widget.plot_widget, out, widget.restyle)
    widget.deleteLater()


def _plot_view(project: Project, what: str) -> LossPlot | BoundaryPlot:
    """Build the loss or boundary view of ``project``, laid out but never on screen."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from nnstudio.gui.plots.loss_plot import LossPlot

    widget: LossPlot | BoundaryPlot
    if what == "loss":
        widget = LossPlot()
        widget.set_history(project.history)
        size = LOSS_SIZE
    else:
        widget = _boundary_plot(project)
        size = BOUNDARY_SIZE
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    widget.resize(*size)
    widget.show()
    QApplication.processEvents()
    return widget


def _boundary_plot(project: Project) -> BoundaryPlot:
    """Build the boundary plot over the first two inputs, as the app first shows it."""
    from nnstudio.gui.plots.boundary_plot import BoundaryPlot
    from nnstudio.project.boundary import Plane, boundary_extent, boundary_grid

    dataset = project.dataset
    columns = (0, 1)
    plot = BoundaryPlot()
    plot.set_points(dataset.X[:, list(columns)], dataset.labels())
    names = dataset.input_names or ["x₁", "x₂"]
    item = plot.plot_widget.getPlotItem()
    item.setLabel("bottom", names[0])
    item.setLabel("left", names[1])
    extent = boundary_extent(dataset.X, columns)
    grid = boundary_grid(project.network(), extent, plane=Plane(dataset, columns))
    plot.set_grid(grid, extent)
    return plot
