"""The learn job over a project: labels -> features -> model -> scores, saved beside the store.

Labels come from the project's keep/drop decisions (unsure and undecided rows are not
labels) or from a column of the data (a judge score: ``value >= threshold`` is keep). The
model, its report and the scores are kept in ``<project database>.learn/`` (files beside the
SQLite store rather than in it: no store migration), so reopening shows the scores without
retraining. Everything is computed before anything is written; each file is written
atomically and ``quality_model.json`` last.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inspector.core.export.filterfile import PROPOSAL_SCHEMA
from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.learn.active import query_space, review_head
from inspector.core.learn.model import (
    MIN_LABELS,
    LearnError,
    QualityModel,
    feature_matrix,
    feature_names,
    load_model,
    save_model,
    score,
    train,
)
from inspector.core.learn.signals import SignalTable, dataset_signals
from inspector.core.project import Project

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset

SCORES = "scores.parquet"
MODEL = "quality_model.json"
SIGNAL_FLAGS = "signal_flags.parquet"


@dataclass(frozen=True)
class LearnParams:
    label_column: str | None = None
    label_threshold: float | None = None
    min_labels: int = MIN_LABELS
    model: str = "default"
    seed: int = 0
    ignore_missing_labels: bool = False


@dataclass
class LearnResult:
    model: QualityModel
    scores: pl.DataFrame  # id, keep_probability, uncertainty, in_training
    signals: SignalTable
    report: dict[str, Any]
    vectors: tuple[np.ndarray, np.ndarray] | None = None  # (prompt, answer) embeddings used
    review_head: list[str] = field(default_factory=list)  # ids: the head of learn:uncertain


def learn_dir(project: Project) -> Path:
    """Where a project's model and scores live: ``<store path>.learn/``."""
    path = Path(project.store.path)
    return path.with_name(path.name + ".learn")


def collect_labels(project: Project, params: LearnParams) -> tuple[np.ndarray, np.ndarray, str]:
    """(rows, y with 1 keep / 0 drop, a description of the source)."""
    ds = project.dataset
    if params.label_column:
        col = params.label_column
        if col not in ds.frame.columns:
            raise LearnError(
                f"no column '{col}' to take labels from",
                file=ds.target,
                field=col,
                hint=f"columns: {', '.join(ds.user_columns)}",
            )
        values = ds.frame[col]
        if values.dtype == pl.Boolean:
            v = values.cast(pl.Float64).to_numpy()
            cut = 0.5 if params.label_threshold is None else params.label_threshold
        elif values.dtype.is_numeric():
            if params.label_threshold is None:
                raise LearnError(
                    f"column '{col}' is numeric: say where keep starts",
                    file=ds.target,
                    field=col,
                    hint="e.g. --label-threshold 7 (rows with a value >= 7 are keep)",
                )
            v = values.cast(pl.Float64).to_numpy()
            cut = params.label_threshold
        else:
            raise LearnError(
                f"column '{col}' holds {values.dtype}, not numbers or true/false",
                file=ds.target,
                field=col,
                hint="label with a numeric judge score or a boolean column",
            )
        rows = np.flatnonzero(~np.isnan(v))
        return rows, (v[rows] >= cut).astype(np.int8), f"column {col} >= {cut:g}"
    from inspector.core.labels.states import decision_codes

    store_ids = [
        r[0]
        for r in project.store.conn.execute(
            "SELECT id FROM labels WHERE decision IN ('keep', 'drop')"
        )
    ]
    ids = ds.ids
    codes = decision_codes(project.store, ids)
    rows = np.flatnonzero((codes == 0) | (codes == 1))
    # labels whose rows left the data: still in the labels table, or set aside as stale when
    # the project was opened (core/reconcile.py)
    missing = len(set(store_ids)) - len(rows) + _stale_decisions(project)
    if missing > 0 and not params.ignore_missing_labels:
        raise LearnError(
            f"{missing:,} of {len(rows) + missing:,} keep/drop labels are on rows no longer in "
            f"the data ({ds.height:,} rows)",
            file=ds.target,
            hint="open the data those labels were made on, or pass --ignore-missing-labels "
            f"to learn from the {len(rows):,} that remain",
        )
    return rows, (codes[rows] == 0).astype(np.int8), "project decisions"


def _stale_decisions(project: Project) -> int:
    import sqlite3

    try:
        row = project.store.conn.execute(
            "SELECT count(DISTINCT id) FROM stale_labels WHERE decision IN ('keep', 'drop')"
        ).fetchone()
    except sqlite3.OperationalError:  # a store from before stale labels were set aside
        return 0
    return int(row[0])


