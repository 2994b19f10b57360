"""``inspector review PATH --resume`` and ``--queue``: the real command, the real window (its
event loop left once the session is on screen), a small file and its project."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from inspector.cli import main
from inspector.core.labels import queues
from inspector.core.labels.labelbook import LabelBook
from inspector.core.labels.review_state import SessionLog
from inspector.core.project import open_project


@pytest.fixture
def data(tmp_path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": f"s{i}", "prompt": f"Question {i}?", "response": f"Answer {i}."})
            + "\n"
            for i in range(12)
        )
    )
    return path


def project_args(tmp_path: Path) -> list[str]:
    return ["--project", str(tmp_path / "project.sqlite")]


def run_review(qapp, argv: list[str]) -> tuple[int, dict]:
    """Run ``inspector review …`` until its session is on screen; what the window showed."""
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from inspector.ui.shell.app import configure_settings
    from inspector.ui.shell.main_window import MainWindow

    configure_settings()
    QSettings().clear()
    QSettings().setValue("map/auto", False)  # no map job in these tests
    seen: dict = {}
    hook = sys.excepthook

    def check() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        review = windows[-1].features.review if windows else None
        if review is None or not review.active:
            QTimer.singleShot(50, check)
            return
        session = review.session
        seen.update(
            window=windows[-1],
            spec=str(session.queue.spec),
            title=session.title,
            ids=[review.hub.book.id_of(r) for r in session.queue.rows],
            index=session.index,
            text=review.view.sample.toPlainText(),
        )
        qapp.quit()

    timeout = QTimer()
    timeout.setSingleShot(True)
    timeout.timeout.connect(qapp.quit)
    timeout.start(30_000)
    QTimer.singleShot(0, check)
    quit_on_close = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    try:
        code = main(argv)
    finally:
        sys.excepthook = hook
        timeout.stop()
        window = seen.pop("window", None)
        if window is not None:
            window.close()
            window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        qapp.setQuitOnLastWindowClosed(quit_on_close)
    return code, seen


def test_resume_goes_back_to_the_latest_unfinished_session(qapp, data, tmp_path):
    project = open_project(data, project_path=tmp_path / "project.sqlite")
    try:
        book = LabelBook(project.store, project.dataset)
        rows = np.array([9, 3, 7, 1, 5, 11])
        log = SessionLog(project.store)
        queue = queues.Queue(queues.QueueSpec("random", "6"), rows)
        saved = log.save_new(queue, book.ids.gather(rows), title="Random sample of 6")
        book.decide([9, 3, 7], "keep")
        log.save_position(saved.id, 1, decided=3)  # looked back at s3 before closing
        log.finish(log.save_new(queues.Queue(queues.QueueSpec("all"), np.arange(12)),
                                book.ids, title="All samples").id)  # fmt: skip
    finally:
        project.close()

    code, seen = run_review(qapp, ["review", str(data), *project_args(tmp_path), "--resume"])
    assert code == 0
    assert seen["title"] == "Random sample of 6" and seen["spec"] == "random:6"
    assert seen["ids"] == ["s9", "s3", "s7", "s1", "s5", "s11"]  # the saved list, in order
    assert seen["index"] == 3  # the first undecided at or after the saved place
    assert "Question 1?" in seen["text"]


def test_resume_with_nothing_to_resume_says_so_before_the_window(
    data, tmp_path, capsys, monkeypatch
):
    def no_window(*_a, **_k):
        raise AssertionError("the window must not open")

    monkeypatch.setattr("inspector.ui.shell.app.run_app", no_window)
    assert main(["review", str(data), *project_args(tmp_path), "--resume"]) == 1
    err = capsys.readouterr().err
    assert "no unfinished review session for" in err and str(data) in err
    assert "inspector review PATH --queue unlabeled" in err


def test_queue_and_resume_do_not_go_together(data, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["review", str(data), "--queue", "all", "--resume"])
    assert exit_.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_queue_still_starts_a_session_and_it_is_saved(qapp, data, tmp_path):
    code, seen = run_review(
        qapp, ["review", str(data), *project_args(tmp_path), "--queue", "random:4"]
    )
    assert code == 0 and seen["spec"] == "random:4" and len(seen["ids"]) == 4
    project = open_project(data, project_path=tmp_path / "project.sqlite")
    try:
        book = LabelBook(project.store, project.dataset)
        log = SessionLog(project.store)
        latest = log.latest_unfinished()
        assert latest is not None and latest.title == "Random sample of 4"
        restored = log.restore(latest.id, book)
        assert [book.id_of(r) for r in restored.queue.rows] == seen["ids"]
    finally:
        project.close()


def test_review_opens_straight_into_the_unlabelled_rows(qapp, data, tmp_path):
    project = open_project(data, project_path=tmp_path / "project.sqlite")
    LabelBook(project.store, project.dataset).decide([0, 1, 2], "drop")
    project.close()
    code, seen = run_review(
        qapp, ["review", str(data), *project_args(tmp_path), "--queue", "unlabeled"]
    )
    assert code == 0 and seen["spec"] == "unlabeled"
    assert seen["ids"] == [f"s{i}" for i in range(3, 12)]
    assert seen["index"] == 0 and "Question 3?" in seen["text"]
