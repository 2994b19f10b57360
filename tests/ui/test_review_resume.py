"""Resuming a review session after closing the window: real key presses in one window, a new
window on the same data and project, the Review dock's Resume button, and the store read back
through a fresh connection."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from inspector.core.labels.labelbook import LabelBook
from inspector.core.labels.review_state import SessionLog
from inspector.core.project import open_project
from inspector.ui.review.review_resume import RESUME_ID

K = Qt.Key
N_ROWS = 30


def write_rows(path: Path, numbers) -> Path:
    path.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"s{i:02d}",
                    "instruction": f"Question number {i}: what is {i} plus {i}?",
                    "output": f"The answer is {2 * i}.",
                }
            )
            + "\n"
            for i in numbers
        )
    )
    return path


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_rows(tmp_path / "qa.jsonl", range(N_ROWS))


def press(key, times: int = 1) -> None:
    for _ in range(times):
        widget = QApplication.focusWidget()
        assert widget is not None, "nothing has the keyboard focus"
        QTest.keyClick(widget, key)


def shown_question(review) -> int:
    """The number of the question on the session's screen."""
    text = review.view.sample.toPlainText()
    return int(text.split("Question number ")[1].split(":")[0])


def test_close_the_window_mid_queue_and_resume_in_a_new_one(qtbot, open_review, data, tmp_path):
    window, review = open_review(data)
    assert not review.resumer.panel.resume_button.isVisible()  # nothing saved yet
    session = review.start("random:10", seed=3)
    order = session.queue.rows.tolist()
    press(K.Key_A)  # keep
    press(K.Key_X)  # drop
    press(K.Key_Space)  # unsure
    press(K.Key_Right)  # skip the fourth
    press(K.Key_K, times=3)  # and look back at the second one: the place saved is 1
    assert session.index == 1
    window.close()  # mid-queue; every key press was already saved

    window, review = open_review(data)
    keeper = review.resumer
    button = keeper.panel.resume_button
    assert button.isVisible()
    assert button.text() == "Resume ‘Random sample of 10’ — 3 of 10 decided"
    assert window.actions[RESUME_ID].isEnabled()
    assert "Labels" in window.actions.spec(RESUME_ID).menu
    assert review.session is None and review.stack.currentWidget() is review.main_page

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    session = review.session
    assert review.stack.currentWidget() is review.view
    assert QApplication.focusWidget() is review.view  # the keys work at once
    # the same ten rows in the same order (not a new random draw), on the first undecided one
    # at or after the saved place: the fourth, skipped before the window closed
    assert session.queue.rows.tolist() == order
    assert session.index == 3
    assert shown_question(review) == order[3]
    assert session.title == "Random sample of 10"
    assert review.view.progress_label.text() == "4 / 10 · 1 drop · 1 keep · 1 unsure"
    assert not window.actions[RESUME_ID].isEnabled()  # it is the session on screen
    assert not button.isVisible()
    assert keeper.panel.status.text().startswith("Reviewing ‘Random sample of 10’")

    press(K.Key_X)  # the decisions go on where they stopped
    assert session.index == 4
    # the place is written once the keys pause (decisions at once, on the key press)
    qtbot.waitUntil(lambda: not review.resumer._save_timer.isActive(), timeout=5_000)

    project = open_project(data, project_path=tmp_path / "project.sqlite")
    try:
        book = LabelBook(project.store, project.dataset)
        got = [book.state(f"s{r:02d}") for r in order[:4]]
        assert [g.decision if g else None for g in got] == ["keep", "drop", "unsure", "drop"]
        saved = SessionLog(project.store).latest_unfinished()
        assert saved is not None and saved.position == 4 and saved.decided == 4
        assert len(SessionLog(project.store).recent()) == 1  # resumed, not saved again
    finally:
        project.close()


def test_finishing_the_list_stops_offering_it(qtbot, open_review, data):
    window, review = open_review(data)
    review.start("random:3", seed=1)
    press(K.Key_A, times=3)
    assert review.session.done
    keeper = review.resumer
    assert keeper.offer is None and not window.actions[RESUME_ID].isEnabled()
    window.close()

    window, review = open_review(data)
    keeper = review.resumer
    assert not keeper.panel.resume_button.isVisible()
    assert not window.actions[RESUME_ID].isEnabled()
    assert [keeper.panel.recent.item(i).text() for i in range(keeper.panel.recent.count())] == [
        "Random sample of 3 — 3 of 3 decided · finished"
    ]
    assert keeper.resume() is None
    assert "No review session to resume" in window.statusBar().currentMessage()


def test_the_labels_action_resumes_and_says_what_left_the_data(qtbot, open_review, data):
    window, review = open_review(data)
    session = review.start("all")
    press(K.Key_A, times=5)  # s00-s04 kept; on s05
    assert session.index == 5
    window.close()
    write_rows(data, [i for i in range(N_ROWS) if i not in (2, 7, 8)])  # rows deleted since

    window, review = open_review(data)
    assert window.actions[RESUME_ID].isEnabled()
    window.actions.trigger(RESUME_ID)
    session = review.session
    assert len(session) == N_ROWS - 3
    assert shown_question(review) == 5  # the same sample, one place earlier in the list
    assert session.index == 4
    assert review.resumer.last_restored.missing == 3
    message = window.statusBar().currentMessage()
    assert "Resumed ‘All samples’ at 5 of 27" in message
    assert "3 saved samples are no longer in the data" in message


def test_the_recent_list_resumes_an_older_session(qtbot, open_review, data):
    window, review = open_review(data)
    review.start("random:5", seed=2)
    press(K.Key_X)
    first = review.session.queue.rows.tolist()
    review.start("all")  # a newer session: the random one stays in the list
    press(K.Key_A)
    review.leave()
    keeper = review.resumer
    panel = keeper.panel
    texts = [panel.recent.item(i).text() for i in range(panel.recent.count())]
    # the sample dropped in the random list is one of all the samples too
    assert texts == ["All samples — 2 of 30 decided", "Random sample of 5 — 1 of 5 decided"]
    assert panel.resume_button.text() == "Resume ‘All samples’ — 2 of 30 decided"

    item = panel.recent.item(1)
    rect = panel.recent.visualItemRect(item)
    newer = review.session
    QTest.mouseClick(panel.recent.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QTest.mouseDClick(panel.recent.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: review.session is not newer, timeout=5_000)
    session = review.session
    assert session.queue.rows.tolist() == first and session.index == 1
    assert np.array_equal(session.current_rows(), [first[1]])
    # now the most recently used: the list shows it first
    assert panel.recent.item(0).text().startswith("Random sample of 5")
