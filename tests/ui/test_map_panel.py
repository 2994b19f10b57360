"""The map in the real window: it appears after the job, and the map, the table and the sample
pane follow each other (click, selection, lasso, cluster list), colour-by changes the legend,
keys zoom, Cancel stops the job.

Most tests map a column of vectors the test makes (fast and deterministic: three topics, three
well separated directions); the real default model is used in test_search_panel.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QSettings, Qt

from inspector.core.map.project_map import MapParams

MAP_TIMEOUT_MS = 180_000  # the first UMAP of a session compiles its numba code
TOPICS = ("cooking", "astronomy", "programming")
PER_TOPIC = 100
WORDS = {
    "cooking": "bake bread knead dough simmer soup roast garlic pasta sauce oven recipe".split(),
    "astronomy": "telescope galaxy orbit planet comet nebula star moon eclipse jupiter".split(),
    "programming": "python function compile debug variable loop class server database".split(),
}


def topic_records(seed: int = 0, dim: int = 16) -> list[dict]:
    """300 Alpaca rows, 100 per topic, each with a vector near its topic's direction."""
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[: len(TOPICS)] * 4.0
    records = []
    for t, topic in enumerate(TOPICS):
        words = WORDS[topic]
        for i in range(PER_TOPIC):
            picked = rng.choice(words, size=4, replace=False)
            vector = centres[t] + rng.normal(0, 0.35, dim)
            records.append(
                {
                    "instruction": f"Question {i} about {topic}: explain {' and '.join(picked)}",
                    "input": "",
                    "output": f"An answer about {topic} that mentions {', '.join(picked)}. "
                    * (1 + i % 4),
                    "topic": topic,
                    "score": float(rng.uniform(0, 10)),
                    "emb": [round(float(x), 5) for x in vector],
                }
            )
    return records


@pytest.fixture
def topics_file(tmp_path: Path) -> Path:
    path = tmp_path / "topics.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in topic_records()))
    return path


def topic_rows(topic: str) -> np.ndarray:
    t = TOPICS.index(topic)
    return np.arange(t * PER_TOPIC, (t + 1) * PER_TOPIC)


