"""The real window, driven as a user would: open, read, filter, sort, choose a format."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QTextTable
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel

from inspector.ui.common.sample_view import CHOSEN_MARK, REJECTED_MARK
from inspector.ui.data.table_model import LENGTH_COL, PREVIEW_COL


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


def click_row(window, view_row: int) -> None:
    table = window.table
    rect = table.visualRect(window.model.index(view_row, PREVIEW_COL))
    from pytestqt.qtbot import QtBot

    QtBot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def type_filter(qtbot, window, box, text: str) -> int:
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)
    with qtbot.waitSignal(window.filterApplied, timeout=10_000) as blocker:
        qtbot.keyClick(box, Qt.Key.Key_Return)
    return blocker.args[0]


def shown_previews(window) -> list[str]:
    m = window.model
    return [m.data(m.index(r, PREVIEW_COL)) for r in range(m.rowCount())]


def test_open_shows_every_row_and_the_facts(make_window, alpaca_file):
    window = make_window(alpaca_file)
    assert window.model.rowCount() == 6
    assert window.project.dataset.height == 6
    status = {n: label.text() for n, label in window.status_labels.items()}
    assert status["rows"] == "6 rows"
    assert status["format"].startswith("alpaca")
    assert status["size"].endswith("bytes")
    assert status["id"] == "ids: content hash"
    assert window.filter_bar.count_label.text() == "6 rows"
    assert "alpaca.jsonl" in window.windowTitle()
    assert window.recent_paths()[0] == str(alpaca_file)
    # the first sample is shown straight away
    assert "Name a colour of the sky" in window.sample_view.toPlainText()


def test_selecting_a_row_fills_the_sample_pane(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    rows: list[int] = []
    window.currentRowChanged.connect(rows.append)
    click_row(window, 3)
    text = window.sample_view.toPlainText()
    assert "Translate to French" in text and "good morning" in text and "Bonjour" in text
    assert "INSTRUCTION" in text and "INPUT" in text and "OUTPUT" in text
    assert "alpaca.jsonl:4" in text  # file and line
    assert rows == [3] and window.current_row() == 3
    # code is drawn in a box, and nothing from the data is taken as markup
    click_row(window, 2)
    text = window.sample_view.toPlainText()
    assert "print('hello')" in text and "That prints <hello>." in text
    assert "```" not in text


def test_keys_move_through_samples(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    assert window.current_row() == 2
    qtbot.keyClick(window.table, Qt.Key.Key_K)
    assert window.current_row() == 1
    assert "haiku" in window.sample_view.toPlainText()
    for spec in window.actions:
        assert not spec.action.autoRepeat(), spec.id


def test_substring_filter_narrows_the_table(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    box = window.filter_bar.text_box
    assert type_filter(qtbot, window, box, "FRENCH") == 1  # case-insensitive by default
    assert shown_previews(window) == ["Translate to French good morning"]
    assert window.filter_bar.count_label.text() == "1 of 6 row matches"
    assert "Bonjour" in window.sample_view.toPlainText()
    # searching looks through the outputs too
    assert type_filter(qtbot, window, box, "leaves") == 1  # replaces the text
    # case toggle
    window.filter_bar.case_button.setChecked(True)
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=5000)
    assert "No rows match" in window.sample_view.toPlainText()
    window.filter_bar.case_button.setChecked(False)
    with qtbot.waitSignal(window.filterApplied, timeout=5000):
        window.actions.trigger("edit.clear_filter")
    assert window.model.rowCount() == 6
    assert window.filter_bar.count_label.text() == "6 rows"


def test_typing_filters_after_a_pause(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    with qtbot.waitSignal(window.filterApplied, timeout=5000):
        qtbot.keyClicks(window.filter_bar.text_box, "haiku")
    assert window.model.rowCount() == 1


def test_expression_filter_and_inline_errors(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    bar = window.filter_bar
    assert type_filter(qtbot, window, bar.expr_box, "length(output) < 8") == 3
    assert sorted(shown_previews(window)) == sorted(
        ["Name a colour of the sky", "What is 2+2?", "Translate to French good morning"]
    )
    # a bad column name: the error shows under the bar, in red, and no dialog opens
    assert type_filter(qtbot, window, bar.expr_box, "length(nope) < 6") == -1
    assert bar.error_label.isVisible() and "nope" in bar.error_label.text()
    assert "#dc2626" in bar.error_label.styleSheet()
    assert window.model.rowCount() == 3  # the last good result stays
    # a bad regex
    bar.expr_box.clear()
    bar.regex_button.setChecked(True)
    qtbot.waitUntil(lambda: not window.jobs.running(), timeout=5000)
    assert type_filter(qtbot, window, bar.text_box, "(unclosed") == -1
    assert bar.error_label.isVisible() and "regular expression" in bar.error_label.text()
    assert not [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not window]
    # fixing it clears the error
    assert type_filter(qtbot, window, bar.text_box, "^(Write|Print)") == 2
    assert not bar.error_label.isVisible()


def test_sort_by_length_from_the_header(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    header = window.table.horizontalHeader()
    x = header.sectionViewportPosition(LENGTH_COL) + header.sectionSize(LENGTH_COL) // 2
    lengths = window.project.dataset.frame["__length"].to_numpy()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert list(lengths[window.view_rows()]) == sorted(lengths)
    assert header.sortIndicatorSection() == LENGTH_COL
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert list(lengths[window.view_rows()]) == sorted(lengths, reverse=True)
    assert shown_previews(window)[0] == "Summarise the plot of Hamlet"
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    assert list(window.view_rows()) == [0, 1, 2, 3, 4, 5]
    # a filter keeps the sort
    window.sort_by("length", descending=True)
    type_filter(qtbot, window, window.filter_bar.expr_box, "length(output) < 8")
    assert list(window.view_rows()) == [3, 0, 5]


def test_preference_pair_side_by_side_with_marked_words(make_window, tmp_path):
    path = write_jsonl(
        tmp_path / "pairs.jsonl",
        [
            {
                "prompt": "Is the sky blue?",
                "chosen": "Yes, the sky is blue on a clear day.",
                "rejected": "No, the sky is green on a clear day.",
            },
            {"prompt": "Say hi", "chosen": "Hi there!", "rejected": "Go away."},
        ],
    )
    window = make_window(path)
    assert window.project.dataset.spec.kind == "preference"
    view = window.sample_view
    html = view.current_html
    assert f"<span style='background-color:{CHOSEN_MARK}'>blue</span>" in html
    assert f"<span style='background-color:{REJECTED_MARK}'>green</span>" in html
    # the two sides sit in one table row, chosen left, rejected right
    tables = [f for f in view.document().rootFrame().childFrames() if isinstance(f, QTextTable)]
    pair = next(t for t in tables if t.columns() == 2 and t.rows() == 2)

    def cell_text(table, row, col):
        c = table.cellAt(row, col)
        cursor = c.firstCursorPosition()
        cursor.setPosition(c.lastCursorPosition().position(), cursor.MoveMode.KeepAnchor)
        return cursor.selectedText()

    assert "CHOSEN" in cell_text(pair, 0, 0) and "REJECTED" in cell_text(pair, 0, 1)
    assert "sky is blue" in cell_text(pair, 1, 0)
    assert "sky is green" in cell_text(pair, 1, 1)
    assert "Is the sky blue?" in view.toPlainText()


def test_chat_turns_are_labelled_by_role(make_window, tmp_path):
    path = write_jsonl(
        tmp_path / "chat.jsonl",
        [
            {
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Capital of France?"},
                    {"role": "assistant", "content": "Paris."},
                ]
            }
        ],
    )
    window = make_window(path)
    text = window.sample_view.toPlainText()
    assert text.index("SYSTEM") < text.index("Be brief.") < text.index("USER")
    assert text.index("USER") < text.index("Capital of France?") < text.index("ASSISTANT")
    assert "Paris." in text


def test_malformed_lines_open_after_choosing_skip(qtbot, make_window, tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"text": "one"}\n{"text": "two"\n{"text": "three"}\n')
    window = make_window()
    with qtbot.waitSignal(window.openFailed, timeout=10_000):
        window.open_path(path)
    dialog = window.bad_lines_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.table.topLevelItemCount() == 1
    item = dialog.table.topLevelItem(0)
    assert item.text(0).endswith("broken.jsonl") and item.text(1) == "2"
    assert window.project is None
    with qtbot.waitSignal(window.datasetOpened, timeout=10_000):
        qtbot.mouseClick(dialog.skip_button, Qt.MouseButton.LeftButton)
    assert window.model.rowCount() == 2
    assert window.status_labels["skipped"].text() == "1 bad line skipped"
    assert window.status_labels["skipped"].isVisible()


def test_unreadable_input_gets_a_clear_message(qtbot, make_window, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    window = make_window()
    with qtbot.waitSignal(window.openFailed, timeout=10_000):
        window.open_path(empty)
    box = window.message_box
    assert box is not None and box.isVisible()
    assert "empty" in box.text().lower() and "empty.jsonl" in box.informativeText()
    box.close()


def test_dropping_a_file_opens_it(qtbot, make_window, alpaca_file):
    window = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(alpaca_file))])
    centre = window.rect().center()
    enter = QDragEnterEvent(
        centre,  # QDragEnterEvent takes a QPoint (Qt's C++ signature)
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(centre),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(window.datasetOpened, timeout=10_000):
        QApplication.sendEvent(window, drop)
    assert window.model.rowCount() == 6


def test_format_override_is_remembered_across_a_reopen(qtbot, make_window, tmp_path):
    path = write_jsonl(
        tmp_path / "qa.jsonl",
        [
            {"prompt": "format-test question one", "response": "answer one", "notes": "note A"},
            {"prompt": "format-test question two", "response": "answer two", "notes": "note B"},
        ],
    )
    window = make_window(path)
    assert window.project.dataset.spec.kind == "prompt_completion"
    window.actions.trigger("dataset.format")
    dialog = window.format_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.set_kind("text")
    dialog.set_field("text", "notes")
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    with qtbot.waitSignal(window.formatChanged, timeout=5000):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert window.project.dataset.spec.fields == {"text": "notes"}
    assert "note A" in window.sample_view.toPlainText()
    assert window.status_labels["format"].text() == "text (text=notes)"
    assert window.model.data(window.model.index(1, PREVIEW_COL)) == "note B"
    window.close()

    again = make_window(path)
    assert again.project.dataset.spec.kind == "text"
    assert again.project.dataset.spec.fields == {"text": "notes"}
    assert "note A" in again.sample_view.toPlainText()


def test_format_dialog_says_what_is_missing(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    window.edit_format()
    dialog = window.format_dialog
    dialog.set_kind("generic")
    for check in dialog.column_checks.values():
        check.setChecked(False)
    dialog.accept()
    assert dialog.isVisible() and "at least one column" in dialog.error_label.text()
    dialog.reject()


def test_selection_api_speaks_dataset_rows(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    window.sort_by("length")
    seen: list[np.ndarray] = []
    window.selectionChanged.connect(seen.append)
    window.select_rows(np.array([4, 1, 0]))
    assert list(window.selected_rows()) == [0, 1, 4]
    assert list(seen[-1]) == [0, 1, 4]
    window.set_view_rows(np.array([1, 2, 3]))
    assert sorted(window.view_rows()) == [1, 2, 3]
    assert window.filter_bar.count_label.text() == "3 of 6 rows match"
    window.set_current_row(5)  # not in view: still shown in the sample pane
    assert window.current_row() == 5 and "2+2" in window.sample_view.toPlainText()


def test_help_overlay_lists_every_action_and_its_keys(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    window.activateWindow()
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_F1)
    overlay = window.help_overlay
    assert overlay.isVisible()
    text = overlay.label.text()
    for spec in window.actions:
        assert spec.title.replace("&", "").rstrip(".…") in text
    assert "Ctrl+O" in text and "F1" in text
    qtbot.keyClick(overlay, Qt.Key.Key_Escape)
    assert not overlay.isVisible()


def test_keymap_is_data_with_user_overrides(qtbot, make_window):
    window = make_window()
    assert window.actions.keys("file.open") == ["Ctrl+O"]  # from resources/keymap.toml
    window.actions.set_keys("file.open", ["Ctrl+Shift+Y"])
    assert window.actions["file.open"].shortcut().toString() == "Ctrl+Shift+Y"
    window.close()
    again = make_window()
    assert again.actions.keys("file.open") == ["Ctrl+Shift+Y"]
    again.actions.reset_keys("file.open")
    assert again.actions["file.open"].shortcut().toString() == "Ctrl+O"


def test_features_add_actions_and_docks(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    fired = []
    action = window.actions.register(
        "labels.reject",
        "Reject Sample",
        lambda: fired.append(window.current_row()),
        keys=["X"],
        menu="Labels",
        enabled_when=lambda: window.project is not None,
    )
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus.index("Labels") == menus.index("Help") - 1
    assert action.isEnabled()
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_X)
    assert fired == [0]
    # the Map placeholder is replaced by whoever supplies a map
    assert "No map yet" in window.docks["dock_map"].widget().text()
    real_map = QLabel("the map")
    dock = window.add_dock(real_map, "Map")
    assert dock is window.docks["dock_map"] and dock.widget() is real_map
    issues = window.add_dock(QLabel("issues"), "Issues", Qt.DockWidgetArea.BottomDockWidgetArea)
    assert window.dockWidgetArea(issues) == Qt.DockWidgetArea.BottomDockWidgetArea


def test_layout_is_restored(qtbot, make_window):
    window = make_window()
    window.docks["dock_map"].hide()
    window.resize(760, 540)
    window.splitter.setSizes([300, 600])
    sizes = window.splitter.sizes()
    window.close()
    assert QSettings().value("window/state") is not None
    again = make_window()
    assert not again.docks["dock_map"].isVisible()
    assert again.size().width() == 760
    assert again.splitter.sizes() == sizes


def test_unexpected_errors_are_shown_and_logged(qtbot, make_window):
    from inspector.ui.shell import app

    window = make_window()
    try:
        raise RuntimeError("boom from a test")
    except RuntimeError as exc:
        dialog = app.report_exception(type(exc), exc, exc.__traceback__, window)
    assert dialog is not None and dialog.isVisible()
    assert "boom from a test" in dialog.text()
    assert "test_unexpected_errors_are_shown_and_logged" in dialog.detailedText()
    log = app.log_path().read_text()
    assert "boom from a test" in log and "Traceback" in log
    dialog.close()


def test_recent_menu_reopens(qtbot, make_window, alpaca_file, tmp_path):
    other = write_jsonl(tmp_path / "other.jsonl", [{"text": "recent-test row"}])
    window = make_window(alpaca_file)
    with qtbot.waitSignal(window.datasetOpened, timeout=10_000):
        window.open_path(other)
    assert window.recent_paths()[:2] == [str(other), str(alpaca_file)]
    window.recent_menu.aboutToShow.emit()
    entries = [a for a in window.recent_menu.actions() if str(alpaca_file) in a.text()]
    with qtbot.waitSignal(window.datasetOpened, timeout=10_000):
        entries[0].trigger()
    assert window.target == str(alpaca_file) and window.model.rowCount() == 6
    assert json.loads(QSettings().value("recent/paths"))[0] == str(alpaca_file)


def test_close_dataset(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    window.actions.trigger("file.close")
    assert window.project is None and window.model.rowCount() == 0
    assert not window.actions["dataset.format"].isEnabled()
    assert not window.status_labels["rows"].isVisible()


def test_run_app_opens_the_path(qtbot, monkeypatch, alpaca_file):
    """``run_app(path)`` (what ``inspector PATH`` calls) shows the window with the data."""
    from PySide6.QtWidgets import QApplication as QApp

    from inspector.ui.shell import app, main_window

    shown = []

    def fake_exec() -> int:
        window = next(w for w in QApp.topLevelWidgets() if isinstance(w, main_window.MainWindow))
        qtbot.waitUntil(lambda: window.project is not None, timeout=10_000)
        shown.append(window.model.rowCount())
        window.close()
        window.deleteLater()
        return 0

    class Loop:
        exec = staticmethod(fake_exec)

    real_make_app = app.make_app
    monkeypatch.setattr(app, "make_app", lambda: (real_make_app(), Loop())[1])
    monkeypatch.setattr(app.signal, "signal", lambda *_: None)
    monkeypatch.setattr("sys.excepthook", sys.excepthook)
    assert app.run_app(str(alpaca_file), skip_bad_lines=False, kind=None) == 0
    assert shown == [6]


def test_long_work_shows_progress_and_can_be_cancelled(qtbot, make_window):
    import threading

    window = make_window()
    release = threading.Event()
    finished = []

    def job(_params, progress):
        progress.status("embedding", total=1000)
        progress.advance(10)
        release.wait(10)
        progress.advance()  # raises Cancelled once Cancel was pressed
        return "done"

    window.jobs.submit("embed", job, None, label="Embedding", on_done=finished.append)
    status = window.job_status
    qtbot.waitUntil(lambda: "embedding 10/1,000" in status.label.text(), timeout=5000)
    assert status.isVisible() and status.bar.maximum() == 1000
    qtbot.mouseClick(status.cancel_button, Qt.MouseButton.LeftButton)
    assert "cancelling" in status.label.text()
    release.set()
    qtbot.waitUntil(lambda: not status.isVisible(), timeout=5000)
    assert finished == []  # a cancelled job delivers nothing


def test_selecting_scattered_rows_after_select_all(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    window.table.selectAll()
    assert list(window.selected_rows()) == [0, 1, 2, 3, 4, 5]
    window.select_rows(np.array([5, 1, 3, 3]))
    assert list(window.selected_rows()) == [1, 3, 5]
    selected = {i.row() for i in window.table.selectionModel().selectedRows()}
    assert {window.model.dataset_row(r) for r in selected} == {1, 3, 5}
    # a click replaces the programmatic selection
    click_row(window, 0)
    assert list(window.selected_rows()) == [0]


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_opens_the_dialog_and_the_window_goes_on(
    qtbot, make_window, alpaca_file, monkeypatch
):
    from PySide6.QtCore import QTimer

    from inspector.ui.shell import app

    monkeypatch.setattr(app, "_dialog", None)
    monkeypatch.setattr(sys, "excepthook", app._excepthook)
    window = make_window(alpaca_file)

    def broken_slot():
        raise KeyError("a bug in a feature")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: app._dialog is not None and app._dialog.isVisible(), timeout=5000)
    assert "a bug in a feature" in app._dialog.text()
    assert "broken_slot" in app._dialog.detailedText()
    app._dialog.close()
    click_row(window, 3)  # still working
    assert "Bonjour" in window.sample_view.toPlainText()


def test_the_full_window_on_first_start(qtbot, alpaca_file, tmp_path):
    """What `inspector` shows: every feature installed, Review and Issues sharing the place
    under the map (Issues in front), and the app icon set."""
    from PySide6.QtWidgets import QApplication

    from inspector.ui.shell.app import build_window, make_app

    QSettings().clear()
    window = build_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    docks = window.docks
    assert {"dock_map", "dock_clusters", "dock_search", "dock_review", "dock_issues"} <= set(docks)
    assert docks["dock_issues"] in window.tabifiedDockWidgets(docks["dock_review"])
    assert not docks["dock_issues"].visibleRegion().isEmpty()  # in front
    make_app()  # the same application object, named and given the icon as `inspector` does
    assert not QApplication.windowIcon().isNull()
    assert not QApplication.windowIcon().pixmap(64, 64).isNull()  # the SVG renders
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.open_path(alpaca_file, project_path=tmp_path / "p.sqlite")
    assert window.model.rowCount() == 6
    window.close()


def test_sorting_keeps_the_selected_rows(qtbot, make_window, tmp_path):
    """Sorting moves rows, not the selection: labelling the selection after a sort labels
    the rows the user chose."""
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [{"instruction": "x" * (10 - i), "output": "y"} for i in range(10)],
    )
    window = make_window(path, project_path=tmp_path / "p.sqlite")
    window.set_current_row(3)
    window.select_rows(np.array([3, 4]))
    for column, descending in (("length", False), ("length", True), ("id", False), ("", False)):
        window.sort_by(column, descending)
        assert window.selected_rows().tolist() == [3, 4], column
        assert window.table.current_dataset_row() == 3, column


def test_selecting_every_row_does_not_tie_the_header_to_the_selection(make_window, tmp_path):
    """The column header keeps its own selection model: on the table's, Qt visits every
    selected row to decide each header section's look (10 s a paint at 1M rows selected)."""
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": f"row {i}"} for i in range(50)])
    window = make_window(path, project_path=tmp_path / "p.sqlite")
    table = window.table
    assert table.horizontalHeader().selectionModel() is not table.selectionModel()
    window.select_rows(np.arange(50))
    table.viewport().repaint()
    assert window.selected_rows().tolist() == list(range(50))
    assert not table.horizontalHeader().selectionModel().hasSelection()
    window.sort_by("id")
    assert window.selected_rows().tolist() == list(range(50))
