"""Every label edit is a command applied to the project store, with undo and redo.

A command says, for the rows it targets, what each row's label becomes
(:meth:`Command.plan`, or column-wise :meth:`Command.plan_frame` for bulk speed).
:class:`LabelBook` applies it in one SQLite transaction — the labels, plus the command with
each row's label before and after (a compressed Arrow payload) — and commits before
returning, so a decision survives a SIGKILL the moment the call returns. Undo writes the
"before" states back, redo the "after" states, exactly (including "no label" and the
original annotator and timestamp). The history lives in the store, so undo works across
restarts; a new command after an undo discards the redo branch.

Every call returns :class:`Changes` — the ids and rows touched and how the decision counts
moved — so a view refreshes only what changed.

Typical use (the review UI and the CLI do the same)::

    book = LabelBook(project.store, project.dataset)
    book.decide(row, "drop")                       # one key press
    book.decide(cluster_rows, "keep", reason="cluster:7")  # bulk: one command
    book.choose_keeper(group_rows, keeper_row, group_id="g12")
    book.undo(); book.redo()
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import polars as pl

from inspector.core import labels as L
from inspector.core.dataset import ID, ROW, SOURCE, content_sha256
from inspector.core.labels import EMPTY, LabelState, RowLabel

if TYPE_CHECKING:
    from inspector.core.dataset import Dataset
    from inspector.core.store import ProjectStore

RowsLike = int | Sequence[int] | np.ndarray

_FIELDS = ", ".join(L.LABEL_FIELDS)
_INSERT = (
    f"INSERT INTO labels(id, {_FIELDS}, source_file, row_index, content_sha256) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)
_SET_STATE = ", ".join(f"{f}=?" for f in L.LABEL_FIELDS)
# A plain UPDATE is a third cheaper than an upsert; every row a command touched stays in
# ``labels`` (a cleared label is all nulls), so undo and redo only ever update.
_UPDATE_STATE = f"UPDATE labels SET {_SET_STATE} WHERE id=?"
_UPDATE_LOCATED = (
    f"UPDATE labels SET {_SET_STATE}, source_file=?, row_index=?, "
    "content_sha256=coalesce(?, content_sha256) WHERE id=?"
)
_STATE = list(L.LABEL_FIELDS)
_COMPARED = _STATE[:6]  # who and when aside
_B = [f"b_{f}" for f in _STATE]
_A = [f"a_{f}" for f in _STATE]


@dataclass(frozen=True)
class Changes:
    """What one command, undo or redo changed."""

    action: str  # do | undo | redo
    seq: int  # the command's number in the history; 0 when nothing changed
    title: str
    ids: list[str] = field(default_factory=list)
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # -1: not in data
    decisions: list[str | None] = field(default_factory=list)  # each row's decision after
    counts: dict[str, int] = field(default_factory=dict)  # net change per decision / "none"

    @property
    def empty(self) -> bool:
        return not self.ids

    def __len__(self) -> int:
        return len(self.ids)

    def update_codes(self, codes: np.ndarray) -> None:
        """Bring a :func:`labels.decision_codes` array up to date in place."""
        if not self.ids:
            return
        new = np.array(
            [L.NO_DECISION if d is None else L.DECISION_CODES[d] for d in self.decisions],
            dtype=codes.dtype,
        )
        inside = self.rows >= 0
        codes[self.rows[inside]] = new[inside]


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    kind: str
    title: str
    rows: int
    annotator: str | None
    timestamp: str
    undone: bool


@dataclass(frozen=True)
class Context:
    """What a command may use to plan: who and when, and the target rows' ids."""

    annotator: str
    timestamp: str
    ids: list[str]
    rows: np.ndarray
    id_of_row: Any  # callable int -> str


# -- commands ---------------------------------------------------------------------------------


