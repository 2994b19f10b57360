"""The k-nearest-neighbour graph of an embedding set (cosine similarity, self excluded).

One graph per (vectors, k), cached in ``cache_dir()/knn`` and reused by the layout,
"more like this" and the semantic duplicate and outlier finders.

Methods:

- ``"exact"`` (default up to ``EXACT_MAX`` rows): blocked matrix products.
- ``"ivf"`` (default above): an inverted-file index in plain numpy. Spherical k-means puts
  the rows into ~2*sqrt(n) cells; each row is compared exactly with the members of its
  ``NPROBE`` nearest cells. Deterministic and free of JIT compilation. Measured at 100k
  chat-like texts on 2 cores, each in a fresh process (benchmarks/results/bench_map.json):
  ivf 17 s with recall@15 0.988, pynndescent 53 s with 0.999 - most of pynndescent's time
  is numba compiling in every new process, a third of the 3-minute budget for a
  100k-row map. Cost grows ~n^1.5. Weak spot: structureless data (isotropic noise, where
  neighbours are nearly random) gets lower recall (~0.8 on 5 Gaussian blobs in 32-d);
  embeddings of real text are strongly clustered.
- ``"nndescent"``: pynndescent, on request.

Similarities are always dot products of the normalised vectors, so zero vectors have
similarity 0 to everything (pynndescent's cosine calls two zero vectors identical) and
nothing is ever NaN.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from inspector.core.atomic import save_npz
from inspector.core.jobs import Progress
from inspector.core.paths import cache_dir

EXACT_MAX = 20_000
BLOCK = 1024
NPROBE = 8
KMEANS_ITERS = 8
METHODS = ("exact", "ivf", "nndescent")
KNN_STAGE = "neighbours"
_VERSION = "1"


def vectors_digest(vectors: np.ndarray) -> str:
    """A short digest of a float32 vector array (shape included)."""
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(v.shape).encode())
    h.update(v.tobytes() if v.size == 0 else memoryview(v).cast("B"))  # type: ignore[arg-type]
    return h.hexdigest()


def knn_graph(
    vectors: np.ndarray,
    k: int = 15,
    progress: Progress | None = None,
    seed: int = 0,
    cache: bool = True,
    digest: str | None = None,
    method: str | None = None,
    stage: str = KNN_STAGE,
) -> tuple[np.ndarray, np.ndarray]:
    """``(indices int32 (n, k), sims float32 (n, k))`` sorted by similarity, self excluded.

    ``k`` is capped at ``n - 1``. ``digest`` may pass a precomputed :func:`vectors_digest`.
    ``method`` is one of ``METHODS`` (default: exact up to ``EXACT_MAX`` rows, else ivf).
    ``stage`` names the progress stage (the layout reports its sample graph as "layout").
    """
    progress = progress if progress is not None else Progress()
    v = as_unit_vectors(vectors)
    n = len(v)
    k = max(0, min(int(k), n - 1))
    method = method or ("exact" if n <= EXACT_MAX else "ivf")
    if method not in METHODS:
        raise ValueError(f"unknown kNN method {method!r}; use one of {', '.join(METHODS)}")
    path: Path | None = None
    if cache and n > 1:
        key = f"{digest or vectors_digest(v)}-k{k}-{method}-s{seed}-v{_VERSION}"
        path = cache_dir() / "knn" / f"{key}.npz"
        if path.is_file():
            try:
                with np.load(path) as z:
                    return z["indices"], z["sims"]
            except (OSError, ValueError, KeyError):
                pass  # damaged: compute again
    if k == 0:
        return np.zeros((n, 0), np.int32), np.zeros((n, 0), np.float32)
    if method == "exact":
        idx, sims = _exact(v, k, progress, stage)
    elif method == "ivf":
        idx, sims = _ivf(v, k, progress, seed, stage)
    else:
        idx, sims = _nndescent(v, k, progress, seed, stage)
    if path is not None:
        save_npz(path, indices=idx, sims=sims)
    return idx, sims


def as_unit_vectors(vectors: np.ndarray) -> np.ndarray:
    from inspector.core.map.models import normalise

    v = np.asarray(vectors, dtype=np.float32)
    if v.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array (rows x dims), got shape {v.shape}")
    norms = np.linalg.norm(v, axis=1)
    if len(v) and np.all(np.isfinite(norms)) and np.allclose(norms[norms > 0], 1.0, atol=1e-3):
        return np.ascontiguousarray(v)
    return normalise(v)


def top_k_rows(
    queries: np.ndarray, base: np.ndarray, k: int, exclude_self_offset: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` by dot product of each query row against ``base``.

    With ``exclude_self_offset`` the query row ``i`` is ``base`` row ``offset + i`` and is
    never returned.
    """
    sims = queries @ base.T
    if exclude_self_offset is not None:
        r = np.arange(len(queries))
        sims[r, exclude_self_offset + r] = -np.inf
    k = min(k, sims.shape[1])
    part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    part_sims = np.take_along_axis(sims, part, axis=1)
    # Ties (duplicates, zero vectors) break by index so results are reproducible.
    order = np.lexsort((part, -part_sims), axis=1)
    idx = np.take_along_axis(part, order, axis=1)
    return idx.astype(np.int32), np.take_along_axis(part_sims, order, axis=1).astype(np.float32)


