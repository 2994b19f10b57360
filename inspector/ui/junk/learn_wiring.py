"""The learned quality model in the window: :class:`LearnController`.

Retrains in the background (:mod:`inspector.core.learn.retrain`) every ``RETRAIN_EVERY`` new
keep/drop labels or on request (Labels ▸ Train Quality Model): the labels are read on the
main thread once the key press that added them has been handled, the training runs in a child
process (:mod:`inspector.core.learn.retrain_process`: its GIL is not the window's) watched from
the host's job runner, which also reads the saved scores back and builds the lists and the
reader's explainer; the main thread only swaps them in. It offers the map colour
"learned: keep probability", the two learned lists for the Issues dock
(:class:`LearnedLists`), and each row's score for the reader. Reopening a project shows the
saved scores without retraining.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from PySide6.QtCore import QObject, QTimer, Signal

from inspector.core.labels import states
from inspector.core.labels.queues import learned_rows
from inspector.core.learn import retrain, retrain_process
from inspector.core.learn.explain import Explainer, LearnedExplanation
from inspector.core.learn.model import LearnError, QualityModel, load_model
from inspector.core.learn.project_learn import (
    MODEL,
    learn_dir,
    learned_keep_probability,
    learned_signal_flags,
)
from inspector.core.map.process import start_helper

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset
    from inspector.core.jobs import Progress
    from inspector.core.project import Project
    from inspector.ui.common.host import Host

log = logging.getLogger("inspector.ui")

JOB_KIND = "learn"
EXPLAIN_KIND = "learn-explain"  # the reader's explainer of a saved model, after a reopen
COLOUR = "learned: keep probability"
UNCERTAIN_BAND = 0.2  # "most uncertain": keep_probability within this of 0.5 (learned_lists)
LIKELY_DROP_CUT = 0.5  # "likely drop": keep_probability under this (learned_lists' cut)
# Train in a child process (retrain_process: the window keeps its GIL); False trains on the job
# runner's thread, as the CLI does.
ISOLATE = True


@dataclass(frozen=True)
class LearnedList:
    """One learned list for the Issues dock: its rows (queue order) and the review queue."""

    key: str  # "learn:likely-drop" / "learn:uncertain"
    title: str
    rows: np.ndarray
    note: str  # counts' context: the cut and the cross-validated precision there


@dataclass(frozen=True)
class LearnedLists:
    likely_drop: LearnedList
    uncertain: LearnedList
    facts: dict[str, Any]  # learned_lists(): cut, counts, CV precision, labels, model

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter((self.likely_drop, self.uncertain))


@dataclass
class Saved:
    """The saved model as the window shows it: read on the job thread, swapped in on the main
    thread. ``lists`` were made with the decisions at the job's start (see ``_current``)."""

    keep_probability: np.ndarray | None = None
    signal_flags: pl.DataFrame | None = None
    lists: LearnedLists | None = None


@dataclass(frozen=True)
class TrainJob:
    """What a training job gets, taken on the main thread: the run's snapshot, the project
    (only its dataset and the learn folder's path are read: never the store), the decisions
    and clusters for the lists, and the current explainer, whose arrays (embeddings, signals:
    the same for every run on these rows) the new model's explainer reuses."""

    params: retrain.RetrainParams
    project: Project
    codes: np.ndarray
    groups: np.ndarray | None
    explainer: Explainer | None
    isolate: bool = True


@dataclass
class Trained:
    result: retrain.RetrainResult
    saved: Saved
    explainer: Explainer | None


