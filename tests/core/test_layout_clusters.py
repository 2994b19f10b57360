"""kNN graph, layout, clusters and keywords on small sets whose groups are known."""

from __future__ import annotations

import os

import numpy as np
import pytest

from inspector.core.map import layout, neighbors
from inspector.core.map.clusters import cluster_layout, relabel_by_size
from inspector.core.map.keywords import cluster_names
from inspector.core.map.search import more_like_this, nearest

TOPICS = {
    "cooking": "recipe oven flour bake dough salt butter sugar",
    "football": "football goal striker league referee penalty stadium match",
    "astronomy": "planet orbit galaxy telescope comet nebula asteroid star",
    "music": "violin piano melody concert orchestra symphony chord tempo",
    "programming": "python compiler function variable debugger syntax loop integer",
}
FILLER = "please tell me about the a some of and with for".split()


def blobs(
    n_per: int = 300, dim: int = 50, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Five well-separated Gaussian blobs in ``dim``-d and a text per point from its topic."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(TOPICS), dim)) * 4.0
    truth = np.repeat(np.arange(len(TOPICS)), n_per)
    x = centres[truth] + rng.normal(size=(len(truth), dim))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    words = [t.split() for t in TOPICS.values()]
    texts = [
        " ".join(list(rng.choice(words[g], size=4)) + list(rng.choice(FILLER, size=4)))
        for g in truth
    ]
    return x, truth, texts


def ari(a: np.ndarray, b: np.ndarray) -> float:
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(a, b))


def test_exact_knn_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(700, 24)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    idx, sims = neighbors.knn_graph(v, k=10, cache=False)
    assert idx.shape == (700, 10) and idx.dtype == np.int32 and sims.dtype == np.float32
    full = v @ v.T
    np.fill_diagonal(full, -np.inf)
    expected = np.sort(full, axis=1)[:, ::-1][:, :10]
    np.testing.assert_allclose(sims, expected, atol=1e-5)
    assert not np.any(idx == np.arange(700)[:, None])  # self excluded
    assert np.all(np.diff(sims, axis=1) <= 1e-6)  # best first


def test_zero_vectors_have_similarity_zero_never_nan() -> None:
    rng = np.random.default_rng(1)
    v = rng.normal(size=(50, 8)).astype(np.float32)
    v[[3, 7, 9]] = 0.0
    idx, sims = neighbors.knn_graph(v, k=5, cache=False)
    assert np.all(np.isfinite(sims))
    assert np.all(sims[[3, 7, 9]] == 0.0)
    assert not np.any(np.isin(idx[np.arange(50) != 3], [3]) & (sims[np.arange(50) != 3] != 0))
    q_idx, q_sims = nearest(np.zeros((1, 8), np.float32), v, k=4)
    assert np.all(q_sims == 0.0) and q_idx.shape == (1, 4)


def test_knn_is_cached_on_disk(monkeypatch) -> None:
    rng = np.random.default_rng(2)
    v = rng.normal(size=(300, 8)).astype(np.float32)
    first = neighbors.knn_graph(v, k=7)
    monkeypatch.setattr(neighbors, "_exact", lambda *a: (_ for _ in ()).throw(AssertionError))
    second = neighbors.knn_graph(v, k=7)
    np.testing.assert_array_equal(first[0], second[0])


def test_tiny_inputs() -> None:
    for n in (0, 1, 2, 5):
        v = np.eye(max(n, 1), 4, dtype=np.float32)[:n]
        idx, sims = neighbors.knn_graph(v, k=15, cache=False)
        assert idx.shape == (n, max(0, n - 1))
        assert layout.layout_2d(v, cache=False).shape == (n, 2)
        c, f = cluster_layout(np.zeros((n, 2), np.float32), cache=False)
        assert c.shape == f.shape == (n,)


@pytest.fixture(scope="module")
def blob_map() -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray, tuple]:
    x, truth, texts = blobs()
    knn = neighbors.knn_graph(x, k=15, cache=False)
    xy = layout.layout_2d(x, knn, seed=0, cache=False)
    return x, truth, texts, xy, knn


def test_layout_and_clusters_recover_the_groups(blob_map) -> None:
    x, truth, texts, xy, knn = blob_map
    assert xy.shape == (len(x), 2) and xy.dtype == np.float32 and np.all(np.isfinite(xy))
    coarse, fine = cluster_layout(xy, cache=False)
    for labels in (coarse, fine):
        assert labels.dtype == np.int32
        clustered = labels >= 0
        assert clustered.mean() > 0.8
        assert ari(labels[clustered], truth[clustered]) > 0.9
    # Every fine cluster lies inside one coarse region.
    for f in np.unique(fine[fine >= 0]):
        assert len(np.unique(coarse[fine == f])) == 1


def test_keywords_name_the_topics(blob_map) -> None:
    x, truth, texts, xy, knn = blob_map
    coarse, _ = cluster_layout(xy, cache=False)
    (names,) = cluster_names(texts, [coarse])
    topic_words = [set(t.split()) for t in TOPICS.values()]
    for c, name in names.items():
        words = name.split(" · ")
        assert len(words) == 3
        majority = np.bincount(truth[coarse == c]).argmax()
        assert set(words) <= topic_words[majority], (name, list(TOPICS)[majority])


