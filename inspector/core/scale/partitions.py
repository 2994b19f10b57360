"""Work on one shuffled partition (Ray hands each a whole group): the neighbours of similar
rows (SemDeDup's partitions: a kNN graph and the pairs above the threshold inside each
k-means cell) and the candidate pairs of MinHash band buckets. Plain numpy/polars, testable
without Ray."""

from __future__ import annotations

import numpy as np
import polars as pl

KNN_K = 15  # the local engine's graph degree (mapping.build_map's k)
MARGIN = 1e-4  # graph similarities (float32 products) are compared with t - MARGIN, then
# recomputed as ``cosine_pairs`` computes them


def neighbours(
    pos: np.ndarray, vectors: np.ndarray, valid: np.ndarray, threshold: float, k: int = KNN_K
) -> tuple[np.ndarray, pl.DataFrame]:
    """(outlier score per row, semantic pairs (a, b, similarity) in positions) for one
    partition, both from the local engine's top-``k`` graph of the partition
    (``neighbors.knn_graph``: exact up to ``EXACT_MAX`` rows, else its ivf cells; self
    excluded, ties by position): the score as the local engine computes it, the pairs from
    the graph's edges at cosine >= ``threshold`` (:func:`graph_pairs`), thinned to their
    strongest links (:func:`strongest_links`).

    Why the graph's edges and not ``cosine_pairs`` as the local engine does: the work stays
    k pairs a row whatever the data. On the 10M benchmark set (~4,100 near copies of each
    text) ``cosine_pairs`` took 23 CPU-s a 50k-row partition against 1.8 for the graph, and
    on a 62,558-row partition of the 1M set the graph's edges gave 167 groups where
    ``cosine_pairs`` gave 166. A group of near copies stays joined through each row's k
    nearest, which are its copies."""
    from inspector.core.junk.quality import outlier_scores
    from inspector.core.map.neighbors import knn_graph

    order = np.argsort(pos, kind="stable")
    pos, v, ok = pos[order], np.ascontiguousarray(vectors[order]), valid[order]
    n = len(pos)
    kk = min(k, n - 1)
    if kk < 1:
        return np.full(n, np.nan, np.float32)[np.argsort(order)], _no_pairs()
    idx, sims = knn_graph(v, kk, cache=False)
    score, _ = outlier_scores(idx, sims, ok)
    pairs = strongest_links(graph_pairs(v, idx, sims, ok, threshold), n)
    pairs = pairs.with_columns(
        pl.Series("a", pos[pairs["a"].to_numpy()]), pl.Series("b", pos[pairs["b"].to_numpy()])
    )
    back = np.empty(n, np.int64)
    back[order] = np.arange(n)
    return score[back], pairs


def graph_pairs(
    v: np.ndarray, idx: np.ndarray, sims: np.ndarray, valid: np.ndarray, threshold: float
) -> pl.DataFrame:
    """The edges of a kNN graph (``idx``/``sims`` (n, k), -1 for none) between valid rows at
    cosine >= ``threshold``, each once as (a < b), their similarity recomputed from the unit
    vectors ``v`` as ``cosine_pairs`` computes it (so a pair has one value whichever row's
    list it came from)."""
    from inspector.core.junk.cosine_pairs import pair_cosines

    n, k = idx.shape
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    cols = idx.reshape(-1).astype(np.int64)
    near = (sims.reshape(-1) >= np.float32(threshold) - np.float32(MARGIN)) & (cols >= 0)
    rows, cols = rows[near], cols[near]
    both = valid[rows] & valid[cols] & (rows != cols)
    rows, cols = rows[both], cols[both]
    if not len(rows):
        return _no_pairs()
    code = np.unique(np.minimum(rows, cols) * n + np.maximum(rows, cols))
    a, b = code // n, code % n
    s = np.minimum(pair_cosines(v, a, b), np.float32(1.0))
    keep = s >= np.float32(threshold)
    return pl.DataFrame(
        {"a": a[keep], "b": b[keep], "similarity": s[keep]},
        schema={"a": pl.Int64, "b": pl.Int64, "similarity": pl.Float32},
    )


