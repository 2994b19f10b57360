"""A quality model learned from keep/drop labels, and the active-learning queues it feeds.

Features per row: the default embeddings of the answer and the prompt and their difference,
the no-label signal values (plus whether each was measured) and log lengths. Candidates, a
regularised logistic regression and gradient boosting (scikit-learn), each on every feature
and on a compact view (see ``CANDIDATES``), are compared by stratified cross-validation with
fixed seeds; the best (the simpler on a tie, and only the linear ones below
``MIN_LABELS_BOOSTING`` labels) is refitted on every label and its scores calibrated by Platt
scaling fitted on the out-of-fold scores. A compact model is saved in the full model's form
(the linear one's projection folded into its coefficients, the trees' features renumbered),
so scoring and explaining never see the view.

Saved without pickle: JSON for what a person reads, npz (``allow_pickle=False``) for the
arrays. Gradient boosting is saved as its trees' node arrays and scored by our own traversal
(checked against scikit-learn's in the tests), so loading needs neither pickle nor the
scikit-learn version that trained it.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from inspector.core.errors import DataError
from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.learn.views import (
    COMPONENTS,
    View,
    compact_view,
    fold_linear,
    full_view,
    has_embeddings,
)

LOGISTIC, BOOSTING = "logistic", "gradient_boosting"
# the compact views: with a few hundred labels, 768 embedding columns drown the signals.
# bench_learn, random labels, 10 seeds, held-out AUC at 25/50/100/150/300: the two full
# models 0.673/0.749/0.860/0.909/0.975, all four 0.847/0.893/0.958/0.979/0.989. A trial on a
# topic judgment there (drop = 6 answer clusters, 6 seeds, at 25/50/150/300): full pair
# 0.635/0.659/0.760/0.808, all four 0.627/0.652/0.760/0.808: the full models still win
# where the labels follow the embeddings
LOGISTIC_COMPACT = "logistic_compact"  # signals, lengths, components of answer and diff
BOOSTING_SIGNALS = "gradient_boosting_signals"  # signals and lengths only
CANDIDATES = (LOGISTIC, BOOSTING, LOGISTIC_COMPACT, BOOSTING_SIGNALS)
# on a tie of cross-validated AUC: the fewer the parameters, the earlier
PREFERENCE = (LOGISTIC_COMPACT, LOGISTIC, BOOSTING_SIGNALS, BOOSTING)
BASE_KIND = {LOGISTIC: LOGISTIC, BOOSTING: BOOSTING, LOGISTIC_COMPACT: LOGISTIC,
             BOOSTING_SIGNALS: BOOSTING}  # fmt: skip
FORMAT = "inspector-quality-model"
FORMAT_VERSION = 1
SCORE_CHUNK = 65_536
MIN_LABELS = 20
MIN_PER_CLASS = 5
MIN_PLATT_SLOPE = 0.01
MIN_LABELS_BOOSTING = 40  # fewer labels: the linear model (see train)
MIN_LEAF = 5  # gradient boosting: rows a leaf holds at least (see _fit_one)
MIN_LEAF_SIGNALS = 3  # ...on the signals view (random labels, 150: 0.943 with 5, 0.975 with 3)
CUTS = (0.1, 0.2, 0.3, 0.4, 0.5)  # keep_probability below the cut = predicted drop
_NODE_FIELDS = ("value", "feature_idx", "num_threshold", "missing_go_to_left", "left", "right",
                "is_leaf")  # fmt: skip


class LearnError(DataError):
    """Labels the model cannot learn from (too few, one class, rows gone)."""


# -- features --------------------------------------------------------------------------------


def feature_names(dim: int, signal_names: list[str]) -> list[str]:
    return (
        [f"answer_emb_{i}" for i in range(dim)]
        + [f"prompt_emb_{i}" for i in range(dim)]
        + [f"diff_emb_{i}" for i in range(dim)]
        + [f"signal.{s}" for s in signal_names]
        + [f"measured.{s}" for s in signal_names]
        + ["log_prompt_chars", "log_answer_chars"]
    )


def feature_matrix(
    prompt_vectors: np.ndarray,
    response_vectors: np.ndarray,
    signal_values: np.ndarray,
    lengths: np.ndarray,
    rows: np.ndarray | slice | None = None,
) -> np.ndarray:
    """float32 features of ``rows`` (all rows when None). ``lengths``: (n, 2) characters of
    prompt and answer. Built per chunk when scoring, so 1M rows never hold 1M x 800 floats."""
    sel = slice(None) if rows is None else rows
    p = np.asarray(prompt_vectors[sel], dtype=np.float32)
    r = np.asarray(response_vectors[sel], dtype=np.float32)
    s = np.asarray(signal_values[sel], dtype=np.float32)
    measured = ~np.isnan(s)
    length = np.log1p(np.asarray(lengths[sel], dtype=np.float32))
    return np.hstack([r, p, r - p, np.nan_to_num(s, nan=0.0), measured, length]).astype(np.float32)


# -- the model -------------------------------------------------------------------------------


@dataclass
class QualityModel:
    kind: str
    features: list[str]
    arrays: dict[str, np.ndarray]  # everything scoring needs (see _raw_scores)
    calibration: tuple[float, float]  # Platt: p_keep = sigmoid(a * raw + b)
    trained_ids: list[str]
    trained_labels: np.ndarray  # int8, 1 keep 0 drop
    report: dict[str, Any] = field(default_factory=dict)

    def raw_scores(self, X: np.ndarray) -> np.ndarray:
        if X.shape[1] != len(self.features):
            raise ValueError(
                f"the model was trained on {len(self.features)} features, these rows have "
                f"{X.shape[1]} (another embedding model or signal set?); retrain it"
            )
        a = self.arrays
        if self.kind == LOGISTIC:
            z = (X.astype(np.float64) - a["mean"]) / a["scale"]
            return z @ a["coef"] + float(a["intercept"][0])
        return _boosting_raw(a, X)

    def keep_probability(self, X: np.ndarray) -> np.ndarray:
        a, b = self.calibration
        return _sigmoid(a * self.raw_scores(X) + b)


def train(
    X: np.ndarray,
    y: np.ndarray,
    ids: list[str],
    features: list[str],
    *,
    seed: int = 0,
    min_labels: int = MIN_LABELS,
    candidates: tuple[str, ...] = CANDIDATES,
    progress: Progress = NULL_PROGRESS,
) -> QualityModel:
    """Choose, fit and calibrate a model on labelled rows ``X`` with ``y`` (1 keep, 0 drop).
    ``candidates``: names from ``CANDIDATES``; the compact ones are left out when ``features``
    hold no embedding columns (their view would be every feature)."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    started = time.perf_counter()
    y = np.asarray(y, dtype=np.int8)
    check_labels(y, min_labels)
    unknown = [c for c in candidates if c not in BASE_KIND]
    if unknown:
        raise ValueError(f"unknown model kind {unknown[0]!r}; use {', '.join(CANDIDATES)}")
    if not has_embeddings(features):
        candidates = tuple(c for c in candidates if c in (LOGISTIC, BOOSTING)) or candidates
    n_keep, n_drop = int((y == 1).sum()), int((y == 0).sum())
    folds = min(5, n_keep, n_drop)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(X, y))
    progress.status("cross-validating", len(candidates) * folds)
    oof: dict[str, np.ndarray] = {}
    aucs: dict[str, float] = {}
    for kind in candidates:
        scores = np.zeros(len(y))
        for tr, te in splits:
            progress.check()
            scores[te] = _fit_candidate(kind, X[tr], y[tr], seed, features).raw(X[te])
            progress.advance()
        oof[kind] = scores
        aucs[kind] = float(roc_auc_score(y, scores))
    # below MIN_LABELS_BOOSTING the folds hold a handful of the smaller class: the CV winner
    # is mostly chance, and boosting chosen by chance ranked worse than the linear model
    # (bench_learn, random labels, 10 seeds, held-out AUC at 25 labels: logistic 0.674,
    # boosting 0.653, the CV choice 0.660; at 50 boosting 0.782, logistic 0.695)
    linear = [k for k in candidates if BASE_KIND[k] == LOGISTIC]
    held_back = len(y) < MIN_LABELS_BOOSTING and 0 < len(linear) < len(candidates)
    eligible = linear if held_back else list(candidates)
    preference = {k: i for i, k in enumerate(PREFERENCE)}
    ranked = sorted(eligible, key=lambda k: (-round(aucs[k], 3), preference[k]))
    ranked += [k for k in candidates if k not in eligible]  # only if the others rank nothing
    for best in ranked:
        progress.status("fitting", None, f"{best} on {len(y):,} labels")
        fitted = _fit_candidate(best, X, y, seed, features)
        # a model whose scores are one constant ranks nothing (boosting cannot split with
        # fewer than 20 rows a leaf): take the next candidate
        if np.ptp(fitted.raw(X)) > 0:
            break
    a, b = _platt(oof[best], y)
    arrays = fitted.export(X.shape[1])
    model = QualityModel(BASE_KIND[best], list(features), arrays, (a, b), list(ids), y.copy())
    oof_p = _sigmoid(a * oof[best] + b)
    model.report = {
        "model": best,
        "labels": {"keep": n_keep, "drop": n_drop},
        "folds": folds,
        "seed": seed,
        "cv_auc": {k: round(v, 4) for k, v in aucs.items()},
        "cv_auc_chosen": round(aucs[best], 4),
        "boosting_from_labels": MIN_LABELS_BOOSTING,
        "features_used": fitted.view.describe(),
        "at_cuts": cut_metrics(oof_p, y),
        "train_seconds": round(time.perf_counter() - started, 3),
    }
    return model


