"""``cosine_pairs``: every pair at cosine ≥ the threshold, the same as comparing all pairs.

Most vectors here are integers / 64 whose norms are within 1e-3 of 1 (taken as unit
vectors as they are), so every product is an exact multiple of 1/4096 whatever order it is
added in: the brute force and the cell tree must then agree on every pair, ties at the
threshold included. A small ``leaf`` forces deep trees of many cells on small sets."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.core.junk.cosine_pairs import cosine_pairs

DIMS = 16


def unit_ints(rng: np.random.Generator, base: np.ndarray | None = None, moves: int = 0):
    """An integer vector with |w|^2 within 8 of 4096: random, or ``base`` moved by one unit
    up to ``moves`` times (a try that misses the norm draws the number of moves again)."""
    if base is not None and moves == 0:
        return base.copy()
    while True:
        if base is None:
            w = rng.integers(-24, 25, size=DIMS)
            w = np.round(w * 64 / np.sqrt(max(int(w @ w), 1))).astype(np.int64)
        else:
            w = base.copy()
            for _ in range(int(rng.integers(1, moves + 1))):
                w[rng.integers(DIMS)] += rng.choice([-1, 1])
        if abs(int(w @ w) - 4096) <= 8:
            return w


def exact_set(seed: int, groups: int = 60, lone: int = 150) -> np.ndarray:
    """Clustered rows (bases with copies moved 0-12 units: cosines from 1 down to ~0.9),
    identical copies, lone random rows and two zero rows, shuffled."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(groups):
        base = unit_ints(rng)
        rows.append(base)
        for _ in range(int(rng.integers(0, 8))):
            rows.append(unit_ints(rng, base, int(rng.integers(0, 13))))
    rows += [rows[3]] * 5  # identical rows
    rows += [unit_ints(rng) for _ in range(lone)]
    rows += [np.zeros(DIMS, dtype=np.int64)] * 2  # empty texts
    v = np.array(rows, dtype=np.float32) / 64.0
    return v[rng.permutation(len(v))]


def brute(v: np.ndarray, t: float) -> tuple[set[tuple[int, int]], dict[tuple[int, int], float]]:
    s = v @ v.T
    a, b = np.nonzero(np.triu(s >= np.float32(t), k=1))
    live = np.linalg.norm(v, axis=1) > 0.5
    keep = live[a] & live[b]
    pairs = list(zip(a[keep].tolist(), b[keep].tolist(), strict=True))
    return set(pairs), {p: float(s[p]) for p in pairs}


def thresholds(v: np.ndarray) -> list[float]:
    """0.9, 0.95, 0.98, 0.99 and cosines that pairs have exactly (ties), one step above and
    below them."""
    sims = np.unique((v @ v.T)[np.triu_indices(len(v), k=1)])
    ties = [float(s) for s in sims[(sims >= 0.9) & (sims < 1.0)][::9]]
    steps = {*ties, *(s + 1 / 4096 for s in ties), *(s - 1 / 4096 for s in ties)}
    return sorted({0.9, 0.95, 0.98, 0.99, *steps})


def test_the_vectors_are_exact_and_not_unit():
    v = exact_set(0)
    norms = np.linalg.norm(v, axis=1)
    live = norms > 0
    assert np.allclose(norms[live], 1.0, atol=1e-3) and not np.allclose(norms[live], 1.0, 1e-7)
    dots = v @ v.T
    assert np.array_equal(dots * 4096, np.round(dots * 4096))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("leaf", [4, 16, 10_000])
def test_every_pair_above_the_threshold_ties_included(seed, leaf):
    v = exact_set(seed)
    ties = 0
    for t in thresholds(v):
        truth, sims = brute(v, t)
        a, b, s = cosine_pairs(v, t, leaf=leaf, exact=True, all_pairs_max=0, cap=None)
        found = list(zip(a.tolist(), b.tolist(), strict=True))
        assert len(found) == len(set(found))  # each pair once
        assert set(found) == truth
        assert found == sorted(found)  # sorted by (a, b)
        assert [sims[p] for p in found] == s.tolist()  # the same products
        ties += int((s == np.float32(t)).sum())
    assert ties > 0  # some thresholds fell exactly on pairs' cosines


