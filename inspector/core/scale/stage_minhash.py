"""The MinHash stage of ``--engine ray``: a shuffle on the band keys (one partition per key
range), candidates verified from the signatures by tasks that each read two blocks of them
(``sigstore``), the groups kept on the head as one pair a grouped row."""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inspector.core.scale import resolve, sigstore
from inspector.core.scale.rows import as_frame, get_value, matrix_u64, row_positions

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
    block_rows: int | None = None,
) -> None:
    """MinHash groups over the rows still ``alive``, into ``survivors``. The head never holds
    the candidates or the signatures (``sigstore``): bucket tasks write their candidates by
    signature block, verify tasks read two blocks each and send back the verified pairs,
    which the head keeps as one pair a grouped row (``sigstore.Forest``); the similarity of
    each removed row to its representative is verified the same way."""
    n = survivors.n
    block_rows = block_rows or sigstore.BLOCK_ROWS  # read at call time (tests lower it)
    mask = np.zeros(n, bool)
    mask[alive] = True
    mask_ref = ray.put(mask)
    bands = plan.block.bands
    parts = max(1, math.ceil(n * bands / BAND_PARTITION_ROWS))
    work = rows_dir.parent / "minhash"
    cand_dir = work / "candidates"
    store = sigstore.SigStore(work / "signatures.u32", n, plan.block.num_perm)
    try:
        if not _candidates(rd, rows_dir, mask_ref, offsets_ref, parts, cand_dir, block_rows):
            return
        _store_signatures(rd, rows_dir, offsets_ref, store)
        forest = sigstore.Forest(n)
        for frame in _verified(rd, cand_dir, store, block_rows, JACCARD):
            forest.add(frame["a"].to_numpy(), frame["b"].to_numpy())
        a, b = forest.pairs()
        if not len(a):
            return
        pairs = pl.DataFrame(
            {
                "a": np.searchsorted(alive, a).astype(np.int64),
                "b": np.searchsorted(alive, b).astype(np.int64),
                # joins only: each removed row's similarity is its representative's (rep_sim)
                "similarity": np.ones(len(a), np.float32),
            }
        )
        del a, b, forest

        def rep_sim(rows: np.ndarray, reps: np.ndarray) -> np.ndarray:
            rep_dir = work / "representatives"
            sigstore.write_pairs(
                rep_dir, "head", alive[rows], alive[reps], block_rows, i=np.arange(len(rows))
            )
            sim = np.full(len(rows), np.nan, np.float32)
            for frame in _verified(rd, rep_dir, store, block_rows, None):
                sim[frame["i"].to_numpy()] = frame["similarity"].to_numpy()
            if np.isnan(sim).any():
                raise RuntimeError("a MinHash similarity to a representative was not computed")
            return sim

        survivors.minhash(alive, pairs, rep_sim)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _candidates(
    rd: Any,
    rows_dir: Path,
    mask_ref: Any,
    offsets_ref: Any,
    parts: int,
    out: Path,
    block_rows: int,
) -> int:
    """Band keys exploded (one record a row and band), shuffled into ``parts`` key ranges;
    each range's candidate pairs written under ``out`` by signature block. Returns how
    many were written (repeats across bands and ranges included)."""

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

    def buckets(group: Any, folder: str, size: int) -> Any:
        import pyarrow as pa

        from inspector.core.scale.partitions import bucket_candidates

        a, b = bucket_candidates(
            np.asarray(group["pos"], np.int64),
            np.asarray(group["band"], np.int32),
            np.asarray(group["key"], np.uint64),
            np.asarray(group["full"], np.uint64),
        )
        name = f"part-{int(group['part'][0]):06d}" if len(group["part"]) else "part-empty"
        sigstore.write_pairs(folder, name, a, b, size)
        return pa.table({"pairs": [len(a)]})

    ds = (
        rd.read_parquet(str(rows_dir), columns=["file", "rec", "bands", "empty_sig"])
        .map_batches(explode, fn_args=(offsets_ref, mask_ref, parts), batch_format="pyarrow")
        .groupby("part", num_partitions=parts)
        .map_groups(buckets, fn_args=(str(out), block_rows), batch_format="pyarrow")
    )
    return sum(int(b["pairs"].sum()) for b in ds.iter_batches(batch_format="numpy"))


def _store_signatures(rd: Any, rows_dir: Path, offsets_ref: Any, store: sigstore.SigStore) -> None:
    """Every row's signature into ``store`` (the workers write their blocks)."""
    store.create()

    def put(batch: Any, offsets: np.ndarray, path: str, n: int, width: int) -> Any:
        import pyarrow as pa

        pos = row_positions(batch, offsets)
        target = sigstore.SigStore(path, n, width)
        target.write(pos, sigstore.binary_matrix(batch.column("sig"), width))
        return pa.table({"rows": [len(pos)]})

    ds = rd.read_parquet(str(rows_dir), columns=["file", "rec", "sig"]).map_batches(
        put,
        fn_args=(offsets_ref, str(store.path), store.rows, store.width),
        batch_size=None,
        batch_format="pyarrow",
    )
    written = sum(int(b["rows"].sum()) for b in ds.iter_batches(batch_format="numpy"))
    if written != store.rows:
        raise RuntimeError(f"stored {written} of {store.rows} MinHash signatures")


def _verified(
    rd: Any, folder: Path, store: sigstore.SigStore, block_rows: int, keep_from: float | None
) -> Iterator[pl.DataFrame]:
    """Each ``<ra>-<rb>`` folder under ``folder`` verified by one task."""
    names = sigstore.pair_folders(folder)
    if not names:
        return

    def verify(batch: dict[str, np.ndarray], root: str, path: str, n: int, width: int) -> Any:
        target = sigstore.SigStore(path, n, width)
        folder = Path(root) / str(batch["name"][0])
        if keep_from is None:  # similarities to representatives: every pair back
            return sigstore.verify_folder(folder, target, block_rows, None).to_arrow()
        # candidates: a slice at a time, only what joins the groups goes back
        a, b = sigstore.verify_candidates(folder, target, block_rows, keep_from)
        return pl.DataFrame({"a": a, "b": b}).to_arrow()

    ds = rd.from_items([{"name": x} for x in names], override_num_blocks=len(names)).map_batches(
        verify,
        fn_args=(str(folder), str(store.path), store.rows, store.width),
        batch_size=1,
    )
    for batch in ds.iter_batches(batch_format="pyarrow", batch_size=1_000_000):
        frame = as_frame(batch)
        if frame.height:
            yield frame
