"""2-D layout of an embedding set: UMAP (cosine, seeded, reproducible) from the kNN graph.

Strategy, chosen to fit "100k rows, file to map in 3 minutes on 2 cores":

- ``n <= FIT_MAX`` (20,000): UMAP on every row, fed the shared kNN graph through
  ``precomputed_knn`` (self prepended at distance 0), started from an exact, sign-fixed
  PCA of the vectors (UMAP's spectral init differed between calls with the same seed on
  graphs of several components, and cost ~20 s at 20k rows here), ``n_epochs`` capped at 200.
- ``n > FIT_MAX``: UMAP is fitted on a seeded random sample of ``FIT_MAX`` rows (with the
  exact kNN graph of the sample, itself cached). Every other row is then placed at the
  similarity-weighted mean position of its already-placed neighbours in the full kNN graph,
  repeated outwards until all are placed (rows whose graph component holds no sample row
  are placed from their nearest sample rows), and finally refined like UMAP's own
  ``transform``: ``REFINE_EPOCHS`` epochs of UMAP's optimiser over the full graph's fuzzy
  memberships, moving only the placed rows while the sample stays fixed. At 100k rows on
  2 cores: sample fit ~25-50 s (numba compilation included), placement ~0.3 s,
  refinement ~15-20 s. Without the refinement placed rows would line up between their
  anchors in visible spokes.

UMAP with ``random_state`` runs its optimisation single-threaded; that is the price of
"same seed, same map". Layouts are cached in ``cache_dir()/layout`` keyed by the vectors'
digest, ``k``, the seed and this module's strategy version.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from inspector.core.atomic import save_npy
from inspector.core.jobs import Progress
from inspector.core.map.models import patched_tqdm
from inspector.core.map.neighbors import as_unit_vectors, knn_graph, top_k_rows, vectors_digest

FIT_MAX = 20_000
MAX_EPOCHS = 200
REFINE_EPOCHS = 30
MIN_DIST = 0.1
UMAP_MIN = 32  # below this a PCA projection is the honest picture
LAYOUT_STAGE = "layout"
_VERSION = "3"  # 3: exact PCA init (reproducible across processes)


def layout_2d(
    vectors: np.ndarray,
    knn: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    cache: bool = True,
    digest: str | None = None,
) -> np.ndarray:
    """float32 ``(n, 2)`` map coordinates; see the module docstring for the strategy.

    ``knn`` is the graph from :func:`inspector.core.map.neighbors.knn_graph` (computed when
    missing); ``digest`` may pass a precomputed ``vectors_digest(vectors)``.
    """
    progress = progress if progress is not None else Progress()
    v = as_unit_vectors(vectors)
    n = len(v)
    if n < UMAP_MIN:
        return _tiny_layout(v)
    digest = digest or vectors_digest(v)
    if knn is None:
        knn = knn_graph(v, progress=progress, seed=seed, cache=cache, digest=digest)
    k = knn[0].shape[1]
    path: Path | None = None
    if cache:
        path = _cache_path(digest, k, seed)
        xy = _load_cached(path, n)
        if xy is not None:
            return xy
    if n <= FIT_MAX:
        xy = _umap(v, knn[0], knn[1], seed, progress)
    else:
        xy = _sample_and_place(v, knn, seed, progress, cache)
    xy = _normalise_xy(xy)
    if path is not None:
        save_npy(path, xy)
    return xy


def cached_layout(n: int, digest: str, k: int = 15, seed: int = 0) -> np.ndarray | None:
    """The layout :func:`layout_2d` cached for these vectors (``digest``), kNN ``k`` and
    ``seed``, or None when none was made: what a run that needs no map reuses for free."""
    if n < UMAP_MIN:
        return None
    return _load_cached(_cache_path(digest, k, seed), n)


def _cache_path(digest: str, k: int, seed: int) -> Path:
    from inspector.core.paths import cache_dir

    return cache_dir() / "layout" / f"{digest}-k{k}-s{seed}-v{_VERSION}.npy"


def _load_cached(path: Path, n: int) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        xy = np.load(path)
    except (OSError, ValueError):
        return None
    return xy if xy.shape == (n, 2) else None


def _umap(
    v: np.ndarray, idx: np.ndarray, sims: np.ndarray, seed: int, progress: Progress
) -> np.ndarray:
    """UMAP on all rows of ``v`` from its kNN graph (self excluded in ``idx``)."""
    n = len(v)
    k = idx.shape[1]
    if k < 2:
        return _pca_2d(v)
    progress.status(LAYOUT_STAGE, None, f"UMAP of {n:,} rows")
    import umap
    import umap.layouts

    knn_idx = np.concatenate([np.arange(n, dtype=np.int32)[:, None], idx], axis=1)
    dists = np.clip(1.0 - sims, 0.0, 2.0)
    knn_dist = np.concatenate([np.zeros((n, 1), np.float32), dists], axis=1)
    # UMAP's own inits are not reproducible: its spectral init of a graph with several
    # components gave a different picture on every call with the same random_state (umap
    # 0.5.12), and its "pca" uses a randomized solver. An exact, sign-fixed PCA is.
    init = _pca_init(v)
    reducer = umap.UMAP(
        n_neighbors=k + 1,
        n_components=2,
        metric="cosine",
        min_dist=MIN_DIST,
        init=init,
        n_epochs=MAX_EPOCHS if n > 5000 else None,
        random_state=seed,
        precomputed_knn=(knn_idx.astype(np.int32), knn_dist.astype(np.float32), None),
        verbose=False,
    )
    with warnings.catch_warnings(), patched_tqdm(umap.layouts, progress, LAYOUT_STAGE):
        warnings.simplefilter("ignore")
        xy = reducer.fit_transform(v)
    xy = np.asarray(xy, dtype=np.float32)
    if not np.all(np.isfinite(xy)):
        xy = np.nan_to_num(xy)
    return xy


def _sample_and_place(
    v: np.ndarray,
    knn: tuple[np.ndarray, np.ndarray],
    seed: int,
    progress: Progress,
    cache: bool,
) -> np.ndarray:
    n = len(v)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, FIT_MAX, replace=False))
    vs = np.ascontiguousarray(v[sample])
    s_idx, s_sims = knn_graph(
        vs, k=knn[0].shape[1], progress=progress, seed=seed, cache=cache, stage=LAYOUT_STAGE
    )
    xy_s = _umap(vs, s_idx, s_sims, seed, progress)
    progress.status(LAYOUT_STAGE, n - len(sample), f"placing {n - len(sample):,} more rows")
    xy = place_from_neighbours(v, knn, sample, xy_s, progress)
    return refine_placed(v, knn, sample, xy, seed, progress)


def refine_placed(
    v: np.ndarray,
    knn: tuple[np.ndarray, np.ndarray],
    anchors: np.ndarray,
    xy: np.ndarray,
    seed: int,
    progress: Progress,
    n_epochs: int = REFINE_EPOCHS,
) -> np.ndarray:
    """UMAP-transform-style refinement: optimise non-anchor rows, anchors stay fixed."""
    import umap.layouts
    import umap.umap_ as U

    n = len(v)
    idx, sims = knn
    progress.status(LAYOUT_STAGE, n_epochs, f"refining {n - len(anchors):,} placed rows")
    knn_idx = np.concatenate([np.arange(n, dtype=np.int32)[:, None], idx], axis=1)
    dists = np.clip(1.0 - sims, 0.0, 2.0)
    knn_dist = np.concatenate([np.zeros((n, 1), np.float32), dists], axis=1).astype(np.float32)
    random_state = np.random.RandomState(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph, _, _ = U.fuzzy_simplicial_set(
            v, idx.shape[1] + 1, random_state, "cosine", knn_indices=knn_idx, knn_dists=knn_dist
        )
    graph = graph.tocoo()
    moving = np.ones(n, dtype=bool)
    moving[anchors] = False
    weights = graph.data
    keep = moving[graph.row] & (weights >= weights.max() / float(n_epochs))
    head = graph.row[keep].astype(np.int32)
    tail = graph.col[keep].astype(np.int32)
    if len(head) == 0:
        return xy
    epochs_per_sample = U.make_epochs_per_sample(weights[keep], n_epochs)
    a, b = U.find_ab_params(1.0, MIN_DIST)
    rng_state = random_state.randint(np.iinfo(np.int32).min, np.iinfo(np.int32).max, 3)
    emb = np.ascontiguousarray(xy, dtype=np.float32)
    # head and tail embeddings are the same array: moved rows pull on their current
    # neighbours; move_other=False keeps the anchors (and every tail) where they are.
    with patched_tqdm(umap.layouts, progress, LAYOUT_STAGE):
        emb = umap.layouts.optimize_layout_euclidean(
            emb,
            emb,
            head,
            tail,
            n_epochs,
            n,
            epochs_per_sample,
            a,
            b,
            rng_state.astype(np.int64),
            1.0,  # repulsion strength
            0.25,  # initial learning rate, as UMAP's transform uses
            5.0,  # negative samples per positive
            False,  # parallel: off, for reproducibility
            move_other=False,
        )
    return np.asarray(emb, dtype=np.float32)


def place_from_neighbours(
    v: np.ndarray,
    knn: tuple[np.ndarray, np.ndarray],
    anchors: np.ndarray,
    anchor_xy: np.ndarray,
    progress: Progress | None = None,
    rounds: int = 12,
) -> np.ndarray:
    """Positions for all rows given positions for ``anchors``: weighted means over the graph."""
    idx, sims = knn
    n = len(v)
    xy = np.zeros((n, 2), dtype=np.float32)
    placed = np.zeros(n, dtype=bool)
    xy[anchors] = anchor_xy
    placed[anchors] = True
    weights = np.maximum(sims, 0.0) + 1e-4
    for _ in range(rounds):
        todo = np.flatnonzero(~placed)
        if len(todo) == 0:
            break
        nb = idx[todo]
        w = weights[todo] * placed[nb]
        total = w.sum(axis=1)
        ok = total > 0
        if not ok.any():
            break
        pos = np.einsum("ik,ikd->id", w[ok], xy[nb[ok]]) / total[ok, None]
        # Assign after computing, so each round only uses rows placed before it.
        xy[todo[ok]] = pos
        placed[todo[ok]] = True
        if progress is not None:
            progress.advance(int(ok.sum()))
    todo = np.flatnonzero(~placed)
    if len(todo):
        # Components of the graph without any anchor: use the nearest anchors directly.
        va = np.ascontiguousarray(v[anchors])
        for start in range(0, len(todo), 2048):
            rows = todo[start : start + 2048]
            a_idx, a_sims = top_k_rows(v[rows], va, min(10, len(anchors)))
            w = np.maximum(a_sims, 0.0) + 1e-4
            xy[rows] = np.einsum("ik,ikd->id", w, anchor_xy[a_idx]) / w.sum(1)[:, None]
            if progress is not None:
                progress.advance(len(rows))
    return xy


def _normalise_xy(xy: np.ndarray) -> np.ndarray:
    """Centre on the median and scale so the middle 98% spans about [-10, 10]."""
    xy = np.asarray(xy, dtype=np.float64)
    centre = np.median(xy, axis=0)
    lo, hi = np.percentile(xy, [1, 99], axis=0)
    scale = float(np.max(hi - lo)) / 20.0
    if not np.isfinite(scale) or scale <= 0:
        scale = 1.0
    return ((xy - centre) / scale).astype(np.float32)


def _pca_init(v: np.ndarray) -> np.ndarray:
    """UMAP's starting positions: the exact 2-D PCA, scaled to a spread of 10 as UMAP does."""
    xy = _pca_2d(v).astype(np.float64)
    span = float(np.max(np.abs(xy))) if len(xy) else 0.0
    if not np.isfinite(span) or span <= 0:
        rng = np.random.default_rng(0)
        return rng.uniform(-10.0, 10.0, size=(len(v), 2)).astype(np.float32)
    return (xy * (10.0 / span)).astype(np.float32)


def _pca_2d(v: np.ndarray) -> np.ndarray:
    x = v - v.mean(axis=0)
    if not np.any(x):
        return np.zeros((len(v), 2), dtype=np.float32)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    comps = vt[:2]
    # Fix each component's sign so the picture does not flip between runs.
    comps = comps * np.sign(comps[np.arange(len(comps)), np.abs(comps).argmax(axis=1)])[:, None]
    out = np.zeros((len(v), 2), dtype=np.float32)
    out[:, : len(comps)] = x @ comps.T
    return out


def _tiny_layout(v: np.ndarray) -> np.ndarray:
    if len(v) <= 1:
        return np.zeros((len(v), 2), dtype=np.float32)
    return _normalise_xy(_pca_2d(v))