def run_learn(
    project: Project, params: LearnParams | None = None, progress: Progress = NULL_PROGRESS
) -> LearnResult:
    """Train on the project's labels and score every row. Writes nothing (see save_learned)."""
    params = params or LearnParams()
    rows, y, source = collect_labels(project, params)
    return learn_on(project.dataset, rows, y, source, params, progress)


def learn_on(
    ds: Dataset,
    rows: np.ndarray,
    y: np.ndarray,
    source: str,
    params: LearnParams,
    progress: Progress = NULL_PROGRESS,
) -> LearnResult:
    """Train on labels already collected (``rows`` of ``ds``, ``y`` 1 keep / 0 drop) and score
    every row. Reads ``ds`` only, never the store: it runs on a job thread (retrain.py)."""
    started = time.perf_counter()
    from inspector.core.learn.model import check_labels

    check_labels(y, params.min_labels)  # before any embedding: a bad label set fails fast
    signals, pv, rv = dataset_signals(ds, params.model, progress)
    lengths = np.column_stack(
        [
            ds.prompt().str.len_chars().fill_null(0).to_numpy(),
            ds.response().str.len_chars().fill_null(0).to_numpy(),
        ]
    )
    sv = signals.values()
    names = feature_names(pv.shape[1], list(signals.signals))
    ids = ds.ids.cast(pl.String)
    X = feature_matrix(pv, rv, sv, lengths, rows)
    model = train(
        X,
        y,
        [ids[int(i)] for i in rows],
        names,
        seed=params.seed,
        min_labels=params.min_labels,
        progress=progress,
    )
    t0 = time.perf_counter()
    keep, unc = score(
        model, lambda sl: feature_matrix(pv, rv, sv, lengths, sl), ds.height, progress
    )
    in_training = np.zeros(ds.height, dtype=bool)
    in_training[rows] = True
    progress.status("choosing the rows to label next", None)
    head = review_head(keep, in_training, query_space(pv, rv, sv, lengths, seed=params.seed))
    scores = pl.DataFrame(
        {
            "id": ids,
            "keep_probability": keep,
            "uncertainty": unc,
            "in_training": in_training,
        }
    )
    rejected = _score_rejected(ds, model, pv, params.model, progress)
    if rejected is not None:
        scores = scores.with_columns(rejected_keep_probability=rejected)
    from inspector import __version__

    report = {
        **model.report,
        "label_source": source,
        "rows": ds.height,
        "features": {
            "count": len(names),
            "groups": [
                f"answer embedding ({pv.shape[1]})",
                f"prompt embedding ({pv.shape[1]})",
                f"answer - prompt ({pv.shape[1]})",
                f"signals: {', '.join(signals.signals)} (+ measured flags)",
                "log characters of prompt and answer",
            ],
            "embedding_model": params.model,
        },
        "score_seconds": round(time.perf_counter() - t0, 3),
        "seconds": round(time.perf_counter() - started, 3),
        "tool_version": __version__,
    }
    model.report = report
    head_ids = ids.gather(head).to_list()
    return LearnResult(model, scores, signals, report, (pv, rv), head_ids)


def _score_rejected(
    ds: Dataset, model: QualityModel, pv: np.ndarray, embed_model: str, progress: Progress
) -> np.ndarray | None:
    """Preference data: the model's keep probability of each pair's rejected side, scored as
    an answer to the prompt like the chosen side (its embedding, signals and length), so the
    pair checks can ask whether the model would drop the chosen side and keep the rejected."""
    from inspector.core.data import formats

    expr = formats.rejected_expr(ds.spec)
    if expr is None:
        return None
    from inspector.core.learn.signals import compute_signals
    from inspector.core.map.embed import embed_texts

    prompts = ds.prompt()
    texts = ds.frame.select(expr.cast(pl.String).fill_null("")).to_series()
    rv = embed_texts(texts.to_list(), embed_model, progress)
    sv = compute_signals(prompts, texts, pv, rv, progress=progress).values()
    lengths = np.column_stack(
        [prompts.str.len_chars().fill_null(0).to_numpy(), texts.str.len_chars().to_numpy()]
    )
    keep, _unc = score(
        model, lambda sl: feature_matrix(pv, rv, sv, lengths, sl), ds.height, progress
    )
    return np.asarray(keep, dtype=np.float64)


