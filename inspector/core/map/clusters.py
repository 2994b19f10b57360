"""Clusters on the 2-D layout at two levels, coarse and fine.

Fine: HDBSCAN (fast_hdbscan: parallel Borůvka over a k-d tree, ~3 s at 100k points on
2 cores) with ``min_cluster_size`` about n/250. Coarse: the fine clusters grouped into
regions by a size-weighted, seeded k-means of their centres (about sqrt(#fine) regions,
at most ``MAX_COARSE``; six or fewer fine clusters are their own regions), so every
coarse region is a union of fine clusters (checked: :func:`fine_to_coarse`) and zooming in
splits a region, never reshuffles it. (HDBSCAN with a large ``min_cluster_size`` tends to
return one giant cluster on UMAP maps of chat data.) Noise is ``-1`` at both levels, on
the same rows. Labels are numbered by size (0 = largest). Above ``FIT_MAX`` points HDBSCAN
runs on a seeded sample of ``FIT_MAX`` and every other point takes the label of its nearest
sampled point (k-d tree): fast_hdbscan takes ~3 s at 200k points here but ~55 s at 1M,
while the sample-and-assign route takes ~5 s at 1M.

Noise: HDBSCAN leaves 30-40% of a UMAP map of text unclustered (the sparse bridges between
dense regions). As BERTopic's ``reduce_outliers`` does, noise points then join a cluster
(:func:`reassign_noise`): each takes the majority label of its ``VOTE_K`` nearest clustered
points in the 2-D layout (ties: the nearest), i.e. the colour a reader sees around it. A
point stays noise only when it is truly far: its nearest clustered point is more than
``FAR_FACTOR`` times the clusters' median core distance away, and then only the farthest
such points, at most ``MAX_NOISE_SHARE`` of all. Reassigned points are marked
``low_confidence``. The layout rather than the embedding decides because the map is what
the curator reads: a point drawn inside a blue region is called blue, and the vote needs
only a 2-D k-d tree (0.3 s at 100k points here, ``benchmarks/bench_map.py --names``).
Labels and low-confidence flags are cached in ``cache_dir()/clusters`` keyed by the layout.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inspector.core.atomic import save_npz
from inspector.core.jobs import Progress

CLUSTER_STAGE = "clusters"
MIN_SAMPLES = 10
FIT_MAX = 200_000
_VERSION = "4"  # 4: HDBSCAN on one thread
MAX_NOISE_SHARE = 0.10  # at most this share of the points stays unclustered
VOTE_K = 10  # nearest clustered points that vote on a noise point's cluster
FAR_FACTOR = 8.0  # "truly far": nearest clustered point beyond this x median core distance
_CORE_SAMPLE = 20_000


MAX_COARSE = 24


def fine_min_size(n: int) -> int:
    """HDBSCAN ``min_cluster_size`` of the fine level for ``n`` points."""
    return max(5, int(round(n / 250)))


def coarse_count(n_fine: int) -> int:
    """How many coarse regions to group ``n_fine`` fine clusters into."""
    if n_fine <= 6:
        return n_fine  # few clusters: the coarse level is the fine one
    return int(min(MAX_COARSE, max(6, round(1.5 * np.sqrt(n_fine)))))


@dataclass(frozen=True)
class Clusters:
    """Labels of both levels (int32, -1 = noise) and which members were reassigned noise."""

    coarse: np.ndarray
    fine: np.ndarray
    low_confidence: np.ndarray  # bool: HDBSCAN called it noise, the vote gave it a cluster

    @classmethod
    def none(cls, n: int) -> Clusters:
        none = np.full(n, -1, np.int32)
        return cls(none, none.copy(), np.zeros(n, dtype=bool))


def cluster_layout(
    xy: np.ndarray,
    progress: Progress | None = None,
    cache: bool = True,
    min_size: int | None = None,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``(coarse, fine)`` int32 labels for the points ``xy`` (noise = -1); see :func:`cluster_map`."""
    result = cluster_map(xy, progress=progress, cache=cache, min_size=min_size, seed=seed)
    return result.coarse, result.fine


