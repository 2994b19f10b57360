"""A learned list requeued after a retrain (issue 11's active-learning loop in the window):
queues.requeue_rest keeps what was passed and takes the new order for the rest, and the saved
session (SessionLog.replace_rows) resumes on the new list at the same place."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from inspector.core.labels import queues
from inspector.core.labels.review_state import SessionLog, first_undecided


def test_requeue_keeps_the_head_and_takes_the_new_order_for_the_rest():
    q = queues.Queue(queues.QueueSpec("learn", "uncertain"), np.array([5, 3, 8, 1, 9]))
    out = queues.requeue_rest(q, 2, np.array([9, 3, 7, 7, 2, 5, 6]))
    # 5 and 3 were passed: they stay first and are not asked again; 7 once
    assert out.rows.tolist() == [5, 3, 9, 7, 2, 6]
    assert out.spec == q.spec and out.rows.dtype == np.int64
    assert q.rows.tolist() == [5, 3, 8, 1, 9]  # the old queue is untouched


@pytest.mark.parametrize("keep", [-3, 0, 5, 99])
def test_requeue_bounds(keep):
    q = queues.Queue(queues.QueueSpec("learn", "uncertain"), np.array([4, 2, 0]))
    out = queues.requeue_rest(q, keep, np.array([1, 2, 3]))
    head = q.rows[: min(max(keep, 0), 3)].tolist()
    assert out.rows.tolist() == head + [r for r in [1, 2, 3] if r not in head]


def test_requeue_refuses_a_list_of_groups():
    q = queues.Queue(
        queues.QueueSpec("dups"), np.array([0, 1, 2]), [np.array([0, 1]), np.array([2])], ["a", "b"]
    )
    with pytest.raises(ValueError, match="groups"):
        queues.requeue_rest(q, 1, np.array([2]))


class Book:
    """What SessionLog.restore reads of a label book: rows of ids."""

    def __init__(self, ids: list[str]) -> None:
        self.where = {i: r for r, i in enumerate(ids)}
        self.ids = pl.Series("id", ids)

    def rows_of(self, ids):
        return np.array([self.where.get(i, -1) for i in ids], dtype=np.int64)


def test_replace_rows_is_what_resume_restores(tmp_path):
    from inspector.core.store import ProjectStore

    store = ProjectStore(tmp_path / "p.sqlite")
    book = Book([f"r{i}" for i in range(10)])
    log = SessionLog(store)
    q = queues.Queue(queues.QueueSpec("learn", "uncertain"), np.array([5, 3, 8, 1]))
    saved = log.save_new(q, book.ids.gather(q.rows), title="Most uncertain")
    log.save_position(saved.id, 1, decided=1)
    new = queues.requeue_rest(q, 2, np.array([9, 0, 8]))
    log.replace_rows(saved.id, new, book.ids.gather(new.rows))

    restored = log.restore(saved.id, book)
    assert restored.queue.rows.tolist() == [5, 3, 9, 0, 8]
    assert restored.position == 1 and restored.missing == 0
    again = log.get(saved.id)
    assert again is not None and again.items == 5 and again.rows == 5 and not again.finished
    codes = np.full(10, -1, np.int8)
    codes[5] = 0
    assert first_undecided(restored.queue, codes, restored.position) == 1
    store.close()
