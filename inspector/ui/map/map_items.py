"""The graphics items the map is drawn with, and the colours they share.

* :class:`DensityImageItem` — an ``ImageItem`` fed a screen-resolution density raster.
* :class:`SpriteScatterItem` — points drawn as pre-rendered sprites in one
  ``drawPixmapFragments`` call. ``ScatterPlotItem.setData`` loops in Python per point (~50 ms
  for 20k points here), too slow to refill every frame; this item only stores arrays.
* :class:`PointLayer` — a set of rows with its own spatial index, drawn as either of the two
  above depending on how many of its points are in view, reusing its last frame when it can.
* :class:`ColourScheme` — per-row colour indices into a small RGBA table (≤ 256 entries), the
  one colour model the density image, the sprites and the legend all read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from inspector.core.map.spatial import GridIndex, Raster, rasterize
from inspector.ui.rendering.palette import CLUSTER_RGB, NOISE_RGB

POINTS_LIMIT = 20_000  # at most this many points in view are drawn one by one
DENSITY_BIN_PX = 2  # screen pixels per density bin (the image is scaled up smoothly)
RENDER_MARGIN = 0.25  # render this much beyond each side of the view: pans reuse the frame
RESCALE_TOLERANCE = 1.4  # reuse a density image within this zoom factor (a wheel notch: 1.35)

BACKGROUND = (250, 250, 248)
TEXT = (32, 33, 36)
NOISE = (*NOISE_RGB, 170)  # translucent too: points in no cluster stay in the background
UNIFORM = (66, 103, 172, 255)
SELECTED_OUTLINE = (20, 20, 20, 255)
HIGHLIGHT_OUTLINE = (255, 140, 0, 255)
CURRENT_RING = (0, 90, 220, 255)

# Distinct cluster colours (none of them grey); "none" is NOISE, which no cluster shares.
PALETTE = list(CLUSTER_RGB)


@dataclass
class LegendEntry:
    code: int
    name: str
    rgba: tuple[int, int, int, int]
    count: int


@dataclass
class ColourScheme:
    """Which colour each row gets: ``colours[index[row]]``; index 0 is "none" (grey)."""

    kind: str  # "uniform" | "categorical" | "continuous"
    colours: np.ndarray  # (k, 4) uint8 RGBA, k <= 256
    index: np.ndarray  # (n,) uint8
    title: str = ""
    entries: list[LegendEntry] = field(default_factory=list)
    vmin: float = 0.0
    vmax: float = 1.0
    log: bool = False  # coloured by log10 of the values; vmin/vmax are in the values' units

    @classmethod
    def uniform(cls, n: int) -> ColourScheme:
        colours = np.array([NOISE, UNIFORM], np.uint8)
        return cls("uniform", colours, np.ones(n, np.uint8))

    @classmethod
    def categorical(cls, codes: np.ndarray, names: dict[int, str], title: str) -> ColourScheme:
        codes = np.asarray(codes).astype(np.int64, copy=False)
        colours = np.array([NOISE] + [(*c, 255) for c in PALETTE], np.uint8)
        index = np.where(codes < 0, 0, codes % len(PALETTE) + 1).astype(np.uint8)
        present, counts = np.unique(codes, return_counts=True)
        entries = [
            LegendEntry(
                int(code),
                names.get(int(code), "none" if code < 0 else str(int(code))),
                tuple(int(v) for v in colours[0 if code < 0 else code % len(PALETTE) + 1]),
                int(count),
            )
            for code, count in zip(present, counts)
        ]
        # Biggest first; "none" last whatever its size.
        entries.sort(key=lambda e: (e.code < 0, -e.count, e.code))
        return cls("categorical", colours, index, title, entries)

    @classmethod
    def continuous(
        cls,
        values: np.ndarray,
        title: str,
        vmin: float | None = None,
        vmax: float | None = None,
        colormap: str = "viridis",
        log: bool = False,
    ) -> ColourScheme:
        """``log``: colour by log10 of the values (≥ 1), still labelled in the values' units."""
        values = np.asarray(values, dtype=np.float64)
        if log:
            scheme = cls.continuous(
                np.log10(np.maximum(values, 1.0)),
                title,
                None if vmin is None else float(np.log10(max(vmin, 1.0))),
                None if vmax is None else float(np.log10(max(vmax, 1.0))),
                colormap,
            )
            scheme.log = True
            scheme.vmin, scheme.vmax = 10.0**scheme.vmin, 10.0**scheme.vmax
            return scheme
        finite = np.isfinite(values)
        if vmin is None or vmax is None:
            # 1st–99th percentile, so one huge row does not flatten everything else.
            lo, hi = np.percentile(values[finite], [1, 99]) if finite.any() else (0.0, 1.0)
            vmin = float(lo) if vmin is None else vmin
            vmax = float(hi) if vmax is None else vmax
        if vmax <= vmin:
            vmax = vmin + 1.0
        lut = pg.colormap.get(colormap).getLookupTable(nPts=255, alpha=True)
        colours = np.vstack([np.array([NOISE], np.uint8), lut.astype(np.uint8)])
        scaled = np.clip((values - vmin) / (vmax - vmin), 0.0, 1.0) * 254.0
        index = np.zeros(values.size, np.uint8)
        index[finite] = scaled[finite].astype(np.uint8) + 1
        return cls("continuous", colours, index, title, vmin=float(vmin), vmax=float(vmax))


