"""A project's labels: commands applied to the store, with undo and redo across restarts.

:class:`LabelBook` applies a command (:mod:`inspector.core.labels.commands`) in one SQLite
transaction — the labels, plus the command with each row's label before and after as one
compressed Arrow payload — and commits before returning, so a decision survives a SIGKILL
the moment the call returns (WAL, ``synchronous=FULL``). Undo writes the "before" states
back, redo the "after" states, exactly (including "no label" and the original annotator and
timestamp). The history lives in the store, so undo works across restarts; a new command
after an undo discards the redo branch. Every call returns :class:`Changes`.

Typical use (the review UI and the CLI do the same)::

    book = LabelBook(project.store, project.dataset)
    book.decide(row, "drop")                                # one key press
    book.decide(cluster_rows, "keep", reason="cluster:7")   # bulk: one command, one undo
    book.choose_keeper(group_rows, keeper_row, group_id="g12")
    book.undo(); book.redo()
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inspector.core.data.dataset import ID, ROW, SOURCE, content_sha256
from inspector.core.labels import states
from inspector.core.labels.commands import (
    STATE_FIELDS,
    Changes,
    ChooseKeeper,
    Clear,
    Command,
    Context,
    Decide,
    RowsLike,
    SetNote,
    SetTags,
    ToggleTag,
)
from inspector.core.labels.reconcile import copies_of
from inspector.core.labels.states import RowLabel

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset
    from inspector.core.store import ProjectStore

_FIELDS = ", ".join(states.LABEL_FIELDS)
_INSERT = (
    f"INSERT INTO labels(id, {_FIELDS}, source_file, row_index, content_sha256, copies) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_SET_STATE = ", ".join(f"{f}=?" for f in states.LABEL_FIELDS)
# A plain UPDATE is a third cheaper than an upsert; every row a command touched stays in
# ``labels`` (a cleared label is all nulls), so undo and redo only ever update.
_UPDATE_STATE = f"UPDATE labels SET {_SET_STATE} WHERE id=?"
_UPDATE_LOCATED = (
    f"UPDATE labels SET {_SET_STATE}, source_file=?, row_index=?, "
    "content_sha256=coalesce(?, content_sha256), copies=? WHERE id=?"
)
_STATE = STATE_FIELDS
_COMPARED = _STATE[:6]  # who and when aside
_B = [f"b_{f}" for f in _STATE]
_A = [f"a_{f}" for f in _STATE]
# How far back undo reaches, in labelled rows: the newest commands keep their before/after
# states until together they pass this (the newest always keeps its own, however large).
# Older commands stay in the history (who, what, when, how many) without their states, so a
# project does not grow by a full copy of every bulk edit ever made.
UNDO_ROWS = 2_000_000
UNDO_COMMANDS = 10_000  # and at most this many commands (a key press is one)
PRUNE_EVERY = 64  # commands between two checks (a bulk command of 1,000+ rows checks at once)


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    kind: str
    title: str
    rows: int
    annotator: str | None
    timestamp: str
    undone: bool
    undoable: bool = True  # False once past the undo reach (UNDO_ROWS)


def id_hashes(ids: pl.Series) -> np.ndarray:
    """uint64 hash of each id (polars' hash, a fixed seed: the same within a process, which is
    all the row index needs)."""
    return ids.cast(pl.String).hash(seed=0).to_numpy()


class LabelBook:
    """A project's labels: apply commands, undo, redo, and read states and counts."""

    def __init__(
        self,
        store: ProjectStore,
        dataset: Dataset,
        *,
        annotator: str | None = None,
        undo_rows: int = UNDO_ROWS,
        undo_commands: int = UNDO_COMMANDS,
    ) -> None:
        self.store = store
        self.dataset = dataset
        self.annotator = annotator or states.annotator(store)
        self.undo_rows = undo_rows
        self.undo_commands = undo_commands
        self._ids: pl.Series = dataset.frame[ID].cast(pl.String)
        self._index: tuple[np.ndarray, np.ndarray] | None = None  # sorted id hashes, rows
        self._copies: pl.Series | None = None  # identical records per row (see reconcile)
        self._lock = threading.RLock()

    # -- ids and rows ----------------------------------------------------------------------
    @property
    def ids(self) -> pl.Series:
        return self._ids

    def id_of(self, row: int) -> str:
        return str(self._ids[int(row)])

    def row_of(self, row_id: str) -> int | None:
        row = int(self.rows_of([row_id])[0])
        return None if row < 0 else row

    def warm(self) -> None:
        """Build now what the first decision and the first undo would otherwise build inside
        a key press: the id index and the copies per row (together ~2.5 s at 10M rows)."""
        self.rows_of([])
        if self._copies is None:
            self._copies = copies_of(self._ids, self.dataset.id_rule)

    def rows_of(self, ids: Sequence[str]) -> np.ndarray:
        """Row positions of ids in the dataset, -1 for ids it does not hold."""
        if len(ids) < 5000:
            return self._rows_by_index(ids)
        joined = (
            pl.DataFrame({"id": pl.Series(list(ids), dtype=pl.String)})
            .with_row_index("q")
            .join(pl.DataFrame({"id": self._ids}).with_row_index("row"), on="id", how="left")
            .sort("q")
        )
        return joined["row"].fill_null(-1).cast(pl.Int64).to_numpy()

    def _rows_by_index(self, ids: Sequence[str]) -> np.ndarray:
        """A few ids through a sorted array of the ids' hashes (built once: ~1 s and 160 MB at
        10M rows, where a dict of every id took ~10 s and over a gigabyte). Equal hashes are
        told apart by comparing the ids themselves."""
        if self._index is None:
            hashes = id_hashes(self._ids)
            order = np.argsort(hashes)
            self._index = (hashes[order], order)
        sorted_hashes, order = self._index
        out = np.full(len(ids), -1, dtype=np.int64)
        if not len(ids):
            return out
        wanted = id_hashes(pl.Series(list(ids), dtype=pl.String))
        lo = np.searchsorted(sorted_hashes, wanted, side="left")
        hi = np.searchsorted(sorted_hashes, wanted, side="right")
        for k, (a, b) in enumerate(zip(lo.tolist(), hi.tolist())):
            for j in range(a, b):
                row = int(order[j])
                if self._ids[row] == ids[k]:
                    out[k] = row
                    break
        return out

    # -- reading ---------------------------------------------------------------------------
    def state(self, row_or_id: int | str) -> RowLabel | None:
        """A row's label (by row position or id); ``None`` when it has none."""
        row_id = row_or_id if isinstance(row_or_id, str) else self.id_of(row_or_id)
        return states.row_label(self.store, row_id)

    def counts(self) -> dict[str, int]:
        """Rows per decision in the whole project."""
        return states.decision_counts(self.store)

    def decision_codes(self) -> np.ndarray:
        """int8 per dataset row: -1 none, 0 keep, 1 drop, 2 unsure (see ``labels``)."""
        return states.decision_codes(self.store, self._ids)

    def labels_frame(self) -> pl.DataFrame:
        return states.labels_frame(self.store)

    # -- commands --------------------------------------------------------------------------
    def decide(self, rows: RowsLike, decision: str | None, **kw: Any) -> Changes:
        """One decision or a bulk one (a selection, a cluster): one command, one undo."""
        return self.execute(Decide(rows, decision, **kw))

    def toggle_tag(self, rows: RowsLike, tag: str) -> Changes:
        return self.execute(ToggleTag(rows, tag))

    def set_tags(
        self, rows: RowsLike, add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> Changes:
        return self.execute(SetTags(rows, add, remove))

    def set_note(self, rows: RowsLike, note: str | None) -> Changes:
        return self.execute(SetNote(rows, note))

    def choose_keeper(self, rows: RowsLike, keeper: int, **kw: Any) -> Changes:
        return self.execute(ChooseKeeper(rows, keeper, **kw))

    def keep_all(self, rows: RowsLike, *, group_id: str | None = None) -> Changes:
        """A duplicate group's ``a``: keep every member (reason ``duplicate``)."""
        return self.execute(
            Decide(rows, "keep", reason=states.DUPLICATE, group_id=group_id, title=None)
        )

    def clear(self, rows: RowsLike) -> Changes:
        return self.execute(Clear(rows))

    def execute(self, command: Command) -> Changes:
        """Apply ``command`` and commit before returning. Rows whose label would not change
        (apart from who/when) are left alone; if none change, nothing is recorded."""
        rows = command.rows
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self._ids)):
            raise IndexError(f"row out of range (the dataset has {len(self._ids):,} rows)")
        ids = self._ids.gather(rows)
        with self._lock, self.store.transaction("saving the label") as conn:
            before = states.read_state_frame(self.store, ids)
            ctx = Context(self.annotator, states.utc_now(), ids.to_list(), rows, self.id_of)
            command = command.resolve(before.select(_STATE))
            after = command.plan_frame(before.select(_STATE), ctx)
            if after.height != len(rows):
                raise ValueError(
                    f"{type(command).__name__} planned {after.height} of {len(rows)} rows"
                )
            both = pl.concat(
                [
                    before.select("id", "existed").with_columns(pl.Series("row", rows)),
                    before.select(_STATE).rename(dict(zip(_STATE, _B))),
                    after.select(pl.col(c).cast(pl.String) for c in _STATE).rename(
                        dict(zip(_STATE, _A))
                    ),
                ],
                how="horizontal",
            )
            changed = both.filter(
                pl.any_horizontal(pl.col(f"b_{c}").ne_missing(pl.col(f"a_{c}")) for c in _COMPARED)
            )
            if not changed.height:
                return Changes("do", 0, command.title(0))
            _discard_redo(conn)
            title = command.title(changed.height)
            ch_rows = changed["row"].to_numpy().astype(np.int64)
            located = changed.select("existed", "id", *_A).with_columns(
                self._locators(ch_rows, changed["existed"].to_numpy())
            )
            # in key order: B-tree pages are visited once, not at random (content-hash ids)
            located = located.sort("id")
            new = located.filter(~pl.col("existed")).drop("existed")
            old = located.filter(pl.col("existed")).drop("existed")
            conn.executemany(_INSERT, new.iter_rows())
            conn.executemany(_UPDATE_LOCATED, old.select(pl.exclude("id"), "id").iter_rows())
            cur = conn.execute(
                "INSERT INTO commands(kind, title, params, rows, annotator, timestamp, payload) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    command.kind,
                    title,
                    json.dumps(command.params(), ensure_ascii=False, default=str),
                    changed.height,
                    ctx.annotator,
                    ctx.timestamp,
                    _encode(changed.select("id", *_B, *_A)),
                ),
            )
            seq = int(cur.lastrowid or 0)
            if seq % PRUNE_EVERY == 0 or changed.height >= 1000:
                _forget_old_states(conn, self.undo_rows, self.undo_commands)
        b_dec, a_dec = changed["b_decision"].to_list(), changed["a_decision"].to_list()
        return Changes(
            "do",
            seq,
            title,
            changed["id"].to_list(),
            ch_rows,
            a_dec,
            _count_delta(zip(b_dec, a_dec)),
        )

    # -- history ---------------------------------------------------------------------------
    def undo(self) -> Changes | None:
        """Revert the latest command still in effect; ``None`` when there is none."""
        return self._step(undo=True)

    def redo(self) -> Changes | None:
        """Re-apply the command undone last; ``None`` when there is none."""
        return self._step(undo=False)

    @property
    def can_undo(self) -> bool:
        return self._next(undo=True) is not None

    @property
    def can_redo(self) -> bool:
        return self._next(undo=False) is not None

    @property
    def undo_title(self) -> str | None:
        entry = self._next(undo=True)
        return entry[1] if entry else None

    @property
    def redo_title(self) -> str | None:
        entry = self._next(undo=False)
        return entry[1] if entry else None

    def history(self, limit: int = 100) -> list[HistoryEntry]:
        """The latest commands, newest first (undone ones included until discarded)."""
        cur = self.store.conn.execute(
            "SELECT seq, kind, title, rows, annotator, timestamp, undone, payload IS NOT NULL "
            "FROM commands "
            "ORDER BY seq DESC LIMIT ?",
            (limit,),
        )
        return [
            HistoryEntry(int(r[0]), r[1], r[2], int(r[3]), r[4], r[5], bool(r[6]), bool(r[7]))
            for r in cur.fetchall()
        ]

    def _next(self, undo: bool) -> tuple[int, str] | None:
        sql = (
            "SELECT seq, title, payload IS NOT NULL FROM commands WHERE undone=0 "
            "ORDER BY seq DESC LIMIT 1"
            if undo
            else "SELECT seq, title, payload IS NOT NULL FROM commands WHERE undone=1 "
            "ORDER BY seq ASC LIMIT 1"
        )
        row = self.store.conn.execute(sql).fetchone()
        # a command past the undo reach (its states forgotten) ends the undo history
        return (int(row[0]), str(row[1])) if row and row[2] else None

    def _step(self, undo: bool) -> Changes | None:
        with self._lock, self.store.transaction("undoing" if undo else "redoing") as conn:
            entry = self._next(undo)
            if entry is None:
                return None
            seq, title = entry
            payload = conn.execute("SELECT payload FROM commands WHERE seq=?", (seq,)).fetchone()
            frame = _decode(payload[0])
            target, source = (_B, _A) if undo else (_A, _B)
            conn.executemany(_UPDATE_STATE, frame.select(*target, "id").sort("id").iter_rows())
            conn.execute("UPDATE commands SET undone=? WHERE seq=?", (1 if undo else 0, seq))
        ids = frame["id"].to_list()
        now, was = frame[target[0]].to_list(), frame[source[0]].to_list()
        return Changes(
            "undo" if undo else "redo",
            seq,
            title,
            ids,
            self.rows_of(ids),
            now,
            _count_delta(zip(was, now)),
        )

    # -- helpers ---------------------------------------------------------------------------
    def _locators(self, rows: np.ndarray, existed: np.ndarray) -> list[pl.Series]:
        """source_file, row_index, content_sha256 and copies of rows; the hash is computed
        only for rows new to the store (the stored one, checked on open, is kept otherwise)."""
        frame = self.dataset.frame
        hashes = pl.Series("content_sha256", [None] * len(rows), pl.String)
        cached = self.dataset._content_hashes
        if cached is not None:
            hashes = cached.gather(rows).alias("content_sha256")
        else:
            need = np.flatnonzero(~existed.astype(bool))
            if len(need):
                subset = frame.select(pl.col(self.dataset.user_columns).gather(rows[need]))
                values: list[str | None] = [None] * len(rows)
                for k, h in zip(need.tolist(), content_sha256(subset).to_list()):
                    values[k] = h
                hashes = pl.Series("content_sha256", values, pl.String)
        if self._copies is None:
            self._copies = copies_of(self._ids, self.dataset.id_rule)
        return [
            frame[SOURCE].gather(rows).cast(pl.String).alias("source_file"),
            frame[ROW].gather(rows).cast(pl.Int64).alias("row_index"),
            hashes,
            self._copies.gather(rows).alias("copies"),
        ]