def check_labels(y: np.ndarray, min_labels: int = MIN_LABELS) -> None:
    n_keep, n_drop = int((y == 1).sum()), int((y == 0).sum())
    if len(y) == 0:
        raise LearnError(
            "no keep/drop labels to learn from",
            hint=f"label at least {min_labels} rows (at least {MIN_PER_CLASS} keep and "
            f"{MIN_PER_CLASS} drop), or learn from a column with --label-column",
        )
    if n_keep == 0 or n_drop == 0:
        only = "keep" if n_drop == 0 else "drop"
        raise LearnError(
            f"all {len(y):,} labels say {only}: a model needs both keep and drop labels",
            hint=f"label at least {MIN_PER_CLASS} rows of each (keep {n_keep}, drop {n_drop})",
        )
    if len(y) < min_labels or min(n_keep, n_drop) < MIN_PER_CLASS:
        raise LearnError(
            f"{len(y):,} labels (keep {n_keep}, drop {n_drop}) are too few to learn from",
            hint=f"label at least {min_labels} rows with at least {MIN_PER_CLASS} of each "
            "decision, or lower --min-labels",
        )


def cut_metrics(keep_prob: np.ndarray, y: np.ndarray) -> list[dict[str, Any]]:
    """Precision and recall of "drop" when rows under each cut are called drop."""
    out = []
    drop = y == 0
    for cut in CUTS:
        pred = keep_prob < cut
        tp = int((pred & drop).sum())
        out.append(
            {
                "cut": cut,
                "predicted_drop": int(pred.sum()),
                "drop_precision": round(tp / pred.sum(), 4) if pred.any() else None,
                "drop_recall": round(tp / drop.sum(), 4) if drop.any() else None,
            }
        )
    return out


