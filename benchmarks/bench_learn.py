"""Benchmark the learned quality model and the no-label signals (issue 11).

Ground truth nobody trains on: the 2,415 real answers of the shared AlpacaEval sample are
"keep"; a deliberately degraded generator (inspector.core.learn.degrade) plants "drop" rows
with prompts from the sample: answers of other prompts, word salad drawn from the sample's
words, symbol soup, one answer given to many prompts, answers cut mid-sentence, answers
ending in a loop, answers in another language. Figures:

- no-label signals: recall per planted kind and overall, and the share of real answers flagged;
- AUC on a held-out 30% against the number of labels (25, 50, 100, 150, 300), labels chosen at
  random or by active learning (the first labels from the random:N queue; then, as the window
  does, retrain every 25 labels and label the top of learn:uncertain: the head the learn job
  picks, core/learn/active.py review_head, then queues.learned_rows), ``--seeds`` seeds
  (``--labels``, ``--jobs``, ``--diversity`` for trials, printed only);
- train + score seconds at 100k and 1M rows (synthetic vectors), signals seconds at ~100k rows,
  the retrain job at 1M rows on a worker thread with label writes on the main thread.

Usage: ``python benchmarks/bench_learn.py`` (writes benchmarks/results/bench_learn.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared/data/alpaca_eval_sample.jsonl"
OUT = ROOT / "benchmarks/results/bench_learn.json"
LABEL_COUNTS = (25, 50, 100, 150, 300)


def planted_data(per_kind: int = 100, seed: int = 0):
    """(prompts, answers, kinds, ids): the real sample, then planted rows per kind. The shared
    answers come as 5 groups of per_kind/5 prompts, each group one real answer."""
    from inspector.core.learn.degrade import KINDS, plant

    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()]
    prompts = [r["instruction"] for r in rows]
    answers = [r["output"] for r in rows]
    ids = [r["id"] for r in rows]
    kinds = ["real"] * len(rows)
    planted = []
    for kind in KINDS:
        if kind == "shared_answer":
            for g in range(5):
                planted += plant(prompts, answers, per_kind // 5, kinds=[kind], seed=seed + 100 + g)
        else:
            planted += plant(prompts, answers, per_kind, kinds=[kind], seed=seed)
    for i, (kind, p, a) in enumerate(planted):
        prompts.append(p)
        answers.append(a)
        kinds.append(kind)
        ids.append(f"planted/{kind}/{i}")
    return prompts, answers, np.array(kinds), ids


def auc_inputs(prompts, answers, kinds: np.ndarray, pv, rv, table):
    """What the AUC runs learn from, built as the learn job builds it (project_learn.learn_on):
    the feature rows and their names, the query space (active.query_space, seed 0), y (1 =
    a real answer) and k-means groups of the answers (the window passes its map's clusters)."""
    from inspector.core.learn.active import query_space
    from inspector.core.learn.model import feature_matrix, feature_names, kmeans_groups

    lengths = np.column_stack([[len(p) for p in prompts], [len(a) for a in answers]])
    sv = table.values()
    X = feature_matrix(pv, rv, sv, lengths)
    names = feature_names(pv.shape[1], list(table.signals))
    y = (kinds == "real").astype(np.int8)
    return X, y, kmeans_groups(rv, 20, seed=0), query_space(pv, rv, sv, lengths, seed=0), names


def signal_figures(table, kinds: np.ndarray) -> dict:
    from inspector.core.learn.signals import SIGNALS

    real = kinds == "real"
    any_flag = table.any_flag()
    garbage_signals = [n for n in SIGNALS if n != "ai_boilerplate"]
    garbage_flag = np.zeros(len(kinds), dtype=bool)
    for n in garbage_signals:
        garbage_flag |= table.flagged(n)
    per_kind = {}
    for kind in sorted(set(kinds) - {"real"}):
        m = kinds == kind
        per_kind[kind] = {
            "rows": int(m.sum()),
            "recall_any_signal": round(float(any_flag[m].mean()), 4),
            "by_signal": {n: int(table.flagged(n)[m].sum()) for n in SIGNALS},
        }
    return {
        "planted_rows": int((~real).sum()),
        "recall_on_planted_any_signal": round(float(any_flag[~real].mean()), 4),
        "recall_on_planted_garbage_signals": round(float(garbage_flag[~real].mean()), 4),
        "real_rows": int(real.sum()),
        "real_flagged_any_signal": round(float(any_flag[real].mean()), 4),
        "real_flagged_garbage_signals": round(float(garbage_flag[real].mean()), 4),
        "garbage_signals": garbage_signals,
        "real_flagged_by_signal": {n: int(table.flagged(n)[real].sum()) for n in SIGNALS},
        "real_proposed_removal": int(table.removals()[real].sum()),
        "cuts": {k: round(v, 4) for k, v in table.cuts.items()},
        "per_planted_kind": per_kind,
    }


def auc_curves(
    X: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    space: np.ndarray,
    names: list[str],
    seeds: tuple[int, ...] = (0, 1, 2),
    labels: tuple[int, ...] = LABEL_COUNTS,
    jobs: int = 1,
    diversity: float | None = None,
) -> dict:
    """Held-out AUC against the number of labels, labels drawn at random or by active
    learning, one run per (arm, seed); ``jobs`` runs them in that many processes.
    ``space``: active.query_space of every row (as the learn job computes it); ``diversity``:
    the head's weight (None: the product's, active.DIVERSITY)."""
    from sklearn.model_selection import train_test_split

    from inspector.core.learn.active import DIVERSITY

    diversity = DIVERSITY if diversity is None else diversity
    idx = np.arange(len(y))
    # the same held-out rows for both arms; no arm ever labels one of them
    pool, test = train_test_split(idx, test_size=0.3, stratify=y, random_state=0)
    data = dict(X=X, y=y, groups=groups, space=space, names=names, pool=pool, test=test,
                labels=tuple(labels), diversity=diversity)  # fmt: skip
    _AUC_DATA.update(data)
    tasks = [(arm, s) for arm in ("random", "active") for s in seeds]
    if jobs > 1:
        import multiprocessing

        # spawn: a forked worker hung (threads of the embedding run held locks at the fork)
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(jobs, initializer=_auc_init, initargs=(data,)) as workers:
            runs = workers.starmap(_auc_run, tasks)
    else:
        runs = [_auc_run(arm, s) for arm, s in tasks]
    out: dict = {"test_rows": int(len(test)), "pool_rows": int(len(pool)), "random": {}}
    out["active"] = {}
    for (arm, _s), records in zip(tasks, runs):
        for n, rec in records:
            slot = out[arm].setdefault(
                str(n), {"aucs": [], "labels": [], "drops": [], "model": [], "cv_auc": []}
            )
            for key, value in rec.items():
                slot[key].append(value)
    for arm in ("random", "active"):
        for v in out[arm].values():
            v["auc_mean"] = round(float(np.mean(v["aucs"])), 4)
            v["auc_sd"] = round(float(np.std(v["aucs"], ddof=1)), 4) if len(v["aucs"]) > 1 else 0.0
            v["auc_median"] = round(float(np.median(v["aucs"])), 4)
    out["seeds"] = list(seeds)
    out["label_counts"] = list(labels)
    out["diversity"] = diversity
    target = out["random"][str(max(labels))]["auc_mean"]
    reach = [n for n in labels if out["active"][str(n)]["auc_mean"] >= target]
    out[f"active_labels_to_reach_random_{max(labels)}"] = reach[0] if reach else None
    return out


_AUC_DATA: dict = {}  # the AUC runs' data, set before the runs (and in each worker)


def _auc_init(data: dict) -> None:
    _AUC_DATA.update(data)


ACTIVE_ROUND = 25  # labels between retrains, as the window retrains (retrain.RETRAIN_EVERY)


def _auc_fit(rows: np.ndarray, seed: int) -> tuple[float, dict, object]:
    from sklearn.metrics import roc_auc_score

    from inspector.core.learn.model import train

    d = _AUC_DATA
    X, y, test = d["X"], d["y"], d["test"]
    m = train(X[rows], y[rows], [str(r) for r in rows], d["names"], seed=seed, min_labels=10)
    auc = float(roc_auc_score(y[test], m.keep_probability(X[test])))
    rec = {
        "aucs": round(auc, 4),
        "labels": int(len(rows)),
        "drops": int((y[rows] == 0).sum()),  # the class balance of the draw
        "model": m.report["model"],
        "cv_auc": m.report["cv_auc"],
    }
    return auc, rec, m


def _auc_run(arm: str, seed: int) -> list[tuple[int, dict]]:
    """One seed of one arm: a record per label count."""
    from inspector.core.labels.queues import learned_rows, random_rows
    from inspector.core.labels.states import DECISION_CODES, NO_DECISION
    from inspector.core.learn.active import review_head

    d = _AUC_DATA
    X, y, groups, pool, test = d["X"], d["y"], d["groups"], d["pool"], d["test"]
    records = []
    if arm == "random":
        rng = np.random.default_rng(1000 + seed)
        for n in d["labels"]:
            while True:  # a random draw that holds both classes (the model needs both)
                rows = rng.choice(pool, n, replace=False)
                if 5 <= y[rows].sum() <= n - 5:
                    break
            records.append((n, _auc_fit(rows, seed)[1]))
        return records
    # active: the curator starts on the random:N queue (queues.random_rows, among the rows
    # not held out) and labels it until both classes have the model's minimum (those extra
    # labels count); then, as in the window, retrain every ACTIVE_ROUND labels and label the
    # top of learn:uncertain: the learn job's head (active.review_head over the features'
    # space, as project_learn.learn_on computes it) then the queue (queues.learned_rows, the
    # code the window's queue runs). Held-out rows have no score (NaN): never queued.
    order = random_rows(len(y), len(pool), seed=1000 + seed, among=pool)
    k = ACTIVE_ROUND
    while not (5 <= y[order[:k]].sum() <= k - 5):
        k += 1
    labelled = order[:k]
    for n in d["labels"]:
        while len(labelled) < n:
            _, _, m = _auc_fit(labelled, seed)
            p = np.full(len(y), np.nan)
            p[pool] = m.keep_probability(X[pool])  # type: ignore[attr-defined]
            in_training = np.zeros(len(y), dtype=bool)
            in_training[labelled] = True
            head = review_head(p, in_training, d["space"], diversity=d["diversity"])
            codes = np.full(len(y), NO_DECISION, dtype=np.int64)
            codes[labelled] = DECISION_CODES["keep"]  # decided: not queued
            queue = learned_rows("uncertain", p, codes, groups, head=head)
            labelled = np.r_[labelled, queue[: min(ACTIVE_ROUND, n - len(labelled))]]
        assert not np.isin(labelled, test).any()  # the AUC is on rows never labelled
        records.append((n, _auc_fit(labelled, seed)[1]))
    return records


def timing(n_rows: int, dim: int = 256, n_signals: int = 8, labels: int = 300) -> dict:
    from inspector.core.learn.model import feature_matrix, feature_names, score, train

    rng = np.random.default_rng(0)
    pv = rng.normal(size=(n_rows, dim)).astype(np.float32)
    rv = rng.normal(size=(n_rows, dim)).astype(np.float32)
    sv = rng.random((n_rows, n_signals)).astype(np.float32)
    lengths = rng.integers(10, 5000, size=(n_rows, 2))
    y_all = (rv[:, 0] + sv[:, 0] > 0.5).astype(np.int8)
    rows = rng.choice(n_rows, labels, replace=False)
    names = feature_names(dim, [f"s{i}" for i in range(n_signals)])
    t0 = time.perf_counter()
    m = train(feature_matrix(pv, rv, sv, lengths, rows), y_all[rows], [str(r) for r in rows], names)
    t1 = time.perf_counter()
    keep, _unc = score(m, lambda sl: feature_matrix(pv, rv, sv, lengths, sl), n_rows)
    t2 = time.perf_counter()
    # what the learn job adds after scoring: the space and the head of learn:uncertain
    from inspector.core.learn.active import query_space, review_head

    t3 = time.perf_counter()
    in_training = np.zeros(n_rows, dtype=bool)
    in_training[rows] = True
    review_head(keep, in_training, query_space(pv, rv, sv, lengths))
    t4 = time.perf_counter()
    return {
        "rows": n_rows,
        "labels": labels,
        "model": m.report["model"],
        "train_seconds": round(t1 - t0, 2),
        "score_seconds": round(t2 - t1, 2),
        "review_head_seconds": round(t4 - t3, 2),
    }


def quantile_sweep(prompts, answers, pv, rv, kinds: np.ndarray) -> dict:
    """Recall and real rows flagged for other off_topic quantiles (0.9 is the default; it was
    chosen looking at this data, so the sweep shows how much rides on it)."""
    from dataclasses import replace

    from inspector.core.learn import signals

    out = {}
    original = signals.SIGNALS["off_topic"]
    try:
        for q in (0.85, 0.9, 0.95):
            signals.SIGNALS["off_topic"] = replace(original, threshold=q)
            f = signal_figures(signals.compute_signals(prompts, answers, pv, rv), kinds)
            out[str(q)] = {
                "recall": f["recall_on_planted_garbage_signals"],
                "real_flagged": f["real_flagged_garbage_signals"],
            }
    finally:
        signals.SIGNALS["off_topic"] = original
    return out


def retrain_timing(n_rows: int, dim: int = 256, n_signals: int = 8, labels: int = 300) -> dict:
    """The retrain job's train + score at ``n_rows`` (synthetic vectors) on a worker thread,
    and how long a one-row label write takes on the calling thread meanwhile (a stand-in for
    the decision key: the window's key handler writes one label)."""
    import sqlite3
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(0)
    pv = rng.normal(size=(n_rows, dim)).astype(np.float32)
    rv = rng.normal(size=(n_rows, dim)).astype(np.float32)
    sv = rng.random((n_rows, n_signals)).astype(np.float32)
    lengths = rng.integers(10, 5000, size=(n_rows, 2))
    y_all = (rv[:, 0] + sv[:, 0] > 0.5).astype(np.int8)
    rows = rng.choice(n_rows, labels, replace=False)

    def job() -> tuple[float, float]:
        from inspector.core.learn.model import feature_matrix, feature_names, score, train

        names = feature_names(dim, [f"s{i}" for i in range(n_signals)])
        t0 = time.perf_counter()
        X = feature_matrix(pv, rv, sv, lengths, rows)
        m = train(X, y_all[rows], [str(r) for r in rows], names)
        t1 = time.perf_counter()
        score(m, lambda sl: feature_matrix(pv, rv, sv, lengths, sl), n_rows)
        return t1 - t0, time.perf_counter() - t1

    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(f"{tmp}/labels.sqlite")
        db.execute("CREATE TABLE labels (id TEXT PRIMARY KEY, decision TEXT)")
        waits: list[float] = []
        with ThreadPoolExecutor(1) as pool:
            fut = pool.submit(job)
            i = 0
            while not fut.done():
                t = time.perf_counter()
                with db:
                    db.execute("INSERT OR REPLACE INTO labels VALUES (?, 'keep')", (str(i),))
                waits.append((time.perf_counter() - t) * 1000)
                i += 1
                time.sleep(0.05)  # a fast curator: 20 keys a second
            train_s, score_s = fut.result()
        db.close()
    return {
        "rows": n_rows,
        "labels": labels,
        "train_seconds": round(train_s, 2),
        "score_seconds": round(score_s, 2),
        "label_writes_while_training": len(waits),
        "label_write_ms_p50": round(float(np.percentile(waits, 50)), 2) if waits else None,
        "label_write_ms_p95": round(float(np.percentile(waits, 95)), 2) if waits else None,
        "note": "synthetic vectors (256-d) and signals; the job on a worker thread, one-row "
        "SQLite label writes on the main thread meanwhile (no window: the key handler's own "
        "cost is measured in bench_ui_responsiveness)",
    }


def signals_timing(prompts: list[str], answers: list[str], vectors, target: int) -> dict:
    from inspector.core.learn.signals import compute_signals

    reps = max(1, target // len(prompts))
    pv, rv = vectors
    t0 = time.perf_counter()
    compute_signals(prompts * reps, answers * reps, np.tile(pv, (reps, 1)), np.tile(rv, (reps, 1)))
    return {"rows": len(prompts) * reps, "seconds": round(time.perf_counter() - t0, 2)}


# -- decision keys while the model trains (--only keys) ----------------------------------------
KEYS_OUT = ROOT / "benchmarks/results/bench_learn_keys.json"


def _keys_data(folder: Path, n_rows: int, dim: int, labels: int) -> Path:
    """A Parquet file of ``n_rows`` short rows (bench_session's shape) whose every row has
    cached synthetic embeddings of the default model (prepared beforehand), so the real retrain
    path finds its embeddings: "once embeddings exist". Rows ``< labels`` whose number is a
    multiple of 3 answer in symbols (the drop labels)."""
    import polars as pl

    from inspector.core.map.models import model_identity
    from inspector.core.map.vector_cache import VectorCache, hash_texts

    i = pl.int_range(n_rows, dtype=pl.Int64)
    s = i.cast(pl.String)
    frame = pl.select(
        ("id-" + s).alias("id"),
        ("Write a short note about topic " + s + " and its history.").alias("instruction"),
        pl.when((i < labels) & (i % 3 == 0))
        .then("} } } verify }:param withObject " + s)
        .otherwise("Topic " + s + " began long ago; this is answer " + s + ".")
        .alias("output"),
    )
    path = folder / "rows.parquet"
    frame.write_parquet(path, row_group_size=100_000)
    store = VectorCache(model_identity("default"))
    dim = store.dim or dim
    rng = np.random.default_rng(0)
    for col in ("instruction", "output"):
        texts = frame[col].to_list()
        for start in range(0, n_rows, 200_000):
            chunk = texts[start : start + 200_000]
            v = rng.normal(size=(len(chunk), dim)).astype(np.float32)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            store.append(hash_texts(chunk), v.astype(np.float16))
    return path


def keys_timing(n_rows: int, keys: int = 200, labels: int = 30, gap_s: float = 0.1) -> dict:
    """Decision key -> label saved and the next sample painted, in the real window (offscreen)
    on ``n_rows`` rows: ``keys`` presses with nothing running, then presses every ``gap_s``
    while the quality model retrains in the background (started the window's own way: the
    review hub labels ``labels`` rows, the learn controller sees them and starts the job)."""
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QObject, QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from inspector.core.learn import retrain_process
    from inspector.ui.junk import learn_wiring
    from inspector.ui.shell.app import make_app
    from inspector.ui.shell.features import install_learn, install_review
    from inspector.ui.shell.main_window import MainWindow

    tmp = Path(tempfile.mkdtemp(prefix="inspector-bench-keys-"))
    t0 = time.perf_counter()
    data = _keys_data(tmp, n_rows, 256, labels)
    prepare_s = time.perf_counter() - t0
    app = make_app()
    QSettings().setValue("map/auto", False)
    window = MainWindow()
    review = install_review(window)
    learn = install_learn(window)
    window.show()
    QTest.qWaitForWindowExposed(window)
    opened: list[object] = []
    window.datasetOpened.connect(opened.append)
    window.open_path(data, project_path=tmp / "project.sqlite")
    while not opened:
        app.processEvents()
        time.sleep(0.002)
    session = review.start("all")
    app.processEvents()
    view = review.view
    painted: list[tuple[float, int | None]] = []

    class PaintHook(QObject):
        def eventFilter(self, obj, event) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                painted.append((time.perf_counter(), view.sample.row))
            return False

    hook = PaintHook()
    view.sample.viewport().installEventFilter(hook)

    def key_to_paint(key) -> tuple[float, float]:
        widget = QApplication.focusWidget()
        painted.clear()
        t0 = time.perf_counter()
        QTest.keyClick(widget, key)
        handled = time.perf_counter() - t0
        want = session.current_row()
        deadline = t0 + 10
        while time.perf_counter() < deadline:
            app.processEvents()
            if any(row == want for _t, row in painted):
                break
        else:
            raise RuntimeError(f"row {want} was never painted")
        return next(t for t, row in painted if row == want) - t0, handled

    def stats(values: list[float]) -> dict:
        ms = np.array(values) * 1000
        return {
            "n": len(ms),
            "median_ms": round(float(np.median(ms)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "max_ms": round(float(ms.max()), 2),
        }

    # the decision keys of the review session (keep, drop, unsure) on rows past the labels
    decide = [Qt.Key.Key_A, Qt.Key.Key_X, Qt.Key.Key_Space]
    for _ in range(10):
        key_to_paint(Qt.Key.Key_Right)
    while (session.current_row() or 0) < labels + 5:
        key_to_paint(Qt.Key.Key_Right)
    idle_total, idle_in = [], []
    load_idle = os.getloadavg()
    assert learn.retrainer is not None
    min_labels = learn.retrainer.min_labels
    learn.retrainer.min_labels = 10**9  # the idle keys' labels must not start a training
    for n in range(keys):
        total, inside = key_to_paint(decide[n % 3])
        idle_total.append(total)
        idle_in.append(inside)
    app.processEvents()
    learn.retrainer.min_labels = min_labels
    # the main thread's share of a finished run: the swap of what the job read (timed)
    swaps: list[float] = []
    done = learn._done

    parts: dict[str, float] = {}
    for name in ("_show", "check_due"):  # what the swap spends its time on
        inner = getattr(learn, name)

        def timed(*a, _inner=inner, _name=name):
            t = time.perf_counter()
            try:
                return _inner(*a)
            finally:
                parts[_name] = parts.get(_name, 0.0) + time.perf_counter() - t

        setattr(learn, name, timed)

    def timed_done(project, out) -> None:
        parts.clear()
        t = time.perf_counter()
        done(project, out)
        swaps.append(time.perf_counter() - t)

    learn._done = timed_done
    # the labels that make training due, then keys until the run has ended
    hub = review.hub
    rows = np.arange(labels)
    hub.decide(rows[rows % 3 != 0], "keep")
    hub.decide(rows[rows % 3 == 0], "drop")
    t_start = time.perf_counter()
    while window.jobs.current("learn") is None and time.perf_counter() - t_start < 30:
        app.processEvents()
    if window.jobs.current("learn") is None:
        raise RuntimeError(f"training did not start: {learn.last_error}")
    busy_total, busy_in = [], []
    load_busy = os.getloadavg()
    generation = learn.retrainer.running
    # until this run ends (the keys' own labels would start the next run when it does)
    stages: list[str] = []  # the run's stage at each key (the child's, as the job sees it)
    when: list[float] = []  # seconds into the run
    while learn.retrainer is not None and learn.retrainer.running == generation:
        job = window.jobs.current("learn")
        stages.append(job.progress.stage if job is not None else "")
        total, inside = key_to_paint(decide[len(busy_total) % 3])
        busy_total.append(total)
        when.append(time.perf_counter() - t_start)
        busy_in.append(inside)
        until = time.perf_counter() + gap_s
        while time.perf_counter() < until:
            app.processEvents()
            time.sleep(0.005)
    train_s = time.perf_counter() - t_start
    learn.retrainer.min_labels = 10**9
    window.jobs.cancel("learn")
    view.sample.viewport().removeEventFilter(hook)
    out = {
        "rows": n_rows,
        "labels": labels,
        "prepare_seconds": round(prepare_s, 1),
        "idle": {
            "key_to_paint": stats(idle_total),
            "in_key_handler": stats(idle_in),
            "load_average": [round(x, 2) for x in load_idle],
        },  # fmt: skip
        "while_training": {
            "key_to_paint": stats(busy_total),
            "in_key_handler": stats(busy_in),
            "load_average": [round(x, 2) for x in load_busy],
            "training_seconds": round(train_s, 1),
            "trained_at": None if learn.retrainer is None else learn.retrainer.trained_at,
            "error": learn.last_error,
            "isolated": learn_wiring.ISOLATE,
            "child_nice": retrain_process.NICE,
            "done_on_main_thread_ms": [round(x * 1000, 1) for x in swaps],
            "done_parts_ms": {k: round(v * 1000, 1) for k, v in parts.items()},
            "slowest_keys": [
                {
                    "ms": round(busy_total[i] * 1000, 1),
                    "at_s": round(when[i], 1),
                    "stage": stages[i],
                }
                for i in np.argsort(busy_total)[::-1][:10]
            ],
            "key_to_paint_by_stage": {
                stage: stats([t for t, st in zip(busy_total, stages, strict=True) if st == stage])
                for stage in dict.fromkeys(stages)
            },
        },
        "note": "real window (offscreen), review session 'all', keys a/x/space; a key's time "
        "is from the press to the paint of the next sample (the label saved with fsync "
        "inside the key handler); while training: a key every ~0.1 s until the run ends. "
        "Embeddings: synthetic 256-d vectors put in the default model's cache beforehand. "
        "isolated: the run in a child process (core/learn/retrain_process.py); "
        "done_on_main_thread_ms: the finished run's swap on the main thread",
    }
    window.close()
    return out


def explain_timing(n_rows: int, dim: int = 256, n_signals: int = 8, labels: int = 300) -> dict:
    """The reader's explanation of one row (core/learn/explain.py) at ``n_rows`` rows
    (synthetic vectors, as ``timing``): building the explainer once per model, then
    ``explain(row)`` for 1,000 random rows, with the linear model and with boosting."""
    from inspector.core.learn.explain import Explainer
    from inspector.core.learn.model import BOOSTING, LOGISTIC, feature_matrix, feature_names, train

    rng = np.random.default_rng(0)
    pv = rng.normal(size=(n_rows, dim)).astype(np.float32)
    rv = rng.normal(size=(n_rows, dim)).astype(np.float32)
    sv = rng.random((n_rows, n_signals)).astype(np.float32)
    lengths = rng.integers(10, 5000, size=(n_rows, 2))
    y_all = (rv[:, 0] + sv[:, 0] > 0.5).astype(np.int8)
    rows = rng.choice(n_rows, labels, replace=False)
    signals = ["off_topic", "shared_answer", "word_salad", "symbol_soup", "language_mismatch",
               "cut_off", "repetition_loop", "ai_boilerplate"][:n_signals]  # fmt: skip
    names = feature_names(dim, signals)
    ids = [f"id-{i}" for i in range(n_rows)]
    X = feature_matrix(pv, rv, sv, lengths, rows)
    out: dict = {"rows": n_rows, "labels": labels, "dim": dim}
    probe = rng.choice(n_rows, 1000, replace=False)
    for kind in (LOGISTIC, BOOSTING):
        model = train(X, y_all[rows], [ids[r] for r in rows], names, candidates=(kind,))
        t0 = time.perf_counter()
        explainer = Explainer(model, pv, rv, sv, lengths, signals, ids)
        build = time.perf_counter() - t0
        per_row = []
        for r in probe:
            t = time.perf_counter()
            explainer.explain(int(r))
            per_row.append((time.perf_counter() - t) * 1000)
        out[kind] = {
            "build_seconds": round(build, 2),
            "explain_ms_median": round(float(np.median(per_row)), 3),
            "explain_ms_p95": round(float(np.percentile(per_row, 95)), 3),
            "explain_ms_max": round(float(np.max(per_row)), 3),
        }
    return out


def explain_main(args: argparse.Namespace) -> None:
    """``--only explain``: the per-row explanation timing, into KEYS_OUT ("explain")."""
    report = json.loads(KEYS_OUT.read_text()) if KEYS_OUT.exists() else {}
    load = [round(x, 2) for x in os.getloadavg()]
    part = explain_timing(args.rows or 1_000_000)
    part["load_average"] = {"start": load, "end": [round(x, 2) for x in os.getloadavg()]}
    report["explain"] = part
    print(json.dumps(part, indent=1))
    KEYS_OUT.parent.mkdir(parents=True, exist_ok=True)
    KEYS_OUT.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def keys_main(args: argparse.Namespace) -> None:
    """``--only keys``: decision-key figures with and without training, into KEYS_OUT."""
    report = json.loads(KEYS_OUT.read_text()) if KEYS_OUT.exists() else {}
    run = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },  # fmt: skip
        **keys_timing(args.rows or 1_000_000, keys=args.keys),
    }
    run["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    run["machine"]["switch_interval_s"] = sys.getswitchinterval()  # the window sets it
    report.setdefault("runs", []).append(run)
    report["latest"] = run
    text = json.dumps(report, indent=1, ensure_ascii=False)  # as the file is kept
    print(json.dumps(run, indent=1))
    KEYS_OUT.parent.mkdir(parents=True, exist_ok=True)
    KEYS_OUT.write_text(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--skip-1m", action="store_true")
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the AUC-vs-labels runs")
    parser.add_argument(
        "--labels",
        type=lambda t: tuple(int(x) for x in t.split(",")),
        default=LABEL_COUNTS,
        help="AUC label counts, e.g. 150,300 (other than the default: printed, not written)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="AUC runs in this many processes")
    parser.add_argument(
        "--diversity",
        type=float,
        default=None,
        help="--only auc: the active head's diversity weight (0: uncertainty alone); other "
        "than the product's: printed, not written",
    )
    parser.add_argument(
        "--only",
        choices=("auc", "timing", "keys", "explain"),
        help="run only the AUC curves or only the 1M train+score timing; the other figures "
        "are kept from the results file",
    )
    parser.add_argument("--rows", type=int, default=0, help="--only keys/explain: rows (1M)")
    parser.add_argument("--keys", type=int, default=200, help="--only keys: idle key presses")
    args = parser.parse_args()
    if args.only == "keys":
        return keys_main(args)
    if args.only == "explain":
        return explain_main(args)
    if args.only:
        return partial(args)

    from inspector.core.learn.signals import compute_signals
    from inspector.core.map.embed import embed_texts

    report: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "sample": SAMPLE.name,
        "ground_truth": (
            "keep = the 2,415 real answers of the sample; drop = rows planted by "
            "inspector.core.learn.degrade (100 per kind: answers of another prompt, word salad "
            "drawn from the sample's words, symbol soup, 5 real answers each given to 20 "
            "prompts, answers cut after a word mid-sentence, the first half of an answer then "
            "one of its sentences 5-11 times, 3-6 sentences in fr/de/es/it/pt), prompts taken "
            "from the sample. AUC on a stratified 30% held out from every labelling; "
            "embeddings: the default static model"
        ),
    }
    prompts, answers, kinds, ids = planted_data()
    t0 = time.perf_counter()
    pv = embed_texts(prompts)
    rv = embed_texts(answers)
    report["embed_seconds"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    table = compute_signals(prompts, answers, pv, rv)
    report["signals_seconds"] = round(time.perf_counter() - t0, 2)
    report["signals"] = signal_figures(table, kinds)
    report["signals"]["off_topic_quantile_sweep"] = quantile_sweep(prompts, answers, pv, rv, kinds)
    # a second planting (other seed) the thresholds were not looked at on
    p2, a2, k2, _ = planted_data(seed=1)
    report["signals_other_planting"] = signal_figures(
        compute_signals(p2, a2, embed_texts(p2), embed_texts(a2)), k2
    )
    print(json.dumps(report["signals"], indent=1))

    X, y, groups, space, names = auc_inputs(prompts, answers, kinds, pv, rv, table)
    t0 = time.perf_counter()
    report["auc_vs_labels"] = auc_curves(
        X, y, groups, space, names, tuple(range(args.seeds)), jobs=args.jobs
    )
    report["auc_vs_labels"]["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(report["auc_vs_labels"], indent=1))

    real = kinds == "real"
    report["signals_timing"] = signals_timing(
        [p for p, k in zip(prompts, real) if k],
        [a for a, k in zip(answers, real) if k],
        (pv[real], rv[real]),
        100_000,
    )
    report["train_score_timing"] = [timing(100_000)]
    if not args.skip_1m:
        report["train_score_timing"].append(timing(1_000_000))
        report["retrain_while_labelling"] = retrain_timing(1_000_000)
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")


def partial(args: argparse.Namespace) -> None:
    """``--only auc|timing``: rerun one part and update it in the results file."""
    from inspector.core.learn.signals import compute_signals
    from inspector.core.map.embed import embed_texts

    report = json.loads(args.out.read_text()) if args.out.exists() else {}
    load = {"load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    if args.only == "auc":
        prompts, answers, kinds, _ids = planted_data()
        pv, rv = embed_texts(prompts), embed_texts(answers)
        table = compute_signals(prompts, answers, pv, rv)
        X, y, groups, space, names = auc_inputs(prompts, answers, kinds, pv, rv, table)
        t0 = time.perf_counter()
        part = auc_curves(
            X, y, groups, space, names, tuple(range(args.seeds)), args.labels, args.jobs,
            args.diversity,
        )  # fmt: skip
        part["seconds"] = round(time.perf_counter() - t0, 1)
        part["load_average"] = [round(x, 2) for x in os.getloadavg()]
        trial = tuple(args.labels) != LABEL_COUNTS or args.diversity is not None
        if trial:  # a trial: shown, the results file kept
            print(json.dumps(part, indent=1))
            return
        report["auc_vs_labels"] = part
    else:
        part = {"runs": [timing(100_000)] + ([] if args.skip_1m else [timing(1_000_000)])}
        report["train_score_timing"] = part["runs"]
    load["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report.setdefault("machine", {})[f"load_{args.only}"] = load
    print(json.dumps(part, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
