"""The project's proposals (written by the junk finders and Open Analysis, read by review,
export and selection): SQLite rows, or for a large source a Parquet file beside the store.

An analysis of 10M rows proposes ~10M removals. As SQLite rows they took minutes to store
(one Python tuple a row, two indexes) and as much memory again; as one Parquet file they
take seconds. So a source with at least :data:`SIDE_FILE_ROWS` proposals is written to
``<store>.proposals/<source>-<sha256 prefix>.parquet`` and the store's settings name it
(key :data:`KEY`: per source its file, rows and sha256). The switch from the old proposals
of that source to the new file is one SQLite transaction (the rows deleted, the pointer
set), so a kill at any point leaves either the old proposals or the new ones, never both
or neither. Files no pointer names are removed after the switch.

:func:`save_proposals`, :func:`load_proposals` and :func:`clear_proposals` read and write
both kinds the same way (``export.filterfile`` re-exports them).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from inspector.core.atomic import atomic_write
from inspector.core.errors import DataError
from inspector.core.export.filter_text import check_actions, conform

if TYPE_CHECKING:
    from inspector.core.store import ProjectStore

PROPOSAL_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "action": pl.String(),
    "reason": pl.String(),
    "group_id": pl.String(),
    "representative_id": pl.String(),
    "similarity": pl.Float64(),
    "score": pl.Float64(),
    "source": pl.String(),
}
ROWS_AT_A_TIME = 200_000  # proposals turned into Python tuples at a time
SIDE_FILE_ROWS = 200_000  # a source with this many proposals or more goes to a file
KEY = "proposal_files"
SUFFIX = ".proposals"


# -- storing, reading, clearing ----------------------------------------------------------------


def save_proposals(store: ProjectStore, df: pl.DataFrame, source: str | None = None) -> int:
    """Store proposals, replacing earlier ones from the same source (finder name).

    ``df`` needs ``id`` and ``action`` (remove/keep/flag); ``reason``, ``group_id``,
    ``representative_id``, ``similarity``, ``score`` and ``source`` are optional. Returns the
    number of rows stored. A source of many proposals goes to a file beside the store,
    switched in with the same commit.
    """
    frame = conform(df, PROPOSAL_SCHEMA, what="proposals", required=("id", "action"))
    if source is not None or frame["source"].null_count():
        frame = frame.with_columns(pl.col("source").fill_null(source or "unknown"))
        if source is not None:
            frame = frame.with_columns(pl.lit(source, pl.String).alias("source"))
    check_actions(frame, "proposals")
    sources = frame["source"].unique(maintain_order=True).to_list()
    frame = frame.select(list(PROPOSAL_SCHEMA))
    stored = frame.height
    side: dict[str, Any] = {}
    if frame.height >= SIDE_FILE_ROWS:
        for s in sources:
            part = frame if len(sources) == 1 else frame.filter(pl.col("source") == s)
            if part.height >= SIDE_FILE_ROWS:
                side[s] = write(store, s, part)
        if side:
            frame = frame.filter(~pl.col("source").is_in(list(side)))
    pointed = side or set(sources) & set(entries(store))
    with store.transaction("saving the proposals") as conn:
        conn.executemany("DELETE FROM proposals WHERE source=?", [(s,) for s in sources])
        # Python tuples a slice at a time, in the one transaction: 10M proposals as tuples
        # all at once took ~5 GB
        for part in frame.iter_slices(ROWS_AT_A_TIME):
            conn.executemany(
                "INSERT INTO proposals(id, action, reason, group_id, representative_id, "
                "similarity, score, source) VALUES (?,?,?,?,?,?,?,?)",
                part.rows(),
            )
        if pointed:
            point(store, {s: side.get(s) for s in sources})
    if pointed:
        remove_unnamed(store)
    return stored


def load_proposals(store: ProjectStore, sources: Iterable[str] | None = None) -> pl.DataFrame:
    """Stored proposals (all sources, or those named), columns :data:`PROPOSAL_SCHEMA`."""
    sql = "SELECT id, action, reason, group_id, representative_id, similarity, score, source FROM proposals"
    params: list[str] = []
    if sources is not None:
        params = list(sources)
        sql += f" WHERE source IN ({','.join('?' * len(params))})" if params else " WHERE 0"
    cursor = store.conn.execute(sql, params)
    parts = []
    while rows := cursor.fetchmany(ROWS_AT_A_TIME):  # a frame a slice at a time (memory)
        parts.append(pl.DataFrame(rows, schema=PROPOSAL_SCHEMA, orient="row"))
    parts += read(store, None if sources is None else params)
    if not parts:
        return pl.DataFrame(schema=PROPOSAL_SCHEMA)
    return pl.concat(parts, rechunk=True) if len(parts) > 1 else parts[0]


def clear_proposals(store: ProjectStore, source: str | None = None) -> None:
    named = entries(store)
    with store.transaction("clearing the proposals") as conn:
        if source is None:
            conn.execute("DELETE FROM proposals")
        else:
            conn.execute("DELETE FROM proposals WHERE source=?", (source,))
        if named:
            point(store, dict.fromkeys(list(named) if source is None else [source]))
    if named:
        remove_unnamed(store)


# -- the files beside the store ----------------------------------------------------------------


def folder(store: ProjectStore) -> Path:
    return store.path.with_name(store.path.name + SUFFIX)


def entries(store: ProjectStore) -> dict[str, dict[str, Any]]:
    """Per source: ``{"file": name, "rows": n, "sha256": hex}``."""
    value = store.get(KEY, {})
    return value if isinstance(value, dict) else {}


def write(store: ProjectStore, source: str, frame: pl.DataFrame) -> dict[str, Any]:
    """``frame`` (one source's proposals, conformed) as a file in :func:`folder`, synced;
    returns its entry. Nothing points at it until :func:`point` runs."""
    sink = io.BytesIO()
    frame.write_parquet(sink, compression="zstd", statistics=False)
    buffer = sink.getvalue()
    digest = hashlib.sha256(buffer).hexdigest()
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", source)[:60] or "source"
    name = f"{safe}-{digest[:16]}.parquet"
    atomic_write(folder(store) / name, lambda tmp: tmp.write_bytes(buffer))
    return {"file": name, "rows": frame.height, "sha256": digest}


def point(store: ProjectStore, changes: dict[str, Any]) -> None:
    """Set (an entry) or drop (``None``) each source's pointer; inside the caller's
    transaction when there is one."""
    current = entries(store)
    for source, entry in changes.items():
        if entry is None:
            current.pop(source, None)
        else:
            current[source] = entry
    store.set(KEY, current)


def remove_unnamed(store: ProjectStore) -> None:
    """Delete the files no pointer names (replaced or cleared; or left by a killed save)."""
    where = folder(store)
    if not where.is_dir():
        return
    named = {e.get("file") for e in entries(store).values()}
    for path in where.glob("*.parquet"):
        if path.name not in named:
            path.unlink(missing_ok=True)


def read(store: ProjectStore, sources: list[str] | None) -> list[pl.DataFrame]:
    """The files of ``sources`` (all when ``None``), each checked against its entry."""
    frames = []
    hint = "run Find issues or Open Analysis again to remake the proposals"
    for source, entry in sorted(entries(store).items()):
        if sources is not None and source not in sources:
            continue
        path = folder(store) / str(entry.get("file"))
        if not path.is_file():
            raise DataError(f"the proposals of '{source}' are missing", file=path, hint=hint)
        try:
            frame = pl.read_parquet(path)
        except Exception as exc:  # polars raises several kinds for a damaged file
            raise DataError(
                f"the proposals of '{source}' cannot be read ({exc})", file=path, hint=hint
            ) from exc
        if frame.height != entry.get("rows") or dict(frame.schema) != PROPOSAL_SCHEMA:
            raise DataError(
                f"the proposals of '{source}' are not the {entry.get('rows')} rows stored",
                file=path,
                hint=hint,
            )
        frames.append(frame)
    return frames