def score(
    model: QualityModel, make_features: Any, n_rows: int, progress: Progress = NULL_PROGRESS
) -> tuple[np.ndarray, np.ndarray]:
    """(keep_probability, uncertainty) of every row; ``make_features(slice)`` builds a chunk.
    Uncertainty is 1 at p = 0.5 and 0 at p = 0 or 1."""
    keep = np.empty(n_rows, dtype=np.float32)
    progress.status("scoring", n_rows)
    for start in range(0, n_rows, SCORE_CHUNK):
        progress.check()
        sl = slice(start, min(n_rows, start + SCORE_CHUNK))
        keep[sl] = model.keep_probability(make_features(sl))
        progress.advance(sl.stop - sl.start)
    return keep, uncertainty(keep)


def uncertainty(keep_prob: np.ndarray) -> np.ndarray:
    return (1.0 - np.abs(2.0 * keep_prob - 1.0)).astype(np.float32)


# -- persistence -----------------------------------------------------------------------------


def model_bytes(model: QualityModel) -> bytes:
    """The arrays as one npz (no pickle): the scoring arrays, the training ids and labels."""
    buf = io.BytesIO()
    arrays: dict[str, Any] = {f"m.{k}": v for k, v in model.arrays.items()}
    arrays["trained_ids"] = np.array(model.trained_ids, dtype=str)
    arrays["trained_labels"] = model.trained_labels.astype(np.int8)
    np.savez(buf, **arrays)
    return buf.getvalue()


