"""chosen_flagged with the learned model (issue 16): when a quality model exists and scores
both sides of a preference pair, a pair whose chosen side the model would drop while it keeps
the rejected side is flagged like a chosen side a quality rule flags."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from inspector.core.pairs.finders import CHOSEN_FLAGGED, pair_columns

FLAG = CHOSEN_FLAGGED + ".flag"


def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "prompt": [f"Question {i}?" for i in range(4)],
            "chosen": [f"Chosen answer {i}." for i in range(4)],
            "rejected": [f"Rejected answer {i}." for i in range(4)],
        }
    )


def test_the_learned_model_flags_a_chosen_side_it_would_drop_over_a_kept_rejected():
    chosen_p = np.array([0.1, 0.1, 0.9, np.nan])
    rejected_p = np.array([0.9, 0.2, 0.1, 0.9])
    out = pair_columns(frame(), "prompt", "chosen", "rejected", learned=(chosen_p, rejected_p))
    # row 0: chosen dropped, rejected kept; row 1: both dropped; row 2: the other way round;
    # row 3: the chosen side not scored
    assert out[FLAG].to_list() == [True, False, False, False]
    assert out[CHOSEN_FLAGGED].to_list() == [1, 0, 0, 0]


def test_rule_flags_and_the_learned_model_count_together():
    quality = pl.DataFrame(
        {
            "chosen.cut_off.flag": [True, False, False, False],
            "rejected.cut_off.flag": [False, False, False, True],
        }
    )
    chosen_p = np.array([0.1, 0.9, 0.1, 0.1])
    rejected_p = np.array([0.9, 0.9, 0.9, 0.9])
    out = pair_columns(
        frame(), "prompt", "chosen", "rejected", quality, learned=(chosen_p, rejected_p)
    )
    # row 3: the model would drop the chosen side but a rule flags the rejected one
    assert out[FLAG].to_list() == [True, False, True, False]
    assert out[CHOSEN_FLAGGED].to_list() == [2, 0, 1, 0]


TOPICS = ("The stock market", "The football league", "The city council", "The orchestra")


def bad_answer(i: int) -> str:
    """Fluent, but about something else: no quality rule flags it."""
    return f"{TOPICS[i % 4]} met on day {i} and announced a new schedule for the season."


def write_pairs(path: Path, n: int = 48) -> Path:
    rows = []
    for i in range(n):
        good = f"To care for garden {i}, water it each morning and check the soil weekly."
        chosen, rejected = (bad_answer(i), good) if i % 6 == 0 else (good, bad_answer(i))
        rows.append({"id": f"p{i:02d}", "prompt": f"How do I care for garden {i}?",
                     "chosen": chosen, "rejected": rejected})  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_the_saved_model_scores_both_sides_and_the_analysis_uses_them(tmp_path):
    """A model trained on keep/drop of the pairs' chosen sides scores the rejected sides too;
    the analysis then flags the pairs whose chosen side is off the subject (i % 6 == 0),
    which no quality rule flags."""
    from inspector.core.junk.project_junk import AnalysisParams, run_analysis
    from inspector.core.learn.project_learn import (
        LearnParams,
        learn_dir,
        learn_on,
        learned_pair_scores,
        save_learned,
    )
    from inspector.core.map.project_map import MapParams
    from inspector.core.project import open_project

    project = open_project(
        write_pairs(tmp_path / "pairs.jsonl"), project_path=tmp_path / "p.sqlite"
    )
    try:
        assert learned_pair_scores(project) is None  # no model yet
        chosen = project.dataset.response().to_list()
        rows = np.arange(36)
        y = np.array([0 if "garden" not in chosen[r] else 1 for r in rows], np.int8)
        result = learn_on(project.dataset, rows, y, "test", LearnParams(min_labels=10))
        assert "rejected_keep_probability" in result.scores.columns
        save_learned(result, learn_dir(project), versioned=True)
        sides = learned_pair_scores(project)
        assert sides is not None
        chosen_p, rejected_p = sides
        bad_chosen = np.array([i % 6 == 0 for i in range(48)])
        assert chosen_p[bad_chosen].max() < rejected_p[bad_chosen].min()

        table = run_analysis(project, AnalysisParams(map=MapParams(model="default"))).table
        flagged = table.filter(pl.col(FLAG))["id"].to_list()
        assert set(flagged) == {f"p{i:02d}" for i in range(48) if i % 6 == 0}
    finally:
        project.close()
