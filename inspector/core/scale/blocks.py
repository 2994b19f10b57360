"""One shard at a time: read a file in blocks, and compute each row's own findings.

Everything here works on one block (a polars frame of up to :data:`BLOCK_ROWS` rows) and
needs nothing from other blocks, so Ray runs it on any worker. The results line up with the
local engine because the same functions run on the same values: ``content_sha256`` (ids),
``exact_keys`` (exact duplicates), ``quality.evaluate`` (rules), ``minhash.text_signatures``
(near duplicates). JSON lines are parsed in the local reader's 64 MB pieces, so column types
are inferred from the same rows as on the desktop.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inspector.core.data import formats
from inspector.core.data.dataset import ID_CANDIDATES, content_sha256
from inspector.core.data.normalize import EXACT, LEXICAL, combined_text
from inspector.core.data.readers import CHUNK_BYTES, ReadLimits, read_file, strip_compression
from inspector.core.errors import DataError

BLOCK_ROWS = 50_000  # rows per block: ~30 MB of features, small enough for a 2 GB worker
ROLES = ("prompt", "response", "all")


@dataclass(frozen=True)
class BlockSpec:
    """What every block computes (the same for all blocks of one run)."""

    spec: formats.FormatSpec
    dedup_cols: list[str]  # "prompt", "response", "rejected", "all", "col:NAME"
    embed_field: str | None
    rules_path: str | None = None
    num_perm: int = 128
    bands: int = 21
    band_rows: int = 6
    id_candidates: list[str] = field(default_factory=list)
    limits: ReadLimits | None = None

    @property
    def has_response(self) -> bool:
        return self.spec.kind not in ("text", "generic")


# -- reading -----------------------------------------------------------------------------------


def read_blocks(
    path: Path, limits: ReadLimits | None = None, rows: int = BLOCK_ROWS
) -> Iterator[tuple[pl.DataFrame, np.ndarray]]:
    """(frame, row_index) blocks of one file in file order, never the whole file at once for
    plain JSON lines and Parquet (other containers are read whole, as the local reader does,
    then cut)."""
    suffix, compression = strip_compression(path)
    if compression is None and suffix in (".jsonl", ".ndjson"):
        yield from _json_line_blocks(path, limits, rows)
        return
    if compression is None and suffix == ".parquet":
        yield from _parquet_blocks(path, rows)
        return
    yield from _cut(read_file(path, limits=limits), rows)


def _cut(result: Any, rows: int) -> Iterator[tuple[pl.DataFrame, np.ndarray]]:
    for start in range(0, result.frame.height, rows):
        yield result.frame.slice(start, rows), result.row_index[start : start + rows]


def _json_line_blocks(
    path: Path, limits: ReadLimits | None, rows: int
) -> Iterator[tuple[pl.DataFrame, np.ndarray]]:
    """The local reader's 64 MB pieces, each parsed alone; a piece that is not plain JSON
    lines sends the whole file to the careful reader (which names the bad line)."""
    from inspector.core.data.json_bytes import nonblank_lines

    line = 0
    pieces: list[tuple[pl.DataFrame, np.ndarray]] = []
    with path.open("rb") as fh:
        while piece := fh.read(CHUNK_BYTES):
            if piece[-1:] != b"\n":
                piece += fh.readline()
            if not line:
                piece = piece.removeprefix(b"\xef\xbb\xbf")
            newlines = piece.count(b"\n")
            if piece.strip():
                try:
                    frame = pl.read_ndjson(io.BytesIO(piece), infer_schema_length=None)
                    lines = nonblank_lines(piece)
                    if frame.height != lines.size:
                        raise ValueError("record count")
                except Exception:  # noqa: BLE001 - the careful reader says what is wrong
                    yield from _cut(read_file(path, limits=limits), rows)
                    return
                pieces.append((frame, lines + line))
                if len(pieces) > 1:  # keep one piece back: a failure later re-reads the file
                    yield from _cut_frame(*pieces.pop(0), rows)
            line += newlines
    for frame, lines in pieces:
        yield from _cut_frame(frame, lines, rows)


def _cut_frame(
    frame: pl.DataFrame, lines: np.ndarray, rows: int
) -> Iterator[tuple[pl.DataFrame, np.ndarray]]:
    for start in range(0, frame.height, rows):
        yield frame.slice(start, rows), lines[start : start + rows]


def _parquet_blocks(path: Path, rows: int) -> Iterator[tuple[pl.DataFrame, np.ndarray]]:
    """Row groups streamed by pyarrow; a file whose types polars reads otherwise (see
    ``readers._read_parquet``) is read by the local reader instead."""
    import pyarrow.parquet as pq

    expected = pl.read_parquet_schema(path)
    done = 0
    with pq.ParquetFile(path) as pf:
        for batch in pf.iter_batches(batch_size=rows):
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            if frame.schema != expected:
                if done:
                    raise DataError("column types change between row groups", file=path)
                yield from _cut(read_file(path), rows)
                return
            yield frame, np.arange(done, done + frame.height, dtype=np.int64)
            done += frame.height


# -- per-block findings ------------------------------------------------------------------------


def junk_columns(frame: pl.DataFrame, bs: BlockSpec) -> pl.DataFrame:
    """The local engine's ``junk_frame`` columns for one block (id left out)."""
    spec = bs.spec
    exprs: list[pl.Expr] = [
        formats.prompt_expr(spec).cast(pl.String).fill_null("").alias("prompt"),
        formats.response_expr(spec).cast(pl.String).fill_null("").alias("response"),
    ]
    rejected = formats.rejected_expr(spec)
    if rejected is not None:
        exprs.append(rejected.cast(pl.String).fill_null("").alias("rejected"))
    if "all" in bs.dedup_cols:
        exprs.append(formats.embed_field_expr(spec, "all", frame.schema).fill_null("").alias("all"))
    for c in bs.dedup_cols:
        if c.startswith("col:"):
            if c[4:] in frame.columns:
                expr = formats.embed_field_expr(spec, c[4:], frame.schema).fill_null("")
            else:
                expr = pl.lit("")
            exprs.append(expr.alias(c))
    return frame.select(exprs)


