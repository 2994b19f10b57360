"""The MinHash stage of ``--engine ray``: a shuffle on the band keys (one partition per key
range), candidates verified from the signatures (moved from ``engine``)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inspector.core.scale import resolve
from inspector.core.scale.rows import (
    as_frame,
    fetch_signatures,
    get_value,
    matrix_u64,
    row_positions,
)

if TYPE_CHECKING:
    from inspector.core.scale.plan import Plan

BAND_PARTITION_ROWS = 2_000_000  # band keys per MinHash shuffle partition
JACCARD = 0.8


def minhash_pairs(
    rd: Any,
    ray: Any,
    rows_dir: Path,
    plan: Plan,
    survivors: resolve.Survivors,
    alive: np.ndarray,
    compact: dict[str, Any],
    offsets_ref: Any,
) -> None:
    from inspector.core.junk import minhash

    n = survivors.n
    mask = np.zeros(n, bool)
    mask[alive] = True
    mask_ref = ray.put(mask)
    bands = plan.block.bands
    parts = max(1, math.ceil(n * bands / BAND_PARTITION_ROWS))

    def explode(batch: Any, offsets: np.ndarray, ok: np.ndarray, p: int) -> Any:
        import pyarrow as pa

        pos = row_positions(batch, offsets)
        keep = get_value(ok)[pos] & ~np.asarray(batch["empty_sig"])
        keys = matrix_u64(batch["bands"])[keep]
        pos = pos[keep]
        width = keys.shape[1]
        flat = keys.reshape(-1)
        return pa.table(
            {
                "pos": np.repeat(pos, width),
                "band": np.tile(np.arange(width, dtype=np.int32), len(pos)),
                "key": flat,
                "full": np.repeat(keys[:, 0], width),
                "part": (flat % np.uint64(p)).astype(np.int32),
            }
        )

    def buckets(group: Any) -> Any:
        import pyarrow as pa

        from inspector.core.scale.partitions import bucket_candidates

        a, b = bucket_candidates(
            np.asarray(group["pos"], np.int64),
            np.asarray(group["band"], np.int32),
            np.asarray(group["key"], np.uint64),
            np.asarray(group["full"], np.uint64),
        )
        return pa.table({"a": a, "b": b})

    ds = (
        rd.read_parquet(str(rows_dir), columns=["file", "rec", "bands", "empty_sig"])
        .map_batches(explode, fn_args=(offsets_ref, mask_ref, parts), batch_format="pyarrow")
        .groupby("part", num_partitions=parts)
        .map_groups(buckets, batch_format="pyarrow")
    )
    frames = [as_frame(b) for b in ds.iter_batches(batch_format="pyarrow", batch_size=500_000)]
    cand = pl.concat(frames).unique().sort("a", "b") if frames else pl.DataFrame({"a": [], "b": []})
    if not cand.height:
        return
    a, b = cand["a"].to_numpy().astype(np.int64), cand["b"].to_numpy().astype(np.int64)
    involved = np.unique(np.concatenate([a, b]))
    sig = fetch_signatures(rd, rows_dir, involved, offsets_ref, plan.block.num_perm)
    ia, ib = np.searchsorted(involved, a), np.searchsorted(involved, b)
    sim = minhash.estimated_jaccard(sig, ia, ib)
    keep = sim >= JACCARD
    where = np.searchsorted(alive, np.concatenate([a[keep], b[keep]]))
    k = int(keep.sum())
    pairs = pl.DataFrame(
        {"a": where[:k].astype(np.int64), "b": where[k:].astype(np.int64), "similarity": sim[keep]}
    ).sort("a", "b")

    def rep_sim(rows: np.ndarray, reps: np.ndarray) -> np.ndarray:
        ra = np.searchsorted(involved, alive[rows])
        rb = np.searchsorted(involved, alive[reps])
        return minhash.estimated_jaccard(sig, ra, rb)

    survivors.minhash(alive, pairs, rep_sim)
