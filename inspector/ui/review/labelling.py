"""Labelling in the window: the project's labels as the views see them, and review sessions.

:class:`LabelsHub` owns the project's :class:`~inspector.core.labels.labelbook.LabelBook` and the
per-row decision codes every view colours and filters by. Every label edit in the window —
a key press in a session, a bulk decision, an import, undo, redo — goes through it: the book
commits to the store, then the hub updates the codes from the returned ``Changes`` and
emits ``changed`` so each view refreshes only what moved (STYLE §2).

:class:`ReviewSession` walks a queue (rows, or duplicate groups) one sample at a time. A key
applies to the sample the session holds as current *when the key arrives* — never to what
happens to be painted — and keys are handled synchronously in order, so keys faster than
painting still land on the right rows. The decision is committed before the session
advances (durable on the key press).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from PySide6.QtCore import QObject, Signal

from inspector.core.labels import queues, states
from inspector.core.labels.commands import Changes
from inspector.core.labels.labelbook import LabelBook

if TYPE_CHECKING:
    from inspector.core.junk.group_lists import GroupList
    from inspector.core.project import Project

DUPLICATE_REASONS = frozenset({"exact_duplicate", "minhash_duplicate", "semantic_duplicate"})
MAX_KEEPER_KEYS = 9  # keys 1-9 pick a keeper in a duplicate group


# -- the project's labels, for every view ---------------------------------------------------


@dataclass(frozen=True)
class LabelUpdate:
    """What one edit did to the decision codes: the rows (in the dataset) and their codes
    before and after."""

    changes: Changes
    rows: np.ndarray
    before: np.ndarray
    after: np.ndarray


class LabelsHub(QObject):
    """The open project's label book, decision codes and label set."""

    changed = Signal(object)  # LabelUpdate, after every edit that changed something
    reset = Signal()  # another project (or none), or the label set changed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.book: LabelBook | None = None
        self.codes = np.zeros(0, dtype=np.int8)
        self._tally = np.zeros(0, dtype=np.int64)  # rows per code + 1, kept with the codes
        self.label_set: states.LabelSet = states.default_label_set()

    # -- opening -----------------------------------------------------------------------------
    def open(self, project: Project) -> None:
        self.project = project
        self.book = LabelBook(project.store, project.dataset)
        self.codes = self.book.decision_codes()
        self._tally = _tally(self.codes)
        self.label_set = states.load_label_set(project.store)
        self.reset.emit()

    def close(self) -> None:
        self.project = None
        self.book = None
        self.codes = np.zeros(0, dtype=np.int8)
        self._tally = np.zeros(0, dtype=np.int64)
        self.reset.emit()

    @property
    def is_open(self) -> bool:
        return self.book is not None

    def set_label_set(self, label_set: states.LabelSet) -> None:
        """Save an edited label set in the project and tell the views."""
        if self.project is not None:
            states.save_label_set(self.project.store, label_set)
        self.label_set = label_set
        self.reset.emit()

    # -- edits -------------------------------------------------------------------------------
    def run(self, edit: Callable[[LabelBook], Changes | None]) -> Changes | None:
        """Apply ``edit(book)`` (it commits before returning) and bring the views up to date."""
        if self.book is None:
            return None
        changes = edit(self.book)
        self.absorb(changes)
        return changes

    def absorb(self, changes: Changes | None) -> None:
        """Update the codes from ``changes`` (made by the book elsewhere, e.g. an import job)."""
        if changes is None or changes.empty:
            return
        inside = changes.rows >= 0
        rows = changes.rows[inside]
        before = self.codes[rows].copy()
        changes.update_codes(self.codes)
        after = self.codes[rows].copy()
        size = max(len(self._tally), int(max(before.max(initial=-1), after.max(initial=-1))) + 2)
        self._tally = np.pad(self._tally, (0, size - len(self._tally)))
        self._tally -= np.bincount(before.astype(np.int64) + 1, minlength=size)
        self._tally += np.bincount(after.astype(np.int64) + 1, minlength=size)
        self.changed.emit(LabelUpdate(changes, rows, before, after))

    def count(self, code: int) -> int:
        """Rows whose decision code is ``code``, without a pass over every row."""
        at = int(code) + 1
        return int(self._tally[at]) if 0 <= at < len(self._tally) else 0

    def decide(self, rows: Any, decision: str | None, **kw: Any) -> Changes | None:
        return self.run(lambda b: b.decide(rows, decision, **kw))

    def undo(self) -> Changes | None:
        return self.run(lambda b: b.undo())

    def redo(self) -> Changes | None:
        return self.run(lambda b: b.redo())

    # -- reading -----------------------------------------------------------------------------
    def state(self, row: int) -> states.LabelState:
        if self.book is None:
            return states.EMPTY
        label = self.book.state(int(row))
        return label.state if label is not None else states.EMPTY

    def decision_of(self, row: int) -> str | None:
        code = int(self.codes[row]) if 0 <= row < len(self.codes) else states.NO_DECISION
        return states.DECISION_OF_CODE.get(code)

    def colour(self, decision: str) -> str:
        return self.label_set.decision(decision).colour

    def rows_with(self, decision: str | None, among: np.ndarray | None = None) -> np.ndarray:
        """Rows (of ``among``, else all) with ``decision`` (``None``: no decision)."""
        code = states.NO_DECISION if decision is None else states.DECISION_CODES[decision]
        if among is None:
            return np.flatnonzero(self.codes == code).astype(np.int64)
        among = np.asarray(among, dtype=np.int64)
        return among[self.codes[among] == code]


