"""Saved review sessions: a session's list and place, kept in the project store, so closing
the app in the middle of a 500-row list does not lose the place in it.

A session is saved when it starts — its queue spec and title and the exact ordered row ids
it was built with (a map or an analysis redone since does not change what it resumes) — then
its position on every move, and ``finished`` once it reaches the end of its list. A project
keeps the last :data:`KEEP` sessions, the most recently used first. Restoring maps the ids
back to rows; ids no longer in the dataset are dropped and counted.

Typical use (the window and ``inspector review --resume`` do the same)::

    log = SessionLog(project.store)
    saved = log.save_new(queue, [book.id_of(r) for r in queue.rows], title="Cluster 4")
    log.save_position(saved.id, 37, decided=37)
    ...                                       # later, maybe in another process
    latest = log.latest_unfinished()
    restored = log.restore(latest.id, book)   # queue, position, ids dropped
    start = first_undecided(restored.queue, book.decision_codes(), restored.position)
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from inspector.core.labels import queues
from inspector.core.labels.states import NO_DECISION, utc_now

if TYPE_CHECKING:
    from inspector.core.labels.labelbook import LabelBook
    from inspector.core.store import ProjectStore

KEEP = 5  # sessions kept per project
_COLUMNS = "id, spec, title, grouped, items, rows, position, decided, finished, started, updated"


@dataclass(frozen=True)
class SavedSession:
    """One saved session, without its row ids (those stay in the store until restored)."""

    id: int
    spec: queues.QueueSpec
    title: str
    grouped: bool  # a duplicate-group list: its items are groups
    items: int  # samples, or duplicate groups
    rows: int  # samples in it (a group counts each member)
    position: int  # the item on screen when last saved; ``items`` is the end page
    decided: int  # its samples with a decision, when last saved
    finished: bool  # it reached the end of its list
    started: str
    updated: str

    def progress_text(self) -> str:
        """ "37 of 120 decided"."""
        return f"{self.decided:,} of {self.rows:,} decided"


@dataclass(frozen=True)
class RestoredSession:
    """A saved session's queue rebuilt on the dataset as it is now."""

    saved: SavedSession
    queue: queues.Queue
    position: int  # the saved position, in ``queue`` (items dropped before it shift it)
    missing: int  # saved row ids no longer in the dataset (dropped)


class SessionLog:
    """The review sessions saved in one project store."""

    def __init__(self, store: ProjectStore, *, keep: int = KEEP) -> None:
        self.store = store
        self.keep = keep

    # -- saving ----------------------------------------------------------------------------
    def save_new(
        self,
        queue: queues.Queue,
        ids: Sequence[str] | pl.Series,
        *,
        title: str,
        position: int = 0,
        decided: int = 0,
    ) -> SavedSession:
        """Save a session that starts now. ``ids``: the id of each of ``queue.rows``, in
        order. Older sessions past the newest ``keep`` are forgotten."""
        payload = _payload(queue, ids)
        grouped = queue.groups is not None
        now = utc_now()
        items = len(queue)
        with self.store._lock:
            conn = self.store.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                cur = conn.execute(
                    "INSERT INTO review_sessions(spec, title, grouped, items, rows, position, "
                    "decided, finished, started, updated, touched, payload) VALUES "
                    "(?,?,?,?,?,?,?,?,?,?,(SELECT coalesce(max(touched), 0) + 1 "
                    "FROM review_sessions),?)",
                    (
                        str(queue.spec),
                        title,
                        int(grouped),
                        items,
                        len(queue.rows),
                        min(max(int(position), 0), items),
                        int(decided),
                        int(items == 0),
                        now,
                        now,
                        payload,
                    ),
                )
                session_id = int(cur.lastrowid or 0)
                conn.execute(
                    "DELETE FROM review_sessions WHERE id NOT IN "
                    "(SELECT id FROM review_sessions ORDER BY touched DESC LIMIT ?)",
                    (self.keep,),
                )
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
        saved = self.get(session_id)
        assert saved is not None
        return saved

    def save_position(self, session_id: int, position: int, *, decided: int | None = None) -> None:
        """Where the user is now (0-based item; ``items`` is the end page)."""
        with self.store._lock:
            self.store.conn.execute(
                "UPDATE review_sessions SET position=min(max(?, 0), items), "
                "decided=coalesce(?, decided), updated=? WHERE id=?",
                (int(position), decided, utc_now(), int(session_id)),
            )

    def replace_rows(
        self, session_id: int, queue: queues.Queue, ids: Sequence[str] | pl.Series
    ) -> None:
        """A session's list after it changed under the user (a learned list requeued after a
        retrain): its ids in the new order, its counts; its place stays."""
        payload = _payload(queue, ids)
        with self.store._lock:
            self.store.conn.execute(
                "UPDATE review_sessions SET payload=?, items=?, rows=?, grouped=?, "
                "position=min(position, ?), updated=? WHERE id=?",
                (
                    payload,
                    len(queue),
                    len(queue.rows),
                    int(queue.groups is not None),
                    len(queue),
                    utc_now(),
                    int(session_id),
                ),
            )

    def finish(self, session_id: int, *, decided: int | None = None) -> None:
        """The session reached the end of its list: it is no longer offered for resuming."""
        with self.store._lock:
            self.store.conn.execute(
                "UPDATE review_sessions SET finished=1, position=items, "
                "decided=coalesce(?, decided), updated=? WHERE id=?",
                (decided, utc_now(), int(session_id)),
            )

    def touch(self, session_id: int) -> None:
        """Make a session the most recently used (it is being resumed)."""
        with self.store._lock:
            self.store.conn.execute(
                "UPDATE review_sessions SET updated=?, touched=(SELECT max(touched) + 1 "
                "FROM review_sessions) WHERE id=?",
                (utc_now(), int(session_id)),
            )

    # -- reading ---------------------------------------------------------------------------
    def recent(self, limit: int | None = None) -> list[SavedSession]:
        """The saved sessions, most recently used first."""
        rows = self.store.conn.execute(
            f"SELECT {_COLUMNS} FROM review_sessions ORDER BY touched DESC LIMIT ?",
            (self.keep if limit is None else int(limit),),
        ).fetchall()
        return [_saved(r) for r in rows]

    def latest_unfinished(self) -> SavedSession | None:
        """The most recently used session that has not reached the end of its list."""
        row = self.store.conn.execute(
            f"SELECT {_COLUMNS} FROM review_sessions WHERE finished=0 AND items > 0 "
            "ORDER BY touched DESC LIMIT 1"
        ).fetchone()
        return _saved(row) if row else None

    def get(self, session_id: int) -> SavedSession | None:
        row = self.store.conn.execute(
            f"SELECT {_COLUMNS} FROM review_sessions WHERE id=?", (int(session_id),)
        ).fetchone()
        return _saved(row) if row else None

    def restore(self, session_id: int, book: LabelBook) -> RestoredSession:
        """The session's queue on the dataset as it is now: the saved ids in their saved order,
        less those the dataset no longer holds (counted in ``missing``)."""
        row = self.store.conn.execute(
            f"SELECT {_COLUMNS}, payload FROM review_sessions WHERE id=?", (int(session_id),)
        ).fetchone()
        if row is None:
            raise KeyError(f"no saved review session {session_id}")
        saved = _saved(row[:-1])
        frame = pl.read_ipc(io.BytesIO(row[-1]))
        ids = frame["id"].to_list()
        rows = book.rows_of(ids) if ids else np.zeros(0, np.int64)
        found = rows >= 0
        missing = int(np.count_nonzero(~found))
        if not saved.grouped:
            before = int(np.count_nonzero(found[: saved.position]))
            queue = queues.Queue(saved.spec, rows[found].astype(np.int64))
            return RestoredSession(saved, queue, before, missing)
        item = frame["item"].to_numpy()
        gids = frame["group_id"].to_list()
        groups: list[np.ndarray] = []
        group_ids: list[str] = []
        position = 0
        starts = np.flatnonzero(np.r_[True, item[1:] != item[:-1]]) if len(item) else item[:0]
        ends = np.r_[starts[1:], len(item)].astype(np.int64)
        for start, end in zip(starts.tolist(), ends.tolist()):
            members = rows[start:end][found[start:end]]
            if not len(members):
                continue
            groups.append(members.astype(np.int64))
            group_ids.append(str(gids[start]))
            if int(item[start]) < saved.position:
                position += 1
        flat = np.concatenate(groups) if groups else np.zeros(0, np.int64)
        queue = queues.Queue(saved.spec, flat, groups, group_ids)
        return RestoredSession(saved, queue, position, missing)


