"""Opening a finished analysis (``inspector analyze --out DIR``, local or Ray engine) with the
dataset it was made from: nothing is recomputed, everything is checked first.

:func:`open_analysis` reads ``DIR/analysis.parquet`` (one file, or a folder of shards named
``part-<row>.parquet`` in row order), ``proposed_filter.parquet`` with its ``manifest.json``
and ``run.json``, and returns what the window shows: the map (x, y, clusters and their names
per row), the analysis table the Issues lists read (flags, duplicate groups) and the proposals
review sessions and exports read. Before any of that it checks that ``DIR`` was made from this
data, with the check filter files use (the manifest's fingerprint and input files, its id
rule, then the rows' ids); when it was not, :class:`AnalysisMismatch` names ``DIR`` and what
differs. :func:`adopt_analysis` puts the proposals into the project's store (as Find issues
does) so labelling, review and export work on top.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inspector.core.errors import DataError
from inspector.core.jobs import NULL_PROGRESS, Progress

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset
    from inspector.core.project import Project

ANALYSIS = "analysis.parquet"
FILTER = "proposed_filter.parquet"
MANIFEST = "manifest.json"
RUN = "run.json"
MAP_COLUMNS = ("x", "y", "cluster", "cluster_label", "cluster_fine", "cluster_fine_label")
REQUIRED = ("id", "x", "y", "cluster", "cluster_fine")
#: what the Ray engine names its shards (output.write_block); nothing else is read
SHARD_NAME = re.compile(r"part-[0-9]{1,20}\.parquet")
MAX_JSON_BYTES = 16 * 1024 * 1024  # manifest.json and run.json are a few kB
HINT = "give the folder `inspector analyze --out DIR` wrote (analysis.parquet, manifest.json…)"


class AnalysisMismatch(DataError):
    """The analysis folder was made from other data than the dataset open."""


@dataclass(frozen=True)
class AnalysisFiles:
    """The files of an analysis folder, checked for shape (not yet against the data)."""

    folder: Path
    analysis: list[Path]  # one file, or the shards in row order
    filter: Path
    manifest: dict[str, Any]
    run: dict[str, Any]

    @property
    def sharded(self) -> bool:
        return self.analysis[0].parent.name == ANALYSIS


@dataclass
class OpenedAnalysis:
    """What the window takes from an analysis folder (rows in the dataset's order)."""

    folder: Path
    table: pl.DataFrame  # the analysis.parquet columns, one row per dataset row
    proposals: pl.DataFrame  # for the store: removals and flags, each group's kept row
    xy: np.ndarray  # float32 (rows, 2)
    coarse: np.ndarray
    names_coarse: dict[int, str]
    fine: np.ndarray
    names_fine: dict[int, str]
    manifest: dict[str, Any] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    reordered: bool = False  # the file's rows were in another order than the dataset's
    single_file: Path | None = None  # analysis.parquet when it is one file
    removed: int | None = None  # proposals to remove, counted when they were released

    @property
    def engine(self) -> str:
        return str(self.run.get("engine") or "local")

    def describe(self) -> str:
        """One line for the status bar and the Issues dock."""
        removed = self.removed if self.removed is not None else self.count_removed()
        seconds = self.run.get("seconds")
        took = f", {float(seconds):,.0f} s" if isinstance(seconds, int | float) else ""
        return (
            f"Analysis from {self.folder} ({self.engine} engine{took}): {self.table.height:,} rows"
            f" · {removed:,} proposed for removal"
        )

    def count_removed(self) -> int:
        if not self.proposals.height:
            return 0
        return int((self.proposals["action"] == "remove").sum())

    def release_proposals(self) -> None:
        """Drop the proposals once the store holds them (10M rows at 10M: gigabytes the
        window does not need twice); :meth:`describe` keeps their count."""
        self.removed = self.count_removed()
        self.proposals = self.proposals.clear()


# -- the files ------------------------------------------------------------------------------


def find_files(folder: str | Path) -> AnalysisFiles:
    """The analysis folder's files; :class:`DataError` naming what is missing or wrong."""
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise DataError("no such folder", file=folder, hint=HINT)
    if not folder.is_dir():
        raise DataError("is a file, not an analysis folder", file=folder, hint=HINT)
    analysis = folder / ANALYSIS
    if analysis.is_file():
        parts = [analysis]
    elif analysis.is_dir():
        parts = _shards(analysis)
    else:
        raise DataError(f"no {ANALYSIS} in this folder", file=folder, hint=HINT)
    manifest = _read_json(folder / MANIFEST, required=True)
    if manifest.get("filter_file") != FILTER:
        raise DataError(
            f"describes {manifest.get('filter_file')!r}, not {FILTER}",
            file=folder / MANIFEST,
            field="filter_file",
            hint=HINT,
        )
    dataset = manifest.get("dataset")
    if not isinstance(dataset, dict) or not isinstance(dataset.get("fingerprint"), str):
        raise DataError(
            "has no dataset fingerprint, so the data cannot be checked",
            file=folder / MANIFEST,
            field="dataset.fingerprint",
            hint="run inspector analyze again to write a complete folder",
        )
    filter_path = folder / FILTER
    if not filter_path.is_file():
        raise DataError(f"no {FILTER} in this folder", file=folder, hint=HINT)
    run = _read_json(folder / RUN, required=False)
    return AnalysisFiles(folder, parts, filter_path, manifest, run)


def _shards(parts: Path) -> list[Path]:
    """The shards of a sharded analysis, in row order; anything else in the folder is refused
    (a link or a stray name could be another file the user never meant to open)."""
    shards = []
    for entry in sorted(parts.iterdir(), key=lambda p: p.name):
        if not SHARD_NAME.fullmatch(entry.name) or entry.is_symlink() or not entry.is_file():
            raise DataError(
                "is not a shard of the analysis (expected plain files named part-<row>.parquet)",
                file=entry,
                hint="remove it, or run inspector analyze again",
            )
        shards.append(entry)
    if not shards:
        raise DataError("has no shards", file=parts, hint="run inspector analyze again")
    return sorted(shards, key=lambda p: int(p.name[5:-8]))


def _read_json(path: Path, *, required: bool) -> dict[str, Any]:
    if not path.is_file():
        if required:
            raise DataError(
                "is missing, so the folder cannot be checked against the data",
                file=path,
                hint=HINT,
            )
        return {}
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise DataError(f"is larger than {MAX_JSON_BYTES // 2**20} MB", file=path, hint=HINT)
        value = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"cannot be read: {exc}", file=path, hint=HINT) from exc
    if not isinstance(value, dict):
        raise DataError("is not a JSON object", file=path, hint=HINT)
    return value


