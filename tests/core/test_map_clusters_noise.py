"""Clusters a curator can trust: HDBSCAN's noise reassigned to the nearby cluster (marked as
low-confidence members) so that at most a tenth of the points stay unclustered, far points
kept as noise, and a coarse level that is a true merge of the fine one."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.core.map import clusters
from inspector.core.map.clusters import (
    MAX_NOISE_SHARE,
    Clusters,
    cluster_layout,
    cluster_map,
    reassign_noise,
)

CENTRES = np.array([[0, 0], [12, 0], [0, 12], [12, 12], [6, 24]], dtype=float)


def halo_blobs(n_per: int = 400, halo: int = 1500, seed: int = 0) -> np.ndarray:
    """Five tight blobs on a sparse background of scattered points (HDBSCAN leaves much of
    it as noise), plus three points far from everything."""
    rng = np.random.default_rng(seed)
    core = CENTRES[np.repeat(np.arange(5), n_per)] + rng.normal(scale=0.7, size=(5 * n_per, 2))
    ring = rng.uniform([-8, -8], [20, 32], size=(halo, 2))
    far = np.array([[500.0, 500.0], [-400.0, 300.0], [300.0, -450.0]])
    return np.concatenate([core, ring, far]).astype(np.float32)


@pytest.fixture(scope="module")
def halo_map() -> tuple[np.ndarray, Clusters, np.ndarray]:
    xy = halo_blobs()
    raw = clusters.relabel_by_size(clusters._hdbscan(xy, clusters.fine_min_size(len(xy))))
    return xy, cluster_map(xy, cache=False), raw


def test_hdbscan_alone_leaves_much_noise(halo_map) -> None:
    """The premise of the other tests: without reassignment many points are unclustered."""
    xy, _, raw = halo_map
    assert (raw < 0).mean() > MAX_NOISE_SHARE


def test_at_most_a_tenth_stays_noise_and_far_points_stay(halo_map) -> None:
    xy, result, raw = halo_map
    assert (result.fine < 0).mean() <= MAX_NOISE_SHARE
    assert (result.coarse < 0).mean() <= MAX_NOISE_SHARE
    assert np.all(result.fine[-3:] == -1)  # truly far: still noise, at both levels
    assert np.all(result.coarse[-3:] == -1)
    assert not np.any(result.low_confidence[-3:])


def test_low_confidence_marks_exactly_the_reassigned_points(halo_map) -> None:
    xy, result, raw = halo_map
    lc = result.low_confidence
    assert lc.dtype == np.bool_ and lc.shape == (len(xy),)
    assert np.all(result.fine[lc] >= 0)
    assert lc.sum() > 0
    # HDBSCAN's members keep their cluster and are confident.
    assert not np.any(lc[raw >= 0])
    np.testing.assert_array_equal(lc, (raw < 0) & (result.fine >= 0))


def test_reassigned_points_join_the_cluster_around_them() -> None:
    rng = np.random.default_rng(5)
    truth = np.repeat(np.arange(5), 300)
    core = CENTRES[truth] + rng.normal(scale=0.7, size=(1500, 2))
    # Stray points 2-3 units from a blob's centre (its edge), a few per blob.
    owner = np.repeat(np.arange(5), 8)
    angle = rng.uniform(0, 2 * np.pi, 40)
    radius = rng.uniform(2.0, 3.0, 40)
    stray = CENTRES[owner] + np.stack([np.cos(angle), np.sin(angle)], axis=1) * radius[:, None]
    xy = np.concatenate([core, stray]).astype(np.float32)
    labels = np.concatenate([truth, np.full(40, -1)]).astype(np.int32)
    out, low = reassign_noise(xy, labels)
    np.testing.assert_array_equal(out[1500:], owner)
    assert low[1500:].all() and not low[:1500].any()


def test_reassign_noise_keeps_labels_of_members_and_caps_noise() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(scale=0.5, size=(200, 2))
    b = rng.normal(scale=0.5, size=(200, 2)) + [10, 0]
    stray = rng.uniform(-20, 30, size=(100, 2))
    xy = np.concatenate([a, b, stray]).astype(np.float32)
    labels = np.array([0] * 200 + [1] * 200 + [-1] * 100, dtype=np.int32)
    out, low = reassign_noise(xy, labels)
    np.testing.assert_array_equal(out[:400], labels[:400])
    assert (out < 0).mean() <= MAX_NOISE_SHARE
    assert np.all(low == ((labels < 0) & (out >= 0)))
    # The kept noise is the far end: every point left as noise is at least as far from the
    # clusters as every reassigned one.
    dist = np.minimum(np.linalg.norm(xy, axis=1), np.linalg.norm(xy - [10, 0], axis=1))
    if np.any(out < 0):
        assert dist[out < 0].min() >= dist[low].max() - 1.5  # within the clusters' spread


def test_reassign_noise_with_no_cluster_changes_nothing() -> None:
    xy = np.random.default_rng(2).normal(size=(50, 2)).astype(np.float32)
    labels = np.full(50, -1, np.int32)
    out, low = reassign_noise(xy, labels)
    assert np.all(out == -1) and not low.any()


def many_blobs(k: int = 36, n_per: int = 120, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    grid = np.array([(i % 6, i // 6) for i in range(k)], dtype=float) * 9.0
    grid += rng.uniform(-1.5, 1.5, grid.shape)
    pts = grid[np.repeat(np.arange(k), n_per)] + rng.normal(scale=0.6, size=(k * n_per, 2))
    return pts.astype(np.float32)


def test_coarse_is_a_true_merge_of_fine() -> None:
    xy = many_blobs()
    result = cluster_map(xy, cache=False)
    coarse, fine = result.coarse, result.fine
    n_fine, n_coarse = int(fine.max()) + 1, int(coarse.max()) + 1
    assert 1 < n_coarse < n_fine  # really grouped, not the identity
    np.testing.assert_array_equal(coarse < 0, fine < 0)  # noise is noise at both levels
    for f in range(n_fine):
        assert len(np.unique(coarse[fine == f])) == 1, f  # each fine in exactly one coarse
    assert set(np.unique(coarse[coarse >= 0])) == set(range(n_coarse))
    mapping = clusters.fine_to_coarse(coarse, fine)
    assert sorted(mapping) == list(range(n_fine))
    assert all(mapping[f] == int(coarse[fine == f][0]) for f in range(n_fine))


def test_group_clusters_merges_even_with_noise_and_gaps() -> None:
    xy = many_blobs(k=12, n_per=40)
    fine = np.repeat(np.arange(12), 40).astype(np.int32)
    fine[::17] = -1
    coarse = clusters.group_clusters(xy, fine, k=4, seed=0)
    np.testing.assert_array_equal(coarse < 0, fine < 0)
    for f in range(12):
        assert len(np.unique(coarse[fine == f])) == 1


def test_cluster_layout_still_gives_the_two_levels() -> None:
    xy = halo_blobs(n_per=200, halo=700)
    coarse, fine = cluster_layout(xy, cache=False)
    result = cluster_map(xy, cache=False)
    np.testing.assert_array_equal(coarse, result.coarse)
    np.testing.assert_array_equal(fine, result.fine)


def test_clusters_and_confidence_come_from_the_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("INSPECTOR_HOME", str(tmp_path / "home"))
    xy = halo_blobs(n_per=200, halo=700)
    first = cluster_map(xy)
    monkeypatch.setattr(clusters, "_hdbscan", lambda *a: (_ for _ in ()).throw(AssertionError))
    again = cluster_map(xy)
    np.testing.assert_array_equal(first.fine, again.fine)
    np.testing.assert_array_equal(first.coarse, again.coarse)
    np.testing.assert_array_equal(first.low_confidence, again.low_confidence)
    assert again.low_confidence.any()


def test_large_sets_are_reassigned_too(monkeypatch) -> None:
    monkeypatch.setattr(clusters, "FIT_MAX", 800)
    xy = halo_blobs(n_per=300, halo=1000, seed=4)
    result = cluster_map(xy, cache=False)
    assert (result.fine < 0).mean() <= MAX_NOISE_SHARE
    again = cluster_map(xy, cache=False)
    np.testing.assert_array_equal(result.fine, again.fine)
    np.testing.assert_array_equal(result.low_confidence, again.low_confidence)


def test_tiny_sets_have_no_clusters_and_no_low_confidence() -> None:
    for n in (0, 1, 5):
        result = cluster_map(np.zeros((n, 2), np.float32), cache=False)
        assert result.fine.shape == result.coarse.shape == result.low_confidence.shape == (n,)
        assert not result.low_confidence.any()
