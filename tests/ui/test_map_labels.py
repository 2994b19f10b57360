"""Words on the map and beside it: cluster names placed without overlapping each other or the
view's edge at both zoom levels, and the cluster list showing each cluster's representative
samples (a click on one makes it the current row)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from inspector.ui.map.map_view import ClusterListWidget, MapView

Qt = QtCore.Qt


def _grid_clusters(n_side: int = 6, per: int = 40, seed: int = 0):
    """``n_side``² tight clusters on a grid; coarse = quadrant, fine = grid cell."""
    rng = np.random.default_rng(seed)
    cells = [(i, j) for i in range(n_side) for j in range(n_side)]
    fine = np.repeat(np.arange(len(cells)), per)
    centres = np.array(cells, dtype=float) * 10.0
    xy = centres[fine] + rng.normal(0, 0.8, (len(fine), 2))
    half = n_side // 2
    coarse = np.array([(i >= half) * 2 + (j >= half) for i, j in cells])[fine]
    names_fine = {k: f"fine topic number {k} · words" for k in range(len(cells))}
    names_coarse = {k: f"coarse region {k} · long name" for k in range(4)}
    return xy.astype(np.float32), coarse, names_coarse, fine, names_fine


def test_cluster_list_shows_representatives_and_a_click_emits_the_row(qtbot) -> None:
    codes = np.array([0, 0, 0, 0, 1, 1, 1, -1])
    cl = ClusterListWidget()
    qtbot.addWidget(cl)
    cl.resize(400, 300)
    cl.show()
    cl.set_clusters(codes, {0: "cooking", 1: "stars"})
    texts = {r: f"Sample text number {r} " + "word " * 40 for r in range(8)}
    cl.set_details({"coarse": {0: [2, 0, 1, 3], 1: [5]}}, lambda row: texts[row])
    assert cl.samples("coarse", 0) == [2, 0, 1]  # the first three, best first
    assert cl.samples("coarse", 1) == [5]
    item = cl.find("coarse", 0)
    shown = item.child(0).text(0)
    assert shown.startswith("“Sample text number 2") and len(shown) <= cl.SAMPLE_CHARS + 2
    assert "Sample text number 2" in item.toolTip(0)
    # the clusters are rebuilt (a new partial result): the samples come back with them
    cl.set_clusters(codes, {0: "cooking", 1: "stars"})
    assert cl.samples("coarse", 0) == [2, 0, 1]
    item = cl.find("coarse", 0)
    item.setExpanded(True)
    rect = cl.visualItemRect(item.child(1))
    with qtbot.waitSignal(cl.sampleClicked) as blocker:
        qtbot.mouseClick(cl.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [0]
    cl.set_details(None, None)
    assert cl.samples("coarse", 0) == []


@pytest.fixture
def clustered_view(qtbot):
    xy, coarse, names_coarse, fine, names_fine = _grid_clusters()
    mv = MapView()
    qtbot.addWidget(mv)
    mv.resize(700, 500)
    mv.show()
    qtbot.waitExposed(mv)
    mv.set_points(xy)
    mv.set_cluster_labels(coarse, names_coarse, fine, names_fine)
    mv.refresh()
    return mv


def _assert_apart_and_inside(mv: MapView) -> list[QtCore.QRectF]:
    rects = mv.label_rects()
    area = QtCore.QRectF(mv.viewport().rect())
    for r in rects:
        assert area.contains(r), (r, area)
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not a.intersects(b), (a, b)
    return rects


def test_names_do_not_overlap_or_cross_the_edge_at_two_zoom_levels(qtbot, clustered_view):
    mv = clustered_view
    coarse_names = set(mv.cluster_labels()[1].values())
    fine_names = set(mv.cluster_labels()[3].values())
    shown = mv.visible_labels()
    assert shown and set(shown) <= coarse_names  # zoomed out: the coarse names
    _assert_apart_and_inside(mv)
    # Zoomed in onto a corner, where fine clusters sit at the view's very edge.
    x0, y0, x1, y1 = mv.view_rect()
    mv.set_view_rect(x0, y0, x0 + (x1 - x0) / 3, y0 + (y1 - y0) / 3)
    mv.refresh()
    shown = mv.visible_labels()
    assert shown and set(shown) <= fine_names  # zoomed in: the fine names
    _assert_apart_and_inside(mv)
    # Panned so that clusters are cut by the edge: their names stay inside or are left out.
    x0, y0, x1, y1 = mv.view_rect()
    dx = (x1 - x0) * 0.45
    mv.set_view_rect(x0 + dx, y0 + dx, x1 + dx, y1 + dx)
    mv.refresh()
    _assert_apart_and_inside(mv)
