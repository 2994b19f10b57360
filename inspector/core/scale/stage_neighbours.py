"""The neighbours stage of ``--engine ray``: k-means on a sample cuts the rows into
partitions of similar rows; the rows go to their partition's folder; inside each the local
engine's kNN graph gives the outlier score and its pair search the semantic-duplicate pairs,
as SemDeDup does (moved from ``engine``)."""

from __future__ import annotations

import shutil
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
    """Each row's outlier score and the semantic pairs, partition by partition. The rows go
    to their partitions through files (``parts/<p>/<first row>.parquet`` beside ``rows/``:
    the storage every node sees), not Ray's hash shuffle: at 1M rows that shuffle of the
    vectors took most of the stage's 254 s, while the work inside the partitions (kNN
    graph, pairs) is ~2 CPU-s a 34k-row partition."""
    centres_ref = ray.put(centres)
    parts_dir = rows_dir.parent / "parts"

    def assign(batch: Any, offsets: np.ndarray, c: np.ndarray, out: str) -> Any:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pos = row_positions(batch, offsets)
        emb = matrix(batch["emb"])
        c = get_value(c)
        part = (
            np.argmax(emb @ c.T, axis=1).astype(np.int32)
            if len(c) > 1
            else np.zeros(len(pos), np.int32)
        )
        table = pa.table({"pos": pos, "emb": batch["emb"], "nonempty": batch["nonempty"]})
        for p in np.unique(part).tolist():
            rows = np.flatnonzero(part == p)
            folder = Path(out) / f"{p:06d}"
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{int(pos[rows[0]]):012d}.parquet"  # a retried batch rewrites its own file
            pq.write_table(table.take(pa.array(rows)), folder / f".{name}.tmp")
            (folder / f".{name}.tmp").replace(folder / name)
        return pa.table({"rows": [len(pos)]})

    def within(batch: dict[str, np.ndarray], thr: float, out: str) -> Any:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from inspector.core.scale.partitions import neighbours

        folder = Path(out) / f"{int(batch['part'][0]):06d}"
        files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
        if not files:
            return pa.table(
                {
                    "pos": pa.array([], pa.int64()),
                    "score": pa.array([], pa.float32()),
                    "pb": pa.array([], pa.list_(pa.int64())),
                    "ps": pa.array([], pa.list_(pa.float32())),
                }
            )
        group = pa.concat_tables([pq.read_table(f) for f in files])
        pos = np.asarray(group.column("pos").to_numpy(), dtype=np.int64)
        emb = matrix(group.column("emb"))
        valid = np.asarray(group.column("nonempty").to_numpy(zero_copy_only=False), bool)
        score, pairs = neighbours(pos, emb, valid, thr)
        pb, ps = pair_lists(pos, pairs)
        return pa.table({"pos": pos, "score": score.astype(np.float32), "pb": pb, "ps": ps})

    placed = rd.read_parquet(str(rows_dir), columns=["file", "rec", "emb", "nonempty"]).map_batches(
        assign,
        fn_args=(offsets_ref, centres_ref, str(parts_dir)),
        batch_size=None,  # a whole block: one file per block and partition
        batch_format="pyarrow",
    )
    if sum(int(b["rows"].sum()) for b in placed.iter_batches(batch_format="numpy")) != n:
        raise RuntimeError("the neighbours stage did not place every row in a partition")
    ds = rd.from_items(
        [{"part": p} for p in range(len(centres))], override_num_blocks=len(centres)
    ).map_batches(within, fn_args=(threshold, str(parts_dir)), batch_size=1)

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
    shutil.rmtree(parts_dir, ignore_errors=True)
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