def open_window(qtbot, make_window, path: Path, *, auto: bool = False):
    """The real window with the map installed, ``path`` open (auto map off unless asked).
    The project store lives beside the data: each test's own (the data are the same)."""
    from inspector.ui.shell.features import install_map

    window = make_window()
    QSettings().setValue("map/auto", auto)
    panel = install_map(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.open_path(path, project_path=path.with_suffix(".project.sqlite"))
    return window, panel


@pytest.fixture
def mapped(qtbot, make_window, topics_file):
    """A window whose map is made from the "emb" column."""
    window, panel = open_window(qtbot, make_window, topics_file)
    with qtbot.waitSignal(panel.mapReady, timeout=MAP_TIMEOUT_MS):
        panel.compute(MapParams(vectors_column="emb"))
    panel.view.refresh()
    return window, panel


def _send(widget, kind, pos: QtCore.QPoint, buttons, modifiers=Qt.KeyboardModifier.NoModifier):
    button = Qt.MouseButton.NoButton if kind == QtCore.QEvent.Type.MouseMove else Qt.LeftButton
    event = QtGui.QMouseEvent(
        kind,
        QtCore.QPointF(pos),
        QtCore.QPointF(widget.mapToGlobal(pos)),
        button,
        buttons,
        modifiers,
    )
    QtWidgets.QApplication.sendEvent(widget, event)


def lasso(qtbot, view, path) -> None:
    """Drag the lasso through the data points of ``path``."""
    vp = view.viewport()
    points = [view.data_to_viewport(x, y) for x, y in path]
    _send(vp, QtCore.QEvent.Type.MouseButtonPress, points[0], Qt.LeftButton)
    for p in points[1:]:
        qtbot.wait(12)  # pyqtgraph drops moves closer together than 10 ms
        _send(vp, QtCore.QEvent.Type.MouseMove, p, Qt.LeftButton)
    qtbot.wait(12)
    _send(vp, QtCore.QEvent.Type.MouseButtonRelease, points[-1], Qt.MouseButton.NoButton)


# -- the map appears --------------------------------------------------------------------------


def test_no_map_until_asked_then_the_map_appears(qtbot, make_window, topics_file) -> None:
    window, panel = open_window(qtbot, make_window, topics_file)
    assert window.docks["dock_map"].widget() is panel
    assert not panel.has_map() and panel.message.isVisible()
    assert panel.compute_button.isVisible() and panel.compute_button.isEnabled()
    # The vectors column is offered as a "model"; choosing it disables the text choice.
    i = panel.model_combo.findData("vectors:emb")
    assert i >= 0
    panel.model_combo.setCurrentIndex(i)
    assert not panel.field_combo.isEnabled()
    assert panel.chosen_params() == MapParams(vectors_column="emb")

    partials: list[str] = []
    states: list[tuple[int, bool]] = []  # (points drawn, clusters named) as the map changes
    panel.view.clustersChanged.connect(
        lambda: states.append(
            (panel.view.point_count(), panel.view.cluster_labels()[0] is not None)
        )
    )
    with qtbot.waitSignal(panel.mapReady, timeout=MAP_TIMEOUT_MS):
        qtbot.mouseClick(panel.compute_button, Qt.LeftButton)
        job = window.jobs.current("map")
        assert job is not None
        inner = job.on_partial
        job.on_partial = lambda n, v: (partials.append(n), inner(n, v))
    assert partials == ["layout", "clusters"]  # from the child process: the small results
    # The points were drawn as soon as the layout existed, the names once the clusters did.
    assert states.index((300, False)) < states.index((300, True))
    assert not panel.message.isVisible() and panel.view.point_count() == 300
    coarse, names, fine, _ = panel.view.cluster_labels()
    assert coarse is not None and fine is not None and len(names) >= 3
    # Each topic is one region: the coarse clusters never mix topics.
    for topic in TOPICS:
        codes = set(np.asarray(coarse)[topic_rows(topic)].tolist()) - {-1}
        others = set(np.asarray(coarse)[np.setdiff1d(np.arange(300), topic_rows(topic))])
        assert codes and not codes & others, topic
    assert panel.cluster_list.topLevelItemCount() == len(set(np.asarray(coarse).tolist()) - {-1})
    assert panel.view.legend().kind() == "categorical"
    assert window.project.store.get("map_params") == MapParams(vectors_column="emb").to_json()


def test_a_remembered_map_comes_back_when_the_dataset_reopens(
    qtbot, make_window, topics_file, mapped
) -> None:
    window, _ = mapped
    window.close()  # the same dataset in a new window: its store remembers the map params
    window2, panel2 = open_window(qtbot, make_window, topics_file, auto=False)
    qtbot.waitUntil(panel2.has_map, timeout=MAP_TIMEOUT_MS)
    assert panel2.params == MapParams(vectors_column="emb")
    assert panel2.model_combo.currentData() == "vectors:emb"


# -- map, table and sample pane follow each other ------------------------------------------


def test_clicking_a_point_makes_it_current_in_the_table_and_sample_pane(qtbot, mapped) -> None:
    window, panel = mapped
    view = panel.view
    xy = panel.result.xy
    row = 150 + int(np.argmin(np.abs(xy[150:200, 0] - np.median(xy[150:200, 0]))))
    target = view.row_at(*xy[row])  # the point drawn on top there (duplicates may overlap)
    with qtbot.waitSignal(window.currentRowChanged):
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.data_to_viewport(*xy[row]))
    assert window.current_row() == target
    assert window.table.current_dataset_row() == target
    assert window.selected_rows().tolist() == [target]
    assert f"Question {target % PER_TOPIC} about" in window.sample_view.toPlainText()
    assert view.current() == target


