"""Embed texts with caching: identical texts once, cached texts never, misses in chunks.

Every returned vector has gone through float16 (the cache's format) and been
re-normalised, so a run that embeds and a run that reads the cache return identical arrays
(and so identical neighbours and layouts).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inspector.core.jobs import Cancelled, Progress
from inspector.core.map.models import Embedder, load_embedder, model_identity, normalise
from inspector.core.map.vector_cache import VectorCache, hash_texts

CHUNK_ROWS = 4096  # rows per cache chunk
CHUNK_SECONDS = 20.0  # ...or sooner, so a slow model never risks much work on a crash
EMBED_STAGE = "embedding"


@dataclass
class Embedded:
    """Vectors plus what callers may reuse: the text hashes and the model identity."""

    vectors: np.ndarray  # float32 (n, dim), L2-normalised (blank texts: zero rows)
    hashes: np.ndarray  # S32 sha256 per text
    identity: str
    embedded_rows: int  # how many unique texts needed the model this time


def embed_texts(
    texts: Sequence[str],
    model: str = "default",
    progress: Progress | None = None,
    cache: bool = True,
    batch_size: int | None = None,
) -> np.ndarray:
    """float32 ``(n, dim)`` L2-normalised vectors for ``texts`` (blank texts: zero rows)."""
    return embed_texts_full(texts, model, progress, cache, batch_size).vectors


def embed_texts_full(
    texts: Sequence[str],
    model: str = "default",
    progress: Progress | None = None,
    cache: bool = True,
    batch_size: int | None = None,
) -> Embedded:
    """Like :func:`embed_texts`, also returning hashes, identity and how much was embedded.

    ``progress`` sees the stage "embedding" with the number of texts the model must embed as
    total (cached texts cost nothing); cancelling keeps every finished row in the cache.
    """
    progress = progress if progress is not None else Progress()
    texts = ["" if t is None else str(t) for t in texts]
    n = len(texts)
    # Dedupe identical texts first: only unique ones are hashed, looked up and embedded.
    first: dict[str, int] = {}
    inverse = np.empty(n, dtype=np.int64)
    for i, t in enumerate(texts):
        inverse[i] = first.setdefault(t, len(first))
    unique = list(first)
    hashes_u = hash_texts(unique)
    blank = np.fromiter((not t or t.isspace() for t in unique), dtype=bool, count=len(unique))

    identity = model_identity(model, progress)
    store = VectorCache(identity) if cache else None
    if store is not None:
        found, vecs_u = store.lookup(hashes_u)
        if found.any():
            vecs_u[found] = normalise(vecs_u[found])
    else:
        found, vecs_u = np.zeros(len(unique), dtype=bool), np.zeros((len(unique), 0), np.float32)
    found |= blank
    missing = np.flatnonzero(~found)

    embedder: Embedder | None = None
    dim = store.dim if store is not None else None
    if len(missing) or not dim:
        embedder = load_embedder(model, progress)
        dim = embedder.dim
    if vecs_u.shape[1] != dim:
        vecs_u = np.zeros((len(unique), dim), dtype=np.float32)

    if len(missing):
        assert embedder is not None
        _embed_missing(embedder, unique, hashes_u, missing, vecs_u, store, progress, batch_size, n)
    vecs_u[blank] = 0.0
    return Embedded(
        vectors=vecs_u[inverse],
        hashes=hashes_u[inverse],
        identity=identity,
        embedded_rows=len(missing),
    )


def _embed_missing(
    embedder: Embedder,
    unique: list[str],
    hashes_u: np.ndarray,
    missing: np.ndarray,
    out: np.ndarray,
    store: VectorCache | None,
    progress: Progress,
    batch_size: int | None,
    n_total: int,
) -> None:
    """Embed ``unique[missing]`` into ``out`` in batches, writing cache chunks as it goes."""
    batch = batch_size or embedder.batch_size
    cached = n_total - len(missing)
    progress.status(
        EMBED_STAGE,
        len(missing),
        f"{len(missing):,} texts to embed with {embedder.name}"
        + (f", {cached:,} already cached" if cached else ""),
    )
    pending: list[tuple[np.ndarray, np.ndarray]] = []
    pending_rows = 0
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal pending, pending_rows, last_flush
        if store is not None and pending:
            rows = np.concatenate([r for r, _ in pending])
            store.append(hashes_u[rows], np.concatenate([v for _, v in pending]))
        pending, pending_rows, last_flush = [], 0, time.monotonic()

    try:
        for start in range(0, len(missing), batch):
            rows = missing[start : start + batch]
            vec16 = embedder.encode([unique[i] for i in rows]).astype(np.float16)
            # The cache keeps exactly these float16 values; both paths re-normalise them the
            # same way, so cold and warm runs return identical vectors.
            out[rows] = normalise(vec16.astype(np.float32))
            pending.append((rows, vec16))
            pending_rows += len(rows)
            if pending_rows >= CHUNK_ROWS or time.monotonic() - last_flush >= CHUNK_SECONDS:
                flush()
            progress.advance(len(rows))
    except Cancelled:
        flush()  # keep what was embedded: the next run resumes from here
        raise
    flush()
    if store is not None:
        store.compact()