def cluster_map(
    xy: np.ndarray,
    progress: Progress | None = None,
    cache: bool = True,
    min_size: int | None = None,
    seed: int = 0,
) -> Clusters:
    """Both levels' labels for the points ``xy`` and the low-confidence (reassigned) members.

    ``min_size`` overrides the fine level's HDBSCAN ``min_cluster_size``.
    """
    progress = progress if progress is not None else Progress()
    xy = np.ascontiguousarray(xy, dtype=np.float32)
    n = len(xy)
    fine_size = min_size or fine_min_size(n)
    if n < 2 * fine_size or not np.all(np.isfinite(xy)):
        return Clusters.none(n)
    path: Path | None = None
    if cache:
        from inspector.core.paths import cache_dir

        h = hashlib.blake2b(xy.tobytes(), digest_size=16).hexdigest()
        path = cache_dir() / "clusters" / f"{h}-{fine_size}-s{seed}-v{_VERSION}.npz"
        if path.is_file():
            try:
                with np.load(path) as z:
                    return Clusters(z["coarse"], z["fine"], z["low_confidence"].astype(bool))
            except (OSError, ValueError, KeyError):
                pass
    progress.status(CLUSTER_STAGE, 2, f"clustering {n:,} points")
    if n > FIT_MAX:
        raw = _sample_and_assign(xy, min_size or fine_min_size(FIT_MAX), seed)
    else:
        raw = _hdbscan(xy, fine_size)
    reassigned, low = reassign_noise(xy, np.asarray(raw))
    fine = relabel_by_size(reassigned)
    progress.advance(1)
    coarse = group_clusters(xy, fine, coarse_count(int(fine.max()) + 1), seed)
    fine_to_coarse(coarse, fine)  # raises if the coarse level is not a merge of the fine
    progress.advance(1)
    if path is not None:
        save_npz(path, coarse=coarse, fine=fine, low_confidence=low)
    return Clusters(coarse, fine, low)


def reassign_noise(
    xy: np.ndarray, labels: np.ndarray, k: int = VOTE_K
) -> tuple[np.ndarray, np.ndarray]:
    """Noise points (-1) join the cluster their ``k`` nearest clustered points vote for,
    except the truly far ones (see the module's docstring), of which at most
    ``MAX_NOISE_SHARE`` of all points are kept. Returns ``(labels, reassigned)``; the
    clustered points keep their labels."""
    from scipy.spatial import cKDTree

    labels = np.asarray(labels).astype(np.int64)
    n = len(labels)
    noise = np.flatnonzero(labels < 0)
    members = np.flatnonzero(labels >= 0)
    low = np.zeros(n, dtype=bool)
    if len(noise) == 0 or len(members) == 0:
        return labels.astype(np.int32), low
    pts = np.asarray(xy, dtype=np.float64)
    tree = cKDTree(pts[members])
    k = min(k, len(members))
    dist, idx = tree.query(pts[noise], k=k, workers=-1)
    dist, idx = dist.reshape(len(noise), k), idx.reshape(len(noise), k)
    votes = labels[members][idx]  # (noise, k), nearest first
    choice = np.empty(len(noise), dtype=np.int64)
    for lo in range(0, len(noise), 65_536):
        v = votes[lo : lo + 65_536]
        counts = (v[:, :, None] == v[:, None, :]).sum(axis=2)
        # argmax takes the first of the tied counts: the nearest point's label wins ties.
        choice[lo : lo + 65_536] = v[np.arange(len(v)), np.argmax(counts, axis=1)]
    near = dist[:, 0]
    far = near > FAR_FACTOR * _median_core_distance(tree, pts[members])
    cap = int(np.floor(MAX_NOISE_SHARE * n))
    if far.sum() > cap:
        # Keep only the ``cap`` farthest as noise (ties: the later row stays noise).
        order = np.lexsort((noise, near))
        far[:] = False
        far[order[len(order) - cap :]] = True
    take = ~far
    out = labels.copy()
    out[noise[take]] = choice[take]
    low[noise[take]] = True
    return out.astype(np.int32), low


