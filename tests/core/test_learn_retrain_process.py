"""Retraining in a child process (core/learn/retrain_process.py): the same saved model and
scores as the run in this process, the child's errors with their type and message, the
arrays the explainer needs, and the in-process fallback when no child can start."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from inspector.core.jobs import Progress
from inspector.core.labels.commands import Decide
from inspector.core.labels.labelbook import LabelBook
from inspector.core.learn import retrain_process
from inspector.core.learn.model import LearnError
from inspector.core.learn.project_learn import load_learned, load_learned_from
from inspector.core.learn.retrain import Retrainer, run
from inspector.core.learn.retrain_process import run_isolated
from inspector.core.project import open_project


def garden(tmp_path, name="d", n=80, preference=False):
    rng = np.random.default_rng(0)
    recs = []
    for i in range(n):
        good = i % 3 != 0
        answer = (
            f"Water garden {i} every morning and check the soil of it once a week."
            if good
            else " ".join(rng.choice(["}", "{", "::", "=>", "@@", "nil"], 30))
        )
        rec = {"id": f"r{i}", "instruction": f"How do I care for garden {i}?", "output": answer}
        if preference:
            rec = {"id": f"r{i}", "prompt": rec["instruction"], "chosen": answer,
                   "rejected": f"No idea about garden {i}."}  # fmt: skip
        recs.append(rec)
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return open_project(str(path), project_path=str(tmp_path / f"{name}.sqlite"))


def label(project, rows):
    book = LabelBook(project.store, project.dataset)
    book.execute(Decide(np.array([r for r in rows if r % 3 != 0]), "keep"))
    book.execute(Decide(np.array([r for r in rows if r % 3 == 0]), "drop"))


@pytest.mark.parametrize("preference", [False, True])
def test_the_child_saves_the_scores_the_thread_saves(tmp_path, preference):
    a = garden(tmp_path / "a" if (tmp_path / "a").mkdir() is None else None, "a",
               preference=preference)  # fmt: skip
    b = garden(tmp_path / "b" if (tmp_path / "b").mkdir() is None else None, "b",
               preference=preference)  # fmt: skip
    try:
        for project in (a, b):
            label(project, range(30))
        in_thread = run(Retrainer.for_project(a).start(a))
        stages: list[str] = []
        progress = Progress(on_update=lambda p: stages.append(p.stage))
        isolated = run_isolated(Retrainer.for_project(b).start(b), progress, want_vectors=True)
        assert isolated.retrain.result is None and isolated.retrain.labels == 30
        assert isolated.retrain.path.exists()
        assert isolated.retrain.report["cv_auc_chosen"] == in_thread.report["cv_auc_chosen"]
        assert "training" in stages or "scoring" in stages, stages
        model_a, scores_a = load_learned(a)
        model_b, scores_b = load_learned(b)
        assert scores_b.height == b.dataset.height
        assert scores_a.equals(scores_b)
        if preference:
            assert "rejected_keep_probability" in scores_b.columns
        assert model_a.trained_ids == model_b.trained_ids and model_a.kind == model_b.kind
        # the explainer's arrays: the run's own embeddings (float16), signals and lengths
        learned = in_thread.result
        assert learned is not None and learned.vectors is not None and isolated.vectors
        pv, rv = learned.vectors
        assert np.array_equal(isolated.vectors["answer_vectors"], rv.astype(np.float16))
        assert np.array_equal(isolated.vectors["prompt_vectors"], pv.astype(np.float16))
        assert np.array_equal(
            isolated.vectors["signal_values"],
            learned.signals.values().astype(np.float32),
            equal_nan=True,
        )
        assert isolated.signal_names == list(learned.signals.signals)
        assert isolated.vectors["lengths"].shape == (b.dataset.height, 2)
    finally:
        a.close()
        b.close()


def test_an_error_in_the_child_comes_back_as_learn_error(tmp_path):
    project = garden(tmp_path)
    try:
        label(project, range(30))
        params = Retrainer.for_project(project).start(project)
        one_class = params.__class__(
            params.dataset, params.rows, np.ones_like(params.y), params.folder, 1, params.learn
        )
        with pytest.raises(LearnError) as in_thread:
            run(one_class)
        with pytest.raises(LearnError) as isolated:
            run_isolated(one_class)
        assert type(isolated.value) is LearnError
        assert str(isolated.value) == str(in_thread.value)
        assert isolated.value.hint == in_thread.value.hint
        assert load_learned_from(params.folder) is None  # nothing written
    finally:
        project.close()


def test_without_a_child_process_the_caller_is_told(tmp_path, monkeypatch):
    project = garden(tmp_path)
    try:
        label(project, range(30))
        params = Retrainer.for_project(project).start(project)

        class NoProcesses:
            def Pipe(self, duplex):  # noqa: N802 - multiprocessing's name
                import multiprocessing

                return multiprocessing.Pipe(duplex)

            def Process(self, **kwargs):  # noqa: N802
                return self

            def start(self):
                raise OSError("no processes here")

        monkeypatch.setattr(retrain_process, "_context", lambda: NoProcesses())
        with pytest.raises(retrain_process.ChildUnavailable, match="no processes here"):
            run_isolated(params)
        assert load_learned_from(params.folder) is None
    finally:
        project.close()


def test_only_the_columns_the_sides_are_read_from_go_to_the_child(tmp_path):
    project = garden(tmp_path)
    try:
        ds = project.dataset
        frame = retrain_process._input_frame(ds)
        assert set(frame.columns) == {"__id", "instruction", "output"}
        assert frame["__id"].equals(ds.ids)
        assert frame.height == ds.height and isinstance(frame, pl.DataFrame)
    finally:
        project.close()
