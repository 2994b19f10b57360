"""Labels follow their records when the data changes, never a position.

A label is stored with the record it was made on: its id, where the record was
(``source_file``, ``row_index``), the record's ``content_sha256`` and, for content-hash ids,
how many identical copies the data held (``copies``). When a project is opened on data that
differs from the last time (:func:`label_basis`), :func:`reconcile_labels` checks every label
against the rows now:

- the same record (same id, same content) at the same place: carried;
- the same record at another place: its ``source_file``/``row_index`` are updated;
- a repeated record (content-hash ids ``h``, ``h#2``…) whose copy is still where it was but
  whose number changed because another copy was edited: the label follows that copy to its
  new id (``h#2`` -> ``h``);
- anything else — the record was edited or removed, or it was one of several identical
  copies and the copy cannot be told apart — is set aside in ``stale_labels`` with why.

The ``labels`` table holds only current labels, so nothing stale is ever exported or shown as a
decision. A stale label comes back when its record does (an edit undone). Setting labels aside
or re-keying them ends the undo history there (its steps name rows that changed).
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from inspector.core.data.dataset import ID, ROW, SOURCE, content_sha256
from inspector.core.labels import states

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset
    from inspector.core.store import ProjectStore

BASIS_KEY = "labels.basis"
CONTENT_RULE = "content_sha256"
WHY_CHANGED = "the record changed or was removed"
WHY_GONE = "the record is no longer in the data"
WHY_COPIES = "one of several identical records, and which copy is meant is no longer clear"
_FIELDS = (*states.LABEL_FIELDS, "source_file", "row_index", "content_sha256", "copies")
_COLUMNS = ", ".join(_FIELDS)
_HAS_LABEL = "(decision IS NOT NULL OR tags IS NOT NULL OR note IS NOT NULL)"
_CANDIDATE_SCHEMA: dict[str, pl.DataType] = {
    "key": pl.Int64(),  # labels: its position in the read; stale: its rowid
    "src": pl.Int8(),  # 0 a current label, 1 a stale one (current ones win)
    "id": pl.String(),
    **{f: pl.String() for f in states.LABEL_FIELDS},
    "source_file": pl.String(),
    "row_index": pl.Int64(),
    "content_sha256": pl.String(),
    "copies": pl.Int64(),
    "since": pl.String(),
}


@dataclass(frozen=True)
class Reconciled:
    """What opening the project did to its labels."""

    checked: bool = False  # False: the data is as the labels last saw it (nothing to do)
    carried: int = 0  # labels whose record is where it was
    moved: int = 0  # same record, new place
    rekeyed: int = 0  # a copy of a repeated record whose id changed
    stale: int = 0  # labels set aside now
    restored: int = 0  # stale labels whose record came back
    stale_total: int = 0  # stale labels in the project after this

    def summary(self) -> str:
        """One line for the user ("" when there is nothing to say)."""
        parts = []
        if self.moved:
            parts.append(f"{self.moved:,} labels followed their rows to new positions")
        if self.rekeyed:
            parts.append(f"{self.rekeyed:,} labels followed a repeated record's copy")
        if self.restored:
            parts.append(f"{self.restored:,} stale labels back on their rows")
        if self.stale:
            s = "s" if self.stale != 1 else ""
            parts.append(
                f"{self.stale:,} stale label{s} set aside (the row changed or went away since "
                "it was labelled; not exported)"
            )
        return "; ".join(parts)


def label_basis(dataset: Dataset) -> str:
    """Changes whenever a label's record could have moved or changed: the files (paths and
    bytes), their rows, the split and the id rule."""
    h = hashlib.sha256(f"{dataset.id_rule}\n{dataset.sources.split or ''}\n".encode())
    for f in dataset.files:
        h.update(f"{f.path}\0{f.sha256}\0{f.rows}\n".encode())
    return h.hexdigest()


def stale_count(store: ProjectStore) -> int:
    """Labels set aside because their record changed (see the module docstring)."""
    return int(store.conn.execute("SELECT count(*) FROM stale_labels").fetchone()[0])


def stale_frame(store: ProjectStore) -> pl.DataFrame:
    """The stale labels: id, label fields, where the record was, why and since when."""
    cur = store.conn.execute(f"SELECT id, {_COLUMNS}, why, since FROM stale_labels ORDER BY rowid")
    names = [d[0] for d in cur.description]
    return pl.DataFrame(cur.fetchall(), schema=names, orient="row", infer_schema_length=None)


def copies_of(ids: pl.Series, id_rule: str) -> pl.Series:
    """How many identical records share each row's content (1 for a dataset id column)."""
    if id_rule != CONTENT_RULE or not ids.str.contains("#", literal=True).any():
        return pl.Series("copies", [1] * len(ids), pl.Int64)
    frame = pl.DataFrame({"id": ids.cast(pl.String)})
    parts = pl.col("id").str.split("#")
    frame = frame.with_columns(
        parts.list.first().alias("h"),
        pl.when(parts.list.len() > 1).then(parts.list.last()).otherwise(pl.lit("1")).alias("k"),
    ).with_columns(pl.col("k").cast(pl.Int64, strict=False).fill_null(1))
    return frame.select(pl.col("k").max().over("h").alias("copies")).to_series()


