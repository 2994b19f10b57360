"""The compare view (issue 16): one prompt's answers side by side, keys pick the best, the
worst or a tie, each a label command with undo; checked in the store afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from inspector.core.labels.labelbook import LabelBook
from inspector.core.labels.states import labels_frame
from inspector.core.pairs.decisions import read_decisions
from inspector.core.pairs.groups import prompt_groups
from inspector.core.project import open_project
from inspector.ui.review.compare_view import CompareView


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def rows() -> list[dict]:
    """UltraFeedback-style: three prompts with three completions each, Markdown in them."""
    return [
        {
            "id": f"u{i}",
            "prompt": f"Explain **topic {i}**.",
            "completions": [
                {"model": m, "response": f"# {m}\n\n- point one on {i}\n- point two"}
                for m in ("alpha", "beta", "gamma")
            ],
        }
        for i in range(3)
    ]


@pytest.fixture
def view(qtbot, tmp_path):
    data = write_jsonl(tmp_path / "uf.jsonl", rows())
    project = open_project(data, project_path=tmp_path / "p.sqlite")
    book = LabelBook(project.store, project.dataset, annotator="tester")
    widget = CompareView(book, prompt_groups(project.dataset))
    qtbot.addWidget(widget)
    widget.resize(1600, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.setFocus()
    yield widget
    project.close()


def stored(view) -> list[tuple]:
    decisions = read_decisions(labels_frame(view.book.store), view.groups)
    return [(d.group.number, d.best, d.worst, d.tie) for d in decisions]


def test_keys_pick_best_worst_and_tie_and_move_on(view, qtbot):
    assert len(view.answer_views) == 3
    assert "alpha" in view.answer_titles[0].text()
    assert "point one on 0" in view.answer_views[0].toPlainText()
    assert "#" not in view.answer_views[0].toPlainText()  # the heading is rendered
    qtbot.keyClick(view, Qt.Key.Key_2)
    assert view.position == 0 and "best" in view.answer_titles[1].text()
    qtbot.keyClick(view, Qt.Key.Key_3, Qt.KeyboardModifier.ShiftModifier)
    assert view.position == 1  # best and worst marked: the next prompt
    qtbot.keyClick(view, Qt.Key.Key_Space)  # skip prompt 2
    assert view.position == 2
    qtbot.keyClick(view, Qt.Key.Key_Equal)
    assert stored(view) == [(0, 1, 2, False), (2, None, None, True)]
    state = view.book.state("u0")
    assert state.tags == ("pref:best:1", "pref:worst:2") and state.state.annotator == "tester"
    assert state.decision is None


def test_shifted_symbol_marks_the_worst_and_undo_goes_back(view, qtbot):
    qtbot.keyClick(view, Qt.Key.Key_1)
    qtbot.keyClick(view, Qt.Key.Key_At, Qt.KeyboardModifier.ShiftModifier)  # Shift+2 (US)
    assert stored(view) == [(0, 0, 1, False)] and view.position == 1
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored(view) == [(0, 0, None, False)]
    assert view.position == 0  # back on the prompt the undo touched
    qtbot.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert stored(view) == []
    qtbot.keyClick(
        view,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert stored(view) == [(0, 0, None, False)]


def test_a_key_past_the_answers_does_nothing(view, qtbot):
    qtbot.keyClick(view, Qt.Key.Key_7)
    assert stored(view) == [] and view.position == 0
