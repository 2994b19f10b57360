"""Durable on the key press: a decision is on disk when ``decide`` returns, so a process
killed with SIGKILL mid-session loses nothing it reported as done."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from inspector.core.labels.labelbook import LabelBook
from inspector.core.project import open_project

REPO = Path(__file__).resolve().parents[2]
DECISIONS = ("keep", "drop", "unsure")

LABELLER = textwrap.dedent(
    """
    import sys
    from inspector.core.labels.labelbook import LabelBook
    from inspector.core.project import open_project

    data, project, mode = sys.argv[1:4]
    pr = open_project(data, project_path=project)
    book = LabelBook(pr.store, pr.dataset, annotator="killed-session")
    print("ready", flush=True)
    if mode == "single":
        for row in range(pr.dataset.height):
            book.decide(row, ("keep", "drop", "unsure")[row % 3])
            print(book.id_of(row), flush=True)  # printed only once committed
    else:
        for start in range(0, pr.dataset.height, 500):
            book.decide(list(range(start, start + 500)), "drop", reason="bulk")
            print(start, flush=True)
    """
)


def make_data(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "train.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"s{i}", "prompt": f"p{i}", "response": f"r{i}"}) + "\n")
    return path


def run_and_kill(tmp_path: Path, data: Path, mode: str, after: int) -> list[str]:
    """Start the labeller, SIGKILL it after ``after`` committed lines; return all lines."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-c", LABELLER, str(data), str(tmp_path / "p.sqlite"), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        if first != "ready":
            proc.kill()
            raise AssertionError(f"labeller did not start: {first!r} {proc.stderr.read()}")
        while len(lines) < after:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
        os.kill(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate(timeout=60)
        lines.extend(x for x in rest.splitlines() if x.strip())
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return lines


def test_sigkill_mid_session_loses_no_printed_decision(tmp_path):
    n = 3000
    data = make_data(tmp_path, n)
    printed = run_and_kill(tmp_path, data, "single", after=40)
    assert len(printed) >= 40
    assert len(printed) < n, "the labeller finished before it was killed"

    pr = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        book = LabelBook(pr.store, pr.dataset)
        for row_id in printed:
            row = int(row_id[1:])
            label = book.state(row_id)
            assert label is not None, f"{row_id} was printed as committed but is missing"
            assert label.decision == DECISIONS[row % 3]
            assert label.state.annotator == "killed-session"
            assert label.state.timestamp.endswith("Z")
            assert label.row_index == row
        # nothing past what could have been committed, and the history is whole
        total = sum(book.counts().values())
        assert len(printed) <= total <= len(printed) + 1
        assert len(book.history(limit=n)) == total
        # undo still works on what was recovered
        book.undo()
        assert sum(book.counts().values()) == total - 1
    finally:
        pr.close()


def test_sigkill_during_bulk_commands_leaves_whole_commands(tmp_path):
    data = make_data(tmp_path, 20_000)
    printed = run_and_kill(tmp_path, data, "bulk", after=3)
    pr = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        book = LabelBook(pr.store, pr.dataset)
        dropped = book.counts()["drop"]
        assert dropped % 500 == 0, "a bulk command was half written"
        assert dropped >= 500 * len(printed)
        assert all(h.rows == 500 for h in book.history(limit=100))
    finally:
        pr.close()


def test_decision_is_visible_to_another_connection_before_return_ends(tmp_path):
    data = make_data(tmp_path, 10)
    pr = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        assert pr.store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert pr.store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        book = LabelBook(pr.store, pr.dataset)
        book.decide(4, "drop")
        other = sqlite3.connect(tmp_path / "p.sqlite")
        try:
            row = other.execute("SELECT decision FROM labels WHERE id='s4'").fetchone()
        finally:
            other.close()
        assert row == ("drop",)
        assert not pr.store.conn.in_transaction
    finally:
        pr.close()


def test_a_failing_command_leaves_the_store_unchanged(tmp_path, monkeypatch):
    from inspector.core.labels import labelbook

    data = make_data(tmp_path, 10)
    pr = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        book = LabelBook(pr.store, pr.dataset)
        book.decide(1, "keep")

        def boom(frame):  # fails after the labels were written, before the commit
            raise RuntimeError("disk full")

        monkeypatch.setattr(labelbook, "_encode", boom)
        with pytest.raises(RuntimeError):
            book.decide([1, 2], "drop")
        monkeypatch.undo()
        assert book.state(1).decision == "keep" and book.state(2) is None
        assert len(book.history()) == 1
        book.decide(2, "drop")  # the store is still usable
        assert book.state(2).decision == "drop"
    finally:
        pr.close()
