"""The Facets dock offers the scores a curator filters by: besides the flags and the outlier
score, the duplicate similarity of the last Issues run and the saved quality model's keep
probability (rows it did not score are missing, not 0)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from inspector.core.project import open_project
from inspector.ui.data.facets_dock import score_facets


def test_scores_of_the_analysis_and_the_model_are_facets(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps({"instruction": f"q{i}", "output": f"a{i}"}) + "\n"
                            for i in range(4)))  # fmt: skip
    project = open_project(path, project_path=tmp_path / "p.sqlite")
    table = pl.DataFrame(
        {
            "id": project.dataset.ids,
            "outlier_score": [0.1, 0.2, 0.3, 0.4],
            "dup_similarity": [None, 0.97, None, 0.99],
            "short.flag": [True, False, False, False],
        }
    )
    monkeypatch.setattr("inspector.core.junk.project_junk.load_analysis", lambda _p: table)
    monkeypatch.setattr(
        "inspector.core.learn.project_learn.learned_keep_probability",
        lambda _p: np.array([0.9, np.nan, 0.2, 0.5]),
    )
    try:
        facets = score_facets(project)
    finally:
        project.close()
    assert set(facets) >= {"flags", "outlier score", "duplicate similarity", "keep probability"}
    assert facets["duplicate similarity"].to_list() == [None, 0.97, None, 0.99]
    assert facets["keep probability"].to_list() == [0.9, None, 0.2, 0.5]
