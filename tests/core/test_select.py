"""The subset builder: quotas, max-min picks, caps, what is never picked, weights."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from inspector.core.errors import DataError
from inspector.core.export.filterfile import read_filter, save_proposals
from inspector.core.labels.states import NO_DECISION
from inspector.core.project import open_project
from inspector.core.select import project_select
from inspector.core.select.diversity import nearest_selected_distance, quotas, select_diverse
from inspector.core.select.project_select import SelectParams, select_subset, write_selection


def blobs(per: int = 40, centres: int = 6, dim: int = 8, seed: int = 0):
    """``centres`` tight, well-separated groups of ``per`` unit vectors; labels per row."""
    rng = np.random.default_rng(seed)
    middle = np.eye(dim)[:centres] * 5
    v = np.concatenate([c + rng.normal(scale=0.3, size=(per, dim)) for c in middle])
    labels = np.repeat(np.arange(centres), per)
    return v.astype(np.float32), labels


def test_quotas_share_n_by_size_with_one_each_first():
    sizes = np.array([100, 10, 1, 0])
    q = quotas(sizes, 20, np.arange(4))
    assert q.sum() == 20 and (q <= sizes).all()
    assert q[2] == 1 and q[3] == 0  # the smallest group is not lost
    assert q[0] > q[1] > 0
    assert quotas(sizes, 500, np.arange(4)).tolist() == sizes.tolist()  # n above the total
    assert quotas(sizes, 2, np.arange(4)).tolist() == [1, 1, 0, 0]  # fewer than groups: largest


def test_every_cluster_is_covered_and_the_picks_cover_better_than_random():
    v, labels = blobs()
    ones = np.ones(len(v), np.float32)
    eligible = np.ones(len(v), bool)
    picked = select_diverse(v, labels, ones, eligible, 12, seed=3)
    assert len(picked) == 12 and len(set(picked.tolist())) == 12
    assert set(labels[picked].tolist()) == set(range(6))
    ours = float(np.mean(nearest_selected_distance(v, picked)))
    rng = np.random.default_rng(0)
    random_means = [
        float(np.mean(nearest_selected_distance(v, rng.choice(len(v), 12, replace=False))))
        for _ in range(20)
    ]
    assert ours < np.mean(random_means)


def test_same_seed_same_rows_and_caps_hold():
    v, labels = blobs(per=30, centres=4)
    codes = np.arange(len(v)) % 3  # three values of a column
    args = (v, labels, np.ones(len(v), np.float32), np.ones(len(v), bool), 9)
    a = select_diverse(*args, codes=codes, cap=3, seed=7)
    b = select_diverse(*args, codes=codes, cap=3, seed=7)
    assert a.tolist() == b.tolist()
    assert np.bincount(codes[a], minlength=3).tolist() == [3, 3, 3]


def test_quality_strategy_takes_the_best_weights_and_ineligible_rows_never():
    v, labels = blobs(per=10, centres=3)
    w = np.linspace(0.01, 1.0, len(v)).astype(np.float32)
    eligible = np.ones(len(v), bool)
    eligible[-2:] = False  # the two best are not allowed
    picked = select_diverse(v, labels, w, eligible, 5, diverse=False)
    assert picked.tolist() == list(range(len(v) - 7, len(v) - 2))
    spread = select_diverse(v, labels, w, eligible, 25)
    assert not set(spread.tolist()) & {len(v) - 2, len(v) - 1}


# -- over a project ---------------------------------------------------------------------------


def write_rows(path: Path, n: int = 60, seed: int = 0) -> Path:
    v, labels = blobs(per=n // 6, centres=6, dim=8, seed=seed)
    rows = [
        {
            "id": f"r{i:03d}",
            "instruction": f"question {i % 20}",
            "output": f"answer {i} " + "word " * (i % 7 + 1),
            "vec": v[i].round(5).tolist(),
            "topic": f"t{labels[i]}",
        }
        for i in range(len(v))
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def project(tmp_path):
    p = open_project(write_rows(tmp_path / "train.jsonl"), project_path=tmp_path / "p.sqlite")
    yield p
    p.close()


def params(**kw) -> SelectParams:
    return SelectParams(**{"n": 12, "vectors_column": "vec", **kw})


def test_never_a_dropped_unsure_or_proposed_row_unless_a_person_kept_it(project):
    from inspector.core.labels.commands import Decide
    from inspector.core.labels.labelbook import LabelBook

    book = LabelBook(project.store, project.dataset)
    book.execute(Decide([0, 10], "drop"))  # rows r000, r010
    book.execute(Decide([20], "unsure"))
    book.execute(Decide([31], "keep"))
    removals = [f"r{i:03d}" for i in range(30, 40)]
    save_proposals(
        project.store,
        pl.DataFrame(
            {"id": removals, "action": ["remove"] * 10, "reason": ["exact_duplicate"] * 10}
        ),
        source="junk",
    )
    eligible, excluded = project_select.eligible_rows(project)
    ids = project.dataset.ids.to_list()
    banned = {"r000", "r010", "r020", *removals} - {"r031"}
    assert {ids[i] for i in np.flatnonzero(~eligible)} == banned
    assert excluded == {"decided_drop_or_unsure": 3, "proposed": 9}
    result = select_subset(project, params(n=40))
    chosen = {ids[i] for i in result.rows}
    assert len(chosen) == 40 and not chosen & banned
    everything = select_subset(project, params(n=60))  # more than may be picked: all of those
    assert {ids[i] for i in everything.rows} == set(ids) - banned
    assert "r031" in {ids[i] for i in everything.rows}


def test_learned_keep_probability_weighs_the_picks(project, monkeypatch):
    n = project.dataset.height
    p = np.full(n, 0.05)
    good = np.arange(0, n, 5)
    p[good] = 0.95
    monkeypatch.setattr(
        "inspector.core.learn.project_learn.learned_keep_probability", lambda _project: p
    )
    result = select_subset(project, params(n=len(good), by="quality"))
    assert set(result.rows.tolist()) == set(good.tolist())
    assert result.report["weights"] == "learned keep_probability"
    spread = select_subset(project, params(n=len(good), by="both"))
    assert len(set(spread.rows.tolist()) & set(good.tolist())) > len(good) // 2


def test_per_column_caps_rows_per_value(project):
    result = select_subset(project, params(n=12, per="topic", per_max=1))
    topics = project.dataset.frame["topic"].gather(result.rows).to_list()
    assert len(topics) == 6 and len(set(topics)) == 6  # one per topic: fewer than asked
    with pytest.raises(DataError, match="no such column"):
        select_subset(project, params(per="nope"))


def test_filter_file_keeps_the_selected_and_removes_the_rest(project, tmp_path):
    result = select_subset(project, params(n=10))
    out = tmp_path / "sel" / "subset.parquet"
    manifest = write_selection(project, result, out)
    filt = read_filter(out)
    assert filt.frame.height == project.dataset.height
    keep = filt.frame.filter(pl.col("action") == "keep")
    assert keep.height == 10 and set(keep["reason"]) == {"selected"}
    assert set(filt.frame.filter(pl.col("action") == "remove")["reason"]) == {"not_selected"}
    assert manifest["counts"]["by_action"]["keep"] == 10
    report = json.loads((out.parent / "subset.parquet.report.json").read_text())
    assert report["selected"] == 10 and report["clusters"]["after"] <= report["clusters"]["before"]
    assert report["mean_nearest_selected_distance"] >= 0
    assert set(report["length_chars"]["after"]) == {"mean", "p10", "p50", "p90"}
    assert NO_DECISION == -1  # the store holds no decision made by the selection
    from inspector.core.labels.states import decision_counts

    assert not any(decision_counts(project.store).values())
