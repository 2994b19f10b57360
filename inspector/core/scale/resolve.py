"""The global steps on compact arrays (one entry per row, in dataset order, no texts): row
ids, the duplicate finders' order of strictness, the outlier's robust z-score. The logic is
the local engine's (``junk.analyze_junk``), step for step, so both give the same groups.

The head process holds ~60 bytes per row here (keys, priorities, survivors, scores): 0.6 GB
at 10M rows, 6 GB at 100M (see docs/scale-out.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from inspector.core.junk import duplicates
from inspector.core.junk.groups import projected_pairs

KINDS = (
    duplicates.EXACT_DUPLICATE,
    duplicates.MINHASH_DUPLICATE,
    duplicates.SEMANTIC_DUPLICATE,
)  # strictness order


def occurrences(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Per row 1 for the first copy of its content hash, 2, 3… for later ones (file order).
    ``hi``/``lo`` are the hash's first 16 bytes as two uint64."""
    n = len(hi)
    order = np.lexsort((np.arange(n), lo, hi))  # by hash, then file order
    hs, ls = hi[order], lo[order]
    starts = np.flatnonzero(np.concatenate([[True], (hs[1:] != hs[:-1]) | (ls[1:] != ls[:-1])]))
    del hs, ls
    run = np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))
    nth = np.empty(n, np.int32)
    nth[order] = run + 1
    return nth


def hash_words(chash: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """The first 16 bytes of hex sha256 strings as two uint64 arrays."""
    hi = chash.str.slice(0, 16).str.to_integer(base=16, dtype=pl.UInt64).to_numpy()
    lo = chash.str.slice(16, 16).str.to_integer(base=16, dtype=pl.UInt64).to_numpy()
    return hi, lo


def robust_z(score: np.ndarray) -> np.ndarray:
    """``quality.outlier_scores``' z for given scores (NaN where a row had no neighbour)."""
    score = np.asarray(score, dtype=np.float64)
    has = np.isfinite(score)
    z = np.full(len(score), np.nan)
    if has.any():
        med = np.median(score[has])
        mad = 1.4826 * np.median(np.abs(score[has] - med))
        if mad <= 0:
            mad = np.mean(np.abs(score[has] - med)) * 1.2533
        z[has] = (score[has] - med) / mad if mad > 0 else 0.0
    return z.astype(np.float32)


@dataclass
class Survivors:
    """Each row's current survivor as the finders run (``analyze_junk``'s ``absorb``)."""

    priority: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.priority)
        self.rep = np.arange(n)
        self.kind = np.full(n, -1, dtype=np.int8)
        self.sim = np.ones(n, dtype=np.float32)
        self.matched = np.full(n, -1, dtype=np.int64)

    @property
    def n(self) -> int:
        return len(self.priority)

    def alive(self) -> np.ndarray:
        return np.flatnonzero(self.rep == np.arange(self.n))

    def absorb(self, groups: duplicates.DuplicateGroups, rows: np.ndarray) -> None:
        removed = np.flatnonzero(groups.removed)
        gone, keeper = rows[removed], rows[groups.representative[removed]]
        self.kind[gone] = KINDS.index(groups.kind)
        self.sim[gone] = groups.similarity[removed]
        self.matched[gone] = keeper
        self.rep[gone] = keeper
        self.rep[:] = self.rep[self.rep]

    def exact(self, h1: np.ndarray, h2: np.ndarray, nonempty: np.ndarray) -> None:
        keys = pl.DataFrame({"h1": h1, "h2": h2, "nonempty": nonempty})
        groups = duplicates.find_exact_duplicates(
            pl.Series([""] * 0), keys=keys, priority=self.priority
        )
        self.absorb(groups, np.arange(self.n))

    def minhash(self, alive: np.ndarray, pairs: pl.DataFrame, rep_sim) -> None:
        """``pairs`` (a, b, similarity) in positions of ``alive``; ``rep_sim(rows, reps)`` the
        estimated Jaccard of alive-positions ``rows`` to their representatives."""
        groups = duplicates.groups_from_pairs(
            len(alive), pairs, duplicates.MINHASH_DUPLICATE, self.priority[alive]
        )
        rows = np.flatnonzero(groups.removed)
        if len(rows):
            groups.similarity[rows] = rep_sim(rows, groups.representative[rows])
        self.absorb(groups, alive)

    def semantic(self, a: np.ndarray, b: np.ndarray, sim: np.ndarray) -> None:
        pa, pb, ps = projected_pairs(self.rep, a, b, sim)
        projected = pl.DataFrame({"a": pa, "b": pb, "similarity": ps})
        del pa, pb, ps
        groups = duplicates.groups_from_pairs(
            self.n, projected, duplicates.SEMANTIC_DUPLICATE, self.priority
        )
        self.absorb(groups, np.arange(self.n))

    def columns(self) -> dict[str, np.ndarray]:
        """``junk._table``'s columns as arrays over positions (ids filled in later):
        group, kind (index into KINDS, -1 none), representative, matched (-1 none),
        similarity (NaN none), removed."""
        n = self.n
        rows = np.arange(n)
        rep = self.rep
        removed = rep != rows
        size = np.bincount(rep, minlength=n)
        in_group = size[rep] > 1
        group = (
            duplicates.components(n, rows[removed], rep[removed])
            if removed.any()
            else np.full(n, -1)
        )
        loosest = np.full(n, -1)
        np.maximum.at(loosest, rep[removed], self.kind[removed].astype(np.int64))
        kind = np.where(removed, self.kind, loosest).astype(np.int8)
        kind[~in_group] = -1
        return {
            "group": np.where(in_group, group, -1).astype(np.int64),
            "kind": kind,
            "representative": np.where(in_group, rep, -1).astype(np.int64),
            "matched": np.where(removed, self.matched, -1).astype(np.int64),
            "similarity": np.where(in_group, np.where(removed, self.sim, 1.0), np.nan).astype(
                np.float32
            ),
            "removed": removed,
        }


def keep_priority(keep: str, lengths: np.ndarray, n_flags: np.ndarray) -> np.ndarray:
    """``first``, ``longest`` or ``best`` (fewest flags) as ``duplicates.keep_priority``."""
    rule = {"first": "first", "longest": "longest", "best": "best_score"}.get(keep)
    if rule is None:
        from inspector.core.errors import DataError

        raise DataError(
            f"--keep {keep}: the Ray engine keeps first, longest or best",
            hint="COLUMN=VALUE needs the local engine (drop --engine ray)",
        )
    return duplicates.keep_priority(
        duplicates.KeepPolicy(rule),  # type: ignore[arg-type]
        lengths=lengths,
        scores=-np.asarray(n_flags, dtype=np.float64),
        n=len(lengths),
    )