def test_table_selection_and_current_row_show_on_the_map(qtbot, mapped) -> None:
    window, panel = mapped
    rows = np.array([3, 4, 5, 120, 250])
    window.select_rows(rows)
    assert panel.view.selection().tolist() == rows.tolist()
    window.set_current_row(42)
    assert panel.view.current() == 42
    # Stepping through the table selects one row at a time: the ring shows it, nothing dims.
    assert panel.view.selection().size == 0
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    assert panel.view.current() == 43 and panel.view.selection().size == 0


def test_a_lasso_selects_the_topic_in_the_table(qtbot, mapped) -> None:
    window, panel = mapped
    view = panel.view
    xy = panel.result.xy.astype(float)
    inside = topic_rows("astronomy")
    centre = xy[inside].mean(axis=0)
    radius = np.linalg.norm(xy[inside] - centre, axis=1).max() * 1.08
    outside = np.setdiff1d(np.arange(300), inside)
    assert np.linalg.norm(xy[outside] - centre, axis=1).min() > radius  # blobs are apart
    view.set_tool("lasso")
    a = np.linspace(0, 2 * np.pi, 33)
    with qtbot.waitSignal(window.selectionChanged):
        lasso(qtbot, view, np.column_stack([centre[0] + radius * np.cos(a),
                                            centre[1] + radius * np.sin(a)]))  # fmt: skip
    assert window.selected_rows().tolist() == inside.tolist()
    assert view.selection().tolist() == inside.tolist()
    assert window.current_row() in inside


def test_hover_preview_shows_the_sample(mapped) -> None:
    window, panel = mapped
    html = panel.view.preview_html(205)
    assert "Question 5 about programming" in html
    assert window.project.dataset.ids[205] in html


def test_cluster_list_click_selects_the_cluster_rows_and_frames_them(qtbot, mapped) -> None:
    window, panel = mapped
    clusters = panel.cluster_list
    item = clusters.topLevelItem(0)
    code = int(item.data(0, Qt.ItemDataRole.UserRole))
    coarse = np.asarray(panel.view.cluster_labels()[0])
    before = panel.view.view_rect()
    rect = clusters.visualItemRect(item)
    with qtbot.waitSignal(window.selectionChanged):
        qtbot.mouseClick(clusters.viewport(), Qt.LeftButton, pos=rect.center())
    expected = np.flatnonzero(coarse == code)
    assert window.selected_rows().tolist() == expected.tolist()
    after = panel.view.view_rect()
    assert (after[2] - after[0]) < (before[2] - before[0])  # zoomed onto the cluster


# -- colour -----------------------------------------------------------------------------------


def test_colour_by_changes_the_legend(qtbot, mapped) -> None:
    window, panel = mapped
    legend = panel.view.legend()
    keys = panel.colour_keys()
    assert {"cluster:coarse", "cluster:fine", "length", "column:topic", "column:score"} <= set(keys)
    assert "column:emb" not in keys  # vectors are no colour
    # Coloured by cluster, the cluster list beside the map is the legend; behind another tab
    # it is not, and the legend shows.
    assert legend.kind() == "categorical" and legend.isHidden()
    window.docks["dock_search"].raise_()
    qtbot.waitUntil(lambda: not legend.isHidden())
    window.docks["dock_clusters"].raise_()
    qtbot.waitUntil(legend.isHidden)
    panel.set_colour("column:topic")
    assert legend.kind() == "categorical" and sorted(legend.names()) == sorted(TOPICS)
    panel.set_colour("column:score")
    assert legend.kind() == "continuous" and legend.title() == "score"
    lo, hi = legend.value_range()
    assert 0 <= lo < hi <= 10
    panel.set_colour("length")
    assert legend.kind() == "continuous"
    panel.set_colour("cluster:fine")
    assert legend.kind() == "categorical"
    assert set(legend.names()) <= set(panel.view.cluster_labels()[3].values()) | {"none"}

    # A later feature adds its own colouring and refreshes it when its values change.
    flags = {"value": np.zeros(300, dtype=bool)}
    panel.add_color_source("quality flag", lambda project: flags["value"])
    panel.set_colour("source:quality flag")
    assert legend.kind() == "categorical" and legend.names() == ["false"]
    flags["value"] = np.arange(300) % 3 == 0
    panel.refresh_colors()
    assert sorted(legend.names()) == ["false", "true"]
    with pytest.raises(ValueError, match="no colouring"):
        panel.set_colour("column:nope")