def _train(job: TrainJob, progress: Progress) -> Trained:
    """The job: train and save (in a child process, else retrain.run in this thread), then
    read the saved scores, the signals' flags and the lists, and build the reader's explainer
    of the new model, so the main thread only swaps them in."""
    ds = job.params.dataset
    explainer = None
    if job.isolate:
        reuse = job.explainer if _fits(job.explainer, ds.height) else None
        try:
            out = retrain_process.run_isolated(job.params, progress, want_vectors=reuse is None)
        except retrain_process.ChildUnavailable:
            log.warning("no learn process; training in the window's process", exc_info=True)
            return _train(replace(job, isolate=False), progress)
        result = out.retrain
        progress.status("reading the scores")
        model = load_model(result.path)
        if out.vectors is not None:
            v = out.vectors
            arrays = (v["prompt_vectors"], v["answer_vectors"], v["signal_values"], v["lengths"])
            explainer = _explainer_of(model, *arrays, out.signal_names, ds)
        elif reuse is not None:
            arrays = (reuse.pv, reuse.rv, reuse.sv, reuse.lengths)
            explainer = _explainer_of(model, *arrays, reuse.signal_names, ds)
    else:
        result = retrain.run(job.params, progress)
        learned = result.result
        assert learned is not None
        if learned.vectors is not None:
            explainer = _explainer(ds, learned.model, learned.vectors, learned.signals)
        learned.vectors = None  # the explainer keeps its own (float16) copy
        progress.status("reading the scores")
    progress.check()
    return Trained(result, _read_saved(job.project, job.codes, job.groups), explainer)


def _fits(explainer: Explainer | None, height: int) -> bool:
    return explainer is not None and len(explainer.rv) == height


def _explainer_of(
    model: QualityModel,
    pv: np.ndarray,
    rv: np.ndarray,
    sv: np.ndarray,
    lengths: np.ndarray,
    names: list[str],
    ds: Dataset,
) -> Explainer | None:
    try:
        return Explainer(model, pv, rv, sv, lengths, names, ds.ids, ds.response())
    except ValueError:  # a model of other features (embedding model, signal set): no words
        return None


def _read_saved(project: Project, codes: np.ndarray, groups: np.ndarray | None) -> Saved:
    """The saved scores on the data's rows, the signals' flags and the learned lists (reads
    the learn folder and the dataset, never the store: safe on a job thread)."""
    p = learned_keep_probability(project)
    if p is None:
        return Saved()
    model = load_model(learn_dir(project) / MODEL)
    flags = learned_signal_flags(project)
    return Saved(p, flags, _make_lists(model, p, codes, groups))


def _make_lists(
    model: QualityModel, p: np.ndarray, codes: np.ndarray, groups: np.ndarray | None
) -> LearnedLists:
    """The two learned lists and their facts, as ``project_learn.learned_lists`` counts them:
    rows without a decision, scored, under the cut / within the band of 0.5."""
    cut = LIKELY_DROP_CUT
    drop = learned_rows("likely-drop", p, codes, cut=cut)
    uncertain = learned_rows("uncertain", p, codes, groups)
    uncertain = uncertain[np.abs(p[uncertain] - 0.5) <= UNCERTAIN_BAND]
    at_cut = next((c for c in model.report.get("at_cuts", []) if c["cut"] == cut), None)
    facts = {
        "cut": cut,
        "likely_drop": len(drop),
        "uncertain": len(uncertain),
        "cv_drop_precision": None if at_cut is None else at_cut["drop_precision"],
        "cv_drop_recall": None if at_cut is None else at_cut["drop_recall"],
        "cv_auc": model.report.get("cv_auc_chosen"),
        "labels": model.report.get("labels"),
        "model": model.kind,
    }
    precision = facts["cv_drop_precision"]
    at = f"p < {cut:g}"
    note = (
        f"cross-validated precision {precision:.2f} at {at}"
        if precision is not None
        else f"at {at}"
    )
    return LearnedLists(
        LearnedList("learn:likely-drop", "Likely drop (learned)", drop, note),
        LearnedList(
            "learn:uncertain",
            "Most uncertain (learned)",
            uncertain,
            f"p within {UNCERTAIN_BAND:g} of 0.5 · {note}",
        ),
        facts,
    )


