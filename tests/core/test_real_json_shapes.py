"""JSON files as real training sets come: a JSON array saved under a ``.jsonl`` name, JSON
lines with a comma after each record, a BOM and CRLF line ends."""

from __future__ import annotations

import gzip
import json

import pytest

from inspector.core.data.dataset import open_dataset
from inspector.core.errors import DataError

ROWS = [{"instruction": f"Question {i}?", "output": f"Answer {i}."} for i in range(30)]


@pytest.mark.parametrize("name", ["data.jsonl", "data.ndjson", "data.jsonl.gz"])
def test_json_array_saved_as_jsonl_is_read_as_an_array(tmp_path, name):
    body = json.dumps(ROWS, indent=2).encode()
    path = tmp_path / name
    path.write_bytes(gzip.compress(body) if name.endswith(".gz") else body)
    ds = open_dataset(path)
    assert ds.height == len(ROWS)
    assert ds.spec.kind == "alpaca"
    assert ds.prompt().to_list() == [r["instruction"] for r in ROWS]


def test_trailing_commas_are_named_with_the_fix(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps(r) + ",\n" for r in ROWS), encoding="utf-8")
    with pytest.raises(DataError) as err:
        open_dataset(path)
    text = str(err.value)
    assert str(path) in text and "line 1" in text
    assert "comma" in text
    # every line is bad the same way: skipping bad lines would skip every record
    assert "--skip-bad-lines" not in text


def test_bom_and_crlf_keep_every_row_and_its_text(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(json.dumps(r).encode() + b"\r\n" for r in ROWS))
    ds = open_dataset(path)
    assert ds.height == len(ROWS)
    assert ds.user_columns == ["instruction", "output"]
    assert ds.response().to_list() == [r["output"] for r in ROWS]


def test_nan_and_infinity_as_python_writes_them(tmp_path):
    # json.dumps writes float('nan') as NaN and float('inf') as Infinity; json.loads reads them
    rows = [
        {"instruction": f"q{i}", "output": f"a{i}", "score": [float("nan"), float("inf"), i][i % 3]}
        for i in range(12)
    ]
    path = tmp_path / "scores.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    ds = open_dataset(path)
    assert ds.height == 12 and not ds.bad
    scores = ds.frame["score"].to_list()
    assert all(s != s for s in scores[0::3])  # NaN
    assert scores[1::3] == [float("inf")] * 4
    assert scores[2::3] == [2.0, 5.0, 8.0, 11.0]


def test_json_encoded_twice_is_named(tmp_path):
    path = tmp_path / "twice.jsonl"
    path.write_text("".join(json.dumps(json.dumps(r)) + "\n" for r in ROWS), encoding="utf-8")
    with pytest.raises(DataError) as err:
        open_dataset(path)
    assert "encoded twice" in str(err.value) and "line 1" in str(err.value)


def test_nan_in_a_json_array(tmp_path):
    rows = [
        {"instruction": f"q{i}", "output": "a", "score": float("nan") if i else 1.5}
        for i in range(5)
    ]
    path = tmp_path / "scores.json"
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    ds = open_dataset(path)
    assert ds.height == 5
    scores = ds.frame["score"].to_list()
    assert scores[0] == 1.5 and all(s != s for s in scores[1:])


def test_apply_on_a_json_array_with_nan(tmp_path):
    import numpy as np

    from inspector.core.export.apply import write_without

    rows = [
        {"instruction": f"q{i}", "output": "a", "score": float("nan") if i else 1.5}
        for i in range(5)
    ]
    path = tmp_path / "scores.json"
    path.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    ds = open_dataset(path)
    out = tmp_path / "out.json"
    write_without(path, ds.files[0], np.array([0]), out)
    kept = json.loads(out.read_text(encoding="utf-8"))
    assert [r["instruction"] for r in kept] == ["q1", "q2", "q3", "q4"]
    assert all(r["score"] != r["score"] for r in kept)  # still NaN, as written


@pytest.mark.parametrize("name", ["data.jsonl", "data.csv", "data.json"])
def test_utf16_file_is_named_with_the_fix(tmp_path, name):
    # PowerShell's `>` and Notepad's "Unicode" write UTF-16 with a byte order mark
    path = tmp_path / name
    body = "".join(json.dumps(r) + "\n" for r in ROWS) if name != "data.csv" else "a,b\n1,2\n"
    path.write_text(body, encoding="utf-16")
    with pytest.raises(DataError) as err:
        open_dataset(path)
    text = str(err.value)
    assert str(path) in text and "UTF-16" in text and "iconv" in text
    assert not err.value.bad_records
