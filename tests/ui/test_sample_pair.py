"""The reader for a preference row (issue 16): in a 1600 px window each side gets at least
45% of the sample pane's width, and the word diff is shown only when the sides share enough
words for it to help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtGui import QTextCursor

from inspector.ui.common.sample_view import (
    CHOSEN_MARK,
    DIFF_MIN_SIMILARITY,
    REJECTED_MARK,
    diff_similarity,
)

OPEN_TIMEOUT_MS = 20_000
MIN_SIDE_SHARE = 0.45

SIMILAR = {
    "prompt": "Is the sky blue?",
    "chosen": "Yes, the sky is blue on a clear day, because air scatters blue light most.",
    "rejected": "No, the sky is green on a clear day, because air scatters green light most.",
}
DIFFERENT = {
    "prompt": "How do I boil an egg?",
    "chosen": "Put the egg in boiling water for seven minutes, then cool it under the tap.",
    "rejected": "Eggs are a common breakfast food in many countries around the world today.",
}


@pytest.fixture
def pair_window(qtbot, make_window, tmp_path: Path):
    from inspector.ui.shell.features import install_all

    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (SIMILAR, DIFFERENT)))
    window = make_window()
    install_all(window)  # the docks beside the pane, as a user has them
    window.resize(1600, 900)
    with qtbot.waitSignal(window.datasetOpened, timeout=OPEN_TIMEOUT_MS):
        window.open_path(path, project_path=tmp_path / "project.sqlite")
    assert window.project.dataset.spec.kind == "preference"
    qtbot.waitUntil(lambda: window.width() == 1600)
    return window


def side_width(view, text: str) -> float:
    """The laid-out width of the side (its colour bar and text) that holds ``text``."""
    document = view.document()
    block = document.begin()
    while block.isValid() and text not in block.text():
        block = block.next()
    assert block.isValid(), f"{text!r} is not in the reader"
    table = QTextCursor(block).currentTable()
    assert table is not None
    return document.documentLayout().frameBoundingRect(table).width()


def show(window, row: int) -> None:
    window.set_current_row(row)
    assert window.sample_view.row == row


def test_each_side_gets_at_least_45_percent_of_the_pane(pair_window):
    show(pair_window, 0)
    view = pair_window.sample_view
    pane = view.viewport().width()
    chosen = side_width(view, "Yes, the sky")
    rejected = side_width(view, "No, the sky")
    assert chosen >= MIN_SIDE_SHARE * pane, (chosen, pane)
    assert rejected >= MIN_SIDE_SHARE * pane, (rejected, pane)


def test_the_word_diff_shows_for_similar_sides_only(pair_window):
    view = pair_window.sample_view
    show(pair_window, 0)
    html = view.current_html
    assert f"<span style='background-color:{CHOSEN_MARK}'>blue</span>" in html
    assert f"<span style='background-color:{REJECTED_MARK}'>green</span>" in html
    assert "differences are not marked" not in view.toPlainText()

    show(pair_window, 1)
    html = view.current_html
    assert CHOSEN_MARK not in html and REJECTED_MARK not in html
    text = view.toPlainText()
    assert DIFFERENT["chosen"] in text and DIFFERENT["rejected"] in text
    assert "The two sides share few words: differences are not marked." in text


def test_diff_similarity_counts_shared_words():
    from inspector.core.data.render import word_diff

    same = word_diff("a b c d", "a b c d")
    one_off = word_diff("a b c d", "a b c e")
    apart = word_diff("a b c d", "w x y z")
    assert diff_similarity(*same) == 1.0
    assert diff_similarity(*one_off) == pytest.approx(0.75)
    assert diff_similarity(*apart) == 0.0
    assert diff_similarity(*one_off) >= DIFF_MIN_SIMILARITY > diff_similarity(*apart)