def quality_fields(bs: BlockSpec, has_rejected: bool) -> dict[str, str]:
    """Role → column, as ``run_analysis`` passes them to the quality rules."""
    fields = {"prompt": "prompt"}
    if has_rejected:
        fields.update(chosen="response", rejected="rejected")
    elif bs.has_response:
        fields["response"] = "response"
    return fields


def block_features(
    frame: pl.DataFrame, row_index: np.ndarray, file_index: int, rec_start: int, bs: BlockSpec
) -> pl.DataFrame:
    """One block's findings, one row per record (see the module docstring)."""
    from inspector.core.data.dataset import INTERNAL
    from inspector.core.junk import minhash
    from inspector.core.junk.duplicates import exact_keys
    from inspector.core.junk.quality import evaluate
    from inspector.core.junk.quality_rules import load_rules

    user = frame.select([c for c in frame.columns if c not in INTERNAL])
    n = frame.height
    jf = junk_columns(frame, bs)
    has_rejected = "rejected" in jf.columns
    texts = combined_text(jf, bs.dedup_cols)
    keys = exact_keys(texts, EXACT)
    qual = evaluate(jf, quality_fields(bs, has_rejected), load_rules(bs.rules_path))
    sig = minhash.text_signatures(texts, minhash.MinHashParams(num_perm=bs.num_perm), LEXICAL)
    bands = np.empty((n, bs.bands + 1), dtype=np.uint64)
    if n:
        sig = np.ascontiguousarray(sig)
        minhash._kernels().band_keys(sig, bs.bands, bs.band_rows, bands[:, 1:])
        full = np.empty((n, 1), dtype=np.uint64)  # the whole signature: identical rows
        minhash._kernels().band_keys(sig, 1, sig.shape[1], full)
        bands[:, 0] = full[:, 0]
    try:
        etext = user.select(
            formats.embed_field_expr(bs.spec, bs.embed_field, user.schema).fill_null("")
        ).to_series()
    except ValueError as exc:
        raise DataError(str(exc)) from exc
    out = pl.DataFrame(
        {
            "file": pl.Series(np.full(n, file_index, dtype=np.int32)),
            "rec": pl.Series(np.arange(rec_start, rec_start + n, dtype=np.int64)),
            "row": pl.Series(np.asarray(row_index, dtype=np.int64)),
            "chash": content_sha256(user).alias("chash"),
            "h1": keys["h1"],
            "h2": keys["h2"],
            "nonempty": keys["nonempty"],
            "length": texts.str.len_chars().cast(pl.Int64),
            "empty_sig": pl.Series(minhash.empty_rows(sig)),
            "sig": pl.Series(
                [bytes(r) for r in np.ascontiguousarray(sig).view(np.uint8).reshape(n, -1)],
                dtype=pl.Binary,
            ),
            "bands": pl.Series(bands).cast(pl.Array(pl.UInt64, bs.bands + 1)),
            "etext": etext.cast(pl.String),
        }
    )
    for name in bs.id_candidates:  # checked for uniqueness over all rows later
        if name in user.columns:
            value = user[name].cast(pl.String).alias(f"idc:{name}")
        else:
            value = pl.Series(f"idc:{name}", [None] * n, pl.String)
        out = out.with_columns(value)
    qual = qual.drop([c for c in ("n_flags", "any_flag") if c in qual.columns])
    return pl.concat([out, qual.rename({c: f"q:{c}" for c in qual.columns})], how="horizontal")


def id_candidates(frame: pl.DataFrame) -> list[str]:
    """Columns of a first block that could be the id column (checked globally later)."""
    return [
        c
        for c in ID_CANDIDATES
        if c in frame.columns and not isinstance(frame.schema[c], pl.List | pl.Struct)
    ]
