"""The map's spatial index: nearest point, rectangles, polygons and the density raster."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inspector.core.map.spatial import (
    GridIndex,
    points_in_polygon_mask,
    ranges_to_positions,
    rasterize,
)


@pytest.fixture(scope="module")
def clustered() -> np.ndarray:
    rng = np.random.default_rng(7)
    centres = rng.normal(0, 10, (12, 2))
    labels = rng.integers(0, 12, 20_000)
    return (centres[labels] + rng.normal(0, 0.8, (20_000, 2))).astype(np.float32)


def test_index_keeps_every_row_once(clustered: np.ndarray) -> None:
    index = GridIndex(clustered)
    assert len(index) == len(clustered)
    assert np.array_equal(np.sort(index.order), np.arange(len(clustered)))
    assert np.array_equal(index.x, clustered[index.order, 0])
    # Positions are grouped by cell: cell ids never decrease along the order.
    cells = index._cells_y(index.y) * index.nx + index._cells_x(index.x)
    assert np.all(np.diff(cells) >= 0)


def test_nearest_matches_brute_force(clustered: np.ndarray) -> None:
    index = GridIndex(clustered)
    rng = np.random.default_rng(1)
    for qx, qy in rng.uniform(-35, 35, (200, 2)):
        d2 = (clustered[:, 0] - qx) ** 2 + (clustered[:, 1] - qy) ** 2
        row = index.nearest(float(qx), float(qy))
        assert d2[row] == pytest.approx(d2.min(), rel=1e-5, abs=1e-9)


def test_nearest_with_screen_scale_and_radius(clustered: np.ndarray) -> None:
    index = GridIndex(clustered)
    scale = (40.0, 10.0)  # pixels per data unit, anisotropic on purpose
    qx, qy = 1.3, -2.2
    d = np.hypot((clustered[:, 0] - qx) * scale[0], (clustered[:, 1] - qy) * scale[1])
    assert index.nearest(qx, qy, scale=scale) == int(np.argmin(d))
    assert index.nearest(1000.0, 1000.0, max_dist=10.0, scale=scale) == -1


def test_nearest_on_degenerate_and_empty_inputs() -> None:
    same = GridIndex(np.zeros((5, 2), np.float32))
    assert same.nearest(3.0, 4.0) in range(5)
    empty = GridIndex(np.empty((0, 2), np.float32))
    assert len(empty) == 0 and empty.nearest(0.0, 0.0) == -1
    assert empty.rows_in_rect((-1, -1, 1, 1)).size == 0


def test_non_finite_rows_are_left_out() -> None:
    xy = np.array([[0, 0], [np.nan, 1], [1, 1], [np.inf, 0]], np.float32)
    index = GridIndex(xy)
    assert sorted(index.order.tolist()) == [0, 2]
    assert index.positions_of_rows(np.array([1, 2])).tolist()[0] == -1


def test_rows_in_rect_match_brute_force(clustered: np.ndarray) -> None:
    index = GridIndex(clustered)
    rect = (-3.0, -5.0, 8.0, 2.5)
    x, y = clustered[:, 0], clustered[:, 1]
    expected = np.flatnonzero((x >= -3) & (x <= 8) & (y >= -5) & (y <= 2.5))
    assert np.array_equal(index.rows_in_rect(rect), expected)
    # Reversed corners mean the same rectangle.
    assert np.array_equal(index.rows_in_rect((8.0, 2.5, -3.0, -5.0)), expected)
    assert index.candidate_count(rect) >= expected.size


def test_ranges_to_positions() -> None:
    lo = np.array([2, 7, 7, 10])
    hi = np.array([5, 7, 9, 12])
    assert ranges_to_positions(lo, hi).tolist() == [2, 3, 4, 7, 8, 10, 11]
    assert ranges_to_positions(lo[:0], hi[:0]).size == 0


def _brute_polygon(x: np.ndarray, y: np.ndarray, poly: np.ndarray) -> np.ndarray:
    inside = np.zeros(x.size, bool)
    m = len(poly)
    for i in range(m):
        (ax, ay), (bx, by) = poly[i], poly[(i + 1) % m]
        if ay == by:
            continue
        band = (np.minimum(ay, by) <= y) & (y < np.maximum(ay, by))
        xc = ax + (y - ay) / (by - ay) * (bx - ax)
        inside ^= band & (x < xc)
    return inside


def test_polygon_selection_matches_brute_force(clustered: np.ndarray) -> None:
    index = GridIndex(clustered)
    # A concave star around the origin.
    angles = np.linspace(0, 2 * math.pi, 11)[:-1]
    radii = np.where(np.arange(10) % 2 == 0, 12.0, 4.0)
    star = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
    got = index.rows_in_polygon(star)
    expected = np.flatnonzero(_brute_polygon(clustered[:, 0], clustered[:, 1], star))
    assert got.size > 100
    assert np.array_equal(got, expected)


def test_polygon_simple_square() -> None:
    x = np.array([0.5, 1.5, 0.2, 0.9, -0.1], np.float32)
    y = np.array([0.5, 0.5, 0.9, 0.1, 0.5], np.float32)
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float)
    assert points_in_polygon_mask(x, y, square).tolist() == [True, False, True, True, False]
    assert GridIndex(np.column_stack([x, y])).rows_in_polygon(square[:2]).size == 0


def test_rasterize_counts_and_samples() -> None:
    x = np.array([0.1, 0.2, 1.5, 3.9, 9.0, -5.0], np.float32)
    y = np.array([0.1, 0.3, 0.5, 1.9, 0.5, 0.5], np.float32)
    colour = np.array([1, 1, 2, 3, 4, 5], np.uint8)
    r = rasterize(x, y, colour, (0.0, 0.0, 4.0, 2.0), 4, 2)
    assert r.counts.shape == (2, 4)
    # Points outside the rectangle are dropped, not clamped onto the edge pixels.
    assert r.total == 4
    assert r.counts[0, 0] == 2 and r.sample[0, 0] == 1
    assert r.counts[0, 1] == 1 and r.sample[0, 1] == 2
    assert r.counts[1, 3] == 1 and r.sample[1, 3] == 3
    assert r.sample[1, 0] == 0


def test_rasterize_without_clamping_when_all_points_are_inside(clustered: np.ndarray) -> None:
    colour = (np.arange(len(clustered)) % 7 + 1).astype(np.uint8)
    x, y = clustered[:, 0], clustered[:, 1]
    rect = (float(x.min()) - 1, float(y.min()) - 1, float(x.max()) + 1, float(y.max()) + 1)
    clamped = rasterize(x, y, colour, rect, 300, 200)
    unclamped = rasterize(x, y, colour, rect, 300, 200, clamp=False)
    assert clamped.total == unclamped.total == len(clustered)
    assert np.array_equal(clamped.counts, unclamped.counts)
