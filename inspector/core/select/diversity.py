"""Picking N rows spread over an embedding space: the algorithms, on plain arrays.

- **Strata**: the map's clusters (or k-means cells when there is no map), each cut into
  cells of at most :data:`CELL_MAX` rows by a seeded k-means so the greedy step stays cheap.
- **Quotas**: N shared out over the clusters in proportion to their eligible rows (largest
  remainder, ties by a seeded order), at least one per cluster while N allows, so a small
  topic is not lost to a big one; a cluster's quota is shared over its cells the same way.
- **Within a cell**: greedy facility location: each pick is the row with the best
  ``weight x gain``, the gain being how much it raises the summed cosine of the cell's rows
  to their nearest pick. That is the coverage a subset is judged by (mean distance from a
  row to its nearest selected row; the greedy is within 1 - 1/e of the best). Farthest-point
  (max-min) picks, used before, minimise the *largest* distance instead: they spend the
  quota on a cell's outliers, and lost to random sampling on the mean at 5-10%
  (benchmarks/results/bench_select.json).
- **Caps**: ``per`` codes (e.g. one code per prompt) with at most ``cap`` picks per code.
- What the quotas could not fill (caps, small cells) is filled by weight over all rows left.

Everything is deterministic for the same arrays and seed (stable sorts, seeded ties).
"""

from __future__ import annotations

import numpy as np
from numba import njit

CELL_MAX = 512  # rows per cell the greedy step compares (work ~ N x CELL_MAX x dim)
KMEANS_ITERS = 8
CHUNK = 8192


def unit(vectors: np.ndarray) -> np.ndarray:
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.divide(v, norms, out=np.zeros_like(v), where=norms > 1e-12)


