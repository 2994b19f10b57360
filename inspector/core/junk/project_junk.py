"""The junk finders run over a project: which texts are compared, the map they share, where
the per-row analysis is kept, and the proposals the review and the filter export read.

``run_analysis(project, params, progress)`` is the one job the window and ``inspector
analyze`` both run: the map (its caches reused), then :func:`inspector.core.junk.junk.analyze_junk`,
then proposals into the store (source ``"junk"``) and ``analysis.parquet`` into a cache
folder named after the dataset, remembered in the store under ``"analysis"``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inspector.core.atomic import atomic_write
from inspector.core.errors import DataError
from inspector.core.jobs import NULL_PROGRESS, Progress

# the threshold dialog's counts live in calibration.py; callers still find them here
from inspector.core.junk.calibration import (  # noqa: F401
    semantic_calibration,
    stage_representatives,
)

# what is compared and how (shared with the Ray engine); callers still find them here
from inspector.core.junk.junk_inputs import (  # noqa: F401
    DEDUP_DEFAULTS,
    DEDUP_HELP,
    ROLES,
    dedup_columns,
    default_threshold,
    junk_frame,
    keep_policy,
    parse_dedup_on,
)
from inspector.core.map.project_map import MapParams
from inspector.core.project import Project

if TYPE_CHECKING:
    from inspector.core.junk.group_lists import GroupList
    from inspector.core.junk.junk import JunkResult
    from inspector.core.map.mapping import MapResult

PROPOSAL_SOURCE = "junk"
STORE_KEY = "analysis"
DUPLICATE_KINDS = ("exact_duplicate", "minhash_duplicate", "semantic_duplicate")


@dataclass(frozen=True)
class AnalysisParams:
    """What ``run_analysis`` does. ``dedup_on``: "prompt", "response", "all" or column names,
    comma-separated (default: prompt and response). ``keep``: first, longest, best,
    COLUMN=VALUE (or duplicates.KeepPolicy's own spelling)."""

    map: MapParams = field(default_factory=MapParams)
    dedup_on: str | None = None
    against: str | None = None
    rules_path: str | None = None
    keep: str = "first"
    semantic_threshold: float | None = None  # None: the model's default
    out_dir: str | None = None  # None: the project's cache folder
    save: bool = True  # proposals into the store
    # None: every finder and the whole map; else some of FINDERS and only what they need
    only: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "map": self.map.to_json(),
            "dedup_on": self.dedup_on,
            "against": self.against,
            "rules_path": self.rules_path,
            "keep": self.keep,
            "semantic_threshold": self.semantic_threshold,
            "only": list(self.only) if self.only else None,
        }


@dataclass
class AnalysisResult:
    junk: JunkResult
    table: pl.DataFrame  # one row per sample, the analysis.parquet columns
    proposals: pl.DataFrame  # removals (and group keepers, action keep)
    map: MapResult
    threshold: float
    model: str
    path: Path
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage
    only: tuple[str, ...] = ()  # the finders that ran

    def summary(self) -> pl.DataFrame:
        return self.junk.summary()

    def removals(self) -> pl.DataFrame:
        return self.proposals.filter(pl.col("action") == "remove")

    @property
    def findings(self) -> list[dict[str, Any]]:
        """Dataset-level findings (preference data: length bias), one dict each."""
        return self.junk.findings


# -- the frame analyze_junk reads: inspector/core/junk/junk_inputs.py ------------------


def embed_field_for(params: AnalysisParams) -> str | None:
    """What the map embeds for an analysis: the one dedup field when it is a role or column,
    else everything (prompt alone would call answers to one prompt duplicates)."""
    if params.map.embed_field:
        return params.map.embed_field
    parts = [p.strip() for p in (params.dedup_on or "").split(",") if p.strip()]
    return parts[0] if len(parts) == 1 else "all"


def analysis_map_params(params: AnalysisParams) -> MapParams:
    """The map an analysis runs on (its embedded field filled in)."""
    if params.map.vectors_column:
        return params.map
    return replace(params.map, embed_field=embed_field_for(params))


# -- the job ---------------------------------------------------------------------------------


def analysis_dir(project: Project) -> Path:
    from inspector.core.paths import cache_dir

    return cache_dir() / "analysis" / project.dataset.fingerprint[:24]


