"""The saved model seen from a project: scores aligned to the rows, the learn: review
queues, learned proposals, and the Issues counts."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from inspector.core.labels.queues import build_queue, learned_rows, parse_queue
from inspector.core.labels.states import NO_DECISION
from inspector.core.learn.project_learn import (
    LearnParams,
    learn_dir,
    learned_keep_probability,
    learned_lists,
    learned_proposals,
    run_learn,
    save_learned,
)
from inspector.core.project import open_project


def test_learned_rows_uncertain_spread_over_groups_and_likely_drop():
    p = np.array([0.5, 0.52, 0.1, 0.9, 0.45, 0.05, np.nan, 0.3])
    codes = np.full(8, NO_DECISION)
    codes[0] = 1  # decided: never queued
    groups = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    unc = learned_rows("uncertain", p, codes, groups)
    assert 0 not in unc and 6 not in unc  # decided, not scored
    assert unc[:2].tolist() == [1, 4]  # the most uncertain of each group first
    assert learned_rows("likely-drop", p, codes).tolist() == [5, 2, 7, 4]


def test_learn_queues_parse_and_say_when_there_is_no_model():
    assert str(parse_queue("learn:likely_drop")) == "learn:likely-drop"
    with pytest.raises(ValueError, match="learn:uncertain or learn:likely-drop"):
        parse_queue("learn:best")
    with pytest.raises(ValueError, match="no learned quality model yet"):
        build_queue("learn:uncertain", n_rows=3)
    q = build_queue("learn:likely-drop", n_rows=3, keep_probability=np.array([0.9, 0.1, 0.4]))
    assert q.rows.tolist() == [1, 2]


@pytest.fixture
def project(tmp_path):
    rng = np.random.default_rng(0)
    recs = []
    for i in range(60):
        good = i % 4 != 0
        answer = (
            f"Keep the garden number {i} watered every morning and check the soil weekly."
            if good
            else " ".join(rng.choice(["}", "{", "::", "=>", "@@", "nil"], 30))
        )
        recs.append({"id": f"r{i}", "instruction": f"How do I care for garden {i}?",
                     "output": answer, "judge": 8 if good else 1})  # fmt: skip
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    proj = open_project(str(path), project_path=str(tmp_path / "p.sqlite"))
    yield proj
    proj.close()


def test_scores_align_to_rows_and_feed_proposals_and_lists(project):
    assert learned_keep_probability(project) is None and learned_lists(project) is None
    result = run_learn(project, LearnParams(label_column="judge", label_threshold=5))
    save_learned(result, learn_dir(project))
    p = learned_keep_probability(project)
    assert p is not None and len(p) == 60
    by_id = dict(zip(result.scores["id"], result.scores["keep_probability"]))
    assert np.allclose(p, [by_id[f"r{i}"] for i in range(60)])
    prop = learned_proposals(project, 0.5)
    assert set(prop["reason"]) == {"learned"} and set(prop["action"]) == {"remove"}
    assert set(prop["id"]) == {f"r{i}" for i in range(60) if p[i] < 0.5}
    assert prop["score"].max() < 0.5
    lists = learned_lists(project)
    assert lists is not None and lists["likely_drop"] == int((p < 0.5).sum())
    assert "cv_drop_precision" in lists and lists["model"] in ("logistic", "gradient_boosting")
    # rows added since training are not scored (NaN), not mistaken for others
    scores = pl.read_parquet(learn_dir(project) / "scores.parquet")
    scores.filter(pl.col("id") != "r3").write_parquet(learn_dir(project) / "scores.parquet")
    assert np.isnan(learned_keep_probability(project)[3])
