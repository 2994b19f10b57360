"""``threshold_pairs``: the pairs above a cosine threshold without a kNN graph (semantic
duplicates at 1M rows). Small sets compare every pair; large ones search cells and must
find nearly every pair the exhaustive search finds, and nothing below the threshold."""

from __future__ import annotations

import numpy as np

from inspector.core.map.neighbors import threshold_pairs


def clustered(rows: int, dims: int = 32, topics: int = 30, copies: int = 150, seed: int = 0):
    """Unit vectors in Zipf-sized topics plus ``copies`` near copies (cosine ~0.99) and two
    zero rows at the end."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(topics, dims))
    sizes = 1.0 / np.arange(1, topics + 1) ** 0.8
    topic = rng.choice(topics, size=rows, p=sizes / sizes.sum())
    v = centres[topic] + rng.normal(scale=0.6, size=(rows, dims))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    src = rng.integers(0, rows, size=copies)
    near = v[src] + rng.normal(scale=0.01, size=(copies, dims))
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    return np.concatenate([v, near, np.zeros((2, dims))]).astype(np.float32)


def brute(v: np.ndarray, t: float) -> set[tuple[int, int]]:
    s = v @ v.T
    a, b = np.nonzero(np.triu(s >= t, k=1))
    return set(zip(a.tolist(), b.tolist(), strict=True))


def test_small_sets_compare_every_pair():
    v = clustered(300, copies=20)
    a, b, s = threshold_pairs(v, 0.95)
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == brute(v, 0.95)
    assert (a < b).all() and (s >= 0.95).all()
    np.testing.assert_allclose(s, np.einsum("ij,ij->i", v[a], v[b]), atol=1e-5)


def test_cells_find_nearly_every_pair_and_nothing_below_the_threshold():
    v = clustered(4000)
    exact = brute(v, 0.98)
    assert len(exact) >= 150  # the planted copies, at least
    a, b, s = threshold_pairs(v, 0.98, leaf=64)  # 4,152 rows: the cell search, not all pairs
    found = set(zip(a.tolist(), b.tolist(), strict=True))
    assert len(found) == len(a)  # each pair once
    assert found <= exact and (s >= 0.98).all()
    assert len(found) / len(exact) >= 0.97
    zero = {len(v) - 2, len(v) - 1}
    assert not zero & (set(a.tolist()) | set(b.tolist()))
    again = threshold_pairs(v, 0.98, leaf=64)
    assert again[0].tolist() == a.tolist() and again[1].tolist() == b.tolist()
