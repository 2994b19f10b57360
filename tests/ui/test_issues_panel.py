"""The Issues dock in the real window: Find issues fills the counts, a finder selects its rows,
a duplicate group shows side by side, "Review this list" starts a session, rules rerun."""

from __future__ import annotations

import builders  # tests/builders.py: the planted rows
import numpy as np
import pytest
from PySide6.QtCore import Qt

from inspector.core.junk.project_junk import AnalysisParams
from inspector.core.map.project_map import MapParams


@pytest.fixture
def window(make_window, tmp_path, qtbot):
    from inspector.ui.shell.features import install_issues, install_review

    data = builders.write_jsonl(tmp_path / "train.jsonl", builders.planted_rows())
    w = make_window(data, project_path=str(tmp_path / "p.sqlite"))
    install_review(w)
    issues = install_issues(w)
    issues.params = AnalysisParams(map=MapParams(vectors_column="vec"))
    return w


def find(window, qtbot):
    issues = window.features.issues
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    if window.jobs.current("issues") is None and issues.result is None:
        window.actions.trigger("issues.find")  # the offscreen platform may not deliver it
    qtbot.waitUntil(lambda: issues.result is not None, timeout=120_000)
    return issues


def ids_of(window, rows) -> set[str]:
    ids = window.project.dataset.ids
    return {str(ids[int(r)]) for r in rows}


def test_find_issues_fills_the_panel_and_selects_rows(window, qtbot):
    issues = find(window, qtbot)
    panel = issues.panel
    labels = [panel.list.item(i).text() for i in range(panel.list.count())]
    assert any(t.startswith("Exact duplicate groups — 1 groups · 2 rows") for t in labels)
    assert any(t.startswith("Near-duplicate groups (MinHash) — 1 groups") for t in labels)
    assert any(t.startswith("Semantic duplicate groups — 1 groups") for t in labels)
    assert any(t.startswith("response.refusal — 1 rows") for t in labels)
    assert any(t.startswith("response.empty — 1 rows") for t in labels)
    assert panel.finder("eval_leak") is not None

    panel.choose("response.refusal")
    assert ids_of(window, window.selected_rows()) == {"s34"}
    assert ids_of(window, window.view_rows()) == {"s34"}

    panel.choose("exact_duplicate")
    assert ids_of(window, window.selected_rows()) == {"s03", "s30"}
    # the sample pane shows the group side by side
    assert issues.sample_stack.currentWidget() is issues.group_view
    assert ids_of(window, issues.group_view.rows) == {"s03", "s30"}
    assert "kept" in issues.group_view.current_html and "removed" in issues.group_view.current_html

    panel.choose("minhash_duplicate")
    view = issues.group_view
    assert ids_of(window, view.rows) == {"s05", "s31"}
    assert "zebra" in view.current_html and "background:#ffe08a" in view.current_html
    assert "similarity" in view.current_html


def test_review_this_list_starts_a_session(window, qtbot):
    issues = find(window, qtbot)
    issues.panel.choose("semantic_duplicate")
    qtbot.mouseClick(issues.panel.review_button, Qt.MouseButton.LeftButton)
    session = window.features.review.session
    assert session is not None and session.is_groups
    groups = [set(ids_of(window, g)) for g in session.queue.groups]
    assert groups == [{"s07", "s32"}]  # this finder's groups, not every finder's

    issues.panel.choose("exact_duplicate")
    qtbot.mouseClick(issues.panel.review_button, Qt.MouseButton.LeftButton)
    groups = [set(ids_of(window, g)) for g in window.features.review.session.queue.groups]
    assert groups == [{"s03", "s30"}]

    issues.panel.choose("response.refusal")
    qtbot.mouseClick(issues.panel.review_button, Qt.MouseButton.LeftButton)
    session = window.features.review.session
    assert ids_of(window, session.queue.rows) == {"s34"}


def test_rules_switch_off_reruns_quality_only(window, qtbot):
    issues = find(window, qtbot)
    dialog = issues.show_rules_dialog()
    dialog.set_action("refusal", "off")
    dialog.accept()
    qtbot.waitUntil(lambda: "response.refusal.flag" not in issues.table.columns, timeout=30_000)
    assert issues.panel.finder("response.refusal") is None
    assert issues.panel.finder("exact_duplicate") is not None  # duplicates kept
    from inspector.core.export.filterfile import load_proposals

    reasons = set(load_proposals(window.project.store)["reason"])
    assert "response.refusal" not in reasons and "exact_duplicate" in reasons


def test_calibration_counts_and_map_colours(window, qtbot):
    issues = find(window, qtbot)
    dialog = issues.show_calibration()
    dialog.set_threshold(0.98)
    # the exact and near copies share their vectors too, but those finders took them first:
    # the dialog counts the semantic groups the Issues list shows
    assert dialog.counts_label.text().startswith("1 groups · 2 rows in groups")
    assert dialog.pairs.rowCount() > 0
    dialog.set_threshold(0.8)
    assert dialog.threshold() == pytest.approx(0.8)
    dialog.reject()
    codes, names = issues._dup_kind_colour(window.project)
    assert set(names.values()) >= {"exact_duplicate"}
    assert np.count_nonzero(codes >= 0) == 6