# -- what a queue can be made of ----------------------------------------------------------


@dataclass
class ProposalLists:
    """The junk finders' proposals as review lists: duplicate groups and quality flags."""

    groups: pl.DataFrame  # group_id, row (dataset rows), kept, kind
    flags: pl.DataFrame  # rule, row
    similarity: dict[str, float] = field(default_factory=dict)  # id -> to its representative
    reasons: dict[str, str] = field(default_factory=dict)  # group_id -> finder reason

    def group_list(self) -> GroupList:
        """The groups as :func:`inspector.core.junk.duplicates.list_groups` counts them."""
        from inspector.core.junk.group_lists import GroupList, list_groups

        if not self.groups.height:
            return GroupList([], [], [], [])
        g = self.groups
        return list_groups(
            g["group_id"], g["row"].to_numpy(), kept=g["kept"].to_numpy(), kind=g["kind"]
        )

    @property
    def group_count(self) -> int:
        return len(self.group_list())

    def flag_counts(self) -> dict[str, int]:
        if not self.flags.height:
            return {}
        counts = self.flags.group_by("rule").agg(pl.col("row").n_unique()).sort("rule")
        return dict(zip(counts["rule"].to_list(), counts["row"].to_list()))


def proposal_lists(book: LabelBook) -> ProposalLists:
    """Duplicate groups (proposals whose reason is a duplicate finder's and that have a
    ``group_id``) and quality flags (every other reason) from the store's proposals."""
    from inspector.core.export.filterfile import load_proposals

    prop = load_proposals(book.store)
    empty_groups = pl.DataFrame(
        schema={"group_id": pl.String, "row": pl.Int64, "kept": pl.Boolean, "kind": pl.String}
    )
    empty_flags = pl.DataFrame(schema={"rule": pl.String, "row": pl.Int64})
    if not prop.height:
        return ProposalLists(empty_groups, empty_flags)
    prop = prop.with_columns(pl.Series("row", book.rows_of(prop["id"].to_list())))
    prop = prop.filter(pl.col("row") >= 0)
    is_dup = pl.col("reason").is_in(list(DUPLICATE_REASONS)) & pl.col("group_id").is_not_null()
    dups = prop.filter(is_dup)
    flags = prop.filter(~is_dup & pl.col("reason").is_not_null())
    similarity = {
        i: float(s)
        for i, s in zip(dups["id"].to_list(), dups["similarity"].to_list())
        if s is not None
    }
    reasons = dict(
        dups.unique(subset="group_id", keep="first").select("group_id", "reason").iter_rows()
    )
    return ProposalLists(
        dups.select(
            pl.col("group_id").cast(pl.String),
            "row",
            kept=(pl.col("action") == "keep").fill_null(False),
            kind=pl.col("reason"),
        ),
        flags.select(pl.col("reason").alias("rule"), "row"),
        similarity,
        reasons,
    )


def reason_for(spec: queues.QueueSpec) -> str:
    """The reason a decision made in a session records: the list it was reviewed from."""
    if spec.kind == "flag" and spec.arg:
        return spec.arg
    if spec.kind == "cluster" and spec.arg:
        return f"cluster:{spec.arg}"
    if spec.kind == "dups":
        return states.DUPLICATE
    return states.MANUAL


QUEUE_TITLES = {
    "all": "All samples",
    "unlabeled": "Unlabelled samples",
    "random": "Random sample",
    "cluster": "Cluster",
    "flag": "Quality flag",
    "dups": "Duplicate groups",
    "search": "Filter results",
    "selection": "Selection",
}


