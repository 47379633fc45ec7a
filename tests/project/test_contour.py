"""The 0.5 contour of a grid (marching squares) against lines worked out by hand."""

from __future__ import annotations

import numpy as np

from nnstudio.project.contour import contour_segments


def _sorted_segments(segments: np.ndarray) -> list[tuple[tuple[float, float], ...]]:
    """Each segment as a sorted pair of rounded points, in sorted order, for comparison."""
    pairs = [tuple(sorted((round(a[0], 9), round(a[1], 9)) for a in s)) for s in segments]
    return sorted(pairs)


def test_column_step_gives_full_height_vertical_line():
    grid = np.array([[0.0, 1.0], [0.0, 1.0]])
    segments = contour_segments(grid, 0.5)
    # Halfway between column 0 (value 0) and column 1 (value 1), from the image's
    # bottom edge (row -0.5) to its top edge (row 1.5).
    assert segments.shape == (3, 2, 2)
    np.testing.assert_array_equal(segments[:, :, 0], 0.5)
    assert segments[:, :, 1].min() == -0.5
    assert segments[:, :, 1].max() == 1.5
    lengths = np.abs(segments[:, 1, 1] - segments[:, 0, 1])
    assert lengths.sum() == 2.0


def test_crossing_interpolated_linearly_along_edge():
    grid = np.array([[0.0, 0.4, 1.0], [0.0, 0.4, 1.0]])
    segments = contour_segments(grid, 0.5)
    # 0.5 lies a sixth of the way from 0.4 (column 1) to 1.0 (column 2).
    np.testing.assert_allclose(segments[:, :, 0], 1 + 1 / 6)


def test_row_step_gives_horizontal_line():
    grid = np.array([[0.0, 0.0], [0.25, 0.25], [1.0, 1.0]])
    segments = contour_segments(grid, 0.5)
    # From 0.25 (row 1) to 1.0 (row 2), 0.5 is a third of the way.
    np.testing.assert_allclose(segments[:, :, 1], 1 + 1 / 3)
    assert segments[:, :, 0].min() == -0.5
    assert segments[:, :, 0].max() == 1.5


def test_single_corner_above_cut_off_diagonally():
    grid = np.array([[1.0, 0.0], [0.0, 0.0]])  # only grid[0, 0] (bottom left) above
    inner = [s for s in contour_segments(grid, 0.5) if s.min() >= 0 and s.max() <= 1]
    # The crossings are halfway along the bottom edge and halfway up the left edge.
    assert _sorted_segments(np.array(inner)) == [((0.0, 0.5), (0.5, 0.0))]


def test_saddle_resolved_by_mean_of_corners():
    # Bottom left and top right are above. The mean 0.5 counts as above, so the
    # two corners above are joined and the other two corners are cut off.
    joined = np.array([[1.0, 0.0], [0.0, 1.0]])
    inner = [s for s in contour_segments(joined, 0.5) if s.min() >= 0 and s.max() <= 1]
    assert _sorted_segments(np.array(inner)) == [
        ((0.0, 0.5), (0.5, 1.0)),
        ((0.5, 0.0), (1.0, 0.5)),
    ]

    # With a mean below the level the two corners above are cut off instead.
    apart = np.array([[0.6, 0.0], [0.0, 0.6]])
    inner = [s for s in contour_segments(apart, 0.5) if s.min() >= 0 and s.max() <= 1]
    # 0.5 is 5/6 of the way from 0.6 to 0, measured from the corner above.
    a, b = 1 / 6, 5 / 6
    assert _sorted_segments(np.array(inner)) == sorted(
        [((0.0, round(a, 9)), (round(a, 9), 0.0)), ((round(b, 9), 1.0), (1.0, round(b, 9)))]
    )


def test_grid_not_crossing_level_gives_no_segment():
    assert contour_segments(np.zeros((5, 5)), 0.5).shape == (0, 2, 2)
    assert contour_segments(np.full((5, 5), 0.5), 0.5).shape == (0, 2, 2)  # all at the level
    assert contour_segments(np.zeros((1, 5)), 0.5).shape == (0, 2, 2)  # not a grid of cells


def test_non_finite_corner_cells_give_no_segment():
    grid = np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 1.0], [0.0, np.nan, 1.0]])
    segments = contour_segments(grid, 0.5)
    assert np.isfinite(segments).all()
    # The cells around the NaN drop out, so the line stops at row 1.
    np.testing.assert_array_equal(segments[:, :, 0], 0.5)
    assert segments[:, :, 1].max() == 1.0
