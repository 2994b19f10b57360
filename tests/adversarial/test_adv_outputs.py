"""Hostile output paths for export and apply: an output never overwrites or lands inside an
input (file, folder, glob; symlinks followed), a disk that fills up leaves the old state and
says so, and temp files a killed run left behind are cleaned by the next run."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import polars as pl
import pytest

from inspector.cli import main
from inspector.core import atomic
from inspector.core.export import filterfile
from inspector.core.export.apply import apply_filter
from inspector.core.export.outputs import OutputError, check_outputs
from inspector.core.labels.labelbook import LabelBook
from inspector.core.project import open_project


def write_jsonl(path: Path, n: int = 6, start: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps({"id": f"s{i}", "text": f"t{i}"}) + "\n" for i in range(start, n))
    )
    return path


def project(tmp_path: Path) -> list[str]:
    return ["--project", str(tmp_path / "project.sqlite")]


def drop_some(tmp_path: Path, target: Path | str) -> None:
    pr = open_project(target, project_path=tmp_path / "project.sqlite")
    try:
        book = LabelBook(pr.store, pr.dataset)
        book.decide(book.rows_of(["s1", "s2"]), "drop")
    finally:
        pr.close()


def export_ok(tmp_path: Path, target: Path | str) -> Path:
    out = tmp_path / "filter" / "filter.parquet"
    assert main(["export", str(target), *project(tmp_path), "--out", str(out)]) == 0
    return out


def test_export_onto_the_input_file_is_refused(tmp_path, capsys):
    data = write_jsonl(tmp_path / "train.jsonl")
    before = data.read_bytes()
    drop_some(tmp_path, data)
    code = main(["export", str(data), *project(tmp_path), "--out", str(data), "--format", "jsonl"])
    assert code == 1
    err = capsys.readouterr().err
    assert "train.jsonl" in err and "input" in err
    assert data.read_bytes() == before


def test_export_through_a_symlink_to_the_input_is_refused(tmp_path, capsys):
    data = write_jsonl(tmp_path / "train.jsonl")
    before = data.read_bytes()
    link = tmp_path / "out" / "link.jsonl"
    link.parent.mkdir()
    link.symlink_to(data)
    code = main(["export", str(data), *project(tmp_path), "--out", str(link)])
    assert code == 1
    assert "input" in capsys.readouterr().err
    assert data.read_bytes() == before and link.is_symlink()


def test_export_named_like_an_input_manifest_is_refused(tmp_path, capsys):
    # The manifest is written beside the filter: it must not replace an input either.
    data = write_jsonl(tmp_path / "d" / "manifest.jsonl")
    other = tmp_path / "d" / "manifest.json"
    other.write_text(json.dumps({"id": "s99", "text": "x"}) + "\n")
    code = main(["export", str(other), *project(tmp_path), "--out", str(data.parent / "f.csv")])
    assert code == 1
    assert "manifest.json" in capsys.readouterr().err
    assert json.loads(other.read_text())["id"] == "s99"


def test_export_into_the_dataset_folder_is_refused(tmp_path, capsys):
    ds = tmp_path / "ds"
    write_jsonl(ds / "a.jsonl", 3)
    write_jsonl(ds / "b.jsonl", 6, 3)
    drop_some(tmp_path, ds)
    code = main(["export", str(ds), *project(tmp_path), "--out", str(ds / "filter.jsonl")])
    assert code == 1
    err = capsys.readouterr().err
    assert "inside" in err and str(ds.resolve()) in err
    assert sorted(p.name for p in ds.iterdir()) == ["a.jsonl", "b.jsonl"]


def test_export_into_a_symlinked_alias_of_the_dataset_folder_is_refused(tmp_path):
    ds = tmp_path / "ds"
    write_jsonl(ds / "a.jsonl")
    alias = tmp_path / "alias"
    alias.symlink_to(ds, target_is_directory=True)
    pr = open_project(ds, project_path=tmp_path / "project.sqlite")
    try:
        with pytest.raises(OutputError, match="inside"):
            filterfile.export_filter(pr.dataset, pr.store, alias / "sub" / "filter.parquet")
    finally:
        pr.close()
    assert [p.name for p in ds.rglob("*")] == ["a.jsonl"]


def test_export_that_the_glob_would_match_is_refused(tmp_path, capsys):
    write_jsonl(tmp_path / "d" / "a.jsonl", 3)
    write_jsonl(tmp_path / "d" / "b.jsonl", 6, 3)
    pattern = str(tmp_path / "d" / "*.jsonl")
    code = main(["export", pattern, *project(tmp_path), "--out", str(tmp_path / "d" / "f.jsonl")])
    assert code == 1
    assert "matches the input pattern" in capsys.readouterr().err
    assert not (tmp_path / "d" / "f.jsonl").exists()
    # An output beside the shards that the pattern does not match is fine.
    ok = tmp_path / "d" / "filter.parquet"
    assert main(["export", pattern, *project(tmp_path), "--out", str(ok)]) == 0
    assert ok.is_file()


def test_apply_into_the_dataset_folder_is_refused(tmp_path, capsys):
    ds = tmp_path / "ds"
    write_jsonl(ds / "a.jsonl", 3)
    write_jsonl(ds / "b.jsonl", 6, 3)
    drop_some(tmp_path, ds)
    filt = export_ok(tmp_path, ds)
    code = main(
        ["apply", str(ds), *project(tmp_path), "--filter", str(filt), "--out", str(ds / "clean")]
    )
    assert code == 1
    assert "inside" in capsys.readouterr().err
    assert sorted(p.name for p in ds.iterdir()) == ["a.jsonl", "b.jsonl"]


def test_apply_with_a_recursive_glob_into_its_own_tree_is_refused(tmp_path):
    write_jsonl(tmp_path / "d" / "a.jsonl", 3)
    pattern = str(tmp_path / "d" / "**" / "*.jsonl")
    drop_some(tmp_path, pattern)
    pr = open_project(pattern, project_path=tmp_path / "project.sqlite")
    try:
        filt = tmp_path / "filter" / "f.parquet"
        filterfile.export_filter(pr.dataset, pr.store, filt)
        with pytest.raises(OutputError, match="matches the input pattern"):
            apply_filter(pr.dataset, filt, tmp_path / "d" / "clean")
    finally:
        pr.close()
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["a.jsonl"]


def test_filter_that_is_the_dataset_is_refused(tmp_path, capsys):
    data = write_jsonl(tmp_path / "train.jsonl")
    code = main(
        ["apply", str(data), *project(tmp_path), "--filter", str(data), "--out",
         str(tmp_path / "clean.jsonl"), "--match-by-id"]
    )  # fmt: skip
    assert code == 1
    assert "is an input" in capsys.readouterr().err
    assert not (tmp_path / "clean.jsonl").exists()
    code = main(["import-filter", str(data), *project(tmp_path), str(data)])
    assert code == 1
    assert "is an input" in capsys.readouterr().err


def test_check_outputs_accepts_a_plain_new_path(tmp_path):
    data = write_jsonl(tmp_path / "train.jsonl")
    pr = open_project(data, project_path=tmp_path / "project.sqlite")
    try:
        check_outputs(pr.dataset, [tmp_path / "filter.parquet", tmp_path / "manifest.json"])
        with pytest.raises(OutputError, match="project database"):
            check_outputs(pr.dataset, [tmp_path / "project.sqlite"], store=pr.store)
    finally:
        pr.close()


# -- disk full ---------------------------------------------------------------------------------


def enospc(*_args, **_kw):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_export_disk_full_says_so_and_keeps_the_old_pair(tmp_path, monkeypatch, capsys):
    data = write_jsonl(tmp_path / "train.jsonl")
    drop_some(tmp_path, data)
    out = export_ok(tmp_path, data)
    old = out.read_bytes(), (out.parent / "manifest.json").read_bytes()
    monkeypatch.setattr(pl.DataFrame, "write_parquet", enospc)
    code = main(["export", str(data), *project(tmp_path), "--out", str(out)])
    assert code == 1
    assert "disk full" in capsys.readouterr().err
    assert (out.read_bytes(), (out.parent / "manifest.json").read_bytes()) == old
    assert sorted(p.name for p in out.parent.iterdir()) == ["filter.parquet", "manifest.json"]


def test_apply_disk_full_says_so_and_leaves_no_output(tmp_path, monkeypatch, capsys):
    from inspector.core.export import apply as apply_module

    data = write_jsonl(tmp_path / "train.jsonl")
    drop_some(tmp_path, data)
    filt = export_ok(tmp_path, data)
    monkeypatch.setattr(apply_module, "_write_synced", enospc)
    code = main(
        ["apply", str(data), *project(tmp_path), "--filter", str(filt), "--out",
         str(tmp_path / "clean" / "c.jsonl")]
    )  # fmt: skip
    assert code == 1
    assert "disk full" in capsys.readouterr().err
    assert not (tmp_path / "clean").exists() or not list((tmp_path / "clean").iterdir())


# -- what a killed run leaves behind ------------------------------------------------------------


def test_stale_temp_files_of_a_killed_export_are_cleaned(tmp_path):
    data = write_jsonl(tmp_path / "train.jsonl")
    out_dir = tmp_path / "filter"
    out_dir.mkdir()
    # What a run killed mid-write leaves: a temp file and a temp folder, named as ours are,
    # by a process that no longer runs, older than this run.
    dead = 2**22 + 7  # above the default pid_max: no such process
    stale_file = out_dir / f".filter.parquet.{atomic.TEMP_MARK}{dead}-ab12.tmp"
    stale_dir = out_dir / f".clean.{atomic.TEMP_MARK}{dead}-cd34.tmp"
    stale_file.write_bytes(b"half")
    stale_dir.mkdir()
    (stale_dir / "a.jsonl").write_text("{}\n")
    theirs = out_dir / ".filter.parquet.swp"  # not ours: left alone
    theirs.write_text("x")
    old = atomic.RUN_STARTED - 60
    for p in (stale_file, stale_dir):
        os.utime(p, (old, old))
    drop_some(tmp_path, data)
    export_ok(tmp_path, data)
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [".filter.parquet.swp", "filter.parquet", "manifest.json"]


def test_a_live_runs_temp_file_is_not_cleaned(tmp_path):
    out_dir = tmp_path / "filter"
    out_dir.mkdir()
    live = out_dir / f".x.parquet.{atomic.TEMP_MARK}{os.getppid()}-ab12.tmp"
    live.write_bytes(b"being written")
    old = atomic.RUN_STARTED - 60
    os.utime(live, (old, old))
    atomic.clean_stale_temps(out_dir)
    assert live.exists()


def test_filter_and_manifest_get_the_users_umask(tmp_path):
    data = write_jsonl(tmp_path / "train.jsonl")
    drop_some(tmp_path, data)
    previous = os.umask(0o022)
    try:
        out = export_ok(tmp_path, data)
        clean = tmp_path / "clean.jsonl"
        assert (
            main(
                ["apply", str(data), *project(tmp_path), "--filter", str(out), "--out", str(clean)]
            )
            == 0
        )
    finally:
        os.umask(previous)
    for path in (out, out.parent / "manifest.json", clean):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


@pytest.mark.parametrize("command", ["analyze", "map"])
def test_analyze_and_map_refuse_an_out_inside_the_dataset_before_any_work(
    tmp_path, capsys, monkeypatch, command
):
    """`analyze`/`map --out ds/result` is refused before the pipeline runs and before the
    folder is made (it would open as more rows next time)."""
    ds = tmp_path / "ds"
    write_jsonl(ds / "part-0.jsonl")
    listing = sorted(p.name for p in ds.iterdir())
    import inspector.core.junk.project_junk as project_junk
    import inspector.core.map.project_map as project_map

    def never(*_a, **_k):
        raise AssertionError("the pipeline ran before the output was checked")

    monkeypatch.setattr(project_junk, "run_analysis", never)
    monkeypatch.setattr(project_map, "compute_map", never)
    code = main([command, str(ds), *project(tmp_path), "--out", str(ds / "result")])
    assert code == 1
    err = capsys.readouterr().err
    assert "inside the dataset folder" in err
    assert sorted(p.name for p in ds.iterdir()) == listing
