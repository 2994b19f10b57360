"""The map view, driven like a user would: it paints, clicks and lassos select the right rows,
colour-by changes the legend, and a million points are drawn as density until zoomed in."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from inspector.ui.map.map_view import ClusterListWidget, MapView

Qt = QtCore.Qt

# Three tight, well separated blobs of 200 points; rows 0-199, 200-399, 400-599.
CENTRES = np.array([[-10.0, -10.0], [10.0, -8.0], [0.0, 10.0]])


@pytest.fixture
def blobs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    codes = np.repeat(np.arange(3), 200)
    xy = CENTRES[codes] + rng.normal(0, 1.0, (600, 2))
    return xy.astype(np.float32), codes


@pytest.fixture
def view(qtbot, blobs) -> MapView:
    xy, codes = blobs
    mv = MapView()
    qtbot.addWidget(mv)
    mv.resize(800, 600)
    mv.show()
    qtbot.waitExposed(mv)
    mv.set_points(xy, ids=[f"id-{i}" for i in range(len(xy))])
    mv.set_color_categorical(codes, {0: "alpha", 1: "beta", 2: "gamma"}, "Cluster")
    mv.refresh()
    return mv


def _send(widget: QtWidgets.QWidget, kind, pos: QtCore.QPoint, buttons, modifiers) -> None:
    """A mouse event with explicit buttons and modifiers (QTest moves carry no modifiers)."""
    button = Qt.MouseButton.NoButton if kind == QtCore.QEvent.Type.MouseMove else Qt.LeftButton
    local = QtCore.QPointF(pos)
    event = QtGui.QMouseEvent(
        kind, local, QtCore.QPointF(widget.mapToGlobal(pos)), button, buttons, modifiers
    )
    QtWidgets.QApplication.sendEvent(widget, event)


def drag(qtbot, view: MapView, path, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Press at the first data point of ``path``, move through the rest, release."""
    vp = view.viewport()
    points = [view.data_to_viewport(x, y) for x, y in path]
    _send(vp, QtCore.QEvent.Type.MouseButtonPress, points[0], Qt.LeftButton, modifiers)
    for p in points[1:]:
        qtbot.wait(12)  # pyqtgraph drops moves closer together than 10 ms
        _send(vp, QtCore.QEvent.Type.MouseMove, p, Qt.LeftButton, modifiers)
    qtbot.wait(12)
    _send(vp, QtCore.QEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.NoButton, modifiers)


def circle(cx: float, cy: float, r: float, n: int = 24) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, n + 1)
    return np.column_stack([cx + r * np.cos(a), cy + r * np.sin(a)])


def test_it_paints_the_points(view: MapView) -> None:
    image = view.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint32).reshape(image.height(), -1)
    background = pixels[5, 5]
    assert (pixels != background).mean() > 0.01
    assert len(np.unique(pixels)) > 50  # three hues, shading, legend text
    assert view.render_mode() == "points"  # 600 points are drawn one by one


def test_click_selects_the_point_under_the_cursor(qtbot, view: MapView, blobs) -> None:
    xy, _ = blobs
    row = 321
    currents: list[int] = []
    view.currentChanged.connect(currents.append)
    with qtbot.waitSignal(view.selectionChanged) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.data_to_viewport(*xy[row]))
    assert blocker.args[0].tolist() == [row]
    assert currents == [row]
    assert view.current() == row
    assert "id-321" in view.preview_html(view.current())


def test_shift_click_adds_ctrl_click_removes_empty_click_clears(qtbot, view, blobs) -> None:
    xy, _ = blobs
    vp = view.viewport()
    qtbot.mouseClick(vp, Qt.LeftButton, pos=view.data_to_viewport(*xy[10]))
    qtbot.mouseClick(vp, Qt.LeftButton, Qt.ShiftModifier, view.data_to_viewport(*xy[450]))
    assert view.selection().tolist() == [10, 450]
    qtbot.mouseClick(vp, Qt.LeftButton, Qt.ControlModifier, view.data_to_viewport(*xy[10]))
    assert view.selection().tolist() == [450]
    with qtbot.waitSignal(view.selectionChanged) as blocker:
        qtbot.mouseClick(vp, Qt.LeftButton, pos=view.data_to_viewport(0.0, -3.0))
    assert blocker.args[0].size == 0


def test_lasso_by_polygon_selects_the_rows_inside(view: MapView, blobs) -> None:
    xy, _ = blobs
    polygon = circle(10.0, -8.0, 6.0)
    rows = view.select_polygon(polygon, emit=False)
    assert rows.tolist() == list(range(200, 400))
    # Add the third blob, then take a half of it away again.
    view.select_polygon(circle(0.0, 10.0, 6.0), "add", emit=False)
    assert view.selection().size == 400
    left_half = np.array([[-20, 0], [0, 0], [0, 20], [-20, 20]], float)
    view.select_polygon(left_half, "subtract", emit=False)
    expected = set(range(200, 400)) | {r for r in range(400, 600) if xy[r, 0] >= 0}
    assert set(view.selection().tolist()) == expected


