"""What the map says in words: the colour legend / colour bar overlay, the cluster list,
cluster names on the map (placed without overlaps) and the elided hint line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from inspector.ui.map.map_items import BACKGROUND, PALETTE, TEXT, ColourScheme, LegendEntry


class LegendWidget(QtWidgets.QWidget):
    """A small legend (categories) or colour bar (continuous values), in a column beside the
    map (never over its points).

    Hidden while the map is in a single colour, or while turned off (:meth:`set_enabled`).
    """

    MAX_ROWS = 12
    BAR_WIDTH = 170

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self._kind = "uniform"
        self._title = ""
        self._entries: list[LegendEntry] = []
        self._vmin = 0.0
        self._vmax = 1.0
        self._gradient: list[tuple[float, QtGui.QColor]] = []
        font = self.font()
        font.setPointSizeF(8.5)
        self.setFont(font)
        self._title_font = QtGui.QFont(font)
        self._title_font.setBold(True)
        self._cache: QtGui.QPixmap | None = None
        self._enabled = True
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        self.hide()

    def set_enabled(self, enabled: bool) -> None:
        """Show the legend whenever there is one to show (True) or never (False)."""
        self._enabled = bool(enabled)
        self.setVisible(self._enabled and self._kind != "uniform")

    def enabled(self) -> bool:
        return self._enabled

    # -- state ---------------------------------------------------------------------------

    def set_scheme(self, scheme: ColourScheme) -> None:
        self._kind = scheme.kind
        self._title = scheme.title
        self._entries = list(scheme.entries)
        self._vmin, self._vmax = scheme.vmin, scheme.vmax
        if scheme.kind == "continuous":
            stops = np.linspace(1, len(scheme.colours) - 1, 9).astype(int)
            self._gradient = [
                (i / 8, QtGui.QColor(*(int(v) for v in scheme.colours[s])))
                for i, s in enumerate(stops)
            ]
        self._cache = None
        self.setFixedSize(self.sizeHint())
        self.setVisible(self._enabled and scheme.kind != "uniform")
        self.update()

    def kind(self) -> str:
        """ "uniform", "categorical" or "continuous"."""
        return self._kind

    def title(self) -> str:
        return self._title

    def names(self) -> list[str]:
        """Category names in legend order (biggest first), all of them, not just those shown."""
        return [e.name for e in self._entries]

    def value_range(self) -> tuple[float, float]:
        return self._vmin, self._vmax

    # -- drawing -------------------------------------------------------------------------

    def _rows(self) -> tuple[list[LegendEntry], int]:
        if len(self._entries) <= self.MAX_ROWS:
            return self._entries, 0
        shown = self._entries[: self.MAX_ROWS - 1]
        return shown, len(self._entries) - len(shown)

    def sizeHint(self) -> QtCore.QSize:
        fm = QtGui.QFontMetrics(self.font())
        tfm = QtGui.QFontMetrics(self._title_font)
        line = fm.height() + 2
        width = tfm.horizontalAdvance(self._title) + 20
        if self._kind == "continuous":
            return QtCore.QSize(max(width, self.BAR_WIDTH + 20), tfm.height() + 12 + 14 + line)
        rows, more = self._rows()
        for e in rows:
            width = max(width, 20 + fm.horizontalAdvance(self._label(e)) + 14)
        height = tfm.height() + 10 + line * (len(rows) + (1 if more else 0))
        return QtCore.QSize(min(width, 300), height)

    @staticmethod
    def _label(e: LegendEntry) -> str:
        name = e.name if len(e.name) <= 34 else e.name[:33] + "…"
        return f"{name}  {e.count:,}"

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        dpr = self.devicePixelRatioF()
        if self._cache is None or self._cache.size() != self.size() * dpr:
            image = QtGui.QImage(self.size() * dpr, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(dpr)
            image.fill(0)
            p = QtGui.QPainter(image)
            self._paint(p)
            p.end()
            self._cache = QtGui.QPixmap.fromImage(image)
        QtGui.QPainter(self).drawPixmap(0, 0, self._cache)

    def _paint(self, p: QtGui.QPainter) -> None:
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        p.setPen(QtGui.QPen(QtGui.QColor(0, 0, 0, 40), 1))
        p.setBrush(QtGui.QColor(*BACKGROUND, 232))
        p.drawRoundedRect(QtCore.QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        fm = QtGui.QFontMetrics(self.font())
        tfm = QtGui.QFontMetrics(self._title_font)
        p.setPen(QtGui.QColor(*TEXT))
        p.setFont(self._title_font)
        elided = tfm.elidedText(self._title, QtCore.Qt.TextElideMode.ElideRight, self.width() - 16)
        p.drawText(8, 6 + tfm.ascent(), elided)
        y = 8 + tfm.height()
        p.setFont(self.font())
        if self._kind == "continuous":
            bar = QtCore.QRectF(10, y + 2, self.width() - 20, 10)
            grad = QtGui.QLinearGradient(bar.topLeft(), bar.topRight())
            for pos, colour in self._gradient:
                grad.setColorAt(pos, colour)
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setBrush(grad)
            p.drawRoundedRect(bar, 2, 2)
            p.setPen(QtGui.QColor(*TEXT))
            lo, hi = _fmt(self._vmin), _fmt(self._vmax)
            p.drawText(QtCore.QPointF(bar.left(), bar.bottom() + 3 + fm.ascent()), f"≤{lo}")
            text = f"≥{hi}"
            p.drawText(
                QtCore.QPointF(
                    bar.right() - fm.horizontalAdvance(text), bar.bottom() + 3 + fm.ascent()
                ),
                text,
            )
            return
        rows, more = self._rows()
        line = fm.height() + 2
        for e in rows:
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setBrush(QtGui.QColor(*e.rgba))
            p.drawEllipse(QtCore.QPointF(14, y + line / 2), 4.5, 4.5)
            label = fm.elidedText(
                self._label(e), QtCore.Qt.TextElideMode.ElideMiddle, self.width() - 32
            )
            p.setPen(QtGui.QColor(*TEXT))
            p.drawText(24, int(y + (line + fm.ascent() - fm.descent()) / 2), label)
            y += line
        if more:
            p.setPen(QtGui.QColor(110, 110, 110))
            p.drawText(24, int(y + (line + fm.ascent() - fm.descent()) / 2), f"… {more} more")


def _fmt(v: float) -> str:
    if v == 0 or 0.01 <= abs(v) < 100_000:
        return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return f"{v:.2e}"


class ClusterListWidget(QtWidgets.QTreeWidget):
    """Clusters by size: coarse clusters with their fine clusters nested under them.

    A click emits ``clusterClicked(level, code)`` (level "coarse" or "fine"); given a map view
    it also selects and frames that cluster there, and follows the map's cluster names.
    """

    clusterClicked = QtCore.Signal(str, int)
    sampleClicked = QtCore.Signal(int)  # a representative sample's dataset row
    REPRESENTATIVES = 3  # samples shown under each cluster
    SAMPLE_CHARS = 80
    _CODE = QtCore.Qt.ItemDataRole.UserRole
    _LEVEL = QtCore.Qt.ItemDataRole.UserRole + 1

    def __init__(
        self, map_view: QtWidgets.QWidget | None = None, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Cluster", "Size"])
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.itemClicked.connect(self._on_clicked)
        self._icons: dict[int, QtGui.QIcon] = {}
        self._reps: dict[str, dict[int, list[int]]] = {}
        self._preview: Callable[[int], str] | None = None
        self._shown: tuple = (None, None, None, None)  # what set_clusters was given
        self._map = map_view
        if map_view is not None:
            # Bound methods, so Qt drops the connections when either side is deleted.
            map_view.clustersChanged.connect(self._follow_map)
            self.clusterClicked.connect(map_view.select_cluster)
            self._follow_map()

    def _follow_map(self) -> None:
        self.set_clusters(*self._map.cluster_labels())

    def _icon(self, code: int) -> QtGui.QIcon:
        if code not in self._icons:
            pm = QtGui.QPixmap(12, 12)
            pm.fill(QtCore.Qt.GlobalColor.transparent)
            p = QtGui.QPainter(pm)
            p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setBrush(QtGui.QColor(*PALETTE[code % len(PALETTE)]))
            p.drawEllipse(QtCore.QRectF(1, 1, 10, 10))
            p.end()
            self._icons[code] = QtGui.QIcon(pm)
        return self._icons[code]

    def _item(self, level: str, code: int, name: str, size: int) -> QtWidgets.QTreeWidgetItem:
        item = QtWidgets.QTreeWidgetItem([name, f"{size:,}"])
        item.setData(0, self._CODE, code)
        item.setData(0, self._LEVEL, level)
        item.setToolTip(0, name)
        item.setTextAlignment(1, QtCore.Qt.AlignmentFlag.AlignRight)
        return item

    def set_details(
        self,
        representatives: dict[str, dict[int, list[int]]] | None,
        preview: Callable[[int], str] | None,
    ) -> None:
        """Show under each cluster its first :attr:`REPRESENTATIVES` representative rows
        (level -> code -> rows, best first), as the first words of ``preview(row)``."""
        self._reps = dict(representatives or {})
        self._preview = preview
        # Rebuilt rather than edited in place (taking items out of a QTreeWidget from Python
        # can crash PySide); the expanded clusters stay expanded.
        expanded = set()
        it = QtWidgets.QTreeWidgetItemIterator(self)
        while it.value() is not None:
            item = it.value()
            if item.isExpanded():
                expanded.add((item.data(0, self._LEVEL), item.data(0, self._CODE)))
            it += 1
        self.set_clusters(*self._shown)
        for level, code in expanded:
            item = self.find(str(level), int(code))
            if item is not None:
                item.setExpanded(True)

    def _add_samples(self) -> None:
        it = QtWidgets.QTreeWidgetItemIterator(self)
        clusters = []
        while it.value() is not None:
            item = it.value()
            if item.data(0, self._LEVEL) in ("coarse", "fine"):
                clusters.append(item)
            it += 1
        for item in clusters:
            level, code = str(item.data(0, self._LEVEL)), int(item.data(0, self._CODE))
            rows = self._reps.get(level, {}).get(code, [])[: self.REPRESENTATIVES]
            name = item.text(0)
            if not rows or self._preview is None:
                item.setToolTip(0, name)
                continue
            texts = [self._preview(int(row)) for row in rows]
            for i, (row, text) in enumerate(zip(rows, texts)):
                item.insertChild(i, self._sample_item(int(row), text))
            tip = "\n".join(f"• {t[: self.SAMPLE_CHARS * 2]}" for t in texts)
            item.setToolTip(0, f"{name}\n\nFor example:\n{tip}")

    def _sample_item(self, row: int, text: str) -> QtWidgets.QTreeWidgetItem:
        short = " ".join(text.split())
        if len(short) > self.SAMPLE_CHARS:
            short = short[: self.SAMPLE_CHARS - 1] + "…"
        item = QtWidgets.QTreeWidgetItem([f"“{short}”", ""])
        item.setData(0, self._CODE, row)
        item.setData(0, self._LEVEL, "sample")
        item.setToolTip(0, text)
        font = item.font(0)
        font.setItalic(True)
        item.setFont(0, font)
        item.setForeground(0, QtGui.QBrush(QtGui.QColor(90, 90, 90)))
        return item

    def samples(self, level: str, code: int) -> list[int]:
        """The rows shown as a cluster's representative samples."""
        item = self.find(level, code)
        if item is None:
            return []
        kids = (item.child(i) for i in range(item.childCount()))
        return [int(k.data(0, self._CODE)) for k in kids if k.data(0, self._LEVEL) == "sample"]

    def set_clusters(
        self,
        coarse_codes: np.ndarray | None,
        coarse_names: dict[int, str] | None,
        fine_codes: np.ndarray | None = None,
        fine_names: dict[int, str] | None = None,
    ) -> None:
        """Fill the list. Noise (-1) is left out; fine clusters nest under the coarse cluster
        most of their rows belong to."""
        self.clear()
        self._shown = (coarse_codes, coarse_names, fine_codes, fine_names)
        if coarse_codes is None:
            if fine_codes is not None:  # one level only: list it flat
                self._add_level("fine", np.asarray(fine_codes, dtype=np.int64), fine_names)
                self._add_samples()
            return
        coarse = np.asarray(coarse_codes, dtype=np.int64)
        tops = self._add_level("coarse", coarse, coarse_names)
        if fine_codes is None:
            self._add_samples()
            return
        fine = np.asarray(fine_codes, dtype=np.int64)
        both = (fine >= 0) & (coarse >= 0)
        width = int(coarse.max()) + 1 if coarse.size else 1
        pairs, pair_counts = np.unique(fine[both] * width + coarse[both], return_counts=True)
        fine_of, coarse_of = pairs // width, pairs % width
        # For each fine cluster, the coarse cluster holding most of its rows.
        order = np.lexsort((-pair_counts, fine_of))
        first = np.r_[True, fine_of[order][1:] != fine_of[order][:-1]]
        parent = dict(zip(fine_of[order][first].tolist(), coarse_of[order][first].tolist()))
        f_codes, f_sizes = np.unique(fine[fine >= 0], return_counts=True)
        for i in np.argsort(-f_sizes, kind="stable"):
            code = int(f_codes[i])
            item = self._item(
                "fine", code, (fine_names or {}).get(code, str(code)), int(f_sizes[i])
            )
            top = tops.get(parent.get(code, -1))
            if top is not None:
                top.addChild(item)
            else:
                self.addTopLevelItem(item)
        self._add_samples()

    def _add_level(
        self, level: str, codes: np.ndarray, names: dict[int, str] | None
    ) -> dict[int, QtWidgets.QTreeWidgetItem]:
        items: dict[int, QtWidgets.QTreeWidgetItem] = {}
        present, sizes = np.unique(codes[codes >= 0], return_counts=True)
        for i in np.argsort(-sizes, kind="stable"):
            code = int(present[i])
            item = self._item(level, code, (names or {}).get(code, str(code)), int(sizes[i]))
            item.setIcon(0, self._icon(code))
            items[code] = item
        self.addTopLevelItems(list(items.values()))
        return items

    def _on_clicked(self, item: QtWidgets.QTreeWidgetItem, column: int) -> None:
        if item.data(0, self._LEVEL) == "sample":
            self.sampleClicked.emit(int(item.data(0, self._CODE)))
            return
        self.clusterClicked.emit(str(item.data(0, self._LEVEL)), int(item.data(0, self._CODE)))

    def find(self, level: str, code: int) -> QtWidgets.QTreeWidgetItem | None:
        """The item for a cluster (used by tests and by the window to reveal a cluster)."""
        it = QtWidgets.QTreeWidgetItemIterator(self)
        while it.value() is not None:
            item = it.value()
            if item.data(0, self._LEVEL) == level and item.data(0, self._CODE) == code:
                return item
            it += 1
        return None


