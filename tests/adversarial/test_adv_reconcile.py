"""Labels and changed data: a label follows its record (by id and content), never a position.

Each test labels rows through the real CLI, changes the data file the way a user would
(shuffle the lines, edit a record, edit one copy of a repeated record), then exports and
applies the filter and checks which records survive.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from pathlib import Path

import polars as pl

from inspector.cli import main


def line(record: dict) -> str:
    return json.dumps(record) + "\n"


def content_id(record: dict) -> str:
    """The content-hash id of a record (sorted keys, compact JSON), without a copy suffix."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def run(*argv: str) -> int:
    return main([str(a) for a in argv])


def label(data: Path, project: Path, ids: list[str], decision: str, tmp: Path) -> None:
    ids_file = tmp / f"ids-{decision}.txt"
    ids_file.write_text("".join(i + "\n" for i in ids))
    code = run("label", data, "--project", project, "--ids-file", ids_file, "--decision", decision)
    assert code == 0


def export_apply(data: Path, project: Path, tmp: Path, name: str = "f") -> list[dict]:
    """Export the filter, apply it to ``data`` and return the records that survive."""
    out = tmp / f"{name}.parquet"
    assert run("export", data, "--project", project, "--out", out) == 0
    clean = tmp / f"{name}-clean.jsonl"
    assert run("apply", data, "--project", project, "--filter", out, "--out", clean) == 0
    return [json.loads(t) for t in clean.read_text().splitlines() if t.strip()]


def stale_labels(data: Path, project: Path, capsys) -> int:
    """The stale count ``inspector info --json`` reports."""
    capsys.readouterr()
    assert run("info", data, "--project", project, "--json") == 0
    return int(json.loads(capsys.readouterr().out)["stale_labels"])


def records(n: int) -> list[dict]:
    return [{"id": f"s{i}", "prompt": f"question {i}", "response": f"answer {i}"} for i in range(n)]


def test_shuffled_lines_keep_each_label_on_its_record(tmp_path):
    data, project = tmp_path / "train.jsonl", tmp_path / "p.sqlite"
    rows = records(12)
    data.write_text("".join(line(r) for r in rows))
    label(data, project, ["s1", "s4", "s7"], "drop", tmp_path)
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    assert [r["id"] for r in shuffled] != [r["id"] for r in rows]
    data.write_text("".join(line(r) for r in shuffled))

    kept = export_apply(data, project, tmp_path)
    assert sorted(r["id"] for r in kept) == sorted(
        r["id"] for r in rows if r["id"] not in {"s1", "s4", "s7"}
    )
    filt = pl.read_parquet(tmp_path / "f.parquet")
    where = {r["id"]: i for i, r in enumerate(shuffled)}
    assert dict(zip(filt["id"], filt["row_index"])) == {k: where[k] for k in ("s1", "s4", "s7")}


def test_shuffled_lines_with_content_hash_ids(tmp_path):
    data, project = tmp_path / "train.jsonl", tmp_path / "p.sqlite"
    rows = [{"prompt": f"q{i}", "response": f"a{i}"} for i in range(10)]
    data.write_text("".join(line(r) for r in rows))
    dropped = [content_id(rows[2]), content_id(rows[5])]
    label(data, project, dropped, "drop", tmp_path)
    data.write_text("".join(line(r) for r in reversed(rows)))

    kept = export_apply(data, project, tmp_path)
    assert len(kept) == 8 and rows[2] not in kept and rows[5] not in kept


