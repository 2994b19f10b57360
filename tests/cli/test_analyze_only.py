"""`inspector analyze --only ...`: each finder set runs only what it needs (the stages it does
not need raise here), writes run.json with its seconds per stage, and a partial run leaves
the other finders' stored proposals alone."""

from __future__ import annotations

import json
from pathlib import Path

import builders  # tests/builders.py: the planted rows
import polars as pl
import pytest

from inspector.cli import main


@pytest.fixture
def data(tmp_path) -> Path:
    return builders.write_jsonl(tmp_path / "train.jsonl", builders.planted_rows())


def forbid(monkeypatch, *targets: str) -> None:
    def boom(*_a, **_k):
        raise AssertionError("this stage must not run")

    for target in targets:
        monkeypatch.setattr(target, boom)


def analyze(tmp_path: Path, data: Path, *extra: str) -> Path:
    out = tmp_path / "out"
    args = ["analyze", str(data), "--project", str(tmp_path / "p.sqlite"), "--out", str(out)]
    assert main([*args, "--vectors", "vec", *extra]) == 0
    return out


def reasons(out: Path) -> dict[str, str]:
    filt = pl.read_parquet(out / "proposed_filter.parquet")
    return dict(zip(filt["id"], filt["reason"], strict=True))


def test_only_duplicates_needs_no_layout_and_no_rules(tmp_path, data, monkeypatch):
    monkeypatch.setenv("INSPECTOR_HOME", str(tmp_path / "home"))  # no map cached
    forbid(
        monkeypatch,
        "inspector.core.map.mapping.layout_2d",
        "inspector.core.map.mapping.cluster_map",
        "inspector.core.junk.quality.text_values",
        "inspector.core.map.mapping.knn_graph",  # semantic pairs need no graph
    )
    out = analyze(tmp_path, data, "--only", "duplicates")
    found = reasons(out)
    assert found["s30"] == "exact_duplicate"
    assert found["s31"] == "minhash_duplicate"
    assert found["s32"] == "semantic_duplicate"
    assert "s33" not in found  # the empty answer is a quality finding
    run = json.loads((out / "run.json").read_text())
    assert run["engine"] == "local" and run["rows"] == 35 and run["only"] == ["duplicates"]
    stages = run["seconds_per_stage"]
    assert {"read", "embedding", "similar_pairs", "exact", "minhash", "semantic", "write"} <= set(
        stages
    )
    assert "neighbours" not in stages
    assert "layout" not in stages and "clusters" not in stages
    table = pl.read_parquet(out / "analysis.parquet")
    assert table["x"].is_nan().all() and (table["cluster"] == -1).all()


def test_only_quality_embeds_nothing(tmp_path, data, monkeypatch, capsys):
    forbid(monkeypatch, "inspector.core.map.project_map.compute_map")
    out = analyze(tmp_path, data, "--only", "quality", "--verbose")
    found = reasons(out)
    assert found["s33"] == "response.empty"
    assert not {"s30", "s31", "s32"} & set(found)
    assert "quality" in json.loads((out / "run.json").read_text())["seconds_per_stage"]
    assert "quality" in capsys.readouterr().out  # --verbose prints every stage


def test_only_outliers_uses_the_graph_but_no_layout(tmp_path, data, monkeypatch):
    forbid(monkeypatch, "inspector.core.map.mapping.layout_2d")
    out = analyze(tmp_path, data, "--only", "outliers")
    table = pl.read_parquet(out / "analysis.parquet")
    assert table["outlier_score"].drop_nulls().len() > 0
    assert not table["dup_removed"].any()
    assert set(reasons(out).values()) <= {"row.outlier"}


def test_only_leaks_needs_an_eval_set_and_no_graph(tmp_path, data, monkeypatch, capsys):
    out = tmp_path / "out"
    args = ["analyze", str(data), "--project", str(tmp_path / "p.sqlite"), "--out", str(out)]
    assert main([*args, "--vectors", "vec", "--only", "leaks"]) != 0
    assert "--against" in capsys.readouterr().err
    rows = builders.planted_rows()
    evalset = builders.write_jsonl(tmp_path / "eval.jsonl", [dict(rows[5], id="e1")])
    forbid(
        monkeypatch, "inspector.core.map.mapping.knn_graph", "inspector.core.map.mapping.layout_2d"
    )
    out = analyze(tmp_path, data, "--only", "leaks", "--against", str(evalset))
    assert reasons(out)["s05"] == "eval_leak"


def test_an_unknown_finder_is_refused(tmp_path, data, capsys):
    args = ["analyze", str(data), "--project", str(tmp_path / "p.sqlite"), "--out", str(tmp_path)]
    assert main([*args, "--only", "duplicates,junk"]) != 0
    assert "junk" in capsys.readouterr().err


def test_a_partial_run_keeps_the_other_finders_proposals(tmp_path, data):
    from inspector.core.export.filterfile import load_proposals
    from inspector.core.project import open_project

    analyze(tmp_path, data)  # everything
    analyze(tmp_path, data, "--only", "quality")
    project = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        stored = load_proposals(project.store, ["junk"])
    finally:
        project.close()
    found = set(zip(stored["id"], stored["reason"], strict=True))
    assert {("s30", "exact_duplicate"), ("s33", "response.empty")} <= found
    assert len(found) == stored.height  # nothing stored twice


def test_only_duplicates_reuses_a_cached_map(tmp_path, data, monkeypatch):
    monkeypatch.setenv("INSPECTOR_HOME", str(tmp_path / "home"))
    full = pl.read_parquet(analyze(tmp_path, data) / "analysis.parquet")
    forbid(monkeypatch, "inspector.core.map.mapping.layout_2d")
    again = pl.read_parquet(analyze(tmp_path, data, "--only", "duplicates") / "analysis.parquet")
    assert again["x"].to_list() == full["x"].to_list()
    assert again["cluster"].to_list() == full["cluster"].to_list()


def test_only_duplicates_finds_the_groups_the_whole_analysis_finds(tmp_path, data, monkeypatch):
    """Without the graph (--only duplicates compares every pair) the duplicate columns are
    those of the whole analysis, which finds its semantic pairs on the kNN graph."""
    monkeypatch.setenv("INSPECTOR_HOME", str(tmp_path / "home"))
    cols = ["id", "dup_group", "dup_kind", "dup_representative", "dup_similarity", "dup_removed"]
    full = pl.read_parquet(analyze(tmp_path, data) / "analysis.parquet").select(cols)
    forbid(monkeypatch, "inspector.core.map.mapping.knn_graph")
    only = pl.read_parquet(analyze(tmp_path, data, "--only", "duplicates") / "analysis.parquet")
    assert only.select(cols).equals(full)
    assert full["dup_kind"].drop_nulls().unique().sort().to_list() == [
        "exact_duplicate",
        "minhash_duplicate",
        "semantic_duplicate",
    ]
