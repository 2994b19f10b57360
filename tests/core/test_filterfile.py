"""Filter files: export (formats, manifest, proposals, atomic writes), import (ours, a plain
id list, NeMo-style Parquet), and the examples of docs/filter-format.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from inspector import __version__
from inspector.core.atomic import atomic_write
from inspector.core.data.dataset import file_sha256
from inspector.core.export import filterfile, proposal_files
from inspector.core.export.filter_import import import_filter
from inspector.core.labels.labelbook import LabelBook
from inspector.core.project import open_project

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "filter-format.md"


def records(n: int) -> list[dict]:
    texts = ["plain", 'quote " and \\ backslash', "new\nline", "ünïcödé ✓", "tab\there"]
    return [
        {"id": i, "instruction": f"q{i} {texts[i % len(texts)]}", "output": f"answer {i}"}
        for i in range(n)
    ]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def project(tmp_path):
    data = write_jsonl(tmp_path / "train.jsonl", records(20))
    pr = open_project(data, project_path=tmp_path / "project.sqlite")
    yield pr
    pr.close()


@pytest.fixture
def book(project):
    b = LabelBook(project.store, project.dataset, annotator="alice")
    b.decide([0, 1], "drop", tags=["unsafe", "pii"])
    b.decide(2, "keep")
    b.decide(3, "unsure", reason="semantic_duplicate")
    b.toggle_tag(4, "refusal")  # tagged only
    b.choose_keeper([5, 6], 5, group_id="g1")
    return b


def proposals() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": ["2", "7", "8", "8", "9"],
            "action": ["remove", "remove", "keep", "remove", "flag"],
            "reason": ["near_duplicate", "near_duplicate", "x", "empty_response", "short"],
            "group_id": ["g9", "g9", None, None, None],
            "representative_id": ["10", "10", None, None, None],
            "similarity": [0.97, 0.95, None, None, None],
            "score": [None, None, None, 0.1, 0.3],
        }
    )


def test_export_parquet_columns_and_values(project, book, tmp_path):
    result = filterfile.export_filter(
        project.dataset, project.store, tmp_path / "out" / "filter.parquet"
    )
    assert result.format == "parquet" and result.rows == 7
    frame = pl.read_parquet(result.path)
    assert frame.schema == pl.Schema(filterfile.FILTER_SCHEMA)
    by_id = {r["id"]: r for r in frame.iter_rows(named=True)}
    assert set(by_id) == {"0", "1", "2", "3", "4", "5", "6"}
    assert by_id["0"]["action"] == "remove" and by_id["0"]["label"] == "drop"
    assert by_id["0"]["tags"] == ["unsafe", "pii"]
    assert by_id["2"]["action"] == "keep" and by_id["3"]["action"] == "flag"
    assert by_id["3"]["reason"] == "semantic_duplicate"
    assert by_id["4"]["action"] == "flag" and by_id["4"]["label"] is None
    assert by_id["6"]["representative_id"] == "5" and by_id["6"]["reason"] == "duplicate"
    row = by_id["1"]
    assert row["id_kind"] == "column:id" and row["source_file"] == "train.jsonl"
    assert row["row_index"] == 1 and len(row["content_sha256"]) == 64
    assert row["content_sha256"] == project.dataset.content_hashes()[1]
    assert row["annotator"] == "alice" and row["timestamp"].endswith("Z")
    assert row["tool_version"] == __version__
    assert frame["row_index"].to_list() == sorted(frame["row_index"].to_list())


def test_notes_are_exported_and_survive_csv(project, book, tmp_path):
    book.set_note(2, 'checked against the source, "fine", really\nsecond line')
    book.set_note(7, "only a note")  # no decision: a proposal's row carries it
    filterfile.export_filter(
        project.dataset, project.store, tmp_path / "f.parquet", proposals=proposals()
    )
    by_id = {r["id"]: r for r in pl.read_parquet(tmp_path / "f.parquet").iter_rows(named=True)}
    assert by_id["2"]["note"].startswith("checked against the source")
    assert by_id["7"]["note"] == "only a note" and by_id["7"]["action"] == "remove"
    assert by_id["0"]["note"] is None
    filterfile.export_filter(project.dataset, project.store, tmp_path / "f.csv")
    back = filterfile.read_filter(tmp_path / "f.csv").frame
    assert back.filter(pl.col("id") == "2")["note"][0].endswith("second line")


def test_notes_come_back_with_an_import(project, book, tmp_path):
    book.set_note(2, "kept after checking")  # decided (keep) and noted
    book.set_note(9, "only a note")  # noted, not decided
    out = tmp_path / "f.parquet"
    filterfile.export_filter(project.dataset, project.store, out)
    fresh = open_project(project.dataset.target, project_path=tmp_path / "fresh.sqlite")
    try:
        other = LabelBook(fresh.store, fresh.dataset)
        other.set_note(3, "the fresh project's own note")
        import_filter(other, out)
        assert other.state(2).decision == "keep" and other.state(2).note == "kept after checking"
        assert other.state(9).decision is None and other.state(9).note == "only a note"
        assert other.state(3).note == "the fresh project's own note"  # the file has none
        assert other.state(4).decision is None and other.state(4).tags == ("refusal",)
    finally:
        fresh.close()


def test_human_decisions_win_over_proposals(project, book, tmp_path):
    out = tmp_path / "filter.parquet"
    filterfile.export_filter(project.dataset, project.store, out, proposals=proposals())
    frame = pl.read_parquet(out)
    by_id = {r["id"]: r for r in frame.iter_rows(named=True)}
    assert by_id["2"]["action"] == "keep" and by_id["2"]["annotator"] == "alice"
    assert by_id["2"]["similarity"] == 0.97  # the finder's similarity is kept
    assert by_id["7"]["action"] == "remove" and by_id["7"]["annotator"] == "auto:unknown"
    assert by_id["7"]["label"] is None and by_id["7"]["group_id"] == "g9"
    assert by_id["7"]["source_file"] == "train.jsonl" and by_id["7"]["row_index"] == 7
    assert by_id["8"]["action"] == "remove"  # of two proposals, remove wins
    assert by_id["9"]["action"] == "flag"
    assert frame.height == 10


def test_proposals_are_stored_by_source(project, book, tmp_path):
    n = filterfile.save_proposals(project.store, proposals(), source="minhash")
    assert n == 5
    filterfile.save_proposals(project.store, proposals().head(1), source="quality")
    filterfile.save_proposals(project.store, proposals().head(2), source="minhash")  # replaces
    stored = filterfile.load_proposals(project.store)
    assert stored.height == 3 and stored.schema == pl.Schema(filterfile.PROPOSAL_SCHEMA)
    assert filterfile.load_proposals(project.store, ["quality"]).height == 1
    with pytest.raises(filterfile.FilterError, match="action 'delete'"):
        filterfile.save_proposals(project.store, pl.DataFrame({"id": ["1"], "action": ["delete"]}))
    out = tmp_path / "f.parquet"
    filterfile.export_filter(
        project.dataset, project.store, out, proposals=filterfile.load_proposals(project.store)
    )
    assert pl.read_parquet(out).filter(pl.col("id") == "7")["annotator"].item() == "auto:minhash"


def test_manifest(project, book, tmp_path):
    out = tmp_path / "f" / "filter.parquet"
    result = filterfile.export_filter(
        project.dataset,
        project.store,
        out,
        proposals=proposals(),
        embedding_model="minilm-l6",
        rules={"empty_response": {"min_chars": 1}},
        thresholds={"semantic_duplicate": 0.92},
    )
    manifest = json.loads((tmp_path / "f" / "manifest.json").read_text())
    assert result.manifest_path == tmp_path / "f" / "manifest.json"
    assert manifest["schema_version"] == filterfile.SCHEMA_VERSION
    assert manifest["id_rule"] == "column:id"
    assert manifest["filter_file"] == "filter.parquet" and manifest["format"] == "parquet"
    assert manifest["filter_sha256"] == file_sha256(out)
    [info] = manifest["input_files"]
    assert info["path"] == "train.jsonl" and info["rows"] == 20
    assert info["sha256"] == project.dataset.files[0].sha256
    assert manifest["embedding_model"] == "minilm-l6"
    assert manifest["thresholds"] == {"semantic_duplicate": 0.92}
    assert manifest["rules"] == {"empty_response": {"min_chars": 1}}
    counts = manifest["counts"]
    assert counts["by_action"] == {"remove": 5, "keep": 2, "flag": 3}
    assert counts["by_reason"]["near_duplicate"] == 1
    assert counts["by_reason"]["duplicate"] == 2
    assert counts["by_origin"] == {"human": 7, "proposal": 3}
    assert filterfile.read_manifest(out) == manifest
    assert filterfile.read_manifest(tmp_path / "f" / "other.parquet") is None


@pytest.mark.parametrize("fmt,name", [("jsonl", "f.jsonl"), ("csv", "f.csv"), ("parquet", "f")])
def test_formats_read_back_the_same(project, book, tmp_path, fmt, name):
    filterfile.export_filter(project.dataset, project.store, tmp_path / "p.parquet")
    reference = pl.read_parquet(tmp_path / "p.parquet")
    result = filterfile.export_filter(project.dataset, project.store, tmp_path / name, format=fmt)
    back = filterfile.read_filter(result.path)
    assert back.kind == "inspector"
    assert back.frame.equals(reference)
    if fmt == "csv":
        text = (tmp_path / name).read_text()
        assert text.splitlines()[0] == ",".join(filterfile.FILTER_SCHEMA)
        assert "unsafe|pii" in text


def test_ids_format(project, book, tmp_path):
    result = filterfile.export_filter(project.dataset, project.store, tmp_path / "removed.txt")
    assert result.format == "ids"
    assert (tmp_path / "removed.txt").read_text() == "0\n1\n6\n"
    assert result.rows == 3
    back = filterfile.read_filter(tmp_path / "removed.txt")
    assert back.kind == "id_list" and back.frame["action"].unique().to_list() == ["remove"]


def test_writes_are_atomic(tmp_path):
    target = tmp_path / "filter.parquet"
    target.write_bytes(b"old")

    def broken(path: Path) -> None:
        path.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["filter.parquet"]
    atomic_write(target, lambda p: p.write_bytes(b"new"))
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["filter.parquet"]


# -- import -----------------------------------------------------------------------------------


def test_import_our_file_into_a_fresh_project(project, book, tmp_path):
    out = tmp_path / "f.parquet"
    filterfile.export_filter(project.dataset, project.store, out)
    fresh = open_project(tmp_path / "train.jsonl", project_path=tmp_path / "fresh.sqlite")
    try:
        book2 = LabelBook(fresh.store, fresh.dataset, annotator="bob")
        result = import_filter(book2, out)
        assert (result.kind, result.rows, result.matched, result.not_found) == (
            "inspector",
            7,
            7,
            0,
        )
        for row in range(7):
            a, b = book.state(row), book2.state(row)
            assert (a.decision, a.tags, a.state.reason, a.state.group_id) == (
                b.decision,
                b.tags,
                b.state.reason,
                b.state.group_id,
            )
            assert (a.state.annotator, a.state.timestamp) == (b.state.annotator, b.state.timestamp)
        assert book2.state(4).decision is None and book2.state(4).tags == ("refusal",)
        # one import, one undo
        book2.undo()
        assert all(book2.state(r) is None for r in range(20))
    finally:
        fresh.close()


def test_import_plain_id_list(project, tmp_path):
    book = LabelBook(project.store, project.dataset)
    (tmp_path / "ids.txt").write_text("3\n\n11\nnot-there\n")
    result = import_filter(book, tmp_path / "ids.txt", reason="blocklist")
    assert (result.kind, result.rows, result.matched, result.not_found) == ("id_list", 3, 2, 1)
    assert book.state(3).decision == "drop" and book.state(3).state.reason == "blocklist"
    assert book.state(11).decision == "drop"
    assert book.counts()["drop"] == 2


def test_import_nemo_style_parquet_and_shard_folder(project, tmp_path):
    book = LabelBook(project.store, project.dataset)
    # NeMo Curator writes removal lists as Parquet with an id column (ints here)
    pl.DataFrame({"id": [4, 5], "_hashes": ["a", "b"]}).write_parquet(tmp_path / "dups.parquet")
    result = import_filter(book, tmp_path / "dups.parquet", reason="nemo_fuzzy_dup")
    assert (result.kind, result.matched) == ("id_table", 2)
    assert book.state(4).decision == "drop" and book.state(4).state.reason == "nemo_fuzzy_dup"
    folder = tmp_path / "removal"
    folder.mkdir()
    for k, ids in enumerate(([7], [8, 9])):
        pl.DataFrame({"id": [str(i) for i in ids]}).write_parquet(folder / f"part.{k}.parquet")
    result = import_filter(book, folder)
    assert result.matched == 3 and book.state(9).state.reason == "imported"
    assert book.counts()["drop"] == 5


def test_proposals_go_in_and_out_a_slice_at_a_time(project, monkeypatch):
    """More proposals than one slice (lowered here): all stored in order, read back whole,
    and a failure part-way stores none of them."""
    monkeypatch.setattr(proposal_files, "ROWS_AT_A_TIME", 7)
    many = pl.DataFrame(
        {
            "id": [str(i) for i in range(30)],
            "action": ["remove"] * 30,
            "similarity": [i / 30 for i in range(30)],
        }
    )
    assert filterfile.save_proposals(project.store, many, source="minhash") == 30
    stored = filterfile.load_proposals(project.store)
    assert stored.height == 30 and stored.schema == pl.Schema(filterfile.PROPOSAL_SCHEMA)
    assert stored["id"].to_list() == many["id"].to_list()
    assert stored["similarity"].to_list() == many["similarity"].to_list()

    calls = {"n": 0}
    real = pl.DataFrame.rows

    def failing(frame, *args, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk gone")
        return real(frame, *args, **kw)

    monkeypatch.setattr(pl.DataFrame, "rows", failing)
    with pytest.raises(RuntimeError, match="disk gone"):
        filterfile.save_proposals(project.store, many.head(25), source="minhash")
    monkeypatch.setattr(pl.DataFrame, "rows", real)
    assert filterfile.load_proposals(project.store).height == 30  # rolled back whole


def test_import_as_proposals(project, book, tmp_path):
    filterfile.save_proposals(project.store, proposals(), source="minhash")
    pl.DataFrame({"id": ["12", "13", "999"]}).write_parquet(tmp_path / "nemo.parquet")
    result = import_filter(book, tmp_path / "nemo.parquet", as_="proposals")
    assert result.as_ == "proposals" and result.matched == 2 and result.not_found == 1
    stored = filterfile.load_proposals(project.store, ["import:nemo.parquet"])
    assert sorted(stored["id"].to_list()) == ["12", "13"]
    assert set(stored["action"].to_list()) == {"remove"}
    assert filterfile.load_proposals(project.store, ["minhash"]).height == 5
    assert book.state(12) is None  # proposals are not decisions


def test_import_refuses_other_id_rule_and_bad_actions(project, tmp_path):
    book = LabelBook(project.store, project.dataset)
    pl.DataFrame({"id": ["x"], "id_kind": ["content_sha256"], "action": ["remove"]}).write_parquet(
        tmp_path / "other.parquet"
    )
    with pytest.raises(filterfile.FilterError, match="identifies rows by content_sha256"):
        import_filter(book, tmp_path / "other.parquet")
    (tmp_path / "bad.jsonl").write_text('{"id": "1", "action": "delete"}\n')
    with pytest.raises(filterfile.FilterError, match="action 'delete'"):
        import_filter(book, tmp_path / "bad.jsonl")
    pl.DataFrame({"a": [1], "b": [2]}).write_parquet(tmp_path / "noid.parquet")
    with pytest.raises(filterfile.FilterError, match="no id column"):
        filterfile.read_filter(tmp_path / "noid.parquet")
    with pytest.raises(filterfile.FilterError, match="not found"):
        filterfile.read_filter(tmp_path / "missing.parquet")


# -- the documentation's examples -------------------------------------------------------------


def doc_examples() -> dict[str, str]:
    text = DOC.read_text("utf-8")
    found = re.findall(r"<!-- example: ([\w-]+) -->\s*```python\n(.*?)```", text, re.S)
    return dict(found)


def test_doc_examples_run(tmp_path, monkeypatch):
    examples = doc_examples()
    assert set(examples) == {
        "content-sha256",
        "polars-anti-join",
        "by-position",
        "nemo-removal-list",
        "nemo-pyarrow",
        "csv-restore",
        "check-pair",
    }
    data = write_jsonl(tmp_path / "train.jsonl", [r for r in records(12) if r["id"] % 5 != 3])
    pr = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        book = LabelBook(pr.store, pr.dataset)
        book.decide([1, 3, 4], "drop")
        book.decide([2], "keep")
        filterfile.export_filter(pr.dataset, pr.store, tmp_path / "filter" / "filter.parquet")
        expected_hashes = pr.dataset.content_hashes().to_list()
    finally:
        pr.close()
    kept_ids = [r["id"] for k, r in enumerate(records(12)) if r["id"] % 5 != 3]
    kept_ids = [i for k, i in enumerate(kept_ids) if k not in (1, 3, 4)]
    lines = data.read_text("utf-8").splitlines(keepends=True)
    monkeypatch.chdir(tmp_path)

    scope: dict = {}
    exec(compile(examples["content-sha256"], "content-sha256", "exec"), scope)
    assert scope["hashes"] == expected_hashes

    scope = {}
    exec(compile(examples["polars-anti-join"], "polars-anti-join", "exec"), scope)
    assert scope["clean"]["id"].to_list() == kept_ids
    assert pl.read_ndjson("train.clean.jsonl")["id"].to_list() == kept_ids

    scope = {}
    exec(compile(examples["by-position"], "by-position", "exec"), scope)
    kept_lines = [line for k, line in enumerate(lines) if k not in (1, 3, 4)]
    assert Path("train.kept.jsonl").read_text("utf-8") == "".join(kept_lines)

    scope = {}
    exec(compile(examples["nemo-removal-list"], "nemo-removal-list", "exec"), scope)
    assert pl.read_parquet("removal_ids.parquet")["id"].to_list() == ["1", "4", "5"]
    exec(compile(examples["nemo-pyarrow"], "nemo-pyarrow", "exec"), scope)
    assert scope["clean_table"]["id"].to_pylist() == kept_ids

    exec(compile(examples["check-pair"], "check-pair", "exec"), {})  # the pair matches


def test_doc_examples_csv_restore_and_check_pair(tmp_path, monkeypatch):
    ids = ["=1+1", "-3", "'q", "@x", "plain"]
    data = write_jsonl(tmp_path / "train.jsonl", [{"id": i, "text": i * 2} for i in ids])
    pr = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        book = LabelBook(pr.store, pr.dataset)
        book.decide(book.rows_of(ids[:4]), "drop", note="+note")
        book.decide(book.rows_of(ids[4:]), "keep")
        filterfile.export_filter(pr.dataset, pr.store, tmp_path / "filter" / "filter.csv")
    finally:
        pr.close()
    monkeypatch.chdir(tmp_path)
    examples = doc_examples()
    scope: dict = {}
    exec(compile(examples["csv-restore"], "csv-restore", "exec"), scope)
    assert scope["removed"] == set(ids[:4])
    assert {r["note"] for r in scope["rows"]} == {"+note", ""}
    exec(compile(examples["check-pair"], "check-pair", "exec"), {})
    Path("filter/filter.csv").write_text("id\nother\n")  # copied over the exported one
    with pytest.raises(SystemExit, match="export it again"):
        exec(compile(examples["check-pair"], "check-pair", "exec"), {})


def test_content_sha256_recipe_with_non_ascii_text(tmp_path, monkeypatch):
    data = write_jsonl(tmp_path / "train.jsonl", [{"instruction": "ünïcödé ✓", "output": "é"}])
    pr = open_project(data, project_path=tmp_path / "p.sqlite")
    try:
        expected = pr.dataset.content_hashes().to_list()
    finally:
        pr.close()
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(doc_examples()["content-sha256"], "content-sha256", "exec"), scope)
    assert scope["hashes"] == expected
