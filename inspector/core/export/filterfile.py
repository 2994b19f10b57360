"""Filter files: the decisions (and junk-finder proposals) a training pipeline consumes.

One row per decided sample, columns :data:`FILTER_SCHEMA`, as Parquet (default), JSON lines,
CSV (tags joined with ``|``) or ``ids`` (one removed id per line). Beside it a
``manifest.json`` names the schema version, the id rule, every input file with its hash and
row count, the embedding model and rules used, and counts by action and reason; ``apply``
checks the data against it. Writes are atomic (a temp file, then ``os.replace``).

Reading accepts our own files, a plain id list, and a Parquet file (or folder of shards) with
an ``id`` column as NeMo Curator writes for removal lists. See ``docs/filter-format.md``.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from inspector import __version__
from inspector.core.atomic import atomic_write
from inspector.core.data.dataset import ID, ROW, SOURCE, content_sha256, file_sha256
from inspector.core.export.filter_text import (
    BOM,
    FilterError,
    check_actions,
    check_ids_format,
    conform,
    decode_ids,
    neutralise_csv,
    parse_ids,
    restore_csv,
)
from inspector.core.export.outputs import check_outputs

# the proposals live in proposal_files; their functions are re-exported for the callers here
from inspector.core.export.proposal_files import PROPOSAL_SCHEMA as PROPOSAL_SCHEMA
from inspector.core.export.proposal_files import clear_proposals as clear_proposals
from inspector.core.export.proposal_files import load_proposals as load_proposals
from inspector.core.export.proposal_files import save_proposals as save_proposals
from inspector.core.labels import states

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset
    from inspector.core.store import ProjectStore

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
FORMATS = ("parquet", "jsonl", "csv", "ids")
SUFFIX_FORMATS = {
    ".parquet": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".txt": "ids",
    ".ids": "ids",
}
FILTER_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "id_kind": pl.String(),
    "source_file": pl.String(),
    "row_index": pl.Int64(),
    "content_sha256": pl.String(),
    "action": pl.String(),
    "label": pl.String(),
    "tags": pl.List(pl.String()),
    "reason": pl.String(),
    "group_id": pl.String(),
    "representative_id": pl.String(),
    "similarity": pl.Float64(),
    "score": pl.Float64(),
    "annotator": pl.String(),
    "timestamp": pl.String(),
    "tool_version": pl.String(),
    "note": pl.String(),  # the curator's note on the row (last, so older readers are unmoved)
}
# Column names NeMo Curator and similar tools use for document ids, in order of preference.
ID_COLUMN_NAMES = ("id", "_curator_dedup_id", "adlr_id", "doc_id", "document_id")
_ACTION_RANK = {"remove": 0, "flag": 1, "keep": 2}


# -- building the filter frame ----------------------------------------------------------------


def build_filter(
    dataset: Dataset, store: ProjectStore, proposals: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The filter rows: every labelled row, plus ``proposals`` for rows without a human
    decision (a human decision always wins). Columns :data:`FILTER_SCHEMA`."""
    humans = states.labels_frame(store)
    decided = humans.filter(pl.col("decision").is_not_null())
    human_rows = humans.with_columns(
        pl.col("decision")
        .replace_strict(states.ACTION_OF_DECISION, default="flag")
        .alias("action"),
        pl.col("decision").alias("label"),
    )
    parts = []
    if proposals is not None and proposals.height:
        prop = conform(proposals, PROPOSAL_SCHEMA, what="proposals", required=("id", "action"))
        check_actions(prop, "proposals")
        prop = (
            prop.with_columns(pl.col("action").replace_strict(_ACTION_RANK).alias("_rank"))
            .with_row_index("_order")
            .sort(["_rank", "_order"])
            .unique(subset="id", keep="first", maintain_order=True)
            .drop("_rank", "_order")
        )
        # Human rows keep the proposal's similarity/score (they describe the row).
        human_rows = human_rows.join(prop.select("id", "similarity", "score"), on="id", how="left")
        open_props = prop.join(decided.select("id"), on="id", how="anti")
        # A row a human only tagged or noted takes the proposal's action, with the tags.
        tagged = humans.filter(pl.col("decision").is_null()).select("id", "tags", "note")
        open_props = open_props.join(tagged, on="id", how="left")
        human_rows = human_rows.join(open_props.select("id"), on="id", how="anti")
        parts.append(_proposal_rows(dataset, open_props))
    else:
        human_rows = human_rows.with_columns(
            pl.lit(None, pl.Float64).alias("similarity"), pl.lit(None, pl.Float64).alias("score")
        )
    parts.insert(0, human_rows)
    frame = pl.concat([_finish(p, dataset.id_rule) for p in parts], how="vertical")
    return frame.sort(["source_file", "row_index", "id"], nulls_last=True)


