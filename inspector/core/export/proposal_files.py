"""Large sets of proposals kept beside the project's store, as Parquet, not as SQLite rows.

An analysis of 10M rows proposes ~10M removals. As SQLite rows they took minutes to store
(one Python tuple a row, two indexes) and as much memory again; as one Parquet file they
take seconds. So a source with at least :data:`SIDE_FILE_ROWS` proposals is written to
``<store>.proposals/<source>-<sha256 prefix>.parquet`` and the store's settings name it
(key :data:`KEY`: per source its file, rows and sha256). The switch from the old proposals
of that source to the new file is one SQLite transaction (the rows deleted, the pointer
set), so a kill at any point leaves either the old proposals or the new ones, never both
or neither. Files no pointer names are removed after the switch.

Only :mod:`inspector.core.export.filterfile` calls this: ``save_proposals``,
``load_proposals`` and ``clear_proposals`` read and write both kinds the same way.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from inspector.core.atomic import atomic_write
from inspector.core.errors import DataError

if TYPE_CHECKING:
    from inspector.core.store import ProjectStore

SIDE_FILE_ROWS = 200_000  # a source with this many proposals or more goes to a file
KEY = "proposal_files"
SUFFIX = ".proposals"


def folder(store: ProjectStore) -> Path:
    return store.path.with_name(store.path.name + SUFFIX)


def entries(store: ProjectStore) -> dict[str, dict[str, Any]]:
    """Per source: ``{"file": name, "rows": n, "sha256": hex}``."""
    value = store.get(KEY, {})
    return value if isinstance(value, dict) else {}


def write(store: ProjectStore, source: str, frame: pl.DataFrame) -> dict[str, Any]:
    """``frame`` (one source's proposals, conformed) as a file in :func:`folder`, synced;
    returns its entry. Nothing points at it until :func:`point` runs."""
    buffer = _parquet_bytes(frame)
    digest = hashlib.sha256(buffer).hexdigest()
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", source)[:60] or "source"
    name = f"{safe}-{digest[:16]}.parquet"
    atomic_write(folder(store) / name, lambda tmp: tmp.write_bytes(buffer))
    return {"file": name, "rows": frame.height, "sha256": digest}


def _parquet_bytes(frame: pl.DataFrame) -> bytes:
    import io

    sink = io.BytesIO()
    frame.write_parquet(sink, compression="zstd", statistics=False)
    return sink.getvalue()


def point(conn: sqlite3.Connection, store: ProjectStore, changes: dict[str, Any]) -> None:
    """Within the caller's transaction: set (an entry) or drop (``None``) each source's
    pointer."""
    current = entries(store)
    for source, entry in changes.items():
        if entry is None:
            current.pop(source, None)
        else:
            current[source] = entry
    conn.execute(
        "INSERT INTO settings(key, value) VALUES(?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
        (KEY, json.dumps(current)),
    )


def remove_unnamed(store: ProjectStore) -> None:
    """Delete the files no pointer names (replaced or cleared; or left by a killed save)."""
    where = folder(store)
    if not where.is_dir():
        return
    named = {e.get("file") for e in entries(store).values()}
    for path in where.glob("*.parquet"):
        if path.name not in named:
            path.unlink(missing_ok=True)


def read(store: ProjectStore, sources: list[str] | None, schema: dict) -> list[pl.DataFrame]:
    """The files of ``sources`` (all when ``None``), each checked against its entry."""
    frames = []
    for source, entry in sorted(entries(store).items()):
        if sources is not None and source not in sources:
            continue
        path = folder(store) / str(entry.get("file"))
        hint = "run Find issues or Open Analysis again to remake the proposals"
        if not path.is_file():
            raise DataError(f"the proposals of '{source}' are missing", file=path, hint=hint)
        try:
            frame = pl.read_parquet(path)
        except Exception as exc:  # polars raises several kinds for a damaged file
            raise DataError(
                f"the proposals of '{source}' cannot be read ({exc})", file=path, hint=hint
            ) from exc
        if frame.height != entry.get("rows") or dict(frame.schema) != schema:
            raise DataError(
                f"the proposals of '{source}' are not the {entry.get('rows')} rows stored",
                file=path,
                hint=hint,
            )
        frames.append(frame)
    return frames