def _median_core_distance(tree: object, member_xy: np.ndarray) -> float:
    """Median distance from a clustered point to its ``MIN_SAMPLES``-th clustered neighbour
    (the clusters' own spacing), on an evenly spaced subset for speed."""
    step = max(1, len(member_xy) // _CORE_SAMPLE)
    probe = member_xy[::step]
    k = min(MIN_SAMPLES + 1, len(member_xy))
    if k < 2:
        return 0.0
    d, _ = tree.query(probe, k=k, workers=-1)  # type: ignore[attr-defined]
    return float(np.median(np.asarray(d).reshape(len(probe), k)[:, -1]))


def fine_to_coarse(coarse: np.ndarray, fine: np.ndarray) -> dict[int, int]:
    """The coarse region of each fine cluster; raises ``ValueError`` when a fine cluster
    lies in more (or less) than one region, or noise differs between the levels."""
    coarse, fine = np.asarray(coarse), np.asarray(fine)
    if np.any((coarse < 0) != (fine < 0)):
        raise ValueError("the coarse level's noise differs from the fine level's")
    mask = fine >= 0
    pairs = np.unique(np.stack([fine[mask], coarse[mask]], axis=1), axis=0)
    if len(pairs) and len(np.unique(pairs[:, 0])) != len(pairs):
        raise ValueError("a fine cluster lies in more than one coarse region")
    return {int(f): int(c) for f, c in pairs}


def _hdbscan(xy: np.ndarray, min_cluster_size: int) -> np.ndarray:
    """fast_hdbscan on one numba thread. Its parallel Borůvka takes, among equally short
    edges, whichever its threads find first (mutual-reachability distances tie often), and the
    same points gave different fine clusters in two processes. One thread fixes the order and
    measured as fast as two on this 2-core machine at 200k points (8.9-9.8 s both); the
    library's ``reproducible=True`` took 25-42 s."""
    import fast_hdbscan
    import numba

    min_samples = min(MIN_SAMPLES, min_cluster_size)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        out = fast_hdbscan.fast_hdbscan(
            xy, min_samples=min_samples, min_cluster_size=min_cluster_size
        )
    finally:
        numba.set_num_threads(threads)
    return np.asarray(out[0])


def _sample_and_assign(xy: np.ndarray, min_cluster_size: int, seed: int) -> np.ndarray:
    """HDBSCAN on a seeded sample; the other points take their nearest sampled point's label."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    n = len(xy)
    sample = np.sort(rng.choice(n, FIT_MAX, replace=False))
    labels = np.full(n, -1, dtype=np.int64)
    labels[sample] = _hdbscan(np.ascontiguousarray(xy[sample]), min_cluster_size)
    rest = np.ones(n, dtype=bool)
    rest[sample] = False
    _, nearest = cKDTree(xy[sample]).query(xy[rest], k=1, workers=-1)
    labels[rest] = labels[sample][nearest]
    return labels


def group_clusters(xy: np.ndarray, fine: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Group fine clusters into ``k`` regions: size-weighted k-means of their centres."""
    n_fine = int(fine.max()) + 1 if len(fine) else 0
    if n_fine <= k or k < 2:
        return relabel_by_size(fine)
    from sklearn.cluster import KMeans

    mask = fine >= 0
    sizes = np.bincount(fine[mask], minlength=n_fine).astype(np.float64)
    centres = np.zeros((n_fine, 2))
    np.add.at(centres, fine[mask], xy[mask].astype(np.float64))
    centres /= np.maximum(sizes, 1.0)[:, None]
    km = KMeans(n_clusters=k, n_init=10, random_state=seed)
    region = km.fit_predict(centres, sample_weight=sizes)
    out = np.full(len(fine), -1, dtype=np.int64)
    out[mask] = region[fine[mask]]
    return relabel_by_size(out)


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
