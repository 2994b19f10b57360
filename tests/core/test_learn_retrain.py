"""Retraining while labelling: when it is due, the job on a snapshot, atomic saves that keep
the old scores until the new ones are whole, stale runs ignored."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from inspector.core.jobs import Cancelled, Progress
from inspector.core.labels.commands import Decide
from inspector.core.labels.labelbook import LabelBook
from inspector.core.learn.project_learn import learn_dir, load_learned
from inspector.core.learn.retrain import Retrainer, run
from inspector.core.project import open_project


@pytest.fixture
def project(tmp_path):
    rng = np.random.default_rng(0)
    recs = []
    for i in range(80):
        good = i % 3 != 0
        answer = (
            f"Water garden {i} every morning and check the soil of it once a week."
            if good
            else " ".join(rng.choice(["}", "{", "::", "=>", "@@", "nil"], 30))
        )
        recs.append({"id": f"r{i}", "instruction": f"How do I care for garden {i}?",
                     "output": answer})  # fmt: skip
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    proj = open_project(str(path), project_path=str(tmp_path / "p.sqlite"))
    yield proj
    proj.close()


def label(project, rows):
    book = LabelBook(project.store, project.dataset)
    keep = [r for r in rows if r % 3 != 0]
    drop = [r for r in rows if r % 3 == 0]
    book.execute(Decide(np.array(keep), "keep"))
    book.execute(Decide(np.array(drop), "drop"))


def test_due_every_25_labels_or_on_request(tmp_path):
    r = Retrainer(tmp_path, every=25)
    assert not r.due(12, 4)  # too few labels (and < 5 drop)
    assert r.due(15, 5)  # enough, and no model yet
    r.trained_at = 20
    assert not r.due(30, 10)  # 20 new since the last training
    assert r.due(35, 10)  # 25 new
    r.request()
    assert r.due(16, 5)
    r.running = 3
    assert not r.due(100, 100)  # one run at a time


def test_run_trains_on_the_snapshot_and_saves_atomically(project):
    label(project, range(30))
    retrainer = Retrainer.for_project(project)
    assert retrainer.trained_at is None and retrainer.due(20, 10)
    params = retrainer.start(project)
    assert not learn_dir(project).exists()  # the snapshot writes nothing
    label(project, range(30, 60))  # labelling goes on while the job runs
    with ThreadPoolExecutor(1) as pool:
        done = pool.submit(run, params).result()
    assert retrainer.finished(done) and retrainer.trained_at == 30
    model, scores = load_learned(project)
    assert len(model.trained_ids) == 30 and scores.height == 80
    files = sorted(p.name for p in learn_dir(project).iterdir())
    assert sum(f.startswith("scores-") for f in files) == 1
    # the next run is due after 25 more: 60 labels now
    assert retrainer.due(40, 20)
    first = retrainer.start(project)
    second = retrainer.start(project)  # a newer request replaces the first
    assert not retrainer.finished(run(first)) and retrainer.finished(run(second))
    assert len(load_learned(project)[0].trained_ids) == 60
    assert Retrainer.for_project(project).trained_at == 60


class CancelAfterTraining(Progress):
    """Cancels once scoring starts: the model is trained but must not be saved."""

    def status(self, stage, total=None, message=""):
        super().status(stage, total, message)
        if stage == "scoring":
            self.cancel()


def test_a_cancelled_or_failed_run_keeps_the_old_scores(project):
    label(project, range(30))
    retrainer = Retrainer.for_project(project)
    retrainer.finished(run(retrainer.start(project)))
    before = load_learned(project)[1]
    label(project, range(30, 60))
    params = retrainer.start(project)
    with pytest.raises(Cancelled):
        run(params, CancelAfterTraining())
    retrainer.failed(params.generation)
    assert retrainer.running is None and retrainer.trained_at == 30
    model, after = load_learned(project)
    assert len(model.trained_ids) == 30 and after.equals(before)