def run_analysis(
    project: Project,
    params: AnalysisParams | None = None,
    progress: Progress = NULL_PROGRESS,
    *,
    map_runner: Callable[..., Any] | None = None,  # (project, params, progress, remember=)
) -> AnalysisResult:
    """Map, duplicates, quality and leakage over ``project``; proposals into its store and
    ``analysis.parquet`` into ``params.out_dir`` (default :func:`analysis_dir`).

    The semantic duplicates' pairs are found from the vectors, not read off the kNN graph
    (:func:`inspector.core.junk.duplicates.threshold_semantic_pairs`), in a full analysis too:
    the same groups with or without ``only``. With ``params.only`` only those finders run,
    each with what it needs: duplicates the vectors, outliers the kNN graph, leaks the
    vectors (and ``against``), quality neither; the layout and clusters are then taken from
    the caches or left empty (x, y null, cluster -1). The stored proposals of the finders
    that did not run are kept.

    ``map_runner`` computes the whole map (default :func:`compute_map`, in this process); the
    window passes :func:`inspector.core.map.process.compute_map_isolated`, as its map dock
    does, so an uncached map never holds the window's interpreter."""
    from inspector.core.jobs import StageClock
    from inspector.core.junk.finder_sets import (
        FINDERS,
        STAGE_NAMES,
        add_outliers,
        family,
        keep_other_finders,
        no_map,
        rules_for,
    )
    from inspector.core.junk.junk import analyze_junk
    from inspector.core.junk.quality_rules import load_rules
    from inspector.core.map.project_map import compute_map, map_frame

    started = time.monotonic()
    clock = StageClock(progress)
    progress = clock
    params = params or AnalysisParams()
    only = set(params.only or FINDERS)
    if "leaks" in only and params.only and not params.against:
        raise DataError(
            "--only leaks needs the eval set to compare with",
            field="--only",
            hint="add --against EVAL (a file or folder of the eval data)",
        )
    map_params = analysis_map_params(params)
    policy, keep_cols = keep_policy(params.keep)
    if policy.startswith("best_score") and "duplicates" in only:
        only.add("quality")  # "best" keeps the row with the fewest quality flags
    frame, kwargs = junk_frame(project, params.dedup_on, keep_cols)
    rules = load_rules(params.rules_path or project_rules_path(project))
    if params.only is not None:
        rules = rules_for(rules, only)
    # the full map and the outliers need the kNN graph; the duplicates do not
    graph = params.only is None or "outliers" in only
    dedup = "duplicates" in only
    progress.status("map")
    if params.only is None:
        mapped = (map_runner or compute_map)(project, map_params, progress, remember=False)
    elif graph or dedup or (params.against and "leaks" in only):
        mapped = compute_map(
            project, map_params, progress, layout=False, neighbours=graph, remember=False
        )
    else:
        mapped = no_map(project.dataset.height)
    progress.check()
    threshold = params.semantic_threshold
    if threshold is None:
        threshold = default_threshold(map_params.model, map_params.vectors_column)
    eval_set = None
    if params.against and "leaks" in only:
        eval_set = _eval_set(project, params, map_params, kwargs["text_cols"], progress)
    result = analyze_junk(
        frame,
        **kwargs,
        knn=mapped.knn if dedup and graph else None,
        vectors=mapped.vectors if mapped.vectors.shape[1] else None,
        semantic_threshold=threshold,
        pairs_from_vectors=dedup,
        side_vectors=None if map_params.vectors_column else _embedder(map_params.model, progress),
        learned_sides=_learned_sides(project) if "quality" in only else None,
        eval=eval_set,
        rules=rules,
        keep_policy=policy,
        exact=dedup,
        near=dedup,
        progress=progress,
    )
    if "outliers" in only and not dedup:
        add_outliers(result, frame, kwargs["text_cols"], mapped.knn, rules, progress)
    if params.only is not None:  # pair checks are quality checks
        result.flag_columns = [f for f in result.flag_columns if family(f) in only]
        result.listed_columns = [f for f in result.listed_columns if family(f) in only]
    progress.status("writing")
    table = _analysis_table(map_frame(project, mapped), result.table, eval_set is not None)
    proposals = proposals_with_keepers(result)
    if params.save:
        from inspector.core.export.filterfile import save_proposals

        stored = proposals
        if params.only is not None:
            stored = keep_other_finders(project.store, proposals, only, PROPOSAL_SOURCE)
        save_proposals(project.store, stored, source=PROPOSAL_SOURCE)
    out = Path(params.out_dir) if params.out_dir else analysis_dir(project)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "analysis.parquet"
    atomic_write(path, table.write_parquet)
    if result.findings:
        import json

        text = json.dumps({"findings": result.findings}, indent=2) + "\n"
        atomic_write(out / "findings.json", lambda p: p.write_text(text, "utf-8"))
    project.store.set(
        STORE_KEY,
        {
            "path": str(path),
            "params": params.to_json(),
            "threshold": threshold,
            "model": map_params.model,
            "rows": project.dataset.height,
            "findings": result.findings,
        },
    )
    seconds = clock.stop()
    stages = {STAGE_NAMES.get(k, k): round(v, 3) for k, v in seconds.items() if k != "map"}
    return AnalysisResult(
        result,
        table,
        proposals,
        mapped,
        float(threshold),
        map_params.model,
        path,
        time.monotonic() - started,
        stages,
        tuple(f for f in FINDERS if f in only),
    )


