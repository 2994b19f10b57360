"""A training set opened from disk: one polars frame over all its files, each row with its
identity (``__id``), locator (``__source``, ``__row``) and the detected format.

Row identity: the dataset's own id column when present, non-null and unique (or the one the
user names); otherwise ``sha256`` of the record's canonical JSON — top-level keys sorted,
compact separators, null fields left out — with ``#2``, ``#3``… for repeated records.

Content hashes cost about a second per million rows, so the window opens a dataset with its ids
*pending* (``open_dataset(defer_ids=True)``): the table can paint from the rows alone while
:meth:`Dataset.identified` computes them in the background. Nothing that stores or matches ids
(labels, filter files, maps, analyses) sees a dataset before its ids are ready.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inspector.core.data import formats
from inspector.core.data.expressions import ExpressionError, compile_expression
from inspector.core.data.readers import ReadLimits, read_file
from inspector.core.data.render import Rendered, render_record
from inspector.core.data.sources import Sources, find_sources
from inspector.core.errors import BadRecord, DataError, os_error, reraise_interrupt
from inspector.core.jobs import NULL_PROGRESS, Progress

ID = "__id"
SOURCE = "__source"
ROW = "__row"
LENGTH = "__length"
INTERNAL = (ID, SOURCE, ROW, LENGTH)
ID_CANDIDATES = ("id", "_id", "uuid", "sample_id", "example_id", "idx", "uid")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileInfo:
    path: str
    size: int
    sha256: str
    rows: int
    container: str
    compression: str | None

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "rows": self.rows,
            "container": self.container,
            "compression": self.compression,
        }


@dataclass
class Dataset:
    target: str
    sources: Sources
    files: list[FileInfo]
    frame: pl.DataFrame
    spec: formats.FormatSpec
    id_rule: str  # "column:<name>" or "content_sha256"
    bad: list[BadRecord] = field(default_factory=list)
    _content_hashes: pl.Series | None = None
    ids_ready: bool = True  # False: ``__id`` is all null until :meth:`identified`

    # -- identity ---------------------------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        """Changes when any file's content (or the set of files) changes."""
        h = hashlib.sha256()
        for f in sorted(self.files, key=lambda f: f.sha256):
            h.update(f"{f.sha256}:{f.rows};".encode())
        if self.sources.split:
            h.update(f"split={self.sources.split}".encode())
        return h.hexdigest()

    @property
    def name(self) -> str:
        path = Path(self.target)
        return path.name or str(path)

    @property
    def height(self) -> int:
        return self.frame.height

    @property
    def user_columns(self) -> list[str]:
        return [c for c in self.frame.columns if c not in INTERNAL]

    @property
    def ids(self) -> pl.Series:
        if not self.ids_ready:
            raise RuntimeError("the row ids are still being computed (see Dataset.identified)")
        return self.frame[ID]

    def content_hashes(self) -> pl.Series:
        """sha256 of each record's canonical JSON (computed once, on demand)."""
        if self._content_hashes is None:
            self._content_hashes = content_sha256(self.frame.select(self.user_columns))
        return self._content_hashes

    def identified(self, progress: Progress = NULL_PROGRESS) -> Dataset:
        """This dataset with its row ids computed (itself when they already are).
        Safe to call from a worker thread: it builds a new Dataset and changes nothing."""
        if self.ids_ready:
            return self
        user = self.frame.select(self.user_columns)
        starts = range(0, self.height, ID_SLICE)
        progress.status("identifying rows", total=len(starts))
        parts = []
        for start in starts:  # in slices: Cancel (or quit) waits for one slice, not all
            progress.check()
            parts.append(content_sha256(user.slice(start, ID_SLICE)))
            progress.advance()
        hashes = pl.concat(parts) if parts else content_sha256(user)
        frame = self.frame.with_columns(_with_occurrence(hashes).alias(ID))
        return Dataset(
            self.target, self.sources, self.files, frame, self.spec, self.id_rule, self.bad, hashes
        )

    # -- reading rows -----------------------------------------------------------------------
    def record(self, row: int) -> dict:
        """The user columns of one row as plain Python values."""
        # Slice first: selecting columns of the whole frame costs ~20 ms at 1M rows.
        return self.frame.slice(row, 1).select(self.user_columns).row(0, named=True)

    def render(self, row: int) -> Rendered:
        return render_record(self.record(row), self.spec)

    def prompt(self) -> pl.Series:
        return self.frame.select(formats.prompt_expr(self.spec).fill_null("")).to_series()

    def response(self) -> pl.Series:
        return self.frame.select(formats.response_expr(self.spec).fill_null("")).to_series()

    def embed_texts(self, field_name: str | None = None) -> pl.Series:
        expr = formats.embed_field_expr(self.spec, field_name, self.frame.schema)
        return self.frame.select(expr.fill_null("")).to_series()

    def preview(self, row: int, width: int = 160) -> str:
        """One line of the prompt side for the table."""
        value = self.frame.slice(row, 1).select(formats.prompt_expr(self.spec)).item()
        text = " ".join(str(value or "").split())
        return text[:width] + ("…" if len(text) > width else "")

    # -- filtering --------------------------------------------------------------------------
    def match(
        self, text: str = "", *, regex: bool = False, case: bool = False, expr: str = ""
    ) -> np.ndarray:
        """Row positions whose text contains ``text`` (or matches the regex) and for which the
        expression ``expr`` (e.g. ``length(output) < 20``, see :mod:`inspector.core.data.expressions`)
        holds."""
        conditions: list[pl.Expr] = []
        if text:
            import re

            if regex:
                try:
                    re.compile(text)
                except re.error as exc:
                    raise ValueError(f"regular expression: {exc}") from exc
                pattern = text if case else f"(?i){text}"
                checks = [e.str.contains(pattern) for e in formats.text_exprs(self.spec)]
            elif case:
                checks = [e.str.contains(text, literal=True) for e in formats.text_exprs(self.spec)]
            else:
                pattern = "(?i)" + re.escape(text)
                checks = [e.str.contains(pattern) for e in formats.text_exprs(self.spec)]
            conditions.append(pl.any_horizontal(checks).fill_null(False))
        if expr.strip():
            # Our own parser, never polars' SQL engine: its table functions read files and URLs.
            try:
                conditions.append(compile_expression(expr, self.frame.schema))
            except ExpressionError as exc:
                raise ValueError(f"expression: {exc}") from exc
        if not conditions:
            return np.arange(self.height, dtype=np.int64)
        try:
            mask = self.frame.select(pl.all_horizontal(conditions).fill_null(False)).to_series()
        except Exception as exc:  # noqa: BLE001
            raise ValueError(f"expression: {str(exc).splitlines()[0]}") from exc
        return np.flatnonzero(mask.to_numpy())

    def with_spec(self, spec: formats.FormatSpec) -> Dataset:
        """The same rows seen under another format/field mapping."""
        frame = self.frame.with_columns(_length_expr(spec).alias(LENGTH))
        return Dataset(
            self.target,
            self.sources,
            self.files,
            frame,
            spec,
            self.id_rule,
            self.bad,
            self._content_hashes,
            self.ids_ready,
        )


