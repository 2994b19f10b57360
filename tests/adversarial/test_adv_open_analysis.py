"""Open Analysis against folders that are not what they claim: other data, a truncated
analysis.parquet, missing columns, a DIR that is a file, hostile shard names, a manifest
that is missing or garbage, a filter edited after the run. Each is a DataError naming the
file, and nothing is adopted into the project."""

from __future__ import annotations

import json
import os
import shutil

import open_analysis_builders as oab
import polars as pl
import pytest

from inspector.core.errors import DataError
from inspector.core.export.filterfile import load_proposals
from inspector.core.project import open_project
from inspector.core.scale.open_analysis import AnalysisMismatch, open_analysis


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return oab.local_analysis(tmp_path_factory.mktemp("made"))


@pytest.fixture
def copy(made, tmp_path):
    """A copy of the analysis folder a test may damage."""
    _data, out = made
    dest = tmp_path / "analysis"
    shutil.copytree(out, dest)
    return dest


@pytest.fixture
def project(made, tmp_path):
    data, _out = made
    p = open_project(str(data), project_path=str(tmp_path / "p.sqlite"))
    yield p
    p.close()


def refused(project, folder, match: str) -> DataError:
    with pytest.raises(DataError, match=match) as caught:
        open_analysis(project.dataset, folder)
    assert load_proposals(project.store).height == 0
    return caught.value


def test_other_rows_with_the_same_manifest_are_refused(project, copy):
    table = pl.read_parquet(copy / "analysis.parquet")
    table.with_columns(pl.col("id").str.replace("s1", "x1")).write_parquet(
        copy / "analysis.parquet"
    )
    err = refused(project, copy, "row ids this data does not hold")
    assert isinstance(err, AnalysisMismatch) and str(copy) in str(err)


def test_fewer_rows_are_refused(project, copy):
    pl.read_parquet(copy / "analysis.parquet").head(10).write_parquet(copy / "analysis.parquet")
    refused(project, copy, "10 rows in analysis.parquet, this data has 35")


def test_a_truncated_analysis_parquet_names_the_file(project, copy):
    path = copy / "analysis.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    err = refused(project, copy, "cannot be read as Parquet")
    assert err.file == str(path)


def test_a_truncated_shard_names_the_shard(project, copy):
    parts = oab.shard(copy, pieces=3)
    parts[1].write_bytes(parts[1].read_bytes()[:100])
    err = refused(project, copy, "cannot be read as Parquet")
    assert err.file == str(parts[1])


def test_missing_map_columns_are_named(project, copy):
    path = copy / "analysis.parquet"
    pl.read_parquet(path).drop("x", "cluster").write_parquet(path)
    err = refused(project, copy, "has no column x, cluster")
    assert err.field == "x"


def test_a_file_given_as_the_folder(project, copy):
    err = refused(project, copy / "run.json", "is a file, not an analysis folder")
    assert err.file == str(copy / "run.json")


def test_a_folder_that_does_not_exist(project, tmp_path):
    refused(project, tmp_path / "nowhere", "no such folder")


@pytest.mark.parametrize(
    "name", ["part-1.parquet.evil", "notes.txt", "..parquet", "part-x.parquet", ".hidden"]
)
def test_a_stray_name_among_the_shards_is_refused(project, copy, name):
    oab.shard(copy, pieces=2)
    (copy / "analysis.parquet" / name).write_bytes(b"PAR1")
    err = refused(project, copy, "is not a shard of the analysis")
    assert err.file.endswith(name)


def test_a_shard_that_is_a_link_elsewhere_is_refused(project, copy, tmp_path):
    parts = oab.shard(copy, pieces=2)
    outside = tmp_path / "outside.parquet"
    parts[1].rename(outside)
    os.symlink(outside, parts[1])
    refused(project, copy, "is not a shard of the analysis")


def test_a_shard_folder_that_is_empty(project, copy):
    for part in oab.shard(copy, pieces=2):
        part.unlink()
    refused(project, copy, "has no shards")


def test_no_manifest_means_no_check_and_no_open(project, copy):
    (copy / "manifest.json").unlink()
    refused(project, copy, "cannot be checked against the data")


@pytest.mark.parametrize(
    "text", ["not json", "[1, 2]", '{"filter_file": "proposed_filter.parquet"}']
)
def test_a_garbage_manifest_is_named(project, copy, text):
    (copy / "manifest.json").write_text(text)
    err = refused(project, copy, "manifest|JSON|fingerprint")
    assert err.file == str(copy / "manifest.json")


def test_a_manifest_for_another_split_is_refused(project, copy):
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["dataset"]["split"] = "test"
    manifest["dataset"]["fingerprint"] = "0" * 64
    (copy / "manifest.json").write_text(json.dumps(manifest))
    refused(project, copy, "split 'test'")


def test_a_filter_edited_after_the_run_is_refused(project, copy):
    path = copy / "proposed_filter.parquet"
    pl.read_parquet(path).head(1).write_parquet(path)
    refused(project, copy, "does not match the manifest.json")


def test_a_manifest_whose_counts_were_edited_is_refused(project, copy):
    """The filter's bytes still match the manifest's sha256, its counts do not: refused,
    checked from the action column alone (the whole filter is not read)."""
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["counts"]["rows"] = manifest["counts"]["rows"] + 1
    (copy / "manifest.json").write_text(json.dumps(manifest))
    refused(project, copy, "counts do not match")