def with_faded(
    colours: np.ndarray, index: np.ndarray, faded: np.ndarray | None, amount: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """The colour table with a faded copy of each colour appended, and ``index`` pointing rows
    where ``faded`` is True at those copies (weak cluster members; later, rows a filter dims).
    Unchanged when nothing is faded or the table would pass 256 entries."""
    if faded is None or not faded.any() or 2 * len(colours) > 256:
        return colours, index
    table = np.vstack([colours, dimmed(colours, amount)])
    out = index.copy()
    out[faded] += len(colours)
    return table, out


def dimmed(colours: np.ndarray, amount: float = 0.55) -> np.ndarray:
    """Colours faded towards the background: context behind a selection."""
    bg = np.array(BACKGROUND, np.float32)
    out = colours.copy()
    out[:, :3] = (colours[:, :3] * (1 - amount) + bg * amount).astype(np.uint8)
    return out


ALPHA_LEVELS = 64


def premultiplied_lut(colours: np.ndarray, *, floor: int, gain: float = 1.0) -> np.ndarray:
    """Premultiplied ARGB32 for every (colour, alpha level): ``lut[colour * ALPHA_LEVELS + level]``.

    Level 0 is transparent; level 1 (a lone point) has alpha ``floor``; the top level is opaque.
    """
    levels = np.arange(ALPHA_LEVELS, dtype=np.float32)
    alpha = floor + (255 - floor) * (levels - 1) / (ALPHA_LEVELS - 2)
    alpha = np.clip(alpha * gain, 0, 255)
    alpha[0] = 0
    a = alpha[None, :] * colours[:, 3:4].astype(np.float32) / 255  # (k, levels)
    rgb = colours[:, None, :3].astype(np.float32) * (a[..., None] / 255)
    a8 = np.round(a).astype(np.uint32)
    r, g, b = (np.round(rgb[..., i]).astype(np.uint32) for i in range(3))
    return ((a8 << 24) | (r << 16) | (g << 8) | b).ravel()


def colourise(raster: Raster, lut: np.ndarray) -> np.ndarray:
    """Premultiplied ARGB32 image (h, w) from a raster: hue from the sampled colour, alpha
    from density.

    Alpha grows with log(count) from a lone point to the densest pixel in the raster, so
    sparse areas stay readable and dense cores do not saturate into blobs.
    """
    counts = raster.counts
    cmax = int(counts.max()) if counts.size else 0
    top = ALPHA_LEVELS - 1
    level = 1 + (top - 1) * np.log1p(np.arange(cmax + 1, dtype=np.float32)) / max(
        np.log1p(cmax), 1e-6
    )
    level = np.minimum(level, top).astype(np.uint32)
    level[0] = 0
    index = raster.sample.astype(np.uint32)
    index *= ALPHA_LEVELS
    index += level[counts]
    return lut[index]


# Rows no filter lets through: a light grey density under the matching rows' colours.
FILTERED_OUT = (150, 150, 150, 255)
FILTERED_OUT_LUT = premultiplied_lut(np.array([FILTERED_OUT], np.uint8), floor=50, gain=0.45)


def over_grey(every: Raster, matching: Raster, lut: np.ndarray) -> np.ndarray:
    """The matching rows' density coloured with ``lut`` over every row's density in grey."""
    image = colourise(Raster(every.counts, np.zeros_like(every.sample)), FILTERED_OUT_LUT)
    over = matching.counts > 0
    image[over] = colourise(matching, lut)[over]
    return image


class DensityImageItem(pg.ImageItem):
    """An ImageItem showing a premultiplied ARGB32 raster over a data rectangle, smoothly
    scaled. ``render`` wraps the buffer in a QImage as is: no levels, no LUT, no copy."""

    def __init__(self) -> None:
        super().__init__(axisOrder="row-major")
        self.setAutoDownsample(False)
        self._smooth = True

    def set_smooth(self, smooth: bool) -> None:
        """Bilinear scaling (at rest) or nearest (while the view moves: half the paint time)."""
        if smooth != self._smooth:
            self._smooth = smooth
            self.update()

    def set_raster_image(self, argb: np.ndarray, rect: tuple[float, float, float, float]) -> None:
        x0, y0, x1, y1 = rect
        self.setImage(np.ascontiguousarray(argb, dtype=np.uint32), autoLevels=False, levels=None)
        self.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        self.setVisible(True)

    def render(self) -> None:
        image = self.image
        if image is None or image.size == 0:
            self._unrenderable = True
            return
        h, w = image.shape[:2]
        fmt = QtGui.QImage.Format.Format_ARGB32_Premultiplied
        self.qimage = QtGui.QImage(image.data, w, h, w * 4, fmt)  # self.image keeps the buffer
        self._renderRequired = False
        self._unrenderable = False

    def paint(self, painter: QtGui.QPainter, *args: object) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, self._smooth)
        super().paint(painter, *args)