def test_same_seed_same_layout(blob_map) -> None:
    x, truth, texts, xy, knn = blob_map
    again = layout.layout_2d(x, knn, seed=0, cache=False)
    np.testing.assert_array_equal(xy, again)
    other = layout.layout_2d(x, knn, seed=1, cache=False)
    assert not np.array_equal(xy, other)


def test_large_set_strategy_fits_a_sample_and_places_the_rest(monkeypatch) -> None:
    monkeypatch.setattr(layout, "FIT_MAX", 400)
    x, truth, _ = blobs(n_per=240, seed=3)
    x[5] = 0.0  # a zero vector must be placed too
    knn = neighbors.knn_graph(x, k=15, cache=False)
    xy = layout.layout_2d(x, knn, seed=0, cache=False)
    assert np.all(np.isfinite(xy))
    np.testing.assert_array_equal(xy, layout.layout_2d(x, knn, seed=0, cache=False))
    coarse, _ = cluster_layout(xy, cache=False)
    clustered = coarse >= 0
    assert ari(coarse[clustered], truth[clustered]) > 0.9


def test_more_like_this_uses_graph_or_vectors(blob_map) -> None:
    x, truth, texts, xy, knn = blob_map
    idx, sims = more_like_this(10, knn=knn, k=5)
    assert len(idx) == 5 and 10 not in idx and np.all(truth[idx] == truth[10])
    idx2, sims2 = more_like_this(10, vectors=x, k=20)
    assert len(idx2) == 20 and 10 not in idx2
    np.testing.assert_array_equal(idx2[:5], idx)
    q_idx, q_sims = nearest(x[[10, 400]], x, k=3)
    assert q_idx[0, 0] == 10 and q_idx[1, 0] == 400
    assert np.all(np.diff(q_sims, axis=1) <= 1e-6)


def test_relabel_by_size() -> None:
    labels = np.array([5, 5, -1, 2, 2, 2, 9])
    assert relabel_by_size(labels).tolist() == [1, 1, -1, 0, 0, 0, 2]


def test_ivf_graph_agrees_with_exact(monkeypatch) -> None:
    """The numpy inverted-file index used above EXACT_MAX rows, on data shaped like text
    embeddings (many topics of varying spread): high recall, self excluded, reproducible."""
    rng = np.random.default_rng(6)
    centres = rng.normal(size=(100, 32))
    group = rng.integers(0, 100, 3000)
    spread = rng.uniform(0.2, 0.6, 100)[group, None]
    x = (centres[group] + rng.normal(size=(3000, 32)) * spread).astype(np.float32)
    x[[1, 2]] = 0.0
    exact_idx, exact_sims = neighbors.knn_graph(x, k=10, cache=False)
    monkeypatch.setattr(neighbors, "EXACT_MAX", 1000)
    idx, sims = neighbors.knn_graph(x, k=10, cache=False)
    assert idx.shape == (3000, 10) and idx.dtype == np.int32
    assert not np.any(idx == np.arange(3000)[:, None])
    assert np.all(np.isfinite(sims)) and np.all(sims[[1, 2]] == 0.0)
    assert np.all(np.diff(sims, axis=1) <= 1e-6)
    # Similarity-based recall: a neighbour counts when it is as close as the exact k-th.
    recall = float(np.mean(sims >= exact_sims[:, -1:] - 1e-6))
    assert recall > 0.95
    again = neighbors.knn_graph(x, k=10, cache=False)
    np.testing.assert_array_equal(idx, again[0])


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("INSPECTOR_SLOW_TESTS"), reason="set INSPECTOR_SLOW_TESTS=1 (~100 s)"
)
def test_nndescent_graph_agrees_with_exact(monkeypatch) -> None:
    """pynndescent on request (slow: ~40-100 s of numba compilation in a fresh process)."""
    rng = np.random.default_rng(5)
    v = rng.normal(size=(3000, 16)).astype(np.float32)
    v[[1, 2]] = 0.0
    exact_idx, exact_sims = neighbors.knn_graph(v, k=10, cache=False)
    idx, sims = neighbors.knn_graph(v, k=10, cache=False, method="nndescent")
    assert not np.any(idx == np.arange(3000)[:, None])
    assert np.all(np.isfinite(sims)) and np.all(sims[[1, 2]] == 0.0)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(idx, exact_idx, strict=True)])
    assert recall > 0.9


def test_many_points_cluster_on_a_sample_and_assign_the_rest(monkeypatch) -> None:
    from inspector.core.map import clusters

    monkeypatch.setattr(clusters, "FIT_MAX", 600)
    rng = np.random.default_rng(7)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [5, 20]], dtype=float)
    truth = rng.integers(0, 5, 3000)
    xy = (centres[truth] + rng.normal(scale=0.8, size=(3000, 2))).astype(np.float32)
    coarse, fine = cluster_layout(xy, cache=False)
    assert fine.shape == (3000,)
    clustered = fine >= 0
    assert clustered.mean() > 0.8
    assert ari(fine[clustered], truth[clustered]) > 0.9
