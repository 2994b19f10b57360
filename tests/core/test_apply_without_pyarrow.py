"""apply, split counts and Parquet reads where pyarrow is not installed (the standalone bundle
leaves it out): Arrow files keep their schema, metadata, types and batches (rewritten as
bytes, arrow_rows); Parquet keeps its codec, row groups, metadata and, for the types polars
stores as Arrow does, its Arrow types (parquet_rows). Each is compared with what the pyarrow
path writes from the same input."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inspector.core.data import arrow_ipc
from inspector.core.data.readers import _read_parquet
from inspector.core.data.sources import split_rows
from inspector.core.export import apply, filterfile, parquet_rows
from inspector.core.labels.labelbook import LabelBook
from inspector.core.project import open_project

D = decimal.Decimal
N = 6
COLUMNS = {
    "int8": pa.array([1, -2, None, 4, 5, 6], pa.int8()),
    "uint64": pa.array([1, 2, None, 4, 5, 2**64 - 1], pa.uint64()),
    "float32": pa.array([1.5, None, 2, 3, 4, 5], pa.float32()),
    "bool": pa.array([True, False, None, True, True, False]),
    "string": pa.array(["a", "", None, "ü😀", "x", "y"]),
    "large_string": pa.array(["a", "", None, "ü", "x", "y"], pa.large_string()),
    "binary": pa.array([b"a", b"", None, b"\x00", b"x", b"y"]),
    "fixed_binary": pa.array([b"ab", b"cd", None, b"ef", b"gh", b"ij"], pa.binary(2)),
    "date32": pa.array([dt.date(2020, 1, i + 1) for i in range(N)], pa.date32()),
    "date64": pa.array([dt.date(2020, 1, i + 1) for i in range(N)], pa.date64()),
    "time64": pa.array([dt.time(1, 2, i) for i in range(N)], pa.time64("us")),
    "timestamp_tz": pa.array(
        [dt.datetime(2020, 1, 1, i) for i in range(N)], pa.timestamp("ns", "UTC")
    ),
    "timestamp_s": pa.array([dt.datetime(2020, 1, 1, i) for i in range(N)], pa.timestamp("s")),
    "duration": pa.array([dt.timedelta(seconds=i) for i in range(N)], pa.duration("ms")),
    "decimal": pa.array(
        [D("1.23"), None, D("-4.5"), D("0"), D("9.99"), D("1")], pa.decimal128(9, 2)
    ),
    "list": pa.array([["a"], [], None, ["b", None], ["c"], ["d"]]),
    "large_list": pa.array([[1], [], None, [2, None], [3], [4]], pa.large_list(pa.int32())),
    "fixed_list": pa.array(
        [[1, 2], [3, 4], None, [5, 6], [7, 8], [9, 0]], pa.list_(pa.float32(), 2)
    ),
    "struct": pa.array(
        [
            {"a": 1, "b": "x"},
            None,
            {"a": None, "b": "y"},
            {"a": 2, "b": None},
            {"a": 3},
            {"b": "w"},
        ],
        pa.struct([("a", pa.int32()), ("b", pa.string())]),
    ),
    "messages": pa.array(
        [
            [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]
            for i in range(N)
        ]
    ),
    "map": pa.array(
        [[("a", 1)], [], None, [("b", 2)], [("c", 3)], [("d", 4)]], pa.map_(pa.string(), pa.int32())
    ),
    "dictionary": pa.array(["x", "y", None, "x", "z", "y"]).dictionary_encode(),
    "null": pa.nulls(N),
}
# the types whose Parquet columns polars writes as pyarrow does (the rest keep their values)
PARQUET_SAME_TYPES = {
    "int8", "uint64", "float32", "bool", "string", "large_string", "binary", "date32",
    "timestamp_tz", "timestamp_s", "duration", "decimal", "list", "large_list", "fixed_list",
    "struct", "messages", "map", "null",
}  # fmt: skip
ROWS = 16  # three batches: 6, 4 (a slice), 6
KEEP = np.resize([True, False, True, True, False, True, False], ROWS)
DROP = np.flatnonzero(~KEEP)


@pytest.fixture
def no_pyarrow(monkeypatch):
    """``import pyarrow`` fails from here on, as in the bundle."""
    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError):
        import pyarrow  # noqa: F401


def table_of(name: str) -> pa.Table:
    """The column in three batches (the second one sliced), with schema metadata."""
    base = pa.table({name: COLUMNS[name], "k": pa.array(range(N))})
    table = pa.concat_tables([base, base.slice(1, 4), base])
    return table.replace_schema_metadata({"huggingface": '{"info": {"features": {}}}'})


def ipc_bytes(table: pa.Table, stream: bool, **options) -> bytes:
    sink = io.BytesIO()
    writer = pa.ipc.new_stream if stream else pa.ipc.new_file
    with writer(sink, table.schema, options=pa.ipc.IpcWriteOptions(**options)) as w:
        for batch in table.to_batches():
            w.write_batch(batch)
    return sink.getvalue()


def read_ipc(data: bytes) -> tuple[pa.Table, int]:
    if data[:6] == b"ARROW1":
        reader = pa.ipc.open_file(pa.BufferReader(data))
        return reader.read_all(), reader.num_record_batches
    table = pa.ipc.open_stream(data).read_all()
    return table, len(table.to_batches())


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "file"])
@pytest.mark.parametrize("name", list(COLUMNS))
def test_arrow_without_pyarrow_is_what_pyarrow_writes(name, stream, monkeypatch):
    table = table_of(name)
    data = ipc_bytes(table, stream)
    with_pyarrow = apply._without_arrow_rows(data, DROP, table.num_rows)
    for module in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.setitem(sys.modules, module, None)
    without = apply._without_arrow_rows(data, DROP, table.num_rows)
    monkeypatch.undo()
    got, batches = read_ipc(without)
    expected, expected_batches = read_ipc(with_pyarrow)
    got.validate(full=True)
    assert got.schema.equals(table.schema, check_metadata=True)  # types and metadata
    assert got.equals(expected, check_metadata=True)
    assert got.to_pylist() == table.filter(pa.array(KEEP)).to_pylist()
    assert batches == expected_batches == 3
    assert (without[:6] == b"ARROW1") is (not stream)
    assert arrow_ipc.count_rows(without) == int(KEEP.sum())
    # polars (what Inspector reads with) reads it too
    frame = pl.read_ipc_stream(without) if stream else pl.read_ipc(without)
    assert frame.height == int(KEEP.sum())


def test_arrow_keeps_nothing_and_everything(no_pyarrow):
    table = table_of("messages")
    data = ipc_bytes(table, stream=True)
    everything = apply._without_arrow_rows(data, np.arange(ROWS), ROWS)
    assert arrow_ipc.count_rows(everything) == 0
    assert read_ipc(everything)[0].schema.equals(table.schema, check_metadata=True)
    unchanged = apply._without_arrow_rows(data, np.zeros(0, np.int64), ROWS)
    assert read_ipc(unchanged)[0].equals(table, check_metadata=True)
    with pytest.raises(apply.DataChanged, match="row 30"):
        apply._without_arrow_rows(data, np.array([30]), ROWS)


@pytest.mark.parametrize("codec", ["lz4", "zstd"])
def test_compressed_arrow_is_rewritten_by_polars_with_its_codec(codec, no_pyarrow, caplog):
    table = pa.table({"text": [f"t{i}" for i in range(ROWS)], "n": list(range(ROWS))})
    for stream in (True, False):
        data = ipc_bytes(table, stream, compression=codec)
        out = apply._without_arrow_rows(data, DROP, ROWS)
        frame = pl.read_ipc_stream(out) if stream else pl.read_ipc(out)
        assert frame["n"].to_list() == np.flatnonzero(KEEP).tolist()
        assert arrow_ipc.body_codec(out) == codec
        types = read_ipc(out)[0].schema.types
        assert types == [pa.large_string(), pa.int64()]  # not string_view: older readers
    assert "compressed" in caplog.text


def write_parquet(table: pa.Table, codec: str = "zstd", group: int = 4) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression=codec, row_group_size=group)
    return sink.getvalue()


def parquet_facts(data: bytes) -> tuple:
    meta = pq.ParquetFile(pa.BufferReader(data)).metadata
    groups = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    return meta.row_group(0).column(0).compression, groups, meta.metadata[b"huggingface"]


@pytest.mark.parametrize("name", list(COLUMNS))
def test_parquet_without_pyarrow_keeps_codec_groups_metadata_and_types(name, monkeypatch):
    table = table_of(name)
    data = write_parquet(table)
    with_pyarrow = apply._without_parquet_rows(data, DROP, table.num_rows)
    for module in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.setitem(sys.modules, module, None)
    without = apply._without_parquet_rows(data, DROP, table.num_rows)
    monkeypatch.undo()
    got = pq.read_table(pa.BufferReader(without))
    expected = pq.read_table(pa.BufferReader(with_pyarrow))
    assert parquet_facts(without) == parquet_facts(with_pyarrow)
    assert got.num_rows == int(KEEP.sum())
    if name in PARQUET_SAME_TYPES:
        assert got.equals(expected, check_metadata=True)
    else:  # polars' types for this column, the same values
        assert got.column("k").to_pylist() == expected.column("k").to_pylist()
        as_polars = pl.read_parquet(without)
        assert as_polars.equals(pl.read_parquet(with_pyarrow))


@pytest.mark.parametrize("codec", ["none", "snappy", "gzip", "brotli", "zstd", "lz4"])
def test_parquet_footer_codec_and_row_group(codec):
    table = pa.table({"n": list(range(50))})
    data = write_parquet(table, codec=codec, group=7)
    expected = {"none": "uncompressed"}.get(codec, codec)
    assert parquet_rows.layout(data) == (expected, 7)
    empty = write_parquet(pa.table({"n": pa.array([], pa.int64())}), codec=codec)
    assert parquet_rows.layout(empty)[0] in (expected, "snappy")


def test_read_parquet_without_pyarrow_is_the_same_frame(tmp_path, no_pyarrow):
    data = write_parquet(table_of("messages"))
    path = tmp_path / "a.parquet"
    path.write_bytes(data)
    assert _read_parquet(path).equals(pl.read_parquet(data))
    assert _read_parquet(io.BytesIO(data)).equals(pl.read_parquet(data))


def make_dataset_dict(folder: Path) -> Path:
    (folder).mkdir(parents=True)
    (folder / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    for split, rows, stream in (("train", 7, True), ("test", 3, False)):
        part = folder / split
        part.mkdir()
        table = pa.table({"text": [f"{split} {i}" for i in range(rows)]})
        (part / "data-00000-of-00001.arrow").write_bytes(
            ipc_bytes(pa.concat_tables([table, table.slice(0, 1)]), stream)
        )
        state = {"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}
        (part / "state.json").write_text(json.dumps(state))
    return folder


def test_split_rows_without_pyarrow(tmp_path, no_pyarrow):
    folder = make_dataset_dict(tmp_path / "dd")
    assert split_rows(folder) == {"train": 8, "test": 4}
    (folder / "test" / "data-00000-of-00001.arrow").write_bytes(b"\xff\xff\xff\xff\x10\0\0\0ab")
    assert split_rows(folder) == {"train": 8, "test": None}


def rec(i: int) -> dict:
    return {"id": f"r{i}", "prompt": f"question {i}", "tags": [f"t{i}"] * (i % 3), "n": i}


def export_dropping(tmp_path: Path, target: Path, drop_ids: list[str]):
    pr = open_project(target, project_path=tmp_path / "project.sqlite")
    book = LabelBook(pr.store, pr.dataset)
    book.decide(book.rows_of(drop_ids), "drop")
    out = tmp_path / "filter" / "filter.parquet"
    filterfile.export_filter(pr.dataset, pr.store, out)
    return pr, out


def test_hf_save_to_disk_apply_without_pyarrow(tmp_path):
    """The whole route (open, label, export, apply) with pyarrow gone after the data is made:
    the shard keeps its schema (list<string>, not large_list) and metadata."""
    folder = tmp_path / "hf"
    folder.mkdir()
    table = pa.Table.from_pylist([rec(i) for i in range(9)]).replace_schema_metadata(
        {"huggingface": '{"info": {"features": {"tags": {"feature": {"dtype": "string"}}}}}'}
    )
    shard = folder / "data-00000-of-00001.arrow"
    shard.write_bytes(ipc_bytes(table, stream=True))
    state = {"_data_files": [{"filename": shard.name}], "_fingerprint": "abc"}
    (folder / "state.json").write_text(json.dumps(state))
    (folder / "dataset_info.json").write_text("{}")
    with pytest.MonkeyPatch.context() as mp:
        for module in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
            mp.setitem(sys.modules, module, None)
        pr, filt = export_dropping(tmp_path, folder, ["r2", "r5"])
        try:
            result = apply.apply_filter(pr.dataset, filt, tmp_path / "clean")
        finally:
            pr.close()
    assert result.written == 7
    out = pa.ipc.open_stream((tmp_path / "clean" / shard.name).read_bytes()).read_all()
    assert out.schema.equals(table.schema, check_metadata=True)
    assert out.to_pylist() == [rec(i) for i in range(9) if i not in (2, 5)]
    for name in ("state.json", "dataset_info.json"):
        assert (tmp_path / "clean" / name).read_bytes() == (folder / name).read_bytes()
