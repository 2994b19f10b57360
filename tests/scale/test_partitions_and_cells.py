"""The Ray engine's per-partition work without Ray: the neighbours of a partition (the local
engine's graph and pairs on the same rows), the pair lists it hands back, and the cell
search that places rows on the map."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from inspector.core.junk.duplicates import components, threshold_semantic_pairs
from inspector.core.junk.quality import outlier_scores
from inspector.core.map.neighbors import EXACT_MAX, knn_graph, top_k_rows
from inspector.core.scale.cellknn import cell_top_k, make_cells
from inspector.core.scale.partitions import neighbours, strongest_links
from inspector.core.scale.stage_neighbours import pair_lists


def _clustered(n: int, d: int = 32, centres: int = 40, sigma: float = 0.3, seed: int = 0):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, d))
    v = c[rng.integers(0, centres, n)] + sigma * rng.normal(size=(n, d))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_a_large_partition_scores_and_pairs_as_the_local_engine_does() -> None:
    n = EXACT_MAX + 2_000  # above EXACT_MAX: the local engine's ivf graph
    v = _clustered(n)
    v[100:110] = v[5]  # copies: semantic pairs
    v[200:300] = v[6] + 0.01 * np.random.default_rng(2).normal(size=(100, v.shape[1]))
    v[200:300] /= np.linalg.norm(v[200:300], axis=1, keepdims=True)  # a clump of near copies
    valid = np.ones(n, bool)
    valid[7] = False
    rng = np.random.default_rng(1)
    pos = rng.permutation(n).astype(np.int64) * 3 + 11  # positions in the whole set, shuffled
    score, pairs = neighbours(pos, v, valid, 0.98)

    order = np.argsort(pos, kind="stable")  # the partition sorted by position
    idx, sims = knn_graph(v[order], 15, cache=False)
    expected, _ = outlier_scores(idx, sims, valid[order])
    back = np.empty(n, np.int64)
    back[order] = np.arange(n)
    np.testing.assert_array_equal(score, expected[back])

    local = threshold_semantic_pairs(v[order], 0.98, valid[order])  # the local engine's
    sorted_pos = pos[order]
    local = local.with_columns(
        pl.Series("a", sorted_pos[local["a"].to_numpy()]),
        pl.Series("b", sorted_pos[local["b"].to_numpy()]),
    )
    assert pairs.height <= n - 1
    ids = {p: i for i, p in enumerate(sorted_pos.tolist())}
    # every pair is a true one at the threshold, its similarity the local engine's value
    ia = np.array([ids[x] for x in pairs["a"].to_list()], np.int64)
    ib = np.array([ids[x] for x in pairs["b"].to_list()], np.int64)
    exact = (v[order][ia].astype(np.float64) * v[order][ib]).sum(axis=1)
    np.testing.assert_allclose(pairs["similarity"].to_numpy(), exact, atol=1e-6)
    assert (pairs["similarity"].to_numpy() >= np.float32(0.98)).all()
    assert valid[order][ia].all() and valid[order][ib].all()

    def groups(frame: pl.DataFrame) -> pl.Series:
        a = np.array([ids[x] for x in frame["a"].to_list()], np.int64)
        b = np.array([ids[x] for x in frame["b"].to_list()], np.int64)
        return pl.Series(components(n, a, b))

    both = pl.DataFrame({"ray": groups(pairs), "local": groups(local)})
    assert both.n_unique("ray") == both.n_unique("local") == both.n_unique()  # same groups
    copies = set(pos[[5, *range(100, 110)]].tolist())
    joined = {(a, b) for a, b in pairs.select("a", "b").iter_rows() if a in copies}
    assert len(joined) >= 10


def test_strongest_links_keep_every_group_and_each_rows_best_pair() -> None:
    rng = np.random.default_rng(3)
    n = 3_000
    a = rng.integers(0, n, 40_000)
    b = rng.integers(0, n, 40_000)
    a[:5_000] = rng.integers(0, 60, 5_000)  # a dense clump, as near copies of one text make
    b[:5_000] = rng.integers(0, 60, 5_000)
    keep = a != b
    lo, hi = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    sim = rng.choice(np.float32([0.98, 0.985, 0.99, 1.0]), len(lo))  # ties, as copies give
    pairs = (
        pl.DataFrame({"a": lo, "b": hi, "similarity": sim})
        .unique(["a", "b"], keep="first", maintain_order=True)
        .sort("a", "b")
    )
    thin = strongest_links(pairs, n)
    assert thin.height <= n - 1 and thin.height < pairs.height / 5
    assert thin.columns == pairs.columns and thin.schema == pairs.schema
    assert thin.join(pairs, on=["a", "b"], how="anti").height == 0  # only given pairs
    whole = components(n, pairs["a"].to_numpy(), pairs["b"].to_numpy())
    part = components(n, thin["a"].to_numpy(), thin["b"].to_numpy())
    joined = pl.DataFrame({"whole": whole, "part": part})
    assert joined.n_unique("whole") == joined.n_unique("part") == joined.n_unique()

    def best(frame: pl.DataFrame) -> dict:
        both = pl.concat(
            [frame.select(row="a", s="similarity"), frame.select(row="b", s="similarity")]
        )
        return dict(both.group_by("row").agg(pl.col("s").max()).iter_rows())

    assert best(thin) == best(pairs)


def test_pair_lists_give_back_every_pair_even_from_a_slice() -> None:
    pos = np.array([40, 10, 30, 20], np.int64)
    pairs = pl.DataFrame(
        {"a": [10, 30, 10, 20], "b": [20, 40, 30, 30], "similarity": [0.99, 0.98, 0.985, 0.991]},
        schema={"a": pl.Int64, "b": pl.Int64, "similarity": pl.Float32},
    )
    pb, ps = pair_lists(pos, pairs)
    assert pb.to_pylist() == [[], [20, 30], [40], [30]]
    assert ps.to_pylist()[1] == [np.float32(0.99), np.float32(0.985)]
    table = pa.table({"pos": pos, "pb": pb, "ps": ps}).slice(1, 2)  # as iter_batches may cut
    counts = pc.list_value_length(table.column("pb")).to_numpy()
    a = np.repeat(table.column("pos").to_numpy(), counts)
    b = pc.list_flatten(table.column("pb")).to_numpy()
    assert list(zip(a.tolist(), b.tolist())) == [(10, 20), (10, 30), (30, 40)]


def test_cells_probing_every_cell_are_the_exact_top_k() -> None:
    base = _clustered(3_000, seed=2)
    queries = _clustered(500, seed=3)
    base[10] = base[20]  # a tie: the lower index first, as top_k_rows breaks it
    queries[0] = base[10]
    cells = make_cells(base, seed=0)
    idx, sims = cell_top_k(queries, base, cells, 10, nprobe=len(cells.centres))
    e_idx, e_sims = top_k_rows(queries, base, 10)
    np.testing.assert_array_equal(idx, e_idx)
    np.testing.assert_allclose(sims, e_sims, atol=1e-5)
    assert idx[0, 0] == 10 and idx[0, 1] == 20


def test_cells_find_most_neighbours_and_pad_when_short() -> None:
    base = _clustered(20_000, seed=4)
    queries = _clustered(2_000, seed=5)
    cells = make_cells(base, seed=0)
    idx, _ = cell_top_k(queries, base, cells, 10)
    e_idx, _ = top_k_rows(queries, base, 10)
    recall = np.mean([len(set(idx[i]) & set(e_idx[i])) / 10 for i in range(len(queries))])
    assert recall >= 0.95, recall
    again, _ = cell_top_k(queries, base, make_cells(base, seed=0), 10)
    np.testing.assert_array_equal(idx, again)  # reproducible

    few = make_cells(base[:3], seed=0)
    short_idx, short_sims = cell_top_k(queries[:4], base[:3], few, 5, nprobe=len(few.centres))
    assert (short_idx[:, 3:] == -1).all() and np.isneginf(short_sims[:, 3:]).all()
    assert sorted(short_idx[0, :3].tolist()) == [0, 1, 2]
