"""Duplicate groups as every list shows them: the Issues lists, the threshold dialog, the
review's "Duplicate groups" and the CLI count groups with :func:`list_groups`, one way.

A group is listed once, under the loosest finder that joined it (exact copies that a semantic
match joined form a semantic group), and always with its kept row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import polars as pl

from inspector.core.junk.duplicates import (
    EXACT_DUPLICATE,
    KINDS,
    MINHASH_DUPLICATE,
    SEMANTIC_DUPLICATE,
)


def kind_name(text: str) -> str:
    """``exact``/``minhash``/``near``/``semantic`` (or a full kind name) → the kind name."""
    short = {"exact": EXACT_DUPLICATE, "minhash": MINHASH_DUPLICATE, "near": MINHASH_DUPLICATE}
    name = short.get(text.strip().lower(), text.strip().lower())
    if name == "semantic":
        name = SEMANTIC_DUPLICATE
    if name not in KINDS:
        raise ValueError(f"unknown duplicate kind {text!r}; use exact, minhash or semantic")
    return name


@dataclass(frozen=True)
class GroupList:
    """Duplicate groups as the Issues lists, the threshold dialog, the review and the CLI
    count them: each group once, under the loosest finder that joined it (a group of exact
    copies that a semantic match joined is a semantic group), with its kept row.

    ``members`` are in row order; ``keepers[i]`` is the row kept in group i."""

    members: list[np.ndarray]
    group_ids: list[str]
    kinds: list[str | None]
    keepers: list[int]

    def __len__(self) -> int:
        return len(self.members)

    def of_kind(self, kind: str | None) -> GroupList:
        """Only the groups of ``kind`` (None: all of them)."""
        if kind is None:
            return self
        keep = [i for i, k in enumerate(self.kinds) if k == kind]
        return GroupList(
            [self.members[i] for i in keep],
            [self.group_ids[i] for i in keep],
            [self.kinds[i] for i in keep],
            [self.keepers[i] for i in keep],
        )

    def rows(self) -> np.ndarray:
        """Every member of every group (keepers included), in row order."""
        if not self.members:
            return np.zeros(0, np.int64)
        return np.sort(np.concatenate(self.members)).astype(np.int64)

    def counts(self) -> dict[str, tuple[int, int]]:
        """Per kind (all three, in order of strictness): (groups, rows)."""
        out = {k: (0, 0) for k in KINDS}
        for kind, members in zip(self.kinds, self.members):
            if kind in out:
                g, r = out[kind]
                out[kind] = (g + 1, r + len(members))
        return out

    @cached_property
    def _index(self) -> tuple[np.ndarray, np.ndarray]:
        """Member rows sorted, and the group of each."""
        if not self.members:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        rows = np.concatenate(self.members)
        which = np.repeat(np.arange(len(self.members)), [len(m) for m in self.members])
        order = np.argsort(rows, kind="stable")
        return rows[order], which[order]

    def group_of(self, row: int) -> int | None:
        """The index of the group holding ``row``, if any."""
        rows, which = self._index
        i = int(np.searchsorted(rows, row))
        return int(which[i]) if i < len(rows) and rows[i] == row else None

    def keeper_first(self, i: int) -> np.ndarray:
        """Group i's members with its kept row first."""
        m = self.members[i]
        return np.concatenate([[self.keepers[i]], m[m != self.keepers[i]]]).astype(np.int64)


def _kinds(kind: Sequence[str | None] | np.ndarray | pl.Series | None, n: int) -> pl.Series:
    """The finder of each entry as a String column (a Series is taken as it is, not walked in
    Python: at 3M entries that walk took 0.45 s of opening an analysis)."""
    if kind is None:
        return pl.repeat(None, n, dtype=pl.String, eager=True)
    if isinstance(kind, pl.Series):
        return kind.cast(pl.String)
    return pl.Series(list(kind), dtype=pl.String)


def list_groups(
    group: Sequence[Any] | np.ndarray | pl.Series,
    rows: Sequence[int] | np.ndarray | None = None,
    *,
    kept: Sequence[bool] | np.ndarray | None = None,
    kind: Sequence[str | None] | np.ndarray | pl.Series | None = None,
    min_size: int = 2,
) -> GroupList:
    """The one computation of duplicate groups for display and review.

    ``group``: a group id per entry (None or a negative number: in no group); ``rows``: the
    dataset row of each entry (default: its position); ``kept``: whether the entry is its
    group's kept row (default: the first row); ``kind``: the finder that matched it. A group
    takes the loosest kind among its members. Groups come largest first, then by first row."""
    gid = pl.Series("group_id", list(group) if not isinstance(group, pl.Series) else group)
    n = len(gid)
    frame = pl.DataFrame(
        {
            "group_id": gid,
            "row": pl.Series(np.arange(n) if rows is None else np.asarray(rows), dtype=pl.Int64),
            "kept": pl.Series(np.zeros(n, bool) if kept is None else np.asarray(kept, bool)),
            "kind": _kinds(kind, n),
        }
    )
    if frame.schema["group_id"].is_numeric():
        frame = frame.filter(pl.col("group_id") >= 0)
    frame = frame.filter(pl.col("group_id").is_not_null()).with_columns(
        pl.col("group_id").cast(pl.String),
        strict=pl.col("kind").replace_strict(
            {k: i for i, k in enumerate(KINDS)}, default=-1, return_dtype=pl.Int64
        ),
    )
    agg = (
        frame.unique(subset=["group_id", "row"], keep="first")
        .sort("row")
        .group_by("group_id")
        .agg(
            pl.col("row"),
            pl.len().alias("n"),
            pl.col("row").min().alias("first"),
            pl.col("row").filter(pl.col("kept")).first().alias("keeper"),
            pl.col("strict").max().alias("strict"),
        )
        .filter(pl.col("n") >= min_size)
        .sort(["n", "first"], descending=[True, False])
    )
    names: list[str | None] = [*KINDS, None]
    return GroupList(
        [np.asarray(r, dtype=np.int64) for r in agg["row"].to_list()],
        agg["group_id"].to_list(),
        [names[s] if s >= 0 else None for s in agg["strict"].to_list()],
        [
            int(k if k is not None else f)
            for k, f in zip(agg["keeper"].to_list(), agg["first"].to_list())
        ],
    )
