"""The window's retraining in a child process (learn_wiring + core/learn/retrain_process):
the scores it shows are the saved ones, a row decided while it trained is not in the learned
lists it brings, the next run reuses the explainer's arrays, and where no child process can
start the window trains in its own process and says so in the log."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from inspector.core.learn import retrain_process
from inspector.core.learn.project_learn import learned_keep_probability

TRAIN_TIMEOUT_MS = 240_000  # the default embedding model may be made on the first run


@pytest.fixture
def data(tmp_path: Path) -> Path:
    rng = np.random.default_rng(2)
    rows = []
    for i in range(90):
        answer = (
            f"Repot fern {i} in spring and keep its soil damp but never wet."
            if i % 3
            else " ".join(rng.choice(["}", "{", "::", "=>", "@@", "nil"], 30))
        )
        rows.append({"id": f"f{i:02d}", "instruction": f"How do I grow fern {i}?",
                     "output": answer})  # fmt: skip
    path = tmp_path / "ferns.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
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


def label(window, rows) -> None:
    rows = np.asarray(list(rows))
    hub = window.features.review.hub
    hub.decide(rows[rows % 3 != 0], "keep")
    hub.decide(rows[rows % 3 == 0], "drop")


def wait_trained(qtbot, learn, labels: int) -> None:
    qtbot.waitUntil(
        lambda: (
            learn.retrainer is not None
            and learn.retrainer.trained_at == labels
            and learn.retrainer.running is None
        ),
        timeout=TRAIN_TIMEOUT_MS,
    )


def test_isolated_runs_show_the_saved_scores_and_reuse_the_explainer(
    qtbot, make_window, data, monkeypatch
):
    calls: list[bool] = []
    real = retrain_process.run_isolated

    def spy(params, progress, *, want_vectors=False, on_start=None):
        calls.append(want_vectors)
        return real(params, progress, want_vectors=want_vectors, on_start=on_start)

    monkeypatch.setattr(retrain_process, "run_isolated", spy)
    window, learn = open_learn(qtbot, make_window, data)
    label(window, range(30))
    qtbot.waitUntil(lambda: window.jobs.current("learn") is not None, timeout=5_000)
    label(window, [33])  # decided while it trains: a symbol row the model would list
    wait_trained(qtbot, learn, 30)
    assert calls == [True]  # no explainer yet: the child hands over its arrays
    np.testing.assert_allclose(learn.keep_probability, learned_keep_probability(window.project))
    assert learn.lists is not None and 33 not in learn.lists.likely_drop.rows
    assert 33 not in learn.lists.uncertain.rows
    assert learn.lists.facts["likely_drop"] == len(learn.lists.likely_drop.rows) > 0
    assert learn.explainer is not None and learn.explain_row(36) is not None
    first = learn.explainer

    label(window, range(34, 60))  # 26 more keep/drop labels: the next run
    wait_trained(qtbot, learn, 57)  # 30, row 33 and 26 more
    assert calls == [True, False]  # the explainer's embeddings and signals are reused
    assert learn.explainer is not None and learn.explainer is not first
    assert learn.explainer.rv is first.rv
    assert learn.explain_row(63) is not None
    np.testing.assert_allclose(learn.keep_probability, learned_keep_probability(window.project))


def test_without_a_child_process_the_window_trains_in_its_own(
    qtbot, make_window, data, monkeypatch, caplog
):
    class NoStart:
        def Pipe(self, duplex):  # noqa: N802 - multiprocessing's name
            import multiprocessing

            return multiprocessing.Pipe(duplex)

        def Process(self, **kwargs):  # noqa: N802
            return self

        def start(self):
            raise OSError("no processes here")

    monkeypatch.setattr(retrain_process, "_context", lambda: NoStart())
    window, learn = open_learn(qtbot, make_window, data)
    with caplog.at_level(logging.WARNING, logger="inspector.ui"):
        label(window, range(30))
        wait_trained(qtbot, learn, 30)
    assert any("no learn process" in r.getMessage() for r in caplog.records)
    np.testing.assert_allclose(learn.keep_probability, learned_keep_probability(window.project))
    assert learn.explainer is not None and learn.lists is not None
