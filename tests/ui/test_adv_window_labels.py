"""The window after the data changed: it offers the labels of the earlier version, checks them
against the rows once the ids are ready, and shows how many are stale in the status bar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from inspector.core.labels.labelbook import LabelBook
from inspector.core.project import open_project

ROWS = [{"prompt": f"question {i}", "response": f"answer {i}"} for i in range(5)]


@pytest.fixture(autouse=True)
def own_projects(tmp_path, monkeypatch):
    """Default projects of this test only (pytest reuses tmp paths across runs)."""
    monkeypatch.setenv("INSPECTOR_HOME", str(tmp_path / "home"))


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def test_changed_data_offers_the_old_labels_and_counts_stale_ones(qtbot, make_window, tmp_path):
    data = write(tmp_path / "d.jsonl", ROWS)
    pr = open_project(data)  # the default project (content-hash ids)
    LabelBook(pr.store, pr.dataset).decide([0, 1], "drop")
    old = pr.store.path
    pr.close()
    edited = [dict(r) for r in ROWS]
    edited[1]["response"] = "a better answer"
    write(data, edited)

    window = make_window(data)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "carry_labels_box") is not None)
    box = window.findChild(QMessageBox, "carry_labels_box")
    assert "2 labels" in box.text() and str(old) in box.informativeText()
    assert window.project.store.path != old
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        box.button(QMessageBox.StandardButton.Yes).click()
    book = LabelBook(window.project.store, window.project.dataset)
    assert book.decision_codes().tolist() == [1, -1, -1, -1, -1]  # row 1 changed: stale
    assert window.facts.labels["stale"].text() == "1 stale label"
    assert window.facts.labels["stale"].isVisibleTo(window)

    # opened again: nothing more to offer, the stale count still shown
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.reload()
    qtbot.wait(50)
    assert window.findChild(QMessageBox, "carry_labels_box") is None
    assert window.facts.labels["stale"].text() == "1 stale label"


def test_declined_labels_are_not_offered_again(qtbot, make_window, tmp_path):
    data = write(tmp_path / "d.jsonl", ROWS)
    pr = open_project(data)
    LabelBook(pr.store, pr.dataset).decide([0], "drop")
    pr.close()
    write(data, ROWS[::-1])
    window = make_window(data)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "carry_labels_box") is not None)
    window.findChild(QMessageBox, "carry_labels_box").button(QMessageBox.StandardButton.No).click()
    assert not window.facts.labels["stale"].isVisibleTo(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.reload()
    qtbot.wait(50)
    assert window.findChild(QMessageBox, "carry_labels_box") is None
    assert LabelBook(window.project.store, window.project.dataset).counts()["drop"] == 0
