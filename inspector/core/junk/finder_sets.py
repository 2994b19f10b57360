"""``inspector analyze --only``: which finders run, what each needs, and how a partial run
leaves the other finders' stored proposals alone.

duplicates need the vectors (their semantic pairs are found without a graph); outliers the
kNN graph; leaks the vectors (and an eval set); quality neither. Nothing here computes a layout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inspector.core.errors import DataError
from inspector.core.jobs import Progress
from inspector.core.junk.duplicates import EXACT_DUPLICATE, MINHASH_DUPLICATE, SEMANTIC_DUPLICATE

if TYPE_CHECKING:
    from inspector.core.junk.junk import JunkResult
    from inspector.core.map.mapping import MapResult
    from inspector.core.store import ProjectStore

#: What ``--only`` may name, in the order they run.
FINDERS = ("duplicates", "quality", "leaks", "outliers")
DUPLICATE_KINDS = (EXACT_DUPLICATE, MINHASH_DUPLICATE, SEMANTIC_DUPLICATE)


def parse_only(text: str | None) -> tuple[str, ...] | None:
    """``duplicates,quality`` → ("duplicates", "quality") in :data:`FINDERS` order; None for
    an empty value (everything)."""
    if not text or not text.strip():
        return None
    names = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(names - set(FINDERS))
    if unknown:
        raise DataError(
            f"--only {text}: unknown finder(s) {', '.join(unknown)}",
            field="--only",
            hint=f"name some of {', '.join(FINDERS)}, comma-separated",
        )
    return tuple(f for f in FINDERS if f in names)


#: run.json's stage names for the progress stages (the Ray engine's spelling where it has one).
STAGE_NAMES = {
    "map": "map",
    "embedding": "embedding",
    "neighbours": "neighbours",
    "similar pairs": "similar_pairs",  # semantic pairs without a graph (--only duplicates)
    "layout": "layout",
    "clusters": "clusters",
    "quality rules": "quality",
    "exact duplicates": "exact",
    "MinHash near-duplicates": "minhash",
    "semantic duplicates": "semantic",
    "pair checks": "pairs",
    "outliers": "outliers",
    "reading the eval set": "eval_read",
    "eval leakage": "leaks",
    "writing": "write",
}


def rules_for(rules: Any, only: set[str]) -> Any:
    """The rules a finder set runs: the text rules for quality, the graph's outlier rule for
    outliers (switched on when asked for by name), none for duplicates or leaks alone."""
    names = {r.name for r in rules.enabled}
    if "quality" not in only:
        names = set()
    if "outliers" in only:
        names.add("outlier")
    else:
        names.discard("outlier")
    return rules.only(names)


def family(flag: str) -> str:
    """The ``--only`` finder a flag column or proposal reason belongs to."""
    reason = flag.removesuffix(".flag")
    if reason in DUPLICATE_KINDS:
        return "duplicates"
    if reason == "eval_leak":
        return "leaks"
    if reason == "row.outlier":
        return "outliers"
    return "quality"


def keep_other_finders(
    store: ProjectStore, proposals: pl.DataFrame, only: set[str], source: str
) -> pl.DataFrame:
    """The new proposals plus the stored ones of the finders that did not run this time."""
    from inspector.core.export.filterfile import load_proposals

    old = load_proposals(store, [source])
    if not old.height:
        return proposals
    families = old["reason"].fill_null("").map_elements(family, return_dtype=pl.String)
    kept = old.filter(~families.is_in(sorted(only))).drop("source")
    return pl.concat([proposals.cast(dict(kept.schema)), kept])  # type: ignore[arg-type]


def add_outliers(
    result: JunkResult,
    frame: pl.DataFrame,
    text_cols: list[str],
    knn: tuple[np.ndarray, np.ndarray],
    rules: Any,
    progress: Progress,
) -> None:
    """The outlier score and flag from the kNN graph, for a run without the duplicate
    finders (``analyze_junk`` scores outliers only beside semantic duplicates)."""
    from inspector.core.data.normalize import combined_text
    from inspector.core.junk.duplicates import exact_keys
    from inspector.core.junk.quality import evaluate

    progress.status("outliers", total=1)
    valid = exact_keys(combined_text(frame, text_cols))["nonempty"].to_numpy()
    scored = evaluate(frame.select("id"), {}, rules.only(["outlier"]), knn=knn, valid=valid)
    t = result.table
    extra = [c for c in ("outlier_score", "row.outlier", "row.outlier.flag") if c in scored.columns]
    if not extra:
        return
    flag = scored["row.outlier.flag"].fill_null(False).cast(pl.Int32)
    n_flags = (t["n_flags"].cast(pl.Int32) if "n_flags" in t.columns else 0) + flag
    result.table = t.drop([c for c in ("n_flags", "any_flag") if c in t.columns]).with_columns(
        [scored[c] for c in extra] + [n_flags.alias("n_flags"), (n_flags > 0).alias("any_flag")]
    )
    result.flag_columns = [*result.flag_columns, "row.outlier.flag"]
    progress.advance()


def no_map(n: int) -> MapResult:
    """The map of a run that embeds nothing (quality alone): no vectors, no place, no cluster."""
    from inspector.core.map.mapping import MapResult

    none = np.full(n, -1, np.int32)
    return MapResult(
        np.zeros((n, 0), np.float32),
        np.zeros((n, 0), np.int32),
        np.zeros((n, 0), np.float32),
        np.full((n, 2), np.nan, np.float32),
        none,
        none.copy(),
        {},
        {},
        "",
    )