def _learned_sides(project: Project) -> tuple[np.ndarray, np.ndarray] | None:
    from inspector.core.learn.project_learn import learned_pair_scores

    return learned_pair_scores(project)


def _embedder(model: str, progress: Progress) -> Callable[[list[str]], np.ndarray]:
    """Texts -> vectors with the map's model, through its vector cache (the per-side check of
    preference pairs: see ``junk.PairSides``)."""

    def embed(texts: list[str]) -> np.ndarray:
        from inspector.core.map.embed import embed_texts

        return embed_texts(texts, model, progress)

    return embed


def _eval_set(
    project: Project,
    params: AnalysisParams,
    map_params: MapParams,
    text_cols: list[str],
    progress: Progress,
) -> Any:
    """The EVAL file's texts over the same fields as the training side, its ids and (when a
    model embeds) its vectors for semantic leakage."""
    from inspector.core.data.dataset import open_dataset
    from inspector.core.data.normalize import combined_text
    from inspector.core.junk.junk import EvalSet

    progress.status("reading the eval set")
    ev = open_dataset(params.against or "", progress=progress)
    eval_project = Project(ev, project.store)  # only its dataset is read
    missing = [c[4:] for c in text_cols if c.startswith("col:") and c[4:] not in ev.frame.columns]
    if missing:
        raise DataError(
            f"the eval set {params.against} has no column(s) {missing} to compare",
            hint=f"its columns: {ev.user_columns}",
        )
    eframe, _ = junk_frame(eval_project, params.dedup_on)
    texts = combined_text(eframe, text_cols)
    vectors = None
    if map_params.vectors_column:
        if map_params.vectors_column in ev.frame.columns:
            from inspector.core.map.project_map import vectors_from_column

            vectors = vectors_from_column(eval_project, map_params.vectors_column)
    else:
        from inspector.core.map.embed import embed_texts

        etexts = ev.embed_texts(map_params.embed_field).to_list()
        vectors = embed_texts(etexts, map_params.model, progress)
    threshold = params.semantic_threshold or default_threshold(
        map_params.model, map_params.vectors_column
    )
    return EvalSet(
        texts=texts,
        ids=eframe.get_column("id"),
        vectors=vectors,
        semantic_threshold=threshold if vectors is not None else None,
    )


def _analysis_table(mapped: pl.DataFrame, junk: pl.DataFrame, has_eval: bool) -> pl.DataFrame:
    """The map's columns, then the junk table's (id once); eval columns always present."""
    table = pl.concat([mapped, junk.drop("id")], how="horizontal")
    if not has_eval:
        table = table.with_columns(
            eval_leak=pl.lit(False),
            eval_match_id=pl.lit(None, pl.String),
            eval_match_kind=pl.lit(None, pl.String),
            eval_similarity=pl.lit(None, pl.Float32),
        )
    return table


def proposals_with_keepers(result: JunkResult) -> pl.DataFrame:
    """Removals from ``JunkResult.proposals`` plus each duplicate group's kept row (action
    keep, reason its group's kind) so a review shows whole groups."""
    removals = result.proposals()
    t = result.table
    keepers = t.filter(pl.col("dup_group").is_not_null() & (pl.col("dup_group") >= 0))
    keepers = keepers.filter(~pl.col("dup_removed")).select(
        "id",
        action=pl.lit("keep"),
        reason=pl.col("dup_kind"),
        group_id=pl.col("dup_group"),
        representative_id=pl.col("id"),
        similarity=pl.lit(1.0, pl.Float32),
        score=pl.lit(None, pl.Float64),
    )
    return pl.concat([removals, keepers.cast(dict(removals.schema))]).with_columns(  # type: ignore[arg-type]
        pl.col("group_id").cast(pl.String)
    )


# -- reading it back -------------------------------------------------------------------------


def load_analysis(project: Project) -> pl.DataFrame | None:
    """The last analysis of this project (None when none, or when it is for other data)."""
    info = project.store.get(STORE_KEY)
    if not info:
        return None
    path = Path(info.get("path", ""))
    if not path.is_file():
        return None
    table = pl.read_parquet(path)
    if table.height != project.dataset.height:
        return None
    return table


