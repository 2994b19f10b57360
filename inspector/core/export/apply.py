"""Apply a filter file: write the dataset without its removed rows, in its own format.

JSONL (and JSON lines in ``.json``) keeps every other line byte for byte and its
compression; a JSON array is re-serialised; CSV/TSV keeps the bytes of every kept record
(re-written through polars only if Python's csv reader disagrees with the row count);
Parquet shards stay shards with the same names, schema, metadata and codec; Arrow files
and streams (Hugging Face ``save_to_disk`` shards) stay Arrow.

Before writing, the data is checked against the filter's ``manifest.json`` (each input
file's sha256 and row count); if it changed, apply refuses unless ``match_by_id`` is set.
The output is written into a temp folder beside ``out`` and renamed into place at the end
(what a killed run left there is removed by the next run). ``out`` may not be or lie inside
the input, and the filter may not be one of the data's files
(:mod:`inspector.core.export.outputs`); a full disk leaves no output and says so.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from inspector.core.atomic import clean_stale_temps, disk_full, fsync_dir, is_disk_full, temp_path
from inspector.core.data import arrow_ipc
from inspector.core.data.compression import UTF8_BOM
from inspector.core.data.dataset import ID, ROW, SOURCE, FileInfo
from inspector.core.data.delimited import separator
from inspector.core.data.json_bytes import line_starts
from inspector.core.data.readers import ReadLimits, decompress, strip_compression
from inspector.core.export import arrow_rows, parquet_rows
from inspector.core.export.filterfile import FilterError, read_filter
from inspector.core.export.outputs import check_not_input, check_outputs
from inspector.core.jobs import NULL_PROGRESS, Progress

if TYPE_CHECKING:
    from polars._typing import IpcCompression

    from inspector.core.data.dataset import Dataset

HF_SIDECARS = ("state.json", "dataset_info.json")
log = logging.getLogger(__name__)


class DataChanged(FilterError):
    """The data is not what the filter was made from."""


@dataclass(frozen=True)
class FileCount:
    path: str  # relative, as in the filter's source_file
    rows_in: int
    removed: int

    @property
    def written(self) -> int:
        return self.rows_in - self.removed


@dataclass(frozen=True)
class ApplyResult:
    out: Path
    rows_in: int
    removed: int
    written: int
    not_found: int  # ids the filter removes that the data does not hold
    checked: bool  # the data matched the manifest (False: applied by ids alone)
    files: list[FileCount] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_data(dataset: Dataset, manifest: dict) -> list[str]:
    """How the data differs from the manifest's input files ([] when it does not)."""
    problems = []
    recorded = {f["path"]: f for f in manifest.get("input_files", [])}
    current = {f.path: f for f in dataset.files}
    for path, f in recorded.items():
        now = current.get(path)
        if now is None:
            problems.append(f"{path} is missing")
        elif now.sha256 != f.get("sha256") or now.rows != f.get("rows"):
            problems.append(
                f"{path} changed (sha256 {str(f.get('sha256'))[:12]}… is now "
                f"{now.sha256[:12]}…; {f.get('rows', 0):,} rows, now {now.rows:,})"
            )
    for path in sorted(current.keys() - recorded.keys()):
        problems.append(f"{path} is new")
    return problems


