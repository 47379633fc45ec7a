"""Connects the Step through panel to the canvas overlay and the matrix view.

The panel's steps name weights by engine layer and W row (ParameterRef); the
canvas names edges by connection and neuron. This link translates between the
two, and turns a click on an edge, an edge label or a bias marker into the
panel's selected parameter.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QMouseEvent

from nnstudio.gui.canvas.overlay import EdgeKey, NeuronKey, StepOverlay
from nnstudio.gui.canvas.view import NetworkCanvas
from nnstudio.gui.stepthrough.matrix_view import MatrixView
from nnstudio.gui.stepthrough.notation import ParameterRef
from nnstudio.gui.stepthrough.panel import StepThroughPanel
from nnstudio.gui.stepthrough.walkthrough import Walkthrough


def edge_key(walk: Walkthrough, ref: ParameterRef) -> EdgeKey:
    """Return the canvas edge of weight ``ref``."""
    source = walk.notation.source_of(ref)
    return (source.source, ref.layer, source.unit, ref.unit)


def parameter_of(walk: Walkthrough, key: EdgeKey | NeuronKey) -> ParameterRef | None:
    """Return the weight or bias that a canvas edge or bias key stands for, if it has one."""
    if len(key) == 4:
        source, target, i, j = key
        if target not in walk.spec.order:
            return None
        return ParameterRef(target, "W", j, walk.weight_row(target, source, i))
    layer, unit = key
    if layer not in walk.spec.order or walk.network.parameters[layer].b is None:
        return None
    return ParameterRef(layer, "b", unit)


class CanvasLink(QObject):
    """The link that draws the panel's step on the canvas and matrices and reads canvas clicks."""

    def __init__(
        self, canvas: NetworkCanvas, panel: StepThroughPanel, matrices: MatrixView
    ) -> None:
        super().__init__(panel)
        self.canvas = canvas
        self.panel = panel
        self.matrices = matrices
        self.overlay = StepOverlay(canvas)
        panel.step_changed.connect(self._on_step_changed)
        panel.parameter_selected.connect(self._on_parameter_selected)
        matrices.parameter_clicked.connect(panel.select_parameter)
        canvas.viewport().installEventFilter(self)

    def _on_step_changed(self) -> None:
        walk, step = self.panel.walkthrough, self.panel.current_step()
        self.matrices.show_walkthrough(walk, step)
        if walk is None or step is None:
            self.overlay.clear()
            return
        edges, biases = {}, {}
        for ref, text in step.parameter_labels.items():
            if ref.kind == "W":
                edges[edge_key(walk, ref)] = text
            else:
                biases[(ref.layer, ref.unit)] = text
        self.overlay.show(step.kind, step.neuron_labels, edges, biases, step.layer)
        self._on_parameter_selected(self.panel.selected)

    def _on_parameter_selected(self, ref: ParameterRef | None) -> None:
        walk = self.panel.walkthrough
        self.matrices.mark(ref)
        if walk is None or ref is None:
            self.overlay.mark()
        elif ref.kind == "W":
            self.overlay.mark(edge=edge_key(walk, ref))
        else:
            self.overlay.mark(bias=(ref.layer, ref.unit))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Watch presses only, so selection and dragging on the canvas go on as usual.
        if event.type() == QEvent.Type.MouseButtonPress and self.panel.active:
            assert isinstance(event, QMouseEvent)
            walk = self.panel.walkthrough
            if walk is not None and event.button() == Qt.MouseButton.LeftButton:
                point = self.canvas.mapToScene(event.position().toPoint())
                key = self.overlay.parameter_at(point)
                ref = None if key is None else parameter_of(walk, key)
                if ref is not None:
                    self.panel.select_parameter(ref)
        return False