HASH_BATCH = 1 << 16  # rows encoded at a time: bounds the canonical JSON held in memory
ID_SLICE = 100_000  # rows hashed between two progress steps (also the fastest size measured)


def _has_binary(dtype: Any) -> bool:
    if dtype == pl.Binary:
        return True
    if isinstance(dtype, pl.Struct):
        return any(_has_binary(f.dtype) for f in dtype.fields)
    if isinstance(dtype, pl.List | pl.Array):
        return _has_binary(dtype.inner)
    return False


def _jsonable(expr: pl.Expr, dtype: Any) -> pl.Expr:
    """``expr`` with its binary values (at any depth: an image's ``{bytes, path}``) as base64
    text, which polars can write as JSON (it panics on binary); other values untouched, so
    the ids of data without binary are what they were."""
    if not _has_binary(dtype):
        return expr
    if dtype == pl.Binary:
        return expr.bin.encode("base64")
    if isinstance(dtype, pl.Struct):
        fields = [_jsonable(expr.struct.field(f.name), f.dtype).alias(f.name) for f in dtype.fields]
        return pl.when(expr.is_null()).then(None).otherwise(pl.struct(fields))
    if isinstance(dtype, pl.Array):
        expr, dtype = expr.arr.to_list(), pl.List(dtype.inner)
    assert isinstance(dtype, pl.List)
    return expr.list.eval(_jsonable(pl.element(), dtype.inner))


