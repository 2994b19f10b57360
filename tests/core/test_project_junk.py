"""The junk finders over a project: frame, map, proposals in the store, analysis kept."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from builders import _sentence, mixed_rows, planted_rows, write_jsonl

from inspector.core.errors import DataError
from inspector.core.export.filterfile import load_proposals
from inspector.core.junk.project_junk import (
    AnalysisParams,
    dedup_columns,
    junk_frame,
    keep_policy,
    load_analysis,
    run_analysis,
)
from inspector.core.map.project_map import MapParams
from inspector.core.project import open_project


@pytest.fixture
def project(tmp_path):
    data = write_jsonl(tmp_path / "train.jsonl", planted_rows())
    p = open_project(data, project_path=tmp_path / "p.sqlite")
    yield p
    p.close()


def by_id(table: pl.DataFrame) -> dict[str, dict]:
    return {r["id"]: r for r in table.iter_rows(named=True)}


def fast(**kw) -> AnalysisParams:
    return AnalysisParams(map=MapParams(vectors_column="vec"), **kw)


def test_frame_uses_the_formats_prompt_and_response(project):
    frame, kwargs = junk_frame(project)
    assert kwargs["text_cols"] == ["prompt", "response"]
    assert kwargs["response_col"] == "response"
    row = frame.row(0, named=True)
    assert row["id"] == "s00" and row["prompt"].startswith("Question 0:")
    frame, kwargs = junk_frame(project, "response,source")
    assert kwargs["text_cols"] == ["response", "col:source"]
    assert frame["col:source"][1] == "a"
    with pytest.raises(DataError, match="prompt, response, all"):
        dedup_columns(project, "nonsense")


def test_keep_policy_spellings():
    assert keep_policy("best") == ("best_score", [])
    assert keep_policy("source=a") == ("prefer:source=a", ["source"])
    assert keep_policy("longest") == ("longest", [])


def test_run_finds_the_planted_cases_and_keeps_them(project, tmp_path):
    result = run_analysis(project, fast())
    t = by_id(result.table)
    assert t["s30"]["dup_kind"] == "exact_duplicate"
    assert t["s30"]["dup_representative"] == "s03"
    assert t["s31"]["dup_kind"] == "minhash_duplicate"
    assert t["s31"]["dup_representative"] == "s05"
    assert t["s32"]["dup_kind"] == "semantic_duplicate"
    assert t["s32"]["dup_representative"] == "s07"
    assert t["s32"]["dup_similarity"] > 0.99
    assert bool(t["s33"]["response.empty.flag"])
    assert bool(t["s34"]["response.refusal.flag"])
    assert not result.table["eval_leak"].any()
    for col in ("x", "y", "cluster", "cluster_label", "outlier_score", "row_index"):
        assert col in result.table.columns
    # proposals in the store: removals plus each group's keeper
    prop = load_proposals(project.store, ["junk"])
    removed = set(prop.filter(pl.col("action") == "remove")["id"])
    assert {"s30", "s31", "s32", "s33"} <= removed
    assert "s34" in set(prop.filter(pl.col("action") == "flag")["id"])  # refusal: flag only
    keepers = set(prop.filter(pl.col("action") == "keep")["id"])
    assert keepers == {"s03", "s05", "s07"}
    # kept for the window
    again = load_analysis(project)
    assert again is not None and again.height == project.dataset.height
    assert again["dup_kind"].to_list() == result.table["dup_kind"].to_list()


def test_keep_policy_prefers_a_column_value(project):
    t = by_id(run_analysis(project, fast()).table)
    assert t["s30"]["dup_representative"] == "s03"  # first seen
    t = by_id(run_analysis(project, fast(keep="source=c")).table)
    assert t["s03"]["dup_representative"] == "s30"  # the preferred source wins
    assert t["s03"]["dup_removed"] and not t["s30"]["dup_removed"]


def test_eval_leak_names_the_eval_row(project, tmp_path):
    rows = planted_rows()
    ev = write_jsonl(
        tmp_path / "eval.jsonl",
        [
            {"id": "e1", "instruction": rows[12]["instruction"], "output": rows[12]["output"]},
            {"id": "e2", "instruction": "unrelated", "output": "nothing alike here at all"},
        ],
    )
    result = run_analysis(project, fast(against=str(ev)))
    t = by_id(result.table)
    assert bool(t["s12"]["eval_leak"]) and t["s12"]["eval_match_id"] == "e1"
    assert int(result.table["eval_leak"].sum()) == 1
    assert "eval_leak" in set(result.proposals["reason"])


def test_rules_file_switches_a_rule_off(project, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[rules.refusal]\nenabled = false\n", "utf-8")
    result = run_analysis(project, fast(rules_path=str(rules)))
    assert "response.refusal.flag" not in result.table.columns
    assert "response.refusal" not in set(result.proposals["reason"])


# -- one count of duplicate groups everywhere (issue 9, item 15) ------------------------------


@pytest.fixture
def mixed(tmp_path):
    data = write_jsonl(tmp_path / "mixed.jsonl", mixed_rows())
    p = open_project(data, project_path=tmp_path / "m.sqlite")
    yield p
    p.close()


def test_each_group_is_listed_once_with_its_kept_row(mixed):
    from inspector.core.junk.project_junk import duplicate_groups

    result = run_analysis(mixed, fast())
    ids = mixed.dataset.ids
    found = duplicate_groups(result.table)
    named = {
        kind: sorted(sorted(str(ids[int(r)]) for r in m) for m in found.of_kind(kind).members)
        for kind in ("exact_duplicate", "minhash_duplicate", "semantic_duplicate")
    }
    # the exact copy s30 sits in the group a semantic match joined: listed there, not twice
    assert named["exact_duplicate"] == []
    assert named["minhash_duplicate"] == [["s05", "s31"]]
    assert named["semantic_duplicate"] == [["s03", "s30", "s35"], ["s07", "s32"]]
    assert found.counts()["semantic_duplicate"] == (2, 5)
    removed = result.table["dup_removed"].to_numpy()
    for i, members in enumerate(found.members):
        assert found.keepers[i] in members and not removed[found.keepers[i]]
        assert removed[members[members != found.keepers[i]]].all()


def test_threshold_counts_match_the_groups_of_the_analysis(mixed):
    from inspector.core.junk.project_junk import duplicate_groups, semantic_calibration

    result = run_analysis(mixed, fast())
    groups, rows = duplicate_groups(result.table).counts()["semantic_duplicate"]
    cal = semantic_calibration(mixed, result.table, result.map.knn, None)
    c = cal.counts([result.threshold]).row(0, named=True)
    assert (c["groups"], c["rows_in_groups"]) == (groups, rows)
    assert c["rows_removed"] == rows - groups
    # and at any other threshold, the analysis run there agrees with the dialog
    for t in (0.5, 0.9999):
        again = run_analysis(mixed, fast(semantic_threshold=t))
        want = duplicate_groups(again.table).counts()["semantic_duplicate"]
        c = cal.counts([t]).row(0, named=True)
        assert (c["groups"], c["rows_in_groups"]) == want


def test_review_queue_of_a_finder_holds_its_groups_whole(mixed):
    from inspector.core.junk.project_junk import duplicate_groups
    from inspector.core.labels import queues

    result = run_analysis(mixed, fast())
    prop = load_proposals(mixed.store, ["junk"]).filter(pl.col("group_id").is_not_null())
    row_of = {str(i): r for r, i in enumerate(mixed.dataset.ids)}
    frame = prop.select(
        pl.col("group_id").cast(pl.String),
        row=pl.col("id").replace_strict(row_of, return_dtype=pl.Int64),
        kept=pl.col("action") == "keep",
        kind=pl.col("reason"),
    )
    found = duplicate_groups(result.table)
    every = queues.build_queue("dups", n_rows=mixed.dataset.height, groups=frame)
    assert len(every) == len(found) == 3
    semantic = queues.build_queue("dups:semantic", n_rows=mixed.dataset.height, groups=frame)
    assert sorted(len(g) for g in semantic.groups) == [2, 3]
    assert np.array_equal(np.sort(semantic.rows), found.of_kind("semantic_duplicate").rows())
    with pytest.raises(ValueError, match="exact, minhash or semantic"):
        queues.parse_queue("dups:fuzzy")


# -- pair-aware defaults (issue 16) ------------------------------------------------------------


def _prompt_vec(rng: np.random.Generator, base: np.ndarray) -> list[float]:
    """A vector dominated by its prompt (as a model embedding prompt + answer often is)."""
    return (base + rng.normal(scale=1e-3, size=base.shape)).round(5).tolist()


def preference_rows(seed: int = 0) -> list[dict]:
    """8 prompts × 5 pairs each, no real duplicate: each prompt's chosen side is one
    reference answer (as in AlpacaEval's pairs), each rejected side another model's."""
    rng = random.Random(seed)
    vrng = np.random.default_rng(seed)
    rows = []
    for p in range(8):
        prompt = f"Prompt {p}: " + " ".join(_sentence(rng, 14) for _ in range(4))
        reference = " ".join(_sentence(rng, 12) for _ in range(5))
        base = vrng.normal(size=16)
        for k in range(5):
            rows.append(
                {
                    "id": f"p{p}_{k}",
                    "prompt": prompt,
                    "chosen": reference,
                    "rejected": f"Model {k} says: " + _sentence(rng, 7),
                    "vec": _prompt_vec(vrng, base),
                }
            )
    return rows


def instruction_rows(seed: int = 0) -> list[dict]:
    """8 long prompts × 4 short, different answers each: no real duplicate."""
    rng = random.Random(seed)
    vrng = np.random.default_rng(seed + 1)
    rows = []
    for p in range(8):
        instruction = f"Task {p}: " + " ".join(_sentence(rng, 14) for _ in range(5))
        base = vrng.normal(size=16)
        for k in range(4):
            rows.append(
                {
                    "id": f"i{p}_{k}",
                    "instruction": instruction,
                    "output": _sentence(rng, 6),
                    "vec": _prompt_vec(vrng, base),
                }
            )
    return rows


def _open(tmp_path: Path, rows: list[dict], name: str):
    data = write_jsonl(tmp_path / f"{name}.jsonl", rows)
    return open_project(data, project_path=tmp_path / f"{name}.sqlite")


def test_preference_pairs_sharing_a_prompt_are_not_duplicates(tmp_path):
    p = _open(tmp_path, preference_rows(), "pref")
    try:
        assert dedup_columns(p, None) == ["prompt", "response", "rejected"]
        result = run_analysis(p, fast())
        assert result.removals().filter(pl.col("reason").str.ends_with("duplicate")).height == 0
        assert result.table["dup_group"].fill_null(-1).max() == -1
    finally:
        p.close()


def test_instruction_answers_sharing_a_prompt_are_not_duplicates(tmp_path):
    p = _open(tmp_path, instruction_rows(), "inst")
    try:
        result = run_analysis(p, fast())
        assert result.removals().filter(pl.col("reason").str.ends_with("duplicate")).height == 0
    finally:
        p.close()


def test_whole_pair_copies_are_still_duplicates(tmp_path):
    rows = preference_rows()
    exact = dict(rows[3], id="copy")
    near = dict(rows[8], id="near")
    near["chosen"] = near["chosen"].replace(".", "!", 1)  # one punctuation mark: a near copy
    near["rejected"] = near["rejected"] + " Indeed"
    p = _open(tmp_path, rows + [exact, near], "pref2")
    try:
        t = by_id(run_analysis(p, fast()).table)
        assert t["copy"]["dup_kind"] == "exact_duplicate" and t["copy"]["dup_matched"] == "p0_3"
        assert t["near"]["dup_removed"] and t["near"]["dup_matched"] == "p1_3"
        removed = [i for i, r in t.items() if r["dup_removed"]]
        assert sorted(removed) == ["copy", "near"]
    finally:
        p.close()


def test_dedup_on_prompt_still_groups_rows_by_prompt(tmp_path):
    p = _open(tmp_path, instruction_rows(), "inst2")
    try:
        result = run_analysis(p, fast(dedup_on="prompt"))
        removed = result.removals().filter(pl.col("reason") == "exact_duplicate")
        assert removed.height == 8 * 3  # every further answer to a prompt
    finally:
        p.close()


def test_dedup_on_is_read_one_way_for_both_engines():
    """The Ray engine read --dedup-on with its own copy, which compared preference pairs on
    prompt + chosen only; both engines now call parse_dedup_on."""
    from inspector.core.junk.project_junk import parse_dedup_on
    from inspector.core.scale import engine

    assert engine.parse_dedup_on is parse_dedup_on
    cols = ["prompt", "chosen", "rejected", "source"]
    pair = parse_dedup_on(None, kind="preference", has_response=True, user_columns=cols)
    assert pair == ["prompt", "response", "rejected"]
    assert parse_dedup_on(None, kind="alpaca", has_response=True, user_columns=cols) == [
        "prompt",
        "response",
    ]
    assert parse_dedup_on(None, kind="text", has_response=False, user_columns=cols) == ["prompt"]
    got = parse_dedup_on("prompt, source", kind="alpaca", has_response=True, user_columns=cols)
    assert got == ["prompt", "col:source"]
    with pytest.raises(DataError, match="not a field"):
        parse_dedup_on("nope", kind="alpaca", has_response=True, user_columns=cols)
