"""The neighbours stage of ``--engine ray``: k-means on a sample cuts the rows into
partitions of similar rows; a shuffle groups each partition; inside it an exact kNN graph
gives the outlier score and the semantic-duplicate pairs, as SemDeDup does (moved from
``engine``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inspector.core.scale.rows import get_value, matrix, row_positions


def partition_centres(svec: np.ndarray, parts: int, seed: int) -> np.ndarray:
    from inspector.core.map.models import normalise

    if parts <= 1 or len(svec) <= parts:
        return np.zeros((1, svec.shape[1]), np.float32)
    from sklearn.cluster import MiniBatchKMeans

    km = MiniBatchKMeans(n_clusters=parts, random_state=seed, n_init=1, batch_size=4096)
    km.fit(normalise(svec))
    return normalise(km.cluster_centers_.astype(np.float32))


def pair_lists(pos: np.ndarray, pairs: pl.DataFrame) -> tuple[Any, Any]:
    """Each row's pairs (a = its position) as two list columns in the order of ``pos``
    (empty lists for rows without one), built from offsets, not per-row Python lists."""
    import pyarrow as pa

    a = pairs["a"].to_numpy()
    order = np.argsort(pos, kind="stable")
    at = order[np.searchsorted(pos, a, sorter=order)]  # row of each pair's a
    by_row = np.argsort(at, kind="stable")
    counts = np.bincount(at, minlength=len(pos))
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    b = np.asarray(pairs["b"].to_numpy(), np.int64)[by_row]
    s = np.asarray(pairs["similarity"].to_numpy(), np.float32)[by_row]
    return (
        pa.ListArray.from_arrays(offsets, pa.array(b, pa.int64())),
        pa.ListArray.from_arrays(offsets, pa.array(s, pa.float32())),
    )


def semantic_neighbours(
    rd: Any,
    ray: Any,
    rows_dir: Path,
    centres: np.ndarray,
    offsets_ref: Any,
    threshold: float,
    n: int,
) -> tuple[np.ndarray, pl.DataFrame]:
    centres_ref = ray.put(centres)

    def assign(batch: Any, offsets: np.ndarray, c: np.ndarray) -> Any:
        import pyarrow as pa

        pos = row_positions(batch, offsets)
        emb = matrix(batch["emb"])
        c = get_value(c)
        part = (
            np.argmax(emb @ c.T, axis=1).astype(np.int32)
            if len(c) > 1
            else np.zeros(len(pos), np.int32)
        )
        return pa.table(
            {"pos": pos, "part": part, "emb": batch["emb"], "nonempty": batch["nonempty"]}
        )

    def within(group: Any, thr: float) -> Any:
        import pyarrow as pa

        from inspector.core.scale.partitions import neighbours

        pos = np.asarray(group["pos"], dtype=np.int64)
        emb = matrix(group["emb"])
        score, pairs = neighbours(pos, emb, np.asarray(group["nonempty"]), thr)
        pb, ps = pair_lists(pos, pairs)
        return pa.table({"pos": pos, "score": score.astype(np.float32), "pb": pb, "ps": ps})

    ds = (
        rd.read_parquet(str(rows_dir), columns=["file", "rec", "emb", "nonempty"])
        .map_batches(assign, fn_args=(offsets_ref, centres_ref), batch_format="pyarrow")
        .groupby("part", num_partitions=len(centres))  # Ray's default: 200 reduce tasks
        .map_groups(within, fn_args=(threshold,), batch_format="pyarrow")
    )
    import pyarrow.compute as pc

    score = np.full(n, np.nan, np.float32)
    pa_: list[np.ndarray] = []
    pb_: list[np.ndarray] = []
    ps_: list[np.ndarray] = []
    for batch in ds.iter_batches(batch_format="pyarrow", batch_size=200_000):
        pos = np.asarray(batch.column("pos").to_numpy(), np.int64)
        score[pos] = batch.column("score").to_numpy()
        pb, ps = batch.column("pb"), batch.column("ps")  # may be slices: flatten, not .values
        counts = np.asarray(pc.list_value_length(pb).fill_null(0).to_numpy(), np.int64)
        pa_.append(np.repeat(pos, counts))
        pb_.append(np.asarray(pc.list_flatten(pb).to_numpy(), np.int64))
        ps_.append(np.asarray(pc.list_flatten(ps).to_numpy(), np.float32))
    pairs = pl.DataFrame(
        {
            "a": np.concatenate(pa_) if pa_ else np.zeros(0, np.int64),
            "b": np.concatenate(pb_) if pb_ else np.zeros(0, np.int64),
            "similarity": np.concatenate(ps_).astype(np.float32)
            if ps_
            else np.zeros(0, np.float32),
        }
    )
    return score, pairs
