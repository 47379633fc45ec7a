"""The line where a grid of values crosses a level (the 0.5 decision boundary), by marching squares.

Each cell of four neighbouring grid points is classified by which corners are
at or above the level. The line enters and leaves the cell where an edge joins
a corner above to a corner below, at the point that linear interpolation along
that edge puts at the level. The result is a set of straight segments, one or
two per crossed cell, computed with NumPy only, so the training worker can
prepare the boundary line and the GUI thread only draws it.

Coordinates are grid-index units, (column, row): grid[i, j] sits at (j, i).
The grid is first extended by half a cell on every side with its edge values,
so the line reaches the edges of an image whose pixels are centred on the grid
points (from -0.5 to columns - 0.5 across).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

# The corners of a cell, as bits of its case number: bottom-left 1, bottom-right 2,
# top-right 4, top-left 8 (rows grow upwards). A set bit is a corner at or above
# the level. The edges: 0 bottom, 1 right, 2 top, 3 left.
_CASE_EDGES: dict[int, tuple[tuple[int, int], ...]] = {
    1: ((3, 0),),
    2: ((0, 1),),
    3: ((3, 1),),
    4: ((1, 2),),
    6: ((0, 2),),
    7: ((3, 2),),
    8: ((2, 3),),
    9: ((0, 2),),
    11: ((1, 2),),
    12: ((3, 1),),
    13: ((0, 1),),
    14: ((3, 0),),
}
# Saddles (two opposite corners above): the mean of the four corners decides
# whether the two corners above are joined through the cell's centre.
_SADDLE_EDGES: dict[tuple[int, bool], tuple[tuple[int, int], ...]] = {
    (5, True): ((0, 1), (2, 3)),  # bottom-left and top-right joined
    (5, False): ((3, 0), (1, 2)),
    (10, True): ((3, 0), (1, 2)),  # bottom-right and top-left joined
    (10, False): ((0, 1), (2, 3)),
}
# Each edge's two corners, as (row offset, column offset) from the bottom-left one.
_EDGE_CORNERS = (((0, 0), (0, 1)), ((0, 1), (1, 1)), ((1, 0), (1, 1)), ((0, 0), (1, 0)))


def contour_segments(grid: NDArray[np.floating], level: float = 0.5) -> NDArray[np.float64]:
    """Return the segments where ``grid`` (rows, columns) crosses ``level``.

    The result has shape (segments, 2, 2): segment k runs from point
    result[k, 0] to result[k, 1], each point (column, row) in grid-index units
    as the module docstring describes. A cell with a NaN or infinite corner
    gives no segment. A grid with fewer than two rows or columns gives none.
    """
    values = np.asarray(grid, dtype=np.float64)
    if values.ndim != 2 or min(values.shape) < 2:
        return np.zeros((0, 2, 2))

    # the grid extended by half a cell on each side, and where its points lie
    padded = np.pad(values, 1, mode="edge")
    rows, columns = values.shape
    ys = np.concatenate([[-0.5], np.arange(rows, dtype=np.float64), [rows - 0.5]])
    xs = np.concatenate([[-0.5], np.arange(columns, dtype=np.float64), [columns - 0.5]])

    # the case number of every cell, from its corners' sides of the level
    above = padded >= level
    cases = (
        above[:-1, :-1] * 1 + above[:-1, 1:] * 2 + above[1:, 1:] * 4 + above[1:, :-1] * 8
    ).astype(np.int64)
    finite = np.isfinite(padded)
    finite_cells = finite[:-1, :-1] & finite[:-1, 1:] & finite[1:, 1:] & finite[1:, :-1]
    cell_rows, cell_columns = np.nonzero((cases != 0) & (cases != 15) & finite_cells)
    cases = cases[cell_rows, cell_columns]

    # where each edge of each crossed cell meets the level
    points = [
        _edge_points(padded, xs, ys, cell_rows, cell_columns, edge, level) for edge in range(4)
    ]
    centre_above = _centre_above(padded, cell_rows, cell_columns, level)

    # the segments of each case
    pieces = []
    for case, pairs in _CASE_EDGES.items():
        chosen = cases == case
        pieces += [np.stack([points[a][chosen], points[b][chosen]], axis=1) for a, b in pairs]
    for (case, joined), pairs in _SADDLE_EDGES.items():
        chosen = (cases == case) & (centre_above == joined)
        pieces += [np.stack([points[a][chosen], points[b][chosen]], axis=1) for a, b in pairs]
    return np.concatenate(pieces, axis=0) if pieces else np.zeros((0, 2, 2))


def _edge_points(
    padded: NDArray[np.float64],
    xs: NDArray[np.float64],
    ys: NDArray[np.float64],
    cell_rows: NDArray[np.intp],
    cell_columns: NDArray[np.intp],
    edge: int,
    level: float,
) -> NDArray[np.float64]:
    """Return the (cells, 2) points where ``edge`` of each cell meets ``level``, linearly."""
    (row_0, column_0), (row_1, column_1) = _EDGE_CORNERS[edge]
    r0, c0 = cell_rows + row_0, cell_columns + column_0
    r1, c1 = cell_rows + row_1, cell_columns + column_1
    v0, v1 = padded[r0, c0], padded[r1, c1]

    # Edges that the level does not cross get a fraction too; no segment uses them.
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(v1 != v0, (level - v0) / (v1 - v0), 0.5)
    x = xs[c0] + fraction * (xs[c1] - xs[c0])
    y = ys[r0] + fraction * (ys[r1] - ys[r0])
    return np.column_stack([x, y])


def _centre_above(
    padded: NDArray[np.float64],
    cell_rows: NDArray[np.intp],
    cell_columns: NDArray[np.intp],
    level: float,
) -> NDArray[np.bool_]:
    corners = (
        padded[cell_rows, cell_columns]
        + padded[cell_rows, cell_columns + 1]
        + padded[cell_rows + 1, cell_columns]
        + padded[cell_rows + 1, cell_columns + 1]
    )
    result: NDArray[np.bool_] = corners / 4 >= level
    return result
