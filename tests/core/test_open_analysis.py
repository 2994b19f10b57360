"""Opening a finished analysis folder with its dataset (core.scale.open_analysis): the map,
clusters, flags and groups come from the folder, nothing is recomputed, other data is
refused, and the proposals reach the store so export works on top."""

from __future__ import annotations

import json

import numpy as np
import open_analysis_builders as oab
import polars as pl
import pytest

from inspector.core.project import open_project
from inspector.core.scale.open_analysis import (
    AnalysisMismatch,
    adopt_analysis,
    open_analysis,
)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return oab.local_analysis(tmp_path_factory.mktemp("made"))


@pytest.fixture
def no_recompute(monkeypatch):
    """Embedding, the neighbour graph, UMAP and the clusters fail if anything calls them."""
    import inspector.core.map.embed as embed
    import inspector.core.map.process as process
    import inspector.core.map.project_map as project_map

    def boom(*_a, **_k):
        raise AssertionError("recomputed")

    monkeypatch.setattr(embed, "embed_texts", boom)
    monkeypatch.setattr(project_map, "compute_map", boom)
    monkeypatch.setattr(process, "compute_map_isolated", boom)
    import umap

    monkeypatch.setattr(umap.UMAP, "fit", boom)
    monkeypatch.setattr(umap.UMAP, "fit_transform", boom)


def _open(data, tmp_path):
    return open_project(str(data), project_path=str(tmp_path / "p.sqlite"))


def test_map_flags_and_groups_come_from_the_folder(made, tmp_path, no_recompute):
    data, out = made
    project = _open(data, tmp_path)
    opened = open_analysis(project.dataset, out)
    written = pl.read_parquet(out / "analysis.parquet")
    assert np.array_equal(opened.xy[:, 0], written["x"].to_numpy())
    assert np.array_equal(opened.xy[:, 1], written["y"].to_numpy())
    assert opened.names_coarse == {0: "topic 0", 1: "topic 1", 2: "topic 2"}
    assert opened.coarse.tolist() == written["cluster"].to_list()
    assert len(opened.names_fine) == 5
    ids = project.dataset.ids
    removed = set(opened.proposals.filter(pl.col("action") == "remove")["id"].to_list())
    proposed = set(pl.read_parquet(out / "proposed_filter.parquet")["id"].to_list())
    assert removed == proposed == {"s30", "s31", "s32", "s33"}  # exact, near, semantic, empty
    flagged = opened.proposals.filter(pl.col("action") == "flag")
    assert set(flagged["id"].to_list()) == {"s33", "s34"}  # too_short, refusal: listed only
    kept = opened.proposals.filter(pl.col("action") == "keep")["id"].to_list()
    assert {"s03", "s05", "s07"} <= set(kept)
    assert opened.table["id"].to_list() == ids.to_list()
    assert opened.engine == "local" and str(out) in opened.describe()
    project.close()


def test_shards_are_read_in_row_order(made, tmp_path, no_recompute):
    data, out = made
    copy = tmp_path / "sharded"
    copy.mkdir()
    for name in ("manifest.json", "proposed_filter.parquet", "run.json", "analysis.parquet"):
        (copy / name).write_bytes((out / name).read_bytes())
    parts = oab.shard(copy, pieces=4)
    # a name that sorts first as text but holds later rows: order is by the row number
    parts[-1].rename(parts[-1].with_name("part-" + parts[-1].name[5:].lstrip("0")))
    project = _open(data, tmp_path)
    opened = open_analysis(project.dataset, copy)
    assert opened.table["id"].to_list() == project.dataset.ids.to_list()
    assert np.array_equal(opened.xy[:, 0], np.arange(project.dataset.height, dtype=np.float32))
    assert opened.single_file is None
    project.close()