@dataclass
class PlacedLabel:
    x: float
    y: float
    text: str
    bold: bool


EDGE_PX = 4.0  # a cluster name keeps this far from the view's edge


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
        size: tuple[float, float] | None = None,
    ) -> None:
        """Greedy placement: ``candidates`` (x, y, text) come biggest cluster first; a label
        that would overlap one already placed is left out. ``to_pixels`` = (x0, y0, px/unit x,
        px/unit y) maps view coordinates to screen pixels for the overlap test. ``size`` (w, h
        in pixels, the view's): a name near the edge is moved inwards to lie wholly inside,
        and one that cannot is left out."""
        x0, y0, kx, ky = to_pixels
        placed: list[tuple[float, float, float, float]] = []
        labels: list[PlacedLabel] = []
        pad = 3.0
        for x, y, text in candidates:
            text = self.elide(text)
            w, h = self.text_size(text, bold)
            px, py = (x - x0) * kx, (y - y0) * ky
            if size is not None:
                vw, vh = size
                if w + 2 * EDGE_PX > vw or h + 2 * EDGE_PX > vh:
                    continue
                # Shifted inwards so the whole name (and its halo) is in view.
                px = min(max(px, w / 2 + EDGE_PX), vw - w / 2 - EDGE_PX)
                py = min(max(py, h / 2 + EDGE_PX), vh - h / 2 - EDGE_PX)
            r = (px - w / 2 - pad, py - h / 2 - pad, px + w / 2 + pad, py + h / 2 + pad)
            if any(r[0] < q[2] and q[0] < r[2] and r[1] < q[3] and q[1] < r[3] for q in placed):
                continue
            placed.append(r)
            labels.append(PlacedLabel(x0 + px / kx, y0 + py / ky, text, bold))
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

    def placed(self) -> list[PlacedLabel]:
        """The names drawn, at their (possibly moved) anchors in view coordinates."""
        return list(self._labels)

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