def _candidates(store: ProjectStore) -> pl.DataFrame:
    current = store.conn.execute(f"SELECT id, {_COLUMNS} FROM labels").fetchall()
    stale = store.conn.execute(f"SELECT rowid, id, {_COLUMNS}, since FROM stale_labels").fetchall()
    rows = [(k, 0, *r, None) for k, r in enumerate(current)]
    rows += [(r[0], 1, *r[1:]) for r in stale]
    return pl.DataFrame(rows, schema=_CANDIDATE_SCHEMA, orient="row")


def _data(dataset: Dataset) -> pl.DataFrame:
    frame = dataset.frame.select(
        pl.col(ID).cast(pl.String).alias("did"),
        pl.col(SOURCE).cast(pl.String).alias("s"),
        pl.col(ROW).cast(pl.Int64).alias("r"),
    ).with_row_index("pos")
    return frame.with_columns(copies_of(frame["did"], dataset.id_rule).alias("now_copies"))


def _first_per_row(matched: pl.DataFrame) -> pl.DataFrame:
    """One candidate per data row: a current label before a stale one, the one whose id is
    the row's before another, the newest stale one before older ones."""
    return (
        matched.with_columns((pl.col("id") != pl.col("did")).alias("_other"))
        .sort(["pos", "src", "_other", "since"], descending=[False, False, False, True])
        .unique(subset="pos", keep="first", maintain_order=True)
        .drop("_other")
    )


def _match_content_ids(cands: pl.DataFrame, data: pl.DataFrame, dataset: Dataset) -> pl.DataFrame:
    """Content-hash ids: by place and content first, then by id for records that had and
    have a single copy. Returns candidates with ``pos``, ``did``, ``h`` and ``now_copies``."""
    hashes = dataset.content_hashes()
    data = data.with_columns(pl.Series("h", hashes, pl.String))
    cands = cands.with_columns(
        pl.coalesce("content_sha256", pl.col("id").str.split("#").list.first()).alias("c")
    )
    by_place = _first_per_row(
        cands.join(data, left_on=["source_file", "row_index"], right_on=["s", "r"]).filter(
            pl.col("h") == pl.col("c")
        )
    )
    rest = cands.join(by_place.select("src", "key"), on=["src", "key"], how="anti")
    free = data.join(by_place.select("pos"), on="pos", how="anti")
    unique_then = (pl.col("copies") == 1) & ~pl.col("id").str.contains("#", literal=True)
    by_id = _first_per_row(
        rest.filter(unique_then)
        .join(free.filter(pl.col("now_copies") == 1), left_on="id", right_on="did")
        .with_columns(pl.col("id").alias("did"))
        .filter(pl.col("h") == pl.col("c"))
    )
    keep = [*cands.columns, "pos", "did", "h", "now_copies"]
    return pl.concat([by_place.select(keep), by_id.select(keep)])


