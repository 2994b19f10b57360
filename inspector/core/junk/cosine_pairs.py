"""The pairs of rows at cosine ≥ a threshold: semantic duplicates without a kNN graph.

Semantic duplicates need the pairs above a high threshold (0.9-0.99), not each row's
neighbours. Up to ``ALL_PAIRS_MAX`` rows every pair is compared (blocked matrix products).
Above, rows are cut into cells of ~sqrt(n) rows (at most ``LEAF_MAX``) around spherical
k-means centres, each row in the cell of its nearest centre; every pair inside a cell is
compared, and a pair split across two cells is found when one of its rows probes the
other's cell.

Which cells a row probes. For unit vectors ``x`` (cell ``h``) and ``y`` (cell ``c``) at
cosine ≥ t, ``|x - y| ≤ d = sqrt(2 - 2t)``. ``x`` lies on ``h``'s side of the bisector
hyperplane of the two centres, ``y`` on ``c``'s, so the segment between them crosses it and
their distances to it add up to at most ``d``: one of them is within ``d / 2`` of it, and
finds the pair if it probes the other's cell. A row's distance to that bisector is
``(x·h - x·c) / |h - c|``, read off the products with the centres that placing the row
computed anyway. With ``exact`` each row probes every cell whose bisector is within
``d / 2``: no pair is missed (up to float32 rounding, allowed for). That is many cells in
high dimensions, where most rows are near many borders; by default a row probes those
within ``NEAR * d`` and the cells of its nearest borders within ``d / 2``, as many as hold
~``PROBE_ROWS`` rows at t = 0.98 (more at lower thresholds, as ``d²``; 2 cells of ~1,000
rows at 1M rows, 11 of ~180 at 32k): a pair is missed only when both its rows are further
from the border than that and other borders are nearer. Recall against every pair (real
answers, synthetic sets) is in benchmarks/results/bench_junk.json and
tests/core/test_cosine_pairs_recall.py.

Each pair's similarity is then recomputed the same way whichever block found it (float32
products summed in float64, rounded to float32), so all pairs, the cells and any leaf or
seed agree on every pair they find, ties at the threshold included. Zero and non-finite
vectors pair with nothing. A row keeps at most ``cap`` pairs per block it is compared in
(its most similar: a group of many copies stays joined through them, in n·cap pairs, not
n²). Same vectors, same pairs: the k-means is seeded and every sort is stable.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import numpy as np

from inspector.core.jobs import Progress

PAIR_STAGE = "similar pairs"
ALL_PAIRS_MAX = 20_000  # up to this many rows every pair is compared
LEAF_MAX = 1024  # rows per cell above it: ~sqrt(n), between LEAF_MIN and LEAF_MAX
LEAF_MIN = 128
NEAR = 0.05  # a row probes every cell whose border is this near, in pair distances d
PROBE_ROWS = 2048  # and its nearest borders' cells within d / 2, as many as hold about
PROBES_MAX = 16  # this many rows at t = 0.98 (growing as d²), from 2 to PROBES_MAX cells
PAIR_CAP = 64  # most pairs a row keeps per block it is compared in (its most similar)
BLOCK = 1 << 22  # similarities computed at a time (16 MB of float32)
PLACE_BLOCK = 8192  # rows placed into cells at a time
KMEANS_ITERS = 5
TRAIN_PER_CELL = 32  # sample rows a cell that the k-means learns from
SIZE_SAMPLE = 64  # sample rows a cell that measure the cells' sizes
MARGIN = 1e-4  # float32 products are compared with t - MARGIN, then recomputed
SLACK = 1e-5  # rounding allowed for in the probe test

T = TypeVar("T")
R = TypeVar("R")


def cosine_pairs(
    vectors: np.ndarray,
    threshold: float,
    progress: Progress | None = None,
    *,
    valid: np.ndarray | None = None,
    seed: int = 0,
    leaf: int | None = None,
    exact: bool = False,
    cap: int | None = PAIR_CAP,
    all_pairs_max: int | None = None,
    near: float = NEAR,
    probes: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(a int64, b int64, similarity float32)``: pairs ``a < b`` of rows whose cosine is
    ≥ ``threshold``, sorted by ``(a, b)``, each once. Vectors within 1e-3 of unit length are
    taken as they are (as :func:`inspector.core.map.neighbors.as_unit_vectors` does). Rows
    not ``valid`` (e.g. empty texts) pair with nothing.

    ``exact`` probes every cell a pair can span (with ``cap=None`` too, every pair is
    found). ``cap=None`` keeps every pair (a set of many identical vectors then has n² of
    them). ``leaf`` (rows per cell), ``seed`` and ``all_pairs_max`` (default
    ``ALL_PAIRS_MAX``) change only the work, and with ``exact`` never the pairs; ``near``
    and ``probes`` (the cells a row probes; see the module's notes) are for measuring.
    """
    from inspector.core.map.neighbors import as_unit_vectors

    progress = progress if progress is not None else Progress()
    raw = np.asarray(vectors, dtype=np.float32)
    v = as_unit_vectors(raw)
    live_mask = np.linalg.norm(v, axis=1) > 0.5
    if v is not raw:  # normalised: rows with NaN or inf were zeroed in part only
        live_mask &= np.isfinite(raw).all(axis=1)
    if valid is not None:
        live_mask &= np.asarray(valid, dtype=bool)
    live = np.flatnonzero(live_mask)
    t = np.float32(threshold)
    if len(live) < 2:
        return _empty()
    low = float(t) - MARGIN
    with _one_blas_thread():
        if len(live) <= (ALL_PAIRS_MAX if all_pairs_max is None else all_pairs_max):
            home = np.zeros(len(live), np.int64)
            probe_row = probe_cell = np.zeros(0, np.int64)
            cells = 1
        else:
            if leaf is None:
                leaf = int(np.clip(round(np.sqrt(len(live))), LEAF_MIN, LEAF_MAX))
            progress.status(PAIR_STAGE, None, f"cutting {len(live):,} rows into cells of ~{leaf}")
            rows = v if len(live) == len(v) else v[live]  # no copy of 1 GB at 1M rows
            centres = train_cells(rows, leaf, seed)
            progress.check()
            d = float(np.sqrt(max(0.0, 2.0 - 2.0 * low)))
            if exact:
                near, probes = 0.5, len(centres)
            elif probes is None:  # d² / 0.04: 1 at t = 0.98
                probes = int(np.clip(round(PROBE_ROWS * d * d / 0.04 / leaf), 2, PROBES_MAX))
            progress.status(
                PAIR_STAGE, len(live), f"placing {len(live):,} rows in {len(centres):,} cells"
            )
            home, probe_row, probe_cell = place(rows, centres, d / 2, near * d, probes, progress)
            del rows
            cells = len(centres)
        found = _search_cells(v, live, home, probe_row, probe_cell, cells, low, cap, progress, t)
        return _verified(v, found, t)