def _proposal_rows(dataset: Dataset, prop: pl.DataFrame) -> pl.DataFrame:
    where = (
        dataset.frame.select(pl.col(ID).cast(pl.String).alias("id"), SOURCE, ROW)
        .with_row_index("_pos")
        .join(prop.select("id"), on="id", how="semi")
    )
    hashes: list[str] = []
    if where.height:
        positions = where["_pos"].cast(pl.Int64).to_numpy()
        cached = dataset._content_hashes
        if cached is not None:
            hashes = cached.gather(positions).to_list()
        else:
            subset = dataset.frame.select(pl.col(dataset.user_columns).gather(positions))
            hashes = content_sha256(subset).to_list()
    where = where.with_columns(pl.Series("content_sha256", hashes, pl.String)).rename(
        {SOURCE: "source_file", ROW: "row_index"}
    )
    return prop.join(where.drop("_pos"), on="id", how="left").with_columns(
        pl.lit(None, pl.String).alias("label"),
        ("auto:" + pl.col("source").fill_null("unknown")).alias("annotator"),
        pl.lit(None, pl.String).alias("timestamp"),
    )


def _finish(frame: pl.DataFrame, id_rule: str) -> pl.DataFrame:
    frame = frame.with_columns(
        pl.lit(id_rule, pl.String).alias("id_kind"),
        pl.lit(__version__, pl.String).alias("tool_version"),
    )
    if "tags" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.List(pl.String)).alias("tags"))
    frame = frame.with_columns(pl.col("tags").fill_null(pl.lit([], pl.List(pl.String))))
    return frame.select(
        pl.col(c).cast(t) if c in frame.columns else pl.lit(None, t).alias(c)
        for c, t in FILTER_SCHEMA.items()
    )


# -- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    path: Path
    manifest_path: Path
    format: str
    rows: int  # rows (or, for ids, lines) written
    counts: dict[str, Any]


def format_for(path: str | Path, fmt: str | None = None) -> str:
    """The format asked for, else the one the file name implies, else Parquet."""
    if fmt:
        if fmt not in FORMATS:
            raise FilterError(f"unknown filter format '{fmt}': use {', '.join(FORMATS)}")
        return fmt
    return SUFFIX_FORMATS.get(Path(path).suffix.lower(), "parquet")


