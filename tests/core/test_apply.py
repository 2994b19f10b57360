"""export → apply round trips: the filtered data keeps the input's container and format, and
its kept rows are the input's kept rows (byte for byte where the format allows)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inspector.core.export import filterfile
from inspector.core.export.apply import DataChanged, apply_filter
from inspector.core.labels.labelbook import LabelBook
from inspector.core.project import open_project


def rec(i: int) -> dict:
    return {"id": f"r{i}", "instruction": f"question {i}", "output": f"answer {i}", "n": i}


def label_and_export(tmp_path: Path, target: Path, drop_ids: list[str], **open_kw):
    """Open ``target``, drop ``drop_ids`` (and keep one), export; returns (project, filter)."""
    pr = open_project(target, project_path=tmp_path / "project.sqlite", **open_kw)
    book = LabelBook(pr.store, pr.dataset)
    book.decide(book.rows_of(drop_ids), "drop")
    others = [i for i in book.ids.to_list() if i not in drop_ids]
    book.decide(book.rows_of(others[:1]), "keep")  # keep decisions never remove
    out = tmp_path / "filter" / "filter.parquet"
    filterfile.export_filter(pr.dataset, pr.store, out)
    return pr, out


def test_jsonl_round_trip_copies_kept_lines_byte_for_byte(tmp_path):
    lines = [json.dumps(rec(i)) + "\n" for i in range(8)]
    lines.insert(3, "\n")  # a blank line stays where it was
    lines[5] = lines[5].replace("\n", "\r\n")  # so does a CRLF ending
    lines[-1] = lines[-1].rstrip("\n")  # and a missing final newline
    data = tmp_path / "train.jsonl"
    data.write_bytes("".join(lines).encode())
    pr, filt = label_and_export(tmp_path, data, ["r1", "r4", "r7"])
    try:
        result = apply_filter(pr.dataset, filt, tmp_path / "clean.jsonl")
    finally:
        pr.close()
    assert (result.rows_in, result.removed, result.written) == (8, 3, 5)
    assert result.checked and result.not_found == 0
    expected = [ln for ln in lines if not any(f'"r{i}"' in ln for i in (1, 4, 7))]
    assert (tmp_path / "clean.jsonl").read_bytes() == "".join(expected).encode()
    assert not list(tmp_path.glob(".clean*"))  # no temp left behind


def test_jsonl_gz_stays_gzip(tmp_path):
    body = "".join(json.dumps(rec(i), ensure_ascii=False) + "\n" for i in range(10))
    data = tmp_path / "train.jsonl.gz"
    data.write_bytes(gzip.compress(body.encode()))
    pr, filt = label_and_export(tmp_path, data, ["r0", "r9"])
    try:
        into_folder = apply_filter(pr.dataset, filt, tmp_path / "out")
        as_file = apply_filter(pr.dataset, filt, tmp_path / "clean.jsonl.gz")
        with pytest.raises(filterfile.FilterError, match="compressed"):
            apply_filter(pr.dataset, filt, tmp_path / "clean.jsonl")
    finally:
        pr.close()
    expected = "".join(json.dumps(rec(i)) + "\n" for i in range(1, 9)).encode()
    for path in (tmp_path / "out" / "train.jsonl.gz", tmp_path / "clean.jsonl.gz"):
        raw = path.read_bytes()
        assert raw[:2] == b"\x1f\x8b"
        assert gzip.decompress(raw) == expected
    assert into_folder.written == as_file.written == 8


def write_shards(folder: Path, n_shards: int = 3, per: int = 5, codec: str = "zstd") -> Path:
    folder.mkdir(parents=True)
    for s in range(n_shards):
        rows = [rec(s * per + i) for i in range(per)]
        table = pa.Table.from_pylist(rows).replace_schema_metadata({"origin": "test-shards"})
        pq.write_table(table, folder / f"part-{s:05d}.parquet", compression=codec)
    return folder


def test_parquet_shards_stay_shards(tmp_path):
    data = write_shards(tmp_path / "data")
    # shard 0 loses two rows, shard 1 none, shard 2 all but one
    drop = ["r0", "r3", "r10", "r11", "r12", "r13"]
    pr, filt = label_and_export(tmp_path, data, drop)
    try:
        result = apply_filter(pr.dataset, filt, tmp_path / "clean")
    finally:
        pr.close()
    assert (result.rows_in, result.removed, result.written) == (15, 6, 9)
    assert [(c.path, c.removed) for c in result.files] == [
        ("part-00000.parquet", 2),
        ("part-00001.parquet", 0),
        ("part-00002.parquet", 4),
    ]
    names = sorted(p.name for p in (tmp_path / "clean").iterdir())
    assert names == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    for name in names:
        src = pq.read_table(data / name)
        out = pq.read_table(tmp_path / "clean" / name)
        keep = [r for r in src.to_pylist() if r["id"] not in drop]
        assert out.to_pylist() == keep  # kept rows identical, in order
        assert out.schema.equals(src.schema, check_metadata=True)
        meta = pq.ParquetFile(tmp_path / "clean" / name).metadata
        assert meta.row_group(0).column(0).compression == "ZSTD"
    # an untouched shard is copied as it is
    assert (tmp_path / "clean" / "part-00001.parquet").read_bytes() == (
        data / "part-00001.parquet"
    ).read_bytes()


def test_csv_keeps_each_kept_record_bytes(tmp_path):
    data = tmp_path / "train.csv"
    records = [
        "id,instruction,output\r\n",
        'a1,"multi\nline ""quoted""",x\r\n',
        "a2,plain,y\r\n",
        'a3,"comma, inside",z\r\n',
        "a4,last,w\r\n",
    ]
    data.write_bytes("".join(records).encode())
    pr, filt = label_and_export(tmp_path, data, ["a2"])
    try:
        result = apply_filter(pr.dataset, filt, tmp_path / "clean.csv")
    finally:
        pr.close()
    assert result.written == 3
    assert (tmp_path / "clean.csv").read_bytes() == "".join(
        r for r in records if not r.startswith("a2")
    ).encode()