def queue_title(spec: queues.QueueSpec, names: dict[str, str] | None = None) -> str:
    base = QUEUE_TITLES.get(spec.kind, spec.kind)
    if spec.kind == "random":
        return f"Random sample of {int(spec.arg or 0):,}"
    if spec.kind == "cluster":
        name = (names or {}).get(str(spec.arg), "")
        return f"Cluster {spec.arg}" + (f" · {name}" if name else "")
    if spec.kind == "flag":
        return f"Flag · {spec.arg}"
    return base


# -- a session --------------------------------------------------------------------------------


class ReviewSession(QObject):
    """A walk through a queue. ``index`` is the item on screen (a row, or a duplicate group);
    ``index == len(queue)`` is the "done" page."""

    moved = Signal()  # the item on screen changed: draw it
    labelsChanged = Signal()  # the item's label or the progress changed: redraw the marks
    decided = Signal(int, object)  # (row or first group row, Changes), after the commit
    requeued = Signal()  # the list after the sample on screen changed (see requeue)

    def __init__(
        self,
        hub: LabelsHub,
        queue: queues.Queue,
        *,
        title: str | None = None,
        lists: ProposalLists | None = None,
    ) -> None:
        super().__init__(hub)
        if hub.book is None:
            raise RuntimeError("no dataset is open")
        self.hub = hub
        self.queue = queue
        self.title = title or queue_title(queue.spec)
        self.reason = reason_for(queue.spec)
        self.similarity = lists.similarity if lists is not None else {}
        self.group_reasons = lists.reasons if lists is not None else {}
        self.index = 0
        self.saved_id: int | None = None  # its record in the project's saved sessions
        self._own_edit = False
        n_rows = len(hub.codes)
        # where each dataset row sits in the queue (-1: not in it): undo goes back to it
        self._place = np.full(n_rows, -1, dtype=np.int32 if n_rows < 2**31 else np.int64)
        if queue.groups is not None:
            for g, members in enumerate(queue.groups):
                self._place[members] = g
        elif len(queue.rows):
            self._place[queue.rows[::-1]] = np.arange(len(queue.rows) - 1, -1, -1)
        self._counts = self._count()
        if len(queue):
            hub.book.warm()  # the id index and copies now, not in the first key or undo
        hub.changed.connect(self._on_changed)

    def close(self) -> None:
        try:
            self.hub.changed.disconnect(self._on_changed)
        except (RuntimeError, TypeError):
            pass

    # -- where we are ------------------------------------------------------------------------
    @property
    def is_groups(self) -> bool:
        return self.queue.groups is not None

    def __len__(self) -> int:
        return len(self.queue)

    @property
    def done(self) -> bool:
        return self.index >= len(self.queue)

    def current_rows(self) -> np.ndarray:
        """The rows on screen: one, a duplicate group's members, or none on the done page."""
        if self.done:
            return np.zeros(0, np.int64)
        if self.queue.groups is not None:
            return self.queue.groups[self.index]
        return self.queue.rows[self.index : self.index + 1]

    def current_row(self) -> int | None:
        """The sample on screen (a group's first member)."""
        rows = self.current_rows()
        return int(rows[0]) if len(rows) else None

    def group_id(self) -> str | None:
        if self.queue.groups is None or self.done or not self.queue.group_ids:
            return None
        return str(self.queue.group_ids[self.index])

    def go(self, index: int) -> None:
        self.index = min(max(int(index), 0), len(self.queue))
        self.moved.emit()

    def next(self) -> None:
        if self.index < len(self.queue):
            self.go(self.index + 1)

    def previous(self) -> None:
        if self.index > 0:
            self.go(self.index - 1)

    def requeue(self, rows: np.ndarray) -> bool:
        """The list after the sample on screen becomes ``rows`` in their order (rows already
        passed left out): a learned list whose model was retrained while it was reviewed. The
        sample on screen and the place stay. False, nothing changed: a list of groups, the
        done page, or the same order."""
        if self.queue.groups is not None or self.done:
            return False
        start = self.index + 1
        queue = queues.requeue_rest(self.queue, start, rows)
        if np.array_equal(queue.rows, self.queue.rows):
            return False
        self._place[self.queue.rows[start:]] = -1
        rest = queue.rows[start:]
        if len(rest):
            self._place[rest[::-1]] = np.arange(len(queue.rows) - 1, start - 1, -1)
        self.queue = queue
        self._counts = self._count()
        self.requeued.emit()
        self.labelsChanged.emit()
        return True

    # -- progress ----------------------------------------------------------------------------
    def _count(self) -> dict[str, int]:
        rows = self.queue.rows
        out = states.queue_progress(self.hub.codes, rows, 0)
        return {k: out[k] for k in states.DECISIONS}

    def progress(self) -> dict[str, int]:
        """position (1-based), total (items), keep/drop/unsure (rows of the queue)."""
        total = len(self.queue)
        return {"position": min(self.index + 1, total), "total": total, **self._counts}

    def progress_text(self) -> str:
        """ "37 / 1,204 · 12 drop · 25 keep" (groups: "3 / 40 groups · …")."""
        p = self.progress()
        unit = (" group" if p["total"] == 1 else " groups") if self.is_groups else ""
        parts = [f"{p['position']:,} / {p['total']:,}{unit}"]
        for name in ("drop", "keep", "unsure"):
            if p[name] or name != "unsure":
                parts.append(f"{p[name]:,} {name}")
        return " · ".join(parts)

    def decided_fraction(self) -> float:
        n = len(self.queue.rows)
        return sum(self._counts.values()) / n if n else 1.0

    def _on_changed(self, update: LabelUpdate) -> None:
        if not len(update.rows):
            return
        inside = self._place[update.rows] >= 0
        if inside.any():
            before, after = update.before[inside], update.after[inside]
            for name, code in states.DECISION_CODES.items():
                self._counts[name] += int(np.count_nonzero(after == code)) - int(
                    np.count_nonzero(before == code)
                )
        if not self._own_edit:
            self.labelsChanged.emit()

    # -- keys --------------------------------------------------------------------------------
    def decide(self, decision: str) -> Changes | None:
        """The decision key on the sample on screen (a group: every member), then advance."""
        rows = self.current_rows()
        if not len(rows):
            return None
        kw: dict[str, Any] = {"reason": self.reason}
        if self.is_groups:
            kw = {"reason": states.DUPLICATE, "group_id": self.group_id()}
        changes = self._edit(lambda b: b.decide(rows, decision, **kw), rows)
        self.go(self.index + 1)
        return changes

    def keep_all(self) -> Changes | None:
        """A duplicate group's ``a``: keep every member, then advance."""
        rows = self.current_rows()
        if not len(rows):
            return None
        gid = self.group_id()
        changes = self._edit(lambda b: b.keep_all(rows, group_id=gid), rows)
        self.go(self.index + 1)
        return changes

    def choose_keeper(self, n: int) -> Changes | None:
        """Key ``n`` (1-based) in a duplicate group: keep member n, drop the rest as its
        duplicates, then advance. A number past the group's size does nothing."""
        rows = self.current_rows()
        if not 1 <= n <= min(len(rows), MAX_KEEPER_KEYS):
            return None
        keeper = int(rows[n - 1])
        gid = self.group_id()
        changes = self._edit(lambda b: b.choose_keeper(rows, keeper, group_id=gid), rows)
        self.go(self.index + 1)
        return changes

    def toggle_tag(self, tag: str) -> Changes | None:
        """A tag key: toggle ``tag`` on the sample on screen (no advance)."""
        rows = self.current_rows()
        if not len(rows):
            return None
        changes = self._edit(lambda b: b.toggle_tag(rows, tag), rows)
        self.labelsChanged.emit()
        return changes

    def undo(self) -> Changes | None:
        """Undo the latest edit and go back to the sample it touched (if in this queue)."""
        changes = self.hub.undo()
        self._go_to_changed(changes)
        return changes

    def redo(self) -> Changes | None:
        changes = self.hub.redo()
        self._go_to_changed(changes)
        return changes

    def _edit(self, edit: Callable[[LabelBook], Changes], rows: np.ndarray) -> Changes | None:
        self._own_edit = True
        try:
            changes = self.hub.run(edit)
        finally:
            self._own_edit = False
        self.decided.emit(int(rows[0]), changes)
        return changes

    def _go_to_changed(self, changes: Changes | None) -> None:
        if changes is None or changes.empty:
            return
        rows = changes.rows[changes.rows >= 0]
        places = self._place[rows] if len(rows) else rows
        places = places[places >= 0]
        if len(places):
            self.go(int(places.min()))
        else:
            self.labelsChanged.emit()


def _tally(codes: np.ndarray) -> np.ndarray:
    return np.bincount(codes.astype(np.int64) + 1) if len(codes) else np.zeros(0, np.int64)