def test_identical_rows_pair_with_each_other_and_the_tree_ends():
    rng = np.random.default_rng(4)
    one = unit_ints(rng)
    v = np.array([one] * 40 + [unit_ints(rng) for _ in range(30)], dtype=np.float32) / 64.0
    a, b, s = cosine_pairs(
        v, 0.99, leaf=4, exact=True, all_pairs_max=0, cap=None
    )  # 40 identical rows cannot be split
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    assert {(i, j) for i in range(40) for j in range(i + 1, 40)} <= pairs
    assert pairs == brute(v, 0.99)[0]


def test_zero_and_non_finite_rows_pair_with_nothing():
    v = exact_set(5)
    v = np.concatenate([v, np.full((1, DIMS), np.nan, dtype=np.float32)])
    a, b, _ = cosine_pairs(v, 0.5, leaf=8, exact=True, all_pairs_max=0)
    dead = set(np.flatnonzero(~(np.linalg.norm(v, axis=1) > 0.5)).tolist())
    assert len(dead) == 3
    assert not dead & (set(a.tolist()) | set(b.tolist()))
    assert len(a) > 0


def test_a_low_threshold_compares_every_pair():
    v = exact_set(6, groups=10, lone=20)
    live = np.flatnonzero(np.linalg.norm(v, axis=1) > 0.5)
    a, _, _ = cosine_pairs(v, -1.0, leaf=4, exact=True, all_pairs_max=0, cap=None)
    assert len(a) == len(live) * (len(live) - 1) // 2


def float_clusters(rows: int, dims: int, seed: int) -> np.ndarray:
    """Unit float vectors in tight and loose clusters plus near copies (cosine ~0.9-0.999)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dims))
    topic = rng.integers(0, 40, size=rows)
    spread = rng.choice([0.05, 0.2, 0.6], size=(rows, 1))
    v = centres[topic] / np.sqrt(dims) + rng.normal(size=(rows, dims)) * spread / np.sqrt(dims)
    src = rng.integers(0, rows, size=rows // 5)
    near = v[src] + rng.normal(size=(len(src), dims)) * rng.choice([0.02, 0.1, 0.3]) / np.sqrt(dims)
    v = np.concatenate([v, near])
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("t", [0.9, 0.95, 0.98, 0.99])
def test_float_vectors_every_pair_outside_rounding(t):
    """Float products differ in the last bits with the order they are added in: pairs within
    1e-5 of the threshold may fall either way, every other one must match."""
    v = float_clusters(1500, 48, seed=int(t * 100))
    s = v.astype(np.float64) @ v.T.astype(np.float64)
    a, b, found_s = cosine_pairs(v, t, leaf=16, exact=True, all_pairs_max=0)
    found = set(zip(a.tolist(), b.tolist(), strict=True))
    ia, ib = np.nonzero(np.triu(s >= t + 1e-5, k=1))
    sure = set(zip(ia.tolist(), ib.tolist(), strict=True))
    assert len(sure) > 20
    assert sure <= found
    assert all(s[p] >= t - 1e-5 for p in found)
    assert (found_s >= np.float32(t)).all()


def test_the_cells_change_only_the_work():
    v = float_clusters(2000, 32, seed=9)
    first = cosine_pairs(v, 0.95, leaf=8, seed=0, exact=True, all_pairs_max=0)
    other = cosine_pairs(v, 0.95, leaf=64, seed=3, exact=True, all_pairs_max=0)
    again = cosine_pairs(v, 0.95, leaf=8, seed=0, exact=True, all_pairs_max=0)
    assert [x.tolist() for x in first] == [x.tolist() for x in again]  # deterministic
    assert first[0].tolist() == other[0].tolist() and first[1].tolist() == other[1].tolist()