@pytest.mark.parametrize("stream", [True, False])
def test_arrow_stays_arrow(tmp_path, stream):
    folder = tmp_path / "hf"
    folder.mkdir()
    table = pa.Table.from_pylist([rec(i) for i in range(6)]).replace_schema_metadata(
        {"huggingface": '{"info": {}}'}
    )
    path = folder / "data-00000-of-00001.arrow"
    with pa.OSFile(str(path), "wb") as sink:
        writer = pa.ipc.new_stream if stream else pa.ipc.new_file
        with writer(sink, table.schema) as w:
            w.write_table(table)
    if stream:  # as Hugging Face save_to_disk writes it
        state = {"_data_files": [{"filename": path.name}], "_fingerprint": "abc"}
        (folder / "state.json").write_text(json.dumps(state))
        (folder / "dataset_info.json").write_text("{}")
    pr, filt = label_and_export(tmp_path, folder, ["r2", "r5"])
    try:
        assert pr.dataset.sources.kind == ("hf_dataset" if stream else "directory")
        result = apply_filter(pr.dataset, filt, tmp_path / "clean")
    finally:
        pr.close()
    assert result.written == 4
    if stream:
        for name in ("state.json", "dataset_info.json"):
            assert (tmp_path / "clean" / name).read_bytes() == (folder / name).read_bytes()
    raw = (tmp_path / "clean" / path.name).read_bytes()
    assert (raw[:6] == b"ARROW1") is (not stream)
    reader = pa.ipc.open_stream(raw) if stream else pa.ipc.open_file(pa.BufferReader(raw))
    out = reader.read_all()
    assert out.schema.equals(table.schema, check_metadata=True)
    assert out.to_pylist() == [rec(i) for i in (0, 1, 3, 4)]


def test_json_array_stays_an_array(tmp_path):
    data = tmp_path / "train.json"
    data.write_text(json.dumps([rec(i) for i in range(4)], indent=2))
    pr, filt = label_and_export(tmp_path, data, ["r1"])
    try:
        apply_filter(pr.dataset, filt, tmp_path / "clean.json")
    finally:
        pr.close()
    text = (tmp_path / "clean.json").read_text()
    assert json.loads(text) == [rec(i) for i in (0, 2, 3)]
    assert text.startswith("[\n")


def test_changed_data_is_refused_unless_match_by_id(tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(rec(i)) + "\n" for i in range(6)))
    pr, filt = label_and_export(tmp_path, data, ["r1", "r2"])
    pr.close()
    # the data changes after the export: one record edited, one appended
    lines = data.read_text().splitlines(keepends=True)
    lines[0] = json.dumps(dict(rec(0), output="edited")) + "\n"
    data.write_text("".join(lines) + json.dumps(rec(6)) + "\n")
    pr = open_project(data, project_path=tmp_path / "project.sqlite")
    try:
        with pytest.raises(DataChanged) as err:
            apply_filter(pr.dataset, filt, tmp_path / "clean.jsonl")
        message = str(err.value)
        assert "train.jsonl changed" in message and "6 rows, now 7" in message
        assert "--match-by-id" in message
        assert not (tmp_path / "clean.jsonl").exists()
        result = apply_filter(pr.dataset, filt, tmp_path / "clean.jsonl", match_by_id=True)
    finally:
        pr.close()
    assert (result.rows_in, result.removed, result.written) == (7, 2, 5)
    assert not result.checked and result.notes
    kept = [json.loads(x)["id"] for x in (tmp_path / "clean.jsonl").read_text().splitlines()]
    assert kept == ["r0", "r3", "r4", "r5", "r6"]


def test_a_list_without_manifest_needs_match_by_id(tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(rec(i)) + "\n" for i in range(5)))
    ids = tmp_path / "lists" / "remove.txt"
    ids.parent.mkdir()
    ids.write_text("r0\nr4\nghost\n")
    pr = open_project(data, project_path=tmp_path / "project.sqlite")
    try:
        with pytest.raises(DataChanged, match="no manifest.json"):
            apply_filter(pr.dataset, ids, tmp_path / "clean.jsonl")
        result = apply_filter(pr.dataset, ids, tmp_path / "clean.jsonl", match_by_id=True)
        assert (result.removed, result.written, result.not_found) == (2, 3, 1)
        with pytest.raises(filterfile.FilterError, match="already exists"):
            apply_filter(pr.dataset, ids, tmp_path / "clean.jsonl", match_by_id=True)
        with pytest.raises(filterfile.FilterError, match="already exists"):
            apply_filter(pr.dataset, ids, data, match_by_id=True)  # never over the input
    finally:
        pr.close()


def test_a_filter_with_another_id_rule_is_refused(tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(rec(i)) + "\n" for i in range(5)))
    pr, filt = label_and_export(tmp_path, data, ["r1"])
    pr.close()
    ids = json.loads((filt.parent / "manifest.json").read_text())["id_rule"]
    assert ids == "column:id"
    pr = open_project(data, project_path=tmp_path / "other.sqlite", id_column="instruction")
    try:
        with pytest.raises(filterfile.FilterError, match="identifies rows by column:id"):
            apply_filter(pr.dataset, filt, tmp_path / "clean.jsonl", match_by_id=True)
    finally:
        pr.close()