class Command:
    """A label edit on some rows. Subclasses set ``kind`` and implement :meth:`plan`."""

    kind: ClassVar[str] = "command"

    def __init__(self, rows: RowsLike, title: str | None = None) -> None:
        self.rows = as_rows(rows)
        self._title = title

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        """Each target row's label after the command, given its label before."""
        raise NotImplementedError

    def plan_frame(self, before: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        """:meth:`plan` on a frame of stored states (columns ``LABEL_FIELDS``, tags as JSON
        text); commands that touch many rows override it with column expressions."""
        states = [LabelState.from_row(r) for r in before.iter_rows()]
        return L.states_frame(self.plan(states, ctx))

    def describe(self, n: int) -> str:
        return f"{self.kind} {_n_rows(n)}"

    def title(self, n: int) -> str:
        return self._title or self.describe(n)

    def params(self) -> dict:
        return {}


class Decide(Command):
    """Set the decision (``None`` clears it) with a reason. Tags/note stay unless given
    (``tags`` replaces them, ``add_tags`` adds to them).

    ``group_id``/``representative_id`` are set as given (a manual decision clears a row's
    duplicate link unless it is made inside a group).
    """

    kind = "decide"

    def __init__(
        self,
        rows: RowsLike,
        decision: str | None,
        *,
        reason: str | None = L.MANUAL,
        tags: Iterable[str] | None = None,
        add_tags: Iterable[str] = (),
        note: str | None = None,
        group_id: str | None = None,
        representative_id: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(rows, title)
        self.decision = L.check_decision(decision)
        self.reason = reason if decision is not None else None
        self.tags = None if tags is None else L.normalise_tags(tags)
        self.add_tags = L.normalise_tags(add_tags)
        self.note = note
        self.group_id = group_id
        self.representative_id = representative_id

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        out = []
        for b in before:
            out.append(
                LabelState(
                    self.decision,
                    L.normalise_tags((b.tags if self.tags is None else self.tags) + self.add_tags),
                    self.reason,
                    b.note if self.note is None else (self.note or None),
                    self.group_id,
                    self.representative_id,
                    ctx.annotator,
                    ctx.timestamp,
                )
            )
        return out

    def plan_frame(self, before: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        if self.add_tags:
            return super().plan_frame(before, ctx)
        return before.with_columns(
            _lit(self.decision, "decision"),
            pl.col("tags") if self.tags is None else _lit(L.encode_tags(self.tags), "tags"),
            _lit(self.reason, "reason"),
            pl.col("note") if self.note is None else _lit(self.note or None, "note"),
            _lit(self.group_id, "group_id"),
            _lit(self.representative_id, "representative_id"),
            _lit(ctx.annotator, "annotator"),
            _lit(ctx.timestamp, "timestamp"),
        )

    def describe(self, n: int) -> str:
        return f"{self.decision or 'clear decision of'} {_n_rows(n)}"

    def params(self) -> dict:
        return {
            "decision": self.decision,
            "reason": self.reason,
            "tags": None if self.tags is None else list(self.tags),
            "add_tags": list(self.add_tags),
            "group_id": self.group_id,
        }


class SetTags(Command):
    """Add and/or remove tags, leaving the decision as it is."""

    kind = "tags"

    def __init__(
        self,
        rows: RowsLike,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        title: str | None = None,
    ) -> None:
        super().__init__(rows, title)
        self.add = L.normalise_tags(add)
        self.remove = L.normalise_tags(remove)

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        gone = set(self.remove)
        out = []
        for b in before:
            tags = L.normalise_tags([t for t in b.tags if t not in gone] + list(self.add))
            out.append(b.with_(tags=tags, annotator=ctx.annotator, timestamp=ctx.timestamp))
        return out

    def describe(self, n: int) -> str:
        parts = [f"+{t}" for t in self.add] + [f"-{t}" for t in self.remove]
        return f"tag {' '.join(parts)} on {_n_rows(n)}"

    def params(self) -> dict:
        return {"add": list(self.add), "remove": list(self.remove)}


class ToggleTag(Command):
    """A tag key: remove the tag if every target row has it, else add it to all."""

    kind = "tags"

    def __init__(self, rows: RowsLike, tag: str, title: str | None = None) -> None:
        super().__init__(rows, title)
        names = L.normalise_tags([tag])
        if not names:
            raise ValueError("a tag needs a name")
        self.tag = names[0]
        self._added: bool | None = None

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        self._added = not all(self.tag in b.tags for b in before)
        inner = (
            SetTags(ctx.rows, add=[self.tag])
            if self._added
            else SetTags(ctx.rows, remove=[self.tag])
        )
        return inner.plan(before, ctx)

    def describe(self, n: int) -> str:
        sign = "+" if self._added in (None, True) else "-"
        return f"tag {sign}{self.tag} on {_n_rows(n)}"

    def params(self) -> dict:
        return {"tag": self.tag, "added": self._added}


class SetNote(Command):
    kind = "note"

    def __init__(self, rows: RowsLike, note: str | None, title: str | None = None) -> None:
        super().__init__(rows, title)
        self.note = note or None

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        return [
            b.with_(note=self.note, annotator=ctx.annotator, timestamp=ctx.timestamp)
            for b in before
        ]

    def plan_frame(self, before: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        return before.with_columns(
            _lit(self.note, "note"),
            _lit(ctx.annotator, "annotator"),
            _lit(ctx.timestamp, "timestamp"),
        )

    def describe(self, n: int) -> str:
        return f"note on {_n_rows(n)}" if self.note else f"remove note from {_n_rows(n)}"


class ChooseKeeper(Command):
    """In a duplicate group: keep ``keeper``, drop the others with reason ``duplicate`` and
    ``representative_id`` = the keeper's id. ``group_id`` defaults to the keeper's id."""

    kind = "keeper"

    def __init__(
        self,
        rows: RowsLike,
        keeper: int,
        *,
        group_id: str | None = None,
        reason: str = L.DUPLICATE,
        title: str | None = None,
    ) -> None:
        super().__init__(rows, title)
        self.keeper = int(keeper)
        if self.keeper not in set(self.rows.tolist()):
            self.rows = np.concatenate(([self.keeper], self.rows)).astype(np.int64)
        self.group_id = group_id
        self.reason = reason

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        keeper_id = ctx.id_of_row(self.keeper)
        group = self.group_id or keeper_id
        out = []
        for row, b in zip(ctx.rows.tolist(), before):
            is_keeper = row == self.keeper
            out.append(
                LabelState(
                    "keep" if is_keeper else "drop",
                    b.tags,
                    self.reason,
                    b.note,
                    group,
                    keeper_id,
                    ctx.annotator,
                    ctx.timestamp,
                )
            )
        return out

    def describe(self, n: int) -> str:
        return f"keep 1, drop {max(n - 1, 0):,} as duplicates"

    def params(self) -> dict:
        return {"keeper": self.keeper, "group_id": self.group_id, "reason": self.reason}


class Clear(Command):
    """Back to "no label": no decision, no tags, no note."""

    kind = "clear"

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        return [EMPTY] * len(before)

    def plan_frame(self, before: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        return before.with_columns(_lit(None, c) for c in _STATE)

    def describe(self, n: int) -> str:
        return f"clear labels of {_n_rows(n)}"


class SetStates(Command):
    """Explicit labels per row (imports): ``states`` — a list of :class:`LabelState` or a
    frame with ``LABEL_FIELDS`` columns (tags as JSON text) — row ``rows[i]`` gets
    ``states[i]``. ``keep_notes`` keeps a row's note where the new state has none."""

    kind = "import"

    def __init__(
        self,
        rows: RowsLike,
        states: Sequence[LabelState] | pl.DataFrame,
        title: str | None = None,
        *,
        keep_notes: bool = False,
    ) -> None:
        rows = np.atleast_1d(np.asarray(rows, dtype=np.int64))
        frame = states if isinstance(states, pl.DataFrame) else L.states_frame(states)
        if frame.height != len(rows):
            raise ValueError("SetStates needs one state per row")
        # a repeated row: the last state wins
        self._frame = (
            frame.select(_STATE)
            .with_columns(pl.Series("_row", rows))
            .unique(subset="_row", keep="last", maintain_order=True)
        )
        super().__init__(rows, title)
        self.keep_notes = keep_notes

    def plan_frame(self, before: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        order = pl.DataFrame({"_row": ctx.rows})
        after = order.join(self._frame, on="_row", how="left", maintain_order="left")
        after = after.select(_STATE)
        if self.keep_notes:
            after = after.with_columns(pl.coalesce(after["note"], before["note"]).alias("note"))
        return after

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        frame = self.plan_frame(L.states_frame(before), ctx)
        return [LabelState.from_row(r) for r in frame.iter_rows()]

    def describe(self, n: int) -> str:
        return f"import labels of {_n_rows(n)}"


# -- the book ---------------------------------------------------------------------------------


class LabelBook:
    """A project's labels: apply commands, undo, redo, and read states and counts."""

    def __init__(
        self, store: ProjectStore, dataset: Dataset, *, annotator: str | None = None
    ) -> None:
        self.store = store
        self.dataset = dataset
        self.annotator = annotator or L.annotator(store)
        self._ids: pl.Series = dataset.frame[ID].cast(pl.String)
        self._index: dict[str, int] | None = None
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

    def rows_of(self, ids: Sequence[str]) -> np.ndarray:
        """Row positions of ids in the dataset, -1 for ids it does not hold."""
        if len(ids) < 5000:
            if self._index is None:
                self._index = dict(zip(self._ids.to_list(), range(len(self._ids))))
            index = self._index
            return np.fromiter((index.get(i, -1) for i in ids), np.int64, len(ids))
        joined = (
            pl.DataFrame({"id": pl.Series(list(ids), dtype=pl.String)})
            .with_row_index("q")
            .join(pl.DataFrame({"id": self._ids}).with_row_index("row"), on="id", how="left")
            .sort("q")
        )
        return joined["row"].fill_null(-1).cast(pl.Int64).to_numpy()

    # -- reading ---------------------------------------------------------------------------
    def state(self, row_or_id: int | str) -> RowLabel | None:
        """A row's label (by row position or id); ``None`` when it has none."""
        row_id = row_or_id if isinstance(row_or_id, str) else self.id_of(row_or_id)
        return L.row_label(self.store, row_id)

    def counts(self) -> dict[str, int]:
        """Rows per decision in the whole project."""
        return L.decision_counts(self.store)

    def decision_codes(self) -> np.ndarray:
        """int8 per dataset row: -1 none, 0 keep, 1 drop, 2 unsure (see ``labels``)."""
        return L.decision_codes(self.store, self._ids)

    def labels_frame(self) -> pl.DataFrame:
        return L.labels_frame(self.store)

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
        return self.execute(Decide(rows, "keep", reason=L.DUPLICATE, group_id=group_id, title=None))

    def clear(self, rows: RowsLike) -> Changes:
        return self.execute(Clear(rows))

    def execute(self, command: Command) -> Changes:
        """Apply ``command`` and commit before returning. Rows whose label would not change
        (apart from who/when) are left alone; if none change, nothing is recorded."""
        rows = command.rows
        if len(rows) and (rows.min() < 0 or rows.max() >= len(self._ids)):
            raise IndexError(f"row out of range (the dataset has {len(self._ids):,} rows)")
        ids = self._ids.gather(rows)
        with self._lock, _transaction(self.store) as conn:
            before = L.read_state_frame(self.store, ids)
            ctx = Context(self.annotator, L.utc_now(), ids.to_list(), rows, self.id_of)
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
            "SELECT seq, kind, title, rows, annotator, timestamp, undone FROM commands "
            "ORDER BY seq DESC LIMIT ?",
            (limit,),
        )
        return [HistoryEntry(*r[:6], bool(r[6])) for r in cur.fetchall()]

    def _next(self, undo: bool) -> tuple[int, str] | None:
        sql = (
            "SELECT seq, title FROM commands WHERE undone=0 ORDER BY seq DESC LIMIT 1"
            if undo
            else "SELECT seq, title FROM commands WHERE undone=1 ORDER BY seq ASC LIMIT 1"
        )
        row = self.store.conn.execute(sql).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def _step(self, undo: bool) -> Changes | None:
        with self._lock, _transaction(self.store) as conn:
            entry = self._next(undo)
            if entry is None:
                return None
            seq, title = entry
            payload = conn.execute("SELECT payload FROM commands WHERE seq=?", (seq,)).fetchone()
            frame = _decode(payload[0])
            target, source = (_B, _A) if undo else (_A, _B)
            conn.executemany(_UPDATE_STATE, frame.select(*target, "id").iter_rows())
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
        """source_file, row_index and content_sha256 of rows; the hash is computed only for
        rows new to the store (the stored one is kept otherwise)."""
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
        return [
            frame[SOURCE].gather(rows).cast(pl.String).alias("source_file"),
            frame[ROW].gather(rows).cast(pl.Int64).alias("row_index"),
            hashes,
        ]


# -- module helpers ---------------------------------------------------------------------------


def as_rows(rows: RowsLike) -> np.ndarray:
    """Row positions as unique int64, in the order first given."""
    arr = np.atleast_1d(np.asarray(rows, dtype=np.int64))
    if arr.ndim != 1:
        raise ValueError("rows must be a 1-D list of row positions")
    if len(arr) > 1:
        _, first = np.unique(arr, return_index=True)
        if len(first) != len(arr):
            arr = arr[np.sort(first)]
    return arr


def _n_rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


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


def _lit(value: str | None, name: str) -> pl.Expr:
    return pl.lit(value, pl.String).alias(name)


def _encode(frame: pl.DataFrame) -> bytes:
    """A command's rows (id, states before and after) as zstd-compressed Arrow IPC."""
    sink = io.BytesIO()
    frame.write_ipc(sink, compression="zstd")
    return sink.getvalue()


def _decode(payload: bytes) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(payload))


class _transaction:
    """BEGIN IMMEDIATE … COMMIT on the store's connection, under its lock; rollback on error.

    With ``synchronous=FULL`` the commit is on disk when this block exits.
    """

    def __init__(self, store: ProjectStore) -> None:
        self.store = store

    def __enter__(self):
        self.store._lock.acquire()
        self.store.conn.execute("BEGIN IMMEDIATE")
        return self.store.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.store.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")
        finally:
            self.store._lock.release()
