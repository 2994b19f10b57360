"""A filter file a pipeline trusts: the filter and its manifest are one unit (a kill between the
two renames, a filter copied over, edited counts: refused), ids the ids format cannot hold are
refused, CSV cells are neutralised against formula injection yet read back exactly, decisions
made on other content are not imported onto a row, and ids files with a BOM or given as a
folder are read or refused clearly."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from inspector.cli import main
from inspector.core import atomic
from inspector.core.export import filterfile
from inspector.core.export.apply import apply_filter
from inspector.core.export.filter_import import import_filter
from inspector.core.labels.commands import Decide
from inspector.core.labels.labelbook import LabelBook
from inspector.core.project import open_project

HOSTILE_IDS = ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "'quoted", "plain"]


def write_records(path: Path, ids: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps({"id": i, "text": f"text of {n}"}) + "\n" for n, i in enumerate(ids))
    )
    return path


def opened(tmp_path: Path, target: Path, name: str = "project.sqlite"):
    pr = open_project(target, project_path=tmp_path / name)
    return pr, LabelBook(pr.store, pr.dataset)


def export(tmp_path: Path, data: Path, drop: list[str], out: Path, fmt: str | None = None):
    pr, book = opened(tmp_path, data)
    try:
        book.decide(book.rows_of(drop), "drop")
        return filterfile.export_filter(pr.dataset, pr.store, out, format=fmt)
    finally:
        pr.close()


# -- filter and manifest as one unit ------------------------------------------------------------


def test_a_kill_between_the_two_renames_leaves_a_pair_that_readers_refuse(tmp_path, monkeypatch):
    data = write_records(tmp_path / "train.jsonl", [f"s{i}" for i in range(8)])
    out = tmp_path / "filter" / "filter.parquet"
    export(tmp_path, data, ["s1"], out)  # the pair a pipeline has been using
    real_replace = os.replace

    def killed_before_the_manifest(src, dst):
        if Path(dst).name == filterfile.MANIFEST_NAME:
            raise KeyboardInterrupt("killed")  # the process dies between the renames
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", killed_before_the_manifest)
    with pytest.raises(KeyboardInterrupt):
        export(tmp_path, data, ["s2", "s3", "s4", "s5", "s6"], out)
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    # The new filter now sits beside the old manifest: every reader refuses the pair.
    manifest = json.loads((out.parent / filterfile.MANIFEST_NAME).read_text())
    assert manifest["filter_sha256"] != filterfile.file_sha256(out)
    with pytest.raises(filterfile.FilterError, match="does not match the manifest.json"):
        filterfile.read_filter(out)
    pr, book = opened(tmp_path, data, "fresh.sqlite")
    try:
        with pytest.raises(filterfile.FilterError, match="does not match"):
            apply_filter(pr.dataset, out, tmp_path / "clean.jsonl")
        with pytest.raises(filterfile.FilterError, match="does not match"):
            import_filter(book, out)
        assert book.state("s4") is None  # nothing imported
    finally:
        pr.close()
    assert not (tmp_path / "clean.jsonl").exists()


def test_a_filter_copied_over_an_exported_one_is_refused(tmp_path, capsys):
    data = write_records(tmp_path / "train.jsonl", [f"s{i}" for i in range(8)])
    out = tmp_path / "filter" / "filter.jsonl"
    export(tmp_path, data, ["s1"], out)
    other = tmp_path / "elsewhere" / "filter.jsonl"
    export(tmp_path, data, ["s1", "s2", "s3"], other)
    shutil.copyfile(other, out)
    p = ["--project", str(tmp_path / "project.sqlite")]
    code = main(["apply", str(data), *p, "--filter", str(out), "--out", str(tmp_path / "c.jsonl")])
    assert code == 1
    assert "does not match" in capsys.readouterr().err
    assert not (tmp_path / "c.jsonl").exists()
    assert main(["import-filter", str(data), *p, str(out)]) == 1
    assert "does not match" in capsys.readouterr().err


def test_manifest_counts_that_do_not_match_the_filter_are_refused(tmp_path):
    data = write_records(tmp_path / "train.jsonl", [f"s{i}" for i in range(8)])
    out = tmp_path / "filter" / "filter.parquet"
    export(tmp_path, data, ["s1", "s2"], out)
    path = out.parent / filterfile.MANIFEST_NAME
    manifest = json.loads(path.read_text())
    manifest["counts"]["by_action"]["remove"] = 1  # edited by hand, hash left as it was
    path.write_text(json.dumps(manifest))
    with pytest.raises(filterfile.FilterError, match="counts do not match"):
        filterfile.read_filter(out)


def test_an_ids_filter_is_checked_against_its_manifest_too(tmp_path):
    data = write_records(tmp_path / "train.jsonl", [f"s{i}" for i in range(8)])
    out = tmp_path / "filter" / "remove.txt"
    export(tmp_path, data, ["s1", "s2"], out, "ids")
    assert filterfile.read_filter(out).frame["id"].to_list() == ["s1", "s2"]
    out.write_text("s1\ns2\ns3\n")
    with pytest.raises(filterfile.FilterError, match="does not match"):
        filterfile.read_filter(out)


def test_import_refuses_decisions_made_on_other_content(tmp_path, capsys):
    data = write_records(tmp_path / "train.jsonl", [f"s{i}" for i in range(6)])
    out = tmp_path / "filter" / "filter.parquet"
    export(tmp_path, data, ["s1", "s3"], out)
    # s3 is edited after the export: same id, other text.
    lines = data.read_text().splitlines(keepends=True)
    lines[3] = json.dumps({"id": "s3", "text": "rewritten"}) + "\n"
    data.write_text("".join(lines))
    p = ["--project", str(tmp_path / "fresh.sqlite")]
    assert main(["import-filter", str(data), *p, str(out)]) == 1
    err = capsys.readouterr().err
    assert "1 rows have other content" in err and "s3 (row 4)" in err
    pr, book = opened(tmp_path, data, "fresh.sqlite")
    try:
        assert book.state("s1") is None and book.state("s3") is None  # nothing imported
    finally:
        pr.close()
    assert main(["import-filter", str(data), *p, str(out), "--match-by-id"]) == 0
    assert "1 of them have other content" in capsys.readouterr().out
    pr, book = opened(tmp_path, data, "fresh.sqlite")
    try:
        assert book.state("s3").decision == "drop"
    finally:
        pr.close()


# -- ids the ids format cannot hold -------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\x1cb", "a\u2028b", " padded", "tail\t"])
def test_ids_format_refuses_ids_it_cannot_hold(tmp_path, capsys, bad):
    data = write_records(tmp_path / "train.jsonl", ["s0", bad, "s2"])
    pr, book = opened(tmp_path, data)
    try:
        assert pr.dataset.id_rule == "column:id"
        book.decide(book.rows_of([bad, "s2"]), "drop")
    finally:
        pr.close()
    out = tmp_path / "filter" / "remove.txt"
    p = ["--project", str(tmp_path / "project.sqlite")]
    code = main(["export", str(data), *p, "--out", str(out), "--format", "ids"])
    assert code == 1
    err = capsys.readouterr().err
    assert repr(bad) in err and "--format parquet, jsonl or csv" in err
    assert not out.parent.exists() or not list(out.parent.iterdir())
    # The same decisions round-trip exactly through jsonl.
    out = tmp_path / "filter" / "filter.jsonl"
    assert main(["export", str(data), *p, "--out", str(out)]) == 0
    assert sorted(filterfile.read_filter(out).frame["id"].to_list()) == sorted([bad, "s2"])


def test_ids_files_with_a_bom_keep_their_first_id(tmp_path, capsys):
    data = write_records(tmp_path / "train.jsonl", ["s0", "s1", "s2"])
    ids = tmp_path / "ids.txt"
    ids.write_bytes(b"\xef\xbb\xbfs0\r\ns2\r\n")
    p = ["--project", str(tmp_path / "project.sqlite")]
    assert main(["label", str(data), *p, "--ids-file", str(ids), "--decision", "drop"]) == 0
    assert "2 rows changed" in capsys.readouterr().out
    assert filterfile.read_filter(ids).frame["id"].to_list() == ["s0", "s2"]
    p2 = ["--project", str(tmp_path / "other.sqlite")]
    assert main(["import-filter", str(data), *p2, str(ids)]) == 0
    assert "2 in the data, 0 not" in capsys.readouterr().out


def test_ids_file_that_is_a_folder_is_a_clear_error(tmp_path, capsys):
    data = write_records(tmp_path / "train.jsonl", ["s0", "s1"])
    folder = tmp_path / "ids"
    folder.mkdir()
    p = ["--project", str(tmp_path / "project.sqlite")]
    assert main(["label", str(data), *p, "--ids-file", str(folder), "--decision", "drop"]) == 1
    assert "is a folder" in capsys.readouterr().err


# -- CSV formula injection ----------------------------------------------------------------------


def test_csv_cells_are_neutralised_and_read_back_exactly(tmp_path):
    data = write_records(tmp_path / "train.jsonl", HOSTILE_IDS)
    pr, book = opened(tmp_path, data)
    try:
        rows = book.rows_of(HOSTILE_IDS)
        book.execute(
            Decide(rows, "drop", reason="=HYPERLINK(x)", add_tags=["@evil", "ok"], note="-rm")
        )
        out = tmp_path / "filter" / "filter.csv"
        filterfile.export_filter(pr.dataset, pr.store, out)
    finally:
        pr.close()
    with out.open(newline="", encoding="utf-8") as fh:
        cells = list(csv.DictReader(fh))
    for row in cells:
        for column in ("id", "tags", "reason", "note"):
            assert row[column][:1] not in ("=", "+", "-", "@", "\t", "\r"), (column, row[column])
    by_id = {row["id"]: row for row in cells}
    assert set(by_id) == {"'" + i if i[0] in "=+-@\t'" else i for i in HOSTILE_IDS}
    assert by_id["plain"]["reason"] == "'=HYPERLINK(x)" and by_id["plain"]["note"] == "'-rm"
    assert (
        json.loads((out.parent / filterfile.MANIFEST_NAME).read_text())["csv_neutralised"] is True
    )
    back = filterfile.read_filter(out).frame
    assert sorted(back["id"].to_list()) == sorted(HOSTILE_IDS)
    assert set(back["reason"].to_list()) == {"=HYPERLINK(x)"}
    assert set(back["note"].to_list()) == {"-rm"}
    assert {tuple(t) for t in back["tags"].to_list()} == {("@evil", "ok")}
    # Imported into a fresh project, every decision lands on its own row.
    pr, book = opened(tmp_path, data, "fresh.sqlite")
    try:
        result = import_filter(book, out)
        assert (result.matched, result.not_found) == (len(HOSTILE_IDS), 0)
        state = book.state("=1+1")
        assert state.decision == "drop" and state.note == "-rm"
        assert state.tags == ("@evil", "ok")
    finally:
        pr.close()
