"""The graphics items the map is drawn with, and the colours they share.

* :class:`DensityImageItem` — an ``ImageItem`` fed a screen-resolution density raster.
* :class:`SpriteScatterItem` — points drawn as pre-rendered sprites in one
  ``drawPixmapFragments`` call. ``ScatterPlotItem.setData`` loops in Python per point (~50 ms
  for 20k points here), too slow to refill every frame; this item only stores arrays.
* :class:`ClusterLabelItem` — cluster names with a halo, placed greedily without overlaps.
* :class:`ColourScheme` — per-row colour indices into a small RGBA table (≤ 256 entries), the
  one colour model the density image, the sprites and the legend all read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from inspector.core.spatial import Raster

BACKGROUND = (250, 250, 248)
TEXT = (32, 33, 36)
NOISE = (178, 178, 178, 255)
UNIFORM = (66, 103, 172, 255)
SELECTED_OUTLINE = (20, 20, 20, 255)
HIGHLIGHT_OUTLINE = (255, 140, 0, 255)
CURRENT_RING = (0, 90, 220, 255)

# Tableau 20, reordered so that the first ten are the strong tones.
PALETTE = [
    (78, 121, 167), (242, 142, 43), (225, 87, 89), (118, 183, 178), (89, 161, 79),
    (237, 201, 72), (176, 122, 161), (255, 157, 167), (156, 117, 95), (186, 176, 172),
    (160, 203, 232), (255, 190, 125), (140, 209, 125), (134, 188, 182), (241, 206, 99),
    (73, 152, 148), (211, 114, 149), (212, 166, 200), (182, 153, 45), (121, 112, 110),
]  # fmt: skip


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
    ) -> ColourScheme:
        values = np.asarray(values, dtype=np.float64)
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


@dataclass
class PlacedLabel:
    x: float
    y: float
    text: str
    bold: bool


class ClusterLabelItem(pg.GraphicsObject):
    """Cluster names at view positions, drawn dark with a light halo, never overlapping."""

    MAX_CHARS = 36

    def __init__(self) -> None:
        super().__init__()
        self._labels: list[PlacedLabel] = []
        self._bounds = QtCore.QRectF()
        self.font = QtGui.QFont()
        self.font.setPointSizeF(9.0)
        self.bold_font = QtGui.QFont(self.font)
        self.bold_font.setPointSizeF(10.0)
        self.bold_font.setBold(True)
        self._metrics = QtGui.QFontMetricsF(self.font)
        self._bold_metrics = QtGui.QFontMetricsF(self.bold_font)
        self._halo = QtGui.QPen(QtGui.QColor(*BACKGROUND, 235), 3.2)
        self._halo.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
        self._ink = QtGui.QBrush(QtGui.QColor(*TEXT))
        self._sprites: dict[tuple[str, bool, float], QtGui.QPixmap] = {}

    def elide(self, text: str) -> str:
        return text if len(text) <= self.MAX_CHARS else text[: self.MAX_CHARS - 1] + "…"

    def text_size(self, text: str, bold: bool) -> tuple[float, float]:
        m = self._bold_metrics if bold else self._metrics
        return m.horizontalAdvance(text), m.height()

    def place(
        self,
        candidates: list[tuple[float, float, str]],
        to_pixels: tuple[float, float, float, float],
        bold: bool,
        max_labels: int = 40,
    ) -> None:
        """Greedy placement: ``candidates`` (x, y, text) come biggest cluster first; a label
        that would overlap one already placed is hidden. ``to_pixels`` = (x0, y0, px/unit x,
        px/unit y) maps view coordinates to screen pixels for the overlap test."""
        x0, y0, kx, ky = to_pixels
        placed: list[tuple[float, float, float, float]] = []
        labels: list[PlacedLabel] = []
        pad = 3.0
        for x, y, text in candidates:
            text = self.elide(text)
            w, h = self.text_size(text, bold)
            px, py = (x - x0) * kx, (y - y0) * ky
            r = (px - w / 2 - pad, py - h / 2 - pad, px + w / 2 + pad, py + h / 2 + pad)
            if any(r[0] < q[2] and q[0] < r[2] and r[1] < q[3] and q[1] < r[3] for q in placed):
                continue
            placed.append(r)
            labels.append(PlacedLabel(x, y, text, bold))
            if len(labels) >= max_labels:
                break
        self.prepareGeometryChange()
        self._labels = labels
        if labels:
            xs = [lab.x for lab in labels]
            ys = [lab.y for lab in labels]
            # Generous bounds: labels extend a few hundred pixels around their anchors.
            mx, my = 300 / max(kx, 1e-12), 40 / max(ky, 1e-12)
            self._bounds = QtCore.QRectF(
                min(xs) - mx, min(ys) - my, max(xs) - min(xs) + 2 * mx, max(ys) - min(ys) + 2 * my
            )
        else:
            self._bounds = QtCore.QRectF()
        self.update()

    def texts(self) -> list[str]:
        return [lab.text for lab in self._labels]

    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def _sprite(self, text: str, bold: bool, dpr: float) -> QtGui.QPixmap:
        """The label drawn once (text path, halo) into a pixmap; reused on every frame."""
        key = (text, bold, dpr)
        pm = self._sprites.get(key)
        if pm is None:
            if len(self._sprites) > 2000:
                self._sprites.clear()
            w, h = self.text_size(text, bold)
            m = self._bold_metrics if bold else self._metrics
            image = QtGui.QImage(
                int((w + 8) * dpr), int((h + 8) * dpr),
                QtGui.QImage.Format.Format_ARGB32_Premultiplied,
            )  # fmt: skip
            image.fill(0)
            p = QtGui.QPainter(image)
            p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
            p.scale(dpr, dpr)
            path = QtGui.QPainterPath()
            path.addText(4, 4 + m.ascent(), self.bold_font if bold else self.font, text)
            p.strokePath(path, self._halo)
            p.fillPath(path, self._ink)
            p.end()
            pm = QtGui.QPixmap.fromImage(image)
            pm.setDevicePixelRatio(dpr)
            self._sprites[key] = pm
        return pm

    def paint(self, p: QtGui.QPainter, *args: object, **kwargs: object) -> None:
        if not self._labels:
            return
        t = p.transform()
        p.resetTransform()
        dpr = p.device().devicePixelRatioF() if p.device() is not None else 1.0
        for lab in self._labels:
            pm = self._sprite(lab.text, lab.bold, dpr)
            anchor = t.map(QtCore.QPointF(lab.x, lab.y))
            w, h = pm.width() / dpr, pm.height() / dpr
            p.drawPixmap(QtCore.QPointF(round(anchor.x() - w / 2), round(anchor.y() - h / 2)), pm)