def test_an_edited_labelled_row_is_stale_and_not_exported(tmp_path, capsys):
    data, project = tmp_path / "train.jsonl", tmp_path / "p.sqlite"
    rows = records(6)
    data.write_text("".join(line(r) for r in rows))
    label(data, project, ["s2", "s3"], "drop", tmp_path)
    edited = [dict(r) for r in rows]
    edited[2]["response"] = "a better answer"  # the user fixed the row they had dropped
    data.write_text("".join(line(r) for r in edited))
    capsys.readouterr()

    kept = export_apply(data, project, tmp_path)
    out = capsys.readouterr()
    assert [r["id"] for r in kept] == ["s0", "s1", "s2", "s4", "s5"]
    assert pl.read_parquet(tmp_path / "f.parquet")["id"].to_list() == ["s3"]
    assert "1 stale label" in out.out + out.err

    assert stale_labels(data, project, capsys) == 1
    with sqlite3.connect(project) as conn:
        stale = conn.execute("SELECT id, decision FROM stale_labels").fetchall()
    assert stale == [("s2", "drop")]


def test_a_removed_labelled_row_is_stale(tmp_path, capsys):
    data, project = tmp_path / "train.jsonl", tmp_path / "p.sqlite"
    rows = records(5)
    data.write_text("".join(line(r) for r in rows))
    label(data, project, ["s1", "s3"], "drop", tmp_path)
    data.write_text("".join(line(r) for r in rows if r["id"] != "s1"))
    kept = export_apply(data, project, tmp_path)
    assert [r["id"] for r in kept] == ["s0", "s2", "s4"]
    assert stale_labels(data, project, capsys) == 1


def test_edited_then_reverted_row_gets_its_label_back(tmp_path, capsys):
    data, project = tmp_path / "train.jsonl", tmp_path / "p.sqlite"
    rows = records(4)
    original = "".join(line(r) for r in rows)
    data.write_text(original)
    label(data, project, ["s1"], "drop", tmp_path)
    edited = [dict(r) for r in rows]
    edited[1]["prompt"] = "changed"
    data.write_text("".join(line(r) for r in edited))
    assert stale_labels(data, project, capsys) == 1
    data.write_text(original)
    kept = export_apply(data, project, tmp_path)
    assert [r["id"] for r in kept] == ["s0", "s2", "s3"]


def test_repeated_records_edit_of_the_kept_copy(tmp_path, capsys):
    """X, Y, X: keep X, drop X#2, then edit the first X. The dropped copy stays dropped (the
    #2 rule follows it to its new id) and the edited row's keep is reported stale."""
    data, project = tmp_path / "train.jsonl", tmp_path / "p.sqlite"
    x, y = {"prompt": "x", "response": "same"}, {"prompt": "y", "response": "other"}
    data.write_text(line(x) + line(y) + line(x))
    hx = content_id(x)
    label(data, project, [hx], "keep", tmp_path)
    label(data, project, [hx + "#2"], "drop", tmp_path)
    x_edited = {"prompt": "x", "response": "edited"}
    data.write_text(line(x_edited) + line(y) + line(x))
    capsys.readouterr()

    kept = export_apply(data, project, tmp_path)
    assert kept == [x_edited, y]  # the copy the user dropped is removed, nothing else
    filt = pl.read_parquet(tmp_path / "f.parquet")
    assert filt.select("id", "action", "row_index").rows() == [(hx, "remove", 2)]
    assert stale_labels(data, project, capsys) == 1


def test_repeated_records_edit_of_the_dropped_copy(tmp_path, capsys):
    """X, Y, X: drop X (the first copy) only; edit that copy. The second copy was never
    decided: its label must not move onto it (it is stale instead)."""
    data, project = tmp_path / "train.jsonl", tmp_path / "p.sqlite"
    x, y = {"prompt": "x", "response": "same"}, {"prompt": "y", "response": "other"}
    data.write_text(line(x) + line(y) + line(x))
    label(data, project, [content_id(x)], "drop", tmp_path)
    x_edited = {"prompt": "x", "response": "edited"}
    data.write_text(line(x_edited) + line(y) + line(x))
    capsys.readouterr()

    kept = export_apply(data, project, tmp_path)
    assert kept == [x_edited, y, x]
    assert stale_labels(data, project, capsys) == 1
