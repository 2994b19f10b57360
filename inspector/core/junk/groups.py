"""Groups from pairs of rows, on numpy arrays only: connected components, the representative
each group keeps, each member's similarity to it, runs of equal 128-bit keys, and pairs
projected onto survivors.

These run on every row of a dataset (the Ray engine's head holds 10M+ rows here), so each
step is a sort or a scan over flat arrays: no hash joins, no frames per row. Peak memory is
a few arrays of n int64.
"""

from __future__ import annotations

import numpy as np


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union-find over pairs: group id per row (0.. in order of each group's first row),
    -1 for rows in no pair."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if len(a) == 0:
        return np.full(n, -1, dtype=np.int64)
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    del graph
    paired = np.zeros(n, dtype=bool)
    paired[a] = True
    paired[b] = True
    rows = np.flatnonzero(paired)
    del paired
    return _rank_by_first_row(n, rows, labels[rows])


def _rank_by_first_row(n: int, rows: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Group ids renumbered 0.. in order of each group's first row (``rows`` ascending)."""
    _, first_pos, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rank = np.empty(len(first_pos), dtype=np.int64)
    rank[np.argsort(first_pos, kind="stable")] = np.arange(len(first_pos))
    out = np.full(n, -1, dtype=np.int64)
    out[rows] = rank[inverse]
    return out


def representatives(group: np.ndarray, priority: np.ndarray | None = None) -> np.ndarray:
    """Per row, the row kept for its group: highest priority, ties to the first seen."""
    n = len(group)
    prio = np.zeros(n) if priority is None else np.asarray(priority, dtype=np.float64)
    prio = np.where(np.isfinite(prio), prio, -np.inf)
    rows = np.flatnonzero(group >= 0)
    out = np.full(n, -1, dtype=np.int64)
    if len(rows) == 0:
        return out
    order = rows[np.lexsort((rows, -prio[rows], group[rows]))]
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    best = np.empty(int(g.max()) + 1, dtype=np.int64)
    best[g[starts]] = order[starts]
    out[rows] = best[group[rows]]
    return out


def pair_keys(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One int64 per pair (a, b) of rows below ``n``."""
    if n and n > np.iinfo(np.int64).max // n:
        raise ValueError(f"{n} rows: pair keys would overflow int64")
    return np.asarray(a, np.int64) * n + np.asarray(b, np.int64)


def similarity_to_representative(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    similarity: np.ndarray,
    rows: np.ndarray,
    reps: np.ndarray,
) -> np.ndarray:
    """For each ``rows[i]``: the similarity of the pair (row, its representative) where that
    pair is among (a, b) (the first such pair if repeated), else the row's best similarity
    over all its pairs (NaN for a row in no pair)."""
    similarity = np.asarray(similarity, np.float32)
    best = np.full(n, np.nan, np.float32)
    np.fmax.at(best, np.asarray(a, np.int64), similarity)
    np.fmax.at(best, np.asarray(b, np.int64), similarity)
    out = best[rows]
    del best
    keys = pair_keys(n, a, b)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    want = pair_keys(n, np.minimum(rows, reps), np.maximum(rows, reps))
    at = np.searchsorted(keys, want)
    hit = at < len(keys)
    hit[hit] = keys[at[hit]] == want[hit]
    out[hit] = similarity[order[at[hit]]]
    return out


def key_runs(
    h1: np.ndarray, h2: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows whose ``ok`` is set that share their (h1, h2) key with another such row.

    Returns ``(group, rows, first)``: group per row (0.. in order of each group's first row,
    -1 alone or not ok); the grouped rows that are not their group's first, ascending by
    (group, row); and for each of them its group's first row."""
    n = len(h1)
    cand = np.flatnonzero(ok)
    order = cand[np.lexsort((cand, h2[cand], h1[cand]))]  # by key, then row
    del cand
    hs1, hs2 = h1[order], h2[order]
    new = np.empty(len(order), bool)
    new[:1] = True
    np.not_equal(hs1[1:], hs1[:-1], out=new[1:])
    new[1:] |= hs2[1:] != hs2[:-1]
    del hs1, hs2
    run = np.cumsum(new) - 1
    size = np.bincount(run)
    in_group = size[run] > 1
    del size
    grouped, run, new = order[in_group], run[in_group], new[in_group]
    del order, in_group
    heads = grouped[new]  # each group's first row, in key order
    rank = np.empty(len(heads), np.int64)
    rank[np.argsort(heads, kind="stable")] = np.arange(len(heads))
    run_rank = rank[np.cumsum(new) - 1]
    group = np.full(n, -1, dtype=np.int64)
    group[grouped] = run_rank
    later = ~new
    rows, first, g = grouped[later], heads[np.cumsum(new)[later] - 1], run_rank[later]
    sort = np.lexsort((rows, g))
    return group, rows[sort], first[sort]


def projected_pairs(
    rep: np.ndarray, a: np.ndarray, b: np.ndarray, similarity: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (a, b) moved onto the rows that survive them (``rep``), self-pairs dropped and
    repeats merged by their highest similarity: (a, b, similarity), a < b, sorted."""
    n = len(rep)
    ra, rb = rep[np.asarray(a, np.int64)], rep[np.asarray(b, np.int64)]
    lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
    del ra, rb
    keep = lo != hi
    keys = pair_keys(n, lo[keep], hi[keep])
    del lo, hi
    sim = np.asarray(similarity, np.float32)[keep]
    order = np.argsort(keys, kind="stable")
    keys, sim = keys[order], sim[order]
    del order
    if not len(keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    best = np.maximum.reduceat(sim, starts)
    keys = keys[starts]
    return keys // n, keys % n, best
