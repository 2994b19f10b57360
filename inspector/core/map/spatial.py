"""A uniform-grid spatial index over 2-D points, and the rasteriser the map draws from.

The map needs three things fast at a million points, without Qt:

* the points inside a view rectangle (to draw only what is visible),
* the point nearest the cursor (hover and click: a few cells, not a scan),
* the points inside a lasso polygon or a rectangle (selection).

:class:`GridIndex` sorts the points by grid cell once (``O(n log n)``); a rectangle then maps to
one contiguous run of positions per cell row. Within a cell the points are shuffled (seeded),
so any prefix or "last one wins" choice among them is an unbiased sample.

:func:`rasterize` bins points onto a pixel grid (counts plus one sampled colour index per
pixel), which is what the density image is made of.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["GridIndex", "Raster", "rasterize", "points_in_polygon_mask"]

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 with x0 <= x1, y0 <= y1


class GridIndex:
    """Points bucketed into a ``nx`` × ``ny`` grid over their bounding box.

    ``order[p]`` is the original row of the point at sorted position ``p``; ``x``/``y`` are the
    coordinates in sorted order (float32). Rows whose coordinates are not finite are left out
    of the index (they cannot be drawn or hit).
    """

    def __init__(
        self,
        xy: np.ndarray,
        *,
        points_per_cell: float = 4.0,
        max_cells_per_side: int = 1024,
        seed: int = 0,
    ) -> None:
        xy = np.asarray(xy)
        if xy.ndim != 2 or xy.shape[1] != 2:
            raise ValueError(f"points must be an (n, 2) array, got shape {xy.shape}")
        self.n_rows = int(xy.shape[0])
        xs = np.ascontiguousarray(xy[:, 0], dtype=np.float32)
        ys = np.ascontiguousarray(xy[:, 1], dtype=np.float32)
        finite = np.isfinite(xs) & np.isfinite(ys)
        rows = np.flatnonzero(finite) if not finite.all() else np.arange(self.n_rows)
        if rows.size:
            xs_f, ys_f = xs[rows], ys[rows]
            x0, x1 = float(xs_f.min()), float(xs_f.max())
            y0, y1 = float(ys_f.min()), float(ys_f.max())
        else:
            xs_f = ys_f = np.empty(0, np.float32)
            x0 = y0 = 0.0
            x1 = y1 = 1.0
        # A degenerate extent (all points on a line) still needs a cell size.
        if x1 - x0 <= 0:
            x0, x1 = x0 - 0.5, x1 + 0.5
        if y1 - y0 <= 0:
            y0, y1 = y0 - 0.5, y1 + 0.5
        self.bounds: Rect = (x0, y0, x1, y1)

        side = int(math.sqrt(max(rows.size, 1) / points_per_cell))
        side = max(1, min(max_cells_per_side, side))
        # Cells roughly square in data units, so ring searches are isotropic.
        w, h = x1 - x0, y1 - y0
        if w >= h:
            self.nx, self.ny = side, max(1, round(side * h / w))
        else:
            self.nx, self.ny = max(1, round(side * w / h)), side
        self.cell_w = w / self.nx
        self.cell_h = h / self.ny

        cx = self._cells_x(xs_f)
        cy = self._cells_y(ys_f)
        cell = cy * self.nx + cx
        # Shuffle first, then a stable sort by cell: order within a cell is random.
        shuffle = np.random.default_rng(seed).permutation(rows.size)
        by_cell = shuffle[np.argsort(cell[shuffle], kind="stable")]
        self.order: np.ndarray = rows[by_cell].astype(np.int64)
        self.x: np.ndarray = xs_f[by_cell]
        self.y: np.ndarray = ys_f[by_cell]
        counts = np.bincount(cell, minlength=self.nx * self.ny)
        self.starts: np.ndarray = np.zeros(self.nx * self.ny + 1, np.int64)
        np.cumsum(counts, out=self.starts[1:])
        self._position_of_row: np.ndarray | None = None

    # -- basics -----------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self.order.size)

    def _cells_x(self, x: np.ndarray) -> np.ndarray:
        c = ((x - self.bounds[0]) / self.cell_w).astype(np.int64)
        return np.clip(c, 0, self.nx - 1, out=c)

    def _cells_y(self, y: np.ndarray) -> np.ndarray:
        c = ((y - self.bounds[1]) / self.cell_h).astype(np.int64)
        return np.clip(c, 0, self.ny - 1, out=c)

    def positions_of_rows(self, rows: np.ndarray) -> np.ndarray:
        """Sorted positions of the given original rows (-1 for rows not in the index)."""
        if self._position_of_row is None:
            pos = np.full(self.n_rows, -1, np.int64)
            pos[self.order] = np.arange(self.order.size)
            self._position_of_row = pos
        return self._position_of_row[np.asarray(rows, dtype=np.int64)]

    # -- rectangles ---------------------------------------------------------------------

    def _cell_range(self, rect: Rect) -> tuple[int, int, int, int] | None:
        x0, y0, x1, y1 = rect
        bx0, by0, bx1, by1 = self.bounds
        if x1 < bx0 or x0 > bx1 or y1 < by0 or y0 > by1 or len(self) == 0:
            return None
        cx0 = min(self.nx - 1, max(0, int((x0 - bx0) / self.cell_w)))
        cx1 = min(self.nx - 1, max(0, int((x1 - bx0) / self.cell_w)))
        cy0 = min(self.ny - 1, max(0, int((y0 - by0) / self.cell_h)))
        cy1 = min(self.ny - 1, max(0, int((y1 - by0) / self.cell_h)))
        return cx0, cy0, cx1, cy1

    def candidate_ranges(self, rect: Rect) -> tuple[np.ndarray, np.ndarray]:
        """Start and stop positions of the runs of cells that overlap ``rect`` (one per cell row)."""
        cr = self._cell_range(rect)
        if cr is None:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        cx0, cy0, cx1, cy1 = cr
        if cx0 == 0 and cx1 == self.nx - 1:  # full rows: one contiguous run
            return (
                self.starts[cy0 * self.nx : cy0 * self.nx + 1],
                self.starts[(cy1 + 1) * self.nx : (cy1 + 1) * self.nx + 1],
            )
        row_base = np.arange(cy0, cy1 + 1, dtype=np.int64) * self.nx
        return self.starts[row_base + cx0], self.starts[row_base + cx1 + 1]

    def candidate_count(self, rect: Rect) -> int:
        """Points in the cells overlapping ``rect``: an upper bound on those inside it."""
        lo, hi = self.candidate_ranges(rect)
        return int((hi - lo).sum())

    def candidates(self, rect: Rect) -> np.ndarray:
        """Sorted positions of the points in the cells overlapping ``rect`` (a superset)."""
        lo, hi = self.candidate_ranges(rect)
        return ranges_to_positions(lo, hi)

    def positions_in_rect(self, rect: Rect) -> np.ndarray:
        """Sorted positions of the points inside ``rect`` (edges included)."""
        pos = self.candidates(rect)
        x, y = self.x[pos], self.y[pos]
        x0, y0, x1, y1 = rect
        keep = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        return pos[keep]

    def rows_in_rect(self, rect: Rect) -> np.ndarray:
        """Original rows of the points inside ``rect``, ascending."""
        return np.sort(self.order[self.positions_in_rect(normalize_rect(rect))])

    # -- nearest ------------------------------------------------------------------------

    def nearest(
        self,
        x: float,
        y: float,
        *,
        max_dist: float = math.inf,
        scale: tuple[float, float] = (1.0, 1.0),
    ) -> int:
        """Original row of the point nearest ``(x, y)``, or -1 if none is within ``max_dist``.

        Distances are measured after multiplying x and y offsets by ``scale`` — pass pixels per
        data unit to get a screen-space distance (``max_dist`` is then in pixels).
        """
        if len(self) == 0:
            return -1
        sx, sy = float(scale[0]), float(scale[1])
        bx0, by0, bx1, by1 = self.bounds
        # The largest distance that can matter: to the far corner of the bounds.
        far = math.hypot(max(abs(x - bx0), abs(x - bx1)) * sx, max(abs(y - by0), abs(y - by1)) * sy)
        limit = min(max_dist, far * 1.0001 + 1e-12)
        radius = min(limit, 2.0 * min(self.cell_w * sx, self.cell_h * sy))
        while True:
            rect = (x - radius / sx, y - radius / sy, x + radius / sx, y + radius / sy)
            pos = self.candidates(rect)
            if pos.size:
                d2 = ((self.x[pos] - x) * sx) ** 2 + ((self.y[pos] - y) * sy) ** 2
                i = int(np.argmin(d2))
                # Inside the search radius nothing outside the rectangle can be nearer.
                if d2[i] <= radius * radius:
                    return int(self.order[pos[i]])
            if radius >= limit:
                return -1
            radius = min(limit, radius * 2.0)

    # -- polygons -------------------------------------------------------------------------

    def rows_in_polygon(self, polygon: np.ndarray) -> np.ndarray:
        """Original rows of the points inside ``polygon`` ((m, 2) vertices), ascending."""
        poly = np.asarray(polygon, dtype=np.float64)
        if poly.ndim != 2 or poly.shape[0] < 3 or poly.shape[1] != 2:
            return np.empty(0, np.int64)
        rect = (
            float(poly[:, 0].min()),
            float(poly[:, 1].min()),
            float(poly[:, 0].max()),
            float(poly[:, 1].max()),
        )
        pos = self.positions_in_rect(rect)
        inside = points_in_polygon_mask(self.x[pos], self.y[pos], poly)
        return np.sort(self.order[pos[inside]])


def normalize_rect(rect: Rect) -> Rect:
    x0, y0, x1, y1 = rect
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def ranges_to_positions(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(lo[i], hi[i])`` for all i, vectorised."""
    lens = hi - lo
    keep = lens > 0
    if not keep.all():
        lo, lens = lo[keep], lens[keep]
    if lens.size == 0:
        return np.empty(0, np.int64)
    if lens.size == 1:
        return np.arange(lo[0], lo[0] + lens[0], dtype=np.int64)
    total = int(lens.sum())
    # Each run continues from where the previous one stopped: add the jump at run starts.
    step = np.ones(total, np.int64)
    run_starts = np.cumsum(lens)[:-1]
    step[0] = lo[0]
    step[run_starts] = lo[1:] - (lo[:-1] + lens[:-1]) + 1
    return np.cumsum(step)