# Sprite styles: one row of the atlas each. (diameter px, outline rgba or None, outline width)
STYLE_NORMAL, STYLE_DIM, STYLE_SELECTED, STYLE_HIGHLIGHT = 0, 1, 2, 3
STYLE_HOVER, STYLE_CURRENT = 4, 5


class SpriteAtlas:
    """One pixmap holding a disc per (style, colour): the sprites every point is drawn from."""

    CELL = 22

    def __init__(self, colours: np.ndarray, dpr: float = 1.0) -> None:
        self.n_colours = len(colours)
        self.dpr = dpr
        cell = self.CELL
        dimmed_colours = dimmed(colours)
        styles: list[tuple[float, np.ndarray | None, tuple[int, ...] | None, float]] = [
            (6.5, colours, None, 0.0),  # normal: plain disc, a thin darker rim added below
            (5.0, dimmed_colours, None, 0.0),
            (8.0, colours, SELECTED_OUTLINE, 1.4),
            (9.5, colours, HIGHLIGHT_OUTLINE, 2.2),
            (15.0, None, TEXT, 1.8),  # hover ring
            (18.0, None, CURRENT_RING, 2.6),  # current-row ring
        ]
        size = QtCore.QSize(int(cell * self.n_colours * dpr), int(cell * len(styles) * dpr))
        image = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        p = QtGui.QPainter(image)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        p.scale(dpr, dpr)
        for s, (diameter, fills, outline, width) in enumerate(styles):
            for k in range(self.n_colours if fills is not None else 1):
                centre = QtCore.QPointF(k * cell + cell / 2, s * cell + cell / 2)
                if fills is not None:
                    r, g, b, a = (int(v) for v in fills[k])
                    p.setBrush(QtGui.QColor(r, g, b, a))
                else:
                    p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
                if outline is not None:
                    p.setPen(QtGui.QPen(QtGui.QColor(*outline), width))
                elif s == STYLE_NORMAL:
                    p.setPen(QtGui.QPen(QtGui.QColor(r // 2, g // 2, b // 2, 150), 0.8))
                else:
                    p.setPen(QtCore.Qt.PenStyle.NoPen)
                p.drawEllipse(centre, diameter / 2, diameter / 2)
        p.end()
        self.pixmap = QtGui.QPixmap.fromImage(image)
        self.pixmap.setDevicePixelRatio(dpr)


class SpriteScatterItem(pg.GraphicsObject):
    """Points in view coordinates drawn with sprites from a :class:`SpriteAtlas`.

    It holds only what is visible; the owner refills it on every view change.
    """

    def __init__(self) -> None:
        super().__init__()
        self._atlas: SpriteAtlas | None = None
        self._x = np.empty(0)
        self._y = np.empty(0)
        self._sx = np.empty(0)
        self._sy = np.empty(0)
        self._bounds = QtCore.QRectF()
        self._fragments = pg.Qt.internals.PrimitiveArray(QtGui.QPainter.PixmapFragment, 10)

    def set_atlas(self, atlas: SpriteAtlas) -> None:
        self._atlas = atlas
        self.update()

    def set_points(
        self,
        x: np.ndarray,
        y: np.ndarray,
        style: int | np.ndarray,
        colour: np.ndarray | int,
        margin: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        """Show points at (x, y); ``margin`` pads the bounds by a sprite size in view units."""
        assert self._atlas is not None
        self._x = np.asarray(x, dtype=np.float64)
        self._y = np.asarray(y, dtype=np.float64)
        colour = np.broadcast_to(np.asarray(colour), self._x.shape)
        style = np.broadcast_to(np.asarray(style), self._x.shape)
        self._sx = colour.astype(np.float64) * SpriteAtlas.CELL * self._atlas.dpr
        self._sy = style.astype(np.float64) * SpriteAtlas.CELL * self._atlas.dpr
        ring = (style == STYLE_HOVER) | (style == STYLE_CURRENT)
        if ring.any():
            self._sx[ring] = 0.0
        self.prepareGeometryChange()
        if self._x.size:
            mx, my = margin
            self._bounds = QtCore.QRectF(
                float(self._x.min()) - mx,
                float(self._y.min()) - my,
                float(np.ptp(self._x)) + 2 * mx,
                float(np.ptp(self._y)) + 2 * my,
            )
        else:
            self._bounds = QtCore.QRectF()
        self.setVisible(bool(self._x.size))
        self.update()

    def clear(self) -> None:
        self._x = self._y = self._sx = self._sy = np.empty(0)
        self.prepareGeometryChange()
        self._bounds = QtCore.QRectF()
        self.setVisible(False)

    def __len__(self) -> int:
        return int(self._x.size)

    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def paint(self, p: QtGui.QPainter, *args: object) -> None:
        n = self._x.size
        if n == 0 or self._atlas is None:
            return
        t = p.transform()
        dx = t.m11() * self._x + t.m21() * self._y + t.dx()
        dy = t.m12() * self._x + t.m22() * self._y + t.dy()
        p.resetTransform()
        sx, sy = self._sx, self._sy
        device = p.device()
        if device is not None:  # only what lands on the device (the item may hold more)
            # width() is logical for widgets and physical for images: never too small.
            r, w, h = SpriteAtlas.CELL, device.width(), device.height()
            on = (dx > -r) & (dx < w + r) & (dy > -r) & (dy < h + r)
            if not on.all():
                dx, dy, sx, sy = dx[on], dy[on], sx[on], sy[on]
                n = int(dx.size)
                if n == 0:
                    return
        self._fragments.resize(n)
        frags = self._fragments.ndarray()
        cell = SpriteAtlas.CELL * self._atlas.dpr
        frags[:, 0] = np.clip(dx, -1e6, 1e6)
        frags[:, 1] = np.clip(dy, -1e6, 1e6)
        frags[:, 2] = sx
        frags[:, 3] = sy
        frags[:, 4:6] = cell
        frags[:, 6:8] = 1.0 / self._atlas.dpr
        frags[:, 8] = 0.0
        frags[:, 9] = 1.0
        p.drawPixmapFragments(*self._fragments.drawargs(), self._atlas.pixmap)


def _intersect(
    a: tuple[float, ...], b: tuple[float, ...]
) -> tuple[float, float, float, float] | None:
    r = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return r if r[0] < r[2] and r[1] < r[3] else None


def _contains(outer: tuple[float, ...], inner: tuple[float, ...], strict: bool = False) -> bool:
    if strict:
        return (
            outer[0] < inner[0]
            and outer[1] < inner[1]
            and outer[2] > inner[2]
            and outer[3] > inner[3]
        )
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and outer[2] >= inner[2]
        and outer[3] >= inner[3]
    )


class PointLayer:
    """A set of rows with its own spatial index, colour per position, and the two items it is
    drawn with (a density image when many of its points are in view, sprites when few)."""

    def __init__(self, style: int) -> None:
        self.style = style
        self.density = DensityImageItem()
        self.points = SpriteScatterItem()
        self.index: GridIndex | None = None
        self.rows = np.empty(0, np.int64)
        self.colour = np.empty(0, np.uint8)
        # What was last drawn: (mode, data rect covered, px per unit x, dim); None = redraw.
        self.drawn: tuple[str, tuple[float, float, float, float], float, bool] | None = None
        self.match: np.ndarray | None = None  # per position; False: greyed out (filtered)

    def set_match(self, row_mask: np.ndarray | None) -> None:
        """Grey out the rows where ``row_mask`` (one bool per row) is False; None: none."""
        self.match = None if row_mask is None else np.ascontiguousarray(row_mask[self.rows])
        self.drawn = None

    def set_rows(self, rows: np.ndarray, xy: np.ndarray, colour: np.ndarray) -> None:
        if rows.size == 0:
            self.index, self.rows = None, np.empty(0, np.int64)
        else:
            self.index = GridIndex(xy[rows])
            self.rows = rows[self.index.order]  # original row at each sorted position
        self.match = None
        self.recolour(colour)

    def recolour(self, colour: np.ndarray) -> None:
        self.colour = colour[self.rows]
        self.drawn = None

    def hide(self) -> None:
        self.density.setVisible(False)
        self.points.clear()
        self.drawn = None

    def draw(
        self,
        view: tuple[float, float, float, float],
        k: tuple[float, float],
        points_limit: int,
        lut: np.ndarray,
        *,
        exact: bool = False,
        dim: bool = False,
    ) -> tuple[str, str]:
        """Draw the layer for ``view`` at ``k`` device pixels per data unit: sprites if at most
        ``points_limit`` of its points are in view, else a density image coloured with ``lut``.

        The last frame is kept when it still covers the view and, for a density image, the
        zoom is within ``RESCALE_TOLERANCE`` of it (``exact``: only at exactly this zoom).
        Returns (mode, work): mode "points" or "density"; work "points", "density" (what was
        redrawn) or "reused".
        """
        index = self.index
        assert index is not None
        x0, y0, x1, y1 = view
        mx, my = SpriteAtlas.CELL / k[0], SpriteAtlas.CELL / k[1]  # a sprite, in data units
        in_view = (x0 - mx, y0 - my, x1 + mx, y1 + my)
        pos = None
        if index.candidate_count(in_view) <= 4 * points_limit:
            pos = index.positions_in_rect(in_view)
        mode = "points" if pos is not None and pos.size <= points_limit else "density"

        bx0, by0, bx1, by1 = index.bounds
        data = (bx0 - mx, by0 - my, bx1 + mx, by1 + my)
        visible = _intersect(in_view, data)
        drawn = self.drawn
        if drawn is not None and drawn[0] == mode and drawn[3] == dim:
            covered = visible is None or _contains(drawn[1], visible)
            ratio = k[0] / drawn[2]
            fresh = mode == "points" or (
                1 / RESCALE_TOLERANCE <= ratio <= RESCALE_TOLERANCE and not (exact and ratio != 1)
            )
            if covered and fresh:
                return mode, "reused"

        dx, dy = (x1 - x0) * RENDER_MARGIN, (y1 - y0) * RENDER_MARGIN
        wide = _intersect((x0 - dx, y0 - dy, x1 + dx, y1 + dy), data) or in_view
        if mode == "points":
            rect = in_view
            if index.candidate_count(wide) <= 4 * points_limit:
                more = index.positions_in_rect(wide)
                if more.size <= points_limit:
                    pos, rect = more, wide
            style, colour = STYLE_DIM if dim else self.style, self.colour[pos]
            if self.match is not None:  # the matching rows drawn last, over the greyed rest
                order = np.argsort(self.match[pos], kind="stable")
                pos, colour = pos[order], colour[order]
                m = self.match[pos]
                style, colour = np.where(m, style, STYLE_DIM), np.where(m, colour, 0)
            self.points.set_points(index.x[pos], index.y[pos], style, colour, (mx, my))
            self.density.setVisible(False)
        else:
            # Whole bins of DENSITY_BIN_PX device pixels from the rectangle's corner.
            bw = max(1, math.ceil((wide[2] - wide[0]) * k[0] / DENSITY_BIN_PX))
            bh = max(1, math.ceil((wide[3] - wide[1]) * k[1] / DENSITY_BIN_PX))
            rect = (
                wide[0], wide[1],
                wide[0] + bw * DENSITY_BIN_PX / k[0], wide[1] + bh * DENSITY_BIN_PX / k[1],
            )  # fmt: skip
            clamp, m = True, self.match
            if index.candidate_count(rect) > 0.5 * len(index):  # most points: no gather
                x, y, colour = index.x, index.y, self.colour
                clamp = not _contains(rect, index.bounds, strict=True)
            else:
                p = index.candidates(rect)
                x, y, colour = index.x[p], index.y[p], self.colour[p]
                m = None if m is None else m[p]
            raster = rasterize(x, y, colour, rect, bw, bh, clamp=clamp)
            if m is None:
                image = colourise(raster, lut)
            else:
                top = rasterize(x[m], y[m], colour[m], rect, bw, bh, clamp=clamp)
                image = over_grey(raster, top, lut)
            self.density.set_raster_image(image, rect)
            self.points.clear()
        self.drawn = (mode, rect, k[0], dim)
        return mode, mode