def _match_column_ids(cands: pl.DataFrame, data: pl.DataFrame, dataset: Dataset) -> pl.DataFrame:
    """Ids from a dataset column: by id, if the record's content is the same."""
    joined = cands.join(data.drop("s", "r"), left_on="id", right_on="did").with_columns(
        pl.col("id").alias("did")
    )
    if joined.height:
        positions = joined["pos"].cast(pl.Int64).to_numpy()
        cached = dataset._content_hashes
        if cached is not None:
            h = cached.gather(positions)
        else:
            h = content_sha256(dataset.frame.select(pl.col(dataset.user_columns).gather(positions)))
        joined = joined.with_columns(pl.Series("h", h, pl.String))
    else:
        joined = joined.with_columns(pl.lit(None, pl.String).alias("h"))
    same = joined.filter(pl.col("h") == pl.col("content_sha256"))
    keep = [*cands.columns, "pos", "did", "h", "now_copies"]
    return _first_per_row(same).select(keep)


def reconcile_labels(store: ProjectStore, dataset: Dataset, *, force: bool = False) -> Reconciled:
    """Check the project's labels (and stale labels) against ``dataset``'s rows and store the
    outcome in one transaction (see the module docstring). Does nothing when the data is as
    the labels last saw it, unless ``force``. ``dataset``'s ids must be ready."""
    basis = label_basis(dataset)
    if not force and store.get(BASIS_KEY) == basis:
        return Reconciled(stale_total=stale_count(store))
    cands = _candidates(store)
    if not cands.height:
        store.set(BASIS_KEY, basis)
        return Reconciled(checked=True)
    data = _data(dataset)
    if dataset.id_rule == CONTENT_RULE:
        matched = _match_content_ids(cands, data, dataset)
    else:
        matched = _match_column_ids(cands, data, dataset)
    where = data.select("pos", "s", "r")
    matched = matched.join(where, on="pos", how="left")
    unmatched = cands.join(matched.select("src", "key"), on=["src", "key"], how="anti")

    current = matched.filter(pl.col("src") == 0)
    same_id = current.filter(pl.col("id") == pl.col("did"))
    rekeyed = current.filter(pl.col("id") != pl.col("did"))
    restored = matched.filter(pl.col("src") == 1)
    moved = same_id.filter(
        (pl.col("source_file").ne_missing(pl.col("s")))
        | (pl.col("row_index").ne_missing(pl.col("r")))
    )
    updated = same_id.filter(
        (pl.col("source_file").ne_missing(pl.col("s")))
        | (pl.col("row_index").ne_missing(pl.col("r")))
        | (pl.col("content_sha256").ne_missing(pl.col("h")))
        | (pl.col("copies").ne_missing(pl.col("now_copies")))
    )
    lost = unmatched.filter(pl.col("src") == 0)
    labelled = (
        pl.col("decision").is_not_null()
        | pl.col("tags").is_not_null()
        | pl.col("note").is_not_null()
    )
    going_stale = lost.filter(labelled)
    ids_in_data = set(data["did"].to_list()) if going_stale.height else set()
    now = states.utc_now()
    stale_rows = [
        (*r, _why(dataset.id_rule, r[0], ids_in_data), now)
        for r in going_stale.select("id", *_FIELDS).iter_rows()
    ]
    fresh = pl.concat([rekeyed, restored]).select(
        "did", *states.LABEL_FIELDS, "s", "r", "h", "now_copies"
    )
    with store.transaction("checking labels against the data") as conn:
        conn.executemany("DELETE FROM labels WHERE id=?", [(i,) for i in lost["id"].to_list()])
        conn.executemany("DELETE FROM labels WHERE id=?", [(i,) for i in rekeyed["id"].to_list()])
        conn.executemany(
            "DELETE FROM stale_labels WHERE rowid=?", [(k,) for k in restored["key"].to_list()]
        )
        conn.executemany(
            "UPDATE labels SET source_file=?, row_index=?, content_sha256=?, copies=? WHERE id=?",
            updated.select("s", "r", "h", "now_copies", "id").iter_rows(),
        )
        conn.executemany(
            f"INSERT INTO labels(id, {_COLUMNS}) VALUES ({','.join('?' * (1 + len(_FIELDS)))})",
            fresh.iter_rows(),
        )
        conn.executemany(
            f"INSERT INTO stale_labels(id, {_COLUMNS}, why, since) "
            f"VALUES ({','.join('?' * (3 + len(_FIELDS)))})",
            stale_rows,
        )
        if lost.height or rekeyed.height or restored.height:
            # undo steps name ids and rows that are no longer what they were
            conn.execute("UPDATE commands SET payload=NULL WHERE payload IS NOT NULL")
        store.set(BASIS_KEY, basis)
    return Reconciled(
        checked=True,
        carried=same_id.height - moved.height,
        moved=moved.height,
        rekeyed=rekeyed.height,
        stale=len(stale_rows),
        restored=restored.height,
        stale_total=stale_count(store),
    )


