"""``inspector select``: the best N rows of a project, spread over its embedding space.

:func:`select_subset` is a plain job (``run(params, progress) -> result``) the CLI and the
window share; it writes nothing. :func:`write_selection` writes the filter file (``keep``
for the N rows, reason ``selected``; ``remove`` for the rest, reason ``not_selected``), its
manifest and ``<filter>.report.json``, so ``inspector apply`` writes the subset.

Never picked: rows a person dropped or marked unsure, rows proposed for removal (the
finders' duplicates and quality removals, stored proposals of any source) unless a person
kept them. Weights: the learned keep_probability when a quality model was saved, else
``0.5 ** flags`` from the last analysis (and 0.5 for a row a finder proposes to flag).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inspector.core.errors import DataError
from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.project import Project
from inspector.core.select.diversity import (
    kmeans_cells,
    nearest_selected_distance,
    select_diverse,
    unit,
)

STRATEGIES = ("diversity", "quality", "both")
COVERAGE_SAMPLE = 5_000  # rows the mean nearest-selected distance is measured on, at most
REASON_SELECTED = "selected"
REASON_NOT_SELECTED = "not_selected"
ANNOTATOR = "auto:select"


@dataclass(frozen=True)
class SelectParams:
    n: int
    by: str = "both"
    per: str | None = None  # a column: at most an equal share of N per value
    per_max: int | None = None  # the cap per value (default: ceil(N / values))
    seed: int = 0
    # what the vectors are: None fields take the project's map (its model, field, column)
    model: str | None = None
    embed_field: str | None = None
    vectors_column: str | None = None

    def check(self, project: Project) -> None:
        if self.n < 1:
            raise DataError(f"--n {self.n}: give a number of rows of at least 1", field="--n")
        if self.by not in STRATEGIES:
            raise DataError(f"--by {self.by}: use {', '.join(STRATEGIES)}", field="--by")
        if self.per and self.per not in project.dataset.user_columns:
            raise DataError(
                f"--per {self.per}: no such column",
                field=self.per,
                hint=f"columns: {', '.join(project.dataset.user_columns)}",
            )
        if self.per_max is not None and self.per_max < 1:
            raise DataError(f"--per-max {self.per_max}: give at least 1", field="--per-max")


@dataclass
class SelectResult:
    rows: np.ndarray  # selected row positions, ascending
    eligible: np.ndarray  # bool per row: could be picked
    report: dict[str, Any]
    params: SelectParams
    excluded: dict[str, int] = field(default_factory=dict)


def select_subset(
    project: Project, params: SelectParams, progress: Progress = NULL_PROGRESS
) -> SelectResult:
    """Pick ``params.n`` rows of ``project`` (see the module doc); nothing is written."""
    params.check(project)
    ds = project.dataset
    n_rows = ds.height
    progress.status("select: reading labels and findings")
    eligible, excluded = eligible_rows(project)
    weights, weight_source = row_weights(project, params.by)
    progress.status("select: vectors")
    vectors = project_vectors(project, params, progress)
    strata, strata_source = strata_of(project, vectors, params.seed)
    codes, cap = None, 0
    if params.per:
        values = ds.frame.get_column(params.per).cast(pl.String).fill_null("")
        codes = values.rank("dense").cast(pl.Int64).to_numpy() - 1
        n_values = int(values.filter(pl.Series(eligible)).n_unique()) or 1
        cap = params.per_max or max(1, math.ceil(params.n / n_values))
    progress.status("select: picking", total=1)
    rows = select_diverse(
        vectors,
        strata,
        weights if params.by != "diversity" else np.ones(n_rows, np.float32),
        eligible,
        params.n,
        codes=codes,
        cap=cap,
        seed=params.seed,
        diverse=params.by != "quality",
    )
    progress.advance()
    progress.status("select: coverage", total=1)
    report = coverage_report(project, vectors, strata, rows, params.seed)
    report.update(
        {
            "asked": params.n,
            "selected": len(rows),
            "by": params.by,
            "seed": params.seed,
            "per": params.per,
            "per_cap": cap or None,
            "eligible": int(eligible.sum()),
            "excluded": excluded,
            "weights": weight_source,
            "clusters_from": strata_source,
        }
    )
    progress.advance()
    return SelectResult(rows, eligible, report, params, excluded)


# -- what may be picked, and how good each row is -------------------------------------------


def eligible_rows(project: Project) -> tuple[np.ndarray, dict[str, int]]:
    """Rows that may be picked, and counts of the rows left out by reason."""
    from inspector.core.export.filterfile import load_proposals
    from inspector.core.junk.project_junk import load_analysis
    from inspector.core.labels.states import labels_frame

    ids = project.dataset.ids.cast(pl.String)
    humans = labels_frame(project.store).filter(pl.col("decision").is_not_null())
    decision = (
        pl.DataFrame({"id": ids})
        .join(humans.select("id", "decision"), on="id", how="left", maintain_order="left")
        .get_column("decision")
    )
    kept = (decision == "keep").fill_null(False).to_numpy()
    dropped = decision.is_in(["drop", "unsure"]).fill_null(False).to_numpy()
    removal = np.zeros(len(ids), dtype=bool)
    proposals = load_proposals(project.store)
    if proposals.height:
        removed_ids = proposals.filter(pl.col("action") == "remove").get_column("id")
        removal |= ids.is_in(removed_ids.implode()).to_numpy()
    table = load_analysis(project)
    if table is not None and "dup_removed" in table.columns:
        removal |= table.get_column("dup_removed").fill_null(False).to_numpy()
    proposed = removal & ~kept & ~dropped
    eligible = ~dropped & ~proposed
    return eligible, {"decided_drop_or_unsure": int(dropped.sum()), "proposed": int(proposed.sum())}


def row_weights(project: Project, by: str) -> tuple[np.ndarray, str]:
    """Per row a quality weight in (0, 1]: the learned keep_probability when a model was
    saved (rows it did not score take the signals' weight), else ``0.5 ** n_flags`` from
    the last analysis, halved for a row a finder proposes to flag; 1 without either."""
    from inspector.core.export.filterfile import load_proposals
    from inspector.core.junk.project_junk import load_analysis

    n = project.dataset.height
    signals = np.ones(n, dtype=np.float32)
    source = "none (every row weighs 1)"
    table = load_analysis(project)
    if table is not None and "n_flags" in table.columns:
        flags = table.get_column("n_flags").fill_null(0).to_numpy().astype(np.float32)
        signals = np.power(np.float32(0.5), flags)
        source = "quality signals (0.5 ** flags of the last analysis)"
    proposals = load_proposals(project.store)
    if proposals.height:
        flagged = proposals.filter(pl.col("action") == "flag").get_column("id")
        is_flagged = project.dataset.ids.cast(pl.String).is_in(flagged.implode()).to_numpy()
        signals = np.where(is_flagged, signals * 0.5, signals).astype(np.float32)
    if by == "diversity":
        return signals, "none (--by diversity)"
    try:
        from inspector.core.learn.project_learn import learned_keep_probability

        learned = learned_keep_probability(project)
    except (OSError, ValueError, KeyError):
        learned = None
    if learned is not None:
        w = np.where(np.isnan(learned), signals, learned).astype(np.float32)
        return w, "learned keep_probability"
    return signals, source


def project_vectors(
    project: Project, params: SelectParams | None = None, progress: Progress = NULL_PROGRESS
) -> np.ndarray:
    """The rows' vectors with the model and field the project's map was made with (unless
    ``params`` names others): from the vector cache when they were embedded before."""
    from inspector.core.map.project_map import MapParams, compute_map

    saved = project.store.get("map_params") or {}
    column = params.vectors_column if params else None
    model = params.model if params else None
    field_ = params.embed_field if params else None
    if column or model or field_:
        saved = {}
    mapped = compute_map(
        project,
        MapParams(
            model=model or saved.get("model") or "default",
            embed_field=field_ or saved.get("embed_field"),
            vectors_column=column or saved.get("vectors_column"),
        ),
        progress,
        layout=False,
        neighbours=False,
    )
    return mapped.vectors


def strata_of(project: Project, vectors: np.ndarray, seed: int) -> tuple[np.ndarray, str]:
    """The clusters the quotas are shared over: the last analysis's fine map clusters (noise
    as one more stratum) when it has them, else k-means cells of the vectors."""
    from inspector.core.junk.project_junk import load_analysis

    table = load_analysis(project)
    if table is not None and "cluster_fine" in table.columns:
        fine = table.get_column("cluster_fine").fill_null(-1).to_numpy().astype(np.int64)
        if (fine >= 0).any():
            return fine, "map clusters (fine) of the last analysis"
    n = len(vectors)
    k = int(max(1, min(256, round(math.sqrt(n / 10)))))
    return kmeans_cells(unit(vectors), k, seed), f"{k} k-means cells of the vectors (no map)"


# -- the report ------------------------------------------------------------------------------


def coverage_report(
    project: Project, vectors: np.ndarray, strata: np.ndarray, rows: np.ndarray, seed: int
) -> dict[str, Any]:
    """Clusters covered, length and source distributions before/after, and the mean
    cosine distance from a row to its nearest selected row (on a seeded sample of at most
    :data:`COVERAGE_SAMPLE` rows)."""
    ds = project.dataset
    n = ds.height
    chosen = np.zeros(n, dtype=bool)
    chosen[rows] = True
    rng = np.random.default_rng(seed)
    probe = np.arange(n) if n <= COVERAGE_SAMPLE else np.sort(rng.choice(n, COVERAGE_SAMPLE, False))
    dist = nearest_selected_distance(vectors, rows, probe)
    from inspector.core.data import formats

    parts = [e.fill_null("").str.len_chars() for e in formats.text_exprs(ds.spec)]
    length = ds.frame.select(pl.sum_horizontal(parts)).to_series().to_numpy()
    sources = ds.frame.get_column("__source").cast(pl.String)
    return {
        "rows": n,
        "clusters": {
            "before": int(len(np.unique(strata[strata >= 0]))),
            "after": int(len(np.unique(strata[rows][strata[rows] >= 0]))),
        },
        "mean_nearest_selected_distance": _round(float(np.nanmean(dist)) if len(dist) else None),
        "coverage_rows_measured": int(len(probe)),
        "length_chars": {"before": _quantiles(length), "after": _quantiles(length[chosen])},
        "source_share": {
            "before": _shares(sources),
            "after": _shares(sources.filter(pl.Series(chosen))),
        },
    }


def _round(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else round(x, 4)


def _quantiles(values: np.ndarray) -> dict[str, float | None]:
    if not len(values):
        return {"mean": None, "p10": None, "p50": None, "p90": None}
    q = np.quantile(values, [0.1, 0.5, 0.9])
    return {
        "mean": round(float(values.mean()), 1),
        "p10": float(q[0]),
        "p50": float(q[1]),
        "p90": float(q[2]),
    }


def _shares(values: pl.Series, top: int = 10) -> dict[str, float]:
    if not len(values):
        return {}
    counts = values.value_counts(sort=True).head(top)
    return {str(k): round(c / len(values), 4) for k, c in counts.iter_rows()}


# -- writing ---------------------------------------------------------------------------------


def report_path(filter_path: str | Path) -> Path:
    out = Path(filter_path)
    return out.with_name(out.name + ".report.json")


def write_selection(project: Project, result: SelectResult, out: str | Path) -> dict[str, Any]:
    """The filter file (every row: keep/selected or remove/not_selected), then its manifest,
    then the report JSON beside it; each written atomically. Returns the manifest."""
    from inspector import __version__
    from inspector.core.atomic import atomic_write
    from inspector.core.data.dataset import ROW, SOURCE
    from inspector.core.export.filter_text import FilterError
    from inspector.core.export.filterfile import (
        FILTER_SCHEMA,
        MANIFEST_NAME,
        format_for,
        make_manifest,
        write_filter,
    )
    from inspector.core.export.outputs import check_outputs

    out = Path(out)
    fmt = format_for(out)
    if out.name == MANIFEST_NAME or out.is_dir():
        raise FilterError(f"--out {out}: give a filter file name (e.g. subset.parquet)")
    manifest_path = out.parent / MANIFEST_NAME
    report = report_path(out)
    check_outputs(project.dataset, [out, manifest_path, report], store=project.store)
    ds = project.dataset
    chosen = np.zeros(ds.height, dtype=bool)
    chosen[result.rows] = True
    pick = pl.Series(chosen)
    frame = pl.DataFrame(
        {
            "id": ds.ids.cast(pl.String),
            "id_kind": pl.repeat(ds.id_rule, ds.height, eager=True, dtype=pl.String),
            "source_file": ds.frame.get_column(SOURCE).cast(pl.String),
            "row_index": ds.frame.get_column(ROW).cast(pl.Int64),
            "content_sha256": ds.content_hashes(),
        }
    ).with_columns(
        action=pl.when(pick).then(pl.lit("keep")).otherwise(pl.lit("remove")),
        reason=pl.when(pick).then(pl.lit(REASON_SELECTED)).otherwise(pl.lit(REASON_NOT_SELECTED)),
        annotator=pl.lit(ANNOTATOR),
        tool_version=pl.lit(__version__),
    )
    frame = frame.select(
        pl.col(c).cast(t) if c in frame.columns else pl.lit(None, t).alias(c)
        for c, t in FILTER_SCHEMA.items()
    ).with_columns(pl.col("tags").fill_null(pl.lit([], pl.List(pl.String))))
    out.parent.mkdir(parents=True, exist_ok=True)
    write_filter(frame, out, fmt)
    settings = {k: v for k, v in result.report.items() if k in ("by", "seed", "per", "per_cap")}
    manifest = make_manifest(
        ds,
        frame,
        out,
        fmt,
        embedding_model=project.store.get("map_params"),
        thresholds={"select": settings},
    )
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    atomic_write(manifest_path, lambda p: p.write_text(text, "utf-8"))
    body = json.dumps(result.report, indent=2, ensure_ascii=False) + "\n"
    atomic_write(report, lambda p: p.write_text(body, "utf-8"))
    return manifest
