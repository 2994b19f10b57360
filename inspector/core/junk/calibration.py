"""The semantic-threshold dialog's counts for a saved analysis (:func:`semantic_calibration`):
the neighbour graph projected as ``analyze_junk`` sees it, so the counts at a threshold are
the groups an analysis there would make."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from inspector.core.project import Project

if TYPE_CHECKING:
    from inspector.core.junk.duplicates import Calibration

#: the lexical finders, in the order analyze_junk runs them (project_junk.DUPLICATE_KINDS)
LEXICAL_KINDS = ("exact_duplicate", "minhash_duplicate")


def stage_representatives(table: pl.DataFrame) -> np.ndarray:
    """Per row, the row it follows after the exact and MinHash finders (itself when they
    removed nothing): the rows the semantic finder compares."""
    n = table.height
    rep = np.arange(n, dtype=np.int64)
    if "dup_matched" not in table.columns:
        return rep
    lexical = table["dup_removed"].fill_null(False) & table["dup_kind"].is_in(list(LEXICAL_KINDS))
    rows = np.flatnonzero(lexical.to_numpy())
    if not len(rows):
        return rep
    where = dict(zip(table["id"].cast(pl.String).to_list(), range(n)))
    matched = table["dup_matched"].cast(pl.String).gather(rows).to_list()
    rep[rows] = [where.get(m, r) for m, r in zip(matched, rows.tolist())]
    for _ in range(n):  # a copy's keeper may itself be a near copy: follow to the end
        nxt = rep[rep]
        if np.array_equal(nxt, rep):
            break
        rep = nxt
    return rep


def semantic_calibration(
    project: Project, table: pl.DataFrame, knn: tuple[np.ndarray, np.ndarray], dedup_on: str | None
) -> Calibration:
    """The threshold dialog's counts for this analysis: the neighbour graph over the texts
    compared (empty ones left out) and projected onto the rows the semantic finder sees, so
    that at the analysis's threshold it counts the groups the Issues list shows. Preference
    pairs count only when each side is a MinHash near copy: the analysis asks each side's
    cosine instead when a model embeds them, so here the counts can be lower."""
    from inspector.core.data.normalize import combined_text
    from inspector.core.junk.duplicates import Calibration, exact_keys
    from inspector.core.junk.junk import PairSides, SharedPromptGuard
    from inspector.core.junk.minhash import MinHashParams
    from inspector.core.junk.project_junk import junk_frame

    frame, kwargs = junk_frame(project, dedup_on)
    cols = kwargs["text_cols"]
    valid = exact_keys(combined_text(frame, cols))["nonempty"].to_numpy()
    guard: SharedPromptGuard | PairSides | None
    if "rejected_col" in kwargs and len(cols) > 1:
        # preference pairs: each side a near copy (MinHash: the dialog embeds nothing)
        guard = PairSides(frame, cols, 0.8, MinHashParams())
    else:
        guard = SharedPromptGuard.build(frame, cols, "prompt", 0.8, MinHashParams())
    return Calibration(
        knn[0], knn[1], valid, stage_representatives(table), None if guard is None else guard.keep
    )