def export_filter(
    dataset: Dataset,
    store: ProjectStore,
    out: str | Path,
    *,
    format: str | None = None,
    proposals: pl.DataFrame | None = None,
    embedding_model: Any = None,
    rules: Any = None,
    thresholds: Any = None,
) -> ExportResult:
    """Write the filter file, then its ``manifest.json`` naming the filter's sha256 and
    counts (each atomically), and return counts. A reader that finds a manifest whose
    ``filter_sha256`` is not the filter's refuses the pair, so a run killed between the two
    renames (a new filter beside the old manifest) is never taken as valid.

    ``proposals`` (columns as :data:`PROPOSAL_SCHEMA`) are included for rows without a human
    decision; ``embedding_model``, ``rules`` and ``thresholds`` are recorded in the manifest.
    Raises :class:`~inspector.core.export.outputs.OutputError` for an ``out`` that is or joins the
    input, :class:`FilterError` for ids the chosen format cannot hold.
    """
    out = Path(out)
    fmt = format_for(out, format)
    manifest_path = out.parent / MANIFEST_NAME
    if out.name == MANIFEST_NAME:
        raise FilterError(
            f"{out}: the manifest is written under that name; call the filter "
            "file something else (e.g. filter.parquet)"
        )
    if out.is_dir():
        raise FilterError(f"{out} is a folder; give a file name (e.g. {out / 'filter.parquet'})")
    check_outputs(dataset, [out, manifest_path], store=store)
    frame = build_filter(dataset, store, proposals)
    rows, sha = _write_filter(frame, out, fmt)
    manifest = make_manifest(
        dataset,
        frame,
        out,
        fmt,
        embedding_model=embedding_model,
        rules=rules,
        thresholds=thresholds,
        filter_sha256=sha,
    )
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    atomic_write(manifest_path, lambda p: p.write_text(text, "utf-8"))
    return ExportResult(out, manifest_path, fmt, rows, manifest["counts"])


def write_filter(frame: pl.DataFrame, out: str | Path, fmt: str = "parquet") -> int:
    """Write ``frame`` (columns :data:`FILTER_SCHEMA`) atomically; returns rows written."""
    return _write_filter(frame, Path(out), fmt)[0]


def _write_filter(frame: pl.DataFrame, out: Path, fmt: str) -> tuple[int, str]:
    """Write the filter file; returns (rows or ids written, sha256 of the bytes written),
    the hash taken from the temp file before it is renamed into place."""
    if fmt not in FORMATS:
        raise FilterError(f"unknown filter format '{fmt}': use {', '.join(FORMATS)}")
    sha: list[str] = []
    rows = frame.height

    def hashed(write):
        def run(tmp: Path) -> None:
            write(tmp)
            sha.append(file_sha256(tmp))

        return run

    if fmt == "parquet":
        atomic_write(out, hashed(lambda p: frame.write_parquet(p, compression="zstd")))
    elif fmt == "jsonl":
        atomic_write(out, hashed(lambda p: frame.write_ndjson(p)))
    elif fmt == "csv":
        flat = neutralise_csv(frame.with_columns(pl.col("tags").list.join("|")))
        atomic_write(out, hashed(lambda p: flat.write_csv(p)))
    else:
        ids = removed_ids(frame)
        check_ids_format(ids)
        data = "".join(f"{i}\n" for i in ids).encode("utf-8")
        atomic_write(out, hashed(lambda p: p.write_bytes(data)))
        rows = len(ids)
    return rows, sha[0]


def removed_ids(frame: pl.DataFrame) -> list[str]:
    return frame.filter(pl.col("action") == "remove")["id"].unique(maintain_order=True).to_list()


def make_manifest(
    dataset: Dataset,
    frame: pl.DataFrame,
    out: Path,
    fmt: str,
    *,
    embedding_model: Any = None,
    rules: Any = None,
    thresholds: Any = None,
    filter_sha256: str | None = None,
) -> dict[str, Any]:
    def tally(column: str, source: pl.DataFrame) -> dict[str, int]:
        counted = source.group_by(column).len().sort(column, nulls_last=True)
        return {str(k) if k is not None else "(none)": int(n) for k, n in counted.iter_rows()}

    human = frame.filter(~pl.col("annotator").fill_null("").str.starts_with("auto:"))
    counts = {
        "rows": frame.height,
        "by_action": {a: int((frame["action"] == a).sum()) for a in states.ACTIONS},
        "by_reason": tally("reason", frame),
        "by_origin": {"human": human.height, "proposal": frame.height - human.height},
    }
    if fmt == "ids":
        counts["ids_written"] = len(removed_ids(frame))
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": "inspector",
        "tool_version": __version__,
        "created": states.utc_now(),
        "filter_file": out.name,
        "format": fmt,
        "filter_sha256": filter_sha256 or file_sha256(Path(out)),
        "columns": list(FILTER_SCHEMA) if fmt != "ids" else ["id"],
        "id_rule": dataset.id_rule,
        "dataset": {
            "target": str(dataset.target),
            "kind": dataset.sources.kind,
            "split": dataset.sources.split,
            "rows": dataset.height,
            "fingerprint": dataset.fingerprint,
        },
        "input_files": [f.to_json() for f in dataset.files],
        "embedding_model": embedding_model,
        "rules": rules,
        "thresholds": thresholds,
        "counts": counts,
    }
    if fmt == "csv":
        manifest["csv_neutralised"] = True  # see neutralise_csv; import-filter undoes it
    return manifest


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterFile:
    """A filter file read back, normalised to :data:`FILTER_SCHEMA`."""

    path: Path
    kind: str  # inspector | id_table | id_list
    frame: pl.DataFrame
    manifest: dict | None = None

    @property
    def id_kinds(self) -> list[str]:
        return [k for k in self.frame["id_kind"].unique().to_list() if k]


