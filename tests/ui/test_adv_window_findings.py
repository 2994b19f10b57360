"""What a new user found in the window (issue 9, items 15 and 16), driven through the real
window: one count of duplicate groups everywhere, each group with its kept row; rows counted
from 1 on the map as in the table; map keys never fire from a text box; leaving a review
never shows a row the filter hides; the threshold dialog after a restart; "More like this"
by similarity; the length colours labelled in characters."""

from __future__ import annotations

import re

import builders  # tests/builders.py: the planted rows
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolButton
from test_issues_panel import find, ids_of  # the Issues dock harness
from test_map_panel import (  # the three-topic map (tests/ui is on sys.path)
    mapped,  # noqa: F401 - fixture
    topic_rows,
    topics_file,  # noqa: F401 - fixture
)

from inspector.core.junk.project_junk import AnalysisParams
from inspector.core.map.project_map import MapParams

SEMANTIC = "semantic_duplicate"


def open_mixed(make_window, tmp_path, qtbot):
    from inspector.ui.shell.features import install_issues, install_review

    data = builders.write_jsonl(tmp_path / "train.jsonl", builders.mixed_rows())
    w = make_window(data, project_path=str(tmp_path / "p.sqlite"))
    install_review(w)
    issues = install_issues(w)
    issues.params = AnalysisParams(map=MapParams(vectors_column="vec"))
    return w


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

    choices = {c.kind: c for c in window.features.review.sources.queue_choices()}
    dups = choices["dups"]
    assert dups.count == 3  # the minhash group {s05, s31} and the two semantic groups
    options = dict(dups.options)
    assert re.search(r"\((\d+)\)", options[SEMANTIC]).group(1) == "2"
    assert "exact_duplicate" not in options  # its only copy joined a semantic group

    qtbot.mouseClick(panel.review_button, Qt.MouseButton.LeftButton)
    session = window.features.review.session
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


# -- item 16 ----------------------------------------------------------------------------------


def test_map_tooltip_counts_rows_from_one_as_the_table_does(mapped) -> None:  # noqa: F811
    window, panel = mapped
    html = panel.view.preview_html(0)
    table_number = window.model.headerData(0, Qt.Orientation.Vertical)
    assert table_number == "1" and f"#{table_number} ·" in html
    assert window.project.dataset.ids[0] in html


def test_map_keys_typed_after_the_expression_clear_button_go_into_the_box(
    qtbot,
    mapped,  # noqa: F811
) -> None:
    window, panel = mapped
    view = panel.view

    def width() -> float:
        x0, _, x1, _ = view.view_rect()
        return x1 - x0

    box = window.filter_bar.expr_box
    box.setText("length(output) > 5")
    view.setFocus()  # the user was on the map, then clicks the box's clear button
    clear = next(b for b in box.findChildren(QToolButton) if b.isVisible())
    qtbot.mouseClick(clear, Qt.MouseButton.LeftButton)
    assert box.text() == ""
    before = width()
    for key in (Qt.Key.Key_0, Qt.Key.Key_Plus):
        widget = QApplication.focusWidget()
        assert widget is not None
        QTest.keyClick(widget, key)  # where the keyboard sends it
    assert box.text() == "0+"
    assert width() == pytest.approx(before)


def test_more_like_this_lists_the_nearest_first(qtbot, mapped) -> None:  # noqa: F811
    window, panel = mapped
    search = window.features.search
    row = int(topic_rows("astronomy")[3])
    window.set_current_row(row)
    with qtbot.waitSignal(search.searched, timeout=60_000):
        search.more_like_this(row)
    hits = search.hits
    assert np.all(np.diff(hits.scores) <= 0)  # the panel's own list is best first
    shown = window.view_rows().tolist()
    assert shown[0] == row and shown[1:] == [r for r in hits.rows.tolist() if r != row]
    assert shown[1:] != sorted(shown[1:])  # not file order
    assert f"like #{row + 1}" in search.info.text()


def test_length_colours_are_labelled_in_characters(mapped) -> None:  # noqa: F811
    window, panel = mapped
    panel.set_colour("length")
    legend = panel.view.legend()
    assert legend.kind() == "continuous"
    assert "characters" in legend.title() and "log" not in legend.title()
    from inspector.core.data.dataset import LENGTH

    lengths = window.project.dataset.frame[LENGTH].to_numpy()
    lo, hi = legend.value_range()
    assert lengths.min() <= lo < hi <= lengths.max()


def test_leaving_a_review_shows_a_row_the_table_shows(qtbot, open_review, alpaca_file) -> None:
    window, review = open_review(alpaca_file)
    with qtbot.waitSignal(window.filterApplied, timeout=10_000):
        window.filter_bar.text_box.setText("haiku")
        window.filter_bar.apply()
    shown = window.view_rows().tolist()
    assert shown == [1]
    session = review.start("all")
    assert session.current_row() == 0  # hidden by the filter
    press_escape = QApplication.focusWidget()
    assert press_escape is not None
    QTest.keyClick(press_escape, Qt.Key.Key_Escape)
    assert not review.active
    assert window.current_row() in shown
    assert window.sample_view.row == window.current_row()


def test_threshold_works_after_a_restart_on_the_saved_analysis(
    make_window, tmp_path, qtbot
) -> None:
    first = open_mixed(make_window, tmp_path, qtbot)
    issues = find(first, qtbot)
    dialog = issues.show_calibration()
    counts = dialog.counts_label.text()
    dialog.reject()
    first.close()

    from inspector.ui.shell.features import install_issues

    again = make_window(tmp_path / "train.jsonl", project_path=str(tmp_path / "p.sqlite"))
    issues = install_issues(again)
    assert issues.result is None and issues.table is not None  # the saved analysis, shown
    assert issues.panel.calibrate_button.isEnabled()
    qtbot.mouseClick(issues.panel.calibrate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: issues.calibration_dialog is not None, timeout=60_000)
    assert issues.calibration_dialog.counts_label.text() == counts
    issues.calibration_dialog.reject()


def test_the_clear_buttons_leave_the_keyboard_in_their_box(qtbot, make_window) -> None:
    """On a real display the clear button takes no focus: the keyboard stayed on the map, so
    `0` and `+` typed "into the box" refit and zoomed the map. Clearing a box focuses it."""
    window = make_window()
    window.activateWindow()
    for box in (window.filter_bar.expr_box, window.filter_bar.text_box):
        box.setText("length(output) > 5")
        window.table.setFocus()
        qtbot.waitUntil(lambda: window.table.hasFocus(), timeout=2000)
        clear = box.findChildren(QToolButton)
        assert len(clear) == 1
        clear[0].click()  # a click on the button, which does not move the focus itself
        assert box.text() == ""
        qtbot.waitUntil(box.hasFocus, timeout=2000)