def apply_filter(
    dataset: Dataset,
    filter_path: str | Path,
    out: str | Path,
    *,
    match_by_id: bool = False,
    progress: Progress = NULL_PROGRESS,
) -> ApplyResult:
    """Write ``dataset`` minus the rows the filter removes to ``out`` (a new path)."""
    check_not_input(dataset, filter_path)
    out_path = Path(out)
    targets = _targets(dataset, out_path)
    single = len(targets) == 1 and targets[0][2] == Path(".")
    written = [out_path] if single else [out_path, *(out_path / rel for _s, _i, rel in targets)]
    check_outputs(dataset, written)
    ff = read_filter(filter_path)
    notes: list[str] = []
    rules = set(ff.id_kinds) | (
        {ff.manifest["id_rule"]} if ff.manifest and ff.manifest.get("id_rule") else set()
    )
    foreign = sorted(r for r in rules if r != dataset.id_rule)
    if foreign:
        raise FilterError(
            f"{ff.path}: the filter identifies rows by {foreign[0]}, this data by "
            f"{dataset.id_rule}; open the data with the same id rule (--id-column)"
        )
    checked = False
    if ff.manifest is None:
        if not match_by_id:
            raise DataChanged(
                f"{ff.path}: no manifest.json beside it describes this filter, so the data "
                "cannot be checked; pass --match-by-id to apply it by ids alone"
            )
        notes.append("no manifest: applied by ids alone")
    else:
        problems = check_data(dataset, ff.manifest)
        if problems and not match_by_id:
            raise DataChanged(
                "the data changed since the filter was made:\n  - "
                + "\n  - ".join(problems)
                + "\nre-export the filter from the current data, or pass --match-by-id to "
                "apply it by ids alone"
            )
        if problems:
            notes.append(f"data changed ({len(problems)} files); applied by ids alone")
        checked = not problems

    remove = ff.frame.filter(pl.col("action") == "remove").select(pl.col("id").unique().alias(ID))
    hits = dataset.frame.select(pl.col(ID).cast(pl.String), SOURCE, ROW).join(
        remove, on=ID, how="semi"
    )
    not_found = remove.height - hits[ID].n_unique()
    by_file: dict[str, np.ndarray] = {
        str(src): np.sort(g[ROW].to_numpy()) for (src,), g in hits.group_by(SOURCE)
    }
    unreadable = _unreadable_lines(dataset)
    if unreadable:
        total = sum(len(v) for v in unreadable.values())
        first = next(b for b in dataset.bad if b.line)
        notes.append(
            f"{total:,} unreadable lines (skipped on reading) left out of the output, the "
            f"first {first.describe()}"
        )

    progress.status("writing", total=len(targets))
    counts: list[FileCount] = []
    out_path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temps(out_path.parent)
    tmp = temp_path(out_path)
    tmp.mkdir()
    try:
        for src, info, rel in targets:
            dst = tmp / (out_path.name if single else rel)
            dst.parent.mkdir(parents=True, exist_ok=True)
            drop = by_file.get(info.path, np.zeros(0, np.int64))
            skipped = unreadable.get(str(src), np.zeros(0, np.int64))
            lines = np.union1d(drop, skipped) if skipped.size else drop
            write_without(src, info, lines, dst, dataset.sources.limits)
            counts.append(FileCount(info.path, info.rows, len(drop)))
            progress.advance()
        if dataset.sources.kind == "hf_dataset" and not single:
            for src, _info, rel in targets:
                for name in HF_SIDECARS:
                    side = src.parent / name
                    if side.is_file() and not (tmp / rel.parent / name).exists():
                        shutil.copy2(side, tmp / rel.parent / name)
        if single:
            os.replace(tmp / out_path.name, out_path)
            tmp.rmdir()
        else:
            os.rename(tmp, out_path)
        fsync_dir(out_path.parent)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if is_disk_full(exc):
            raise disk_full(out_path, exc) from exc
        raise
    removed = sum(c.removed for c in counts)
    rows_in = sum(c.rows_in for c in counts)
    return ApplyResult(
        out_path, rows_in, removed, rows_in - removed, not_found, checked, counts, notes
    )


def _unreadable_lines(dataset: Dataset) -> dict[str, np.ndarray]:
    """0-based line numbers, per input file, of the lines the reader skipped as bad
    (``--skip-bad-lines``): they are no records, and left in they would break whatever reads
    the output. Only for line-based files; a bad record elsewhere has no line to drop."""
    line_based = {
        str(src)
        for src, info in zip(dataset.sources.files, dataset.files)
        if info.container in ("jsonl", "json")
    }
    found: dict[str, list[int]] = {}
    for bad in dataset.bad:
        if bad.line and str(Path(bad.file)) in line_based:
            found.setdefault(str(Path(bad.file)), []).append(bad.line - 1)
    return {f: np.unique(np.asarray(v, dtype=np.int64)) for f, v in found.items()}


