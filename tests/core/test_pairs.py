"""Preference data (issue 16): the pair checks, answers grouped per prompt, compare
decisions as label commands with undo, DPO pairs written out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

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


# -- several answers per prompt ---------------------------------------------------------------


def ultrafeedback_rows() -> list[dict]:
    """UltraFeedback-style rows: an instruction and a list of completions by model."""
    return [
        {
            "id": f"u{i}",
            "instruction": f"Write a line about topic {i}.",
            "completions": [
                {"model": m, "response": f"Answer by {m} on topic {i}.", "overall_score": s}
                for m, s in (("alpha", 7.5), ("beta", 4.0), ("gamma", 6.0))
            ],
        }
        for i in range(3)
    ]


def shared_prompt_rows() -> list[dict]:
    """Alpaca rows: prompts q0..q2 with three answers each, q3 with one."""
    rows = []
    for p in range(4):
        for k in range(3 if p < 3 else 1):
            rows.append(
                {"id": f"q{p}a{k}", "instruction": f"Question {p}?", "output": f"Answer {k}."}
            )
    return rows


def test_completions_rows_are_recognised_and_rendered(tmp_path):
    from inspector.core.data.render import render_record

    data = write_jsonl(tmp_path / "uf.jsonl", ultrafeedback_rows())
    p = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        spec = p.dataset.spec
        assert spec.kind == "completions"
        assert spec.fields == {"prompt": "instruction", "completions": "completions"}
        assert p.dataset.prompt()[0] == "Write a line about topic 0."
        assert "Answer by beta on topic 0." in p.dataset.response()[0]
        rendered = render_record(ultrafeedback_rows()[0], spec)
        assert [b.title for b in rendered.answers] == [
            "answer 1 · alpha",
            "answer 2 · beta",
            "answer 3 · gamma",
        ]
        assert rendered.blocks[0].title == "prompt"
        assert "Answer by gamma" in rendered.to_text()
    finally:
        p.close()


def test_groups_of_shared_prompts_and_of_completions(tmp_path):
    from inspector.core.pairs.groups import prompt_groups

    data = write_jsonl(tmp_path / "inst.jsonl", shared_prompt_rows())
    p = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        groups = prompt_groups(p.dataset)
        assert [g.prompt for g in groups] == ["Question 0?", "Question 1?", "Question 2?"]
        assert [a.id for a in groups[1].answers] == ["q1a0", "q1a1", "q1a2"]
        assert groups[1].rows.tolist() == [3, 4, 5]
    finally:
        p.close()
    data = write_jsonl(tmp_path / "uf.jsonl", ultrafeedback_rows())
    p = open_project(data, project_path=tmp_path / "p2.sqlite")
    try:
        groups = prompt_groups(p.dataset)
        assert len(groups) == 3
        assert [(a.row, a.index, a.label) for a in groups[2].answers] == [
            (2, 0, "alpha"),
            (2, 1, "beta"),
            (2, 2, "gamma"),
        ]
    finally:
        p.close()


def test_preference_pairs_have_no_prompt_groups(tmp_path):
    from inspector.core.errors import DataError
    from inspector.core.pairs.groups import prompt_groups

    data = write_jsonl(tmp_path / "pairs.jsonl", planted_pairs())
    p = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        with pytest.raises(DataError, match="preference data"):
            prompt_groups(p.dataset)
    finally:
        p.close()


def _tags(book, row_id: str) -> tuple[str, ...]:
    state = book.state(row_id)
    return state.tags if state else ()


def test_compare_marks_are_label_commands_with_undo(tmp_path):
    from inspector.core.labels.labelbook import LabelBook
    from inspector.core.labels.states import labels_frame
    from inspector.core.pairs.decisions import Compare, read_decisions
    from inspector.core.pairs.groups import prompt_groups

    data = write_jsonl(tmp_path / "inst.jsonl", shared_prompt_rows())
    p = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        book = LabelBook(p.store, p.dataset, annotator="ann")
        book.decide(4, "keep")  # a decision made before stays
        g = prompt_groups(p.dataset)[1]
        book.execute(Compare(g, "best", 1))
        book.execute(Compare(g, "worst", 2))
        assert _tags(book, "q1a1") == ("pref:best",)
        assert _tags(book, "q1a2") == ("pref:worst",)
        assert book.state("q1a1").decision == "keep"
        book.execute(Compare(g, "best", 2))  # the worst answer becomes the best
        assert _tags(book, "q1a2") == ("pref:best",) and _tags(book, "q1a1") == ()
        decisions = read_decisions(labels_frame(p.store), prompt_groups(p.dataset))
        assert [(d.best, d.worst, d.complete) for d in decisions] == [(2, None, False)]
        book.undo()
        assert _tags(book, "q1a1") == ("pref:best",) and _tags(book, "q1a2") == ("pref:worst",)
        decisions = read_decisions(labels_frame(p.store), prompt_groups(p.dataset))
        assert decisions[0].complete and decisions[0].annotator == "ann"
        book.execute(Compare(g, "tie"))
        assert all(_tags(book, a.id) == ("pref:tie",) for a in g.answers)
        book.undo()
        book.redo()
        decisions = read_decisions(labels_frame(p.store), prompt_groups(p.dataset))
        assert decisions[0].tie and not decisions[0].complete
    finally:
        p.close()


def test_two_answers_best_of_one_is_worst_of_the_other(tmp_path):
    from inspector.core.labels.labelbook import LabelBook
    from inspector.core.pairs.decisions import Compare
    from inspector.core.pairs.groups import prompt_groups

    rows = [r for r in shared_prompt_rows() if not r["id"].endswith("a2")]
    data = write_jsonl(tmp_path / "two.jsonl", rows)
    p = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        book = LabelBook(p.store, p.dataset)
        g = prompt_groups(p.dataset)[0]
        changes = book.execute(Compare(g, "worst", 0))
        assert sorted(changes.ids) == ["q0a0", "q0a1"]
        assert _tags(book, "q0a0") == ("pref:worst",) and _tags(book, "q0a1") == ("pref:best",)
    finally:
        p.close()


def _decide_completions(p) -> None:
    from inspector.core.labels.labelbook import LabelBook
    from inspector.core.pairs.decisions import Compare
    from inspector.core.pairs.groups import prompt_groups

    book = LabelBook(p.store, p.dataset, annotator="ann")
    groups = prompt_groups(p.dataset)
    book.execute(Compare(groups[0], "best", 2))
    book.execute(Compare(groups[0], "worst", 1))
    book.execute(Compare(groups[1], "tie"))
    book.execute(Compare(groups[2], "best", 0))  # no worst yet: no pair


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_pairs_from_decisions_in_trl_columns_with_manifest(tmp_path, suffix):
    from inspector.core.data.dataset import file_sha256
    from inspector.core.pairs.export import PAIR_SCHEMA, write_pairs

    data = write_jsonl(tmp_path / "uf.jsonl", ultrafeedback_rows())
    p = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        _decide_completions(p)
        out = tmp_path / "pairs" / f"pairs{suffix}"
        result = write_pairs(p, out)
    finally:
        p.close()
    frame = pl.read_parquet(out) if suffix == ".parquet" else pl.read_ndjson(out)
    assert frame.columns == list(PAIR_SCHEMA)
    assert frame.height == 1
    row = frame.row(0, named=True)
    assert row["prompt"] == "Write a line about topic 0."
    assert row["chosen"] == "Answer by gamma on topic 0."
    assert row["rejected"] == "Answer by beta on topic 0."
    assert (row["chosen_id"], row["rejected_id"]) == ("u0#2", "u0#1")
    assert row["source"] == "decisions" and row["annotator"] == "ann" and row["timestamp"]
    manifest = json.loads((out.parent / "manifest.json").read_text())
    assert manifest["pairs_sha256"] == file_sha256(out)
    assert manifest["pairs_file"] == out.name
    assert manifest["counts"] == result.counts
    assert result.counts["pairs"] == 1 and result.counts["ties"] == 1
    assert result.counts["incomplete"] == 1


def test_pairs_refuse_outputs_that_join_the_input_or_replace_a_manifest(tmp_path):
    from inspector.core.errors import DataError
    from inspector.core.export.outputs import OutputError
    from inspector.core.pairs.export import write_pairs

    folder = tmp_path / "data"
    folder.mkdir()
    write_jsonl(folder / "uf.jsonl", ultrafeedback_rows())
    other = tmp_path / "filter"
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps({"filter_file": "filter.parquet"}))
    p = open_project(folder, project_path=tmp_path / "p.sqlite")
    try:
        _decide_completions(p)
        with pytest.raises(OutputError, match="inside the dataset folder"):
            write_pairs(p, folder / "pairs.jsonl")
        with pytest.raises(DataError, match="describes another file"):
            write_pairs(p, other / "pairs.jsonl")
        with pytest.raises(DataError, match=".jsonl or .parquet"):
            write_pairs(p, tmp_path / "pairs.csv")
    finally:
        p.close()
    assert sorted(x.name for x in folder.iterdir()) == ["uf.jsonl"]
    assert json.loads((other / "manifest.json").read_text()) == {"filter_file": "filter.parquet"}
    assert not (other / "pairs.jsonl").exists()


def test_pairs_without_decisions_or_model_say_what_to_do(tmp_path):
    from inspector.core.errors import DataError
    from inspector.core.pairs.export import write_pairs

    data = write_jsonl(tmp_path / "inst.jsonl", shared_prompt_rows())
    p = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        with pytest.raises(DataError, match="no pairs to write") as err:
            write_pairs(p, tmp_path / "out" / "pairs.jsonl")
        assert "compare view" in err.value.describe()
        with pytest.raises(DataError, match="no learned model") as err:
            write_pairs(p, tmp_path / "out" / "pairs.jsonl", source="learned")
        assert "inspector learn" in err.value.describe()
    finally:
        p.close()
    assert not (tmp_path / "out" / "pairs.jsonl").exists()
    data = write_jsonl(tmp_path / "uf.jsonl", ultrafeedback_rows())
    p = open_project(data, project_path=tmp_path / "p2.sqlite")
    try:
        with pytest.raises(DataError, match="scores whole rows"):
            write_pairs(p, tmp_path / "out" / "pairs.jsonl", source="learned")
    finally:
        p.close()


def test_rules_rerun_keeps_the_pair_checks_and_proposes_only_contradictions(tmp_path):
    from inspector.core.junk.project_junk import rerun_quality
    from inspector.core.junk.quality_rules import load_rules

    data = write_jsonl(tmp_path / "pairs.jsonl", planted_pairs())
    p = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        result = run_analysis(p, AnalysisParams(map=MapParams(vectors_column="vec")))
        rules = load_rules()
        rules = rules.with_rule("cut_off", enabled=False)
        table, flags = rerun_quality(p, result.table, rules)
    finally:
        p.close()
    t = {r["id"]: r for r in table.iter_rows(named=True)}
    assert not t["d0"]["pairs.chosen_flagged.flag"]  # its only flag was the cut-off rule
    assert t["a0"]["pairs.same_prompt_chosen.flag"] and t["b0"]["pairs.swapped_elsewhere.flag"]
    assert "pairs.swapped_elsewhere.flag" in flags
    assert "pairs.same_prompt_chosen.flag" not in flags
    assert "pairs.chosen_flagged.flag" not in flags