def duplicate_groups(table: pl.DataFrame) -> GroupList:
    """The analysis table's duplicate groups, each with its kept row, under the loosest
    finder that joined it: what the Issues lists, the threshold dialog and the review count."""
    from inspector.core.junk.group_lists import GroupList, list_groups

    if "dup_group" not in table.columns:
        return GroupList([], [], [], [])
    return list_groups(
        table["dup_group"].fill_null(-1),
        kept=~table["dup_removed"].fill_null(False).to_numpy(),
        kind=table["dup_kind"],
    )


def saved_params(project: Project) -> tuple[AnalysisParams, float | None]:
    """The parameters and threshold of the analysis saved in the store (defaults if none)."""
    info = project.store.get(STORE_KEY) or {}
    p = info.get("params") or {}
    m = p.get("map") or {}
    try:
        params = AnalysisParams(
            map=MapParams(
                model=m.get("model", "default"),
                embed_field=m.get("embed_field"),
                vectors_column=m.get("vectors_column"),
            ),
            dedup_on=p.get("dedup_on"),
            against=p.get("against"),
            rules_path=p.get("rules_path"),
            keep=p.get("keep") or "first",
            semantic_threshold=p.get("semantic_threshold"),
        )
    except (TypeError, AttributeError):
        return AnalysisParams(), None
    threshold = info.get("threshold")
    return params, float(threshold) if isinstance(threshold, int | float) else None


def project_rules_path(project: Project) -> str | None:
    """The project's own rules TOML (written by the window's rules dialog), if any."""
    path = project.store.get("rules_path")
    return path if path and Path(path).is_file() else None


def write_rules(project: Project, rules: Any) -> Path:
    """Write ``rules`` (a RuleSet) as the project's rules TOML and remember it."""
    lines = ["# Quality rules for this project (written by Inspector's rules dialog)\n"]
    for r in rules:
        lines.append(f"\n[rules.{r.name}]\n")
        lines.append(f"enabled = {'true' if r.enabled else 'false'}\n")
        lines.append("fields = [" + ", ".join(f'"{f}"' for f in r.fields) + "]\n")
        for key in ("min", "max"):
            value = getattr(r, key)
            lines.append(f"{key} = {'false' if value is None else repr(float(value))}\n")
        lines.append(f"min_words = {int(r.min_words)}\n")
    path = analysis_dir(project) / "quality_rules.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), "utf-8")
    project.store.set("rules_path", str(path))
    return path


def rerun_quality(
    project: Project, table: pl.DataFrame, rules: Any
) -> tuple[pl.DataFrame, list[str]]:
    """Quality columns recomputed with ``rules`` (duplicates and map columns kept): the
    rules dialog's quick path. Returns the new table and its flag columns."""
    from inspector.core.junk.quality import evaluate
    from inspector.core.pairs.finders import LISTED_ONLY, PREFIX, pair_columns

    frame, kwargs = junk_frame(project)
    fields = {
        role: kwargs[k]
        for role, k in (
            ("prompt", "prompt_col"),
            ("response", "response_col"),
            ("chosen", "chosen_col"),
            ("rejected", "rejected_col"),
        )
        if kwargs.get(k)
    }
    qual = evaluate(frame, fields, rules)
    keep = [c for c in table.columns if not _is_quality_column(c)]
    out = pl.concat([table.select(keep), qual], how="horizontal")
    # the outlier score needs the graph: carry the old one over when the rule is still on
    if "outlier_score" in table.columns and "outlier_score" not in out.columns:
        if any(r.name == "outlier" and r.enabled for r in rules):
            out = out.with_columns(
                table["outlier_score"], table["row.outlier"], table["row.outlier.flag"]
            )
    if "rejected_col" in kwargs:  # the pair checks that read the quality flags
        checks = pair_columns(frame, "prompt", kwargs["chosen_col"], kwargs["rejected_col"], qual)
        out = out.drop([c for c in checks.columns if c in out.columns]).hstack(checks)
    flags = [c for c in out.columns if c.endswith(".flag")]
    quality = [f for f in flags if not f.startswith(PREFIX)]
    out = out.with_columns(
        n_flags=pl.sum_horizontal([pl.col(f).fill_null(False).cast(pl.Int32) for f in quality])
        if quality
        else pl.lit(0, pl.Int32)
    ).with_columns(any_flag=pl.col("n_flags") > 0)
    # what is proposed for removal; the pair checks that are only listed stay out
    return out, [f for f in flags if f not in LISTED_ONLY]


def _is_quality_column(name: str) -> bool:
    return name in ("n_flags", "any_flag", "outlier_score") or (
        "." in name
        and name.split(".", 1)[0] in ("prompt", "response", "chosen", "rejected", "pair", "row")
    )


def flag_columns(table: pl.DataFrame) -> list[str]:
    return [c for c in table.columns if c.endswith(".flag")]