def _exact(
    v: np.ndarray, k: int, progress: Progress, stage: str = KNN_STAGE
) -> tuple[np.ndarray, np.ndarray]:
    n = len(v)
    progress.status(stage, n, f"exact neighbours of {n:,} rows")
    idx = np.empty((n, k), dtype=np.int32)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        idx[start:stop], sims[start:stop] = top_k_rows(v[start:stop], v, k, start)
        progress.advance(stop - start)
    return idx, sims


def _nndescent(
    v: np.ndarray, k: int, progress: Progress, seed: int, stage: str = KNN_STAGE
) -> tuple[np.ndarray, np.ndarray]:
    from pynndescent import NNDescent

    n = len(v)
    progress.status(stage, None, f"approximate neighbours of {n:,} rows (pynndescent)")
    progress.check()
    # random_state keeps the graph reproducible; pynndescent still uses every core.
    index = NNDescent(
        v,
        metric="cosine",
        n_neighbors=k + 1,
        random_state=seed,
        n_jobs=-1,
        low_memory=True,
        compressed=True,
        verbose=False,
    )
    progress.check()
    raw, _ = index.neighbor_graph
    raw = np.asarray(raw, dtype=np.int64)
    # Drop self (or, when a duplicate pushed self out of the list, the last column).
    rows = np.arange(n)[:, None]
    is_self = raw == rows
    is_self[~is_self.any(axis=1), -1] = True
    idx = raw[~is_self].reshape(n, k)
    bad = idx < 0  # pynndescent leaves -1 where it found too few neighbours
    if bad.any():
        idx[bad] = np.broadcast_to((rows + 1) % n, idx.shape)[bad]
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, 8192):  # blocked: v[idx] for all rows would be n*k*dim floats
        stop = min(n, start + 8192)
        sims[start:stop] = np.einsum("ij,ikj->ik", v[start:stop], v[idx[start:stop]])
    order = np.lexsort((idx, -sims), axis=1)
    idx = np.take_along_axis(idx, order, axis=1)
    sims = np.take_along_axis(sims, order, axis=1)
    progress.advance(n)
    return idx.astype(np.int32), sims


def _spherical_kmeans(v: np.ndarray, cells: int, seed: int) -> np.ndarray:
    """Unit-norm centroids of ``cells`` cosine k-means cells, trained on a seeded sample."""
    rng = np.random.default_rng(seed)
    n = len(v)
    train = v[np.sort(rng.choice(n, min(n, 64 * cells), replace=False))]
    centres = train[np.sort(rng.choice(len(train), cells, replace=False))].copy()
    for _ in range(KMEANS_ITERS):
        assign = _nearest_centre(train, centres)
        sums = np.zeros_like(centres)
        np.add.at(sums, assign, train)
        norms = np.linalg.norm(sums, axis=1)
        alive = norms > 1e-9
        centres[alive] = sums[alive] / norms[alive, None]  # empty cells keep their centre
    return centres


def _nearest_centre(v: np.ndarray, centres: np.ndarray) -> np.ndarray:
    out = np.empty(len(v), dtype=np.int64)
    for start in range(0, len(v), 8192):
        out[start : start + 8192] = np.argmax(v[start : start + 8192] @ centres.T, axis=1)
    return out