@pytest.mark.parametrize("places", ["kept", "dropped", "wrong"])
def test_rows_in_another_order_are_put_in_the_datas_order(made, tmp_path, places):
    """By each row's file and row index when they name every row once and agree with the
    ids; else by the ids."""
    from inspector.core.scale import open_analysis as module

    data, out = made
    copy = tmp_path / "shuffled"
    copy.mkdir()
    for name in ("manifest.json", "proposed_filter.parquet", "run.json"):
        (copy / name).write_bytes((out / name).read_bytes())
    table = pl.read_parquet(out / "analysis.parquet").reverse()
    if places == "dropped":
        table = table.drop("source_file", "row_index")
    elif places == "wrong":  # a permutation, but not the rows' own places
        table = table.with_columns(pl.col("row_index").reverse())
    table.write_parquet(copy / "analysis.parquet")
    project = _open(data, tmp_path)
    found = module._places(table, project.dataset)
    assert (found is None) == (places == "dropped")
    opened = open_analysis(project.dataset, copy)
    assert opened.reordered
    assert opened.table["id"].to_list() == project.dataset.ids.to_list()
    assert opened.xy[3, 0] == 3.0  # the row's own coordinates, not the reversed ones
    project.close()


def test_other_data_is_refused_naming_the_folder_and_the_difference(made, tmp_path):
    import builders

    _data, out = made
    rows = builders.planted_rows()
    rows[4]["output"] = "A different answer."
    other = builders.write_jsonl(tmp_path / "train.jsonl", rows)
    project = _open(other, tmp_path)
    with pytest.raises(AnalysisMismatch) as caught:
        open_analysis(project.dataset, out)
    text = str(caught.value)
    assert str(out) in text
    assert "train.jsonl changed" in text and "other data" in text
    project.close()


def test_adopted_proposals_export_as_the_analysis_proposed(made, tmp_path):
    from inspector.core.export.project_export import export_project
    from inspector.core.labels.labelbook import LabelBook

    data, out = made
    project = _open(data, tmp_path)
    opened = open_analysis(project.dataset, out)
    stored = adopt_analysis(project, opened)
    assert stored == opened.proposals.height
    ids = project.dataset.ids.to_list()
    book = LabelBook(project.store, project.dataset)
    book.decide([ids.index("s01")], "drop")  # a label made on top of the analysis
    result = export_project(project, tmp_path / "filter.parquet", include_proposals=True)
    frame = pl.read_parquet(result.path)
    removed = set(frame.filter(pl.col("action") == "remove")["id"].to_list())
    proposed = set(pl.read_parquet(out / "proposed_filter.parquet")["id"].to_list())
    assert proposed | {"s01"} <= removed
    info = project.store.get("analysis")
    assert info["folder"] == str(out) and info["path"] == str(out / "analysis.parquet")
    project.close()


def test_released_proposals_stay_in_the_store_and_in_the_description(made, tmp_path):
    from inspector.core.export.filterfile import load_proposals

    data, out = made
    project = _open(data, tmp_path)
    opened = open_analysis(project.dataset, out)
    before = opened.describe()
    held = opened.proposals.height
    assert adopt_analysis(project, opened) == held > 0
    opened.release_proposals()
    assert opened.proposals.height == 0
    assert opened.describe() == before  # the count of removals is kept
    assert load_proposals(project.store).height == held
    project.close()


def test_a_manifest_for_other_data_is_refused_before_reading_rows(made, tmp_path):
    data, out = made
    copy = tmp_path / "other"
    copy.mkdir()
    for name in ("proposed_filter.parquet", "analysis.parquet"):
        (copy / name).write_bytes((out / name).read_bytes())
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["dataset"]["fingerprint"] = "0" * 64
    manifest["input_files"][0]["sha256"] = "f" * 64
    (copy / "manifest.json").write_text(json.dumps(manifest))
    project = _open(data, tmp_path)
    with pytest.raises(AnalysisMismatch, match="train.jsonl changed"):
        open_analysis(project.dataset, copy)
    project.close()