# -- the check ------------------------------------------------------------------------------


def differences(dataset: Dataset, manifest: dict[str, Any]) -> list[str]:
    """How the data differs from what the analysis was made from ([] when it does not)."""
    from inspector.core.export.apply import check_data

    recorded = manifest.get("dataset") or {}
    problems: list[str] = []
    if recorded.get("fingerprint") != dataset.fingerprint:
        problems = check_data(dataset, manifest) or [
            f"fingerprint {str(recorded.get('fingerprint'))[:12]}…, this data's is "
            f"{dataset.fingerprint[:12]}…"
        ]
        split = recorded.get("split")
        if split != dataset.sources.split:
            problems.append(f"split {split!r}, this data's is {dataset.sources.split!r}")
        rows = recorded.get("rows")
        if isinstance(rows, int) and rows != dataset.height:
            problems.append(f"{rows:,} rows, this data has {dataset.height:,}")
    rule = manifest.get("id_rule")
    if rule and rule != dataset.id_rule:
        problems.append(
            f"rows identified by {rule}, this data by {dataset.id_rule} (open it with the "
            "same --id-column)"
        )
    return problems


def check_same_data(dataset: Dataset, files: AnalysisFiles) -> None:
    """Raise :class:`AnalysisMismatch` when ``files`` were made from other data."""
    problems = differences(dataset, files.manifest)
    if problems:
        raise _mismatch(dataset, files.folder, files.manifest, problems)


def _mismatch(
    dataset: Dataset, folder: Path, manifest: dict[str, Any], problems: list[str]
) -> AnalysisMismatch:
    target = (manifest.get("dataset") or {}).get("target")
    made_from = f" (it was made from {target})" if target else ""
    return AnalysisMismatch(
        f"was made from other data than {dataset.name}{made_from}:\n  - " + "\n  - ".join(problems),
        file=folder,
        hint="open the data it was made from, or run inspector analyze on this data",
    )


# -- reading --------------------------------------------------------------------------------


