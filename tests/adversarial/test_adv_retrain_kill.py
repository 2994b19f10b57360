"""A retraining's child process killed mid-run (Cancel, or SIGKILL while it saves) leaves the
previous saved model and scores whole and loadable, and nothing half-written beside them:
no temp file of the dead child, no scores or model arrays the model JSON does not name."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import polars as pl
import pytest

from inspector.core.atomic import TEMP_MARK
from inspector.core.jobs import Cancelled, Progress
from inspector.core.labels.commands import Decide
from inspector.core.labels.labelbook import LabelBook
from inspector.core.learn.project_learn import MODEL, learn_dir, load_learned
from inspector.core.learn.retrain import Retrainer, run
from inspector.core.learn.retrain_process import (
    RetrainProcessDied,
    run_isolated,
    tidy_after_kill,
)
from inspector.core.project import open_project


@pytest.fixture
def project(tmp_path):
    rng = np.random.default_rng(1)
    recs = []
    for i in range(90):
        answer = (
            f"Prune rose bush {i} in early spring and feed it after the first flowers."
            if i % 3
            else " ".join(rng.choice(["}", "{", "::", "=>", "@@", "nil"], 30))
        )
        recs.append({"id": f"k{i}", "instruction": f"How do I look after rose {i}?",
                     "output": answer})  # fmt: skip
    path = tmp_path / "roses.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    proj = open_project(str(path), project_path=str(tmp_path / "roses.sqlite"))
    yield proj
    proj.close()


def label(project, rows):
    book = LabelBook(project.store, project.dataset)
    book.execute(Decide(np.array([r for r in rows if r % 3]), "keep"))
    book.execute(Decide(np.array([r for r in rows if not r % 3]), "drop"))


def trained_once(project):
    """A saved model on 30 labels, then 30 more labels: the next run would save a new one."""
    label(project, range(30))
    retrainer = Retrainer.for_project(project)
    retrainer.finished(run(retrainer.start(project)))
    before = load_learned(project)
    label(project, range(30, 60))
    return retrainer, before


def assert_whole(folder, before=None):
    """The model JSON names files that exist and load; nothing else of a run lies beside it."""
    meta = json.loads((folder / MODEL).read_text())
    named = {meta["scores"], meta["signal_flags"], meta["arrays"], MODEL}
    assert {p.name for p in folder.iterdir()} == named
    model, scores = load_learned_from_folder(folder)
    assert pl.read_parquet(folder / meta["signal_flags"]).columns[0] in ("id", "row", "signal")
    if before is not None:
        assert model.trained_ids == before[0].trained_ids and scores.equals(before[1])
    return model, scores


def load_learned_from_folder(folder):
    from inspector.core.learn.project_learn import load_learned_from

    saved = load_learned_from(folder)
    assert saved is not None
    return saved


class KillAt(Progress):
    """Ends the child at a stage: ``cancel`` (the window's Cancel) or ``sigkill``."""

    def __init__(self, stage: str, how: str) -> None:
        super().__init__()
        self.at, self.how, self.pid, self.hit = stage, how, None, False

    def child(self, pid: int) -> None:
        self.pid = pid

    def status(self, stage, total=None, message=""):
        super().status(stage, total, message)
        if stage == self.at and not self.hit:
            self.hit = True
            if self.how == "cancel":
                self.cancel()
            else:
                os.kill(self.pid, signal.SIGKILL)


def test_cancel_while_scoring_keeps_the_old_model(project):
    retrainer, before = trained_once(project)
    params = retrainer.start(project)
    progress = KillAt("scoring", "cancel")
    with pytest.raises(Cancelled):
        run_isolated(params, progress, on_start=progress.child)
    assert progress.hit
    with pytest.raises(ProcessLookupError):
        os.kill(progress.pid, 0)  # the child is gone
    retrainer.failed(params.generation)
    assert retrainer.running is None and retrainer.trained_at == 30
    assert_whole(learn_dir(project), before)


def test_sigkill_while_saving_leaves_one_whole_model(project):
    """Killed as it starts to save: the old model, or (when the save won the race) the new
    one, whole either way, and nothing of the dead child beside it."""
    retrainer, before = trained_once(project)
    params = retrainer.start(project)
    progress = KillAt("saving the model", "sigkill")
    try:
        out = run_isolated(params, progress, on_start=progress.child)
    except RetrainProcessDied as exc:
        assert "unchanged" in str(exc)
        assert_whole(learn_dir(project), before)
    else:
        model, scores = assert_whole(learn_dir(project))
        assert len(model.trained_ids) == out.retrain.labels == 60
        assert scores.height == project.dataset.height
    assert progress.hit


def test_sigkill_of_a_first_training_writes_no_model(project):
    label(project, range(30))
    params = Retrainer.for_project(project).start(project)
    progress = KillAt("scoring", "sigkill")
    with pytest.raises(RetrainProcessDied):
        run_isolated(params, progress, on_start=progress.child)
    folder = learn_dir(project)
    assert not (folder / MODEL).exists()
    assert not folder.exists() or not any(folder.iterdir())


def test_what_a_killed_save_left_is_removed_and_the_model_stays(project):
    """Between the scores file and the model JSON: a whole scores file and model arrays the
    JSON does not name, and the dead child's temp file. Another process's temp file stays."""
    _retrainer, before = trained_once(project)
    folder = learn_dir(project)
    dead, other = 999_999_991, 999_999_992
    left = [
        folder / "scores-0123456789abcdef.parquet",
        folder / "signals-0123456789abcdef.parquet",
        folder / "quality_model-0123456789abcdef.npz",
        folder / f".quality_model.json.{TEMP_MARK}{dead}-0a1b2c3d.tmp",
    ]
    before[1].head(3).write_parquet(left[0])
    for path in left[1:]:
        path.write_bytes(b"half")
    theirs = folder / f".scores-x.parquet.{TEMP_MARK}{other}-0a1b2c3d.tmp"
    theirs.write_bytes(b"someone else's")
    removed = tidy_after_kill(folder, dead)
    assert sorted(removed) == sorted(left)
    assert theirs.exists()
    theirs.unlink()
    assert_whole(folder, before)


def test_a_damaged_model_json_is_left_for_the_reader_to_report(project):
    _retrainer, _before = trained_once(project)
    folder = learn_dir(project)
    (folder / MODEL).write_text("{ not json")
    files = sorted(folder.iterdir())
    assert tidy_after_kill(folder, 999_999_991) == []
    assert sorted(folder.iterdir()) == files
