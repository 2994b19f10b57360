"""Saved review sessions: a session's exact list and place survive closing the project,
the last five are kept newest first, and rows that left the dataset are dropped on resume."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from inspector.core.labels import queues
from inspector.core.labels.labelbook import LabelBook
from inspector.core.labels.review_state import KEEP, SessionLog, first_undecided
from inspector.core.project import open_project
from inspector.core.store import MIGRATIONS, ProjectStore


def write_rows(path: Path, numbers: range | list[int]) -> Path:
    path.write_text(
        "".join(
            json.dumps({"id": f"r{i}", "instruction": f"question {i}", "output": f"answer {i}"})
            + "\n"
            for i in numbers
        ),
        "utf-8",
    )
    return path


@pytest.fixture
def open_book(tmp_path):
    opened = []

    def make(data: Path):
        pr = open_project(data, project_path=tmp_path / "project.sqlite")
        opened.append(pr)
        return LabelBook(pr.store, pr.dataset, annotator="alice"), pr

    yield make
    for pr in opened:
        pr.close()


def save(log: SessionLog, book: LabelBook, queue: queues.Queue, title: str, **kw):
    return log.save_new(queue, book.ids.gather(queue.rows), title=title, **kw)


def test_a_session_is_restored_exactly_after_a_reopen(tmp_path, open_book):
    data = write_rows(tmp_path / "train.jsonl", range(20))
    book, pr = open_book(data)
    queue = queues.Queue(queues.QueueSpec("random", "6"), np.array([7, 2, 19, 4, 11, 0]))
    saved = save(SessionLog(pr.store), book, queue, "Random sample of 6")
    assert (saved.items, saved.rows, saved.position, saved.finished) == (6, 6, 0, False)
    book.decide([7, 2], "keep")
    SessionLog(pr.store).save_position(saved.id, 2, decided=2)
    pr.close()

    book, pr = open_book(data)
    log = SessionLog(pr.store)
    latest = log.latest_unfinished()
    assert latest is not None and latest.id == saved.id
    assert latest.title == "Random sample of 6" and str(latest.spec) == "random:6"
    assert latest.position == 2 and latest.progress_text() == "2 of 6 decided"
    restored = log.restore(latest.id, book)
    # the same rows in the same order, not a new random draw
    assert restored.queue.rows.tolist() == [7, 2, 19, 4, 11, 0]
    assert (restored.position, restored.missing) == (2, 0)
    assert restored.queue.spec == queues.QueueSpec("random", "6")


def test_resume_goes_to_the_first_undecided_at_or_after_the_place(tmp_path, open_book):
    book, _ = open_book(write_rows(tmp_path / "train.jsonl", range(10)))
    queue = queues.Queue(queues.QueueSpec("all"), np.arange(10))
    book.decide([0, 3, 4, 6], "drop")
    codes = book.decision_codes()
    assert first_undecided(queue, codes, 3) == 5  # 3 and 4 decided after the place was saved
    assert first_undecided(queue, codes, 0) == 1
    book.decide([5, 7, 8, 9], "keep")
    assert first_undecided(queue, book.decision_codes(), 5) == 10  # none left: the end page
    groups = queues.Queue(
        queues.QueueSpec("dups"), np.arange(6), [np.array([0, 1]), np.array([2, 1]), np.array([9])]
    )
    assert first_undecided(groups, book.decision_codes(), 0) == 0  # row 1 is undecided


def test_the_last_five_are_kept_most_recently_used_first(tmp_path, open_book):
    book, pr = open_book(write_rows(tmp_path / "train.jsonl", range(10)))
    log = SessionLog(pr.store)
    made = [
        save(
            log,
            book,
            queues.Queue(queues.QueueSpec("cluster", str(i)), np.array([i])),
            f"Cluster {i}",
        )
        for i in range(KEEP + 2)
    ]
    recent = log.recent()
    assert [s.title for s in recent] == [f"Cluster {i}" for i in range(KEEP + 1, 1, -1)]
    assert log.get(made[0].id) is None and log.get(made[1].id) is None

    log.touch(made[3].id)  # resumed: it becomes the most recent
    assert log.recent()[0].id == made[3].id
    assert log.latest_unfinished().id == made[3].id
    save(log, book, queues.Queue(queues.QueueSpec("all"), np.arange(10)), "All samples")
    assert made[2].id not in {s.id for s in log.recent()}  # the least recently used went
    assert made[3].id in {s.id for s in log.recent()}


def test_finished_sessions_are_not_offered(tmp_path, open_book):
    book, pr = open_book(write_rows(tmp_path / "train.jsonl", range(10)))
    log = SessionLog(pr.store)
    older = save(log, book, queues.Queue(queues.QueueSpec("all"), np.arange(10)), "All samples")
    newer = save(log, book, queues.Queue(queues.QueueSpec("unlabeled"), np.arange(5)), "Unlabelled")
    assert log.latest_unfinished().id == newer.id
    log.finish(newer.id, decided=5)
    done = log.get(newer.id)
    assert done.finished and done.position == done.items == 5 and done.decided == 5
    assert log.latest_unfinished().id == older.id
    log.finish(older.id)
    assert log.latest_unfinished() is None
    assert [s.finished for s in log.recent()] == [True, True]  # still listed
    empty = save(
        log, book, queues.Queue(queues.QueueSpec("unlabeled"), np.zeros(0, np.int64)), "Empty"
    )
    assert empty.finished and log.latest_unfinished() is None  # nothing to resume in it


def test_rows_that_left_the_dataset_are_dropped_and_counted(tmp_path, open_book):
    data = write_rows(tmp_path / "train.jsonl", range(10))
    book, pr = open_book(data)
    queue = queues.Queue(queues.QueueSpec("selection"), np.array([9, 1, 5, 3, 7]))
    saved = save(SessionLog(pr.store), book, queue, "Selection", position=3)  # on r3
    pr.close()
    write_rows(data, [0, 2, 3, 4, 6, 7, 8, 9])  # r1 and r5 were deleted from the file

    book, pr = open_book(data)
    restored = SessionLog(pr.store).restore(saved.id, book)
    assert restored.missing == 2
    assert [book.id_of(r) for r in restored.queue.rows] == ["r9", "r3", "r7"]
    assert restored.position == 1  # still on r3
    assert len(restored.queue) == 2 + 1


def test_duplicate_groups_keep_their_members_and_ids(tmp_path, open_book):
    data = write_rows(tmp_path / "train.jsonl", range(10))
    book, pr = open_book(data)
    members = [np.array([4, 5, 6]), np.array([1, 2]), np.array([8, 9])]
    queue = queues.Queue(
        queues.QueueSpec("dups"), np.concatenate(members), members, ["g7", "g2", "g9"]
    )
    saved = save(SessionLog(pr.store), book, queue, "Duplicate groups", position=2)
    assert saved.grouped and (saved.items, saved.rows) == (3, 7)
    pr.close()
    write_rows(data, [0, 3, 4, 5, 6, 7, 8, 9])  # both members of g2 are gone

    book, pr = open_book(data)
    restored = SessionLog(pr.store).restore(saved.id, book)
    q = restored.queue
    assert restored.missing == 2
    assert q.group_ids == ["g7", "g9"]
    assert [[book.id_of(r) for r in g] for g in q.groups] == [["r4", "r5", "r6"], ["r8", "r9"]]
    assert restored.position == 1  # still on g9
    assert len(q) == 2 and q.rows.tolist() == np.concatenate(q.groups).tolist()


def test_ids_must_match_the_queue(tmp_path, open_book):
    book, pr = open_book(write_rows(tmp_path / "train.jsonl", range(3)))
    with pytest.raises(ValueError, match="2 ids for a queue of 3 rows"):
        SessionLog(pr.store).save_new(queues.Queue(queues.QueueSpec("all"), np.arange(3)), ["r0", "r1"],
                                      title="All")  # fmt: skip


def test_an_older_store_gains_the_sessions_table(tmp_path):
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as conn:  # made before sessions were saved
        for script in MIGRATIONS[:3]:
            conn.executescript(script)
        conn.execute("PRAGMA user_version=3")
    store = ProjectStore(db)
    try:
        assert store.version == len(MIGRATIONS)
        assert SessionLog(store).recent() == [] and SessionLog(store).latest_unfinished() is None
    finally:
        store.close()