def _targets(dataset: Dataset, out: Path) -> list[tuple[Path, FileInfo, Path]]:
    """(input file, its info, output path relative to ``out``); ``Path('.')`` means ``out``
    itself is the output file (a single input file and an ``out`` with a file suffix)."""
    if out.exists():
        raise FilterError(f"{out} already exists; choose a new --out path (apply never overwrites)")
    files = list(zip(dataset.sources.files, dataset.files))
    if len(files) == 1 and dataset.sources.kind == "file" and out.suffix:
        src, info = files[0]
        if strip_compression(out)[1] != info.compression:
            raise FilterError(
                f"{out}: the input is {info.compression or 'not'} compressed and apply keeps "
                f"that; name the output like the input (…{''.join(src.suffixes)})"
            )
        return [(src, info, Path("."))]
    out_targets = []
    for src, info in files:
        rel = Path(info.path)
        if rel.is_absolute() or ".." in rel.parts:
            rel = Path(src.name)
        out_targets.append((src, info, rel))
    return out_targets


# -- one file ---------------------------------------------------------------------------------


def write_without(
    src: Path, info: FileInfo, drop: np.ndarray, dst: Path, limits: ReadLimits | None = None
) -> None:
    """Copy ``src`` to ``dst`` without the records at ``drop`` (row positions as read:
    line numbers for line-based files), in the same container and compression. ``limits``:
    the caps the file was opened under (by default the environment's)."""
    raw = src.read_bytes()
    if not drop.size:  # nothing removed: the file as it was
        _write_synced(dst, raw)
        return
    data, compression = decompress(raw, src, limits)
    bom = data[:3] == UTF8_BOM  # kept whichever rows go (the reader skipped it too)
    data = data.removeprefix(UTF8_BOM)
    container = info.container
    if container == "jsonl" or (container == "json" and data.lstrip()[:1] != b"["):
        body = _without_lines(data, drop)
    elif container == "json":
        body = _without_array_items(data, drop)
    elif container in ("csv", "tsv"):
        body = _without_records(data, drop, separator(data, container), info.rows)
    elif container == "parquet":
        body = _without_parquet_rows(data, drop, info.rows)
    elif container == "arrow":
        body = _without_arrow_rows(data, drop, info.rows)
    else:
        raise FilterError(f"{info.path}: cannot write the container '{container}'")
    if bom:
        body = UTF8_BOM + body
    _write_synced(dst, _compress(body, compression or info.compression))


