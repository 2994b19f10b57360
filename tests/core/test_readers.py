"""Reading training sets from disk: every container the issue names, and every bad input.

Each test writes its own small files; the assertions check what a user would see: the
rows, where each came from (source file, row index / line), and a DataError that names
the file and the line.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
import zstandard

from inspector.core.data import readers
from inspector.core.data.dataset import ROW, SOURCE, open_dataset
from inspector.core.data.readers import MAX_DEPTH, read_file
from inspector.core.data.sources import find_sources
from inspector.core.errors import DataError

REPO = Path(__file__).resolve().parents[2]

ROWS = [
    {"instruction": f"Question {i}?", "input": "", "output": f"Answer number {i}."}
    for i in range(6)
]


def jsonl_bytes(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def compress(data: bytes, how: str | None) -> bytes:
    if how == "gz":
        return gzip.compress(data)
    if how == "zst":
        return zstandard.ZstdCompressor().compress(data)
    return data


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def arrow_stream(path: Path, table: pa.Table) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with ipc.new_stream(str(path), table.schema) as w:
        w.write_table(table)
    return path


def values(ds, col: str) -> list:
    return ds.frame[col].to_list()


# -- JSON containers, plain and compressed ---------------------------------------------------


@pytest.mark.parametrize("compression", [None, "gz", "zst"])
@pytest.mark.parametrize(
    ("name", "layout", "container"),
    [
        ("train.jsonl", "lines", "jsonl"),
        ("train.ndjson", "lines", "jsonl"),
        ("train.json", "array", "json"),
        ("train.json", "lines", "json"),  # JSON lines in a .json file
    ],
)
def test_json_containers(tmp_path, name, layout, container, compression):
    data = jsonl_bytes(ROWS) if layout == "lines" else json.dumps(ROWS, indent=2).encode()
    suffix = {"gz": ".gz", "zst": ".zst", None: ""}[compression]
    path = write(tmp_path / (name + suffix), compress(data, compression))

    ds = open_dataset(path)

    assert ds.height == len(ROWS)
    assert values(ds, "output") == [r["output"] for r in ROWS]
    assert ds.user_columns == ["instruction", "input", "output"]
    assert ds.files[0].container == container
    assert ds.files[0].compression == compression
    assert ds.files[0].rows == len(ROWS)
    assert values(ds, SOURCE) == [path.name] * len(ROWS)
    assert values(ds, ROW) == list(range(len(ROWS)))
    assert ds.spec.kind == "alpaca"


def test_compression_is_recognised_by_content_not_name(tmp_path):
    path = write(tmp_path / "train.jsonl", gzip.compress(jsonl_bytes(ROWS)))
    ds = open_dataset(path)
    assert ds.height == len(ROWS)
    assert ds.files[0].compression == "gz"


def test_row_index_is_the_line_number_with_blank_lines(tmp_path):
    text = "\n" + json.dumps(ROWS[0]) + "\n\n\n" + json.dumps(ROWS[1]) + "\n  \n"
    ds = open_dataset(write(tmp_path / "gaps.jsonl", text))
    assert values(ds, "output") == [ROWS[0]["output"], ROWS[1]["output"]]
    assert values(ds, ROW) == [1, 4]  # 0-based line numbers


def test_crlf_line_endings(tmp_path):
    text = "".join(json.dumps(r) + "\r\n" for r in ROWS[:3])
    ds = open_dataset(write(tmp_path / "dos.jsonl", text))
    assert values(ds, "instruction") == [r["instruction"] for r in ROWS[:3]]
    assert values(ds, ROW) == [0, 1, 2]


def test_last_line_without_newline(tmp_path):
    text = jsonl_bytes(ROWS[:2]) + json.dumps(ROWS[2]).encode()
    ds = open_dataset(write(tmp_path / "t.jsonl", text))
    assert ds.height == 3 and values(ds, ROW) == [0, 1, 2]


def test_large_files_are_read_in_pieces_with_the_same_result(tmp_path, monkeypatch):
    """The piecewise JSON-lines reader: line numbers run on across pieces, and a field that
    only appears (or changes type) in a later piece is kept."""
    rows = [{"text": f"row {i} " + "x" * (i % 7), "n": i} for i in range(60)]
    rows[45]["late"] = "only here"
    rows[50]["n"] = 2.5  # int -> float in a later piece
    text = jsonl_bytes(rows[:30]) + b"\n" + jsonl_bytes(rows[30:])  # a blank line at 30
    path = write(tmp_path / "pieces.jsonl", text)
    whole = open_dataset(path)
    monkeypatch.setattr(readers, "CHUNK_BYTES", 97)  # a few lines per piece
    pieces = open_dataset(path)

    assert pieces.height == whole.height == 60
    assert values(pieces, ROW) == list(range(30)) + list(range(31, 61))
    assert values(pieces, ROW) == values(whole, ROW)
    assert values(pieces, "late")[45] == "only here"
    assert values(pieces, "late").count(None) == 59
    assert pieces.frame["n"].dtype == pl.Float64
    assert values(pieces, "n")[50] == 2.5 and values(pieces, "n")[3] == 3.0
    assert values(pieces, "__id") == values(whole, "__id")


def test_a_bad_line_in_a_later_piece_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "CHUNK_BYTES", 64)
    lines = [json.dumps({"text": f"t{i}"}) for i in range(40)]
    lines[33] = '{"text": "broken'
    path = write(tmp_path / "late_bad.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(DataError) as err:
        open_dataset(path)
    assert err.value.line == 34
    ds = open_dataset(path, skip_bad_lines=True)
    assert ds.height == 39 and 33 not in values(ds, ROW)


# -- Parquet: one file, a folder of shards, a glob ---------------------------------------------


def write_shards(folder: Path, n: int = 3, per: int = 4) -> list[Path]:
    paths = []
    for k in range(n):
        table = pa.table(
            {
                "prompt": [f"shard {k} prompt {i}" for i in range(per)],
                "completion": [f"shard {k} completion {i}" for i in range(per)],
            }
        )
        path = folder / f"train-{k:05d}-of-{n:05d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)
        paths.append(path)
    return paths


def check_locators(ds, per: int = 4) -> None:
    """Each row's source_file and row_index point back at the row that was written."""
    for prompt, source, row in ds.frame.select("prompt", SOURCE, ROW).iter_rows():
        k = int(prompt.split()[1])
        assert Path(source).name == f"train-{k:05d}-of-00003.parquet"
        assert prompt == f"shard {k} prompt {row}"
    assert ds.height == 3 * per