def model_json(model: QualityModel, npz_name: str, npz_sha256: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": model.kind,
        "features": model.features,
        "calibration": {"a": model.calibration[0], "b": model.calibration[1]},
        "arrays": npz_name,
        "arrays_sha256": npz_sha256,
        "report": model.report,
    }


def save_model(model: QualityModel, folder: Path, extra: dict[str, Any] | None = None) -> Path:
    """Write ``folder/quality_model.json`` and the npz it names. The npz (named by its
    digest) goes first, the JSON last and atomically: a crash leaves the old model whole."""
    from inspector.core.atomic import write_atomic

    data = model_bytes(model)
    digest = hashlib.sha256(data).hexdigest()
    npz_name = f"quality_model-{digest[:16]}.npz"
    write_atomic(folder / npz_name, lambda f: f.write(data), fsync=True)
    meta = model_json(model, npz_name, digest)
    meta.update(extra or {})
    path = folder / "quality_model.json"
    text = json.dumps(meta, indent=1, sort_keys=True).encode()
    write_atomic(path, lambda f: f.write(text), fsync=True)
    for old in folder.glob("quality_model-*.npz"):  # models this JSON no longer names
        if old.name != npz_name:
            old.unlink(missing_ok=True)
    return path


def load_model(path: Path) -> QualityModel:
    """Read a model written by :func:`save_model`; a damaged one is a DataError."""
    try:
        meta = json.loads(Path(path).read_text())
        if meta.get("format") != FORMAT:
            raise ValueError("not an Inspector quality model")
        npz = Path(path).parent / meta["arrays"]
        data = npz.read_bytes()
        if hashlib.sha256(data).hexdigest() != meta["arrays_sha256"]:
            raise ValueError(f"{npz.name} does not match the digest its JSON records")
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {k[2:]: z[k] for k in z.files if k.startswith("m.")}
            ids = [str(s) for s in z["trained_ids"]]
            labels = z["trained_labels"].astype(np.int8)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"the saved quality model cannot be read: {exc}",
            file=path,
            hint="run `inspector learn` again to retrain it",
        ) from exc
    cal = meta["calibration"]
    return QualityModel(
        meta["kind"],
        list(meta["features"]),
        arrays,
        (float(cal["a"]), float(cal["b"])),
        ids,
        labels,
        dict(meta.get("report", {})),
    )


# -- active learning -------------------------------------------------------------------------