def _empty() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """BLAS single-threaded while the search runs its own threads: on a busy machine a
    small product on two BLAS threads waits ~8 ms for the second one (measured: 35 times
    a single thread's 0.23 ms for 179 x 179 x 256)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        yield


def _workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _in_threads(
    work: Callable[[T], R],
    items: Sequence[T],
    progress: Progress,
    steps: Sequence[int] | None = None,
) -> list[R]:
    """``work`` over ``items`` on one thread a core, results in the items' order (so the
    same input gives the same output whatever the threads' timing); progress advances from
    this thread, which also stops the rest when the job is cancelled."""
    from concurrent.futures import ThreadPoolExecutor

    out: list[R] = []
    if _workers() == 1 or len(items) < 2:
        for k, item in enumerate(items):
            out.append(work(item))
            progress.advance(steps[k] if steps is not None else 1)
        return out
    with ThreadPoolExecutor(_workers(), "inspector-pairs") as pool:
        futures = [pool.submit(work, item) for item in items]
        try:
            for k, future in enumerate(futures):
                out.append(future.result())
                progress.advance(steps[k] if steps is not None else 1)
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return out


def _slices(keys: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``(order, start)``: positions of ``keys`` equal to ``k`` are
    ``order[start[k]:start[k + 1]]`` (in order), for k < count."""
    order = np.argsort(keys, kind="stable")
    return order, np.searchsorted(keys[order], np.arange(count + 1))


