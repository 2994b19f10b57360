"""The Facets dock in the real window: a click on a bar narrows the table to that value's
rows, Ctrl adds a value, a drag across a histogram keeps a range, the facets combine (AND)
with the filter bar, the map greys out the rows left out, and clearing brings them back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from inspector.core.data.dataset import LENGTH
from inspector.core.data.facets import Categories, Range
from inspector.core.map.project_map import MapParams

MAP_TIMEOUT_MS = 180_000  # the first UMAP of a session compiles its numba code
MODELS = ["a"] * 15 + ["b"] * 10 + ["c"] * 5


def records() -> list[dict]:
    rng = np.random.default_rng(0)
    order = rng.permutation(len(MODELS))
    out = []
    for i, k in enumerate(order):
        topic = ("alpha", "beta", "gamma")[i % 3]
        vector = np.eye(8)[i % 3] * 4 + rng.normal(0, 0.3, 8)
        out.append(
            {
                "instruction": f"Question {i} about {topic}",
                "input": "",
                "output": "word " * (1 + 7 * i),
                "model": MODELS[k],
                "emb": [round(float(x), 5) for x in vector],
            }
        )
    return out


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "models.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records()))
    return path


def open_window(qtbot, make_window, path: Path, *, with_map: bool = False):
    from inspector.ui.shell.features import install_facets, install_map

    window = make_window()
    QSettings().setValue("map/auto", False)
    panel = install_map(window) if with_map else None
    dock = install_facets(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.open_path(path, project_path=path.with_suffix(".project.sqlite"))
    return window, dock, panel


def click_bar(qtbot, dock, name: str, label: str, modifier=Qt.KeyboardModifier.NoModifier):
    chart = dock.charts[name]
    index = chart.counts.labels.index(label)
    qtbot.mouseClick(chart.plot, Qt.MouseButton.LeftButton, modifier,
                     chart.plot.bar_centre(index).toPoint())  # fmt: skip


def model_rows(window, value: str) -> set[int]:
    frame = window.project.dataset.frame
    return set(np.flatnonzero(frame["model"].to_numpy() == value).tolist())


def test_a_click_on_a_bar_filters_the_table_ctrl_adds_and_clear_restores(
    qtbot, make_window, data_file
) -> None:
    window, dock, _ = open_window(qtbot, make_window, data_file)
    assert "model" in dock.names and "length" in dock.names  # the defaults
    assert dict(zip(dock.charts["model"].counts.labels,
                    dock.charts["model"].counts.total.tolist())) == {"a": 15, "b": 10, "c": 5}  # fmt: skip

    click_bar(qtbot, dock, "model", "b")
    assert window.model.rowCount() == 10
    assert set(window.view_rows().tolist()) == model_rows(window, "b")
    assert dock.chip.isVisibleTo(window) and "10 rows" in dock.chip.toolTip()
    assert window.filter_bar.count_label.text() == "10 of 30 rows match"
    # the other charts count the rows left; model's own bars still show every value
    assert int(dock.charts["length"].counts.filtered.sum()) == 10
    assert dock.charts["model"].counts.filtered.tolist() == [15, 10, 5]
    assert window.current_row() in model_rows(window, "b")

    click_bar(qtbot, dock, "model", "c", Qt.KeyboardModifier.ControlModifier)
    assert dock.filters["model"] == Categories({"b", "c"})
    assert window.model.rowCount() == 15

    qtbot.mouseClick(dock.charts["model"].clear_button, Qt.MouseButton.LeftButton)
    assert "model" not in dock.filters
    assert window.model.rowCount() == 30
    assert not dock.chip.isVisibleTo(window)


def test_facets_and_the_filter_bar_combine_with_and(qtbot, make_window, data_file) -> None:
    window, dock, _ = open_window(qtbot, make_window, data_file)
    frame = window.project.dataset.frame
    alpha = {i for i, t in enumerate(frame["instruction"].to_list()) if "alpha" in t}
    with qtbot.waitSignal(window.filterApplied, timeout=10_000):
        window.filter_bar.text_box.setText("alpha")
        window.filter_bar.apply()
    assert window.model.rowCount() == len(alpha)
    # the chart counts what the filter bar left, over the totals
    assert int(dock.charts["model"].counts.filtered.sum()) == len(alpha)
    assert int(dock.charts["model"].counts.total.sum()) == 30

    click_bar(qtbot, dock, "model", "a")
    both = alpha & model_rows(window, "a")
    assert set(window.view_rows().tolist()) == both
    assert dock.last_update.matched == len(both)

    with qtbot.waitSignal(window.filterApplied, timeout=10_000):
        window.filter_bar.clear()
    assert set(window.view_rows().tolist()) == model_rows(window, "a")

    # a text filter no row of "c" matches: an empty table, not an error
    dock.choose("model", Categories({"c"}))
    with qtbot.waitSignal(window.filterApplied, timeout=10_000):
        window.filter_bar.text_box.setText("Question 0 about alpha")
        window.filter_bar.apply()
    expected = {
        i for i, t in enumerate(frame["instruction"].to_list()) if "Question 0 about alpha" in t
    } & model_rows(window, "c")
    assert set(window.view_rows().tolist()) == expected


def test_a_drag_across_the_histogram_keeps_a_range(qtbot, make_window, data_file) -> None:
    window, dock, _ = open_window(qtbot, make_window, data_file)
    chart = dock.charts["length"]
    plot = chart.plot
    y = int(plot.bar_centre(0).y())
    start, end = QPoint(int(plot.width() * 0.1), y), QPoint(int(plot.width() * 0.45), y)
    qtbot.mousePress(plot, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(plot, end)
    qtbot.mouseRelease(plot, Qt.MouseButton.LeftButton, pos=end)
    chosen = dock.filters["length"]
    assert isinstance(chosen, Range) and chosen.lo < chosen.hi
    lengths = window.project.dataset.frame[LENGTH].to_numpy()
    inside = set(np.flatnonzero((lengths >= chosen.lo) & (lengths <= chosen.hi)).tolist())
    assert 0 < len(inside) < 30
    assert set(window.view_rows().tolist()) == inside
    qtbot.mouseClick(dock.clear_button, Qt.MouseButton.LeftButton)  # Clear all
    assert window.model.rowCount() == 30 and not dock.filters


def test_the_column_chooser_adds_and_removes_charts(qtbot, make_window, data_file) -> None:
    window, dock, _ = open_window(qtbot, make_window, data_file)
    assert "instruction" in dock.available()
    dock.choose("model", Categories({"a"}))
    dock._toggle_facet("model", False)  # noqa: SLF001 - what the menu's check box calls
    assert "model" not in dock.charts and "model" not in dock.filters
    assert window.model.rowCount() == 30  # its filter went with it
    dock._toggle_facet("model", True)  # noqa: SLF001
    assert dock.names[-1] == "model" and "model" in dock.charts


def test_the_map_greys_out_what_the_filters_leave_out(qtbot, make_window, data_file) -> None:
    window, dock, panel = open_window(qtbot, make_window, data_file, with_map=True)
    with qtbot.waitSignal(panel.mapReady, timeout=MAP_TIMEOUT_MS):
        panel.compute(MapParams(vectors_column="emb"))
    qtbot.waitUntil(lambda: panel.has_map())
    assert panel.view.dim_mask() is None

    click_bar(qtbot, dock, "model", "b")
    qtbot.waitUntil(lambda: panel.view.dim_mask() is not None)
    mask = panel.view.dim_mask()
    assert int((~mask).sum()) == 20  # the 20 rows of "a" and "c"
    assert set(np.flatnonzero(mask).tolist()) == model_rows(window, "b")

    dock.clear_all()
    with qtbot.waitSignal(window.filterApplied, timeout=10_000):
        window.filter_bar.text_box.setText("gamma")
        window.filter_bar.apply()
    qtbot.waitUntil(lambda: panel.view.dim_mask() is not None)
    frame = pl.DataFrame({"t": window.project.dataset.frame["instruction"]})
    gamma = int(frame["t"].str.contains("gamma").sum())
    assert int(panel.view.dim_mask().sum()) == gamma  # a text filter dims the map too

    with qtbot.waitSignal(window.filterApplied, timeout=10_000):
        window.filter_bar.clear()
    qtbot.waitUntil(lambda: panel.view.dim_mask() is None)
