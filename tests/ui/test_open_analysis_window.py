"""File ▸ Open Analysis / ``inspector PATH --analysis DIR`` in the real window: the map,
clusters, flags and duplicate groups come from DIR (nothing embedded, laid out or clustered),
a review of the opened lists labels rows that File ▸ Export writes, and a DIR made from other
data is refused with a message naming it."""

from __future__ import annotations

import builders
import numpy as np
import open_analysis_builders as oab
import polars as pl
import pytest

WAIT_MS = 60_000


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return oab.local_analysis(tmp_path_factory.mktemp("made"))


@pytest.fixture
def no_recompute(monkeypatch):
    """The map job, embedding and UMAP raise if anything calls them; the calls are counted
    (a job's exception goes to its on_error, not to the test)."""
    calls: list[int] = []
    import umap

    import inspector.core.map.embed as embed
    import inspector.ui.map.map_compute as map_compute

    def boom(*_a, **_k):
        calls.append(1)
        raise AssertionError("recomputed")

    monkeypatch.setattr(map_compute, "compute_map", boom)
    monkeypatch.setattr(map_compute, "compute_map_isolated", boom)
    monkeypatch.setattr(embed, "embed_texts", boom)
    monkeypatch.setattr(umap.UMAP, "fit", boom)
    return calls


def full_window(make_window):
    from inspector.ui.shell.features import install_all

    return install_all(make_window())


def open_with(window, qtbot, data, out, tmp_path):
    opener = window.features.open_analysis
    opener.open_with(str(data), out, project_path=str(tmp_path / "p.sqlite"))
    qtbot.waitUntil(
        lambda: opener.opened is not None or opener.message_box is not None, timeout=WAIT_MS
    )
    return opener


def test_the_window_shows_the_folders_map_and_issues(
    make_window, made, tmp_path, qtbot, no_recompute
):
    data, out = made
    window = full_window(make_window)
    opener = open_with(window, qtbot, data, out, tmp_path)
    assert opener.opened is not None, opener.last_error
    panel = window.features.map
    assert panel.has_map()
    written = pl.read_parquet(out / "analysis.parquet")
    assert np.array_equal(panel._xy_shown[:, 1], written["y"].to_numpy())
    coarse, names, _fine, names_fine = panel.cluster_labels()
    assert names == {0: "topic 0", 1: "topic 1", 2: "topic 2"} and len(names_fine) == 5
    assert coarse.tolist() == written["cluster"].to_list()
    qtbot.wait(600)  # past the map dock's delayed start: it must not compute a map
    assert window.jobs.current("map") is None and panel.result is None and no_recompute == []
    issues = window.features.issues
    labels = [issues.panel.list.item(i).text() for i in range(issues.panel.list.count())]
    assert any(t.startswith("Exact duplicate groups — 1 groups · 2 rows") for t in labels)
    assert any(t.startswith("response.refusal — 1 rows") for t in labels)
    assert str(out) in issues.panel.status.text()


def test_labels_made_on_the_opened_lists_are_exported(
    make_window, made, tmp_path, qtbot, no_recompute
):
    data, out = made
    window = full_window(make_window)
    opener = open_with(window, qtbot, data, out, tmp_path)
    assert opener.opened is not None, opener.last_error
    issues = window.features.issues
    issues.panel.choose("exact_duplicate")
    session = issues.review(issues.panel.finder("exact_duplicate"))
    assert session is not None and session.is_groups
    ids = window.project.dataset.ids
    assert [{str(ids[int(r)]) for r in g} for g in session.queue.groups] == [{"s03", "s30"}]
    review = window.features.review
    row = window.current_row()
    window.actions.trigger("review.drop")
    qtbot.waitUntil(lambda: review.decision_codes()[row] == 1, timeout=WAIT_MS)
    result = review.files.export_now(tmp_path / "labels.parquet")
    frame = pl.read_parquet(result.path)
    dropped = frame.filter(pl.col("action") == "remove")["id"].to_list()
    assert str(ids[row]) in dropped and set(dropped) <= {"s03", "s30"}  # the group's rows


def test_a_folder_made_from_other_data_is_refused(make_window, made, tmp_path, qtbot):
    from inspector.core.export.filterfile import load_proposals

    _data, out = made
    rows = builders.planted_rows()
    rows[4]["output"] = "A different answer."
    other = builders.write_jsonl(tmp_path / "train.jsonl", rows)
    window = full_window(make_window)
    opener = open_with(window, qtbot, other, out, tmp_path)
    assert opener.opened is None
    box = opener.message_box
    assert box.objectName() == "open_analysis_error_box"
    assert "other data" in box.text() and str(out) in box.text()
    assert "train.jsonl changed" in box.informativeText()
    assert load_proposals(window.project.store).height == 0  # nothing adopted
    issues = window.features.issues
    assert issues.table is None
    box.close()


def test_open_analysis_in_the_file_menu_opens_the_data_it_names(
    make_window, made, qtbot, no_recompute
):
    _data, out = made
    window = full_window(make_window)
    titles = [a.objectName() for a in window.actions.menu("File").actions()]
    assert titles.index("file.open_analysis") == titles.index("file.open_folder") + 1
    opener = window.features.open_analysis
    opener.open_folder(out)  # no dataset open: the manifest's target is opened first
    qtbot.waitUntil(lambda: opener.opened is not None, timeout=WAIT_MS)
    assert window.project.dataset.height == 35 and window.features.map.has_map()
    assert no_recompute == []


def test_inspector_path_analysis_dir_reaches_the_window(monkeypatch, tmp_path):
    import inspector.ui.shell.app as app
    from inspector.cli import main

    seen: dict = {}
    monkeypatch.setattr(app, "run_app", lambda path, **kw: seen.update(path=path, **kw) or 0)
    assert main([str(tmp_path / "train.jsonl"), "--analysis", str(tmp_path / "out")]) == 0
    assert seen["path"] == str(tmp_path / "train.jsonl")
    assert seen["analysis"] == str(tmp_path / "out")
