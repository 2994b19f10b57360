"""Reading back the ``rows/`` folder the read stage wrote (Parquet shards, one row per
record): the head's compact arrays, the id rule, rows fetched by position, and the list
columns as matrices (moved from ``engine``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inspector.core.errors import DataError
from inspector.core.scale import blocks, resolve

if TYPE_CHECKING:
    from inspector.core.scale.plan import Plan


def schema_names(rows_dir: Path) -> list[str]:
    import pyarrow.parquet as pq

    first = sorted(rows_dir.glob("*.parquet"))[0]
    return list(pq.read_schema(first).names)


def as_frame(table: Any) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def get_value(value: Any) -> Any:
    """A value passed to a UDF: Ray hands ObjectRefs in ``fn_args`` over as they are."""
    import ray

    return ray.get(value) if isinstance(value, ray.ObjectRef) else value


def row_positions(batch: Any, offsets: Any) -> np.ndarray:
    offsets = get_value(offsets)
    file = np.asarray(batch["file"], dtype=np.int64)
    rec = np.asarray(batch["rec"], dtype=np.int64)
    return offsets[file] + rec


def compact_arrays(rd: Any, rows_dir: Path, plan: Plan) -> dict[str, Any]:
    """The head's per-row arrays in dataset order (see ``resolve``), filled batch by batch
    at each row's position: a first pass counts the rows of each file (the positions), the
    second fills arrays made once (at 10M rows a concatenated, sorted frame of them took the
    head from 0.4 to 3.9 GB)."""
    flags = [c for c in schema_names(rows_dir) if c.startswith("q:") and c.endswith(".flag")]
    file_rows = np.zeros(len(plan.files), np.int64)
    for batch in rd.read_parquet(str(rows_dir), columns=["file"]).iter_batches(
        batch_format="numpy", batch_size=1_000_000
    ):
        file_rows += np.bincount(np.asarray(batch["file"], np.int64), minlength=len(file_rows))
    if not file_rows.sum():
        raise DataError("no readable records", file=plan.target)
    plan.file_rows = file_rows.tolist()
    plan.rows = n = int(file_rows.sum())
    offsets = np.concatenate([[0], np.cumsum(file_rows)[:-1]]).astype(np.int64)
    out = {
        "h1": np.zeros(n, np.uint64),
        "h2": np.zeros(n, np.uint64),
        "nonempty": np.zeros(n, bool),
        "length": np.zeros(n, np.int64),
        "n_flags": np.zeros(n, np.int32),
        "hi": np.zeros(n, np.uint64),
        "lo": np.zeros(n, np.uint64),
    }
    seen = np.zeros(n, bool)
    wanted = ["file", "rec", "chash", "h1", "h2", "nonempty", "length", *flags]
    for batch in rd.read_parquet(str(rows_dir), columns=wanted).iter_batches(
        batch_format="pyarrow", batch_size=200_000
    ):
        frame = as_frame(batch)
        pos = offsets[frame["file"].to_numpy()] + frame["rec"].to_numpy()
        out["hi"][pos], out["lo"][pos] = resolve.hash_words(frame["chash"])
        for name in ("h1", "h2", "nonempty", "length"):
            out[name][pos] = frame[name].to_numpy()
        if flags:
            out["n_flags"][pos] = frame.select(
                pl.sum_horizontal([pl.col(f).cast(pl.Int32) for f in flags])
            ).to_series()
        seen[pos] = True
    if not seen.all():
        raise RuntimeError(f"read back {int(seen.sum())} of {n} rows")
    return {"offsets": offsets, **out}


def id_rule(rd: Any, rows_dir: Path, plan: Plan, compact: dict[str, Any]) -> dict[str, Any]:
    """The id rule (an id column when one is unique and complete, else content hashes)."""
    from inspector.core.data.dataset import file_sha256

    plan.file_sha = [file_sha256(p) for p in plan.files]  # the manifest's, as the local engine's
    for name in plan.block.id_candidates:
        col = f"idc:{name}"
        parts = []
        for batch in rd.read_parquet(str(rows_dir), columns=["file", "rec", col]).iter_batches(
            batch_format="pyarrow", batch_size=500_000
        ):
            parts.append(as_frame(batch))
        frame = pl.concat(parts).sort("file", "rec")
        values = frame[col]
        ok = values.null_count() == 0 and values.n_unique() == frame.height
        if ok:
            plan.id_rule = f"column:{name}"
            return {"nth": None, "column": values.alias("id")}
        if len(plan.block.id_candidates) == 1 and name not in blocks.ID_CANDIDATES:
            raise DataError(
                f"the id column '{name}' is not unique and complete",
                field=name,
                hint="choose a unique column, or leave it out to use content hashes",
            )
    return {"nth": resolve.occurrences(compact["hi"], compact["lo"]), "column": None}


def fetch(
    rd: Any, rows_dir: Path, columns: list[str], positions: np.ndarray, offsets_ref: Any
) -> pl.DataFrame:
    """The given columns of the rows at ``positions`` (sorted), in that order."""
    positions = np.asarray(positions, dtype=np.int64)
    if not len(positions):
        return pl.DataFrame({c: [] for c in columns})
    import ray

    want_ref = ray.put(positions)

    def pick(batch: Any, offsets: np.ndarray, want: np.ndarray) -> Any:
        import pyarrow as pa

        pos = row_positions(batch, offsets)
        keep = np.isin(pos, get_value(want))
        table = batch.filter(pa.array(keep))
        return table.append_column("pos", pa.array(pos[keep]))

    got = (
        rd.read_parquet(str(rows_dir), columns=["file", "rec", *columns])
        .map_batches(pick, fn_args=(offsets_ref, want_ref), batch_format="pyarrow")
        .to_arrow_refs()
    )
    tables = [as_frame(t) for t in ray.get(got)]
    frame = pl.concat([t for t in tables if t.height], how="vertical")
    frame = frame.sort("pos")
    if frame.height != len(positions):
        raise RuntimeError(f"fetched {frame.height} of {len(positions)} rows")
    return frame.select(columns)


def fetch_sample(
    rd: Any, rows_dir: Path, positions: np.ndarray, offsets_ref: Any
) -> tuple[np.ndarray, list[str]]:
    """The vectors (float32 matrix) and embedded texts of the rows at ``positions`` (sorted,
    unique), filled one fetched block at a time (no frame of all of them: at 1M rows that
    frame, concatenated and sorted, took the head from 0.8 to 1.8 GB for 100k rows)."""
    import ray

    positions = np.asarray(positions, dtype=np.int64)
    want_ref = ray.put(positions)

    def pick(batch: Any, offsets: np.ndarray, want: np.ndarray) -> Any:
        import pyarrow as pa

        pos = row_positions(batch, offsets)
        keep = np.isin(pos, get_value(want))
        table = batch.select(["emb", "etext"]).filter(pa.array(keep))
        return table.append_column("pos", pa.array(pos[keep]))

    refs = (
        rd.read_parquet(str(rows_dir), columns=["file", "rec", "emb", "etext"])
        .map_batches(pick, fn_args=(offsets_ref, want_ref), batch_format="pyarrow")
        .to_arrow_refs()
    )
    vectors: np.ndarray | None = None
    texts = np.empty(len(positions), dtype=object)
    filled = 0
    for ref in refs:
        table = ray.get(ref)
        if table.num_rows:
            at = np.searchsorted(positions, np.asarray(table.column("pos").to_numpy()))
            emb = matrix(table.column("emb"))
            if vectors is None:
                vectors = np.empty((len(positions), emb.shape[1]), np.float32)
            vectors[at] = emb
            texts[at] = table.column("etext").to_pylist()
            filled += table.num_rows
        del table
    if filled != len(positions) or vectors is None:
        raise RuntimeError(f"fetched {filled} of {len(positions)} sample rows")
    return vectors, texts.tolist()


def matrix(column: Any) -> np.ndarray:
    """A fixed-size list column as a float32 matrix."""
    import pyarrow as pa

    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    width = arr.type.list_size
    return np.asarray(arr.flatten().to_numpy(zero_copy_only=False), dtype=np.float32).reshape(
        -1, width
    )


def matrix_u64(column: Any) -> np.ndarray:
    import pyarrow as pa

    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    width = arr.type.list_size
    return np.asarray(arr.flatten().to_numpy(zero_copy_only=False), dtype=np.uint64).reshape(
        -1, width
    )
