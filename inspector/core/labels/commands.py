"""Every label edit is a command: an object that says what the rows it targets become.

A command plans, for each target row, its label after the command given its label before
(:meth:`Command.plan`, or column-wise :meth:`Command.plan_frame` where many rows are
touched). :class:`inspector.core.labels.labelbook.LabelBook` applies commands to the project store
with undo and redo, and returns :class:`Changes` — the ids and rows touched and how the
decision counts moved — so a view refreshes only what changed.

Commands: :class:`Decide` (one row or a bulk selection/cluster), :class:`SetTags`,
:class:`ToggleTag`, :class:`SetNote`, :class:`ChooseKeeper` (a duplicate group's keeper),
:class:`Clear`, :class:`SetStates` (imports).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import polars as pl

from inspector.core.labels import states
from inspector.core.labels.states import EMPTY, LabelState, states_frame

RowsLike = int | Sequence[int] | np.ndarray

STATE_FIELDS = list(states.LABEL_FIELDS)


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
            [states.NO_DECISION if d is None else states.DECISION_CODES[d] for d in self.decisions],
            dtype=codes.dtype,
        )
        inside = self.rows >= 0
        codes[self.rows[inside]] = new[inside]


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

    def resolve(self, before: pl.DataFrame) -> Command:
        """The command to apply to rows whose stored states are ``before``: itself, unless
        what it does depends on them (a tag key adds or removes). Never changes ``self``."""
        return self

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        """Each target row's label after the command, given its label before."""
        raise NotImplementedError

    def plan_frame(self, before: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        """:meth:`plan` on a frame of stored states (columns ``LABEL_FIELDS``, tags as JSON
        text); commands that touch many rows override it with column expressions."""
        rows = [LabelState.from_row(r) for r in before.iter_rows()]
        return states.states_frame(self.plan(rows, ctx))

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
        reason: str | None = states.MANUAL,
        tags: Iterable[str] | None = None,
        add_tags: Iterable[str] = (),
        note: str | None = None,
        group_id: str | None = None,
        representative_id: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(rows, title)
        self.decision = states.check_decision(decision)
        self.reason = reason if decision is not None else None
        self.tags = None if tags is None else states.normalise_tags(tags)
        self.add_tags = states.normalise_tags(add_tags)
        self.note = note
        self.group_id = group_id
        self.representative_id = representative_id

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        out = []
        for b in before:
            out.append(
                LabelState(
                    self.decision,
                    states.normalise_tags(
                        (b.tags if self.tags is None else self.tags) + self.add_tags
                    ),
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
            pl.col("tags") if self.tags is None else _lit(states.encode_tags(self.tags), "tags"),
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
        self.add = states.normalise_tags(add)
        self.remove = states.normalise_tags(remove)

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        gone = set(self.remove)
        out = []
        for b in before:
            tags = states.normalise_tags([t for t in b.tags if t not in gone] + list(self.add))
            out.append(b.with_(tags=tags, annotator=ctx.annotator, timestamp=ctx.timestamp))
        return out

    def describe(self, n: int) -> str:
        parts = [f"+{t}" for t in self.add] + [f"-{t}" for t in self.remove]
        return f"tag {' '.join(parts)} on {_n_rows(n)}"

    def params(self) -> dict:
        return {"add": list(self.add), "remove": list(self.remove)}


class ToggleTag(Command):
    """A tag key: remove the tag if every target row has it, else add it to all.

    Which of the two is decided from the rows' states by :meth:`resolve`, which returns a new
    command with ``added`` set; the history records that one."""

    kind = "tags"

    def __init__(
        self, rows: RowsLike, tag: str, title: str | None = None, *, added: bool | None = None
    ) -> None:
        super().__init__(rows, title)
        names = states.normalise_tags([tag])
        if not names:
            raise ValueError("a tag needs a name")
        self.tag = names[0]
        self.added = added

    def resolve(self, before: pl.DataFrame) -> ToggleTag:
        rows = [LabelState.from_row(r) for r in before.select(STATE_FIELDS).iter_rows()]
        added = not all(self.tag in b.tags for b in rows)
        return ToggleTag(self.rows, self.tag, self._title, added=added)

    def _adds(self, before: list[LabelState]) -> bool:
        if self.added is not None:
            return self.added
        return not all(self.tag in b.tags for b in before)

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        inner = (
            SetTags(ctx.rows, add=[self.tag])
            if self._adds(before)
            else SetTags(ctx.rows, remove=[self.tag])
        )
        return inner.plan(before, ctx)

    def describe(self, n: int) -> str:
        sign = "+" if self.added in (None, True) else "-"
        return f"tag {sign}{self.tag} on {_n_rows(n)}"

    def params(self) -> dict:
        return {"tag": self.tag, "added": self.added}


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
        reason: str = states.DUPLICATE,
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
        return before.with_columns(_lit(None, c) for c in STATE_FIELDS)

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
        frame = states if isinstance(states, pl.DataFrame) else states_frame(states)
        if frame.height != len(rows):
            raise ValueError("SetStates needs one state per row")
        # a repeated row: the last state wins
        self._frame = (
            frame.select(STATE_FIELDS)
            .with_columns(pl.Series("_row", rows))
            .unique(subset="_row", keep="last", maintain_order=True)
        )
        super().__init__(rows, title)
        self.keep_notes = keep_notes

    def plan_frame(self, before: pl.DataFrame, ctx: Context) -> pl.DataFrame:
        order = pl.DataFrame({"_row": ctx.rows})
        after = order.join(self._frame, on="_row", how="left", maintain_order="left")
        after = after.select(STATE_FIELDS)
        if self.keep_notes:
            after = after.with_columns(pl.coalesce(after["note"], before["note"]).alias("note"))
        return after

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        frame = self.plan_frame(states.states_frame(before), ctx)
        return [LabelState.from_row(r) for r in frame.iter_rows()]

    def describe(self, n: int) -> str:
        return f"import labels of {_n_rows(n)}"


# -- helpers --------------------------------------------------------------------------------


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


def _lit(value: str | None, name: str) -> pl.Expr:
    return pl.lit(value, pl.String).alias(name)
