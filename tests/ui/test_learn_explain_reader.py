"""Issue 11 in the real window: under the reader, the current row's learned score comes with
what drove it - the nearest rows the curator labelled (links to them) and the signals that
moved the score - after training, and again after reopening (without retraining)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, QUrl

TRAIN_TIMEOUT_MS = 240_000  # the default embedding model may be made on the first run


def rows(n: int = 80) -> list[dict]:
    """Two rows in three answer the garden question, every third is a string of symbols."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        good = i % 3 != 0
        answer = (
            f"Water garden {i} every morning and check the soil of it once a week."
            if good
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


def open_learn(qtbot, make_window, data: Path):
    from inspector.ui.shell.features import install_learn, install_review

    window = make_window()
    QSettings().setValue("map/auto", False)
    install_review(window)
    learn = install_learn(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.open_path(data, project_path=data.with_suffix(".sqlite"))
    return window, learn


def train_on_30(qtbot, window, learn) -> None:
    hub = window.features.review.hub
    hub.decide(np.array([r for r in range(30) if r % 3]), "keep")
    hub.decide(np.array([r for r in range(30) if r % 3 == 0]), "drop")
    qtbot.waitUntil(
        lambda: learn.retrainer.trained_at == 30 and learn.retrainer.running is None,
        timeout=TRAIN_TIMEOUT_MS,
    )


def reader_says_why(window, learn, row: int) -> str:
    window.set_current_row(row)
    text = window.features.issues.why.current_html
    ex = learn.explainer.explain(row)
    assert ex.summary and html.escape(ex.summary) in text  # "Like 5 rows you dropped"
    for n in ex.neighbours:
        assert f'href="row:{n.row}"' in text
    for d in ex.drivers:
        assert html.escape(d.text) in text
    return text


def test_the_reader_says_what_drove_the_score(qtbot, make_window, data):
    window, learn = open_learn(qtbot, make_window, data)
    train_on_30(qtbot, window, learn)
    assert learn.explainer is not None
    why = window.features.issues.why

    symbols = 33  # an unlabelled row of symbols: its nearest labelled rows are dropped ones
    text = reader_says_why(window, learn, symbols)
    ex = learn.explainer.explain(symbols)
    assert ex.dropped > ex.kept and all(not n.keep for n in ex.neighbours)
    assert "nearest labelled rows" in text and "dropped" in text
    assert ex.drivers or ex.content  # the model's own reasons, not only its neighbours
    garden = 31
    reader_says_why(window, learn, garden)
    assert learn.explainer.explain(garden).kept > learn.explainer.explain(garden).dropped

    # a labelled neighbour is a link: clicking it makes that row current
    target = ex.neighbours[0].row
    window.set_current_row(symbols)
    why.anchorClicked.emit(QUrl(f"row:{target}"))
    assert window.current_row() == target
    assert "You labelled this row <b>drop</b>" in why.current_html


def test_after_reopening_the_explanation_comes_back(qtbot, make_window, data):
    window, learn = open_learn(qtbot, make_window, data)
    train_on_30(qtbot, window, learn)
    window.close()

    window, learn = open_learn(qtbot, make_window, data)
    assert window.jobs.current("learn") is None  # nothing retrains
    qtbot.waitUntil(lambda: learn.explainer is not None, timeout=TRAIN_TIMEOUT_MS)
    window.set_current_row(33)
    # the reader, refreshed when the explainer arrived, shows it for the current row
    reader_says_why(window, learn, 33)
