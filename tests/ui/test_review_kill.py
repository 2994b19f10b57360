"""Durable on the key press: a session in another process, driven by real key presses, is
killed with SIGKILL mid-session; every decision it reported before the kill is in the store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from inspector.core.labels.labelbook import LabelBook
from inspector.core.project import open_project

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

# The child: the real window and session; a timer presses keys on the focused widget and the
# session prints each row id once book.decide has returned (committed).
CHILD = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication
    from inspector.ui.shell.app import make_app
    from inspector.ui.shell.main_window import MainWindow
    from inspector.ui.shell.features import install_review

    data, project_path = sys.argv[1], sys.argv[2]
    app = make_app()
    window = MainWindow()
    review = install_review(window)
    window.show()
    keys = [Qt.Key.Key_X, Qt.Key.Key_A, Qt.Key.Key_Space, Qt.Key.Key_X, Qt.Key.Key_1]
    state = {"n": 0}

    def report(row, changes):
        if changes.title.startswith("tag"):
            decision = "tag"
        else:
            decision = changes.decisions[0] if changes.decisions else "same"
        print(f"{review.hub.book.id_of(row)} {decision}", flush=True)

    def tick():
        key = keys[state["n"] % len(keys)]
        state["n"] += 1
        QTest.keyClick(QApplication.focusWidget(), key)
        QTimer.singleShot(2, tick)

    def opened(_project):
        session = review.start("all")
        session.decided.connect(report)
        print("started", flush=True)
        QTimer.singleShot(0, tick)

    window.datasetOpened.connect(opened)
    window.open_path(data, project_path=project_path)
    sys.exit(app.exec())
    """
)


def test_sigkill_mid_session_loses_no_reported_decision(tmp_path: Path):
    data = tmp_path / "rows.jsonl"
    data.write_text(
        "".join(
            json.dumps({"id": f"r{i:04d}", "prompt": f"Say {i}", "response": f"{i}"}) + "\n"
            for i in range(5000)
        )
    )
    project_path = tmp_path / "project.sqlite"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "INSPECTOR_HOME": str(tmp_path / "h")}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data), str(project_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    reported: list[tuple[str, str]] = []
    deadline = time.monotonic() + 120
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.strip() == "started", f"the session did not start: {first!r}"
        while len(reported) < 40 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            row_id, decision = line.split()
            reported.append((row_id, decision))
        os.kill(child.pid, signal.SIGKILL)  # mid-session, keys still arriving
    finally:
        child.kill()
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    assert len(reported) >= 40, "the session stopped reporting decisions"

    project = open_project(data, project_path=project_path)
    try:
        book = LabelBook(project.store, project.dataset)
        last = {r: d for r, d in reported if d not in ("same", "tag")}
        for row_id, decision in last.items():
            label = book.state(row_id)
            assert label is not None and label.decision == decision, row_id
        decided = [r for r, d in reported if d not in ("same", "tag")]
        assert sum(book.counts().values()) >= len(last)
        # tag keys (1) do not advance: the next decision lands on the tagged sample
        tagged = book.state(decided[4])
        assert tagged is not None and tagged.tags == ("hallucination",)
    finally:
        project.close()