def test_parquet_single_file(tmp_path):
    path = write_shards(tmp_path)[1]
    ds = open_dataset(path)
    assert ds.height == 4
    assert values(ds, SOURCE) == [path.name] * 4
    assert values(ds, ROW) == [0, 1, 2, 3]
    assert values(ds, "prompt")[2] == "shard 1 prompt 2"
    assert ds.files[0].container == "parquet"
    assert ds.spec.kind == "prompt_completion"


def test_parquet_read_through_pyarrow_keeps_polars_types(tmp_path):
    """Parquet is decoded by pyarrow (faster); the frame must be what polars itself reads."""
    import datetime as dt

    frame = pl.DataFrame(
        {
            "text": ["a", None, "ç😀"],
            "n": [1, 2, None],
            "score": [0.5, None, 1.5],
            "ok": [True, False, None],
            "tags": [["x"], [], None],
            "meta": [{"k": "v", "w": 1}, None, {"k": "u", "w": 2}],
            "when": [dt.datetime(2024, 1, 1), None, dt.datetime(2025, 5, 6, 7, 8)],
            "kind": pl.Series(["a", "b", "a"], dtype=pl.Categorical),
        }
    )
    path = tmp_path / "typed.parquet"
    frame.write_parquet(path)
    got = read_file(path).frame
    assert got.schema == pl.read_parquet(path).schema
    assert got.to_dicts() == pl.read_parquet(path).to_dicts()


def test_parquet_types_pyarrow_converts_otherwise_are_read_by_polars(tmp_path):
    """pyarrow makes a date64 column a Date where polars keeps a Datetime: the content-hash
    ids would change with the reader, so such a file is read as polars reads it."""
    import datetime as dt

    table = pa.table(
        {
            "text": ["a", "b"],
            "day": pa.array([dt.date(2024, 1, 2), None], type=pa.date64()),
        }
    )
    path = tmp_path / "d64.parquet"
    pq.write_table(table, path)
    got = read_file(path).frame
    assert got.schema == pl.read_parquet(path).schema
    assert got.schema["day"] == pl.Datetime("ms")
    assert got.to_dicts() == pl.read_parquet(path).to_dicts()


