"""The map: every sample as a point of a 2-D layout, smooth at a million points.

Level of detail (re-decided on every view change, coalesced into one render per event-loop
turn): when more than ``POINTS_LIMIT`` points are in view they are binned into a density image
at screen resolution; when fewer, each is drawn as a sprite. Selected and searched points form
a second layer over a dimmed first one, so the rest stays visible as context.

Mouse, keys and the selection tools are in :mod:`inspector.ui.map.map_input`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from inspector.ui.map.map_framing import MapFraming, bulk_bounds
from inspector.ui.map.map_input import HOVER_PX, MapInput, MapViewBox, lasso_item
from inspector.ui.map.map_items import (
    BACKGROUND,
    POINTS_LIMIT,
    STYLE_CURRENT,
    STYLE_HIGHLIGHT,
    STYLE_HOVER,
    STYLE_NORMAL,
    STYLE_SELECTED,
    ColourScheme,
    PointLayer,
    SpriteAtlas,
    SpriteScatterItem,
    dimmed,
    premultiplied_lut,
    with_faded,
)
from inspector.ui.map.map_legend import (
    ClusterListWidget,
    ElidedLabel,
    LegendWidget,
)
from inspector.ui.map.map_names import MapNames

__all__ = ["MapView", "ClusterListWidget", "LegendWidget"]

# Over a density image, selected or found points stay sprites only while they are few:
# thousands of outlined sprites merge into a dark blob.
EMPHASIS_SPRITES_OVER_DENSITY = 2_000
REFINE_MS = 120  # a density image drawn at another zoom is redrawn once the view rests


class MapView(MapFraming, QtWidgets.QWidget):
    """A zoomable map of points with hover previews, selection, colour-by and cluster names.

    Signals carry original row numbers (positions in the ``xy`` given to :meth:`set_points`):
    ``selectionChanged(rows: np.ndarray)`` and ``currentChanged(row)`` fire on user actions
    (and ``emit=True`` calls), ``hoveredChanged(row)`` (-1 when none) as the cursor moves.
    Setters called by the owner do not echo signals back unless asked to.
    """

    selectionChanged = QtCore.Signal(object)
    currentChanged = QtCore.Signal(int)
    hoveredChanged = QtCore.Signal(int)
    clustersChanged = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, handle_keys: bool = True):
        super().__init__(parent)
        self._handle_keys = handle_keys
        self._xy = np.empty((0, 2), np.float32)
        self._ids: Sequence[str] | None = None
        self._preview: Callable[[int], str] | None = None
        self._scheme = ColourScheme.uniform(0)
        self._row_index = self._scheme.index  # each row's colour as drawn (row_colours)
        self._luts: dict[str, np.ndarray] = {}
        self._base = PointLayer(STYLE_NORMAL)
        self._selected = PointLayer(STYLE_SELECTED)
        self._found = PointLayer(STYLE_HIGHLIGHT)
        self._layers = (self._base, self._selected, self._found)
        self._selection = np.empty(0, np.int64)
        self._highlight = np.empty(0, np.int64)
        self._current = -1
        self._hovered = -1
        self._mode = "empty"
        self.renders = 0  # view changes handled so far
        # Per layer: images binned, sprite sets refilled, frames reused as they were.
        self.render_counts = {"density": 0, "points": 0, "reused": 0}
        self._low_confidence: np.ndarray | None = None
        self._bulk: tuple[float, float, float, float] | None = None  # what "fit all" frames

        self._view = pg.GraphicsView(background=BACKGROUND)
        self._view.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.input = MapInput(self)  # tools, hover, click, lasso, keys
        self._vb = MapViewBox(self.input)
        self._view.setCentralItem(self._vb)
        self._vb.disableAutoRange()
        self._marks = SpriteScatterItem()
        self.names = MapNames()  # the cluster names layer
        self._labels = self.names.item
        self._lasso_item = lasso_item()
        items = [item for layer in self._layers for item in (layer.density, layer.points)]
        for z, item in enumerate((*items, self._marks, self._labels, self._lasso_item)):
            item.setZValue(z)
            self._vb.addItem(item, ignoreBounds=True)
            item.setVisible(False)
        self._sprite_items = (*(layer.points for layer in self._layers), self._marks)
        self._atlas = SpriteAtlas(self._scheme.colours, self._dpr())
        for item in self._sprite_items:
            item.set_atlas(self._atlas)

        # The legend has its own column at the map's right: it never covers points.
        self._legend = LegendWidget()
        self._legend.setObjectName("map_legend")
        self._legend_column = QtWidgets.QWidget()
        self._legend_column.setObjectName("map_legend_column")
        column = QtWidgets.QVBoxLayout(self._legend_column)
        column.setContentsMargins(4, 8, 6, 8)
        column.addWidget(self._legend)
        column.addStretch(1)
        self._legend_column.setStyleSheet(
            "#map_legend_column { background: rgb(" + ", ".join(map(str, BACKGROUND)) + "); }"
        )
        self._legend_column.setVisible(False)
        self._legend.installEventFilter(self)  # the column shows and hides with it
        self._hint = ElidedLabel()
        self._count = QtWidgets.QLabel()
        for label in (self._hint, self._count):
            label.setStyleSheet("color: #666; font-size: 8.5pt;")
        self._hint.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred
        )
        bar = QtWidgets.QHBoxLayout()
        bar.setContentsMargins(4, 2, 6, 2)
        bar.setSpacing(2)
        self.input._add_tool_buttons(bar)
        bar.addSpacing(8)
        bar.addWidget(self._hint, 1)
        bar.addSpacing(12)
        bar.addWidget(self._count)
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self._view, 1)
        row.addWidget(self._legend_column)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(row, 1)
        layout.addLayout(bar)
        self.setFocusProxy(self._view)
        self.set_tool("pan")

        self._render_timer = QtCore.QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(0)  # coalesce a burst of view changes into one render
        self._render_timer.timeout.connect(self.refresh)
        self._refine_timer = QtCore.QTimer(self)
        self._refine_timer.setSingleShot(True)
        self._refine_timer.setInterval(REFINE_MS)
        self._refine_timer.timeout.connect(self._view_at_rest)
        self._vb.sigRangeChanged.connect(self._schedule_render)
        self._vb.sigResized.connect(self._schedule_render)
        self._view.installEventFilter(self)
        self._update_count()

    # -- data ------------------------------------------------------------------------------

    def set_points(self, xy: np.ndarray, ids: Sequence[str] | None = None) -> None:
        """Show ``xy`` ((n, 2) floats). Resets colour, selection, highlight, names and view."""
        xy = np.asarray(xy, dtype=np.float32)
        if xy.ndim != 2 or xy.shape[1] != 2:
            raise ValueError(f"set_points expects an (n, 2) array of x, y; got shape {xy.shape}")
        if ids is not None and len(ids) != len(xy):
            raise ValueError(f"set_points got {len(ids)} ids for {len(xy)} points")
        self._xy = np.ascontiguousarray(xy)
        self._bulk = bulk_bounds(self._xy)
        self._ids = ids
        n = len(xy)
        self._selection = np.empty(0, np.int64)
        self._highlight = np.empty(0, np.int64)
        self._current = self._hovered = -1
        self._scheme = ColourScheme.uniform(n)
        self._base.set_rows(np.arange(n), self._xy, self._scheme.index)
        self._selected.set_rows(self._selection, self._xy, self._scheme.index)
        self._found.set_rows(self._highlight, self._xy, self._scheme.index)
        self.names.clear()
        self._low_confidence = None
        self._apply_scheme()
        self._update_count()
        self.clustersChanged.emit()
        self.fit_all()
        self._schedule_render()

    def point_count(self) -> int:
        return len(self._xy)

    def set_preview_provider(self, provider: Callable[[int], str] | None) -> None:
        """``provider(row) -> text`` for the hover preview (plain text; kept short by us)."""
        self._preview = provider

    # -- colour ----------------------------------------------------------------------------

    def set_color_categorical(self, codes: np.ndarray, names: dict[int, str], title: str) -> None:
        """Colour by category: ``codes`` per row (-1 = none, grey), ``names`` for the legend."""
        self._check_length(codes, "set_color_categorical codes")
        self._scheme = ColourScheme.categorical(codes, names, title)
        self._apply_scheme()

    def set_color_continuous(
        self,
        values: np.ndarray,
        title: str,
        vmin: float | None = None,
        vmax: float | None = None,
        *,
        log: bool = False,
    ) -> None:
        """Colour by a number per row (NaN = grey) with a colour bar; the range defaults to the
        1st–99th percentile. ``log``: a log scale, labelled in the values' own units."""
        self._check_length(values, "set_color_continuous values")
        self._scheme = ColourScheme.continuous(values, title, vmin, vmax, log=log)
        self._apply_scheme()

    def set_color_uniform(self) -> None:
        self._scheme = ColourScheme.uniform(len(self._xy))
        self._apply_scheme()

    def set_low_confidence(self, rows_mask: np.ndarray | None) -> None:
        """Mark rows that are weak members of their cluster (reassigned from noise): they are
        drawn fainter. None or a mask of another length: no marks."""
        mask = None
        if rows_mask is not None and len(rows_mask) == len(self._xy):
            mask = np.asarray(rows_mask, dtype=bool)
        self._low_confidence = mask
        self._apply_scheme()

    def low_confidence(self) -> np.ndarray | None:
        return None if self._low_confidence is None else self._low_confidence.copy()

    def legend(self) -> LegendWidget:
        return self._legend

    def _check_length(self, values: np.ndarray, what: str) -> None:
        if len(values) != len(self._xy):
            raise ValueError(f"{what}: got {len(values)} values for {len(self._xy)} points")

    def row_colours(self) -> tuple[np.ndarray, np.ndarray]:
        """The colour table and each row's index into it, as drawn: the colour scheme with the
        rows to fade (weak cluster members) pointed at faded copies. The one place a per-row
        colour is decided: a later per-row dimming belongs here."""
        return with_faded(self._scheme.colours, self._scheme.index, self._low_confidence)

    def _apply_scheme(self) -> None:
        colours, index = self.row_colours()
        self._row_index = index
        self._luts = {
            "normal": premultiplied_lut(colours, floor=120),
            "dim": premultiplied_lut(dimmed(colours), floor=90, gain=0.9),
            "emphasis": premultiplied_lut(colours, floor=150),
        }
        self._atlas = SpriteAtlas(colours, self._dpr())
        for item in self._sprite_items:
            item.set_atlas(self._atlas)
        for layer in self._layers:
            layer.recolour(index)
        self._legend.set_scheme(self._scheme)
        self._schedule_render()

    # -- selection, highlight, current -----------------------------------------------------

    def selection(self) -> np.ndarray:
        return self._selection.copy()

    def set_selection(self, rows: Sequence[int] | np.ndarray, *, emit: bool = False) -> None:
        """Select ``rows`` (replacing the selection)."""
        rows = self._clean_rows(rows)
        if np.array_equal(rows, self._selection):
            return
        self._selection = rows
        self._selected.set_rows(rows, self._xy, self._row_index)
        self._emphasis_changed()
        if emit:
            self.selectionChanged.emit(self._selection.copy())

    def highlight(self) -> np.ndarray:
        return self._highlight.copy()

    def set_highlight(self, rows: Sequence[int] | np.ndarray) -> None:
        """Light up ``rows`` (search hits) with an orange rim; the rest is dimmed."""
        self._highlight = self._clean_rows(rows)
        self._found.set_rows(self._highlight, self._xy, self._row_index)
        self._emphasis_changed()

    def set_dim_mask(self, mask: np.ndarray | None) -> None:
        """Grey out the rows where ``mask`` (a bool per row) is False: the rows the filters
        leave out. None, or all True: none. :meth:`set_points` drops it."""
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != (len(self._xy),):
                raise ValueError(f"set_dim_mask: {mask.shape} values for {len(self._xy)} points")
        self._base.set_match(None if mask is None or mask.all() else mask)
        self._schedule_render()

    def dim_mask(self) -> np.ndarray | None:
        """The rows drawn in colour (a bool per row); None when none is greyed out."""
        if self._base.match is None:
            return None
        mask = np.ones(len(self._xy), dtype=bool)
        mask[self._base.rows] = self._base.match
        return mask

    def current(self) -> int:
        return self._current

    def set_current(self, row: int, *, reveal: bool = False, emit: bool = False) -> None:
        """Ring ``row`` (-1: none). ``reveal`` pans to it when it is out of view; the zoom
        stays as it is."""
        row = int(row) if 0 <= int(row) < len(self._xy) else -1
        changed = row != self._current
        self._current = row
        if reveal and row >= 0:
            self._pan_to(row)
        self._update_marks()
        if changed and emit:
            self.currentChanged.emit(row)

    def _pan_to(self, row: int) -> None:
        """Centre ``row`` when it is out of view (or at the very edge), keeping the zoom."""
        x, y = (float(v) for v in self._xy[row])
        r = self._vb.viewRect()
        if not np.isfinite([x, y]).all() or r.width() <= 0 or r.height() <= 0:
            return
        inner = r.adjusted(
            r.width() * 0.04, r.height() * 0.04, -r.width() * 0.04, -r.height() * 0.04
        )
        if inner.contains(QtCore.QPointF(x, y)):
            return
        w, h = r.width(), r.height()
        # The same width and height, moved: a pan never zooms (setRange without padding on a
        # rectangle of the view's own aspect keeps its size).
        self._vb.setRange(QtCore.QRectF(x - w / 2, y - h / 2, w, h), padding=0)

    def _clean_rows(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        rows = np.unique(np.asarray(rows, dtype=np.int64).ravel())
        return rows[(rows >= 0) & (rows < len(self._xy))]

    def _emphasis_changed(self) -> None:
        self._update_count()
        self._schedule_render()

    # -- clusters --------------------------------------------------------------------------

    def set_cluster_labels(
        self,
        coarse_codes: np.ndarray | None,
        coarse_names: dict[int, str] | None,
        fine_codes: np.ndarray | None = None,
        fine_names: dict[int, str] | None = None,
    ) -> None:
        """Name clusters on the map: coarse names when zoomed out, fine ones zoomed in. Each
        name sits on its cluster's most central point; -1 (noise) has no name."""
        for level, codes in (("coarse", coarse_codes), ("fine", fine_codes)):
            if codes is not None:
                self._check_length(codes, f"set_cluster_labels {level}_codes")
        self.names.set(self._xy, coarse_codes, coarse_names, fine_codes, fine_names)
        self.clustersChanged.emit()
        self._schedule_render()

    def cluster_labels(self) -> tuple:
        """(coarse_codes, coarse_names, fine_codes, fine_names) as last set."""
        return self.names.clusters

    def select_cluster(self, level: str, code: int) -> None:
        """Select every row of a cluster ("coarse" or "fine"), emit, and frame it."""
        codes = self.names.clusters[0 if level == "coarse" else 2]
        if codes is None:
            return
        self.set_selection(np.flatnonzero(np.asarray(codes) == code), emit=True)
        self.frame_selection()

    def visible_labels(self) -> list[str]:
        """The cluster names drawn right now."""
        return self.names.texts()

    def label_rects(self) -> list[QtCore.QRectF]:
        """Where the drawn cluster names lie, in :meth:`viewport` pixels (their text)."""

        def to_viewport(x: float, y: float) -> QtCore.QPointF:
            scene = self._vb.mapViewToScene(QtCore.QPointF(x, y))
            return QtCore.QPointF(self._view.mapFromScene(scene))

        return self.names.rects(to_viewport)

    # -- view --------------------------------------------------------------------------------

    # -- input (the work is :class:`MapInput`'s) -------------------------------------------------
    def set_tool(self, tool: str) -> None:
        """ "pan", "lasso" or "rect": what a plain left drag does."""
        self.input.set_tool(tool)

    def tool(self) -> str:
        return self.input.tool()

    def select_rect(
        self, rect: tuple[float, float, float, float], op: str = "replace", *, emit: bool = True
    ) -> np.ndarray:
        """Select the points inside ``rect`` = (x0, y0, x1, y1) in data units; op is
        "replace", "add" or "subtract". Returns the new selection."""
        return self.input.select_rect(rect, op, emit=emit)

    def select_polygon(
        self, polygon: np.ndarray, op: str = "replace", *, emit: bool = True
    ) -> np.ndarray:
        """Select the points inside ``polygon`` ((m, 2) data coordinates)."""
        return self.input.select_polygon(polygon, op, emit=emit)

    def row_at(self, x: float, y: float, max_px: float = HOVER_PX) -> int:
        """The row drawn under data point (x, y), within ``max_px`` screen pixels, or -1."""
        return self.input.row_at(x, y, max_px)

    def preview_html(self, row: int) -> str:
        return self.input.preview_html(row)

    def key_actions(self) -> dict[int, Callable[[], None]]:
        """The map's default keys (Qt key code → method); letters stay free for labelling."""
        return self.input.key_actions()

    def render_mode(self) -> str:
        """How the last frame drew the points: "density", "points" or "empty"."""
        return self._mode

    # -- rendering ---------------------------------------------------------------------------

    def _dpr(self) -> float:
        return float(self.devicePixelRatioF()) if hasattr(self, "_view") else 1.0

    def _schedule_render(self, *args: object) -> None:
        if not self._render_timer.isActive():
            self._render_timer.start()

    def refresh(self, *, exact: bool = False) -> None:
        """Bring the map up to date with the current view now (normally done on view changes).

        A layer's last frame is reused when the view still lies inside what it covered and, for
        a density image, the zoom is within ``RESCALE_TOLERANCE`` of it; ``exact`` redraws
        density images at exactly the current scale (done when the view comes to rest).
        """
        self._render_timer.stop()
        self._refine_timer.stop()
        self.renders += 1
        if self._base.index is None:
            for layer in self._layers:
                layer.hide()
            self._mode = "empty"
            self._update_marks()
            self._labels.setVisible(False)
            return
        r = self._vb.viewRect()
        view = (r.left(), r.top(), r.right(), r.bottom())
        dpr = self._dpr()
        size = self._vb.size()
        w, h = max(1.0, size.width() * dpr), max(1.0, size.height() * dpr)
        k = (w / max(r.width(), 1e-30), h / max(r.height(), 1e-30))  # device px per data unit
        dim = self._selected.index is not None or self._found.index is not None
        lut = self._luts["dim" if dim else "normal"]
        self._mode, work = self._base.draw(view, k, POINTS_LIMIT, lut, exact=exact, dim=dim)
        self.render_counts[work] += 1
        limit = POINTS_LIMIT if self._mode == "points" else EMPHASIS_SPRITES_OVER_DENSITY
        for layer in (self._selected, self._found):
            if layer.index is None:
                layer.hide()
            else:
                layer.draw(view, k, limit, self._luts["emphasis"], exact=exact)
        if not exact:
            for layer in self._layers:
                layer.density.set_smooth(False)  # faster while moving; smoothed at rest
            self._refine_timer.start()
        self._update_marks()
        self._place_labels(view, w / dpr, h / dpr)

    def _view_at_rest(self) -> None:
        self.refresh(exact=True)
        for layer in self._layers:
            layer.density.set_smooth(True)

    def _update_marks(self) -> None:
        rows = [r for r in (self._current, self._hovered) if r >= 0]
        xy = self._xy[rows] if rows else np.empty((0, 2), np.float32)
        keep = np.isfinite(xy).all(axis=1)
        if not keep.any():
            self._marks.clear()
            return
        styles, xs, ys, colours = [], [], [], []
        if self._current >= 0 and keep[0]:
            x, y = self._xy[self._current]
            colour = int(self._row_index[self._current])
            styles += [STYLE_SELECTED, STYLE_CURRENT]
            xs += [x, x]
            ys += [y, y]
            colours += [colour, 0]
        if self._hovered >= 0 and self._hovered != self._current:
            x, y = self._xy[self._hovered]
            styles.append(STYLE_HOVER)
            xs.append(x)
            ys.append(y)
            colours.append(0)
        pw, ph = self._vb.viewPixelSize()
        self._marks.set_points(
            np.array(xs), np.array(ys), np.array(styles), np.array(colours),
            (SpriteAtlas.CELL * pw, SpriteAtlas.CELL * ph),
        )  # fmt: skip

    def _place_labels(self, rect: tuple[float, float, float, float], w: float, h: float) -> None:
        bulk = None if self._base.index is None else (self._bulk or self._base.index.bounds)
        self.names.place(rect, bulk, w, h)

    def eventFilter(self, obj: QtCore.QObject, ev: QtCore.QEvent) -> bool:
        if obj is self._legend and ev.type() in (
            QtCore.QEvent.Type.ShowToParent,
            QtCore.QEvent.Type.HideToParent,
        ):
            self._legend_column.setVisible(not self._legend.isHidden())
        if (
            obj is self._view
            and ev.type() == QtCore.QEvent.Type.KeyPress
            and self.input._key_pressed(ev)
        ):
            return True
        return super().eventFilter(obj, ev)

    def plot_rect(self) -> QtCore.QRect:
        """Where the points are drawn, in this widget's coordinates."""
        return QtCore.QRect(self._view.mapTo(self, QtCore.QPoint(0, 0)), self._view.size())

    def _update_count(self) -> None:
        n, s, hl = len(self._xy), self._selection.size, self._highlight.size
        parts = [f"{n:,} points"]
        if s:
            parts.append(f"{s:,} selected")
        if hl:
            parts.append(f"{hl:,} found")
        self._count.setText(" · ".join(parts))
