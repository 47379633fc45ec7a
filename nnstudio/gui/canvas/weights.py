"""Read access to the current weights for the canvas items.

A layer's W stacks the rows of its source layers in the order the project's
connection list names them, so the weights of one connection are a block of
rows of the target's W. Everything here tolerates weights that do not fit the
drawing (they are replaced a moment later) by returning None.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from nnstudio.gui.document import ProjectDocument

Array = NDArray[np.floating]


class WeightLookup:
    """The document's weights per connection and per layer, and their common scale."""

    def __init__(self, document: ProjectDocument) -> None:
        self.document = document
        self.scale = 1.0
        self.refresh()

    def refresh(self) -> None:
        """Recompute the scale: the largest absolute weight or bias in the network.

        A bias is the weight of a constant input of 1, so both share one scale.
        """
        largest = 0.0
        for params in (self.document.project.parameters or {}).values():
            for values in (params.W, params.b):
                if values is not None and values.size:
                    finite = np.abs(values[np.isfinite(values)])
                    if finite.size:
                        largest = max(largest, float(finite.max()))
        self.scale = largest if largest > 0.0 else 1.0

    def block(self, source: str, target: str) -> Array | None:
        """Return the weights from ``source`` to ``target``, shape (source units, target units)."""
        project = self.document.project
        params = (project.parameters or {}).get(target)
        if params is None or (source, target) not in project.connections:
            return None
        try:
            offset = project.source_row_offset(source, target)
            rows = project.layer(source).units
            columns = project.layer(target).units
        except KeyError:
            return None
        W = params.W
        if W.ndim != 2 or W.shape[1] != columns or W.shape[0] < offset + rows:
            return None
        return W[offset : offset + rows]

    def biases(self, name: str) -> Array | None:
        """Return the biases of layer ``name``, or None without weights or without bias."""
        params = (self.document.project.parameters or {}).get(name)
        if params is None or params.b is None:
            return None
        return params.b