# -- keys and actions -------------------------------------------------------------------------


def test_keys_zoom_fit_and_frame_without_letters(qtbot, mapped) -> None:
    window, panel = mapped
    view = panel.view
    for id, keys in (
        ("map.zoom_in", ["+", "="]),
        ("map.zoom_out", ["-"]),
        ("map.fit_all", ["0"]),
        ("map.frame_selection", ["."]),
        ("map.compute", ["Ctrl+M"]),
        ("map.search", ["Ctrl+K"]),
        ("map.more_like_this", ["Ctrl+L"]),
    ):
        assert window.actions.keys(id) == keys, id
    assert window.actions.conflicts() == {}
    assert "Map" in [a.text().replace("&", "") for a in window.menuBar().actions()]

    def width() -> float:
        x0, _, x1, _ = view.view_rect()
        return x1 - x0

    full = width()
    view.setFocus()
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Plus)
    assert width() < full * 0.8
    qtbot.keyClick(view.viewport(), Qt.Key.Key_0)
    assert width() == pytest.approx(full, rel=0.02)
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Minus)
    assert width() > full * 1.2
    window.select_rows(topic_rows("cooking"))
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Period)
    framed = width()
    assert framed < full * 0.8
    # Typing in a text box types: the map keys do not fire there.
    box = window.filter_bar.text_box
    box.setFocus()
    qtbot.keyClicks(box, "0.5-1=+")
    assert box.text() == "0.5-1=+"
    assert width() == pytest.approx(framed)


def test_cancel_stops_the_map_job(qtbot, make_window, topics_file) -> None:
    window, panel = open_window(qtbot, make_window, topics_file)
    panel.compute(MapParams(vectors_column="emb"))
    job = window.jobs.current("map")
    assert job is not None and window.job_status.isVisible()
    with qtbot.waitSignal(window.jobs.finished, timeout=MAP_TIMEOUT_MS):
        qtbot.mouseClick(window.job_status.cancel_button, Qt.LeftButton)
    assert job.cancelled
    assert not panel.has_map() and panel.result is None
    assert "cancelled" in panel.message.text()
    assert panel.compute_button.isEnabled()


def test_a_bad_vectors_column_says_what_is_wrong(qtbot, make_window, tmp_path) -> None:
    records = topic_records()
    records[7]["emb"] = None
    path = tmp_path / "holes.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    window, panel = open_window(qtbot, make_window, path)
    with qtbot.waitSignal(window.jobs.finished, timeout=MAP_TIMEOUT_MS):
        panel.compute(MapParams(vectors_column="emb"))
    assert "Could not compute the map" in panel.message.text()
    assert "row 7" in panel.message.text() and "emb" in panel.message.text()


def test_closing_the_dataset_clears_the_map(qtbot, mapped) -> None:
    window, panel = mapped
    window.actions.trigger("file.close")
    assert not panel.has_map() and panel.view.point_count() == 0
    assert panel.cluster_list.topLevelItemCount() == 0
    assert not window.actions["map.zoom_in"].isEnabled()


def test_without_child_processes_the_map_is_made_in_the_window_process(
    qtbot, make_window, topics_file, monkeypatch
) -> None:
    import multiprocessing

    import inspector.core.map.process as map_process

    class NoProcesses:  # a platform where no process can be started
        Pipe = staticmethod(multiprocessing.Pipe)

        def Process(self, **_kwargs):  # noqa: N802 - the multiprocessing name
            class Refused:
                def start(self):
                    raise OSError("no processes here")

            return Refused()

    monkeypatch.setattr(map_process, "_context", NoProcesses)
    window, panel = open_window(qtbot, make_window, topics_file)
    with qtbot.waitSignal(panel.mapReady, timeout=MAP_TIMEOUT_MS):
        panel.compute(MapParams(vectors_column="emb"))
    assert panel.view.point_count() == 300 and len(panel.result.names_coarse) >= 3
