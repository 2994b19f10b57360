"""What a new user found in the window (issue 9, items 15 and 16), driven through the real
window: one count of duplicate groups everywhere, each group with its kept row."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from inspector.core.project_junk import AnalysisParams
from inspector.core.project_map import MapParams

_spec = importlib.util.spec_from_file_location(
    "planted_findings", Path(__file__).parents[1] / "core" / "test_project_junk.py"
)
planted = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(planted)  # type: ignore[union-attr]

SEMANTIC = "semantic_duplicate"


def open_mixed(make_window, tmp_path, qtbot):
    from inspector.ui.issues_wiring import install_issues
    from inspector.ui.review_wiring import install_review

    data = planted.write_jsonl(tmp_path / "train.jsonl", planted.mixed_rows())
    w = make_window(data, project_path=str(tmp_path / "p.sqlite"))
    install_review(w)
    issues = install_issues(w)
    issues.params = AnalysisParams(map=MapParams(vectors_column="vec"))
    return w


def find(window, qtbot):
    issues = window.issues
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    if window.jobs.current("issues") is None and issues.result is None:
        window.actions.trigger("issues.find")  # the offscreen platform may not deliver it
    qtbot.waitUntil(lambda: issues.result is not None, timeout=120_000)
    return issues


def ids_of(window, rows) -> set[str]:
    ids = window.project.dataset.ids
    return {str(ids[int(r)]) for r in rows}


def numbers(text: str, *words: str) -> tuple[int, ...]:
    """The numbers before each word in ``text`` ("2 groups · 5 rows" → (2, 5))."""
    out = []
    for word in words:
        m = re.search(rf"([\d,]+) {word}", text)
        assert m, f"no '{word}' count in {text!r}"
        out.append(int(m.group(1).replace(",", "")))
    return tuple(out)


@pytest.fixture
def window(make_window, tmp_path, qtbot):
    return open_mixed(make_window, tmp_path, qtbot)


def test_issues_threshold_and_review_give_one_count(window, qtbot):
    issues = find(window, qtbot)
    panel = issues.panel
    semantic = panel.finder(SEMANTIC)
    label = next(
        panel.list.item(i).text()
        for i in range(panel.list.count())
        if panel.list.item(i).data(Qt.ItemDataRole.UserRole) == SEMANTIC
    )
    # {s03 kept, s30 exact copy, s35 semantic match} and {s07 kept, s32}: keepers listed
    assert numbers(label, "groups", "rows") == (2, 5)
    panel.choose(SEMANTIC)
    assert ids_of(window, window.view_rows()) == {"s03", "s30", "s35", "s07", "s32"}
    assert ids_of(window, semantic.rows) == ids_of(window, window.view_rows())

    dialog = issues.show_calibration()
    assert dialog is not None and dialog.threshold() == pytest.approx(issues.result.threshold)
    assert numbers(dialog.counts_label.text(), "groups", "rows in groups") == (2, 5)
    dialog.reject()

    choices = {c.kind: c for c in window.review.queue_choices()}
    dups = choices["dups"]
    assert dups.count == 3  # the minhash group {s05, s31} and the two semantic groups
    options = dict(dups.options)
    assert re.search(r"\((\d+)\)", options[SEMANTIC]).group(1) == "2"
    assert "exact_duplicate" not in options  # its only copy joined a semantic group

    qtbot.mouseClick(panel.review_button, Qt.MouseButton.LeftButton)
    session = window.review.session
    assert session is not None and session.is_groups and len(session) == 2
    assert {frozenset(ids_of(window, g)) for g in session.queue.groups} == {
        frozenset({"s03", "s30", "s35"}),
        frozenset({"s07", "s32"}),
    }


def test_a_row_of_a_finder_opens_a_group_of_that_finder(window, qtbot):
    issues = find(window, qtbot)
    panel = issues.panel
    for finder in [f for f in panel.finders if f.is_duplicates and len(f.rows)]:
        panel.choose(finder.key)
        word = finder.key.replace("_", " ")
        for row in finder.rows:
            window.set_current_row(int(row))
            assert issues.sample_stack.currentWidget() is issues.group_view
            html = issues.group_view.current_html
            assert f"<b>{word}</b> group" in html, (finder.key, row)
            assert html.count("<b>kept</b>") == 1
