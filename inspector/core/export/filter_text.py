"""Filter files as text: the ``ids`` format (one id a line) and the cells of CSV filter files.

An id that one-id-a-line text cannot hold as it is (a line break or separator inside,
whitespace at either end) is refused by the ids format rather than escaped: the other formats
keep any id. CSV cells that a spreadsheet would run as a formula are neutralised as OWASP
recommends (a leading ``'``), and :func:`restore_csv` takes that off again on import.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl


class FilterError(ValueError):
    """A filter file that cannot be used as it is; the message says what to do."""


# -- ids files ---------------------------------------------------------------------------------

BOM = b"\xef\xbb\xbf"


def parse_ids(text: str) -> list[str]:
    """The ids of an ids file: one a line (any line break :meth:`str.splitlines` knows),
    surrounding whitespace and blank lines dropped, a leading UTF-8 BOM ignored."""
    text = text.removeprefix("\ufeff")
    return [s for s in (line.strip() for line in text.splitlines()) if s]


def decode_ids(data: bytes, path: str | Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FilterError(
            f"{path}, line {line}: not UTF-8 text; an ids file holds one id per line, UTF-8"
        ) from exc


def read_ids_file(path: str | Path) -> list[str]:
    """The ids in a text file of one id per line (as :func:`parse_ids` reads them)."""
    path = Path(path)
    if path.is_dir():
        raise FilterError(f"{path}: is a folder; give a text file with one id per line")
    if not path.exists():
        raise FilterError(f"{path}: file not found")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FilterError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return parse_ids(decode_ids(data, path))


def check_ids_format(ids: list[str]) -> None:
    """Refuse ids that one-id-a-line text cannot hold as they are (a line break inside,
    whitespace at either end, a leading BOM, empty): :func:`parse_ids` would change them."""
    bad = [i for i in ids if not i or parse_ids(i) != [i]]
    if bad:
        more = f" and {len(bad) - 1:,} more" if len(bad) > 1 else ""
        raise FilterError(
            f"the ids format writes one id a line, and the id {bad[0]!r}{more} holds a line "
            "break or separator, or starts or ends with whitespace, so it would not read back "
            "as it is. Use --format parquet, jsonl or csv, which keep any id"
        )


# -- CSV cells ---------------------------------------------------------------------------------

# OWASP's CSV injection advice: a cell that starts with one of these is a formula to a
# spreadsheet; a leading ' makes it text. A cell already starting with ' gets one more, so
# restore_csv can take exactly one off every cell that starts with '.
FORMULA_STARTS = "=+-@\t\r"
_NEUTRALISE = "^[" + "".join("\\" + c if c in "-" else c for c in FORMULA_STARTS) + "']"


def neutralise_csv(frame: pl.DataFrame) -> pl.DataFrame:
    """Put a ``'`` before every text cell that starts with ``= + - @``, a tab, a carriage
    return or ``'``."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(_NEUTRALISE))
        .then("'" + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text
    )


def restore_csv(frame: pl.DataFrame) -> pl.DataFrame:
    """Undo :func:`neutralise_csv` (a file whose manifest says ``csv_neutralised``)."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns(
        pl.when(pl.col(c).str.starts_with("'"))
        .then(pl.col(c).str.slice(1))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text
    )


# -- frames ----------------------------------------------------------------------------------


def conform(
    df: pl.DataFrame, schema: dict[str, pl.DataType], *, what: str, required: Iterable[str]
) -> pl.DataFrame:
    """``df`` with exactly ``schema``'s columns (missing ones null, tags split on ``|``);
    :class:`FilterError` for a missing required column or types that do not cast."""
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise FilterError(f"{what}: missing column {', '.join(missing)}")
    exprs = []
    for name, dtype in schema.items():
        if name not in df.columns:
            exprs.append(pl.lit(None, dtype).alias(name))
        elif name == "tags" and not isinstance(df.schema[name], pl.List):
            exprs.append(pl.col(name).cast(pl.String).str.split("|").alias(name))
        else:
            exprs.append(pl.col(name).cast(dtype, strict=False).alias(name))
    try:
        return df.select(exprs)
    except Exception as exc:  # noqa: BLE001
        raise FilterError(f"{what}: columns have unexpected types: {exc}") from exc


def check_actions(frame: pl.DataFrame, what: str) -> None:
    """:class:`FilterError` for an action other than remove, keep or flag."""
    from inspector.core.labels import states

    bad = frame.filter(~pl.col("action").is_in(list(states.ACTIONS)))
    if bad.height:
        value = bad["action"][0]
        raise FilterError(
            f"{what}: action '{value}' in {bad.height} rows; actions are remove, keep, flag"
        )