def test_lasso_with_the_mouse_selects_a_blob(qtbot, view: MapView) -> None:
    view.set_tool("lasso")
    with qtbot.waitSignal(view.selectionChanged) as blocker:
        drag(qtbot, view, circle(-10.0, -10.0, 6.0, 16))
    assert blocker.args[0].tolist() == list(range(0, 200))


def test_shift_drag_in_pan_mode_lassos_and_adds(qtbot, view: MapView) -> None:
    view.set_selection(range(400, 600))
    drag(qtbot, view, circle(10.0, -8.0, 6.0, 16), Qt.KeyboardModifier.ShiftModifier)
    assert view.selection().tolist() == list(range(200, 600))
    assert view.tool() == "pan"


def test_rectangle_tool_with_ctrl_subtracts(qtbot, view: MapView) -> None:
    view.set_selection(range(600))
    view.set_tool("rect")
    drag(qtbot, view, [(-4, -4), (-8, -12), (-17, -17)], Qt.KeyboardModifier.ControlModifier)
    assert view.selection().tolist() == list(range(200, 600))


def test_plain_drag_pans(qtbot, view: MapView) -> None:
    before = view.view_rect()
    drag(qtbot, view, [(0, 0), (2, 0), (5, 0)])
    after = view.view_rect()
    assert after[0] < before[0] - 3  # dragged right: the view moved left
    assert view.selection().size == 0


def test_colour_by_changes_the_legend(view: MapView, blobs) -> None:
    xy, _ = blobs
    legend = view.legend()
    assert legend.isVisible() and legend.kind() == "categorical"
    assert legend.title() == "Cluster"
    assert sorted(legend.names()) == ["alpha", "beta", "gamma"]

    lengths = np.hypot(xy[:, 0], xy[:, 1]) * 100
    view.set_color_continuous(lengths, "Length (chars)")
    assert legend.kind() == "continuous" and legend.title() == "Length (chars)"
    lo, hi = legend.value_range()
    assert lo < hi

    flags = np.where(np.arange(600) % 7 == 0, 1, -1)
    view.set_color_categorical(flags, {1: "too short"}, "Quality flag")
    assert legend.title() == "Quality flag"
    assert legend.names() == ["too short", "none"]

    view.set_color_uniform()
    assert not legend.isVisible()


def test_wrong_lengths_name_what_is_wrong(view: MapView) -> None:
    with pytest.raises(ValueError, match="got 3 values for 600 points"):
        view.set_color_continuous(np.ones(3), "x")
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        view.set_points(np.ones(5))


def test_million_points_are_a_density_image_until_zoomed_in(qtbot) -> None:
    rng = np.random.default_rng(1)
    xy = rng.normal(0, 10, (1_000_000, 2)).astype(np.float32)
    mv = MapView()
    qtbot.addWidget(mv)
    mv.resize(800, 600)
    mv.show()
    qtbot.waitExposed(mv)
    mv.set_points(xy)
    mv.set_color_continuous(xy[:, 0], "x")
    mv.refresh()
    assert mv.render_mode() == "density"
    mv.set_view_rect(-0.5, -0.5, 0.5, 0.5)
    mv.refresh()
    assert mv.render_mode() == "points"
    # Hover look-up and click still find the exact nearest point.
    row = mv.row_at(0.0, 0.0)
    nearest = int(np.argmin(np.hypot(xy[:, 0], xy[:, 1])))
    assert row == nearest


def test_selected_and_found_points_are_drawn_over_the_rest(view: MapView) -> None:
    view.set_selection(range(0, 200))
    view.set_highlight([450, 460])
    view.refresh()
    assert view.render_mode() == "points"
    assert len(view._selected.points) == 200 and len(view._found.points) == 2
    assert view._base.drawn[3] is True  # the rest is dimmed
    view.set_selection([])
    view.set_highlight([])
    view.refresh()
    assert view._base.drawn[3] is False


def test_setters_do_not_echo_signals(qtbot, view: MapView) -> None:
    with qtbot.assertNotEmitted(view.selectionChanged), qtbot.assertNotEmitted(view.currentChanged):
        view.set_selection([1, 2, 3])
        view.set_current(5)
    assert view.selection().tolist() == [1, 2, 3] and view.current() == 5
    with qtbot.waitSignal(view.selectionChanged):
        view.set_selection([4], emit=True)


def test_hover_reports_the_row_and_builds_a_preview(qtbot, view: MapView, blobs) -> None:
    xy, _ = blobs
    view.set_preview_provider(lambda row: f"text of row {row} <b>")
    with qtbot.waitSignal(view.hoveredChanged) as blocker:
        _send(
            view.viewport(),
            QtCore.QEvent.Type.MouseMove,
            view.data_to_viewport(*xy[77]),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
        )
    assert blocker.args == [77]
    html = view.preview_html(77)
    assert "text of row 77 &lt;b&gt;" in html and "id-77" in html


