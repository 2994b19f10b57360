"""The k-nearest-neighbour graph of an embedding set (cosine similarity, self excluded).

One graph per (vectors, k), cached in ``cache_dir()/knn`` and reused by the layout,
"more like this" and the semantic duplicate and outlier finders. Exact (blocked matrix
products) up to ``EXACT_MAX`` rows, pynndescent above. Similarities are always recomputed
as dot products of the normalised vectors, so zero vectors have similarity 0 to everything
(pynndescent's cosine would call two zero vectors identical) and nothing is ever NaN.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import numpy as np

from inspector.core.jobs import Progress
from inspector.core.paths import cache_dir

EXACT_MAX = 20_000
BLOCK = 1024
KNN_STAGE = "neighbours"
_VERSION = "1"


def vectors_digest(vectors: np.ndarray) -> str:
    """A short digest of a float32 vector array (shape included)."""
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(v.shape).encode())
    h.update(memoryview(v).cast("B"))
    return h.hexdigest()


def knn_graph(
    vectors: np.ndarray,
    k: int = 15,
    progress: Progress | None = None,
    seed: int = 0,
    cache: bool = True,
    digest: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(indices int32 (n, k), sims float32 (n, k))`` sorted by similarity, self excluded.

    ``k`` is capped at ``n - 1``. ``digest`` may pass a precomputed :func:`vectors_digest`.
    """
    progress = progress if progress is not None else Progress()
    v = as_unit_vectors(vectors)
    n = len(v)
    k = max(0, min(int(k), n - 1))
    method = "exact" if n <= EXACT_MAX else "nndescent"
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
        idx, sims = _exact(v, k, progress)
    else:
        idx, sims = _nndescent(v, k, progress, seed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        with tmp.open("wb") as f:
            np.savez(f, indices=idx, sims=sims)
        os.replace(tmp, path)
    return idx, sims


def as_unit_vectors(vectors: np.ndarray) -> np.ndarray:
    from inspector.core.models import normalise

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


def _exact(v: np.ndarray, k: int, progress: Progress) -> tuple[np.ndarray, np.ndarray]:
    n = len(v)
    progress.status(KNN_STAGE, n, f"exact neighbours of {n:,} rows")
    idx = np.empty((n, k), dtype=np.int32)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        idx[start:stop], sims[start:stop] = top_k_rows(v[start:stop], v, k, start)
        progress.advance(stop - start)
    return idx, sims


def _nndescent(
    v: np.ndarray, k: int, progress: Progress, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    from pynndescent import NNDescent

    n = len(v)
    progress.status(KNN_STAGE, None, f"approximate neighbours of {n:,} rows (pynndescent)")
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