def kmeans_cells(v: np.ndarray, cells: int, seed: int) -> np.ndarray:
    """Cosine k-means labels (0..cells-1) of the unit rows ``v``, trained on a seeded sample."""
    n = len(v)
    cells = max(1, min(int(cells), n))
    if cells == 1:
        return np.zeros(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    train = v[np.sort(rng.choice(n, min(n, 32 * cells), replace=False))]
    centres = train[np.sort(rng.choice(len(train), cells, replace=False))].copy()
    for _ in range(KMEANS_ITERS):
        assign = nearest_centre(train, centres)
        sums = np.zeros_like(centres)
        np.add.at(sums, assign, train)
        norms = np.linalg.norm(sums, axis=1)
        alive = norms > 1e-9
        centres[alive] = sums[alive] / norms[alive, None]
    return nearest_centre(v, centres)


def nearest_centre(v: np.ndarray, centres: np.ndarray) -> np.ndarray:
    out = np.empty(len(v), dtype=np.int64)
    for start in range(0, len(v), CHUNK):
        out[start : start + CHUNK] = np.argmax(v[start : start + CHUNK] @ centres.T, axis=1)
    return out


def quotas(sizes: np.ndarray, n: int, order_key: np.ndarray) -> np.ndarray:
    """``n`` shared over groups of ``sizes`` (each at most its size): one each first while
    ``n`` covers every group (largest groups first otherwise), the rest in proportion by
    largest remainder; ties go by ``order_key`` (a seeded permutation)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    out = np.zeros(len(sizes), dtype=np.int64)
    n = int(min(n, sizes.sum()))
    if n <= 0:
        return out
    nonempty = np.flatnonzero(sizes > 0)
    if n < len(nonempty):  # not one each: the biggest groups, then the order key
        rank = np.lexsort((order_key[nonempty], -sizes[nonempty]))
        out[nonempty[rank[:n]]] = 1
        return out
    out[nonempty] = 1
    rest = n - len(nonempty)
    room = sizes - out
    if rest and room.sum():
        share = rest * room / room.sum()
        base = np.minimum(np.floor(share).astype(np.int64), room)
        out += base
        left = rest - int(base.sum())
        while left > 0:
            frac = np.where(room - base > 0, share - base, -1.0)
            rank = np.lexsort((order_key, -frac))
            take = [i for i in rank if room[i] - base[i] > 0][:left]
            for i in take:
                base[i] += 1
                out[i] += 1
            left -= len(take)
            if not take:
                break
    return out


def cells_within(
    v: np.ndarray, strata: np.ndarray, seed: int, cell_max: int = CELL_MAX
) -> np.ndarray:
    """A cell id per row: each stratum cut by k-means into cells of about ``cell_max`` rows."""
    cell = np.empty(len(v), dtype=np.int64)
    order = np.argsort(strata, kind="stable")
    bounds = np.flatnonzero(np.diff(strata[order])) + 1
    next_id = 0
    for rows in np.split(order, bounds):
        if not len(rows):
            continue
        k = int(np.ceil(len(rows) / cell_max))
        labels = kmeans_cells(v[rows], k, seed) if k > 1 else np.zeros(len(rows), np.int64)
        cell[rows] = next_id + labels
        next_id += k
    return cell


@njit(cache=True)
def _cover_cell(  # type: ignore[no-untyped-def]
    sims, weights, rows, quota, codes, cap, counts, chosen
):
    """Greedy facility location in one cell: ``quota`` picks, each the row ``j`` with the best
    ``weights[j] x gain(j)``, where gain is how much picking ``j`` raises the cell's summed
    cosine of every row to its nearest pick (the coverage bench_select measures). The gain
    of a row only shrinks as picks are added, so a stale gain is an upper bound and only the
    leader's is recomputed (lazy greedy). At most ``cap`` picks per code (``counts``)."""
    m = sims.shape[0]
    best = np.full(m, -1.0, dtype=np.float32)  # each row's cosine to its nearest pick
    bound = np.zeros(m, dtype=np.float64)
    for j in range(m):
        g = 0.0
        for i in range(m):
            g += sims[i, j] + 1.0
        bound[j] = g
    fresh = np.ones(m, dtype=np.bool_)
    taken = np.zeros(m, dtype=np.bool_)
    picked = 0
    while picked < quota:
        while True:
            lead = -1
            lead_score = -np.inf
            for j in range(m):
                r = rows[j]
                if taken[j] or chosen[r] or (cap > 0 and counts[codes[r]] >= cap):
                    continue
                score = weights[r] * bound[j]
                if score > lead_score:
                    lead_score = score
                    lead = j
            if lead < 0 or fresh[lead]:
                break
            g = 0.0
            for i in range(m):
                d = sims[i, lead] - best[i]
                if d > 0:
                    g += d
            bound[lead] = g
            fresh[lead] = True
        if lead < 0:
            break
        r = rows[lead]
        taken[lead] = True
        chosen[r] = True
        counts[codes[r]] += 1
        picked += 1
        for i in range(m):
            if sims[i, lead] > best[i]:
                best[i] = sims[i, lead]
        fresh[:] = False
    return chosen


def _cover_cells(
    v: np.ndarray,
    weights: np.ndarray,
    rows: np.ndarray,
    starts: np.ndarray,
    quota: np.ndarray,
    codes: np.ndarray,
    cap: int,
    counts: np.ndarray,
    chosen: np.ndarray,
) -> None:
    """:func:`_cover_cell` over each cell ``rows[starts[c]:starts[c+1]]`` with a quota."""
    for c in np.flatnonzero(quota > 0):
        members = rows[starts[c] : starts[c + 1]]
        if len(members):
            vc = v[members]
            _cover_cell(vc @ vc.T, weights, members, int(quota[c]), codes, cap, counts, chosen)


def select_diverse(
    vectors: np.ndarray,
    strata: np.ndarray,
    weights: np.ndarray,
    eligible: np.ndarray,
    n: int,
    *,
    codes: np.ndarray | None = None,
    cap: int = 0,
    seed: int = 0,
    diverse: bool = True,
) -> np.ndarray:
    """Indices (sorted) of at most ``n`` eligible rows: stratified quotas and coverage
    (facility-location) picks weighted by ``weights`` (``diverse``), or the best weights (not ``diverse``);
    at most ``cap`` rows per value of ``codes`` when ``cap`` > 0."""
    total = len(vectors)
    rng = np.random.default_rng(seed)
    tie = rng.permutation(total)  # the seeded order that breaks every tie
    w = np.where(eligible, np.nan_to_num(weights.astype(np.float32), nan=0.0), 0.0)
    w = np.clip(w, 0.0, None).astype(np.float32) + np.float32(1e-6)
    code = np.zeros(total, np.int64) if codes is None else np.asarray(codes, np.int64)
    counts = np.zeros(int(code.max()) + 1 if total else 1, dtype=np.int64)
    chosen = np.zeros(total, dtype=np.bool_)
    rows_ok = np.flatnonzero(eligible)
    n = int(min(n, len(rows_ok)))
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    if diverse:
        v = unit(vectors)
        sub = rows_ok
        cell = np.full(total, -1, dtype=np.int64)
        cell[sub] = cells_within(v[sub], np.asarray(strata)[sub], seed)
        groups, group_of = np.unique(np.asarray(strata)[sub], return_inverse=True)
        group_q = quotas(np.bincount(group_of), n, rng.permutation(len(groups)))
        cell_q = np.zeros(int(cell[sub].max()) + 1, dtype=np.int64)
        for g in range(len(groups)):
            members = sub[group_of == g]
            ids, inv = np.unique(cell[members], return_inverse=True)
            cell_q[ids] = quotas(np.bincount(inv), int(group_q[g]), rng.permutation(len(ids)))
        order = sub[np.lexsort((tie[sub], cell[sub]))]
        starts = np.searchsorted(cell[order], np.arange(len(cell_q) + 1))
        _cover_cells(v, w, order, starts, cell_q, code, int(cap), counts, chosen)
    left = n - int(chosen.sum())
    if left > 0:  # by weight over what is left (caps and small cells leave gaps)
        rest = rows_ok[~chosen[rows_ok]]
        rest = rest[np.lexsort((tie[rest], -w[rest]))]
        for r in rest:
            if left == 0:
                break
            if cap > 0 and counts[code[r]] >= cap:
                continue
            chosen[r] = True
            counts[code[r]] += 1
            left -= 1
    return np.flatnonzero(chosen)


def nearest_selected_distance(
    vectors: np.ndarray, selected: np.ndarray, rows: np.ndarray | None = None
) -> np.ndarray:
    """Cosine distance (1 - cos) from each of ``rows`` (default all) to its nearest row in
    ``selected``."""
    v = unit(vectors)
    rows = np.arange(len(v)) if rows is None else np.asarray(rows)
    out = np.full(len(rows), np.nan, dtype=np.float32)
    if not len(selected):
        return out
    picked = v[np.asarray(selected)]
    for start in range(0, len(rows), 2048):
        block = v[rows[start : start + 2048]]
        best = np.full(len(block), -np.inf, dtype=np.float32)
        for s in range(0, len(picked), 16384):
            best = np.maximum(best, (block @ picked[s : s + 16384].T).max(axis=1))
        out[start : start + 2048] = 1.0 - np.clip(best, -1.0, 1.0)
    return out