def test_a_parquet_type_polars_cannot_hold_is_a_clear_error(tmp_path):
    path = tmp_path / "wide_decimal.parquet"
    pq.write_table(pa.table({"amount": pa.array([1, 2], type=pa.decimal256(50, 2))}), path)
    with pytest.raises(DataError, match="cannot read as parquet") as err:
        open_dataset(path)  # (pyarrow's conversion panics in Rust: not a crash)
    assert err.value.file == str(path)


def test_parquet_directory_of_shards(tmp_path):
    folder = tmp_path / "data"
    write_shards(folder)
    write(folder / "README.md", "# My dataset\n\nnot data\n")
    write(folder / ".hidden.parquet", b"junk")
    ds = open_dataset(folder)
    assert ds.sources.kind == "directory"
    assert [f.path for f in ds.files] == [f"train-{k:05d}-of-00003.parquet" for k in range(3)]
    check_locators(ds)


def test_parquet_glob_of_shards(tmp_path):
    write_shards(tmp_path / "data")
    write(tmp_path / "data" / "other.csv", "a,b\n1,2\n")
    ds = open_dataset(str(tmp_path / "data" / "train-*.parquet"))
    assert ds.sources.kind == "glob"
    assert len(ds.files) == 3
    check_locators(ds)


def test_nested_folders_keep_relative_source_paths(tmp_path):
    write_shards(tmp_path / "data" / "a", n=1)
    write(tmp_path / "data" / "b" / "more.jsonl", jsonl_bytes([{"prompt": "p", "completion": "c"}]))
    ds = open_dataset(tmp_path / "data")
    assert sorted(set(values(ds, SOURCE))) == ["a/train-00000-of-00001.parquet", "b/more.jsonl"]


# -- CSV / TSV ---------------------------------------------------------------------------------


def test_csv_with_quotes_and_multiline_fields(tmp_path):
    text = 'prompt,completion\n"Hello, world","line one\nline two"\nplain,"say ""hi"""\n'
    ds = open_dataset(write(tmp_path / "t.csv", text))
    assert values(ds, "prompt") == ["Hello, world", "plain"]
    assert values(ds, "completion") == ["line one\nline two", 'say "hi"']
    assert values(ds, ROW) == [0, 1]
    assert ds.files[0].container == "csv"


def test_tsv(tmp_path):
    ds = open_dataset(write(tmp_path / "t.tsv", "text\tscore\nhello there\t1\nbye\t2\n"))
    assert values(ds, "text") == ["hello there", "bye"]
    assert values(ds, "score") == [1, 2]
    assert ds.files[0].container == "tsv"
    assert ds.spec.kind == "text"


def test_csv_gz(tmp_path):
    path = write(tmp_path / "t.csv.gz", gzip.compress(b"text\na\nb\n"))
    ds = open_dataset(path)
    assert values(ds, "text") == ["a", "b"] and ds.files[0].compression == "gz"


# -- Arrow IPC and Hugging Face save_to_disk ---------------------------------------------------

CHAT = pa.table(
    {
        "messages": [
            [{"role": "user", "content": f"hi {i}"}, {"role": "assistant", "content": f"yo {i}"}]
            for i in range(3)
        ],
        "id": ["a", "b", "c"],
    }
)


def test_arrow_ipc_file(tmp_path):
    path = tmp_path / "chat.arrow"
    with ipc.new_file(str(path), CHAT.schema) as w:
        w.write_table(CHAT)
    ds = open_dataset(path)
    assert ds.height == 3 and ds.spec.kind == "messages"
    assert values(ds, "id") == ["a", "b", "c"]
    assert ds.files[0].container == "arrow"


def test_feather_file(tmp_path):
    path = tmp_path / "chat.feather"
    feather.write_feather(CHAT, str(path))
    ds = open_dataset(path)
    assert ds.height == 3 and ds.id_rule == "column:id"


def test_arrow_stream_file(tmp_path):
    ds = open_dataset(arrow_stream(tmp_path / "chat.arrow", CHAT))
    assert ds.height == 3 and ds.spec.kind == "messages"


