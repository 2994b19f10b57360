"""``cosine_pairs`` by default (the cell search analyze runs above ``ALL_PAIRS_MAX`` rows):
nearly every pair above the threshold, nothing below it, the same output in any process or
thread count, and the edge cases (identical, zero and non-finite rows, tiny sets)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from inspector.core.junk import cosine_pairs as cp
from inspector.core.junk.cosine_pairs import cosine_pairs, pair_cosines


def planted(rows: int = 6000, dims: int = 48, seed: int = 0) -> np.ndarray:
    """Unit vectors in Zipf-sized topics, plus near copies of random rows whose cosines to
    their original spread from ~0.85 to ~1 (so every threshold from 0.9 to 0.99 has pairs
    close to it on both sides), some copies of copies, and a few identical rows."""
    rng = np.random.default_rng(seed)
    topics = 40
    centres = rng.normal(size=(topics, dims))
    sizes = 1.0 / np.arange(1, topics + 1) ** 0.8
    v = centres[rng.choice(topics, size=rows, p=sizes / sizes.sum())]
    v = v + rng.normal(scale=0.7, size=(rows, dims))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    src = rng.integers(0, rows, size=rows // 4)
    noise = rng.uniform(0.0, 0.6, size=(len(src), 1)) / np.sqrt(dims)
    near = v[src] + rng.normal(size=(len(src), dims)) * noise
    again = near[: len(near) // 5] + rng.normal(size=(len(near) // 5, dims)) * 0.1 / np.sqrt(dims)
    same = np.repeat(v[:3], 4, axis=0)
    out = np.concatenate([v, near, again, same])
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out[rng.permutation(len(out))].astype(np.float32)


def every_pair(v: np.ndarray, t: float) -> set[tuple[int, int]]:
    """All pairs at cosine ≥ t, by the same cosine (float64 sums) cosine_pairs reports."""
    s = v @ v.T
    a, b = np.nonzero(np.triu(s >= t - 1e-3, k=1))
    keep = pair_cosines(v, a, b) >= np.float32(t)
    return set(zip(a[keep].tolist(), b[keep].tolist(), strict=True))


@pytest.mark.parametrize("t", [0.9, 0.93, 0.95, 0.97, 0.98, 0.99])
def test_the_cell_search_finds_nearly_every_pair_and_nothing_below(t):
    v = planted()
    truth = every_pair(v, t)
    assert len(truth) > 300  # the planted copies, at least
    a, b, s = cosine_pairs(v, t, all_pairs_max=0)  # the cells, not all pairs
    found = list(zip(a.tolist(), b.tolist(), strict=True))
    assert found == sorted(set(found))  # each pair once, by (a, b)
    assert set(found) <= truth  # nothing below the threshold
    assert len(set(found)) / len(truth) >= 0.995  # home cells alone: 0.92-0.97
    assert (s >= np.float32(t)).all()
    np.testing.assert_array_equal(s, pair_cosines(v, a, b))


def test_the_cells_were_searched(monkeypatch):
    calls = []
    train = cp.train_cells
    monkeypatch.setattr(cp, "train_cells", lambda *a, **k: calls.append(1) or train(*a, **k))
    v = planted(2000)
    cosine_pairs(v, 0.95, all_pairs_max=0)
    assert calls  # the test above measures the cells, not every pair
    cosine_pairs(v, 0.95)  # 2,500 rows: every pair
    assert len(calls) == 1


@pytest.mark.parametrize("t", [0.9, 0.98])
def test_exact_finds_every_pair(t):
    v = planted(3000, seed=1)
    a, b, _ = cosine_pairs(v, t, all_pairs_max=0, exact=True, cap=None, leaf=40)
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == every_pair(v, t)


def test_all_pairs_below_the_size_limit_are_every_pair():
    v = planted(2000, seed=2)
    a, b, _ = cosine_pairs(v, 0.95)
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == every_pair(v, 0.95)


def test_the_threads_do_not_change_the_pairs(monkeypatch):
    v = planted(4000, seed=3)
    monkeypatch.setattr(cp, "_workers", lambda: 1)
    one = cosine_pairs(v, 0.95, all_pairs_max=0)
    monkeypatch.setattr(cp, "_workers", lambda: 3)
    three = cosine_pairs(v, 0.95, all_pairs_max=0)
    for x, y in zip(one, three, strict=True):
        np.testing.assert_array_equal(x, y)


SCRIPT = """
import json, sys
import numpy as np
sys.path.insert(0, {tests!r})
from test_cosine_pairs_recall import planted
from inspector.core.junk.duplicates import groups_from_pairs, threshold_semantic_pairs
from inspector.core.junk.cosine_pairs import cosine_pairs
v = planted(5000, seed=4)
a, b, s = cosine_pairs(v, 0.96, all_pairs_max=0)
pairs = threshold_semantic_pairs(v, 0.96)
g = groups_from_pairs(len(v), pairs, "semantic_duplicate")
print(json.dumps([a.tolist(), b.tolist(), s.tolist(), g.group.tolist(),
                  g.representative.tolist()]))