def _current(lists: LearnedLists | None, codes: np.ndarray) -> LearnedLists | None:
    """``lists`` without the rows decided since they were made (cheap: their rows only)."""
    if lists is None:
        return None
    still = [rows[codes[rows] == states.NO_DECISION] for rows in (lists.likely_drop.rows,
             lists.uncertain.rows)]  # fmt: skip
    if all(len(a) == len(b.rows) for a, b in zip(still, lists, strict=True)):
        return lists
    facts = {**lists.facts, "likely_drop": len(still[0]), "uncertain": len(still[1])}
    return LearnedLists(
        replace(lists.likely_drop, rows=still[0]), replace(lists.uncertain, rows=still[1]), facts
    )


def _explainer(
    ds: Dataset, model: QualityModel, vectors: tuple[np.ndarray, np.ndarray], signals: Any
) -> Explainer | None:
    answers = ds.response()
    lengths = np.column_stack(
        [
            ds.prompt().str.len_chars().fill_null(0).to_numpy(),
            answers.str.len_chars().fill_null(0).to_numpy(),
        ]
    )
    try:
        return Explainer(
            model, vectors[0], vectors[1], signals.values(), lengths, list(signals.signals),
            ds.ids, answers,
        )  # fmt: skip
    except ValueError:  # a model of other features (embedding model, signal set): no words
        return None


def _explain_saved(params: tuple[Dataset, QualityModel], progress: Progress) -> Explainer | None:
    """The job after a reopen: the saved model's explainer (signals and cached embeddings of
    the data as it is now)."""
    from inspector.core.learn.signals import dataset_signals

    ds, model = params
    embed_model = str(model.report.get("features", {}).get("embedding_model", "default"))
    signals, pv, rv = dataset_signals(ds, embed_model, progress)
    return _explainer(ds, model, (pv, rv), signals)