def strongest_links(pairs: pl.DataFrame, n: int) -> pl.DataFrame:
    """The pairs of a maximum-similarity spanning forest of ``pairs`` (rows 0..n-1): at most
    n - 1 pairs a partition, where near copies of one text give up to k a row. Every group of rows
    the pairs join stays joined (so do the groups after the lexical finders' projection,
    which maps rows onto their kept rows), and each row keeps its most similar pair."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import minimum_spanning_tree

    if pairs.height < 2:
        return pairs
    a = pairs["a"].to_numpy()
    b = pairs["b"].to_numpy()
    sim = pairs["similarity"].to_numpy().astype(np.float64)
    lift = 1.0 + 1e-3  # weights > 0: scipy reads a zero as no edge
    graph = coo_matrix((lift - sim, (a, b)), shape=(n, n)).tocsr()
    tree = minimum_spanning_tree(graph).tocoo()
    lo, hi = np.minimum(tree.row, tree.col), np.maximum(tree.row, tree.col)
    kept = pl.DataFrame(
        {"a": lo.astype(np.int64), "b": hi.astype(np.int64)},
        schema={"a": pl.Int64, "b": pl.Int64},
    )
    return kept.join(pairs, on=["a", "b"], how="inner").sort("a", "b")


def _no_pairs() -> pl.DataFrame:
    return pl.DataFrame(schema={"a": pl.Int64, "b": pl.Int64, "similarity": pl.Float32})


def bucket_candidates(
    pos: np.ndarray, band: np.ndarray, key: np.ndarray, full: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (a < b, unique) as ``minhash.candidate_pairs`` makes them: rows with
    identical signatures (band 0, ``key`` = the full key) pair with their first; each other
    band buckets only the first row of each identical signature, every pair in small
    buckets, a star and a chain in large ones."""
    from inspector.core.junk import minhash

    frame = pl.DataFrame({"pos": pos, "band": band, "key": key, "full": full}).sort("pos")
    same = frame.filter(pl.col("band") == 0)
    firsts = same.group_by("key").agg(pl.col("pos").min().alias("first"))
    ident = same.join(firsts, on="key").filter(pl.col("pos") != pl.col("first"))
    pa_, pb_ = [ident["first"].to_numpy()], [ident["pos"].to_numpy()]
    banded = (
        frame.filter(pl.col("band") > 0)
        .unique(subset=["band", "key", "full"], keep="first", maintain_order=True)
        .with_columns(
            pl.struct("band", "key").hash(seed=0).alias("bucket")  # band and key, one value
        )
    )
    if banded.height > 1:
        rows = banded["pos"].to_numpy()
        keys = np.ascontiguousarray(banded["bucket"].to_numpy())
        order = np.argsort(keys, kind="stable")  # rows stay in file order inside a bucket
        pairs_fn = minhash._kernels().bucket_pairs
        none = np.zeros(0, np.int64)
        count = pairs_fn(order, keys, minhash.BUCKET_ALL_PAIRS, none, none)
        if count:
            a, b = np.empty(count, np.int64), np.empty(count, np.int64)
            pairs_fn(order, keys, minhash.BUCKET_ALL_PAIRS, a, b)
            pa_.append(rows[a])
            pb_.append(rows[b])
    a_all = np.concatenate(pa_).astype(np.int64)
    b_all = np.concatenate(pb_).astype(np.int64)
    lo, hi = np.minimum(a_all, b_all), np.maximum(a_all, b_all)
    keep = lo != hi
    if not keep.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    code = np.unique(np.stack([lo[keep], hi[keep]], axis=1), axis=0)
    return code[:, 0].astype(np.int64), code[:, 1].astype(np.int64)