def _write_synced(dst: Path, data: bytes) -> None:
    with open(dst, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _compress(data: bytes, compression: str | None) -> bytes:
    if compression == "gz":
        return gzip.compress(data, mtime=0)
    if compression == "zst":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    return data


def _without_lines(data: bytes, drop: np.ndarray) -> bytes:
    if not drop.size:
        return data
    starts, _ends = line_starts(data)
    bounds = np.append(starts, len(data))
    pieces = []
    prev = 0
    view = memoryview(data)
    for line in np.unique(drop).tolist():
        pieces.append(view[prev : bounds[line]])
        prev = int(bounds[line + 1])
    pieces.append(view[prev:])
    return b"".join(pieces)


def _without_array_items(data: bytes, drop: np.ndarray) -> bytes:
    import orjson

    indented = b"\n" in data.lstrip()[:200]
    end = b"\n" if data.endswith(b"\n") else b""
    gone = set(drop.tolist())
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError:  # NaN / Infinity, as json.dump writes them (and reads)
        items = json.loads(data)
        kept = [r for i, r in enumerate(items) if i not in gone]
        text = json.dumps(kept, ensure_ascii=False, indent=2 if indented else None)
        return text.encode("utf-8") + end
    kept = [r for i, r in enumerate(items) if i not in gone]
    return orjson.dumps(kept, option=orjson.OPT_INDENT_2 if indented else 0) + end


def _without_records(data: bytes, drop: np.ndarray, sep: str, expected: int) -> bytes:
    """Keep every record's original bytes; blank lines and the header stay."""
    text = data.decode("utf-8")
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    reader = csv.reader(iter(lines), delimiter=sep)
    spans: list[tuple[int, int]] = []  # data records: (first line, end line)
    header_seen = False
    prev = 0
    try:
        for record in reader:
            end = reader.line_num
            if record:
                if header_seen:
                    spans.append((prev, end))
                header_seen = True
            prev = end
    except csv.Error:
        spans = []
    if len(spans) != expected:
        return _rewrite_delimited(data, drop, sep)
    gone = np.zeros(len(lines), dtype=bool)
    for row in drop.tolist():
        first, end = spans[row]
        gone[first:end] = True
    return "".join(line for line, g in zip(lines, gone) if not g).encode("utf-8")


def _rewrite_delimited(data: bytes, drop: np.ndarray, sep: str) -> bytes:
    frame = pl.read_csv(io.BytesIO(data), separator=sep, infer_schema=False)
    keep = np.ones(frame.height, dtype=bool)
    keep[drop] = False
    buffer = io.BytesIO()
    frame.filter(pl.Series(keep)).write_csv(buffer, separator=sep)
    return buffer.getvalue()


def _mask(rows: int, drop: np.ndarray, what: str) -> np.ndarray:
    keep = np.ones(rows, dtype=bool)
    if drop.size and drop.max() >= rows:
        raise DataChanged(f"{what}: the filter names row {int(drop.max())}, the file has {rows}")
    keep[drop] = False
    return keep


def _without_parquet_rows(data: bytes, drop: np.ndarray, rows: int) -> bytes:
    """pyarrow where it is installed (the copy keeps every Arrow type); polars otherwise (the
    standalone bundle): the same codec, row groups and metadata (:mod:`parquet_rows`)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        rows_in = pl.scan_parquet(io.BytesIO(data)).select(pl.len()).collect().item()
        keep = _mask(rows_in, drop, "parquet")
        return parquet_rows.without_rows(data, keep)

    pf = pq.ParquetFile(pa.BufferReader(data))
    meta = pf.metadata
    codec = "snappy"
    group_rows = None
    if meta.num_row_groups and meta.num_columns:
        codec = str(meta.row_group(0).column(0).compression).lower()
        group_rows = max(meta.row_group(0).num_rows, 1)
    codec = {"uncompressed": "none", "lz4_raw": "lz4"}.get(codec, codec)
    table = pf.read()
    kept = table.filter(pa.array(_mask(table.num_rows, drop, "parquet")))
    sink = io.BytesIO()
    pq.write_table(kept, sink, compression=codec, row_group_size=group_rows)
    return sink.getvalue()


def _without_arrow_rows(data: bytes, drop: np.ndarray, rows: int) -> bytes:
    """pyarrow where it is installed; otherwise the batches are filtered as bytes
    (:mod:`arrow_rows`: the schema, its metadata and the types stay, which Hugging Face's
    ``load_from_disk`` checks), or, for what that does not handle (compressed bodies, view
    types), by polars, whose copy has polars' types (``large_string``…)."""
    try:
        import pyarrow as pa
    except ImportError:
        keep = _mask(arrow_ipc.count_rows(data), drop, "arrow")
        try:
            return arrow_rows.without_rows(data, keep)
        except arrow_ipc.Unsupported as exc:
            log.warning("%s: rewriting the Arrow data with polars' types", exc)
            return _without_arrow_rows_polars(data, keep)

    is_file = data[:6] == b"ARROW1"
    reader = pa.ipc.open_file(pa.BufferReader(data)) if is_file else pa.ipc.open_stream(data)
    table = reader.read_all()
    kept = table.filter(pa.array(_mask(table.num_rows, drop, "arrow")))
    sink = io.BytesIO()
    new = pa.ipc.new_file if is_file else pa.ipc.new_stream
    with new(sink, kept.schema) as writer:
        writer.write_table(kept)
    return sink.getvalue()


def _without_arrow_rows_polars(data: bytes, keep: np.ndarray) -> bytes:
    is_file = data[:6] == b"ARROW1"
    frame = pl.read_ipc(data) if is_file else pl.read_ipc_stream(data)
    kept = frame.filter(pl.Series(keep))
    sink = io.BytesIO()
    # the oldest layout (large_string, not string_view) that every Arrow reader takes
    oldest = pl.CompatLevel.oldest()
    if is_file:
        kept.write_ipc(sink, compression=_ipc_codec(data), compat_level=oldest)
    else:
        kept.write_ipc_stream(sink, compression=_ipc_codec(data), compat_level=oldest)
    return sink.getvalue()


def _ipc_codec(data: bytes) -> IpcCompression:
    """The body compression of the first record batch (polars' name for it)."""
    return arrow_ipc.body_codec(data) or "uncompressed"
