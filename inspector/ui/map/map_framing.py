"""The map's framing: zoom, "fit all" on the bulk of the points, framing the selection, the
view rectangle, and the conversions between data and viewport pixels. Mixed into
:class:`~inspector.ui.map.map_view.MapView`, which holds the view box (``_vb``), the graphics
view (``_view``), the points (``_xy``, ``_base``, ``_bulk``) and the selection."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtWidgets

FIT_PERCENTILES = (0.5, 99.5)  # "fit all" frames the bulk: outliers stay a pan or zoom away
FIT_MARGIN = 0.06  # of the framed extent, each side (room for names at the edge)


def bulk_bounds(xy: np.ndarray) -> tuple[float, float, float, float] | None:
    """The box holding the bulk of the points: the 0.5-99.5 percentile of x and of y (every
    point when there are fewer than 200); None without finite points."""
    ok = np.isfinite(xy).all(axis=1)
    if not ok.any():
        return None
    pts = xy[ok].astype(np.float64)
    if len(pts) >= 200:
        lo, hi = np.percentile(pts, FIT_PERCENTILES, axis=0)
    else:
        lo, hi = pts.min(axis=0), pts.max(axis=0)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


class MapFraming:
    """View geometry of the map (see the module's docstring)."""

    def zoom_in(self) -> None:
        self._vb.scaleBy((1 / 1.6, 1 / 1.6))

    def zoom_out(self) -> None:
        self._vb.scaleBy((1.6, 1.6))

    def fit_all(self) -> None:
        """Frame the bulk of the points (their 0.5-99.5 percentile box, with a margin): a few
        far outliers do not shrink the rest to a dot; they stay a pan or a zoom out away."""
        if self._base.index is None or self._bulk is None:
            return
        x0, y0, x1, y1 = self._bulk
        span = max(x1 - x0, y1 - y0, 1e-9)
        dx = max((x1 - x0) * FIT_MARGIN, span * 0.02)
        dy = max((y1 - y0) * FIT_MARGIN, span * 0.02)
        self.set_view_rect(x0 - dx, y0 - dy, x1 + dx, y1 + dy)

    def bulk_rect(self) -> tuple[float, float, float, float] | None:
        """The box "fit all" frames (before its margin)."""
        return self._bulk

    def frame_selection(self) -> None:
        """Fit the view to the selection (or to the current row when nothing is selected)."""
        rows = self._selection if self._selection.size else np.array([self._current])
        rows = rows[rows >= 0]
        xy = self._xy[rows]
        xy = xy[np.isfinite(xy).all(axis=1)]
        if xy.size == 0 or self._base.index is None:
            return
        x0, y0, x1, y1 = self._bulk or self._base.index.bounds
        least = 0.02 * max(x1 - x0, y1 - y0)  # one point still gets some context around it
        (ax, ay), (bx, by) = xy.min(axis=0), xy.max(axis=0)
        cx, cy = (ax + bx) / 2, (ay + by) / 2
        w, h = max(bx - ax, least), max(by - ay, least)
        self._vb.setRange(QtCore.QRectF(cx - w / 2, cy - h / 2, w, h), padding=0.08)

    def set_view_rect(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """Show this data rectangle (the aspect lock may widen one side)."""
        self._vb.setRange(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0), padding=0)

    def view_rect(self) -> tuple[float, float, float, float]:
        r = self._vb.viewRect()
        return r.left(), r.top(), r.right(), r.bottom()

    # -- test hooks --------------------------------------------------------------------------

    def viewport(self) -> QtWidgets.QWidget:
        """The widget that receives mouse events (send test clicks and drags here)."""
        return self._view.viewport()

    def data_to_viewport(self, x: float, y: float) -> QtCore.QPoint:
        """Data coordinates → pixel position in :meth:`viewport`."""
        scene = self._vb.mapViewToScene(QtCore.QPointF(float(x), float(y)))
        return self._view.mapFromScene(scene)

    def viewport_to_data(self, pos: QtCore.QPoint) -> tuple[float, float]:
        p = self._vb.mapSceneToView(self._view.mapToScene(pos))
        return p.x(), p.y()
