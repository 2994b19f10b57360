"""``junk.groups``: the array-only group steps against plain-Python references (dicts and
union-find), on random data with ties, repeats and rows in no pair."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from inspector.core.junk import duplicates, groups


def _reference_components(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    paired = {r for p in pairs for r in p}
    label: dict[int, int] = {}
    out = []
    for row in range(n):
        if row not in paired:
            out.append(-1)
            continue
        out.append(label.setdefault(find(row), len(label)))
    return out


@pytest.mark.parametrize("seed", range(5))
def test_key_runs_matches_a_dictionary_of_keys(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    k = rng.integers(0, max(1, n // 3), n).astype(np.uint64)
    h1, h2 = k // np.uint64(5), k % np.uint64(5)
    ok = rng.random(n) > 0.2
    group, later, first = groups.key_runs(h1, h2, ok)

    by_key: dict[tuple[int, int], list[int]] = {}
    for row in range(n):
        if ok[row]:
            by_key.setdefault((int(h1[row]), int(h2[row])), []).append(row)
    members = sorted((rows for rows in by_key.values() if len(rows) > 1), key=lambda r: r[0])
    want_group = np.full(n, -1)
    want_pairs = []
    for gid, rows in enumerate(members):
        want_group[rows] = gid
        want_pairs += [(rows[0], r) for r in rows[1:]]
    assert group.tolist() == want_group.tolist()
    assert list(zip(first.tolist(), later.tolist(), strict=True)) == want_pairs


@pytest.mark.parametrize("seed", range(5))
def test_components_and_similarity_to_representative(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 300))
    m = int(rng.integers(1, 2 * n))
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = a < b
    a, b = a[keep], b[keep]
    sim = rng.random(len(a)).astype(np.float32)
    pairs = list(zip(a.tolist(), b.tolist(), strict=True))

    group = groups.components(n, a, b)
    assert group.tolist() == _reference_components(n, pairs)

    prio = rng.integers(0, 3, n).astype(float)
    rep = groups.representatives(group, prio)
    for row in range(n):
        if group[row] < 0:
            assert rep[row] == -1
            continue
        mates = [r for r in range(n) if group[r] == group[row]]
        top = max(prio[r] for r in mates)
        assert rep[row] == min(r for r in mates if prio[r] == top)

    rows = np.flatnonzero((group >= 0) & (rep != np.arange(n)))
    got = groups.similarity_to_representative(n, a, b, sim, rows, rep[rows])
    first_sim: dict[tuple[int, int], float] = {}
    best: dict[int, float] = {}
    for (x, y), s in zip(pairs, sim.tolist(), strict=True):
        first_sim.setdefault((x, y), s)
        best[x] = max(best.get(x, -1.0), s)
        best[y] = max(best.get(y, -1.0), s)
    for row, value in zip(rows.tolist(), got.tolist(), strict=True):
        key = (min(row, int(rep[row])), max(row, int(rep[row])))
        assert value == pytest.approx(first_sim.get(key, best[row]))


def test_projected_pairs_merge_repeats_by_their_highest_similarity() -> None:
    rep = np.array([0, 0, 2, 2, 4, 5])  # 1 survives as 0, 3 as 2
    a = np.array([1, 0, 3, 0, 4, 5, 3])
    b = np.array([2, 3, 4, 1, 5, 4, 1])
    sim = np.array([0.5, 0.9, 0.7, 0.99, 0.6, 0.8, 0.4], np.float32)
    pa, pb, ps = groups.projected_pairs(rep, a, b, sim)
    got = {(x, y): s for x, y, s in zip(pa.tolist(), pb.tolist(), ps.tolist(), strict=True)}
    assert got == pytest.approx({(0, 2): 0.9, (2, 4): 0.7, (4, 5): 0.8})
    assert pa.tolist() == sorted(pa.tolist())


def test_projected_pairs_of_nothing_are_empty() -> None:
    pa, pb, ps = groups.projected_pairs(np.array([0, 0]), np.array([0]), np.array([1]), [1.0])
    assert len(pa) == len(pb) == len(ps) == 0


def test_pair_keys_refuse_to_overflow() -> None:
    with pytest.raises(ValueError, match="overflow"):
        groups.pair_keys(2**40, np.array([1]), np.array([2]))


def test_exact_duplicates_pairs_are_the_star_of_each_group() -> None:
    texts = ["a", "b", "a", "", "", "b", "a", "c"]
    found = duplicates.find_exact_duplicates(texts)
    assert found.group.tolist() == [0, 1, 0, -1, -1, 1, 0, -1]
    assert found.representative.tolist() == [0, 1, 0, -1, -1, 1, 0, -1]
    assert found.pairs.rows() == [(0, 2, 1.0), (0, 6, 1.0), (1, 5, 1.0)]
    assert found.pairs.schema == pl.Schema({"a": pl.Int64, "b": pl.Int64, "similarity": pl.Float32})
    assert found.similarity.tolist() == [1, 1, 1, 0, 0, 1, 1, 0]