def make_hf_dataset(folder: Path, tables: list[pa.Table]) -> Path:
    names = [f"data-{k:05d}-of-{len(tables):05d}.arrow" for k in range(len(tables))]
    for name, table in zip(names, tables):
        arrow_stream(folder / name, table)
    state = {"_data_files": [{"filename": n} for n in names], "_split": None}
    write(folder / "state.json", json.dumps(state))
    write(folder / "dataset_info.json", json.dumps({"features": {}}))
    return folder


def test_hf_save_to_disk_dataset(tmp_path):
    first = pa.table({"text": ["a", "b", "c"]})
    second = pa.table({"text": ["d", "e"]})
    folder = make_hf_dataset(tmp_path / "ds", [first, second])
    ds = open_dataset(folder)
    assert ds.sources.kind == "hf_dataset"
    assert values(ds, "text") == ["a", "b", "c", "d", "e"]
    assert (
        values(ds, SOURCE) == ["data-00000-of-00002.arrow"] * 3 + ["data-00001-of-00002.arrow"] * 2
    )
    assert values(ds, ROW) == [0, 1, 2, 0, 1]
    assert [f.container for f in ds.files] == ["arrow", "arrow"]


def make_dataset_dict(folder: Path) -> Path:
    write(folder / "dataset_dict.json", json.dumps({"splits": ["train", "test"]}))
    make_hf_dataset(folder / "train", [pa.table({"text": [f"train {i}" for i in range(5)]})])
    make_hf_dataset(folder / "test", [pa.table({"text": ["test 0", "test 1"]})])
    return folder


def test_hf_dataset_dict_opens_train_by_default(tmp_path):
    ds = open_dataset(make_dataset_dict(tmp_path / "dd"))
    assert ds.sources.splits == ("train", "test") and ds.sources.split == "train"
    assert ds.height == 5 and values(ds, "text")[0] == "train 0"
    assert values(ds, SOURCE)[0] == "train/data-00000-of-00001.arrow"


def test_hf_dataset_dict_split_is_chosen(tmp_path):
    folder = make_dataset_dict(tmp_path / "dd")
    ds = open_dataset(folder, split="test")
    assert ds.sources.split == "test"
    assert values(ds, "text") == ["test 0", "test 1"]
    assert ds.fingerprint != open_dataset(folder, split="train").fingerprint


def test_split_rows_counts_each_split_without_opening_it(tmp_path):
    from inspector.core.data.sources import split_rows

    folder = make_dataset_dict(tmp_path / "dd")
    assert split_rows(folder) == {"train": 5, "test": 2}
    (folder / "test" / "data-00000-of-00001.arrow").write_bytes(b"not arrow")
    assert split_rows(folder) == {"train": 5, "test": None}
    assert split_rows(folder / "train") == {}  # one save_to_disk Dataset: no splits
    # (the folder above the DatasetDict holds train/ and test/ folders: two splits by name)
    assert split_rows(tmp_path) == {"train": 5, "test": None}


def test_hf_dataset_dict_unknown_split(tmp_path):
    with pytest.raises(DataError, match="no split 'validation'.*train, test"):
        open_dataset(make_dataset_dict(tmp_path / "dd"), split="validation")


def test_hf_state_json_names_a_missing_file(tmp_path):
    folder = make_hf_dataset(tmp_path / "ds", [pa.table({"text": ["a"]})])
    (folder / "data-00000-of-00001.arrow").unlink()
    with pytest.raises(DataError, match="missing") as err:
        open_dataset(folder)
    assert "data-00000-of-00001.arrow" in str(err.value)


def test_hf_state_json_that_is_not_json(tmp_path):
    folder = make_hf_dataset(tmp_path / "ds", [pa.table({"text": ["a"]})])
    write(folder / "state.json", "{not json")
    with pytest.raises(DataError, match="cannot read the save_to_disk state") as err:
        open_dataset(folder)
    assert err.value.file == str(folder / "state.json")


# -- unknown extensions: sniffed from the content ----------------------------------------------


def test_unknown_extension_holding_jsonl(tmp_path):
    ds = open_dataset(write(tmp_path / "export.dat", jsonl_bytes(ROWS)))
    assert ds.height == len(ROWS) and ds.files[0].container == "jsonl"
    assert values(ds, ROW) == list(range(len(ROWS)))