def read_filter(path: str | Path) -> FilterFile:
    """Read our filter file, a plain id list, or a Parquet/JSONL/CSV table with an id column
    (every row of which is taken as ``remove`` unless it has an ``action`` column).

    A ``manifest.json`` beside it that names this file must hold the file's sha256 and its
    counts; a mismatch (a filter replaced or edited after export, an export killed between
    the two renames) raises :class:`FilterError`."""
    path = Path(path)
    if not path.exists():
        raise FilterError(f"{path}: file not found")
    manifest = read_manifest(path)
    data = None
    if path.is_file():  # read once: the bytes hashed are the bytes parsed
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise FilterError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if manifest is not None and data is not None:
        _check_hash(path, manifest, hashlib.sha256(data).hexdigest())
    try:
        raw, kind = _read_any(path, data)
    except FilterError:
        raise
    except Exception as exc:  # noqa: BLE001 - polars/pyarrow raise many kinds
        raise FilterError(f"{path}: cannot read: {str(exc).splitlines()[0]}") from exc
    if manifest is not None and manifest.get("csv_neutralised") and kind != "id_list":
        raw = restore_csv(raw)
    if kind != "id_list":
        id_col = next((c for c in ID_COLUMN_NAMES if c in raw.columns), None)
        if id_col is None and raw.width == 1:
            id_col = raw.columns[0]
        if id_col is None:
            raise FilterError(
                f"{path}: no id column; expected one of {', '.join(ID_COLUMN_NAMES)} "
                f"(columns are {', '.join(raw.columns)})"
            )
        if id_col != "id":
            raw = raw.drop("id", strict=False).rename({id_col: "id"})
        kind = "inspector" if {"action", "id_kind"} <= set(raw.columns) else "id_table"
    if "tags" in raw.columns and raw.schema["tags"] == pl.String:
        raw = raw.with_columns(
            pl.when(pl.col("tags").fill_null("") == "")
            .then(pl.lit([], pl.List(pl.String)))
            .otherwise(pl.col("tags").str.split("|"))
            .alias("tags")
        )
    if "action" not in raw.columns:
        raw = raw.with_columns(pl.lit("remove", pl.String).alias("action"))
    frame = conform(raw, FILTER_SCHEMA, what=str(path), required=("id",))
    frame = frame.with_columns(pl.col("tags").fill_null(pl.lit([], pl.List(pl.String))))
    if frame["id"].null_count():
        raise FilterError(f"{path}: {frame['id'].null_count()} rows have no id")
    check_actions(frame, str(path))
    if manifest is not None:
        _check_counts(path, manifest, frame)
    return FilterFile(path, kind, frame, manifest)


