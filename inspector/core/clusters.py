"""Clusters on the 2-D layout at two levels, coarse and fine (HDBSCAN via fast_hdbscan).

One minimum spanning tree of the layout (fast_hdbscan's parallel Borůvka over a k-d tree)
serves both levels: they differ only in ``min_cluster_size``, applied to the same tree, so
the second level costs a fraction of the first. Noise is ``-1``. Labels are renumbered
by size (0 = largest), so they are stable across runs of the same layout. Cached in
``cache_dir()/clusters`` keyed by the layout's digest.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import numpy as np

from inspector.core.jobs import Progress

CLUSTER_STAGE = "clusters"
MIN_SAMPLES = 10
_VERSION = "1"


def level_sizes(n: int) -> tuple[int, int]:
    """``(coarse, fine)`` minimum cluster sizes for ``n`` points."""
    coarse = max(8, int(round(n / 30)))
    fine = max(5, int(round(n / 250)))
    return coarse, min(fine, coarse)


def cluster_layout(
    xy: np.ndarray,
    progress: Progress | None = None,
    cache: bool = True,
    sizes: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(coarse, fine)`` int32 labels for the points ``xy`` (noise = -1)."""
    progress = progress if progress is not None else Progress()
    xy = np.ascontiguousarray(xy, dtype=np.float32)
    n = len(xy)
    coarse_size, fine_size = sizes or level_sizes(n)
    if n < 2 * fine_size:
        return np.full(n, -1, np.int32), np.full(n, -1, np.int32)
    path: Path | None = None
    if cache:
        from inspector.core.paths import cache_dir

        h = hashlib.blake2b(xy.tobytes(), digest_size=16).hexdigest()
        path = cache_dir() / "clusters" / f"{h}-{coarse_size}-{fine_size}-v{_VERSION}.npz"
        if path.is_file():
            try:
                with np.load(path) as z:
                    return z["coarse"], z["fine"]
            except (OSError, ValueError, KeyError):
                pass
    progress.status(CLUSTER_STAGE, 3, f"clustering {n:,} points")
    coarse, fine = _hdbscan_two_levels(xy, coarse_size, fine_size, progress)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
        with tmp.open("wb") as f:
            np.savez(f, coarse=coarse, fine=fine)
        os.replace(tmp, path)
    return coarse, fine


def _hdbscan_two_levels(
    xy: np.ndarray, coarse_size: int, fine_size: int, progress: Progress
) -> tuple[np.ndarray, np.ndarray]:
    # Duplicated points (identical texts) make zero-length edges; HDBSCAN is fine with them.
    min_samples = min(MIN_SAMPLES, fine_size)
    try:
        from fast_hdbscan.hdbscan import (
            clusters_from_spanning_tree,
            compute_minimum_spanning_tree,
        )

        mst, _, _ = compute_minimum_spanning_tree(xy, min_samples=min_samples)
        progress.advance(1)
        coarse = clusters_from_spanning_tree(mst, min_cluster_size=coarse_size)[0]
        progress.advance(1)
        fine = clusters_from_spanning_tree(mst, min_cluster_size=fine_size)[0]
        progress.advance(1)
    except ImportError:  # fast_hdbscan moved its internals: two full runs, same result
        from fast_hdbscan import fast_hdbscan

        coarse = fast_hdbscan(xy, min_samples=min_samples, min_cluster_size=coarse_size)[0]
        progress.advance(1)
        fine = fast_hdbscan(xy, min_samples=min_samples, min_cluster_size=fine_size)[0]
        progress.advance(2)
    return relabel_by_size(coarse), relabel_by_size(fine)


def relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0..m-1 from largest to smallest (ties by first row); noise stays -1."""
    labels = np.asarray(labels, dtype=np.int64)
    out = np.full(len(labels), -1, dtype=np.int32)
    ids, first, counts = np.unique(labels, return_index=True, return_counts=True)
    keep = ids >= 0
    ids, first, counts = ids[keep], first[keep], counts[keep]
    order = np.lexsort((first, -counts))
    mapping = np.full(int(ids.max()) + 1 if len(ids) else 0, -1, dtype=np.int32)
    mapping[ids[order]] = np.arange(len(ids), dtype=np.int32)
    mask = labels >= 0
    out[mask] = mapping[labels[mask]]
    return out


def cluster_centres(xy: np.ndarray, labels: np.ndarray) -> dict[int, tuple[float, float]]:
    """Median position of each cluster (where to draw its name)."""
    out: dict[int, tuple[float, float]] = {}
    order = np.argsort(labels, kind="stable")
    ids, starts = np.unique(labels[order], return_index=True)
    for c, rows in zip(ids, np.split(order, starts[1:]), strict=True):
        if c >= 0:
            med = np.median(xy[rows], axis=0)
            out[int(c)] = (float(med[0]), float(med[1]))
    return out
