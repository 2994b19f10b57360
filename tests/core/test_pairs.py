"""Preference data (issue 16): the pair checks, answers grouped per prompt, compare
decisions as label commands with undo, DPO pairs written out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from inspector.core.junk.project_junk import AnalysisParams, run_analysis
from inspector.core.map.project_map import MapParams
from inspector.core.pairs import finders
from inspector.core.project import open_project


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def _vec(i: int) -> list[float]:
    return np.random.default_rng(i).normal(size=8).round(5).tolist()


def planted_pairs() -> list[dict]:
    """Pairs with shared prompts and a few planted problems:
    a0/a1 share prompt and chosen (different rejected); b0/b1 are the same pair with the
    sides swapped; c0 has identical sides; d0's chosen side is cut off mid-sentence while its
    rejected side is fine; e* have chosen sides much longer than rejected."""
    long = "This answer explains the matter in full, step by step, with care. " * 6
    rows = [
        {"id": "a0", "prompt": "Name a colour.", "chosen": "Blue is a colour.", "rejected": "Dog."},
        {"id": "a1", "prompt": "Name a colour.", "chosen": "Blue is a colour.", "rejected": "Cat."},
        {"id": "b0", "prompt": "Capital of France?", "chosen": "Paris.", "rejected": "Lyon."},
        {"id": "b1", "prompt": "Capital of France?", "chosen": "Lyon.", "rejected": "Paris."},
        {"id": "c0", "prompt": "Say hi.", "chosen": "Hi there!", "rejected": "Hi there!"},
        {
            "id": "d0",
            "prompt": "Explain rain.",
            "chosen": "Rain forms when water vapour condenses into droplets that",
            "rejected": "Rain is water falling from clouds after vapour condenses.",
        },
    ]
    for i in range(4):
        rows.append(
            {"id": f"e{i}", "prompt": f"Question {i}?", "chosen": long, "rejected": f"No {i}."}
        )
    for i, r in enumerate(rows):
        r["vec"] = _vec(i)
    return rows


def test_pair_columns_find_each_planted_problem():
    frame = pl.DataFrame(planted_pairs())
    cols = finders.pair_columns(frame, "prompt", "chosen", "rejected")
    by = dict(zip(frame["id"], cols.iter_rows(named=True)))
    same = [i for i, r in by.items() if r["pairs.same_prompt_chosen.flag"]]
    swapped = [i for i, r in by.items() if r["pairs.swapped_elsewhere.flag"]]
    assert sorted(same) == ["a0", "a1"]
    assert by["a0"]["pairs.same_prompt_chosen"] == 2
    assert sorted(swapped) == ["b0", "b1"]


def test_length_bias_counts_pairs_whose_chosen_is_much_longer():
    frame = pl.DataFrame(planted_pairs())
    found = finders.length_bias(frame["chosen"], frame["rejected"])
    lc = frame["chosen"].str.len_chars().to_numpy()
    lr = frame["rejected"].str.len_chars().to_numpy()
    assert found["chosen_much_longer"] == int((lc >= 2 * lr).sum())
    assert found["pairs"] == frame.height
    assert found["biased"] and "longer wins" in found["message"]
    even = finders.length_bias(frame["chosen"], frame["chosen"])
    assert even["chosen_much_longer"] == 0 and not even["biased"]


def test_analysis_lists_the_pair_checks_and_proposes_only_contradictions(tmp_path):
    data = write_jsonl(tmp_path / "pairs.jsonl", planted_pairs())
    p = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        result = run_analysis(p, AnalysisParams(map=MapParams(vectors_column="vec")))
        t = {r["id"]: r for r in result.table.iter_rows(named=True)}
        assert t["c0"]["pair.chosen_rejected_similarity.flag"]
        assert t["d0"]["chosen.cut_off.flag"] and not t["d0"]["rejected.cut_off.flag"]
        assert t["d0"]["pairs.chosen_flagged.flag"]
        assert t["a0"]["pairs.same_prompt_chosen.flag"]
        reasons = result.removals().group_by("reason").agg(pl.col("id").sort())
        by_reason = dict(reasons.iter_rows())
        assert by_reason["pairs.swapped_elsewhere"] == ["b0", "b1"]
        assert "pairs.same_prompt_chosen" not in by_reason
        assert "pairs.chosen_flagged" not in by_reason
        summary = dict(result.summary().select("finder", "rows").iter_rows())
        assert summary["pairs.same_prompt_chosen"] == 2
        assert summary["length_bias"] == result.findings[0]["chosen_much_longer"]
        saved = p.store.get("analysis")["findings"]
        assert saved[0]["finder"] == "length_bias"
        on_disk = json.loads((result.path.parent / "findings.json").read_text())
        assert on_disk["findings"][0]["chosen_much_longer"] == saved[0]["chosen_much_longer"]
    finally:
        p.close()