def kmeans_groups(vectors: np.ndarray, k: int | None = None, seed: int = 0) -> np.ndarray:
    """k-means partitions of ``vectors`` (for spreading a queue when there are no clusters)."""
    from sklearn.cluster import MiniBatchKMeans

    n = len(vectors)
    k = k or max(1, min(50, n // 100))
    if n <= k:
        return np.arange(n, dtype=np.int32)
    km = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096)
    return km.fit_predict(np.asarray(vectors, dtype=np.float32)).astype(np.int32)


def uncertain_queue(
    keep_prob: np.ndarray,
    labelled: np.ndarray,
    groups: np.ndarray,
    n: int | None = None,
    per_group: int | None = None,
    first: np.ndarray | None = None,
) -> np.ndarray:
    """Unlabelled rows, most uncertain first; with ``per_group``, at most that many of a group
    (cluster) in each turn. Ties break by row (same input, same queue). ``first``: rows put
    ahead in that order, those not labelled (the head the learn job picked for uncertainty
    and spread over the features: ``active.review_head``).

    Not in turns from each cluster by default: spreading over clusters gave the clusters the
    model already separates (symbol soup, another language) rows every round. bench_learn
    protocol at 150 labels, 10 seeds, held-out AUC: round robin (per_group=1) 0.883, 5 a turn
    0.885, uncertainty alone 0.898 (better on 7 of 10 seeds than 5 a turn)."""
    unc = uncertainty(keep_prob)
    done = np.asarray(labelled, dtype=bool)
    rows = np.flatnonzero(~done)
    if not len(rows):
        return rows.astype(np.int64)
    g = np.asarray(groups)[rows]
    order = np.lexsort((rows, -unc[rows], g))  # by group, then most uncertain, then row
    rows, g = rows[order], g[order]
    starts = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
    rank = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    # turn t takes every group's rows ranked t*per_group .. (t+1)*per_group-1, most uncertain
    # first; without per_group, one turn
    turn = rank // max(1, per_group) if per_group else np.zeros(len(rows), dtype=np.int64)
    final = np.lexsort((rows, -unc[rows], turn))
    out = rows[final].astype(np.int64)
    if first is not None and len(first):
        head = np.asarray(first, dtype=np.int64).ravel()
        head = head[(head >= 0) & (head < len(done))]
        head = head[~done[head]]
        head = head[np.sort(np.unique(head, return_index=True)[1])]  # once, first place
        out = np.r_[head, out[~np.isin(out, head)]]
    return out if n is None else out[:n]


def likely_drop_queue(
    keep_prob: np.ndarray, labelled: np.ndarray, cut: float = 0.5, n: int | None = None
) -> np.ndarray:
    """Unlabelled rows under ``cut``, least likely kept first."""
    rows = np.flatnonzero(~np.asarray(labelled, dtype=bool) & (keep_prob < cut))
    out = rows[np.lexsort((rows, keep_prob[rows]))].astype(np.int64)
    return out if n is None else out[:n]


# -- internals -------------------------------------------------------------------------------


@dataclass
class _Fitted:
    """One candidate fitted: its view and the scikit-learn model on the view's columns."""

    kind: str
    view: View
    estimator: Any

    def raw(self, X: np.ndarray) -> np.ndarray:
        return _sk_raw(BASE_KIND[self.kind], self.estimator, self.view.apply(X))

    def export(self, n_features: int) -> dict[str, np.ndarray]:
        """Arrays that score the full feature rows as this candidate scores its view."""
        base = BASE_KIND[self.kind]
        arrays = _export(base, self.estimator)
        if self.kind in (LOGISTIC, BOOSTING):
            return arrays
        if base == BOOSTING:  # trees on kept columns only: their feature numbers, renumbered
            arrays["node_feature_idx"] = self.view.keep[arrays["node_feature_idx"].astype(np.int64)]
            return arrays
        return fold_linear(arrays, self.view, n_features)


def _fit_candidate(
    kind: str, X: np.ndarray, y: np.ndarray, seed: int, features: list[str]
) -> _Fitted:
    if kind in (LOGISTIC, BOOSTING):
        view = full_view(X.shape[1])
    else:
        view = compact_view(X, features, COMPONENTS if kind == LOGISTIC_COMPACT else 0)
    leaf = MIN_LEAF_SIGNALS if kind == BOOSTING_SIGNALS else MIN_LEAF
    return _Fitted(kind, view, _fit(BASE_KIND[kind], view.apply(X), y, seed, leaf))


def _fit(kind: str, X: np.ndarray, y: np.ndarray, seed: int, min_leaf: int = MIN_LEAF) -> Any:
    from threadpoolctl import threadpool_limits

    # one thread: on a few busy cores BLAS and OpenMP threads fought each other (measured on
    # 600 x 786 features: boosting 39 s -> 0.5 s a fit)
    with threadpool_limits(1):
        return _fit_one(kind, X, y, seed, min_leaf)


def _fit_one(kind: str, X: np.ndarray, y: np.ndarray, seed: int, min_leaf: int) -> Any:
    if kind == LOGISTIC:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        pipe = make_pipeline(
            StandardScaler(),
            LogisticRegression(C=0.05, max_iter=2000, class_weight="balanced", random_state=seed),
        )
        return pipe.fit(X, y)
    if kind == BOOSTING:
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            max_iter=100,
            learning_rate=0.1,
            max_leaf_nodes=8,
            max_bins=64,
            l2_regularization=1.0,
            # scikit-learn's default leaf of 20 rows cannot hold apart a kind of bad row that a
            # few labels show (150 labels hold ~30 drops of 7 kinds). bench_learn, random
            # labels, 10 seeds, held-out AUC at 50/100/150/300 labels: 20 rows a leaf
            # 0.648/0.807/0.864/0.895, 10 rows 0.722/0.860/0.879/0.939, 5 rows
            # 0.782/0.881/0.922/0.975; out-of-fold AUC rose alike, so CV sees it
            min_samples_leaf=min_leaf,
            early_stopping=False,
            random_state=seed,  # no class_weight: sample weights made each fit ~12x slower
        ).fit(X, y)
    raise ValueError(f"unknown model kind {kind!r}")