def _payload(queue: queues.Queue, ids: Sequence[str] | pl.Series) -> bytes:
    """The saved row ids (and, for groups, each row's item and group id) as Arrow IPC."""
    if len(ids) != len(queue.rows):
        raise ValueError(f"{len(ids)} ids for a queue of {len(queue.rows)} rows")
    if isinstance(ids, pl.Series):
        id_column = ids.cast(pl.String).alias("id")
    else:
        id_column = pl.Series("id", list(ids), dtype=pl.String)
    columns: dict[str, pl.Series] = {"id": id_column}
    if queue.groups is not None:
        sizes = [len(g) for g in queue.groups]
        gids = [str(g) for g in queue.group_ids] or [str(i) for i in range(len(sizes))]
        columns["item"] = pl.Series("item", np.repeat(np.arange(len(sizes)), sizes), dtype=pl.Int32)
        columns["group_id"] = pl.Series(
            "group_id", [g for g, n in zip(gids, sizes) for _ in range(n)], dtype=pl.String
        )
    frame = pl.DataFrame(columns)
    sink = io.BytesIO()
    frame.write_ipc(sink, compression="zstd")
    return sink.getvalue()


def first_undecided(queue: queues.Queue, codes: np.ndarray, position: int) -> int:
    """The first item at or after ``position`` with a sample that has no decision (a group:
    any member); ``len(queue)`` (the end page) when there is none. ``codes`` from
    :func:`inspector.core.labels.states.decision_codes`."""
    codes = np.asarray(codes)
    start = min(max(int(position), 0), len(queue))
    if queue.groups is not None:
        for i in range(start, len(queue.groups)):
            if (codes[queue.groups[i]] == NO_DECISION).any():
                return i
        return len(queue)
    rest = queue.rows[start:]
    open_ = np.flatnonzero(codes[rest] == NO_DECISION) if len(rest) else rest
    return start + int(open_[0]) if len(open_) else len(queue)


def _saved(row: Sequence) -> SavedSession:
    (id_, spec, title, grouped, items, rows, position, decided, finished, started, updated) = row
    kind, _, arg = str(spec).partition(":")
    return SavedSession(
        id=int(id_),
        spec=queues.QueueSpec(kind, arg or None),
        title=str(title),
        grouped=bool(grouped),
        items=int(items),
        rows=int(rows),
        position=int(position),
        decided=int(decided),
        finished=bool(finished),
        started=str(started),
        updated=str(updated),
    )
