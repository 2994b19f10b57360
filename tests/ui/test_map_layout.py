"""The map first: on a first start at 1600x1000 the map is the biggest view and stays so when
the Review dock comes forward; the layout is remembered, and View ▸ Reset Layout brings the
default back; layouts saved by older versions are not restored. The legend sits beside the
points, "Fit all" frames the bulk, and following the current row pans without zooming."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, QSettings
from PySide6.QtWidgets import QApplication

from inspector.ui.map.map_view import MapView


def _full_window(qtbot, size=(1600, 1000)):
    from inspector.ui.shell.app import build_window

    window = build_window()
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    QApplication.processEvents()
    return window


def _area(widget) -> int:
    return widget.width() * widget.height() if widget.isVisible() else 0


def _map_is_first(window) -> None:
    docks = window.docks
    map_dock = docks["dock_map"]
    others = [d for n, d in docks.items() if n != "dock_map"]
    assert _area(map_dock) > max(_area(d) for d in others)
    for part in (window.table, window.sample_view, window.centralWidget()):
        assert _area(map_dock) > _area(part)
    assert map_dock.height() >= window.height() * 0.5
    assert map_dock.width() >= window.width() * 0.5


def test_first_start_puts_the_map_first_and_review_does_not_shrink_it(qtbot, tmp_path):
    QSettings().clear()
    window = _full_window(qtbot)
    _map_is_first(window)
    # Review comes forward (a session starts): the map keeps its place.
    review = window.docks["dock_review"]
    review.show()
    review.raise_()
    QApplication.processEvents()
    assert not review.visibleRegion().isEmpty()
    _map_is_first(window)
    window.close()


def test_layout_is_remembered_and_reset_restores_the_default(qtbot, tmp_path):
    QSettings().clear()
    window = _full_window(qtbot)
    default = window.docks["dock_map"].size()
    window.docks["dock_map"].setFloating(True)
    window.docks["dock_clusters"].hide()
    window.close()
    assert QSettings().value("window/state") is not None
    again = _full_window(qtbot)
    assert again.docks["dock_map"].isFloating()  # remembered
    assert not again.docks["dock_clusters"].isVisible()
    again.actions["view.reset_layout"].trigger()
    QApplication.processEvents()
    qtbot.waitUntil(lambda: again.docks["dock_map"].size() == default)
    assert not again.docks["dock_map"].isFloating() and again.docks["dock_clusters"].isVisible()
    _map_is_first(again)
    again.close()


def test_a_layout_saved_by_an_older_version_is_not_restored(qtbot, tmp_path):
    from PySide6.QtWidgets import QMainWindow

    QSettings().clear()
    window = _full_window(qtbot)
    window.docks["dock_map"].hide()
    # What an older version saved: its state without the version, and no version key.
    old_state = QMainWindow.saveState(window)
    window.close()
    QSettings().setValue("window/state", old_state)
    QSettings().remove("window/layout_version")
    again = _full_window(qtbot)
    assert again.docks["dock_map"].isVisible()
    _map_is_first(again)
    again.close()


# -- the map view's own parts ------------------------------------------------------------------


@pytest.fixture
def outliers_view(qtbot) -> MapView:
    """2,000 points in a unit blob and 4 far outliers (rows 2000-2003)."""
    rng = np.random.default_rng(1)
    xy = np.vstack([rng.normal(0, 1, (2000, 2)), [[200, 0], [-150, 40], [0, 300], [90, -220]]])
    mv = MapView()
    qtbot.addWidget(mv)
    mv.resize(700, 500)
    mv.show()
    qtbot.waitExposed(mv)
    mv.set_points(xy.astype(np.float32))
    mv.set_color_categorical((np.arange(len(xy)) % 3), {0: "a", 1: "b", 2: "c"}, "Cluster")
    mv.refresh()
    return mv


def _size(mv: MapView) -> tuple[float, float]:
    x0, y0, x1, y1 = mv.view_rect()
    return x1 - x0, y1 - y0


def _zoom(mv: MapView) -> tuple[float, float]:
    """Data units per screen pixel (the view's own size may change as docks settle)."""
    w, h = _size(mv)
    vp = mv.viewport()
    return w / vp.width(), h / vp.height()


def test_fit_all_frames_the_bulk_and_outliers_stay_reachable(qtbot, outliers_view):
    mv = outliers_view
    mv.fit_all()
    w, h = _size(mv)
    assert max(w, h) < 20  # the blob fills the view; outliers 200+ away do not set the zoom
    x0, y0, x1, y1 = mv.view_rect()
    xy = np.asarray(mv._xy)
    inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
    assert inside[:2000].mean() >= 0.99
    for _ in range(12):  # zooming out reaches them
        mv.zoom_out()
        x0, y0, x1, y1 = mv.view_rect()
        if x0 < -150 and x1 > 200 and y0 < -220 and y1 > 300:
            break
    else:
        pytest.fail("zooming out does not reach the outliers")


def test_following_the_current_row_pans_and_never_zooms(qtbot, outliers_view):
    mv = outliers_view
    mv.fit_all()
    before = _size(mv)
    for row in (2000, 5, 2002, 2003, 17):
        mv.set_current(row, reveal=True)
        assert _size(mv) == pytest.approx(before, rel=1e-6)
        x0, y0, x1, y1 = mv.view_rect()
        x, y = mv._xy[row]
        assert x0 <= x <= x1 and y0 <= y <= y1  # it is in view


def test_the_legend_sits_beside_the_points(qtbot, outliers_view):
    mv = outliers_view
    legend = mv.legend()
    mv.set_color_continuous(np.arange(mv.point_count(), dtype=float), "length")
    QApplication.processEvents()
    assert legend.isVisible()
    rect = QRect(legend.mapTo(mv, QPoint(0, 0)), legend.size())
    plot = mv.plot_rect()
    assert plot.width() > 300 and not rect.intersects(plot)
    legend.set_enabled(False)
    assert not legend.isVisible()


def test_following_the_table_keeps_the_zoom(qtbot, make_window, tmp_path):
    """The window's current row moves (the table): the map pans to it, its zoom unchanged."""
    import json

    from inspector.ui.shell.features import install_map

    rng = np.random.default_rng(3)
    path = tmp_path / "rows.jsonl"
    path.write_text(
        "".join(json.dumps({"instruction": f"row {i}", "output": "x"}) + "\n" for i in range(600))
    )
    window = make_window()
    QSettings().setValue("map/auto", False)
    panel = install_map(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.open_path(path, project_path=tmp_path / "p.sqlite")
    xy = rng.normal(0, 1, (600, 2)).astype(np.float32)
    xy[599] = (80.0, -60.0)  # far away
    panel._show_points(window.project, xy)
    qtbot.wait(50)  # the window settles (docks laid out)
    panel.view.refresh()
    before = _zoom(panel.view)
    for row in (599, 3, 599, 250):
        window.set_current_row(row)
        QApplication.processEvents()
        assert window.current_row() == row
        assert _zoom(panel.view) == pytest.approx(before, rel=0.01)
    x0, y0, x1, y1 = panel.view.view_rect()
    assert not (x0 <= 80 <= x1)  # row 250 is near the blob: the view came back from 599
