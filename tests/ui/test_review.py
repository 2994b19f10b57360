"""Review sessions driven as a curator would: real key presses on the focused widget, then
the store read back through a fresh connection."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from PySide6.QtCore import QEvent, QObject, QSettings, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from inspector.core.export import filterfile
from inspector.core.export.apply import apply_filter
from inspector.core.labels.labelbook import LabelBook
from inspector.core.project import open_project
from inspector.ui.data.table_model import ID_COL

N_ROWS = 30
K = Qt.Key


def write_rows(path: Path, n: int = N_ROWS) -> Path:
    rows = [
        {
            "id": f"s{i:02d}",
            "instruction": f"Question number {i}: what is {i} plus {i}?",
            "input": "",
            "output": f"The answer is {2 * i}.",
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_rows(tmp_path / "qa.jsonl")


def press(key, modifier=Qt.KeyboardModifier.NoModifier, times: int = 1) -> None:
    """A real key press on whatever has the focus, as the keyboard would send it."""
    for _ in range(times):
        widget = QApplication.focusWidget()
        assert widget is not None, "nothing has the keyboard focus"
        QTest.keyClick(widget, key, modifier)


def fresh_book(path: Path, tmp_path: Path) -> tuple[LabelBook, object]:
    """The labels as a new process would see them: a new store connection."""
    project = open_project(path, project_path=tmp_path / "project.sqlite")
    return LabelBook(project.store, project.dataset), project


def decisions(book: LabelBook, ids: list[str]) -> list[str | None]:
    out = []
    for i in ids:
        label = book.state(i)
        out.append(label.decision if label else None)
    return out


def ids(*numbers: int) -> list[str]:
    return [f"s{i:02d}" for i in numbers]


# -- a session, key by key ---------------------------------------------------------------------


def test_session_decide_skip_tag_undo_redo_with_real_keys(open_review, data, tmp_path):
    window, review = open_review(data)
    session = review.start("all")
    assert review.stack.currentWidget() is review.view
    assert QApplication.focusWidget() is review.view
    assert "1 / 30 · 0 drop · 0 keep" == review.view.progress_label.text()
    assert "Question number 0" in review.view.sample.toPlainText()

    press(K.Key_A)  # keep s00
    press(K.Key_X)  # drop s01
    press(K.Key_Space)  # unsure s02
    assert session.index == 3
    assert review.view.progress_label.text() == "4 / 30 · 1 drop · 1 keep · 1 unsure"
    assert "Question number 3" in review.view.sample.toPlainText()
    press(K.Key_1)  # tag s03 "hallucination": no advance
    assert session.index == 3
    assert "hallucination" in review.view.tags_label.text()
    press(K.Key_Right)  # skip s03 without a decision
    press(K.Key_J)  # and s04
    assert session.index == 5
    press(K.Key_Left)
    press(K.Key_K)
    assert session.index == 3
    press(K.Key_X)  # drop s03 (keeps its tag)
    assert session.index == 4

    # Backspace undoes the drop and goes back to s03
    press(K.Key_Backspace)
    assert session.index == 3
    assert "NO DECISION" in review.view.badge.text().upper()
    # Ctrl+Shift+Z redoes it, on s03
    press(K.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert session.index == 3
    assert "DROP" in review.view.badge.text()
    # Ctrl+Z undoes again inside the session too
    press(K.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "NO DECISION" in review.view.badge.text().upper()
    press(K.Key_A)  # keep s03 instead

    book, project = fresh_book(data, tmp_path)
    try:
        assert decisions(book, ids(0, 1, 2, 3, 4)) == ["keep", "drop", "unsure", "keep", None]
        s03 = book.state("s03")
        assert s03.tags == ("hallucination",)
        assert s03.state.reason == "manual"
        assert s03.state.annotator and s03.state.timestamp.endswith("Z")
        assert book.counts() == {"keep": 2, "drop": 1, "unsure": 1}
    finally:
        project.close()


def test_undo_walks_back_through_the_samples_it_undid(open_review, data):
    window, review = open_review(data)
    session = review.start("all")
    press(K.Key_A)
    press(K.Key_X)
    press(K.Key_A)
    assert session.index == 3
    for expected in (2, 1, 0):
        press(K.Key_Backspace)
        assert session.index == expected
        assert review.hub.decision_of(expected) is None
    press(K.Key_Backspace)  # nothing left: stays, says so
    assert session.index == 0
    assert window.features.review.hub.book.counts() == {"keep": 0, "drop": 0, "unsure": 0}


def test_holding_a_decision_key_decides_once(open_review, data):
    from PySide6.QtGui import QKeyEvent

    window, review = open_review(data)
    session = review.start("all")
    press(K.Key_X)
    view = QApplication.focusWidget()

    def held(key, text: str) -> None:  # what the keyboard sends while a key is held down
        QApplication.sendEvent(
            view, QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier, text, True)
        )

    for _ in range(5):
        held(K.Key_X, "x")
    assert session.index == 1 and review.hub.book.counts()["drop"] == 1
    for _ in range(3):  # moving may repeat
        held(K.Key_Right, "")
    assert session.index == 4


def test_keys_faster_than_painting_land_on_the_right_rows(open_review, data):
    window, review = open_review(data)
    session = review.start("all")
    view = review.view
    paints: list[int] = []

    class Count(QObject):
        def eventFilter(self, obj, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                paints.append(view.sample.row)
            return False

    counter = Count()
    view.sample.viewport().installEventFilter(counter)
    landed: list[int] = []
    session.decided.connect(lambda row, _changes: landed.append(row))
    pattern = [K.Key_A, K.Key_X, K.Key_Space, K.Key_X] * 5  # 20 keys
    widget = QApplication.focusWidget()
    for key in pattern:  # no event processing in between: nothing gets painted
        QTest.keyClick(widget, key)
    assert paints == []
    assert landed == list(range(20))
    assert session.index == 20
    QApplication.processEvents()
    view.sample.viewport().removeEventFilter(counter)
    assert "Question number 20" in view.sample.toPlainText()
    name = {K.Key_A: "keep", K.Key_X: "drop", K.Key_Space: "unsure"}
    assert [review.hub.decision_of(r) for r in range(20)] == [name[k] for k in pattern]
    assert review.view.progress_label.text() == "21 / 30 · 10 drop · 5 keep · 5 unsure"


def test_unlabeled_queue_and_the_end_of_the_list(open_review, data):
    window, review = open_review(data)
    review.hub.decide(np.arange(27), "keep")
    session = review.start("unlabeled")
    assert len(session) == 3
    assert "Question number 27" in review.view.sample.toPlainText()
    press(K.Key_X, times=3)
    assert session.done
    assert review.view.pages.currentIndex() == 2
    assert "End of the list" in review.view.done_label.text()
    press(K.Key_A)  # nothing on screen: nothing happens
    assert review.hub.book.counts() == {"keep": 27, "drop": 3, "unsure": 0}
    press(K.Key_Left)
    assert session.index == 2


# -- duplicate groups and flags ----------------------------------------------------------------


def save_groups(window) -> None:
    filterfile.save_proposals(
        window.project.store,
        pl.DataFrame(
            {
                "id": ids(4, 5, 6, 10, 11, 20),
                "action": ["keep", "remove", "remove", "keep", "remove", "remove"],
                "reason": ["semantic_duplicate"] * 3 + ["exact_duplicate"] * 2 + ["empty_response"],
                "group_id": ["g1", "g1", "g1", "g2", "g2", None],
                "representative_id": ["s04", "s04", "s04", "s10", "s10", None],
                "similarity": [1.0, 0.97, 0.93, 1.0, 1.0, None],
            }
        ),
        source="finder",
    )


def test_duplicate_groups_side_by_side_keeper_by_number(open_review, data, tmp_path):
    window, review = open_review(data)
    save_groups(window)
    choices = {c.kind: c for c in review.sources.queue_choices()}
    assert choices["dups"].count == 2
    assert choices["flag"].options == (("empty_response", "empty_response (1)"),)
    session = review.start("dups")
    assert session.is_groups and len(session) == 2
    assert review.view.pages.currentIndex() == 1
    cards = [c for c in review.view._cards if not c.isHidden()]
    assert len(cards) == 3
    assert "Question number 5" in cards[1].view.toPlainText()
    assert "similarity 0.970" in cards[1].header.text()
    assert review.view.progress_label.text().startswith("1 / 2 groups")
    assert "keep this one, drop the rest" in review.view.hint_label.text()

    press(K.Key_2)  # keep s05, drop s04 and s06 as its duplicates
    assert session.index == 1
    press(K.Key_A)  # keep both of g2
    assert session.done
    press(K.Key_Backspace)  # undo the keep-all: back on g2
    assert session.index == 1
    assert review.hub.decision_of(10) is None
    press(K.Key_A)

    book, project = fresh_book(data, tmp_path)
    try:
        assert decisions(book, ids(4, 5, 6, 10, 11)) == ["drop", "keep", "drop", "keep", "keep"]
        s04 = book.state("s04").state
        assert (s04.reason, s04.group_id, s04.representative_id) == ("duplicate", "g1", "s05")
        assert book.state("s10").state.reason == "duplicate"
    finally:
        project.close()


def test_a_quality_flag_list_records_the_rule_as_reason(open_review, data, tmp_path):
    window, review = open_review(data)
    save_groups(window)
    session = review.start("flag:empty_response")
    assert session.queue.rows.tolist() == [20]
    press(K.Key_X)
    assert review.hub.book.state("s20").state.reason == "empty_response"


# -- leaving, context, help --------------------------------------------------------------------


def test_enter_shows_the_sample_in_context_and_esc_leaves(qtbot, open_review, data):
    window, review = open_review(data)
    # a filter that hides s05: show-in-context clears it
    window.filter_bar.text_box.setText("number 1")
    with qtbot.waitSignal(window.filterApplied, timeout=10_000):
        window.filter_bar.apply()
    session = review.start("all")
    press(K.Key_Right, times=5)
    press(K.Key_Return)
    assert not review.active
    assert review.stack.currentWidget() is review.main_page
    assert window.current_row() == 5
    assert window.selected_rows().tolist() == [5]
    assert window.filter_bar.text_box.text() == ""
    assert window.actions["review.resume"].isEnabled()
    # J is the table's key again outside the session
    press(K.Key_J)
    assert window.current_row() == 6
    window.actions.trigger("review.resume")
    assert review.active and session.index == 5
    press(K.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    assert window.help_overlay.isVisible()
    assert "Tag 1: hallucination" in window.help_overlay.html()
    press(K.Key_Escape)  # closes the overlay; keys go back to the session
    qtbot.waitUntil(lambda: QApplication.focusWidget() is review.view, timeout=2000)
    press(K.Key_Escape)  # leaves the session, on its sample
    assert not review.active and window.current_row() == 5


# -- bulk, undo outside sessions, the table ------------------------------------------------------


def test_bulk_label_selection_confirms_and_one_undo_reverts(qtbot, open_review, data, tmp_path):
    window, review = open_review(data)
    window.select_rows(np.arange(3, 13))
    window.actions.trigger("labels.drop_selection")
    box = review.selection.confirm_box
    assert box is not None and box.isVisible()
    assert "Label 10 rows as drop?" in box.text()
    assert "s03" in box.informativeText() and "and 5 more" in box.informativeText()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert review.hub.book.counts()["drop"] == 10
    book, project = fresh_book(data, tmp_path)
    assert decisions(book, ids(2, 3, 12, 13)) == [None, "drop", "drop", None]
    project.close()

    window.table.setFocus()
    press(K.Key_Z, Qt.KeyboardModifier.ControlModifier)  # Edit ▸ Undo, outside a session
    assert review.hub.book.counts()["drop"] == 0
    assert "Undid drop 10 rows" in window.statusBar().currentMessage()
    press(K.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert review.hub.book.counts()["drop"] == 10
    review._name_undo()
    assert window.actions["edit.undo"].text() == "&Undo drop 10 rows"


def test_table_marks_and_filters_by_decision(qtbot, open_review, data):
    window, review = open_review(data)
    review.hub.decide([1, 2], "drop")
    review.hub.decide([3], "keep")
    table = window.table
    assert table.itemDelegateForColumn(ID_COL) is review.delegate
    QApplication.processEvents()
    image = table.viewport().grab().toImage()
    rect = table.visualRect(window.model.index(1, ID_COL))
    drop = QColor(review.hub.colour("drop"))
    assert image.pixelColor(rect.left() + 1, rect.center().y()).name() == drop.name()
    rect0 = table.visualRect(window.model.index(0, ID_COL))
    assert image.pixelColor(rect0.left() + 1, rect0.center().y()).name() != drop.name()

    review.decision_filter.set_choice("drop")
    assert window.view_rows().tolist() == [1, 2]
    assert window.filter_bar.count_label.text() == "2 of 30 rows match"
    review.decision_filter.set_choice("none")
    assert len(window.view_rows()) == 27
    # a text filter runs under the decision filter
    window.filter_bar.text_box.setText("number 1")
    with qtbot.waitSignal(window.filterApplied, timeout=10_000):
        window.filter_bar.apply()
    assert window.view_rows().tolist() == list(range(10, 20))  # s01 is dropped
    review.decision_filter.set_choice("any")
    assert len(window.view_rows()) == 11


# -- filter files through the File menu ---------------------------------------------------------


def test_export_dialog_then_apply_jsonl(qtbot, open_review, data, tmp_path):
    window, review = open_review(data)
    file_titles = [a.text() for a in window.actions.menu("File").actions()]
    assert "&Export Filter List…" in file_titles and "&Import Filter…" in file_titles
    review.hub.decide([0, 5, 7], "drop")
    review.hub.decide([1], "keep")
    out = tmp_path / "out" / "filter.parquet"
    out.parent.mkdir()
    window.actions.trigger("file.export_filter")
    dialog = review.files.export_dialog
    dialog.path_edit.setText(str(out))
    dialog.proposals_box.setChecked(False)
    with qtbot.waitSignal(window.jobs.finished, timeout=20_000):
        dialog.accept()
    assert out.exists() and (out.parent / "manifest.json").exists()
    frame = pl.read_parquet(out)
    assert sorted(frame.filter(pl.col("action") == "remove")["id"].to_list()) == ids(0, 5, 7)
    assert "Wrote 4 rows" in window.statusBar().currentMessage()

    result = apply_filter(window.project.dataset, out, tmp_path / "clean.jsonl")
    assert result.removed == 3
    kept = [json.loads(line)["id"] for line in (tmp_path / "clean.jsonl").read_text().splitlines()]
    assert len(kept) == 27 and "s05" not in kept and "s01" in kept


def test_export_and_apply_parquet_shards(open_review, tmp_path):
    folder = tmp_path / "shards"
    folder.mkdir()
    for shard in range(2):
        pl.DataFrame(
            {
                "id": [f"p{shard}-{i}" for i in range(10)],
                "prompt": [f"Tell me fact {shard}.{i}" for i in range(10)],
                "response": [f"Fact {shard}.{i}" for i in range(10)],
            }
        ).write_parquet(folder / f"train-{shard:05d}.parquet")
    window, review = open_review(folder)
    session = review.start("all")
    press(K.Key_X)  # p0-0
    press(K.Key_A)
    session.go(15)
    press(K.Key_X)  # p1-5
    out = tmp_path / "filter.jsonl"
    result = review.files.export_now(out, "jsonl", include_proposals=False)
    assert result.format == "jsonl" and result.rows == 3
    applied = apply_filter(window.project.dataset, out, tmp_path / "clean")
    assert applied.removed == 2
    left = pl.read_parquet(tmp_path / "clean" / "train-00001.parquet")["id"].to_list()
    assert len(left) == 9 and "p1-5" not in left
    assert pl.read_parquet(tmp_path / "clean" / "train-00000.parquet").height == 9


def test_import_ids_as_decisions_and_nemo_parquet_as_proposals(open_review, data, tmp_path):
    window, review = open_review(data)
    id_list = tmp_path / "remove.txt"
    id_list.write_text("s02\ns03\nnot-here\n")
    result = review.files.import_now(id_list)
    assert (result.matched, result.not_found) == (2, 1)
    assert review.hub.decision_of(2) == review.hub.decision_of(3) == "drop"
    assert "2 ids not in this data" not in window.statusBar().currentMessage()
    assert "1 ids not in this data" in window.statusBar().currentMessage()
    review.undo()  # one step
    assert review.hub.decision_of(2) is None

    nemo = tmp_path / "nemo.parquet"
    pl.DataFrame({"id": ids(8, 9)}).write_parquet(nemo)
    review.files.import_now(nemo, as_="proposals", reason="nemo_dedup")
    assert review.hub.book.counts()["drop"] == 0  # proposals are not decisions
    choices = {c.kind: c for c in review.sources.queue_choices()}
    assert ("nemo_dedup", "nemo_dedup (2)") in choices["flag"].options
    session = review.start("flag:nemo_dedup")
    assert session.queue.rows.tolist() == [8, 9]


def test_import_dialog_reports_a_bad_file(open_review, data, tmp_path):
    window, review = open_review(data)
    bad = tmp_path / "bad.parquet"
    pl.DataFrame({"text": ["a", "b"], "score": [1, 2]}).write_parquet(bad)  # no id column
    window.actions.trigger("file.import_filter")
    dialog = review.files.import_dialog
    dialog.path_edit.setText(str(bad))
    dialog.accept()
    box = window.message_box
    assert box is not None and box.objectName() == "review_error_box"
    assert "bad.parquet" in box.text()
    box.close()


# -- the start dialog, the label set --------------------------------------------------------------


def test_start_dialog_offers_the_lists_and_starts(open_review, data):
    window, review = open_review(data)
    review.hub.decide([0, 1], "keep")
    window.select_rows(np.array([4, 6, 8]))
    window.actions.trigger("review.start")
    dialog = review.start_dialog
    kinds = [c.kind for c in dialog.choices]
    assert kinds[:3] == ["unlabeled", "all", "random"]
    assert "selection" in kinds and "dups" not in kinds
    assert dialog.radios["unlabeled"].isChecked()
    dialog.choose("random", 7)
    assert dialog.spec() == "random:7"
    dialog.choose("selection")
    dialog.accept()
    assert review.active and review.session.queue.rows.tolist() == [4, 6, 8]
    assert review.view.title_label.text() == "Selection"


def test_label_set_editor_renames_tags_and_rebinds_keys(open_review, data, tmp_path):
    window, review = open_review(data)
    window.actions.trigger("labels.edit_set")
    dialog = review.label_set_dialog
    first_tag = len(review.hub.label_set.decisions)
    dialog.table.item(first_tag, 0).setText("made up")
    dialog.table.item(1, 1).setText("D")  # drop on D instead of X
    dialog._accept()
    assert window.actions["review.tag.1"].text() == "Tag 1: made up"
    session = review.start("all")
    press(K.Key_D)
    assert review.hub.decision_of(0) == "drop" and session.index == 1
    press(K.Key_1)
    assert review.hub.state(1).tags == ("made up",)
    book, project = fresh_book(data, tmp_path)
    try:
        from inspector.core.labels.states import load_label_set

        saved = load_label_set(project.store)
        assert saved.tags[0].name == "made up" and saved.decision("drop").key == "D"
    finally:
        project.close()


# -- the command line ---------------------------------------------------------------------------


def test_inspector_review_rejects_a_bad_queue(capsys, data):
    from inspector.cli import main

    assert main(["review", str(data), "--queue", "random:lots"]) == 1
    assert "random needs a sample size" in capsys.readouterr().err


def test_the_map_offers_decision_colours(open_review, data):
    pytest.importorskip("inspector.ui.shell.features")
    from inspector.ui.shell.features import install_map

    QSettings().setValue("map/auto", False)  # no map job: only the wiring is checked
    window, review = open_review(data)
    panel = install_map(window)
    review.map_link.hook()
    assert "source:decision" in panel.colour_keys()
    review.hub.decide([0], "drop")
    codes, names = panel._colour_sources["decision"](window.project)
    assert codes[0] == 1 and codes[1] == -1 and names[1] == "drop"


# -- notes ---------------------------------------------------------------------------------------


def type_into_focus(text: str) -> None:
    widget = QApplication.focusWidget()
    assert widget is not None
    QTest.keyClicks(widget, text)


def test_n_writes_a_note_on_the_sample_in_a_session(qtbot, open_review, data, tmp_path):
    window, review = open_review(data)
    session = review.start("all")
    press(K.Key_X)  # drop s00, on to s01
    press(K.Key_Left)  # back to s00
    press(K.Key_N)
    dialog = review.note_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.edit, timeout=5_000)
    type_into_focus("cites a paper that does not exist")
    press(K.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5_000)
    assert session.index == 0  # a note does not move the session
    assert "cites a paper" in review.view.badge.text()
    assert "DROP" in review.view.badge.text().upper()

    book, project = fresh_book(data, tmp_path)  # durable: a new connection sees it
    assert book.state("s00").note == "cites a paper that does not exist"
    assert book.state("s00").decision == "drop"
    project.close()

    # N again opens it with the note in place; an empty note clears it; undo brings it back
    qtbot.waitUntil(lambda: QApplication.focusWidget() is review.view, timeout=5_000)
    press(K.Key_N)
    again = review.note_dialog
    assert again.edit.toPlainText() == "cites a paper that does not exist"
    again.edit.clear()
    again.accept()
    assert review.hub.state(0).note is None
    window.actions.trigger("edit.undo")
    assert review.hub.state(0).note == "cites a paper that does not exist"

    out = tmp_path / "filter.jsonl"
    filterfile.export_filter(window.project.dataset, window.project.store, out)
    frame = pl.read_ndjson(out)
    assert frame.filter(pl.col("id") == "s00")["note"][0] == "cites a paper that does not exist"


def test_note_on_a_selection_outside_a_session(qtbot, open_review, data, tmp_path):
    window, review = open_review(data)
    window.select_rows([2, 3, 5])
    window.actions.trigger("labels.note_selection")
    dialog = review.selection.note_dialog
    assert "3 samples" in dialog.findChild(type(dialog.layout().itemAt(0).widget())).text()
    dialog.edit.setPlainText("all three from the same scraped forum")
    dialog.accept()
    for row in (2, 3, 5):
        assert review.hub.state(row).note == "all three from the same scraped forum"
    assert review.hub.state(4).note is None
    book, project = fresh_book(data, tmp_path)
    assert [book.state(i).note for i in ids(2, 3)] == ["all three from the same scraped forum"] * 2
    project.close()