class ElidedLabel(QtWidgets.QLabel):
    """A one-line label that ends in "…" when narrower than its text (full text as tooltip)."""

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        p = QtGui.QPainter(self)
        p.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
        text = self.fontMetrics().elidedText(
            self.text(), QtCore.Qt.TextElideMode.ElideRight, self.width()
        )
        p.drawText(self.rect(), int(self.alignment()), text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)


def cluster_anchors(
    xy: np.ndarray, codes: np.ndarray, names: dict[int, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Where to write each cluster's name: (codes, x, y, names), biggest cluster first.

    The anchor is the cluster's point nearest its mean, so a bent cluster still gets its name
    on itself; -1 (noise) and rows without coordinates are left out."""
    ok = (codes >= 0) & np.isfinite(xy).all(axis=1)
    rows = np.flatnonzero(ok)
    c = codes[rows]
    if c.size == 0:
        return np.empty(0, np.int64), np.empty(0), np.empty(0), []
    size = np.bincount(c)
    mx = np.bincount(c, xy[rows, 0]) / np.maximum(size, 1)
    my = np.bincount(c, xy[rows, 1]) / np.maximum(size, 1)
    d = (xy[rows, 0] - mx[c]) ** 2 + (xy[rows, 1] - my[c]) ** 2
    # Per cluster, the point nearest its mean: group by cluster (a radix sort for small
    # codes), take each group's minimum, keep the first row that reaches it.
    small = c.astype(np.int16) if c.max() < 2**15 else c
    order = np.argsort(small, kind="stable")
    present = np.flatnonzero(size)
    starts = np.r_[0, np.cumsum(size[present])[:-1]]
    d_sorted = d[order]
    least = np.minimum.reduceat(d_sorted, starts)
    hits = np.flatnonzero(d_sorted == np.repeat(least, size[present]))
    group = np.searchsorted(starts, hits, side="right") - 1
    first = np.r_[True, group[1:] != group[:-1]]
    best = rows[order[hits[first]]]
    by_size = np.argsort(-size[present], kind="stable")
    present, best = present[by_size], best[by_size]
    texts = [names.get(int(k), str(int(k))) for k in present]
    return present, xy[best, 0].astype(float), xy[best, 1].astype(float), texts