def save_learned(result: LearnResult, folder: Path, *, versioned: bool = False) -> Path:
    """Scores then model into ``folder``, each atomically; the model JSON is written last.

    ``versioned`` (the project's own folder): the scores go to ``scores-<digest>.parquet``,
    named in the JSON, so a reader sees the old model and scores, or the new ones, never
    a mix; files the JSON no longer names are removed after it is written."""
    import hashlib
    import io

    from inspector.core.atomic import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    flags = signal_flags_by_id(result)
    if not versioned:
        atomic_write(folder / SCORES, lambda tmp: result.scores.write_parquet(tmp))
        atomic_write(folder / SIGNAL_FLAGS, lambda tmp: flags.write_parquet(tmp))
        extra = {"signal_flags": SIGNAL_FLAGS, "review_head": result.review_head}
        return save_model(result.model, folder, extra=extra)
    names: dict[str, str] = {}
    for key, stem, frame in (
        ("scores", "scores", result.scores),
        ("signal_flags", "signals", flags),
    ):
        buf = io.BytesIO()
        frame.write_parquet(buf)
        data = buf.getvalue()
        names[key] = f"{stem}-{hashlib.sha256(data).hexdigest()[:16]}.parquet"
        _write_synced(folder / names[key], data)
    path = save_model(result.model, folder, extra={**names, "review_head": result.review_head})
    for key, stem in (("scores", "scores"), ("signal_flags", "signals")):
        for old in folder.glob(f"{stem}-*.parquet"):
            if old.name != names[key]:
                old.unlink(missing_ok=True)
    return path


def _write_synced(path: Path, data: bytes) -> None:
    from inspector.core.atomic import write_atomic

    write_atomic(path, lambda f: f.write(data), fsync=True)


def signal_flags_by_id(result: LearnResult) -> pl.DataFrame:
    """The run's signal flags (:meth:`SignalTable.flags`) with each row's id, as saved: the
    reader's "why flagged" after a reopen, matched to the rows by id."""
    flags = result.signals.flags()
    ids = result.scores.get_column("id").cast(pl.String)
    if not flags.height:
        return pl.DataFrame(schema={"id": pl.String, "row": pl.Int64})
    return flags.with_columns(id=ids.gather(flags.get_column("row")))


def learned_signal_flags(project: Project) -> pl.DataFrame | None:
    """The signal flags the saved model's run found, on the rows of the data as it is now
    (``row`` renumbered by id; flags of rows gone are dropped). None without a model, or
    with a model saved before flags were kept."""
    import json

    folder = learn_dir(project)
    if not (folder / MODEL).exists():
        return None
    name = json.loads((folder / MODEL).read_text()).get("signal_flags")
    if not name or not (folder / Path(name).name).exists():
        return None
    flags = pl.read_parquet(folder / Path(name).name)
    if "id" not in flags.columns:
        return None
    where = pl.DataFrame(
        {
            "id": project.dataset.ids.cast(pl.String),
            "__row": pl.int_range(project.dataset.height, eager=True),
        }
    )
    return (
        flags.join(where, on="id", how="inner", maintain_order="left")
        .with_columns(pl.col("__row").cast(pl.Int64).alias("row"))
        .drop("__row")
        .sort("row", "signal")
    )


def load_learned(project: Project) -> tuple[QualityModel, pl.DataFrame] | None:
    """The saved model and scores of a project (None when it has none)."""
    return load_learned_from(learn_dir(project))


def load_learned_from(folder: Path) -> tuple[QualityModel, pl.DataFrame] | None:
    """The model and scores saved in ``folder`` (None when it holds no model)."""
    import json

    if not (folder / MODEL).exists():
        return None
    model = load_model(folder / MODEL)
    name = json.loads((folder / MODEL).read_text()).get("scores", SCORES)
    return model, pl.read_parquet(folder / Path(name).name)


def learned_keep_probability(project: Project) -> np.ndarray | None:
    """The saved keep_probability of each row of the project's data, in row order (NaN for
    rows the model did not score: rows added since); None when no model was saved."""
    saved = load_learned(project)
    if saved is None:
        return None
    return _aligned(project, saved[1], "keep_probability")


def learned_review_head(project: Project) -> np.ndarray | None:
    """The rows the saved model's run put at the head of ``learn:uncertain``
    (:func:`inspector.core.learn.active.review_head`, kept by id in the model JSON) as rows of
    the data now, in order (rows gone are left out); None without a model or with one saved
    before the head was kept."""
    import json

    path = learn_dir(project) / MODEL
    if not path.exists():
        return None
    try:
        head = json.loads(path.read_text()).get("review_head")
    except (OSError, ValueError):
        return None  # load_learned reports a damaged model
    if not isinstance(head, list):
        return None
    where = pl.DataFrame(
        {
            "id": project.dataset.ids.cast(pl.String),
            "row": pl.int_range(project.dataset.height, eager=True, dtype=pl.Int64),
        }
    )
    wanted = pl.DataFrame({"id": [str(i) for i in head]}, schema={"id": pl.String})
    rows = wanted.join(where, on="id", how="inner", maintain_order="left").get_column("row")
    return rows.to_numpy().astype(np.int64)


