"""MinHash candidates verified off the head: the pieces of ``stage_minhash`` that need no Ray.

At 10M rows the candidate pairs of the band buckets (hundreds of millions where texts have
thousands of near copies) and the signature of every row in one (512 bytes a row: 5 GB) do
not fit one process's 4 GB. So:

- every row's signature goes into one flat file (:class:`SigStore`: row ``p`` at byte
  ``p * width * 4``), written by the workers block by block;
- a bucket task writes its candidates into one folder per pair of signature blocks
  (:func:`write_pairs`: ``<block of a>-<block of b>/<task>.parquet``, ``block_rows`` rows a
  block), and one task a folder reads the two blocks it needs and verifies them
  (:func:`verify_folder`), each task holding at most two blocks (1 GB at the default);
- the head gets back only what joins the groups (:class:`Forest`: the verified pairs
  reduced to a star per group as they arrive, at most one pair a row in groups).

A retried task rewrites its own files (named by the task), never another's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

BLOCK_ROWS = 1_000_000  # signatures a block (512 MB at 128 permutations)


class SigStore:
    """Row ``p``'s ``width`` uint32 signature values at byte ``p * width * 4`` of ``path``."""

    def __init__(self, path: Path | str, rows: int, width: int) -> None:
        self.path = Path(path)
        self.rows = rows
        self.width = width

    def create(self) -> None:
        """An empty store of the full size (sparse: the blocks written fill it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("wb") as f:
            f.truncate(self.rows * self.width * 4)

    def write(self, positions: np.ndarray, sig: np.ndarray) -> None:
        """Rows ``positions`` (any order) get ``sig`` (len, width) uint32; runs of
        consecutive positions go in one write."""
        positions = np.asarray(positions, np.int64)
        if not len(positions):
            return
        sig = np.ascontiguousarray(sig, dtype=np.uint32)
        if sig.shape != (len(positions), self.width):
            raise ValueError(f"signatures of shape {sig.shape} for {len(positions)} rows")
        if positions.min() < 0 or positions.max() >= self.rows:
            raise ValueError("a signature position is outside the store")
        order = np.argsort(positions, kind="stable")
        positions, sig = positions[order], sig[order]
        breaks = np.flatnonzero(np.diff(positions) != 1) + 1
        starts = np.concatenate([[0], breaks])
        ends = np.concatenate([breaks, [len(positions)]])
        fd = os.open(self.path, os.O_WRONLY)
        try:
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
                os.pwrite(fd, sig[s:e].tobytes(), int(positions[s]) * self.width * 4)
        finally:
            os.close(fd)

    def read(self, lo: int, hi: int) -> np.ndarray:
        """Rows ``lo .. hi - 1`` as a (hi - lo, width) uint32 matrix."""
        hi = min(hi, self.rows)
        out = np.empty((max(0, hi - lo), self.width), np.uint32)
        if len(out):
            with self.path.open("rb") as f:
                f.seek(lo * self.width * 4)
                flat = out.reshape(-1).view(np.uint8)
                got = f.readinto(flat.data)
                if got != flat.nbytes:
                    raise RuntimeError(f"{self.path}: {got} of {flat.nbytes} signature bytes")
        return out


def binary_matrix(column: Any, width: int) -> np.ndarray:
    """A binary column of ``width * 4``-byte values (``sig``) as a (len, width) uint32 matrix,
    read from the column's buffers (no Python object a row)."""
    import pyarrow as pa

    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_large_binary(arr.type):  # as polars writes Binary
        wide = np.int64
    elif pa.types.is_binary(arr.type):
        wide = np.int32
    else:
        raise ValueError(f"signatures of type {arr.type}, not binary")
    if arr.null_count:
        raise ValueError("a signature is missing")
    offsets = np.frombuffer(arr.buffers()[1], wide)[arr.offset : arr.offset + len(arr) + 1]
    if len(arr) and not (np.diff(offsets) == width * 4).all():
        raise ValueError(f"a signature is not {width * 4} bytes")
    data = np.frombuffer(arr.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    return data.view(np.uint32).reshape(len(arr), width)


def write_pairs(
    folder: Path | str, name: str, a: np.ndarray, b: np.ndarray, block_rows: int, **extra
) -> int:
    """Pairs (a, b) (and ``extra`` columns) into ``folder/<a's block>-<b's block>/name.parquet``,
    each file written to a temp name and renamed. Returns the folders written."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    if not len(a):
        return 0
    frame = pl.DataFrame({"a": a, "b": b, **extra}).with_columns(
        (pl.col("a") // block_rows).alias("_ra"), (pl.col("b") // block_rows).alias("_rb")
    )
    written = 0
    for (ra, rb), part in frame.partition_by(["_ra", "_rb"], as_dict=True).items():
        sub = Path(folder) / f"{int(ra):05d}-{int(rb):05d}"  # type: ignore[call-overload]
        sub.mkdir(parents=True, exist_ok=True)
        tmp = sub / f".{name}.parquet.tmp"
        part.drop("_ra", "_rb").write_parquet(tmp)
        tmp.replace(sub / f"{name}.parquet")
        written += 1
    return written


def pair_folders(folder: Path | str) -> list[str]:
    root = Path(folder)
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _blocks(
    folder: Path, store: SigStore, block_rows: int
) -> tuple[int, int, np.ndarray, np.ndarray]:
    """(first row of a's block, of b's, a's signatures, b's) for a ``<ra>-<rb>`` folder."""
    ra, rb = (int(x) for x in folder.name.split("-"))
    lo_a, lo_b = ra * block_rows, rb * block_rows
    sig_a = store.read(lo_a, lo_a + block_rows)
    return lo_a, lo_b, sig_a, sig_a if ra == rb else store.read(lo_b, lo_b + block_rows)


def verify_folder(
    folder: Path | str, store: SigStore, block_rows: int, keep_from: float | None
) -> pl.DataFrame:
    """The pairs of one ``<ra>-<rb>`` folder with their estimated Jaccard (``similarity``),
    each pair once; with ``keep_from`` only those at or above it (candidates), else all
    (similarities to a representative; extra columns such as ``i`` kept)."""
    from inspector.core.junk import minhash

    path = Path(folder)
    files = sorted(path.glob("*.parquet"))
    if not files:
        return pl.DataFrame(schema={"a": pl.Int64, "b": pl.Int64, "similarity": pl.Float32})
    frame = pl.concat([pl.read_parquet(f) for f in files], how="vertical")
    if keep_from is not None:
        frame = frame.unique(subset=["a", "b"]).sort("a", "b")
    lo_a, lo_b, sig_a, sig_b = _blocks(path, store, block_rows)
    a = frame["a"].to_numpy() - lo_a
    b = frame["b"].to_numpy() - lo_b
    sim = minhash.estimated_jaccard(sig_a, a, b, sig_b)
    frame = frame.with_columns(pl.Series("similarity", sim, pl.Float32))
    if keep_from is not None:
        frame = frame.filter(pl.col("similarity") >= keep_from)
    return frame


CANDIDATES_AT_A_TIME = 4_000_000  # candidate pairs a verify task holds at a time


def verify_candidates(
    folder: Path | str, store: SigStore, block_rows: int, keep_from: float
) -> tuple[np.ndarray, np.ndarray]:
    """The candidates of one ``<ra>-<rb>`` folder verified (estimated Jaccard >=
    ``keep_from``), sent back as one pair a grouped row (:func:`star_pairs`). The files are
    taken ``CANDIDATES_AT_A_TIME`` pairs at a time, so a task holds its two signature blocks
    and one such slice whatever the folder holds (a pair repeated across slices is verified
    twice: the groups are the same)."""
    from inspector.core.junk import minhash

    path = Path(folder)
    lo_a, lo_b, sig_a, sig_b = _blocks(path, store, block_rows)
    kept_a: list[np.ndarray] = []
    kept_b: list[np.ndarray] = []
    pending: list[pl.DataFrame] = []
    count = 0

    def verify() -> None:
        frame = pl.concat(pending).unique(subset=["a", "b"]).sort("a", "b")
        pending.clear()
        a, b = frame["a"].to_numpy(), frame["b"].to_numpy()
        del frame
        sim = minhash.estimated_jaccard(sig_a, a - lo_a, b - lo_b, sig_b)
        good = sim >= keep_from
        sa, sb = star_pairs(a[good], b[good])
        kept_a.append(sa)
        kept_b.append(sb)

    for file in sorted(path.glob("*.parquet")):
        pending.append(pl.read_parquet(file, columns=["a", "b"]))
        count += pending[-1].height
        if count >= CANDIDATES_AT_A_TIME:
            verify()
            count = 0
    if pending:
        verify()
    if not kept_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return star_pairs(np.concatenate(kept_a), np.concatenate(kept_b))


def star_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The groups pairs (a, b) make, as one pair a row but each group's first (its first
    row joined to every other, a < b): what a verify task sends back instead of every
    verified pair (at 10M rows a block pair verified tens of millions)."""
    from inspector.core.junk.duplicates import components

    if not len(a):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    k = len(a)
    group = components(len(rows), inverse[:k], inverse[k:])
    _, at = np.unique(group, return_index=True)  # each group's first (smallest) row
    lead = at[group]
    other = np.arange(len(rows)) != lead
    return rows[lead[other]].astype(np.int64), rows[other].astype(np.int64)


class Forest:
    """The groups that pairs of rows ``0 .. n - 1`` make, kept as at most one pair a row:
    pairs are added as they arrive, and whenever they pass ``limit`` they are replaced by a
    star per group (its first row joined to every other), which joins the same rows."""

    def __init__(self, n: int, limit: int | None = None) -> None:
        self.n = n
        self.limit = max(1_000_000, n) if limit is None else limit
        self._a: list[np.ndarray] = []
        self._b: list[np.ndarray] = []
        self._count = 0

    def add(self, a: np.ndarray, b: np.ndarray) -> None:
        dtype = np.int32 if self.n < 2**31 else np.int64
        self._a.append(np.asarray(a).astype(dtype, copy=False))
        self._b.append(np.asarray(b).astype(dtype, copy=False))
        self._count += len(a)
        if self._count > self.limit:
            self._reduce()

    def _reduce(self) -> None:
        a, b = self.pairs()
        self._a, self._b, self._count = [a], [b], len(a)

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(a, b), a < b: one pair for every row of a group but its first."""
        if not self._count:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return star_pairs(np.concatenate(self._a), np.concatenate(self._b))