def read_table(files: AnalysisFiles, progress: Progress = NULL_PROGRESS) -> pl.DataFrame:
    """analysis.parquet (every shard, in order) as one frame; a truncated or foreign file is
    a :class:`DataError` naming it."""
    progress.status("reading the analysis", total=len(files.analysis))
    frames = []
    for path in files.analysis:
        progress.check()
        try:
            frames.append(pl.read_parquet(path))
        except BaseException as exc:  # noqa: BLE001 - polars raises many kinds, panics too
            from inspector.core.errors import reraise_interrupt

            reraise_interrupt(exc)
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DataError(
                f"cannot be read as Parquet: {first}",
                file=path,
                hint="the file is damaged or truncated: run inspector analyze again",
            ) from exc
        progress.advance()
    for path, frame in zip(files.analysis, frames):
        missing = [c for c in REQUIRED if c not in frame.columns]
        if missing:
            raise DataError(
                f"has no column {', '.join(missing)}: it is not an analysis.parquet",
                file=path,
                field=missing[0],
                hint="run inspector analyze again",
            )
    try:
        # the shards' chunks kept as they are: a rechunked copy doubled the table (5+ GB at
        # 10M rows)
        return (
            pl.concat(frames, how="vertical_relaxed", rechunk=False)
            if len(frames) > 1
            else frames[0]
        )
    except (pl.exceptions.PolarsError, ValueError) as exc:
        raise DataError(
            f"its shards have different columns: {str(exc).splitlines()[0]}",
            file=files.analysis[0].parent,
            hint="run inspector analyze again",
        ) from exc


def align(table: pl.DataFrame, dataset: Dataset, files: AnalysisFiles) -> tuple[pl.DataFrame, bool]:
    """``table`` in the dataset's row order (True when it had to be reordered); an id the
    data does not hold is a mismatch. A table reordered by its rows' places is consumed
    (its columns move into the result)."""
    ids = dataset.ids.cast(pl.String)
    if table.height != dataset.height:
        raise _mismatch(
            dataset,
            files.folder,
            files.manifest,
            [f"{table.height:,} rows in {ANALYSIS}, this data has {dataset.height:,}"],
        )
    got = table["id"].cast(pl.String)
    # equal ids: the table shares the dataset's (one copy of 10M 64-character ids, not two)
    if got.equals(ids, check_names=False):
        return table.with_columns(ids.alias("id")), False
    pos = _places(table, dataset)  # by file and row: numbers, no join on 10M strings
    if pos is not None and got.equals(ids.gather(pos), check_names=False):
        order = np.empty(len(pos), np.int64)
        order[pos] = np.arange(len(pos))
        return _gathered(table, order, ids), True
    where = pl.DataFrame({"id": ids, "__pos": np.arange(dataset.height, dtype=np.int64)})
    joined = table.with_columns(got.alias("id")).join(where, on="id", how="left")
    unknown = joined.filter(pl.col("__pos").is_null())
    if unknown.height or joined["__pos"].n_unique() != dataset.height:
        example = f" (e.g. {unknown['id'][0]!r})" if unknown.height else ""
        raise _mismatch(
            dataset,
            files.folder,
            files.manifest,
            [f"{max(unknown.height, 1):,} row ids this data does not hold{example}"],
        )
    return joined.sort("__pos").drop("__pos"), True


def _gathered(table: pl.DataFrame, order: np.ndarray, ids: pl.Series) -> pl.DataFrame:
    """``table``'s rows in ``order`` with ``ids`` as its id column, a column at a time: each
    column leaves ``table`` as its reordered copy is made (``table`` is emptied), so the
    reordering needs one column more, not a second table (5.5 GB at 10M rows)."""
    names = table.columns
    out: dict[str, pl.Series] = {}
    for name in names:
        column = table.drop_in_place(name)
        out[name] = ids.alias("id") if name == "id" else column.gather(order)
        del column
    return pl.DataFrame([out[name] for name in names])


def _places(table: pl.DataFrame, dataset: Dataset) -> np.ndarray | None:
    """Each analysis row's dataset row from its ``source_file`` and ``row_index`` (None when
    they are missing or do not name every dataset row once)."""
    from inspector.core.data.dataset import SOURCE

    if not {"source_file", "row_index"} <= set(table.columns):
        return None
    n = dataset.height
    firsts = (
        dataset.frame.select(pl.col(SOURCE).cast(pl.String))
        .with_row_index("__at")
        .group_by(SOURCE)
        .agg(pl.col("__at").min())
    )
    start = (
        table["source_file"]
        .cast(pl.String)
        .replace_strict(
            dict(zip(firsts[SOURCE].to_list(), firsts["__at"].to_list(), strict=True)),
            default=None,
            return_dtype=pl.Int64,
        )
    )
    if start.null_count() or table["row_index"].null_count():
        return None
    pos = (start + table["row_index"].cast(pl.Int64)).to_numpy()
    if not len(pos) or pos.min() < 0 or pos.max() >= n:
        return None
    if np.bincount(pos, minlength=n).max() != 1:
        return None
    return pos