def canonical_json_expr(
    columns: list[str], has_nulls: bool, schema: pl.Schema | None = None
) -> pl.Expr:
    """Each row's canonical JSON: keys sorted, compact separators, null fields left out.
    ``schema``: the columns' types, where some may hold binary values."""
    columns = sorted(columns)

    def column(name: str) -> pl.Expr:
        return _jsonable(pl.col(name), schema[name]).alias(name) if schema else pl.col(name)

    if not has_nulls:
        # No nulls: the struct's own JSON is already canonical (and much cheaper).
        return pl.struct([column(c) for c in columns]).struct.json_encode()
    parts = []
    for col in columns:
        encoded = pl.struct(column(col)).struct.json_encode()
        inner = encoded.str.strip_prefix("{").str.strip_suffix("}")
        parts.append(pl.when(pl.col(col).is_not_null()).then(inner))
    return pl.lit("{") + pl.concat_str(parts, separator=",", ignore_nulls=True) + "}"


def content_sha256(frame: pl.DataFrame) -> pl.Series:
    """sha256 (hex) of each row's canonical JSON: sorted keys, nulls left out."""
    has_nulls = bool(frame.width and frame.null_count().sum_horizontal().item())
    canonical = canonical_json_expr(frame.columns, has_nulls, frame.schema)
    if frame.height:
        try:
            return _sha256_polars(frame, canonical)
        except ImportError:  # the standalone bundle leaves the plugin out: hashlib it is
            pass
        except BaseException as exc:  # noqa: BLE001 - a plugin that does not fit this polars
            reraise_interrupt(exc)  # (its panics are BaseExceptions)
            log.warning("polars-hash failed; hashing rows with hashlib", exc_info=True)
    return _sha256_hashlib(frame, canonical)


def _sha256_polars(frame: pl.DataFrame, canonical: pl.Expr) -> pl.Series:
    """The hashes computed inside polars (the polars-hash plugin, on every core, no GIL).
    The streaming engine encodes and hashes in morsels, so the JSON is never held whole."""
    import polars_hash  # noqa: F401 - registers the ``chash`` namespace

    hashed = canonical.chash.sha2_256().alias("content_sha256")  # type: ignore[attr-defined]
    out = frame.lazy().select(hashed).collect(engine="streaming").to_series()
    if out.len() != frame.height or out.null_count():
        raise ValueError("polars-hash returned the wrong number of hashes")
    return out


def _sha256_hashlib(frame: pl.DataFrame, canonical: pl.Expr) -> pl.Series:
    """The same hashes with hashlib, batch by batch (the reference for the fast path)."""

    def encode(start: int) -> pl.Series:
        return frame.slice(start, HASH_BATCH).select(canonical.alias("json")).to_series()

    hashes: list[str] = []
    starts = list(range(0, frame.height, HASH_BATCH))
    # polars encodes the next batch (without the GIL) while this thread hashes the last one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(encode, starts[0]) if starts else None
        for k in range(len(starts)):
            batch = pending.result()  # type: ignore[union-attr]
            pending = pool.submit(encode, starts[k + 1]) if k + 1 < len(starts) else None
            hashes.extend(_sha256_each(batch))
    return pl.Series("content_sha256", hashes, pl.String)


