"""Semantic duplicates without a kNN graph (``analyze --only duplicates``): every pair above
the threshold, compared directly, gives the same groups as the graph's pairs did.

The vectors are integers / 64 with norms within 1e-3 of 1 (taken as unit vectors as they
are), so every cosine is an exact multiple of 1/4096 whatever order a product adds in: a
threshold set to a pair's cosine is a tie that both routes must count the same way."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from inspector.core.junk import duplicates
from inspector.core.junk.junk import analyze_junk
from inspector.core.map.neighbors import knn_graph


def exact_vectors(seed: int = 0, groups: int = 40, dims: int = 16) -> np.ndarray:
    """Rows of integer vectors / 64: ``groups`` bases, each with up to 5 copies changed by
    one unit in one or two places (some identical, some chains), plus lone rows."""
    rng = np.random.default_rng(seed)

    def unit_ints(base: np.ndarray | None = None) -> np.ndarray:
        while True:
            w = rng.integers(-24, 25, size=dims) if base is None else base.copy()
            if base is not None:
                for _ in range(int(rng.integers(0, 3))):
                    w[rng.integers(dims)] += rng.choice([-1, 1])
            if abs(int(w @ w) - 4096) <= 8:  # |w| / 64 within 1e-3 of 1
                return w
            if base is None:
                w = np.round(w * 64 / np.sqrt(max(int(w @ w), 1))).astype(np.int64)
                if abs(int(w @ w) - 4096) <= 8:
                    return w

    rows = []
    for _ in range(groups):
        base = unit_ints()
        rows.append(base)
        for _ in range(int(rng.integers(0, 6))):
            rows.append(unit_ints(rows[-1] if rng.random() < 0.3 else base))  # chains too
    rows += [unit_ints() for _ in range(60)]
    order = rng.permutation(len(rows))
    return (np.array(rows, dtype=np.float32) / 64.0)[order]


def thresholds_at_the_edges(v: np.ndarray) -> list[float]:
    """Cosines that pairs have exactly (ties at the threshold), one step above each, and one
    step below."""
    sims = np.unique((v @ v.T)[np.triu_indices(len(v), k=1)])
    picked = [float(s) for s in sims[sims <= 1.0][-40::7]]
    edges = {*picked, *(s + 1 / 4096 for s in picked), *(s - 1 / 4096 for s in picked)}
    return sorted(t for t in edges if t <= 1.0)  # similarities are capped at 1


def test_the_vectors_are_taken_as_they_are_and_ties_are_exact():
    v = exact_vectors()
    norms = np.linalg.norm(v, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-3) and not np.allclose(norms, 1.0, atol=1e-7)
    dots = v @ v.T
    assert np.array_equal(dots * 4096, np.round(dots * 4096))  # exact multiples of 1/4096
    counts = np.unique(dots[np.triu_indices(len(v), k=1)], return_counts=True)[1]
    assert counts.max() > 1  # cosines that several pairs share


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_groups_as_the_graph_at_every_edge(seed):
    v = exact_vectors(seed)
    n = len(v)
    idx, sims = knn_graph(v, k=15, cache=False)
    valid = np.ones(n, dtype=bool)
    valid[n // 2] = False  # an empty text: never paired
    tested_ties = 0
    for t in thresholds_at_the_edges(v):
        by_graph = duplicates.semantic_pairs(idx, sims, t, valid)
        direct = duplicates.threshold_semantic_pairs(v, t, valid)
        # a row has fewer than 15 partners here, so the graph holds every pair
        assert direct.select("a", "b").equals(by_graph.select("a", "b"))
        assert (direct["similarity"] >= np.float32(t)).all()
        tested_ties += int((direct["similarity"] == np.float32(t)).sum())
        g1 = duplicates.groups_from_pairs(n, by_graph, duplicates.SEMANTIC_DUPLICATE)
        g2 = duplicates.groups_from_pairs(n, direct, duplicates.SEMANTIC_DUPLICATE)
        assert g1.group.tolist() == g2.group.tolist()
        assert g1.representative.tolist() == g2.representative.tolist()
    assert tested_ties > 0  # some thresholds fell exactly on pairs' cosines


def test_a_row_with_more_partners_than_the_graph_holds_joins_the_same_group():
    """30 near copies of one text: the graph keeps 15 neighbours a row, the direct search
    every pair (64 a row at most); the group is the same."""
    v = exact_vectors(3)
    base = (v[0] * 64).astype(np.int64)
    rng = np.random.default_rng(5)
    copies = []
    while len(copies) < 30:
        w = base.copy()
        w[rng.integers(16)] += rng.choice([-1, 1])
        if abs(int(w @ w) - 4096) <= 8:
            copies.append(w)
    v = np.concatenate([v, np.array(copies, dtype=np.float32) / 64.0])
    n = len(v)
    idx, sims = knn_graph(v, k=15, cache=False)
    by_graph = duplicates.semantic_pairs(idx, sims, 0.99)
    direct = duplicates.threshold_semantic_pairs(v, 0.99)
    assert len(direct) > len(by_graph)  # pairs the graph left out
    g1 = duplicates.groups_from_pairs(n, by_graph, duplicates.SEMANTIC_DUPLICATE)
    g2 = duplicates.groups_from_pairs(n, direct, duplicates.SEMANTIC_DUPLICATE)
    assert g1.group.tolist() == g2.group.tolist()


def frame_of(n: int) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = ["".join(rng.choice(letters, size=6)) for _ in range(5000)]  # digits fold away
    texts = [" ".join(rng.choice(words, size=12)) for _ in range(n)]  # no lexical copies
    texts[7] = texts[3]  # and one exact copy: the semantic finder works on what is left
    return pl.DataFrame({"id": [f"r{i}" for i in range(n)], "response": texts})


@pytest.mark.parametrize("keep", ["first", "longest"])
def test_analyze_junk_finds_the_same_groups_without_the_graph(keep):
    v = exact_vectors(4)
    n = len(v)
    frame = frame_of(n)
    knn = knn_graph(v, k=15, cache=False)
    for t in thresholds_at_the_edges(v)[::3]:
        common = dict(
            id_col="id",
            response_col="response",
            vectors=v,
            semantic_threshold=t,
            keep_policy=keep,
        )
        old = analyze_junk(frame, knn=knn, **common).table
        new = analyze_junk(frame, pairs_from_vectors=True, **common).table
        cols = ["dup_group", "dup_kind", "dup_representative", "dup_matched", "dup_removed"]
        assert new.select(cols).equals(old.select(cols))
        assert new["dup_similarity"].to_list() == old["dup_similarity"].to_list()
    assert (old["dup_kind"] == "semantic_duplicate").any()


@pytest.mark.parametrize("keep", ["first", "longest"])
def test_analyze_junk_above_the_all_pairs_size_finds_the_same_groups(monkeypatch, keep):
    """Above ``ALL_PAIRS_MAX`` rows analyze searches cells (cosine_pairs): on these copies
    the same duplicate columns as comparing every pair."""
    from inspector.core.junk import cosine_pairs

    v = exact_vectors(5, groups=120)
    frame = frame_of(len(v))
    common = dict(id_col="id", response_col="response", vectors=v, keep_policy=keep)
    cols = ["dup_group", "dup_kind", "dup_representative", "dup_matched", "dup_removed"]
    for t in (0.95, 0.98):
        every = analyze_junk(frame, pairs_from_vectors=True, semantic_threshold=t, **common)
        with monkeypatch.context() as m:
            m.setattr(cosine_pairs, "ALL_PAIRS_MAX", 0)
            m.setattr(cosine_pairs, "LEAF_MIN", 16)  # ~30 cells of ~20 rows
            cells = analyze_junk(frame, pairs_from_vectors=True, semantic_threshold=t, **common)
        assert cells.table.select(cols).equals(every.table.select(cols))
        assert (every.table["dup_kind"] == "semantic_duplicate").sum() > 20