"""


def test_the_same_pairs_and_groups_in_two_processes():
    from pathlib import Path

    code = SCRIPT.format(tests=str(Path(__file__).parent))
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    first, second = (json.loads(r.stdout.strip().splitlines()[-1]) for r in runs)
    assert first == second
    assert len(first[0]) > 100 and max(first[3]) > 10  # pairs and groups to compare
    a, b, s = cosine_pairs(planted(5000, seed=4), 0.96, all_pairs_max=0)
    assert [a.tolist(), b.tolist(), s.tolist()] == first[:3]  # and in this process


def test_identical_rows_pair_and_a_large_set_of_them_stays_one_group():
    from inspector.core.junk.duplicates import components

    rng = np.random.default_rng(5)
    one = rng.normal(size=32)
    others = rng.normal(size=(500, 32))
    v = np.concatenate([np.repeat(one[None], 300, axis=0), others]).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    a, b, s = cosine_pairs(v, 0.99, all_pairs_max=0)
    assert (s >= np.float32(0.99)).all()
    group = components(len(v), a, b)
    assert len(set(group[:300].tolist())) == 1 and group[0] >= 0  # all 300 joined
    assert (group[300:] == -1).all()
    assert len(a) < 300 * 299 // 2  # capped: each row its 64 most similar a block
    a, b, _ = cosine_pairs(v, 0.99, all_pairs_max=0, cap=None)
    assert len(a) == 300 * 299 // 2


@pytest.mark.parametrize("all_pairs_max", [0, 20_000])
def test_zero_nan_and_invalid_rows_pair_with_nothing(all_pairs_max):
    v = planted(1500, seed=6)
    v[10] = 0.0
    v[11] = np.nan
    v[12, 3] = np.inf
    v[13] = v[14]  # identical rows: paired, unless one is not valid
    valid = np.ones(len(v), dtype=bool)
    valid[14] = False
    a, b, _ = cosine_pairs(v, 0.9, valid=valid, all_pairs_max=all_pairs_max)
    assert len(a)
    assert not {10, 11, 12, 14} & (set(a.tolist()) | set(b.tolist()))
    a, b, _ = cosine_pairs(v, 0.9, all_pairs_max=all_pairs_max)
    assert (13, 14) in set(zip(a.tolist(), b.tolist(), strict=True))


@pytest.mark.parametrize("rows", [0, 1, 2, 3, 5])
def test_tiny_sets(rows):
    v = planted(1000, seed=7)[:rows]
    if rows >= 2:
        v[1] = v[0]
    a, b, s = cosine_pairs(v, 0.95, all_pairs_max=0, leaf=4)
    assert a.dtype == np.int64 and b.dtype == np.int64 and s.dtype == np.float32
    expected = every_pair(v, 0.95) if rows else set()
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == expected
    if rows >= 2:
        assert (0, 1) in expected


def test_fewer_rows_than_a_cell_and_a_wrong_shape():
    v = planted(300, seed=8)
    a, b, _ = cosine_pairs(v, 0.95, all_pairs_max=0, leaf=10_000)  # one cell
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == every_pair(v, 0.95)
    with pytest.raises(ValueError, match="2-D"):
        cosine_pairs(np.zeros(5, dtype=np.float32), 0.9)


def test_prepared_kernels_are_the_ones_the_cells_use():
    """``duplicates.prepare_kernels`` (run while the vectors are made) loads the overload
    that placing rows in cells calls: a search afterwards compiles none."""
    from inspector.core.junk import cosine_kernels
    from inspector.core.junk.duplicates import prepare_kernels

    prepare_kernels()
    before = len(cosine_kernels.place_rows.signatures)
    assert before
    cosine_pairs(planted(1500, seed=9), 0.95, all_pairs_max=0)
    assert len(cosine_kernels.place_rows.signatures) == before