def _aligned(project: Project, scores: pl.DataFrame, column: str) -> np.ndarray:
    """``column`` of the saved scores on the rows of the data now, by id (NaN: no value)."""
    ids = project.dataset.ids.cast(pl.String)
    aligned = (
        pl.DataFrame({"id": ids})
        .join(
            scores.select(pl.col("id").cast(pl.String), column),
            on="id",
            how="left",
            maintain_order="left",
        )
        .get_column(column)
    )
    return aligned.cast(pl.Float64).fill_null(float("nan")).to_numpy()


def learned_pair_scores(project: Project) -> tuple[np.ndarray, np.ndarray] | None:
    """Preference data with a saved model that scored both sides: the keep probability of
    each row's chosen and rejected side, in row order (NaN: not scored). None otherwise."""
    saved = load_learned(project)
    if saved is None or "rejected_keep_probability" not in saved[1].columns:
        return None
    ids = pl.DataFrame({"id": project.dataset.ids.cast(pl.String)})
    aligned = ids.join(
        saved[1].select(
            pl.col("id").cast(pl.String), "keep_probability", "rejected_keep_probability"
        ),
        on="id",
        how="left",
        maintain_order="left",
    )
    chosen, rejected = (
        aligned.get_column(c).cast(pl.Float64).fill_null(float("nan")).to_numpy()
        for c in ("keep_probability", "rejected_keep_probability")
    )
    return chosen, rejected


def learned_proposals(project: Project, below: float) -> pl.DataFrame:
    """Proposal rows (``export.filterfile.PROPOSAL_SCHEMA``, as ``load_proposals``) for the
    rows whose saved keep_probability is below ``below``: action remove, reason ``learned``,
    the probability in ``score``. A DataError when no model was saved."""
    if not 0.0 < below <= 1.0:
        raise LearnError(
            f"--learned-below {below:g}: give a probability between 0 and 1",
            hint="e.g. --learned-below 0.2 proposes the rows the model keeps with p < 0.2",
        )
    p = learned_keep_probability(project)
    if p is None:
        raise LearnError(
            "no learned quality model for this data",
            file=project.dataset.target,
            hint="label some rows keep/drop, then run `inspector learn PATH --out DIR`",
        )
    rows = np.flatnonzero(~np.isnan(p) & (p < below))
    n = len(rows)
    return pl.DataFrame(
        {
            "id": project.dataset.ids.cast(pl.String).gather(rows),
            "action": ["remove"] * n,
            "reason": ["learned"] * n,
            "group_id": [None] * n,
            "representative_id": [None] * n,
            "similarity": [None] * n,
            "score": p[rows],
            "source": ["learn"] * n,
        },
        schema=PROPOSAL_SCHEMA,
    )


def learned_lists(project: Project, cut: float = 0.5, band: float = 0.2) -> dict[str, Any] | None:
    """What the Issues dock lists from the saved model: rows "likely drop" (keep_probability
    under ``cut``) and "most uncertain" (within ``band`` of 0.5), each without a decision,
    with the cross-validated drop precision and recall at ``cut``. None without a model."""
    saved = load_learned(project)
    if saved is None:
        return None
    model, _scores = saved
    from inspector.core.labels.states import NO_DECISION, decision_codes

    p = learned_keep_probability(project)
    assert p is not None
    open_rows = decision_codes(project.store, project.dataset.ids) == NO_DECISION
    scored = ~np.isnan(p)
    at_cut = next((c for c in model.report.get("at_cuts", []) if c["cut"] == cut), None)
    return {
        "cut": cut,
        "likely_drop": int((open_rows & scored & (p < cut)).sum()),
        "uncertain": int((open_rows & scored & (np.abs(p - 0.5) <= band)).sum()),
        "cv_drop_precision": None if at_cut is None else at_cut["drop_precision"],
        "cv_drop_recall": None if at_cut is None else at_cut["drop_recall"],
        "cv_auc": model.report.get("cv_auc_chosen"),
        "labels": model.report.get("labels"),
        "model": model.kind,
    }