def _ivf(
    v: np.ndarray, k: int, progress: Progress, seed: int, stage: str = KNN_STAGE
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate kNN: exact comparisons within each row's ``NPROBE`` nearest k-means cells."""
    n = len(v)
    cells = int(max(16, min(4096, round(2 * np.sqrt(n)))))
    nprobe = min(NPROBE, cells)
    progress.status(stage, None, f"indexing {n:,} rows into {cells:,} cells")
    centres = _spherical_kmeans(v, cells, seed)
    progress.check()
    home = np.empty(n, dtype=np.int64)
    probes = np.empty((n, nprobe), dtype=np.int32)
    for start in range(0, n, 8192):
        scores = v[start : start + 8192] @ centres.T
        home[start : start + 8192] = np.argmax(scores, axis=1)
        probes[start : start + 8192] = np.argpartition(-scores, nprobe - 1, axis=1)[:, :nprobe]
    members_order = np.argsort(home, kind="stable")
    members_start = np.searchsorted(home[members_order], np.arange(cells + 1))

    kk = k + 1  # one spare: a row's own cell returns the row itself
    # Candidates per (row, probe slot); slots are processed in groups to bound memory.
    group = int(max(1, min(nprobe, (256 << 20) // max(1, n * kk * 8))))
    best_i = np.full((n, 0), -1, dtype=np.int32)
    best_s = np.full((n, 0), -np.inf, dtype=np.float32)
    progress.status(stage, n * nprobe, f"approximate neighbours of {n:,} rows")
    for g0 in range(0, nprobe, group):
        slots = np.arange(g0, min(nprobe, g0 + group))
        cand_i = np.full((n, len(slots), kk), -1, dtype=np.int32)
        cand_s = np.full((n, len(slots), kk), -np.inf, dtype=np.float32)
        pair_cell = probes[:, slots].ravel()
        pair_row = np.repeat(np.arange(n), len(slots))
        pair_slot = np.tile(np.arange(len(slots)), n)
        pair_order = np.argsort(pair_cell, kind="stable")
        pair_start = np.searchsorted(pair_cell[pair_order], np.arange(cells + 1))
        for c in range(cells):
            pairs = pair_order[pair_start[c] : pair_start[c + 1]]
            members = members_order[members_start[c] : members_start[c + 1]]
            if len(pairs) == 0 or len(members) == 0:
                continue
            vm = v[members]
            take = min(kk, len(members))
            step = max(1, (1 << 22) // len(members))  # <= 16 MB of similarities at a time
            for s0 in range(0, len(pairs), step):
                p = pairs[s0 : s0 + step]
                rows = pair_row[p]
                sims = v[rows] @ vm.T
                if take < len(members):
                    top = np.argpartition(-sims, take - 1, axis=1)[:, :take]
                else:
                    top = np.broadcast_to(np.arange(len(members)), sims.shape)
                cand_i[rows, pair_slot[p], :take] = members[top]
                cand_s[rows, pair_slot[p], :take] = np.take_along_axis(sims, top, axis=1)
            progress.advance(len(pairs))
        best_i = np.concatenate([best_i, cand_i.reshape(n, -1)], axis=1)
        best_s = np.concatenate([best_s, cand_s.reshape(n, -1)], axis=1)
        best_s[best_i == np.arange(n)[:, None]] = -np.inf  # self
        keep = np.argpartition(-best_s, kk - 1, axis=1)[:, :kk]
        best_i = np.take_along_axis(best_i, keep, axis=1)
        best_s = np.take_along_axis(best_s, keep, axis=1)
    order = np.lexsort((best_i, -best_s), axis=1)[:, :k]
    idx = np.take_along_axis(best_i, order, axis=1)
    sims = np.take_along_axis(best_s, order, axis=1)
    missing = idx < 0  # only when fewer than k rows were reachable
    if missing.any():
        rows = np.broadcast_to(np.arange(n)[:, None], idx.shape)
        idx = np.where(missing, (rows + 1) % n, idx)
        sims = np.where(missing, np.einsum("ij,ij->i", v, v[(np.arange(n) + 1) % n])[:, None], sims)
    return idx.astype(np.int32), sims.astype(np.float32)