def _sk_raw(kind: str, fitted: Any, X: np.ndarray) -> np.ndarray:
    return np.asarray(fitted.decision_function(X), dtype=np.float64)


def _export(kind: str, fitted: Any) -> dict[str, np.ndarray]:
    if kind == LOGISTIC:
        scaler, lr = fitted[0], fitted[-1]
        scale = np.where(scaler.scale_ == 0, 1.0, scaler.scale_)
        return {
            "mean": scaler.mean_.astype(np.float64),
            "scale": scale.astype(np.float64),
            "coef": lr.coef_[0].astype(np.float64),
            "intercept": np.asarray(lr.intercept_, dtype=np.float64),
        }
    # HistGradientBoosting: every tree's node table (plain numeric fields) and the baseline
    trees = [pred[0].nodes for pred in fitted._predictors]
    offsets = np.cumsum([0] + [len(t) for t in trees]).astype(np.int64)
    out = {f"node_{f}": np.concatenate([t[f] for t in trees]) for f in _NODE_FIELDS}
    out["tree_offsets"] = offsets
    out["baseline"] = np.asarray(fitted._baseline_prediction, dtype=np.float64).ravel()
    return out


def _boosting_raw(a: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """Sum of the trees' leaf values for each row, walking all rows level by level."""
    X = np.asarray(X)
    n = len(X)
    total = np.full(n, float(a["baseline"][0]))
    feat = a["node_feature_idx"].astype(np.int64)
    thr = a["node_num_threshold"]
    left = a["node_left"].astype(np.int64)
    right = a["node_right"].astype(np.int64)
    leaf = a["node_is_leaf"].astype(bool)
    miss_left = a["node_missing_go_to_left"].astype(bool)
    value = a["node_value"]
    offsets = a["tree_offsets"]
    all_rows = np.arange(n)
    for t in range(len(offsets) - 1):
        base = offsets[t]
        node = np.full(n, base, dtype=np.int64)
        active = all_rows
        while len(active):
            cur = node[active]
            done = leaf[cur]
            active, cur = active[~done], cur[~done]
            if not len(active):
                break
            x = X[active, feat[cur]]
            go_left = np.where(np.isnan(x), miss_left[cur], x <= thr[cur])
            node[active] = base + np.where(go_left, left[cur], right[cur])
        total += value[node]
    return total


def _platt(raw: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
    # With a handful of labels the out-of-fold scores can anti-correlate by chance; a negative
    # slope would turn the refitted model's ranking upside down. Keep the ranking, flatten it.
    a = max(float(lr.coef_[0, 0]), MIN_PLATT_SLOPE)
    b = float(lr.intercept_[0]) if a > MIN_PLATT_SLOPE else float(np.log(y.mean() / (1 - y.mean())))
    return a, b


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))).astype(np.float32)
