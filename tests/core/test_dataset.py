"""Row identity, the dataset fingerprint, locators, filtering and the length column."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from inspector.core.data.dataset import (
    ID,
    ROW,
    SOURCE,
    content_sha256,
    open_dataset,
)
from inspector.core.errors import DataError


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def canonical_sha256(record: dict) -> str:
    """The documented recipe: top-level keys sorted, compact JSON, null fields left out."""

    def enc(v) -> str:
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))

    body = ",".join(f"{enc(k)}:{enc(record[k])}" for k in sorted(record) if record[k] is not None)
    return hashlib.sha256(("{" + body + "}").encode("utf-8")).hexdigest()


# -- the id column -----------------------------------------------------------------------------


def test_unique_id_column_is_used(tmp_path):
    rows = [{"id": f"ex-{i}", "text": "same text"} for i in range(4)]
    ds = open_dataset(write_jsonl(tmp_path / "d.jsonl", rows))
    assert ds.id_rule == "column:id"
    assert ds.ids.to_list() == ["ex-0", "ex-1", "ex-2", "ex-3"]


def test_integer_ids_become_text(tmp_path):
    ds = open_dataset(write_jsonl(tmp_path / "d.jsonl", [{"idx": i, "text": "t"} for i in (5, 9)]))
    assert ds.id_rule == "column:idx"
    assert ds.ids.to_list() == ["5", "9"]


@pytest.mark.parametrize(
    "ids",
    [["a", "b", "a"], ["a", None, "c"]],
    ids=["repeated", "with-null"],
)
def test_id_column_that_is_not_unique_or_has_nulls_falls_back_to_content(tmp_path, ids):
    rows = [{"id": i, "text": f"t{k}"} for k, i in enumerate(ids)]
    ds = open_dataset(write_jsonl(tmp_path / "d.jsonl", rows))
    assert ds.id_rule == "content_sha256"
    assert ds.ids.to_list() == [canonical_sha256(r) for r in rows]


def test_named_id_column(tmp_path):
    rows = [{"id": "dup", "key": f"k{i}", "text": "t"} for i in range(3)]
    ds = open_dataset(write_jsonl(tmp_path / "d.jsonl", rows), id_column="key")
    assert ds.id_rule == "column:key" and ds.ids.to_list() == ["k0", "k1", "k2"]


def test_named_id_column_with_repeats_is_a_clear_error(tmp_path):
    rows = [{"key": k, "text": "t"} for k in ["a", "b", "a", "a"]]
    with pytest.raises(DataError) as err:
        open_dataset(write_jsonl(tmp_path / "d.jsonl", rows), id_column="key")
    e = err.value
    assert e.field == "key"
    assert "2 repeated values" in str(e)
    assert "leave it out to use content hashes" in str(e)


def test_named_id_column_with_nulls_is_a_clear_error(tmp_path):
    rows = [{"key": "a", "text": "t"}, {"text": "u"}]
    with pytest.raises(DataError, match="1 empty values") as err:
        open_dataset(write_jsonl(tmp_path / "d.jsonl", rows), id_column="key")
    assert err.value.field == "key"


def test_named_id_column_that_does_not_exist(tmp_path):
    with pytest.raises(DataError, match="no id column 'uuid'") as err:
        open_dataset(write_jsonl(tmp_path / "d.jsonl", [{"text": "t"}]), id_column="uuid")
    assert "columns are text" in str(err.value)


# -- content hashes ----------------------------------------------------------------------------


def test_content_ids_follow_the_documented_recipe(tmp_path):
    rows = [
        {"output": "Paris.", "instruction": "Capital of France?", "n": 3},
        {"instruction": 'Ünïcödé ✓ — «quotes» "and" \\ back\nslash', "output": "é", "n": 4},
        {"instruction": "no output", "output": None, "n": 5},  # null: left out
        {"instruction": "tab\tand control \u0007", "output": "😀", "n": 6},
    ]
    ds = open_dataset(write_jsonl(tmp_path / "d.jsonl", rows))
    assert ds.id_rule == "content_sha256"
    assert ds.ids.to_list() == [canonical_sha256(r) for r in rows]
    assert ds.content_hashes().to_list() == ds.ids.to_list()


def test_exact_duplicates_get_an_occurrence_suffix(tmp_path):
    a = {"instruction": "Say hi.", "output": "Hi."}
    b = {"instruction": "Say bye.", "output": "Bye."}
    ds = open_dataset(write_jsonl(tmp_path / "d.jsonl", [a, b, a, a, b]))
    ha, hb = canonical_sha256(a), canonical_sha256(b)
    assert ds.ids.to_list() == [ha, hb, f"{ha}#2", f"{ha}#3", f"{hb}#2"]
    assert ds.ids.n_unique() == 5
    # the hash itself is the same for every copy; only the id carries the suffix
    assert ds.content_hashes().to_list() == [ha, hb, ha, ha, hb]


def test_key_order_does_not_change_the_content_id(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"a": "1", "b": "2"}\n{"b": "2", "a": "1"}\n', "utf-8")
    ds = open_dataset(path)
    first = ds.ids[0]
    assert ds.ids.to_list() == [first, f"{first}#2"]


def test_content_ids_do_not_depend_on_the_container(tmp_path):
    rows = [{"prompt": "p", "completion": "c"}, {"prompt": "q", "completion": "d"}]
    jsonl = open_dataset(write_jsonl(tmp_path / "d.jsonl", rows))
    frame = pl.DataFrame(rows)
    frame.write_parquet(tmp_path / "d.parquet")
    frame.write_csv(tmp_path / "d.csv")
    assert open_dataset(tmp_path / "d.parquet").ids.to_list() == jsonl.ids.to_list()
    assert open_dataset(tmp_path / "d.csv").ids.to_list() == jsonl.ids.to_list()


def test_content_sha256_in_batches_matches_one_by_one(monkeypatch):
    from inspector.core.data import dataset

    frame = pl.DataFrame(
        {
            "text": [f"row {i} " + "é" * (i % 5) for i in range(50)],
            "tag": [None if i % 3 else f"t{i}" for i in range(50)],
        }
    )
    expected = [canonical_sha256(r) for r in frame.to_dicts()]
    monkeypatch.setattr(dataset, "HASH_BATCH", 7)
    assert content_sha256(frame).to_list() == expected


def test_polars_hash_path_matches_hashlib_in_order():
    """The plugin path (streaming, several chunks, nulls, nested values) must give the same
    hash for the same row as the hashlib reference: a row given another row's id would move
    labels onto the wrong sample."""
    from inspector.core.data import dataset

    n = 30_000
    parts = [
        pl.DataFrame(
            {
                "text": [f"row {k + i} " + "é😀"[i % 2] * (i % 7) for i in range(n)],
                "tag": [None if i % 3 else f"t{i}" for i in range(n)],
                "n": list(range(k, k + n)),
                "tags": [[f"a{i}", "b"] if i % 5 else None for i in range(n)],
            }
        )
        for k in (0, n, 2 * n)
    ]
    frame = pl.concat(parts, rechunk=False)  # several chunks, as a multi-file dataset has
    assert frame.n_chunks() > 1
    canonical = dataset.canonical_json_expr(frame.columns, has_nulls=True)
    fast = dataset._sha256_polars(frame, canonical)
    reference = dataset._sha256_hashlib(frame, canonical)
    assert fast.to_list() == reference.to_list()
    sample = frame.slice(12_345, 1).to_dicts()[0]
    assert fast[12_345] == canonical_sha256(sample)


def test_content_sha256_falls_back_to_hashlib_when_the_plugin_fails(monkeypatch):
    from inspector.core.data import dataset

    def broken(*_args):
        raise RuntimeError("plugin built for another polars")

    monkeypatch.setattr(dataset, "_sha256_polars", broken)
    frame = pl.DataFrame({"text": ["a", "b"], "tag": [None, "x"]})
    assert content_sha256(frame).to_list() == [canonical_sha256(r) for r in frame.to_dicts()]


def test_deferred_ids_are_computed_later_and_match(tmp_path):
    a = {"instruction": "Say hi.", "output": "Hi."}
    b = {"instruction": "Say bye.", "output": None}
    path = write_jsonl(tmp_path / "d.jsonl", [a, b, a])
    pending = open_dataset(path, defer_ids=True)
    assert not pending.ids_ready
    assert pending.height == 3 and pending.id_rule == "content_sha256"
    assert pending.frame[ID].null_count() == 3
    with pytest.raises(RuntimeError, match="still being computed"):
        pending.ids  # noqa: B018 - nothing may read ids that are not there yet
    done = pending.identified()
    assert done.ids_ready and not pending.ids_ready  # a new dataset; the pending one is kept
    assert done.ids.to_list() == open_dataset(path).ids.to_list()
    assert done.ids[2] == canonical_sha256(a) + "#2"
    assert done.identified() is done


def test_ids_are_computed_in_slices_that_cancel_can_stop(tmp_path, monkeypatch):
    from inspector.core.data import dataset
    from inspector.core.jobs import Cancelled, Progress

    rows = [{"instruction": f"q{i}", "output": "same"} for i in range(10)] * 2
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    monkeypatch.setattr(dataset, "ID_SLICE", 3)
    pending = open_dataset(path, defer_ids=True)
    steps: list[int] = []
    done = pending.identified(Progress(lambda p: steps.append(p.done)))
    assert max(steps) == 7  # 20 rows in slices of 3
    assert done.ids.to_list() == open_dataset(path).ids.to_list()  # the same ids, #2s included
    assert done.ids[10] == done.ids[0] + "#2"

    def cancel_after_first(p: Progress) -> None:
        if p.done == 1:
            p.cancel()

    with pytest.raises(Cancelled):
        pending.identified(Progress(cancel_after_first))


def test_deferring_changes_nothing_when_the_data_has_an_id_column(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"id": "x1", "text": "a"}, {"id": "x2", "text": "b"}])
    ds = open_dataset(path, defer_ids=True)
    assert ds.ids_ready and ds.ids.to_list() == ["x1", "x2"]


def test_content_sha256_of_no_rows():
    assert content_sha256(pl.DataFrame({"text": []}, schema={"text": pl.String})).len() == 0


# -- fingerprint and file facts ----------------------------------------------------------------


def test_file_facts(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "a"}, {"text": "b"}])
    gz = tmp_path / "e.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"text": "c"}\n'))
    ds = open_dataset(tmp_path)
    facts = {f.path: f for f in ds.files}
    assert facts["d.jsonl"].size == path.stat().st_size
    assert facts["d.jsonl"].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert facts["d.jsonl"].rows == 2
    # a compressed file is hashed as it is on disk
    assert facts["e.jsonl.gz"].sha256 == hashlib.sha256(gz.read_bytes()).hexdigest()
    assert facts["e.jsonl.gz"].compression == "gz" and facts["e.jsonl.gz"].rows == 1


def test_fingerprint_is_stable(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "a"}, {"text": "b"}])
    first = open_dataset(path).fingerprint
    assert len(first) == 64
    assert open_dataset(path).fingerprint == first
    # the same bytes elsewhere are the same data
    copy = tmp_path / "copy" / "d.jsonl"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    assert open_dataset(copy).fingerprint == first


def test_fingerprint_changes_when_a_file_changes(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "abc"}, {"text": "def"}])
    before = open_dataset(path).fingerprint
    write_jsonl(path, [{"text": "abc"}, {"text": "deF"}])  # same size, one byte differs
    assert open_dataset(path).fingerprint != before


def test_fingerprint_changes_when_a_shard_is_added(tmp_path):
    write_jsonl(tmp_path / "data" / "a.jsonl", [{"text": "a"}])
    before = open_dataset(tmp_path / "data").fingerprint
    write_jsonl(tmp_path / "data" / "b.jsonl", [{"text": "b"}])
    after = open_dataset(tmp_path / "data")
    assert after.fingerprint != before and after.height == 2


def test_skipping_more_bad_lines_changes_the_fingerprint(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "a"}\nbroken\n', "utf-8")
    first = open_dataset(path, skip_bad_lines=True)
    path.write_text('{"text": "a"}\n{"text": "b"}\n', "utf-8")
    assert open_dataset(path).fingerprint != first.fingerprint


# -- locators, records, length ------------------------------------------------------------------


def test_locators_across_files(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"text": "a0"}, {"text": "a1"}])
    write_jsonl(tmp_path / "sub" / "b.jsonl", [{"text": "b0"}])
    ds = open_dataset(tmp_path)
    assert ds.frame.select(SOURCE, ROW, "text").rows() == [
        ("a.jsonl", 0, "a0"),
        ("a.jsonl", 1, "a1"),
        ("sub/b.jsonl", 0, "b0"),
    ]
    assert ds.user_columns == ["text"]
    assert ds.record(2) == {"text": "b0"}


def test_internal_columns_are_not_part_of_the_record(tmp_path):
    ds = open_dataset(write_jsonl(tmp_path / "d.jsonl", [{"id": "x", "text": "t"}]))
    assert set(ds.frame.columns) >= {ID, SOURCE, ROW, "__length"}
    assert ds.record(0) == {"id": "x", "text": "t"}
    assert ds.name == "d.jsonl"


# -- filtering ----------------------------------------------------------------------------------

FILTER_ROWS = [
    {"instruction": "Tell me about the Lighthouse.", "input": "", "output": "It is tall."},
    {"instruction": "Write code.", "input": "", "output": "print('lighthouse keeper')"},
    {"instruction": "Short?", "input": "extra", "output": "Yes."},
    {"instruction": "Nothing here.", "input": "", "output": "No light at all."},
]


@pytest.fixture
def filterable(tmp_path):
    return open_dataset(write_jsonl(tmp_path / "f.jsonl", FILTER_ROWS))


def test_substring_filter_ignores_case_by_default(filterable):
    assert filterable.match("lighthouse").tolist() == [0, 1]
    assert filterable.match("lighthouse", case=True).tolist() == [1]


def test_substring_filter_is_literal(filterable):
    assert filterable.match("('").tolist() == [1]  # regex metacharacters are plain text
    assert filterable.match("extra").tolist() == [2]  # every text field is searched


def test_regex_filter(filterable):
    assert filterable.match(r"light\w+ keeper", regex=True).tolist() == [1]
    assert filterable.match(r"^short", regex=True).tolist() == [2]
    with pytest.raises(ValueError, match="regular expression"):
        filterable.match("(unclosed", regex=True)


def test_expression_filter(filterable):
    assert filterable.match(expr="length(output) < 5").tolist() == [2]
    assert filterable.match(expr="input = 'extra' OR length(instruction) > 25").tolist() == [0, 2]
    assert filterable.match("light", expr="length(output) > 12").tolist() == [1, 3]
    with pytest.raises(ValueError, match="expression"):
        filterable.match(expr="no_such_column > 3")


def test_no_filter_is_every_row(filterable):
    rows = filterable.match()
    assert rows.dtype == np.int64 and rows.tolist() == [0, 1, 2, 3]


def test_filter_on_chat_turns(tmp_path):
    rows = [
        {
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "Zebra"},
            ]
        },
        {"messages": [{"role": "user", "content": "zeb"}, {"role": "assistant", "content": "no"}]},
    ]
    ds = open_dataset(write_jsonl(tmp_path / "m.jsonl", rows))
    assert ds.match("zebra").tolist() == [0]
    assert ds.match("zeb").tolist() == [0, 1]


def test_length_column(tmp_path):
    rows = [{"instruction": "abc", "input": "de", "output": "fghij"}, {"instruction": "x"}]
    ds = open_dataset(write_jsonl(tmp_path / "d.jsonl", rows))
    assert ds.frame["__length"].to_list() == [10, 1]
