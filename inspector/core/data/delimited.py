"""Read CSV and TSV files as spreadsheets and scripts write them.

The separator of a ``.csv`` file is the one its header line uses (``;`` from a European
Excel export, ``|``, a tab), else a comma. polars parses the file; where it cannot (a TSV
written without quoting whose fields hold stray double quotes, a row with more fields than
the header), Python's csv module reads it again: quotes count only at the start of a field,
so such a TSV reads, and a record with the wrong number of fields is named by its line.
:mod:`inspector.core.export.apply` finds records with the same reader, so it keeps the
bytes of every other record.
"""

from __future__ import annotations

import csv
import io
import sys
import warnings
from pathlib import Path

import numpy as np
import polars as pl

from inspector.core.errors import DataError

SEPARATORS = (",", ";", "\t", "|")


def separator(data: bytes, kind: str) -> str:
    """The field separator: a tab for TSV; for CSV the first of , ; tab | that the header
    line holds outside quotes (a comma when it holds none)."""
    if kind == "tsv":
        return "\t"
    start = len(data) - len(data.lstrip())
    end = data.find(b"\n", start)
    header = data[start : end if end >= 0 else len(data)].decode("utf-8", "replace")
    outside = "".join(header.split('"')[::2])  # what lies outside quoted names
    return next((s for s in SEPARATORS if s in outside), ",")


def read_delimited(
    data: bytes, path: Path, kind: str, skip_bad_lines: bool
) -> tuple[pl.DataFrame, np.ndarray]:
    """The records of a CSV/TSV file's (UTF-8, BOM removed) bytes and their positions."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(
            f"not valid UTF-8: byte 0x{data[exc.start]:02x}",
            file=path,
            line=line,
            hint="re-save the file as UTF-8",
        ) from exc
    sep = separator(data, kind)
    try:
        with warnings.catch_warnings():  # "CSV malformed": said better below, or not at all
            warnings.simplefilter("ignore")
            frame = pl.read_csv(
                io.BytesIO(data),
                separator=sep,
                infer_schema_length=10000,
                ignore_errors=skip_bad_lines,
                truncate_ragged_lines=skip_bad_lines,
            )
    except Exception as exc:  # noqa: BLE001 - the careful reader names the record
        frame = _read_by_records(data, path, kind, sep, exc, skip_bad_lines)
    # With a header, record i sits on line i + 2 unless a field spans lines; keep positions.
    return frame, np.arange(frame.height, dtype=np.int64)


def records(text: str, sep: str) -> tuple[list[list[str]], list[int]]:
    """Python's csv reading of ``text``: the non-empty records (the header first) and the
    1-based line each starts on."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    reader = csv.reader(iter(lines), delimiter=sep)
    rows: list[list[str]] = []
    starts: list[int] = []
    prev = 0
    for record in reader:
        if record:
            rows.append(
                [f.removesuffix("\r") if i == len(record) - 1 else f for i, f in enumerate(record)]
            )
            starts.append(prev + 1)
        prev = reader.line_num
    return rows, starts


def _read_by_records(
    data: bytes, path: Path, kind: str, sep: str, first: Exception, skip_bad_lines: bool
) -> pl.DataFrame:
    name = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "bar"}[sep]
    try:
        rows, starts = records(data.decode("utf-8"), sep)
    except csv.Error as exc:
        raise DataError(
            f"cannot read as {kind.upper()}: {exc}",
            file=path,
            hint="check the quoting",
        ) from exc
    if not rows:
        raise DataError(f"cannot read as {kind.upper()}: {str(first).splitlines()[0]}", file=path)
    header = rows[0]
    for record, line in zip(rows[1:], starts[1:]):
        if len(record) == len(header):
            continue
        spans = max((f.count("\n") for f in record), default=0)
        unclosed = len(record) < len(header) and spans > 1
        what = (
            f'a field opens a quote (") that is never closed: it runs on over {spans} lines'
            if unclosed
            else f"this record has {len(record)} fields, the header has {len(header)} "
            f"({name}-separated)"
        )
        fix = (
            "close the quote, or write the file without quoting"
            if unclosed
            else "quote fields that hold the separator or a line break"
        )
        raise DataError(
            f"cannot read as {kind.upper()}: {what}",
            file=path,
            line=line,
            hint=fix if skip_bad_lines else f"{fix}, or skip bad lines (--skip-bad-lines)",
        )
    columns = _unique(header)
    body = rows[1:]
    return pl.DataFrame(
        {c: [r[i] for r in body] for i, c in enumerate(columns)},
        schema={c: pl.String for c in columns},
    )


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        n = n or "column"
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n] - 1}")
    return out