def test_keys_zoom_fit_and_frame_the_selection(qtbot, view: MapView) -> None:
    view.fit_all()
    full = view.view_rect()
    view.viewport().setFocus()
    qtbot.keyClick(view._view, Qt.Key_Plus)
    zoomed = view.view_rect()
    assert zoomed[2] - zoomed[0] < (full[2] - full[0]) * 0.8
    qtbot.keyClick(view._view, Qt.Key_Minus)
    qtbot.keyClick(view._view, Qt.Key_Minus)
    assert view.view_rect()[2] - view.view_rect()[0] > full[2] - full[0]
    qtbot.keyClick(view._view, Qt.Key_0)
    assert view.view_rect() == pytest.approx(full, abs=1e-3)
    view.set_selection(range(200, 400))
    qtbot.keyClick(view._view, Qt.Key_Period)
    x0, y0, x1, y1 = view.view_rect()
    assert x0 > 0 and x1 < 20 and x1 - x0 < (full[2] - full[0]) / 2


def test_cluster_names_coarse_then_fine(view: MapView, blobs) -> None:
    xy, codes = blobs
    fine = codes * 2 + (xy[:, 0] > CENTRES[codes, 0])
    view.set_cluster_labels(
        codes,
        {0: "alpha", 1: "beta", 2: "gamma"},
        fine,
        {i: f"fine {i}" for i in range(6)},
    )
    view.fit_all()
    view.refresh()
    assert sorted(view.visible_labels()) == ["alpha", "beta", "gamma"]
    view.set_view_rect(6, -12, 14, -4)
    view.refresh()
    assert sorted(view.visible_labels()) == ["fine 2", "fine 3"]


def test_crowded_names_do_not_overlap(view: MapView) -> None:
    codes = np.arange(600) % 60  # 60 clusters all over each other
    view.set_cluster_labels(codes, {i: f"a long cluster name {i}" for i in range(60)})
    view.fit_all()
    view.refresh()
    assert 0 < len(view.visible_labels()) < 60


def test_cluster_list_click_selects_and_frames(qtbot, view: MapView, blobs) -> None:
    _, codes = blobs
    view.set_cluster_labels(codes, {0: "alpha", 1: "beta", 2: "gamma"})
    clusters = ClusterListWidget(view)
    qtbot.addWidget(clusters)
    clusters.show()
    assert clusters.topLevelItemCount() == 3
    item = clusters.find("coarse", 2)
    assert item is not None and item.text(0) == "gamma" and item.text(1) == "200"
    rect = clusters.visualItemRect(item)
    with qtbot.waitSignal(view.selectionChanged) as blocker:
        qtbot.mouseClick(clusters.viewport(), Qt.LeftButton, pos=rect.center())
    assert blocker.args[0].tolist() == list(range(400, 600))
    x0, y0, x1, y1 = view.view_rect()
    assert x0 < 0 < x1 and y0 < 10 < y1 and y0 > -5


def test_points_with_missing_coordinates_are_skipped(qtbot) -> None:
    xy = np.array([[0, 0], [np.nan, np.nan], [1, 1]], np.float32)
    mv = MapView()
    qtbot.addWidget(mv)
    mv.resize(400, 300)
    mv.show()
    mv.set_points(xy)
    mv.refresh()
    assert mv.render_mode() == "points"
    assert mv.row_at(0.99, 0.99) == 2
    assert mv.select_rect((-5, -5, 5, 5), emit=False).tolist() == [0, 2]


def test_a_small_pan_reuses_the_frame_and_rest_redraws_exactly(qtbot) -> None:
    rng = np.random.default_rng(2)
    xy = rng.normal(0, 10, (200_000, 2)).astype(np.float32)
    mv = MapView()
    qtbot.addWidget(mv)
    mv.resize(600, 400)
    mv.show()
    qtbot.waitExposed(mv)
    mv.set_points(xy)
    mv.refresh()
    assert mv.render_mode() == "density"
    x0, y0, x1, y1 = mv.view_rect()
    before = dict(mv.render_counts)
    shift = (x1 - x0) * 0.05
    mv.set_view_rect(x0 + shift, y0, x1 + shift, y1)  # a drag of 5%: the margin covers it
    mv.refresh()
    assert mv.render_counts["reused"] == before["reused"] + 1
    assert mv.render_counts["density"] == before["density"]
    mv.zoom_in()  # 1.6x: beyond what a scaled image may stand in for
    mv.refresh()
    assert mv.render_counts["density"] == before["density"] + 1
    qtbot.waitUntil(lambda: mv._base.density._smooth, timeout=2000)  # at rest: smooth again
