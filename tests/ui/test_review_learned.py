"""The learned model in the review feature (issue 11): Review ▸ Start Review offers the
learned lists (learn:likely-drop, learn:uncertain) with the rows each holds, and reopening a
project shows the scores and the signals' flags the last training saved, without training."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from PySide6.QtCore import QSettings

from inspector.core.labels import states
from inspector.core.learn.project_learn import learned_keep_probability

TRAIN_TIMEOUT_MS = 240_000  # the default embedding model may be made on the first run


def rows(n: int = 60) -> list[dict]:
    """Two rows in three a plain answer, every third a string of symbols."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        answer = (
            f"Water garden {i} every morning and check the soil of it once a week."
            if i % 3
            else " ".join(rng.choice(["}", "{", "::", "=>", "@@", "nil"], 30))
        )
        out.append({"id": f"r{i:02d}", "instruction": f"How do I care for garden {i}?",
                    "output": answer})  # fmt: skip
    return out


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "garden.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows()))
    return path


def open_window(qtbot, make_window, data: Path):
    from inspector.ui.shell.features import install_learn, install_review

    window = make_window()
    QSettings().setValue("map/auto", False)
    install_review(window)
    learn = install_learn(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.open_path(data, project_path=data.with_suffix(".sqlite"))
    return window, learn


def train(qtbot, window, learn, labelled: int = 30) -> None:
    hub = window.features.review.hub
    hub.decide(np.array([r for r in range(labelled) if r % 3]), "keep")
    hub.decide(np.array([r for r in range(labelled) if r % 3 == 0]), "drop")
    qtbot.waitUntil(
        lambda: (
            learn.retrainer is not None
            and learn.retrainer.trained_at == labelled
            and learn.retrainer.running is None
            and learn.keep_probability is not None
        ),
        timeout=TRAIN_TIMEOUT_MS,
    )


def start_dialog(window):
    review = window.features.review
    review.show_start_dialog()
    dialog = review.start_dialog
    assert dialog is not None
    return dialog


def test_start_review_offers_the_learned_lists_with_counts(qtbot, make_window, data):
    window, learn = open_window(qtbot, make_window, data)
    dialog = start_dialog(window)
    radio = dialog.radios["learn"]  # offered before there is a model, but off, saying why
    assert not radio.isEnabled() and "no quality model yet" in radio.text()
    dialog.reject()

    train(qtbot, window, learn)
    p = learned_keep_probability(window.project)
    codes = window.features.review.hub.codes
    open_rows = (codes == states.NO_DECISION) & ~np.isnan(p)
    drop, unsure = int((open_rows & (p < 0.5)).sum()), int(open_rows.sum())
    assert drop > 0

    dialog = start_dialog(window)
    assert dialog.radios["learn"].isEnabled()
    combo = dialog.combos["learn"]
    items = {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}
    assert items["likely-drop"].startswith("Likely drop (learned")
    assert items["likely-drop"].endswith(f"({drop:,})")
    assert items["uncertain"].startswith("Most uncertain (learned)")
    assert items["uncertain"].endswith(f"({unsure:,})")

    dialog.choose("learn", "likely-drop")
    assert dialog.spec() == "learn:likely-drop"
    dialog.accept()
    session = window.features.review.session
    assert session is not None and str(session.queue.spec) == "learn:likely-drop"
    assert len(session.queue.rows) == drop
    window.features.review.leave()

    dialog = start_dialog(window)
    dialog.choose("learn", "uncertain")
    assert dialog.spec() == "learn:uncertain"
    dialog.accept()
    session = window.features.review.session
    assert str(session.queue.spec) == "learn:uncertain" and len(session.queue.rows) == unsure
    window.features.review.leave()


def test_reopening_shows_the_scores_and_the_signal_flags_without_training(
    qtbot, make_window, data, monkeypatch
):
    window, learn = open_window(qtbot, make_window, data)
    train(qtbot, window, learn)
    scores = learn.keep_probability.copy()
    flags = learn.signal_flags
    assert flags is not None and flags.height > 0  # the symbol rows fire signals
    window.close()

    from inspector.core.learn import retrain

    def no_training(*_a, **_k):
        raise AssertionError("reopening trained the model")

    monkeypatch.setattr(retrain, "run", no_training)
    window, learn = open_window(qtbot, make_window, data)
    assert window.jobs.current("learn") is None
    np.testing.assert_allclose(learn.keep_probability, scores)
    assert learn.signal_flags is not None
    cols = [c for c in flags.columns if c != "id"]
    assert learn.signal_flags.select(cols).equals(flags.select(cols))
    # the reader's "why flagged" has the row's signal flags again
    row = int(flags["row"][0])
    window.set_current_row(row)
    title = flags.filter(pl.col("row") == row)["title"][0]
    assert title in window.features.issues.why.current_html


def test_an_open_learned_list_follows_the_retrained_model(qtbot, make_window, data, monkeypatch):
    """Active learning in the window: a learn:uncertain session open while the model retrains
    takes the new model's order after the sample on screen (the rows already passed and the
    one on screen stay), and its saved list (resume) is the new one. The new model's list is
    read through QueueSources.build_queue, here turned around so that the new order differs
    from the old one whatever this small set's models do."""
    from inspector.core.labels.review_state import SessionLog

    window, learn = open_window(qtbot, make_window, data)
    train(qtbot, window, learn)
    review = window.features.review
    session = review.start("learn:uncertain")
    before = session.queue.rows.copy()
    for _ in range(6):  # six decisions in the list, then the one on screen stays
        session.decide("drop" if session.current_row() % 3 == 0 else "keep")
    on_screen = session.current_row()
    passed = before[: session.index + 1]
    assert on_screen == before[session.index]

    real = review.sources.build_queue
    built: list[np.ndarray] = []

    def turned(spec, *, seed=None):
        queue, lists = real(spec, seed=seed)
        built.append(queue.rows[::-1].copy())
        return replace(queue, rows=built[-1]), lists

    monkeypatch.setattr(review.sources, "build_queue", turned)
    learn.train_now()
    qtbot.waitUntil(lambda: learn.retrainer.trained_at == 36, timeout=TRAIN_TIMEOUT_MS)
    qtbot.waitUntil(lambda: bool(built), timeout=TRAIN_TIMEOUT_MS)
    rest = built[-1][~np.isin(built[-1], passed)]
    assert len(rest) > 1 and not np.array_equal(rest, before[len(passed) :])
    # the new model's order after the sample on screen; what was passed is as it was
    np.testing.assert_array_equal(session.queue.rows[: len(passed)], passed)
    np.testing.assert_array_equal(session.queue.rows[len(passed) :], rest)
    assert session.current_row() == on_screen and len(session) == len(passed) + len(rest)
    decided = np.flatnonzero(review.hub.codes != states.NO_DECISION)
    assert not np.isin(session.queue.rows[len(passed) :], decided).any()

    restored = SessionLog(window.project.store).restore(session.saved_id, review.hub.book)
    np.testing.assert_array_equal(restored.queue.rows, session.queue.rows)