def map_arrays(
    table: pl.DataFrame,
) -> tuple[np.ndarray, np.ndarray, dict[int, str], np.ndarray, dict[int, str]]:
    """(xy, coarse, names_coarse, fine, names_fine) as the map dock takes them."""
    xy = np.column_stack(
        [table["x"].cast(pl.Float32).to_numpy(), table["y"].cast(pl.Float32).to_numpy()]
    ).astype(np.float32, copy=False)
    out: list[Any] = [np.where(np.isfinite(xy), xy, np.nan).astype(np.float32)]
    for code, label in (("cluster", "cluster_label"), ("cluster_fine", "cluster_fine_label")):
        codes = table[code].fill_null(-1).cast(pl.Int64).to_numpy()
        names: dict[int, str] = {}
        if label in table.columns:
            pairs = table.select(pl.col(code).cast(pl.Int64), pl.col(label).cast(pl.String))
            pairs = pairs.filter(pl.col(code) >= 0).unique(subset=code, keep="first")
            names = {int(c): str(n or "") for c, n in pairs.sort(code).iter_rows()}
        out += [codes, names]
    return out[0], out[1], out[2], out[3], out[4]


def proposals_from(table: pl.DataFrame, rules: Any) -> pl.DataFrame:
    """The store's proposals for ``table``, as Find issues saves them: removals and flags
    (:meth:`JunkResult.proposals`) and each duplicate group's kept row (action keep)."""
    from inspector.core.junk.junk import JunkResult
    from inspector.core.junk.project_junk import flag_columns, proposals_with_keepers
    from inspector.core.pairs.finders import LISTED_ONLY

    if "dup_removed" not in table.columns:
        table = table.with_columns(
            dup_removed=pl.lit(False),
            dup_kind=pl.lit(None, pl.String),
            dup_group=pl.lit(None, pl.Int64),
            dup_representative=pl.lit(None, pl.String),
            dup_similarity=pl.lit(None, pl.Float32),
        )
    table = table.with_columns(pl.col("id").cast(pl.String), pl.col("dup_removed").fill_null(False))
    flags = [f for f in flag_columns(table) if f not in LISTED_ONLY]
    table = table.with_columns(pl.col(f).fill_null(False) for f in flags)
    return proposals_with_keepers(JunkResult(table, rules, flag_columns=flags))


def open_analysis(
    dataset: Dataset,
    folder: str | Path,
    progress: Progress = NULL_PROGRESS,
    *,
    rules_path: str | None = None,
) -> OpenedAnalysis:
    """The analysis in ``folder`` for ``dataset`` (ids ready), checked against it first.

    Raises :class:`DataError` for a folder that is not a whole analysis, and
    :class:`AnalysisMismatch` (a DataError) when it was made from other data."""
    from inspector.core.export.filter_text import FilterError
    from inspector.core.export.filterfile import verify_filter_file
    from inspector.core.junk.quality_rules import load_rules

    files = find_files(folder)
    check_same_data(dataset, files)
    try:  # its sha256 and counts must match the manifest beside it
        verify_filter_file(files.filter)
    except FilterError as exc:
        raise DataError(str(exc), hint="run inspector analyze again") from exc
    table, reordered = align(read_table(files, progress), dataset, files)
    progress.status("reading the map")
    xy, coarse, names_c, fine, names_f = map_arrays(table)
    progress.check()
    proposals = proposals_from(table, load_rules(rules_path))
    return OpenedAnalysis(
        files.folder,
        table,
        proposals,
        xy,
        coarse,
        names_c,
        fine,
        names_f,
        files.manifest,
        files.run,
        reordered,
        None if files.sharded else files.analysis[0],
    )


def adopt_analysis(project: Project, opened: OpenedAnalysis) -> int:
    """Make ``opened`` the project's analysis: its proposals into the store (source
    ``junk``, replacing an earlier analysis's) and, for a single file in the data's row
    order, the store's pointer to it (so reopening the data shows it again). Returns the
    number of proposals stored."""
    from inspector.core.export.filterfile import save_proposals
    from inspector.core.junk.project_junk import PROPOSAL_SOURCE, STORE_KEY

    stored = save_proposals(project.store, opened.proposals, source=PROPOSAL_SOURCE)
    run = opened.run
    info: dict[str, Any] = {
        "folder": str(opened.folder),
        "engine": opened.engine,
        "threshold": run.get("semantic_threshold"),
        "model": run.get("model") or opened.manifest.get("embedding_model"),
        "rows": opened.table.height,
        "params": {"map": {"model": run.get("model") or "default"}},
        "findings": [],
    }
    if opened.single_file is not None and not opened.reordered:
        info["path"] = str(opened.single_file)
    project.store.set(STORE_KEY, info)
    return stored
