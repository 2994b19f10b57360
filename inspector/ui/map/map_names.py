"""The cluster names drawn on the map: which level shows (coarse names when zoomed out, fine
ones zoomed in), where each name sits (its cluster's most central point), and what was drawn.

:class:`MapNames` is :class:`~inspector.ui.map.map_view.MapView`'s collaborator for this: the
view hands it the points and the codes, and asks it to place the names on every render.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from inspector.ui.map.map_legend import ClusterLabelItem, cluster_anchors

FINE_LABEL_ZOOM = 2.0  # zoomed in at least this much over "fit all": fine cluster names

Anchors = tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]  # codes, x, y, names


class MapNames:
    """The names layer (``item``, a :class:`ClusterLabelItem` the view adds to its plot) and
    the codes and names it was given (:attr:`clusters`)."""

    def __init__(self) -> None:
        self.item = ClusterLabelItem()
        self.clusters: tuple = (None, None, None, None)
        self._anchors: dict[str, Anchors] = {}

    def clear(self) -> None:
        self.clusters = (None, None, None, None)
        self._anchors = {}

    def set(
        self,
        xy: np.ndarray,
        coarse_codes: np.ndarray | None,
        coarse_names: dict[int, str] | None,
        fine_codes: np.ndarray | None,
        fine_names: dict[int, str] | None,
    ) -> None:
        """Anchor each named cluster of both levels on its most central point."""
        self._anchors = {}
        for level, codes, names in (
            ("coarse", coarse_codes, coarse_names),
            ("fine", fine_codes, fine_names),
        ):
            if codes is not None:
                self._anchors[level] = cluster_anchors(xy, np.asarray(codes, np.int64), names or {})
        self.clusters = (coarse_codes, coarse_names, fine_codes, fine_names)

    def hide(self) -> None:
        self.item.setVisible(False)

    def place(
        self,
        rect: tuple[float, float, float, float],
        bulk: tuple[float, float, float, float] | None,
        w: float,
        h: float,
    ) -> None:
        """Draw the names of the level the zoom calls for within ``rect`` (data units) on a
        ``w`` x ``h`` px view; ``bulk`` is the box "fit all" frames (None: nothing to draw)."""
        if not self._anchors or bulk is None:
            self.item.setVisible(False)
            return
        x0, y0, x1, y1 = rect
        bx0, by0, bx1, by1 = bulk
        zoom = max((bx1 - bx0) / max(x1 - x0, 1e-12), (by1 - by0) / max(y1 - y0, 1e-12))
        level = "fine" if "fine" in self._anchors and (
            zoom >= FINE_LABEL_ZOOM or "coarse" not in self._anchors
        ) else "coarse"  # fmt: skip
        _codes, ax, ay, texts = self._anchors[level]
        inside = np.flatnonzero((ax >= x0) & (ax <= x1) & (ay >= y0) & (ay <= y1))
        candidates = [(ax[i], ay[i], texts[i]) for i in inside[:400]]
        kx, ky = w / max(x1 - x0, 1e-12), h / max(y1 - y0, 1e-12)
        self.item.place(candidates, (x0, y0, kx, ky), bold=level == "coarse", size=(w, h))
        self.item.setVisible(True)

    def texts(self) -> list[str]:
        """The names drawn right now."""
        return self.item.texts() if self.item.isVisible() else []

    def rects(self, to_viewport) -> list[QtCore.QRectF]:  # type: ignore[no-untyped-def]
        """Where the drawn names lie in viewport pixels; ``to_viewport(x, y)`` maps a data
        point to a viewport ``QPointF``."""
        if not self.item.isVisible():
            return []
        out = []
        for lab in self.item.placed():
            w, h = self.item.text_size(lab.text, lab.bold)
            c = to_viewport(lab.x, lab.y)
            out.append(QtCore.QRectF(c.x() - w / 2, c.y() - h / 2, w, h))
        return out