def points_in_polygon_mask(x: np.ndarray, y: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon test for many points.

    The points are sorted by y once; each edge then only touches the points in its own y band
    (a contiguous slice), so the work is about the number of points times the number of times
    a horizontal line crosses the outline, not points × edges.
    """
    n = x.size
    inside = np.zeros(n, bool)
    if n == 0:
        return inside
    by_y = np.argsort(y, kind="stable")
    ys = y[by_y].astype(np.float64)
    xs = x[by_y].astype(np.float64)
    poly = np.asarray(polygon, dtype=np.float64)
    ax, ay = poly[:, 0], poly[:, 1]
    bx, by = np.roll(ax, -1), np.roll(ay, -1)
    lo_y, hi_y = np.minimum(ay, by), np.maximum(ay, by)
    starts = np.searchsorted(ys, lo_y, side="left")
    stops = np.searchsorted(ys, hi_y, side="left")  # band is lo_y <= y < hi_y
    parity = np.zeros(n, bool)
    for i in np.flatnonzero(stops > starts):
        s, e = starts[i], stops[i]
        t = (ys[s:e] - ay[i]) / (by[i] - ay[i])
        x_cross = ax[i] + t * (bx[i] - ax[i])
        parity[s:e] ^= xs[s:e] < x_cross
    inside[by_y] = parity
    return inside


@dataclass
class Raster:
    """Points binned onto a ``height`` × ``width`` pixel grid (row 0 at the rectangle's y0)."""

    counts: np.ndarray  # (h, w) int64 points per pixel
    sample: np.ndarray  # (h, w) colour index of one point in the pixel (0 where empty)

    @property
    def total(self) -> int:
        return int(self.counts.sum())


def rasterize(
    x: np.ndarray,
    y: np.ndarray,
    colour: np.ndarray,
    rect: Rect,
    width: int,
    height: int,
    *,
    clamp: bool = True,
) -> Raster:
    """Bin points into ``width`` × ``height`` pixels covering ``rect``.

    Each pixel keeps its count and the colour index of one of its points (the last written;
    with :class:`GridIndex` order that is a random one, so a pixel shows its majority colour
    in proportion). Points outside ``rect`` are clamped onto a one-pixel border that is then
    cut away — cheaper than masking a million points. Pass ``clamp=False`` only when every
    point lies strictly inside ``rect``.
    """
    x0, y0, x1, y1 = rect
    w, h = int(width), int(height)
    if x.size == 0 or w <= 0 or h <= 0 or x1 <= x0 or y1 <= y0:
        shape = (max(h, 0), max(w, 0))
        return Raster(np.zeros(shape, np.int64), np.zeros(shape, colour.dtype))
    pw = w + 2
    sx, sy = w / (x1 - x0), h / (y1 - y0)
    # Pixel coordinates + 1 (the border) as one multiply-add each, in float32.
    fx = np.multiply(x, np.float32(sx), dtype=np.float32)
    fx += np.float32(1.0 - x0 * sx)
    fy = np.multiply(y, np.float32(sy), dtype=np.float32)
    fy += np.float32(1.0 - y0 * sy)
    if clamp:
        np.clip(fx, 0.0, np.float32(w + 1), out=fx)
        np.clip(fy, 0.0, np.float32(h + 1), out=fy)
    flat = fy.astype(np.int32)
    flat *= pw
    flat += fx.astype(np.int32)
    flat = flat.astype(np.intp)  # bincount and fancy indexing would each convert int32 again
    size = pw * (h + 2)
    counts = np.bincount(flat, minlength=size)
    sample = np.zeros(size, colour.dtype)
    sample[flat] = colour
    counts = counts.reshape(h + 2, pw)[1:-1, 1:-1]
    sample = sample.reshape(h + 2, pw)[1:-1, 1:-1]
    return Raster(counts, sample)