def _sha256_each(texts: pl.Series) -> list[str]:
    """Hex sha256 of each string's UTF-8 bytes."""
    offsets, data = utf8_buffers(texts)
    view = data.data
    bounds = offsets.tolist()
    sha = hashlib.sha256
    return [sha(view[a:b]).hexdigest() for a, b in zip(bounds, bounds[1:])]


UTF8_PIECE = 1 << 30  # bytes joined at a time (one polars string holds under 4 GiB)


def utf8_buffers(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(offsets int64 (n+1,), UTF-8 bytes uint8) of a String Series with no nulls: the
    Arrow large_string layout, built with polars and numpy alone (no pyarrow: the bundle
    leaves it out). The bytes are the rows joined, a piece of rows at a time."""
    lengths = texts.str.len_bytes().to_numpy().astype(np.int64, copy=False)
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    total = int(offsets[-1])
    if total <= UTF8_PIECE:
        joined = texts.str.join("").cast(pl.Binary).item() if total else b""
        return offsets, np.frombuffer(joined, dtype=np.uint8)
    data = np.empty(total, dtype=np.uint8)
    start = 0
    while start < len(texts):
        # the rows from ``start`` whose bytes fit in one piece (at least one row)
        end = max(
            int(np.searchsorted(offsets, offsets[start] + UTF8_PIECE, "right")) - 1, start + 1
        )
        piece = texts.slice(start, end - start).str.join("").cast(pl.Binary).item()
        data[offsets[start] : offsets[end]] = np.frombuffer(piece, dtype=np.uint8)
        start = end
    return offsets, data


def _with_occurrence(hashes: pl.Series) -> pl.Series:
    """``hash``, then ``hash#2``, ``hash#3``… for the later copies of a repeated record."""
    if hashes.n_unique() == hashes.len():
        return hashes
    nth = pl.int_range(pl.len()).over("h") + 1  # 1 for the first copy, in file order
    out = hashes.to_frame("h").select(
        pl.when(nth == 1).then(pl.col("h")).otherwise(pl.col("h") + "#" + nth.cast(pl.String))
    )
    return out.to_series().alias(hashes.name)


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes on disk, read in pieces (hashlib drops the GIL meanwhile)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _length_expr(spec: formats.FormatSpec) -> pl.Expr:
    exprs = [e.fill_null("").str.len_chars() for e in formats.text_exprs(spec)]
    if not exprs:
        return pl.lit(0, dtype=pl.UInt32)
    return pl.sum_horizontal(exprs).cast(pl.UInt32)


def dataset_root(target: str | Path, sources: Sources) -> Path:
    """The folder that ``source_file`` values are relative to (portable filter files)."""
    path = Path(str(target)).expanduser()
    if path.is_dir():
        return path
    import os

    parents = [str(f.parent.resolve()) for f in sources.files]
    return Path(os.path.commonpath(parents)) if parents else Path(".")


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def choose_id_column(frame: pl.DataFrame, wanted: str | None) -> str | None:
    """The column that identifies rows: the one named, else a common name that is unique."""
    if wanted:
        if wanted not in frame.columns:
            raise DataError(
                f"no id column '{wanted}'",
                field=wanted,
                hint=f"columns are {', '.join(c for c in frame.columns if c not in INTERNAL)}",
            )
        col = frame[wanted]
        if col.null_count():
            raise DataError(f"the id column has {col.null_count()} empty values", field=wanted)
        if col.n_unique() != frame.height:
            raise DataError(
                f"the id column has {frame.height - col.n_unique()} repeated values",
                field=wanted,
                hint="choose a unique column, or leave it out to use content hashes",
            )
        return wanted
    for name in ID_CANDIDATES:
        if name in frame.columns:
            col = frame[name]
            if isinstance(col.dtype, pl.List | pl.Struct):
                continue
            if col.null_count() == 0 and col.n_unique() == frame.height:
                return name
    return None


def id_column_note(frame: pl.DataFrame) -> str | None:
    """Why the dataset's own id column (a usual name) does not identify its rows, or None."""
    for name in ID_CANDIDATES:
        if name not in frame.columns:
            continue
        col = frame[name]
        if isinstance(col.dtype, pl.List | pl.Struct):
            return f"column '{name}' not used: it holds lists or records, not ids"
        if col.null_count():
            return f"column '{name}' not used: {col.null_count():,} empty values"
        if col.n_unique() != frame.height:
            counts = col.cast(pl.String).value_counts()  # the most repeated, then the first
            example = counts.sort(["count", name], descending=[True, False])[name][0]
            return (
                f"column '{name}' not used: {frame.height - col.n_unique():,} repeated values "
                f"(e.g. {str(example)!r})"
            )
    return None


def open_dataset(
    target: str | Path,
    *,
    split: str | None = None,
    skip_bad_lines: bool = False,
    spec: formats.FormatSpec | None = None,
    kind: str | None = None,
    fields: dict[str, str] | None = None,
    id_column: str | None = None,
    defer_ids: bool = False,
    limits: ReadLimits | None = None,
    progress: Progress = NULL_PROGRESS,
) -> Dataset:
    """Read every file of ``target`` into one dataset. Raises DataError on bad input.
    ``limits``: the caps on decompressed size and line length (default: the environment's).
    With ``defer_ids`` and no id column, the content-hash ids are left for
    :meth:`Dataset.identified` (the dataset comes back with ``ids_ready`` False)."""
    sources = replace(find_sources(target, split), limits=limits)
    progress.status("reading", total=len(sources.files))
    frames: list[pl.DataFrame] = []
    infos: list[FileInfo] = []
    bad: list[BadRecord] = []
    root = dataset_root(target, sources)
    hasher = ThreadPoolExecutor(max_workers=1)  # the file hash runs beside the parsing
    for path in sources.files:
        digest_job = hasher.submit(file_sha256, path)
        try:
            result = read_file(path, skip_bad_lines=skip_bad_lines, limits=limits)
            digest = digest_job.result()
            size = path.stat().st_size
        except BaseException as exc:
            hasher.shutdown(wait=True, cancel_futures=True)
            if isinstance(exc, OSError):  # the hash's read or the stat: EIO, a lost share
                raise os_error(exc, path) from exc
            raise
        bad.extend(result.bad)
        shown = _relative(path, root)
        infos.append(
            FileInfo(
                shown,
                size,
                digest,
                result.frame.height,
                result.container,
                result.compression,
            )
        )
        if result.frame.height:
            frames.append(
                result.frame.with_columns(
                    pl.lit(shown, dtype=pl.String).alias(SOURCE),
                    pl.Series(ROW, result.row_index, dtype=pl.Int64),
                )
            )
        progress.advance()
    hasher.shutdown()
    if not frames:
        raise DataError("no readable records", file=str(target), bad_records=bad)
    try:
        frame = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
    except Exception as exc:  # noqa: BLE001 - incompatible column types across files
        raise DataError(
            f"the files' columns do not fit together: {str(exc).splitlines()[0]}",
            file=str(target),
            hint="open the files separately",
        ) from exc
    progress.status("detecting format")
    if spec is None:
        if kind or fields:
            try:
                spec = formats.spec_from_fields(
                    kind or formats.detect_format(frame).kind, fields or {}, frame.schema
                )
            except ValueError as exc:
                raise DataError(str(exc), file=str(target)) from exc
        else:
            spec = formats.detect_format(frame)
    id_col = choose_id_column(frame, id_column)
    if id_col:
        ids = frame[id_col].cast(pl.String)
        frame = frame.with_columns(ids.alias(ID), _length_expr(spec).alias(LENGTH))
        return Dataset(str(target), sources, infos, frame, spec, f"column:{id_col}", bad)
    frame = frame.with_columns(pl.lit(None, pl.String).alias(ID), _length_expr(spec).alias(LENGTH))
    pending = Dataset(str(target), sources, infos, frame, spec, "content_sha256", bad, None, False)
    return pending if defer_ids else pending.identified(progress)
