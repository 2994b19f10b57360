"""Compare decisions — which answer to a prompt is best, which worst, or a tie — kept as
labels, so they have undo, redo and history like every label.

A decision is a tag on the answer's row: ``pref:best``, ``pref:worst`` or ``pref:tie`` where
the row is the answer (rows that share a prompt), ``pref:best:N`` where the answer is item N
(from 0) of the row's completions list. A row's decision (keep/drop/unsure), reason, note and
other tags are left as they are: the worst answer to a prompt is not junk.

:class:`Compare` is the command (one key press); :func:`read_decisions` reads them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from inspector.core.labels.commands import Command, Context
from inspector.core.labels.states import LabelState, decode_tags, normalise_tags
from inspector.core.pairs.groups import Answer, PromptGroup

TAG_PREFIX = "pref:"
BEST, WORST, TIE = "best", "worst", "tie"
Choice = Literal["best", "worst", "tie"]


def tag(choice: str, answer: Answer) -> str:
    return f"{TAG_PREFIX}{choice}{answer.key}"


def parse_tag(text: str) -> tuple[str, int | None] | None:
    """``pref:best:2`` → ("best", 2); ``pref:worst`` → ("worst", None); others → None."""
    if not text.startswith(TAG_PREFIX):
        return None
    choice, _, index = text[len(TAG_PREFIX) :].partition(":")
    if choice not in (BEST, WORST, TIE):
        return None
    if not index:
        return choice, None
    return (choice, int(index)) if index.isdigit() else None


class Compare(Command):
    """Mark ``answer`` (a position in ``group.answers``) best or worst, or the whole group a
    tie. Best and worst are one answer each: marking another moves the mark; an answer marked
    best that is then marked worst loses its best mark (and the other way round); a tie
    replaces both. With exactly two answers, best (or worst) of one makes the other the worst
    (or best) in the same command."""

    kind = "compare"

    def __init__(
        self,
        group: PromptGroup,
        choice: Choice,
        answer: int | None = None,
        title: str | None = None,
    ) -> None:
        if choice not in (BEST, WORST, TIE):
            raise ValueError(f"unknown compare choice '{choice}': use best, worst or tie")
        if choice != TIE and (answer is None or not 0 <= answer < len(group.answers)):
            raise ValueError(
                f"answer {answer} is not one of the prompt's {len(group.answers)} answers"
            )
        super().__init__(group.rows, title)
        self.group = group
        self.choice = choice
        self.answer = answer

    def marks_after(self, before: dict[int, set[str]]) -> dict[int, set[str]]:
        """Each answer's marks (best/worst/tie) after the command, from those before."""
        n = len(self.group.answers)
        after = {i: set(before.get(i, set())) - {TIE} for i in range(n)}
        if self.choice == TIE:
            return {i: {TIE} for i in range(n)}
        assert self.answer is not None
        other = WORST if self.choice == BEST else BEST
        for marks in after.values():
            marks.discard(self.choice)
        after[self.answer].discard(other)
        after[self.answer].add(self.choice)
        if n == 2:
            rest = 1 - self.answer
            after[rest] = {other}
        return after

    def plan(self, before: list[LabelState], ctx: Context) -> list[LabelState]:
        row_at = {int(r): i for i, r in enumerate(ctx.rows.tolist())}
        marks: dict[int, set[str]] = {}
        for i, a in enumerate(self.group.answers):
            state = before[row_at[a.row]]
            for t in state.tags:
                parsed = parse_tag(t)
                if parsed and parsed[1] == a.index:
                    marks.setdefault(i, set()).add(parsed[0])
        after = self.marks_after(marks)
        new_tags: dict[int, list[str]] = {}
        for i, a in enumerate(self.group.answers):
            new_tags.setdefault(a.row, []).extend(
                tag(c, a) for c in (BEST, WORST, TIE) if c in after[i]
            )
        out = []
        for row, b in zip(ctx.rows.tolist(), before):
            kept = [t for t in b.tags if parse_tag(t) is None]
            tags = normalise_tags(kept + new_tags.get(int(row), []))
            out.append(b.with_(tags=tags, annotator=ctx.annotator, timestamp=ctx.timestamp))
        return out

    def describe(self, n: int) -> str:
        if self.choice == TIE:
            return f"tie: prompt {self.group.number + 1}"
        return f"{self.choice}: answer {(self.answer or 0) + 1} of prompt {self.group.number + 1}"

    def params(self) -> dict:
        return {"group": self.group.number, "choice": self.choice, "answer": self.answer}


@dataclass(frozen=True)
class Decision:
    """A prompt's compare decision as stored: its best and worst answers (positions in the
    group), whether it is a tie, and who decided it when (the latest of its rows)."""

    group: PromptGroup
    best: int | None
    worst: int | None
    tie: bool
    annotator: str | None
    timestamp: str | None

    @property
    def complete(self) -> bool:
        """A pair can be written: best and worst are two different answers."""
        return (
            not self.tie and self.best is not None and self.worst is not None
            and self.best != self.worst
        )  # fmt: skip


def read_decisions(labels: pl.DataFrame, groups: list[PromptGroup]) -> list[Decision]:
    """The compare decision of every group that has one, from the project's labels
    (:func:`inspector.core.labels.states.labels_frame`: id, tags, annotator, timestamp)."""
    tags = labels.get_column("tags")
    if tags.dtype == pl.String:  # stored form: a JSON array text
        labels = labels.with_columns(pl.Series("tags", [list(decode_tags(t)) for t in tags]))
    marked = labels.filter(
        pl.col("tags").list.eval(pl.element().str.starts_with(TAG_PREFIX)).list.any()
    )
    by_id = {
        r["id"]: (r["tags"], r["annotator"], r["timestamp"])
        for r in marked.select("id", "tags", "annotator", "timestamp").iter_rows(named=True)
    }
    out: list[Decision] = []
    for g in groups:
        best = worst = None
        tie = False
        who: list[tuple[str, str | None]] = []
        for i, a in enumerate(g.answers):
            found = by_id.get(a.id)
            if found is None:
                continue
            tags, annotator, timestamp = found
            for t in tags:
                parsed = parse_tag(t)
                if not parsed or parsed[1] != a.index:
                    continue
                if parsed[0] == BEST:
                    best = i
                elif parsed[0] == WORST:
                    worst = i
                else:
                    tie = True
                who.append((timestamp or "", annotator))
        if best is None and worst is None and not tie:
            continue
        timestamp, annotator = max(who) if who else ("", None)
        out.append(Decision(g, best, worst, tie, annotator, timestamp or None))
    return out