def _read_any(path: Path, data: bytes | None) -> tuple[pl.DataFrame, str]:
    if data is None:
        if not path.is_dir():
            raise FilterError(f"{path}: not a regular file or a folder of .parquet files")
        shards = sorted(p for p in path.rglob("*.parquet") if not p.name.startswith("."))
        if not shards:
            raise FilterError(f"{path}: the folder holds no .parquet files")
        return pl.concat([pl.read_parquet(s) for s in shards], how="diagonal_relaxed"), "table"
    suffix = path.suffix.lower()
    head = data[:7].removeprefix(BOM)[:4]
    if suffix == ".parquet" or head == b"PAR1":
        return pl.read_parquet(io.BytesIO(data)), "table"
    if suffix in (".jsonl", ".ndjson") or (suffix not in (".csv", ".tsv") and head[:1] == b"{"):
        return pl.read_ndjson(io.BytesIO(data), infer_schema_length=None), "table"
    if suffix in (".csv", ".tsv"):
        sep = "\t" if suffix == ".tsv" else ","
        frame = pl.read_csv(io.BytesIO(data), separator=sep, infer_schema=False)
        return frame, "table"
    ids = parse_ids(decode_ids(data, path))
    return pl.DataFrame({"id": ids}, schema={"id": pl.String}), "id_list"


def verify_filter_file(path: str | Path) -> None:
    """The checks :func:`read_filter` makes against the manifest beside a Parquet filter
    (its sha256, its counts), reading only the file's bytes (streamed) and its ``action``
    column: a 10M-row filter read whole held ~3 GB only to be checked. Any other filter is
    read whole."""
    path = Path(path)
    manifest = read_manifest(path)
    if manifest is None or not path.is_file() or path.suffix.lower() != ".parquet":
        read_filter(path)
        return
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        raise FilterError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    _check_hash(path, manifest, digest.hexdigest())
    try:
        actions = pl.read_parquet(path, columns=["action"])
    except Exception as exc:  # noqa: BLE001 - polars raises many kinds
        raise FilterError(f"{path}: cannot read: {str(exc).splitlines()[0]}") from exc
    _check_counts(path, manifest, actions)


def read_manifest(filter_path: str | Path) -> dict | None:
    """The ``manifest.json`` beside a filter file if it describes that file, else ``None``."""
    filter_path = Path(filter_path)
    folder = filter_path if filter_path.is_dir() else filter_path.parent
    candidate = folder / MANIFEST_NAME
    if not candidate.is_file() or candidate == filter_path:
        return None
    try:
        manifest = json.loads(candidate.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise FilterError(f"{candidate}: cannot read the manifest: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("filter_file") != filter_path.name:
        return None
    return manifest


def _check_hash(path: Path, manifest: dict, actual: str) -> None:
    recorded = manifest.get("filter_sha256")
    if recorded == actual:
        return
    said = f"names sha256 {str(recorded)[:12]}…" if recorded else "names no filter_sha256"
    raise FilterError(
        f"{path}: does not match the {MANIFEST_NAME} beside it (the manifest {said}, the file "
        f"is {actual[:12]}…): the filter was replaced or edited after export, or an export "
        "was interrupted. Export it again; to use this file as it is, move it away from the "
        "manifest (apply then needs --match-by-id)"
    )


def _check_counts(path: Path, manifest: dict, frame: pl.DataFrame) -> None:
    counts = manifest.get("counts") or {}
    if manifest.get("format") == "ids":
        expected = {"ids": counts.get("ids_written")}
        found: dict[str, Any] = {"ids": frame.height}
    else:
        expected = {"rows": counts.get("rows"), **(counts.get("by_action") or {})}
        found = {"rows": frame.height}
        found.update({a: int((frame["action"] == a).sum()) for a in states.ACTIONS})
    differ = [k for k in expected if expected[k] != found.get(k)]
    if differ:
        shown = ", ".join(
            f"{k} {expected[k]} in the manifest, {found.get(k)} in the file" for k in differ
        )
        raise FilterError(
            f"{path}: its counts do not match the {MANIFEST_NAME} beside it ({shown}); "
            "export the filter again"
        )
