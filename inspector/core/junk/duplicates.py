"""Duplicate groups: exact (normalised text), lexical (MinHash LSH) and semantic (neighbour graph).

Every finder returns a :class:`DuplicateGroups`: per row its group (-1 for none), the group's
representative (chosen by a :class:`KeepPolicy`) and the similarity to it, plus the verified
pairs that made the groups. Nothing is removed: non-representatives are *proposed* for removal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from inspector.core.data.normalize import EXACT, LEXICAL, Normalization, normalize_texts
from inspector.core.junk import minhash
from inspector.core.junk.groups import (
    components,
    key_runs,
    representatives,
    similarity_to_representative,
)

EXACT_DUPLICATE = "exact_duplicate"
MINHASH_DUPLICATE = "minhash_duplicate"
SEMANTIC_DUPLICATE = "semantic_duplicate"
KINDS = (EXACT_DUPLICATE, MINHASH_DUPLICATE, SEMANTIC_DUPLICATE)


# -- keep policies -------------------------------------------------------------------------


@dataclass(frozen=True)
class KeepPolicy:
    """Which member of a group to keep: ``first`` seen, ``longest``, ``best_score`` (highest
    value of ``column``, or the quality score) or ``prefer`` (rows where ``column == value``).
    Ties always go to the row seen first."""

    rule: Literal["first", "longest", "best_score", "prefer"] = "first"
    column: str | None = None
    value: Any = None

    @classmethod
    def parse(cls, spec: str) -> KeepPolicy:
        """``first`` | ``longest[:COL]`` | ``best_score[:COL]`` | ``prefer:COL=VALUE``."""
        rule, _, rest = spec.strip().partition(":")
        if rule == "prefer":
            column, eq, value = rest.partition("=")
            if not column or not eq:
                raise ValueError(f"keep policy {spec!r}: write prefer:COLUMN=VALUE")
            return cls("prefer", column.strip(), value.strip())
        if rule not in ("first", "longest", "best_score"):
            raise ValueError(
                f"unknown keep policy {spec!r}; use first, longest, best_score or prefer:COL=VALUE"
            )
        return cls(rule, rest.strip() or None)  # type: ignore[arg-type]


def keep_priority(
    policy: KeepPolicy,
    frame: pl.DataFrame | None = None,
    *,
    lengths: np.ndarray | None = None,
    scores: np.ndarray | None = None,
    n: int | None = None,
) -> np.ndarray:
    """Per-row priority (higher is kept) for ``policy``; nulls and NaN rank last."""
    if n is not None:
        size = n
    elif frame is not None:
        size = len(frame)
    else:
        given = lengths if lengths is not None else scores
        if given is None:
            raise ValueError("keep_priority needs a frame, lengths, scores or n")
        size = len(given)

    def column(name: str) -> pl.Series:
        if frame is None or name not in frame.columns:
            have = frame.columns if frame is not None else []
            raise ValueError(f"keep policy needs column {name!r}; the data has {have}")
        return frame.get_column(name)

    if policy.rule == "first":
        values = np.zeros(size)
    elif policy.rule == "longest":
        if policy.column:
            values = column(policy.column).cast(pl.String).str.len_chars().to_numpy()
        elif lengths is not None:
            values = np.asarray(lengths)
        else:
            raise ValueError("keep policy 'longest' needs text lengths or a column")
    elif policy.rule == "best_score":
        if policy.column:
            values = column(policy.column).cast(pl.Float64).to_numpy()
        elif scores is not None:
            values = np.asarray(scores)
        else:
            raise ValueError("keep policy 'best_score' needs quality scores or a score column")
    else:
        col = column(policy.column or "")
        values = (col.cast(pl.String) == str(policy.value)).fill_null(False).to_numpy()
    out = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(out), out, -np.inf)


# -- groups --------------------------------------------------------------------------------


@dataclass
class DuplicateGroups:
    """One finder's result over n rows. ``similarity`` is to the representative (1 for it),
    0 where a row has no group; ``pairs`` (a < b, similarity) are the verified pairs."""

    kind: str
    group: np.ndarray  # int64 (n,), -1 = not in a group
    representative: np.ndarray  # int64 (n,), row index of the kept member, -1
    similarity: np.ndarray  # float32 (n,)
    pairs: pl.DataFrame = field(repr=False)

    @property
    def n_groups(self) -> int:
        return int(self.group.max()) + 1 if len(self.group) and self.group.max() >= 0 else 0

    @property
    def in_group(self) -> np.ndarray:
        return self.group >= 0

    @property
    def removed(self) -> np.ndarray:
        """Rows proposed for removal: in a group and not its representative."""
        return self.in_group & (self.representative != np.arange(len(self.group)))

    def members(self, group_id: int) -> np.ndarray:
        return np.flatnonzero(self.group == group_id)

    def table(self, ids: Sequence[Any] | pl.Series | None = None) -> pl.DataFrame:
        """Per row: dup_group, dup_kind, dup_representative (id), dup_similarity (nulls
        where a row has no group)."""
        ids_s = id_series(ids, len(self.group))
        rep = self.representative
        return pl.DataFrame(
            {
                "dup_group": pl.Series(self.group, dtype=pl.Int64),
                "dup_kind": pl.Series([self.kind] * len(rep), dtype=pl.String),
                "dup_representative": ids_s.gather(np.maximum(rep, 0)),
                "dup_similarity": pl.Series(self.similarity, dtype=pl.Float32),
            }
        ).with_columns(
            [
                pl.when(pl.col("dup_group") >= 0).then(pl.col(c)).otherwise(None).alias(c)
                for c in ("dup_kind", "dup_representative", "dup_similarity")
            ]
        )

    def removals(self, ids: Sequence[Any] | pl.Series | None = None) -> pl.DataFrame:
        """Proposed removals: id, action, reason, group_id, representative_id, similarity."""
        ids_s = id_series(ids, len(self.group))
        rows = np.flatnonzero(self.removed)
        return pl.DataFrame(
            {
                "id": ids_s.gather(rows),
                "action": pl.Series(["remove"] * len(rows), dtype=pl.String),
                "reason": pl.Series([self.kind] * len(rows), dtype=pl.String),
                "group_id": pl.Series(self.group[rows], dtype=pl.Int64),
                "representative_id": ids_s.gather(self.representative[rows]),
                "similarity": pl.Series(self.similarity[rows], dtype=pl.Float32),
            }
        )


def id_series(ids: Sequence[Any] | pl.Series | None, n: int) -> pl.Series:
    if ids is None:
        return pl.Series("id", np.arange(n, dtype=np.int64))
    series = ids if isinstance(ids, pl.Series) else pl.Series("id", list(ids))
    if len(series) != n:
        raise ValueError(f"{len(series)} ids given for {n} rows")
    return series


def groups_from_pairs(
    n: int, pairs: pl.DataFrame, kind: str, priority: np.ndarray | None = None
) -> DuplicateGroups:
    """Join pairs into groups, pick representatives; similarity to the representative is the
    pair's similarity where that pair exists, else the member's best pair similarity."""
    a = pairs.get_column("a").to_numpy()
    b = pairs.get_column("b").to_numpy()
    group = components(n, a, b)
    rep = representatives(group, priority)
    sim = np.zeros(n, dtype=np.float32)
    if len(pairs):
        rows = np.flatnonzero((group >= 0) & (rep != np.arange(n)))
        sim[rows] = similarity_to_representative(
            n, a, b, pairs.get_column("similarity").to_numpy(), rows, rep[rows]
        )
        sim[rep[rep >= 0]] = 1.0
    return DuplicateGroups(kind, group, rep, sim, pairs)


def _nonempty(norm_texts: pl.Series) -> np.ndarray:
    return (norm_texts.str.replace_all(r"[\s\x1f]+", "").str.len_bytes() > 0).to_numpy()


# -- the three finders ---------------------------------------------------------------------


def exact_keys(
    texts: pl.Series | Sequence[str | None], norm: Normalization = EXACT
) -> pl.DataFrame:
    """Per text a 128-bit key (h1, h2) of its normalised form and whether anything is left
    (nonempty). Case and whitespace are normalised while hashing; only rows with characters
    that NFKC, lower-casing or accent stripping would change (and every row when digits or
    punctuation are normalised) go through polars first."""
    series = texts if isinstance(texts, pl.Series) else pl.Series("text", list(texts))
    series = series.cast(pl.String).fill_null("")
    kernels = minhash._kernels()
    n = len(series)
    if norm.digits or norm.punctuation:
        series = normalize_texts(series, norm)
    h1 = np.zeros(n, dtype=np.uint64)
    h2 = np.zeros(n, dtype=np.uint64)
    nonempty = np.zeros(n, dtype=bool)
    fallback = np.zeros(n, dtype=bool)
    if n:
        fold = minhash.fold_table(norm.unicode)
        flags = (norm.case, norm.whitespace, norm.accents)
        offsets, data = minhash.string_buffers(series)
        kernels.exact_keys(offsets, data, fold, True, *flags, h1, h2, nonempty, fallback)
        other = np.flatnonzero(fallback)
        if len(other):
            offsets, data = minhash.string_buffers(normalize_texts(series.gather(other), norm))
            parts = [np.zeros(len(other), dtype=t) for t in (np.uint64, np.uint64, bool, bool)]
            kernels.exact_keys(offsets, data, fold, False, *flags, *parts)
            h1[other], h2[other], nonempty[other] = parts[0], parts[1], parts[2]
    return pl.DataFrame({"h1": h1, "h2": h2, "nonempty": nonempty})


def prepare_kernels() -> None:
    """Load the compiled kernels the exact, MinHash and semantic finders call, without
    running them.

    numba's start-up (its import, its compiler's registries, each kernel's cached code)
    costs ~0.5 s of CPU once per process; ``inspector analyze`` pays it in a thread while
    the model embeds. Nothing runs here, so no parallel kernel is ever launched from two
    threads at once. The argument types are those the finders pass (same helpers, same
    dtypes): a call afterwards finds its overload loaded (tests/core/test_dedup_speed_loading)."""
    from numba import typeof

    kernels = minhash._kernels()
    offsets, data = minhash.string_buffers(pl.Series("text", ["a b c"]))
    u64, flags = np.zeros(1, np.uint64), np.zeros(1, bool)
    i64, sims = np.zeros(1, np.int64), np.zeros(1, np.float32)

    def load(kernel: Any, *args: Any) -> None:
        kernel.compile(tuple(typeof(a) for a in args))

    fold = minhash.fold_table(EXACT.unicode)
    load(
        kernels.exact_keys, offsets, data, fold, True,
        EXACT.case, EXACT.whitespace, EXACT.accents, u64, u64, flags, flags,
    )  # fmt: skip
    params, lex = minhash.MinHashParams(), LEXICAL
    a, b = minhash._permutations(params.num_perm, params.seed)
    sig = np.zeros((1, params.num_perm), np.uint32)
    letters = minhash.letters_table(lex.unicode, lex.case, lex.accents)
    load(
        kernels.folded_word_signatures, offsets, data, minhash.fold_table(lex.unicode), True,
        letters, params.ngram, lex.case, lex.digits, lex.punctuation, lex.accents,
        lex.whitespace, a, b, sig, flags,
    )  # fmt: skip
    load(kernels.band_keys, sig, 1, 1, np.zeros((1, 1), np.uint64))
    load(kernels.bucket_pairs, i64, u64, minhash.BUCKET_ALL_PAIRS, i64, i64)
    load(kernels.agreement, sig, sig, i64, i64, sims)
    from inspector.core.junk import cosine_kernels  # the semantic pairs' cells

    table, f32 = np.zeros((1, 1), np.float32), np.float32(0.0)
    load(
        cosine_kernels.place_rows, table, table, f32, f32, 1, f32, i64, i64,
        np.zeros((1, 1), np.int64),
    )  # fmt: skip


def find_exact_duplicates(
    texts: pl.Series | Sequence[str | None],
    *,
    norm: Normalization = EXACT,
    priority: np.ndarray | None = None,
    valid: np.ndarray | None = None,
    keys: pl.DataFrame | None = None,
) -> DuplicateGroups:
    """Groups of rows whose normalised text is identical (compared by a 128-bit hash of it).
    Empty texts are never grouped. ``keys`` reuses :func:`exact_keys` of the same texts."""
    keys = keys if keys is not None else exact_keys(texts, norm)
    ok = keys.get_column("nonempty").to_numpy()
    if valid is not None:
        ok = ok & np.asarray(valid, dtype=bool)
    group, later, first = key_runs(
        keys.get_column("h1").to_numpy(), keys.get_column("h2").to_numpy(), ok
    )
    rep = representatives(group, priority)
    sim = np.where(group >= 0, 1.0, 0.0).astype(np.float32)
    pairs = pl.DataFrame(
        {"a": first, "b": later, "similarity": np.ones(len(later), np.float32)},
        schema={"a": pl.Int64, "b": pl.Int64, "similarity": pl.Float32},
    )
    return DuplicateGroups(EXACT_DUPLICATE, group, rep, sim, pairs)


def find_minhash_duplicates(
    texts: pl.Series | Sequence[str | None] | None = None,
    *,
    threshold: float = 0.8,
    params: minhash.MinHashParams = minhash.MinHashParams(),
    norm: Normalization = LEXICAL,
    priority: np.ndarray | None = None,
    valid: np.ndarray | None = None,
    signatures: np.ndarray | None = None,
    pair_filter: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
) -> DuplicateGroups:
    """Lexical near-duplicates: MinHash LSH candidates, kept when the estimated Jaccard of the
    pair is ≥ threshold, joined into groups. Pass ``signatures`` to reuse them;
    ``pair_filter(a, b)`` (a bool per pair) may veto verified pairs before grouping."""
    if signatures is None:
        if texts is None:
            raise ValueError("give texts or signatures")
        series = texts if isinstance(texts, pl.Series) else pl.Series("text", list(texts))
        signatures = minhash.text_signatures(series, params, norm)
    pairs = minhash.near_duplicate_pairs(signatures, threshold, valid)
    if pair_filter is not None and len(pairs):
        pairs = pairs.filter(pl.Series(pair_filter(pairs["a"].to_numpy(), pairs["b"].to_numpy())))
    result = groups_from_pairs(len(signatures), pairs, MINHASH_DUPLICATE, priority)
    # similarity to the representative itself, not to whichever member was paired
    rows = np.flatnonzero(result.removed)
    result.similarity[rows] = minhash.estimated_jaccard(
        signatures, rows, result.representative[rows]
    )
    return result


def semantic_pairs(
    knn_indices: np.ndarray,
    knn_sims: np.ndarray,
    threshold: float,
    valid: np.ndarray | None = None,
) -> pl.DataFrame:
    """Unique pairs (a < b, similarity) of the neighbour graph with cosine ≥ threshold.

    Self links, padding (-1), non-finite similarities and rows not ``valid`` (e.g. empty
    texts, whose zero vectors have no direction) never form a pair.
    """
    idx = np.asarray(knn_indices, dtype=np.int64)
    sims = np.asarray(knn_sims, dtype=np.float32)
    n = idx.shape[0]
    if idx.size == 0:
        return pl.DataFrame(schema={"a": pl.Int64, "b": pl.Int64, "similarity": pl.Float32})
    rows = np.broadcast_to(np.arange(n, dtype=np.int64)[:, None], idx.shape)
    ok = (idx >= 0) & (idx < n) & (idx != rows) & np.isfinite(sims) & (sims >= threshold)
    if valid is not None:
        v = np.asarray(valid, dtype=bool)
        ok &= v[rows] & v[np.clip(idx, 0, n - 1)]
    a, b, s = rows[ok], idx[ok], np.minimum(sims[ok], 1.0)
    return (
        pl.DataFrame({"a": np.minimum(a, b), "b": np.maximum(a, b), "similarity": s})
        .group_by("a", "b")
        .agg(pl.col("similarity").max())
        .sort("a", "b")
    )


def threshold_semantic_pairs(
    vectors: np.ndarray,
    threshold: float,
    valid: np.ndarray | None = None,
    progress: Any = None,
) -> pl.DataFrame:
    """Unique pairs (a < b, similarity) of rows with cosine ≥ ``threshold``, found from the
    vectors (:func:`inspector.core.junk.cosine_pairs.cosine_pairs`) instead of a kNN graph:
    what ``analyze`` asks (:func:`semantic_pairs` reads a graph's). Every pair is compared
    up to ``ALL_PAIRS_MAX`` rows; above, a cell search that misses a few (recall in
    benchmarks/results/bench_junk.json). Each row keeps at most ``PAIR_CAP`` pairs per
    block it is compared in (its most similar: a group stays joined through them). Rows not
    ``valid`` never form a pair; similarities are capped at 1."""
    from inspector.core.junk.cosine_pairs import cosine_pairs

    a, b, s = cosine_pairs(vectors, threshold, progress, valid=valid)
    return pl.DataFrame(
        {"a": a, "b": b, "similarity": np.minimum(s, np.float32(1.0))},
        schema={"a": pl.Int64, "b": pl.Int64, "similarity": pl.Float32},
    )  # cosine_pairs returns each pair once, sorted by (a, b)


def find_semantic_duplicates(
    knn_indices: np.ndarray,
    knn_sims: np.ndarray,
    threshold: float,
    *,
    priority: np.ndarray | None = None,
    valid: np.ndarray | None = None,
    vectors: np.ndarray | None = None,
) -> DuplicateGroups:
    """Semantic near-duplicates: neighbour pairs with cosine ≥ threshold, grouped by
    union-find. With ``vectors``, each member's similarity is its cosine to the representative."""
    pairs = semantic_pairs(knn_indices, knn_sims, threshold, valid)
    result = groups_from_pairs(knn_indices.shape[0], pairs, SEMANTIC_DUPLICATE, priority)
    if vectors is not None:
        rows = np.flatnonzero(result.removed)
        rep = result.representative[rows]
        cos = np.einsum("ij,ij->i", vectors[rows], vectors[rep]).astype(np.float32)
        result.similarity[rows] = np.clip(np.nan_to_num(cos, nan=0.0), -1.0, 1.0)
    return result


# -- calibration ---------------------------------------------------------------------------


class Calibration:
    """Live counts for a semantic threshold slider, from one pass over the neighbour graph.

    The groups at threshold t are the components of the maximum spanning forest's edges ≥ t,
    so groups = rows with a pair ≥ t minus forest edges ≥ t: any threshold is answered with
    binary searches. ``representative`` (each row's survivor of the exact and MinHash
    finders, as ``analyze_junk`` runs them first) projects the graph onto the survivors, so
    the counts are the semantic groups that analysis makes; each survivor then stands for
    the rows that follow it.
    """

    def __init__(
        self,
        knn_indices: np.ndarray,
        knn_sims: np.ndarray,
        valid: np.ndarray | None = None,
        representative: np.ndarray | None = None,
        pair_filter: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    ) -> None:
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import minimum_spanning_tree

        n = knn_indices.shape[0]
        pairs = semantic_pairs(knn_indices, knn_sims, -1.0, valid)
        if pair_filter is not None and len(pairs):  # as analyze_junk vetoes them
            pairs = pairs.filter(
                pl.Series(pair_filter(pairs["a"].to_numpy(), pairs["b"].to_numpy()))
            )
        weight = np.ones(n, dtype=np.int64)
        if representative is not None:
            rep = np.asarray(representative, dtype=np.int64)
            a, b = rep[pairs.get_column("a").to_numpy()], rep[pairs.get_column("b").to_numpy()]
            pairs = (
                pl.DataFrame(
                    {
                        "a": np.minimum(a, b),
                        "b": np.maximum(a, b),
                        "similarity": pairs["similarity"],
                    }
                )
                .filter(pl.col("a") != pl.col("b"))
                .group_by("a", "b")
                .agg(pl.col("similarity").max())
                .sort("a", "b")
            )
            weight = np.bincount(rep, minlength=n).astype(np.int64)
        self.pairs = pairs.sort(["similarity", "a", "b"], descending=[True, False, False])
        a = self.pairs.get_column("a").to_numpy()
        b = self.pairs.get_column("b").to_numpy()
        # float32 throughout, as the finder compares them: a pair at exactly t counts the same
        s = self.pairs.get_column("similarity").to_numpy().astype(np.float32)
        best = np.full(n, -np.inf, dtype=np.float32)
        np.maximum.at(best, a, s)
        np.maximum.at(best, b, s)
        order = np.argsort(best, kind="stable")
        self._best = best[order]
        # rows (weighted) whose best pair is at position ≥ i of the sorted bests
        self._rows_from = np.r_[np.cumsum(weight[order][::-1])[::-1], 0]
        if len(a):  # weights 2 - s are > 0, so no edge is lost as a sparse zero
            w = 2.0 - s.astype(np.float64)  # exact in float64, and never a sparse zero
            tree = minimum_spanning_tree(coo_matrix((w, (a, b)), shape=(n, n)).tocsr())
            self._forest = np.sort((2.0 - tree.data).astype(np.float32))
        else:
            self._forest = np.zeros(0, dtype=np.float32)
        self._sims = np.sort(s)

    def counts(self, thresholds: Sequence[float] | np.ndarray) -> pl.DataFrame:
        """threshold, pairs, groups, rows_in_groups, rows_removed for each threshold
        (rows_removed: every member of a group but its kept row)."""
        t = np.asarray(thresholds, dtype=np.float32)
        n_pairs = len(self._sims) - np.searchsorted(self._sims, t, side="left")
        edges = len(self._forest) - np.searchsorted(self._forest, t, side="left")
        start = np.searchsorted(self._best, t, side="left")
        nodes = len(self._best) - start
        rows = self._rows_from[start]
        groups = nodes - edges
        return pl.DataFrame(
            {
                "threshold": t.astype(np.float64),
                "pairs": n_pairs.astype(np.int64),
                "groups": groups.astype(np.int64),
                "rows_in_groups": rows.astype(np.int64),
                "rows_removed": (rows - groups).astype(np.int64),
            }
        )

    def pairs_near(self, threshold: float, n: int = 10) -> pl.DataFrame:
        """The n pairs just above (side "above", ≥ threshold) and n just below it."""
        above = self.pairs.filter(pl.col("similarity") >= threshold).tail(n)
        below = self.pairs.filter(pl.col("similarity") < threshold).head(n)
        return pl.concat(
            [
                above.sort("similarity").with_columns(side=pl.lit("above")),
                below.with_columns(side=pl.lit("below")),
            ]
        )


def calibrate(
    knn_indices: np.ndarray,
    knn_sims: np.ndarray,
    thresholds: Sequence[float] | np.ndarray,
    valid: np.ndarray | None = None,
) -> pl.DataFrame:
    """Counts of pairs, groups and rows affected for each candidate semantic threshold."""
    return Calibration(knn_indices, knn_sims, valid).counts(thresholds)


def pairs_near(
    knn_indices: np.ndarray,
    knn_sims: np.ndarray,
    threshold: float,
    n: int = 10,
    valid: np.ndarray | None = None,
) -> pl.DataFrame:
    """The pairs closest to ``threshold`` on both sides (see :meth:`Calibration.pairs_near`)."""
    return Calibration(knn_indices, knn_sims, valid).pairs_near(threshold, n)