def test_unknown_extension_holding_parquet(tmp_path):
    path = tmp_path / "export.dat"
    pq.write_table(pa.table({"text": ["x", "y"]}), path)
    ds = open_dataset(path)
    assert values(ds, "text") == ["x", "y"] and ds.files[0].container == "parquet"


def test_unknown_extension_holding_compressed_json_array(tmp_path):
    path = write(tmp_path / "blob.bin", gzip.compress(json.dumps(ROWS).encode()))
    ds = open_dataset(path)
    assert ds.height == len(ROWS) and ds.files[0].container == "json"


def test_folder_of_unknown_extensions_takes_only_data(tmp_path):
    folder = tmp_path / "dump"
    write(folder / "part1.dat", jsonl_bytes(ROWS[:2]))
    pq.write_table(pa.table({"instruction": ["q"], "output": ["a"]}), folder / "part2.bin")
    write(folder / "README", "This folder holds the export.\nSee the wiki.\n")
    write(folder / "LICENSE", "MIT\n")
    ds = open_dataset(folder)
    assert sorted(f.path for f in ds.files) == ["part1.dat", "part2.bin"]
    assert ds.height == 3


# -- bad input: a DataError that names the file and the line, never a crash --------------------


def test_malformed_json_line_names_file_and_line(tmp_path):
    lines = [json.dumps(r) for r in ROWS]
    lines[3] = '{"instruction": "q", "output": oops}'
    path = write(tmp_path / "bad.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(DataError) as err:
        open_dataset(path)
    e = err.value
    assert e.file == str(path) and e.line == 4
    assert "invalid JSON" in e.message
    assert f"{path}, line 4" in str(e)
    assert "--skip-bad-lines" in str(e)
    assert [b.line for b in e.bad_records] == [4]
    assert "oops" in e.bad_records[0].text


def test_skip_bad_lines_opens_the_rest_and_counts_them(tmp_path):
    lines = [json.dumps(r) for r in ROWS]
    lines[1] = "{not json"
    lines[4] = "[1, 2]"  # JSON, but not an object
    path = write(tmp_path / "bad.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(DataError, match="and 1 more bad lines"):
        open_dataset(path)
    ds = open_dataset(path, skip_bad_lines=True)
    assert ds.height == 4
    assert values(ds, ROW) == [0, 2, 3, 5]
    assert [(b.line, b.file) for b in ds.bad] == [(2, str(path)), (5, str(path))]
    assert "expected a JSON object" in ds.bad[1].message


def test_every_line_bad(tmp_path):
    path = write(tmp_path / "all_bad.jsonl", "nope\nnever\n")
    with pytest.raises(DataError) as err:
        open_dataset(path, skip_bad_lines=True)
    assert "no readable records" in str(err.value)
    assert len(err.value.bad_records) == 2


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found") as err:
        open_dataset(tmp_path / "nope.jsonl")
    assert err.value.file == str(tmp_path / "nope.jsonl")


@pytest.mark.parametrize("content", [b"", b"   \n\n  \n"])
def test_empty_file(tmp_path, content):
    path = write(tmp_path / "empty.jsonl", content)
    with pytest.raises(DataError, match="empty") as err:
        open_dataset(path)
    assert err.value.file == str(path)


def test_empty_compressed_file(tmp_path):
    path = write(tmp_path / "empty.jsonl.gz", gzip.compress(b""))
    with pytest.raises(DataError, match="empty after decompression"):
        open_dataset(path)


def test_corrupt_archive(tmp_path):
    path = write(tmp_path / "broken.jsonl.gz", gzip.compress(jsonl_bytes(ROWS))[:40])
    with pytest.raises(DataError, match="cannot decompress") as err:
        open_dataset(path)
    assert err.value.file == str(path)


def test_corrupt_parquet(tmp_path):
    good = write_shards(tmp_path)[0]
    path = write(tmp_path / "broken.parquet", good.read_bytes()[:-100])
    with pytest.raises(DataError, match="cannot read as parquet") as err:
        open_dataset(path)
    assert err.value.file == str(path)


def test_non_utf8_bytes_in_json_lines(tmp_path):
    data = jsonl_bytes(ROWS[:2]) + b'{"instruction": "caf\xe9", "output": "x"}\n'
    path = write(tmp_path / "latin1.jsonl", data)
    with pytest.raises(DataError) as err:
        open_dataset(path)
    assert err.value.line == 3
    assert "UTF-8" in str(err.value) and "0xe9" in str(err.value)
    ds = open_dataset(path, skip_bad_lines=True)
    assert ds.height == 2 and ds.bad[0].line == 3


def test_non_utf8_bytes_in_csv(tmp_path):
    path = write(tmp_path / "latin1.csv", b"text\nfine\ncaf\xe9\n")
    with pytest.raises(DataError) as err:
        open_dataset(path)
    assert err.value.file == str(path) and err.value.line == 3
    assert "UTF-8" in str(err.value)


def test_ragged_csv(tmp_path):
    path = write(tmp_path / "ragged.csv", "a,b\n1,2\n3,4,5,6\n")
    with pytest.raises(DataError, match="cannot read as CSV") as err:
        open_dataset(path)
    assert err.value.file == str(path)
    assert open_dataset(path, skip_bad_lines=True).height == 2


def test_mixed_schemas_missing_fields_become_null(tmp_path):
    rows = [
        {"instruction": "a", "output": "1"},
        {"instruction": "b", "output": "2", "input": "extra"},
        {"instruction": "c"},
        {"text": "something else entirely"},
    ]
    ds = open_dataset(write(tmp_path / "mixed.jsonl", jsonl_bytes(rows)))
    assert ds.height == 4
    assert values(ds, "output") == ["1", "2", None, None]
    assert values(ds, "input") == [None, "extra", None, None]
    assert values(ds, "text") == [None, None, None, "something else entirely"]
    assert values(ds, ROW) == [0, 1, 2, 3]


def test_mixed_types_across_rows(tmp_path):
    rows = [{"text": "a", "score": 1}, {"text": "b", "score": "high"}, {"text": "c", "score": [1]}]
    ds = open_dataset(write(tmp_path / "types.jsonl", jsonl_bytes(rows)))
    assert ds.height == 3
    assert values(ds, "text") == ["a", "b", "c"]
    assert [str(v) for v in values(ds, "score")][:2] == ["1", "high"]


def test_mixed_schemas_across_files(tmp_path):
    write(tmp_path / "d" / "a.jsonl", jsonl_bytes([{"text": "a", "n": 1}]))
    write(tmp_path / "d" / "b.jsonl", jsonl_bytes([{"text": "b", "tag": "x"}]))
    ds = open_dataset(tmp_path / "d")
    assert values(ds, "n") == [1, None] and values(ds, "tag") == [None, "x"]


def test_ten_megabyte_single_row(tmp_path):
    big = "word " * 2_000_000  # 10 MB
    path = write(tmp_path / "big.jsonl", jsonl_bytes([{"text": big}, {"text": "small"}]))
    ds = open_dataset(path)
    assert ds.height == 2
    assert len(values(ds, "text")[0]) == len(big)
    assert ds.frame["__length"].to_list() == [len(big), 5]
    assert ds.render(0).blocks[0].text == big


def nested(depth: int, leaf: str = "leaf") -> str:
    """JSON text of ``depth`` nested objects and lists, without recursion."""
    return '{"k":[' * (depth // 2) + json.dumps(leaf) + "]}" * (depth // 2)


@pytest.mark.parametrize("depth", [100, 5000])
@pytest.mark.parametrize("layout", ["lines", "array"])
def test_deeply_nested_values_are_kept_as_json_text(tmp_path, depth, layout):
    records = [f'{{"text": "deep", "tree": {nested(depth)}}}', '{"text": "flat", "tree": null}']
    if layout == "lines":
        path = write(tmp_path / "deep.jsonl", "\n".join(records) + "\n")
    else:
        path = write(tmp_path / "deep.json", "[" + ",\n".join(records) + "]")
    ds = open_dataset(path)
    assert values(ds, "text") == ["deep", "flat"]
    tree = values(ds, "tree")[0]
    assert isinstance(tree, str)  # deeper than MAX_DEPTH: kept as its JSON text
    assert tree == nested(depth) and depth > MAX_DEPTH
    assert ds.spec.kind == "text"
    assert "deep" in ds.render(0).to_text()


def test_nesting_within_the_limit_stays_structured(tmp_path):
    value = {"a": {"b": {"c": [{"d": "e"}, {"d": "f"}]}}}
    ds = open_dataset(write(tmp_path / "ok.jsonl", jsonl_bytes([{"text": "t", "v": value}])))
    assert values(ds, "v") == [value]


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    code = "[" * 500 + '"\\"{' * 100 + "]" * 500
    ds = open_dataset(write(tmp_path / "code.jsonl", jsonl_bytes([{"text": code, "v": [1]}])))
    assert values(ds, "text") == [code]
    assert values(ds, "v") == [[1]]  # not turned into text: the brackets were in a string


def test_absurdly_deep_nesting_does_not_crash(tmp_path):
    """200k levels overflow the C stack of polars and orjson (a segfault, not an exception);
    run in a child so a regression fails this test instead of killing the session."""
    deep = write(
        tmp_path / "deep.jsonl", '{"text":"x","v":' + "[" * 200_000 + "]" * 200_000 + "}\n"
    )
    unclosed = write(tmp_path / "unclosed.json", "[" * 200_000 + "\n")
    script = (
        "import sys\n"
        "from inspector.core.data.dataset import open_dataset\n"
        "from inspector.core.errors import DataError\n"
        f"ds = open_dataset({str(deep)!r})\n"
        "print(ds.height, len(ds.frame['v'][0]))\n"
        "try:\n"
        f"    open_dataset({str(unclosed)!r})\n"
        "except DataError as exc:\n"
        "    print('DataError', exc.file)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    first, second = proc.stdout.splitlines()
    assert first == f"1 {400_000}"
    assert second == f"DataError {unclosed}"


def test_directory_with_no_data_files(tmp_path):
    folder = tmp_path / "nothing"
    write(folder / "README.md", "# About\nA description, not data.\n")
    write(folder / ".cache", "x")
    (folder / "empty_subdir").mkdir()
    with pytest.raises(DataError, match="no data files") as err:
        open_dataset(folder)
    assert err.value.file == str(folder)


def test_empty_directory(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no data files"):
        open_dataset(tmp_path / "empty")


def test_glob_matching_nothing(tmp_path):
    with pytest.raises(DataError, match="no files match"):
        open_dataset(str(tmp_path / "*.parquet"))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[1, 2, 3]", "item 0 of the array is int, not an object"),
        ('[{"a": 1}, "two"]', "item 1 of the array is str, not an object"),
        ('"just a string"', "expected a JSON object"),
        ("[]", "the JSON array is empty"),
    ],
)
def test_json_that_is_not_an_array_of_objects(tmp_path, content, expected):
    path = write(tmp_path / "odd.json", content)
    with pytest.raises(DataError, match=expected) as err:
        open_dataset(path)
    assert err.value.file == str(path)


def test_json_object_holding_the_records(tmp_path):
    doc = {"version": "1.0", "data": [{"text": "a"}, {"text": "b"}]}
    path = write(tmp_path / "wrapped.json", json.dumps(doc, indent=2))
    with pytest.raises(DataError) as err:
        open_dataset(path)
    text = str(err.value)
    assert str(path) in text and "one JSON object" in text and "'data'" in text


def test_truncated_json_array_names_the_line(tmp_path):
    path = write(tmp_path / "cut.json", '[\n{"text": "a"},\n{"text": "b"},\n{"text": ')
    with pytest.raises(DataError, match="invalid JSON") as err:
        open_dataset(path)
    assert err.value.line == 4


def test_a_directory_is_not_a_file(tmp_path):
    (tmp_path / "sub").mkdir()
    with pytest.raises(DataError, match="is a directory"):
        read_file(tmp_path / "sub")


# -- sources -----------------------------------------------------------------------------------


def test_sources_are_in_a_stable_order(tmp_path):
    for name in ["b.jsonl", "a.jsonl", "c.parquet"]:
        if name.endswith(".jsonl"):
            write(tmp_path / name, jsonl_bytes(ROWS[:1]))
        else:
            pq.write_table(pa.table({"text": ["x"]}), tmp_path / name)
    found = find_sources(tmp_path)
    assert [p.name for p in found.files] == ["a.jsonl", "b.jsonl", "c.parquet"]