def _why(id_rule: str, row_id: str, ids_in_data: set[str]) -> str:
    if id_rule != CONTENT_RULE:
        return WHY_CHANGED if row_id in ids_in_data else WHY_GONE
    if row_id in ids_in_data or "#" in row_id:
        return WHY_COPIES
    return WHY_CHANGED


# -- carrying labels from another project ------------------------------------------------------


@dataclass(frozen=True)
class PreviousLabels:
    """A project made on an earlier version of the same data path, with labels in it."""

    path: Path
    labels: int
    target: str


def carry_labels(store: ProjectStore, source: str | Path) -> int:
    """Copy the labels (and stale labels) of the project at ``source`` into ``store`` as
    candidates: the next :func:`reconcile_labels` puts each on its record or sets it aside as
    stale. Returns how many were copied (0 when ``source`` was carried already)."""
    from inspector.core.store import ProjectStore, store_error

    source = Path(source).expanduser().resolve()
    if source == Path(store.path).resolve():
        raise ValueError(f"{source}: this is the project being opened")
    carried = list(store.get("labels.carried_from") or [])
    if str(source) in carried:
        return 0
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such project")
    other = ProjectStore(source)
    try:
        rows = other.conn.execute(
            f"SELECT id, {_COLUMNS}, 'carried from {source.name}' FROM labels WHERE {_HAS_LABEL}"
        ).fetchall()
        rows += other.conn.execute(f"SELECT id, {_COLUMNS}, why FROM stale_labels").fetchall()
        label_set = other.get("label_set")
    except sqlite3.Error as exc:
        raise store_error(exc, source, "reading its labels") from exc
    finally:
        other.close()
    now = states.utc_now()
    with store.transaction("carrying labels over") as conn:
        conn.executemany(
            f"INSERT INTO stale_labels(id, {_COLUMNS}, why, since) "
            f"VALUES ({','.join('?' * (3 + len(_FIELDS)))})",
            [(*r, now) for r in rows],
        )
        conn.execute("DELETE FROM settings WHERE key=?", (BASIS_KEY,))  # check them at once
    if label_set and store.get("label_set") is None:
        store.set("label_set", label_set)
    store.set("labels.carried_from", [*carried, str(source)])
    return len(rows)


def previous_labels(store: ProjectStore, target: str) -> PreviousLabels | None:
    """The newest other project in the same folder as ``store`` that was made for the same
    data path (``target``) and holds labels — when ``store`` itself holds none and was not
    told about it before. Unreadable projects are passed over."""
    here = Path(store.path).resolve()
    if store.get("labels.previous_declined") or store.get("labels.carried_from"):
        return None
    has = store.conn.execute(f"SELECT 1 FROM labels WHERE {_HAS_LABEL} LIMIT 1").fetchone()
    if has or stale_count(store):
        return None
    wanted = str(Path(target).expanduser().resolve())
    split = store.get("split")
    found: list[tuple[float, PreviousLabels]] = []
    for path in here.parent.glob("*.sqlite"):
        if path.resolve() == here or path.stat().st_size == 0:
            continue
        try:
            uri = f"{path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(uri, uri=True)
            try:
                row = conn.execute("SELECT value FROM settings WHERE key='target_path'").fetchone()
                if row is None or _json_text(row[0]) != wanted:
                    continue
                row = conn.execute("SELECT value FROM settings WHERE key='split'").fetchone()
                other = _json_text(row[0]) if row is not None else "None"
                if split is not None and other not in ("None", split):
                    continue  # another split of the same folder, not an earlier version
                n = conn.execute(f"SELECT count(*) FROM labels WHERE {_HAS_LABEL}").fetchone()[0]
            finally:
                conn.close()
        except (sqlite3.Error, OSError):
            continue
        if n:
            found.append((path.stat().st_mtime, PreviousLabels(path, int(n), wanted)))
    if not found:
        return None
    return max(found, key=lambda t: t[0])[1]


def _json_text(value: str) -> str:
    import json

    try:
        return str(json.loads(value))
    except ValueError:
        return value
