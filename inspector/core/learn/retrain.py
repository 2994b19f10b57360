"""Retraining the quality model while the curator labels, without blocking a key press.

:class:`Retrainer` is the bookkeeping the window keeps: how many keep/drop labels the saved
model was trained on, when to train again (every ``RETRAIN_EVERY`` new labels, or on
request), and which run's result is current. The training itself is :func:`run`, a plain job
(STYLE §3: ``run(params, progress) -> result``) that the window hands to its job runner:
its params are a snapshot taken on the caller's thread (the labels as rows and 0/1, the
dataset, which is only read), so the job never touches the store or the window. The saved
model and scores stay in place until the job has written the new ones (scores file first,
then the model JSON that names it, each atomically: ``save_learned(versioned=True)``);
until then the caller keeps showing the old scores. The window runs :func:`run` in a child
process (:mod:`inspector.core.learn.retrain_process`), whose GIL is not the window's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.learn.model import MIN_LABELS, MIN_PER_CLASS
from inspector.core.learn.project_learn import (
    LearnParams,
    LearnResult,
    collect_labels,
    learn_dir,
    learn_on,
    load_learned_from,
    save_learned,
)

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset
    from inspector.core.project import Project

RETRAIN_EVERY = 25


@dataclass(frozen=True)
class RetrainParams:
    """A snapshot for one training run (taken on the caller's thread)."""

    dataset: Dataset  # read only
    rows: np.ndarray  # labelled rows
    y: np.ndarray  # 1 keep, 0 drop
    folder: Path  # where the model and scores are saved
    generation: int  # which request this is (a newer one makes this result stale)
    learn: LearnParams = field(default_factory=LearnParams)


@dataclass(frozen=True)
class RetrainResult:
    """A finished run: its generation, how many labels it learned from, the run itself
    (None when it ran in a child process: :mod:`retrain_process`; the scores are then read
    from the saved model at ``path``) and the saved model's report."""

    generation: int
    labels: int
    result: LearnResult | None
    path: Path
    report: dict[str, Any] = field(default_factory=dict)


def run(params: RetrainParams, progress: Progress = NULL_PROGRESS) -> RetrainResult:
    """Train on the snapshot's labels, score every row, save atomically. The job function:
    cancellable between steps through ``progress``; raises LearnError on a bad label set."""
    result = learn_on(
        params.dataset, params.rows, params.y, "project decisions", params.learn, progress
    )
    progress.check()  # a cancelled run saves nothing
    progress.status("saving the model")
    path = save_learned(result, params.folder, versioned=True)
    return RetrainResult(params.generation, len(params.y), result, path, result.report)


@dataclass
class Retrainer:
    """When to retrain, and which result is current. Qt-free; one per open project.

    ``trained_at``: keep/drop labels the saved model learned from (None: no model yet)."""

    folder: Path
    every: int = RETRAIN_EVERY
    min_labels: int = MIN_LABELS
    trained_at: int | None = None
    requested: bool = False
    generation: int = 0
    running: int | None = None  # the generation in flight

    @classmethod
    def for_project(cls, project: Project, every: int = RETRAIN_EVERY) -> Retrainer:
        """A retrainer that knows the model saved beside the project (if any)."""
        folder = learn_dir(project)
        saved = load_learned_from(folder)
        trained = None if saved is None else len(saved[0].trained_ids)
        return cls(folder, every=every, trained_at=trained)

    def request(self) -> None:
        """Retrain at the next chance, whatever the count (the user asked)."""
        self.requested = True

    def due(self, keep: int, drop: int) -> bool:
        """Whether to start a run now, given the current keep/drop counts: on request, or
        when ``every`` labels were added since the last training, once the labels suffice
        (``min_labels``, ``MIN_PER_CLASS`` of each). Never while a run is in flight."""
        if self.running is not None:
            return False
        if keep + drop < self.min_labels or min(keep, drop) < MIN_PER_CLASS:
            return False
        if self.requested:
            return True
        last = 0 if self.trained_at is None else self.trained_at
        return keep + drop - last >= self.every or self.trained_at is None

    def start(self, project: Project, learn: LearnParams | None = None) -> RetrainParams:
        """The snapshot for a run (reads the labels on the caller's thread); marks it in
        flight. Raises LearnError when the labels cannot train a model."""
        learn = learn or LearnParams(ignore_missing_labels=True)
        rows, y, _source = collect_labels(project, learn)
        self.generation += 1
        self.running = self.generation
        self.requested = False
        return RetrainParams(project.dataset, rows, y, self.folder, self.generation, learn)

    def finished(self, result: RetrainResult) -> bool:
        """Record a finished run; True when its scores are the ones to show (False for a
        run a newer one replaced)."""
        if result.generation == self.running:
            self.running = None
        if result.generation < self.generation:
            return False
        self.trained_at = result.labels
        return True

    def failed(self, generation: int) -> None:
        """A run ended without a result (error or cancel): the old scores stay."""
        if generation == self.running:
            self.running = None
