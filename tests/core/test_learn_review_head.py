"""The head of learn:uncertain as the learn job keeps it: picked when the model is trained
(it has the features), saved by id in the model JSON, read back on the rows of the data as it
is now, and put first by the review queue."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inspector.core.labels.queues import build_queue
from inspector.core.labels.states import NO_DECISION
from inspector.core.learn.active import HEAD
from inspector.core.learn.project_learn import (
    MODEL,
    LearnParams,
    learn_dir,
    learn_on,
    learned_keep_probability,
    learned_review_head,
    save_learned,
)
from inspector.core.project import open_project


@pytest.fixture
def project(tmp_path):
    rng = np.random.default_rng(0)
    recs = []
    for i in range(160):
        good = i % 4 != 0
        answer = (
            f"Keep the garden number {i} watered every morning and check the soil weekly."
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


def test_the_learn_job_keeps_the_head_and_the_queue_starts_with_it(project):
    assert learned_review_head(project) is None  # no model yet
    rows = np.arange(0, 40)
    y = (rows % 4 != 0).astype(np.int8)
    result = learn_on(project.dataset, rows, y, "test", LearnParams())
    assert len(result.review_head) == HEAD
    assert not set(result.review_head) & {f"r{i}" for i in rows}  # never a training row
    save_learned(result, learn_dir(project), versioned=True)
    head = learned_review_head(project)
    assert head is not None and [f"r{i}" for i in head] == result.review_head
    p = learned_keep_probability(project)
    codes = np.full(160, NO_DECISION)
    codes[rows] = 1
    codes[head[0]] = 1  # decided since the model was trained: skipped
    q = build_queue(
        "learn:uncertain", n_rows=160, decision_codes=codes, keep_probability=p,
        learned_head=head,
    )  # fmt: skip
    assert q.rows[: HEAD - 1].tolist() == head[1:].tolist()
    assert sorted(q.rows.tolist()) == sorted(set(range(40, 160)) - {int(head[0])})


def test_head_ids_no_longer_in_the_data_are_left_out_and_old_models_have_none(project):
    rows = np.arange(0, 40)
    y = (rows % 4 != 0).astype(np.int8)
    result = learn_on(project.dataset, rows, y, "test", LearnParams())
    result.review_head = ["r45", "gone-1", "r41", "gone-2"]
    save_learned(result, learn_dir(project))
    assert learned_review_head(project).tolist() == [45, 41]
    path = learn_dir(project) / MODEL
    meta = json.loads(path.read_text())
    del meta["review_head"]  # a model saved before the head was kept
    path.write_text(json.dumps(meta))
    assert learned_review_head(project) is None
    assert learned_keep_probability(project) is not None  # the model itself still reads
