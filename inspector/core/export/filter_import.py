"""Importing a filter file back into a project: as decisions (one undoable command, so a
curator can take back a whole import) or as proposals beside the junk finders' own.

Reads what :func:`inspector.core.export.filterfile.read_filter` reads: our own files, plain id lists
and NeMo Curator removal lists. A row of the file that carries ``content_sha256`` is matched
by id only if the data's row still has that content: a decision made on other content is
refused (``match_by_id`` imports it anyway and counts it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from inspector.core.data.dataset import content_sha256
from inspector.core.export.filterfile import FilterError, read_filter, save_proposals
from inspector.core.export.outputs import check_not_input
from inspector.core.labels import states

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset
    from inspector.core.labels.commands import Changes
    from inspector.core.labels.labelbook import LabelBook


@dataclass(frozen=True)
class ImportResult:
    kind: str  # the file's kind (see FilterFile)
    as_: str  # decisions | proposals
    rows: int  # rows in the file
    matched: int  # ids found in the dataset
    not_found: int
    by_action: dict[str, int] = field(default_factory=dict)
    changed: int = 0  # matched rows whose content differs from the file's content_sha256
    changes: Changes | None = None  # as decisions: what the import command changed


def import_filter(
    book: LabelBook,
    path: str | Path,
    *,
    as_: str = "decisions",
    reason: str | None = None,
    source: str | None = None,
    match_by_id: bool = False,
) -> ImportResult:
    """Read a filter file back as decisions (one undoable command) or as proposals.

    ``remove`` becomes ``drop``, ``keep`` stays, ``flag`` becomes ``unsure``. ``reason``
    overrides the file's reasons (default: the file's, else ``imported``). Annotator and
    timestamp are the file's where it has them. The file's notes come in; a row keeps its own
    note where the file has none.

    A row whose ``content_sha256`` in the file is not the data's row's raises
    :class:`FilterError` naming the first few, unless ``match_by_id``.
    """
    from inspector.core.labels.commands import SetStates

    if as_ not in ("decisions", "proposals"):
        raise FilterError(f"import as '{as_}': use decisions or proposals")
    check_not_input(book.dataset, path)
    ff = read_filter(path)
    dataset_rule = book.dataset.id_rule
    foreign = [k for k in ff.id_kinds if k != dataset_rule]
    if foreign:
        raise FilterError(
            f"{ff.path}: the file identifies rows by {foreign[0]}, this dataset by "
            f"{dataset_rule}; open the data so the id rules agree "
            f"({_id_hint(foreign[0])})"
        )
    frame = ff.frame.unique(subset="id", keep="first", maintain_order=True)
    rows = book.rows_of(frame["id"].to_list())
    found = rows >= 0
    frame = frame.filter(pl.Series(found))
    rows = rows[found]
    changed = _changed_content(book.dataset, frame, rows)
    if changed and not match_by_id:
        first = ", ".join(f"{i} (row {r + 1:,})" for i, r in changed[:3])
        raise FilterError(
            f"{ff.path}: {len(changed):,} rows have other content in the data than when the "
            f"file was made (its content_sha256 differs), e.g. {first}; its decisions may not "
            "fit them. Export the filter again from the current data, or import by ids "
            "alone (--match-by-id)"
        )
    by_action = {a: int((frame["action"] == a).sum()) for a in states.ACTIONS}
    if reason:
        frame = frame.with_columns(pl.lit(reason, pl.String).alias("reason"))
    result = ImportResult(
        ff.kind,
        as_,
        ff.frame.height,
        int(found.sum()),
        int((~found).sum()),
        by_action,
        len(changed),
    )
    if as_ == "proposals":
        save_proposals(
            book.store,
            frame.select(
                "id", "action", "reason", "group_id", "representative_id", "similarity", "score"
            ).with_columns(pl.col("reason").fill_null("imported")),
            source=source or f"import:{ff.path.name}",
        )
        return result
    imported = _import_states(frame, ff.kind, book.annotator)
    changes = book.execute(
        SetStates(
            rows,
            imported,
            title=f"import {imported.height:,} decisions from {ff.path.name}",
            keep_notes=True,
        )
    )
    return replace(result, changes=changes)


def _changed_content(
    dataset: Dataset, frame: pl.DataFrame, rows: np.ndarray
) -> list[tuple[str, int]]:
    """(id, row) of the file's rows whose ``content_sha256`` is not the data's row's."""
    if not frame.height or not frame["content_sha256"].is_not_null().any():
        return []
    recorded = frame["content_sha256"]
    mask = recorded.is_not_null().to_numpy()
    at = rows[mask]
    cached = dataset._content_hashes
    if cached is not None:
        current = cached.gather(at)
    else:
        current = content_sha256(dataset.frame.select(dataset.user_columns)[at])
    differ = (current != recorded.filter(pl.Series(mask))).fill_null(True).to_numpy()
    ids = frame["id"].filter(pl.Series(mask)).filter(pl.Series(differ)).to_list()
    return list(zip(ids, at[differ].tolist()))


def _import_states(frame: pl.DataFrame, kind: str, annotator: str) -> pl.DataFrame:
    """Label states (``LABEL_FIELDS``, tags as JSON text) for imported filter rows.

    Our files carry the human decision in ``label``; a flagged row of ours with tags or a note
    but no label was only tagged or noted. Everything else follows the action. The file's annotator and
    timestamp are kept where it has them (a proposal's ``auto:`` annotator is not a person).
    """
    action = pl.col("action").replace_strict(states.DECISION_OF_ACTION, return_dtype=pl.String)
    only_tagged = (  # tagged or noted, not decided: flagged in the file, no label
        pl.lit(kind == "inspector")
        & (pl.col("action") == "flag")
        & pl.col("label").is_null()
        & ((pl.col("tags").list.len() > 0) | pl.col("note").is_not_null())
    )
    decision = (
        pl.when(pl.col("label").is_in(list(states.DECISIONS)))
        .then(pl.col("label"))
        .when(only_tagged)
        .then(pl.lit(None, pl.String))
        .otherwise(action)
    )
    person = pl.col("annotator").is_not_null() & ~pl.col("annotator").str.starts_with("auto:")
    tags = [states.encode_tags(states.normalise_tags(t or ())) for t in frame["tags"].to_list()]
    return frame.select(
        decision.alias("decision"),
        pl.Series("tags", tags, pl.String),
        pl.when(decision.is_not_null())
        .then(pl.col("reason").fill_null("imported"))
        .otherwise(pl.col("reason"))
        .alias("reason"),
        pl.col("note"),  # the file's note; a row's own note stays where the file has none
        "group_id",
        "representative_id",
        pl.when(person).then(pl.col("annotator")).otherwise(pl.lit(annotator)).alias("annotator"),
        pl.col("timestamp").fill_null(states.utc_now()),
    )


def _id_hint(kind: str) -> str:
    if kind.startswith("column:"):
        return f"--id-column {kind.split(':', 1)[1]}"
    return "without --id-column, so rows are identified by content_sha256"