def _count_delta(pairs: Iterable[tuple[str | None, str | None]]) -> dict[str, int]:
    delta: dict[str, int] = {}
    for b, a in pairs:
        if b == a:
            continue
        kb, ka = b or "none", a or "none"
        delta[kb] = delta.get(kb, 0) - 1
        delta[ka] = delta.get(ka, 0) + 1
    return {k: v for k, v in delta.items() if v}


def _discard_redo(conn: Any) -> None:
    conn.execute("DELETE FROM commands WHERE undone=1")


def _forget_old_states(conn: Any, rows: int, commands: int) -> None:
    """Drop the before/after states of commands past the undo reach (see UNDO_ROWS)."""
    conn.execute(
        "UPDATE commands SET payload=NULL WHERE payload IS NOT NULL AND seq < ("
        "  SELECT coalesce(min(seq), 0) FROM ("
        "    SELECT seq, sum(rows) OVER w - rows AS newer, row_number() OVER w AS n"
        "    FROM commands WHERE payload IS NOT NULL AND undone=0"
        "    WINDOW w AS (ORDER BY seq DESC)"
        "  ) WHERE newer < ? AND n <= ?"
        ")",
        (int(rows), max(1, int(commands))),
    )


def _encode(frame: pl.DataFrame) -> bytes:
    """A command's rows (id, states before and after) as zstd-compressed Arrow IPC."""
    sink = io.BytesIO()
    frame.write_ipc(sink, compression="zstd")
    return sink.getvalue()


def _decode(payload: bytes) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(payload))