def kmeans(v: np.ndarray, cells: int, seed: int, iters: int = KMEANS_ITERS) -> np.ndarray:
    """Unit centres of ``cells`` spherical k-means cells of ``v``, seeded."""
    rng = np.random.default_rng(seed)
    cells = max(1, min(cells, len(v)))
    centres = v[np.sort(rng.choice(len(v), cells, replace=False))].copy()
    for _ in range(iters if cells > 1 else 0):
        assign = nearest(v, centres)
        order = np.argsort(assign, kind="stable")
        counts = np.bincount(assign, minlength=cells)
        alive = np.flatnonzero(counts)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])[alive]
        sums = np.add.reduceat(v[order], starts, axis=0)
        norms = np.linalg.norm(sums, axis=1)
        ok = norms > 1e-9
        centres[alive[ok]] = sums[ok] / norms[ok, None]  # empty cells keep their centre
    return np.ascontiguousarray(centres, dtype=np.float32)


def nearest(v: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Each row's nearest centre (the first of equal ones)."""
    out = np.empty(len(v), dtype=np.int64)
    for start in range(0, len(v), PLACE_BLOCK):
        out[start : start + PLACE_BLOCK] = np.argmax(
            v[start : start + PLACE_BLOCK] @ centres.T, axis=1
        )
    return out


def train_cells(v: np.ndarray, leaf: int, seed: int) -> np.ndarray:
    """Centres of cells of ~``leaf`` rows: spherical k-means of ~sqrt(cells) groups, then
    of cells inside each group (training costs ~sqrt(cells) products a row, not cells), on
    a seeded sample of ``TRAIN_PER_CELL`` rows a cell. A larger sample then measures the
    cells, and those over twice their share are cut again: in high dimensions k-means makes
    hubs (a centre near the middle of a cloud of rows is the nearest of many of them)."""
    rng = np.random.default_rng(seed)
    n = len(v)
    cells = int(max(1, round(n / max(1, leaf))))
    train = v[np.sort(rng.choice(n, min(n, TRAIN_PER_CELL * cells), replace=False))]
    groups = kmeans(train, int(max(1, round(np.sqrt(cells)))), seed)
    owner = nearest(train, groups)
    parts = [
        kmeans(mine, -(-len(mine) // TRAIN_PER_CELL), seed + 1 + g)
        for g in range(len(groups))
        if len(mine := train[owner == g])
    ]
    centres = np.concatenate(parts)
    sample = v[np.sort(rng.choice(n, min(n, SIZE_SAMPLE * len(centres)), replace=False))]
    owner = nearest(sample, centres)
    share = len(sample) / len(centres)
    counts = np.bincount(owner, minlength=len(centres))
    kept = [centres[counts <= 2 * share]]
    for c in np.flatnonzero(counts > 2 * share):
        kept.append(
            kmeans(sample[owner == c], int(np.ceil(counts[c] / share)), seed + 7919 + int(c))
        )
    return np.ascontiguousarray(np.concatenate(kept), dtype=np.float32)


def place(
    v: np.ndarray,
    centres: np.ndarray,
    reach: float,
    near: float,
    probes: int,
    progress: Progress,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(home, probe_row, probe_cell)``: each row's nearest centre (ties to the lower cell)
    and the (row, cell) pairs of the cells it probes, of those whose bisector with its home
    cell is within ``reach`` (a distance): every one within ``near`` and the ``probes``
    nearest (:func:`inspector.core.junk.cosine_kernels.place_rows`)."""
    from inspector.core.junk import cosine_kernels

    dots = np.clip(centres @ centres.T, -1.0, 1.0)
    dist = np.sqrt(np.maximum(0.0, 2.0 - 2.0 * dots)).astype(np.float32)
    width = max(1, min(len(centres), max(probes, PROBES_MAX)))
    args = (dist, np.float32(reach), np.float32(near), int(probes), np.float32(SLACK))

    def block(start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = v[start : start + PLACE_BLOCK]
        scores = rows @ centres.T
        home = np.empty(len(rows), dtype=np.int64)
        counts = np.empty(len(rows), dtype=np.int64)
        cells = np.empty((len(rows), width), dtype=np.int64)
        cosine_kernels.place_rows(scores, *args, home, counts, cells)
        i, j = np.nonzero(np.arange(width) < counts[:, None])
        return home, start + i, cells[i, j]

    starts = list(range(0, len(v), PLACE_BLOCK))
    steps = [min(PLACE_BLOCK, len(v) - s) for s in starts]
    parts = _in_threads(block, starts, progress, steps)
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))  # type: ignore[return-value]


def _above(
    sims: np.ndarray,
    low: float,
    qids: np.ndarray,
    bids: np.ndarray,
    cap: int | None,
    triangle: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (min, max row id) of a block ``sims`` (queries ``qids`` x base ``bids``) at ≥
    ``low``, each query keeping its ``cap`` most similar (ties: the lower partner); with
    ``triangle`` the base starts at the first query and only j > i are pairs."""
    none = np.zeros(0, np.int64)
    hit = np.flatnonzero(sims.max(axis=1) >= low)  # pairs are rare: rows first
    if not len(hit):
        return none, none
    qi, bi = np.nonzero(sims[hit] >= low)
    qi = hit[qi]
    if triangle:
        keep = bi > qi
        qi, bi = qi[keep], bi[keep]
    ra, rb = qids[qi], bids[bi]
    if cap is not None and len(qi):
        counts = np.bincount(qi)
        if counts.max() > cap:  # each query keeps its most similar
            order = np.lexsort((rb, -sims[qi, bi], qi))
            qi, ra, rb = qi[order], ra[order], rb[order]
            first = np.concatenate([[0], np.cumsum(counts)[:-1]])
            keep = np.arange(len(qi)) - first[qi] < cap
            ra, rb = ra[keep], rb[keep]
    return np.minimum(ra, rb).astype(np.int64), np.maximum(ra, rb).astype(np.int64)


def _search_cells(
    v: np.ndarray,
    rows: np.ndarray,
    home: np.ndarray,
    probe_row: np.ndarray,
    probe_cell: np.ndarray,
    cells: int,
    low: float,
    cap: int | None,
    progress: Progress,
    t: np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (row ids, a < b, possibly repeated): every pair inside a cell and
    each probing row against the cells it probes. ``rows`` are row ids of ``v``; ``home``
    and ``probe_row`` index into them."""
    order, start = _slices(home, cells)
    ids = rows[order]
    vp = v[ids]
    probes, probe_start = _slices(probe_cell, cells)
    visitors = rows[probe_row[probes]]
    # the work in pieces of about BLOCK similarities: (cell, queries, from), from < 0 for
    # visitors, else the first member of a block of the cell's own rows
    pieces: list[tuple[int, int, int]] = []
    for c in range(cells):
        size = int(start[c + 1] - start[c])
        if not size:
            continue
        step = max(1, BLOCK // size)
        pieces += [(c, q0, min(size, q0 + step)) for q0 in range(0, size, step)]
        guests = int(probe_start[c + 1] - probe_start[c])
        pieces += [(c, -1 - q0, min(guests, q0 + step)) for q0 in range(0, guests, step)]

    def piece(job: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
        c, q0, q1 = job
        base, base_ids = vp[start[c] : start[c + 1]], ids[start[c] : start[c + 1]]
        if q0 >= 0:  # the cell's own rows with those after them
            if q0 == 0 and q1 == len(base):
                sims = base @ base.T  # numpy's symmetric product: half the work
            else:
                sims = base[q0:q1] @ base[q0:].T
            diagonal = np.arange(q1 - q0)
            sims[diagonal, diagonal] = -2.0  # a row with itself
            return _above(sims, low, base_ids[q0:q1], base_ids[q0:], cap, True)
        q = visitors[probe_start[c] + (-1 - q0) : probe_start[c] + q1]
        return _above(v[q] @ base.T, low, q, base_ids, cap, False)

    progress.status(PAIR_STAGE, len(pieces), f"pairs of {len(rows):,} rows above {float(t):.3f}")
    found = _in_threads(piece, pieces, progress)
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])


def pair_cosines(v: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float32 cosines of the pairs (a[i], b[i]) of unit rows: float32 products summed in
    float64 (exact products, an error far below float32's), so the value of a pair does
    not depend on the route, block or thread that computed it."""
    out = np.empty(len(a), dtype=np.float32)
    step = max(1, (1 << 24) // max(1, v.shape[1]))
    for s0 in range(0, len(a), step):
        x = v[a[s0 : s0 + step]].astype(np.float64)
        x *= v[b[s0 : s0 + step]]
        out[s0 : s0 + step] = x.sum(axis=1)
    return out


def _verified(
    v: np.ndarray, found: tuple[np.ndarray, np.ndarray], t: np.float32
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, b = found
    if not len(a):
        return _empty()
    n = np.uint64(len(v))
    code = np.unique(a.astype(np.uint64) * n + b.astype(np.uint64))  # sorted by (a, b)
    a, b = (code // n).astype(np.int64), (code % n).astype(np.int64)
    s = pair_cosines(v, a, b)
    keep = s >= t
    return a[keep], b[keep], s[keep]
