"""`inspector analyze` on small planted data: both parquet files, the summary, --against,
--rules, --dedup-on."""

from __future__ import annotations

import json
from pathlib import Path

import builders  # tests/builders.py: the planted rows
import polars as pl
import pytest

from inspector.cli import main

ANALYSIS_COLUMNS = [
    "id", "source_file", "row_index", "x", "y", "cluster", "cluster_label", "dup_group",
    "dup_kind", "dup_representative", "dup_similarity", "outlier_score", "eval_leak",
]  # fmt: skip


@pytest.fixture
def data(tmp_path) -> Path:
    return builders.write_jsonl(tmp_path / "train.jsonl", builders.planted_rows())


def run(tmp_path: Path, data: Path, *extra: str) -> Path:
    out = tmp_path / "out"
    args = ["analyze", str(data), "--project", str(tmp_path / "p.sqlite"), "--out", str(out)]
    assert main([*args, *extra]) == 0
    return out


def by_id(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in pl.read_parquet(path).iter_rows(named=True)}


def test_analyze_writes_analysis_and_proposed_filter(tmp_path, data, capsys):
    out = run(tmp_path, data, "--vectors", "vec")
    analysis = pl.read_parquet(out / "analysis.parquet")
    assert analysis.height == 35
    for col in ANALYSIS_COLUMNS:
        assert col in analysis.columns, col
    assert "response.refusal" in analysis.columns and "response.refusal.flag" in analysis.columns
    t = by_id(out / "analysis.parquet")
    assert (t["s30"]["dup_kind"], t["s30"]["dup_representative"]) == ("exact_duplicate", "s03")
    assert (t["s31"]["dup_kind"], t["s31"]["dup_representative"]) == ("minhash_duplicate", "s05")
    assert (t["s32"]["dup_kind"], t["s32"]["dup_representative"]) == ("semantic_duplicate", "s07")
    filt = pl.read_parquet(out / "proposed_filter.parquet")
    assert set(filt["action"]) == {"remove"}
    reasons = dict(zip(filt["id"], filt["reason"]))
    assert reasons["s30"] == "exact_duplicate"
    assert reasons["s31"] == "minhash_duplicate"
    assert reasons["s32"] == "semantic_duplicate"
    assert reasons["s33"] == "response.empty"
    assert "s34" not in reasons  # a refusal flags for review, it proposes no removal
    assert {"source_file", "row_index", "content_sha256", "representative_id"} <= set(filt.columns)
    assert dict(zip(filt["id"], filt["representative_id"]))["s30"] == "s03"
    assert (out / "manifest.json").is_file()
    printed = capsys.readouterr().out
    for finder in ("exact_duplicate", "minhash_duplicate", "semantic_duplicate", "refusal"):
        assert finder in printed


def test_against_flags_eval_leaks_with_the_eval_id(tmp_path, data):
    rows = builders.planted_rows()
    ev = tmp_path / "eval.jsonl"
    ev.write_text(
        json.dumps(
            {"id": "eval-7", "instruction": rows[20]["instruction"], "output": rows[20]["output"]}
        )
        + "\n",  # fmt: skip
        "utf-8",
    )
    out = run(tmp_path, data, "--vectors", "vec", "--against", str(ev))
    t = by_id(out / "analysis.parquet")
    assert t["s20"]["eval_leak"] and t["s20"]["eval_match_id"] == "eval-7"
    assert sum(r["eval_leak"] for r in t.values()) == 1
    filt = pl.read_parquet(out / "proposed_filter.parquet")
    assert dict(zip(filt["id"], filt["reason"]))["s20"] == "eval_leak"


def test_rules_file_disables_a_rule_and_dedup_on_changes_fields(tmp_path, data, capsys):
    rules = tmp_path / "rules.toml"
    rules.write_text("[rules.refusal]\nenabled = false\n", "utf-8")
    out = run(tmp_path, data, "--vectors", "vec", "--rules", str(rules), "--dedup-on", "prompt")
    analysis = pl.read_parquet(out / "analysis.parquet")
    assert "response.refusal.flag" not in analysis.columns
    filt = pl.read_parquet(out / "proposed_filter.parquet")
    assert "s34" not in set(filt["id"])
    # on the prompt alone, the near copy of s05 (same instruction) is an exact duplicate
    assert by_id(out / "analysis.parquet")["s31"]["dup_kind"] == "exact_duplicate"


def test_bad_dedup_field_is_a_clear_error(tmp_path, data, capsys):
    args = ["analyze", str(data), "--project", str(tmp_path / "p.sqlite")]
    assert main([*args, "--out", str(tmp_path / "o"), "--dedup-on", "nope"]) == 1
    assert "--dedup-on nope" in capsys.readouterr().err


def test_default_model_finds_planted_duplicates(tmp_path, data):
    """The real default model (distilled once per test session)."""
    out = run(tmp_path, data)
    t = by_id(out / "analysis.parquet")
    assert t["s30"]["dup_kind"] == "exact_duplicate"
    assert t["s31"]["dup_kind"] == "minhash_duplicate"
    assert t["s33"]["response.empty.flag"]
