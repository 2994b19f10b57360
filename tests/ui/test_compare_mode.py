"""Review ▸ Compare Answers… in the real window (issue 16): rows that share a prompt side by
side, real key presses on the focused widget, the store read back afterwards, Esc back to the
reader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from inspector.core.labels.states import labels_frame
from inspector.core.pairs.decisions import read_decisions
from inspector.core.pairs.groups import prompt_groups
from inspector.core.project import open_project
from inspector.ui.shell.command_palette import entries

K = Qt.Key
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier
OPEN_TIMEOUT_MS = 20_000


def write_rows(path: Path) -> Path:
    """Alpaca rows: three prompts with three answers each, and one prompt answered once."""
    rows = []
    for p in range(3):
        for a in range(3):
            rows.append(
                {
                    "id": f"p{p}a{a}",
                    "instruction": f"Describe the planet number {p}.",
                    "input": "",
                    "output": f"Answer {a} to prompt {p}: **planet** {p} is large.",
                }
            )
    rows.append({"id": "lone", "instruction": "A lone prompt.", "input": "", "output": "Alone."})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def press(key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A real key press on whatever has the focus, as the keyboard would send it."""
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    QTest.keyClick(widget, key, modifier)


def stored(path: Path, tmp_path: Path) -> list[tuple]:
    """The compare decisions as a new process would read them (a new store connection)."""
    project = open_project(path, project_path=tmp_path / "project.sqlite")
    try:
        groups = prompt_groups(project.dataset)
        return [
            (d.group.number, d.best, d.worst, d.tie)
            for d in read_decisions(labels_frame(project.store), groups)
        ]
    finally:
        project.close()


@pytest.fixture
def compare_window(qtbot, make_window, tmp_path):
    from inspector.ui.shell.features import install_all

    data = write_rows(tmp_path / "answers.jsonl")
    window = make_window()
    install_all(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=OPEN_TIMEOUT_MS):
        window.open_path(data, project_path=tmp_path / "project.sqlite")
    window.resize(1600, 900)
    return window, window.features.compare, data


def test_compare_from_the_menu_keys_undo_and_esc(compare_window, tmp_path, qtbot):
    window, compare, data = compare_window
    review = window.features.review
    action = window.actions["review.compare"]
    window.actions.update_enabled()
    assert action.isEnabled()
    assert action in window.actions.menu("Review").actions()
    top = entries(window.actions, "compare answers")[0]  # the command palette finds it
    assert top.id == "review.compare" and top.enabled
    window.actions.trigger("review.compare")
    view = compare.view
    assert view is not None and compare.active
    assert review.stack.currentWidget() is view
    assert QApplication.focusWidget() is view
    assert len(view.groups) == 3  # the lone prompt is no group
    assert "Answer 0 to prompt 0" in view.answer_views[0].toPlainText()

    seen = []
    review.hub.changed.connect(lambda update: seen.append(update.changes.title))
    press(K.Key_2)  # best: answer 2 of prompt 0
    assert view.position == 0 and "best" in view.answer_titles[1].text()
    assert seen, "the labels hub heard of the mark"
    press(K.Key_3, SHIFT)  # worst: answer 3 -> prompt 0 decided, on to prompt 1
    assert view.position == 1
    press(K.Key_Space)  # skip prompt 1
    press(K.Key_Equal)  # prompt 2 is a tie: past the last prompt, the mode ends
    assert not compare.active
    assert stored(data, tmp_path) == [(0, 1, 2, False), (2, None, None, True)]

    # back in: Ctrl+Z undoes the tie (the view shows its prompt), Ctrl+Shift+Z redoes it
    window.actions.trigger("review.compare")
    view = compare.view
    press(K.Key_Z, CTRL)
    assert view.position == 2
    assert stored(data, tmp_path) == [(0, 1, 2, False)]
    press(K.Key_Z, CTRL | SHIFT)
    assert stored(data, tmp_path) == [(0, 1, 2, False), (2, None, None, True)]
    press(K.Key_Z, CTRL)
    # Esc leaves: the table and the reader are back, the reader shows a sample
    press(K.Key_Escape)
    assert not compare.active
    assert review.stack.currentWidget() is review.main_page
    assert window.sample_view.isVisible()
    assert window.current_row() is not None
    assert "Describe the planet" in window.sample_view.toPlainText()
    assert stored(data, tmp_path) == [(0, 1, 2, False)]


def test_compare_keys_are_in_the_help_overlay_and_follow_the_keymap(compare_window, tmp_path):
    window, compare, data = compare_window
    rows = {title: keys for menu, title, keys in window.actions.help_rows() if menu == "Compare"}
    assert rows["Answer 1 Is the Best"] == "1"
    assert rows["Answer 2 Is the Worst"] == "Shift+2"
    assert rows["Leave Compare"] == "Esc"
    assert "Answer 1 Is the Best" in window.help_overlay.html()

    window.actions.set_keys("compare.tie", ["T"])
    window.actions.trigger("review.compare")
    press(K.Key_Equal)  # no longer the tie key
    assert stored(data, tmp_path) == []
    press(K.Key_T)
    assert stored(data, tmp_path) == [(0, None, None, True)]
    # Shift+2 as a US keyboard sends it ("@") marks answer 2 the worst
    press(K.Key_At, SHIFT)
    assert stored(data, tmp_path)[1] == (1, None, 1, False)


def test_compare_is_off_for_data_with_one_answer_per_row(make_window, qtbot, tmp_path):
    from inspector.ui.shell.features import install_all

    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        "".join(
            json.dumps({"prompt": f"q{i}", "chosen": f"good {i}", "rejected": f"bad {i}"}) + "\n"
            for i in range(4)
        )
    )
    window = make_window()
    install_all(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=OPEN_TIMEOUT_MS):
        window.open_path(pairs, project_path=tmp_path / "project.sqlite")
    window.actions.update_enabled()
    assert not window.actions["review.compare"].isEnabled()
    assert window.features.compare.start() is None
