"""Semantic search: nearest rows to a query vector, a typed query, or a row ("more like this")."""

from __future__ import annotations

import numpy as np

from inspector.core.map.neighbors import top_k_rows

BLOCK = 4096


def nearest(
    query_vectors: np.ndarray, vectors: np.ndarray, k: int = 20
) -> tuple[np.ndarray, np.ndarray]:
    """``(indices int32 (q, k), sims float32 (q, k))``: the ``k`` rows of ``vectors`` most
    similar (cosine; both sides L2-normalised) to each query, best first.

    ``vectors`` is scanned in blocks, so a 1M-row set needs no n-sized temporary per query.
    """
    q = np.atleast_2d(np.asarray(query_vectors, dtype=np.float32))
    v = np.asarray(vectors, dtype=np.float32)
    n = len(v)
    k = max(0, min(int(k), n))
    if k == 0 or len(q) == 0:
        return np.zeros((len(q), 0), np.int32), np.zeros((len(q), 0), np.float32)
    best_idx = np.zeros((len(q), 0), np.int64)
    best_sims = np.zeros((len(q), 0), np.float32)
    # ~64 MB of similarities per block, whatever the number of queries.
    step = max(BLOCK, (1 << 24) // len(q))
    for start in range(0, n, step):
        block = v[start : start + step]
        idx, sims = top_k_rows(q, block, min(k, len(block)))
        best_idx = np.concatenate([best_idx, idx.astype(np.int64) + start], axis=1)
        best_sims = np.concatenate([best_sims, sims], axis=1)
        if best_idx.shape[1] > k:
            order = np.lexsort((best_idx, -best_sims), axis=1)[:, :k]
            best_idx = np.take_along_axis(best_idx, order, axis=1)
            best_sims = np.take_along_axis(best_sims, order, axis=1)
    return best_idx.astype(np.int32), best_sims.astype(np.float32)


def more_like_this(
    row: int,
    knn: tuple[np.ndarray, np.ndarray] | None = None,
    vectors: np.ndarray | None = None,
    k: int = 20,
) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, sims)`` of the ``k`` rows most like ``row`` (never ``row`` itself).

    Uses the cached kNN graph when it holds enough neighbours, else scans ``vectors``.
    """
    if knn is not None and knn[0].shape[1] >= k:
        return knn[0][row, :k].astype(np.int32), knn[1][row, :k].astype(np.float32)
    if vectors is None:
        if knn is None:
            raise ValueError("more_like_this needs the kNN graph or the vectors")
        return knn[0][row].astype(np.int32), knn[1][row].astype(np.float32)
    idx, sims = nearest(vectors[row : row + 1], vectors, k + 1)
    keep = idx[0] != row
    return idx[0][keep][:k], sims[0][keep][:k]


def search_text(
    query: str, vectors: np.ndarray, model: str = "default", k: int = 20
) -> tuple[np.ndarray, np.ndarray]:
    """Embed ``query`` with ``model`` (the one that made ``vectors``) and return its nearest rows."""
    from inspector.core.map.models import load_embedder

    q = load_embedder(model).encode([query])
    idx, sims = nearest(q, vectors, k)
    return idx[0], sims[0]