class LearnController(QObject):
    """The quality model of the open project: scores, lists, retraining."""

    scoresChanged = Signal()  # the scores (and lists) shown changed: a load or a retrain
    trainingFailed = Signal(str)

    def __init__(self, host: Host) -> None:
        super().__init__(host.main_window())
        self.host = host
        self.project: Project | None = None
        self.retrainer: retrain.Retrainer | None = None
        self.keep_probability: np.ndarray | None = None
        self.lists: LearnedLists | None = None
        self.signal_flags: pl.DataFrame | None = None  # the saved model's run's signals
        self.explainer: Explainer | None = None  # what drove each row's score (the reader)
        self.last_error: str | None = None
        self._colour_added = False
        self._hooked_review = False
        # a label edit only marks the count dirty; the check runs after the key press
        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(0)
        self._check_timer.timeout.connect(self.check_due)
        host.datasetOpened.connect(self._opened)
        host.datasetClosing.connect(self._closed)
        host.actions.register(
            "learn.train",
            "&Train Quality Model",
            self.train_now,
            menu="Labels",
            enabled_when=lambda: host.project is not None,
            tip="Learn keep/drop from your labels and score every row (runs in the background)",
        )
        # the process server the training's child is forked from, while the window is small
        QTimer.singleShot(0, start_helper)
        if host.project is not None:
            self._opened(host.project)

    # -- the project -------------------------------------------------------------------------
    def _opened(self, project: Project) -> None:
        self.project = project
        self.retrainer = retrain.Retrainer.for_project(project)
        self.signal_flags = None
        self.explainer = None
        self._hook_review()
        self._load_saved()
        self._explain_saved()

    def _closed(self) -> None:
        self.host.jobs.cancel(JOB_KIND)
        self.host.jobs.cancel(EXPLAIN_KIND)
        self.project = self.retrainer = None
        self.keep_probability = self.lists = self.signal_flags = self.explainer = None
        self.scoresChanged.emit()

    def _hook_review(self) -> None:
        review = self.host.review_service()
        if review is not None and not self._hooked_review:
            review.labels_changed.connect(self._labels_changed)
            self._hooked_review = True

    def _load_saved(self) -> None:
        """Read the saved scores (none: no model yet) and tell the views."""
        project = self.project
        saved = Saved()
        if project is not None:
            try:
                codes = self._codes(project)
                saved = _read_saved(project, codes, self._clusters(project.dataset.height))
            except Exception as exc:  # noqa: BLE001 - an unreadable model: say so, keep going
                self.last_error = f"Could not read the learned quality model: {exc}"
                self.host.statusBar().showMessage(self.last_error, 10_000)
        self._show(saved)

    def _show(self, saved: Saved) -> None:
        """Swap in what was read (on a job thread or here) and tell the views."""
        self.keep_probability = saved.keep_probability
        self.lists = None
        if self.project is not None and saved.lists is not None:
            self.lists = _current(saved.lists, self._codes(self.project))
        self.signal_flags = saved.signal_flags  # kept with the model
        self._offer_colour()
        self.scoresChanged.emit()

    def _codes(self, project: Project) -> np.ndarray:
        review = self.host.review_service()
        if review is not None:
            codes = review.decision_codes()
            if len(codes) == project.dataset.height:
                return codes
        return states.decision_codes(project.store, project.dataset.ids)

    def _clusters(self, n: int) -> np.ndarray | None:
        panel = self.host.map_service()
        if panel is None or not panel.has_map():
            return None
        coarse = panel.cluster_labels()[0]
        return None if coarse is None or len(coarse) != n else np.asarray(coarse)

    # -- the map colour ----------------------------------------------------------------------
    def _offer_colour(self) -> None:
        panel = self.host.map_service()
        if panel is None:
            return
        if self.keep_probability is not None and not self._colour_added:
            panel.add_color_source(COLOUR, self._colour_values)
            self._colour_added = True
        if self._colour_added and panel.colour_key() == f"source:{COLOUR}" and panel.has_map():
            panel.refresh_colors()

    def _colour_values(self, _project: Any) -> pl.Series:
        p = self.keep_probability
        if p is None:
            n = self.project.dataset.height if self.project is not None else 0
            return pl.Series(COLOUR, [None] * n, pl.Float64)
        return pl.Series(COLOUR, p, pl.Float64)

    # -- the reader --------------------------------------------------------------------------
    def score_of(self, row: int) -> float | None:
        """The learned keep probability of ``row`` (None: no model, or the row not scored)."""
        p = self.keep_probability
        if p is None or not 0 <= row < len(p) or np.isnan(p[row]):
            return None
        return float(p[row])

    def model_facts(self) -> dict[str, Any] | None:
        return None if self.lists is None else self.lists.facts

    def explain_row(self, row: int) -> LearnedExplanation | None:
        """What drove ``row``'s score (None: no model, its explainer not ready, or the row
        not scored). Cheap: one matrix-vector product (core/learn/explain.py)."""
        explainer = self.explainer
        if explainer is None or self.score_of(row) is None or not 0 <= row < len(explainer.rv):
            return None
        return explainer.explain(row)

    def _explain_saved(self) -> None:
        """After a reopen: build the saved model's explainer in the background."""
        project = self.project
        if project is None or self.keep_probability is None:
            return
        from inspector.core.learn.project_learn import load_learned

        saved = load_learned(project)
        if saved is None:
            return
        model = saved[0]
        self.host.jobs.submit(
            EXPLAIN_KIND,
            _explain_saved,
            (project.dataset, model),
            label="Preparing the quality model's explanations",
            on_done=lambda explainer: self._explained(project, model, explainer),
            on_error=lambda _exc: None,  # the reader then shows the score without the why
        )

    def _explained(self, project: Project, model: QualityModel, explainer: Any) -> None:
        if project is not self.project or self.explainer is not None or explainer is None:
            return  # another project, or a newer model trained meanwhile
        self.explainer = explainer
        self.scoresChanged.emit()

    # -- retraining --------------------------------------------------------------------------
    def _labels_changed(self, update: Any) -> None:
        before = np.asarray(getattr(update, "before", ()))
        after = np.asarray(getattr(update, "after", ()))
        keep_drop = (0, 1)
        if np.isin(before, keep_drop).any() or np.isin(after, keep_drop).any():
            self._check_timer.start()  # after the key press: never inside it

    def counts(self) -> tuple[int, int]:
        """Keep and drop labels on the open data's rows."""
        if self.project is None:
            return 0, 0
        review = self.host.review_service()
        if review is not None and len(review.decision_codes()) == self.project.dataset.height:
            # kept with the codes: this runs after every key, a pass over 10M rows is 10 ms
            return review.decision_count(0), review.decision_count(1)
        codes = self._codes(self.project)
        return int(np.count_nonzero(codes == 0)), int(np.count_nonzero(codes == 1))

    def check_due(self) -> bool:
        """Start a run when one is due (``RETRAIN_EVERY`` new labels, or requested)."""
        if self.retrainer is None or self.project is None:
            return False
        keep, drop = self.counts()
        if not self.retrainer.due(keep, drop):
            return False
        return self._start()

    def train_now(self) -> bool:
        """Labels ▸ Train Quality Model: train now, whatever the count (in the background)."""
        if self.retrainer is None or self.project is None:
            return False
        keep, drop = self.counts()
        self.retrainer.request()
        if self.retrainer.running is not None:
            self._say("The quality model is training; it trains again when this run ends.")
            return False
        if not self.retrainer.due(keep, drop):
            self.retrainer.requested = False
            self._fail(
                f"Too few labels to train the quality model: {keep:,} keep and {drop:,} drop; "
                f"label at least {self.retrainer.min_labels} rows with at least "
                f"{retrain.MIN_PER_CLASS} of each."
            )
            return False
        return self._start()

    def _start(self) -> bool:
        project, retrainer = self.project, self.retrainer
        assert project is not None and retrainer is not None
        try:
            params = retrainer.start(project)
        except LearnError as exc:
            self._fail(f"Cannot train the quality model: {exc}")
            return False
        self._say(f"Training the quality model on {len(params.y):,} labels…")
        n = project.dataset.height
        job = TrainJob(
            params, project, self._codes(project).copy(), self._clusters(n), self.explainer,
            ISOLATE,
        )  # fmt: skip
        self.host.jobs.submit(
            JOB_KIND,
            _train,
            job,
            label="Training the quality model",
            on_done=lambda result: self._done(project, result),
            on_error=lambda exc: self._failed(project, params.generation, exc),
        )
        return True

    def _done(self, project: Project, out: Trained) -> None:
        """On the main thread: only the swap (the job read the scores and made the lists)."""
        result = out.result
        if project is not self.project or self.retrainer is None:
            return
        if not self.retrainer.finished(result):
            return
        self.host.jobs.cancel(EXPLAIN_KIND)  # the old model's: this run brings its own
        self.explainer = out.explainer
        self._show(out.saved)
        auc = result.report.get("cv_auc_chosen")
        self._say(
            f"Quality model trained on {result.labels:,} labels"
            + (f" (cross-validated AUC {auc:.2f})" if auc is not None else "")
        )
        self.check_due()  # labels added (or a request made) while it trained

    def _failed(self, project: Project, generation: int, exc: BaseException) -> None:
        if project is not self.project or self.retrainer is None:
            return
        self.retrainer.failed(generation)
        self._fail(f"Could not train the quality model: {exc}")

    def _fail(self, message: str) -> None:
        self.last_error = message
        self.host.statusBar().showMessage(message, 15_000)
        self.trainingFailed.emit(message)

    def _say(self, message: str) -> None:
        self.host.statusBar().showMessage(message, 10_000)
