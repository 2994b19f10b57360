"""The compare view's key hint and answer numbers show the window's keymap (issue 16): keys
the user remapped (Help ▸ Edit Keyboard Shortcuts…, kept in the settings) replace the
defaults in the hint line, and a remap while the mode runs shows at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

OPEN_TIMEOUT_MS = 20_000


def write_rows(path: Path) -> Path:
    rows = [
        {
            "id": f"p{p}a{a}",
            "instruction": f"Describe the planet number {p}.",
            "input": "",
            "output": f"Answer {a} to prompt {p}.",
        }
        for p in range(2)
        for a in range(3)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def window(qtbot, make_window, tmp_path):
    from inspector.ui.shell.features import install_all

    data = write_rows(tmp_path / "answers.jsonl")
    window = make_window()
    install_all(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=OPEN_TIMEOUT_MS):
        window.open_path(data, project_path=tmp_path / "project.sqlite")
    return window


def test_the_hint_shows_the_default_keys(window):
    window.actions.trigger("review.compare")
    hint = window.features.compare.view.keys_hint.text()
    for text in ("1-9", "Shift+1-9", "=", "Space", "Backspace", "Ctrl+Z", "Esc"):
        assert text in hint, (text, hint)


def test_the_hint_and_the_answer_numbers_follow_remapped_keys(window):
    actions = window.actions
    actions.set_keys("compare.tie", ["T"])
    for n, key in zip(range(1, 10), "QWERTYUIO"):
        actions.set_keys(f"compare.best.{n}", [key])
    actions.set_keys("compare.skip", ["N"])
    actions.trigger("review.compare")
    view = window.features.compare.view
    hint = view.keys_hint.text()
    assert "T a tie" in hint, hint
    assert "= a tie" not in hint and "Space skip" not in hint, hint
    assert "N skip" in hint, hint
    assert "Q/W/E/R/T/Y/U/I/O mark that answer the best" in hint, hint
    assert "<b>Q</b>" in view.answer_titles[0].text()
    # remapped while the mode runs: the hint follows at once
    actions.set_keys("compare.tie", ["X"])
    assert "X a tie" in view.keys_hint.text()
    # a key removed: the hint says there is none
    actions.set_keys("compare.back", [])
    assert "no key: back to the previous prompt" in view.keys_hint.text()
