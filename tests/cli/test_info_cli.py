"""``inspector info PATH``: the real command on small files, through ``inspector.cli.main``
and once through ``python3 -m inspector``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from inspector.cli import main

REPO = Path(__file__).resolve().parents[2]

ROWS = [
    {
        "instruction": f"Explain topic {i}.",
        "input": "" if i % 2 else f"context {i}",
        "output": f"Topic {i} is explained here.",
    }
    for i in range(9)
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def data(tmp_path) -> Path:
    return write_jsonl(tmp_path / "train.jsonl", ROWS)


def info_json(capsys, *args: str) -> dict:
    assert main(["info", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_info_json(tmp_path, data, capsys):
    info = info_json(capsys, str(data), "--project", str(tmp_path / "p.sqlite"))
    assert info["format"] == "alpaca"
    assert info["fields"] == {"instruction": "instruction", "output": "output", "input": "input"}
    assert info["rows"] == 9
    assert info["columns"] == ["instruction", "input", "output"]
    assert info["id_rule"] == "content_sha256"
    assert len(info["fingerprint"]) == 64 and int(info["fingerprint"], 16) >= 0
    assert info["files"][0]["path"] == "train.jsonl" and info["files"][0]["rows"] == 9
    assert info["skipped_records"] == 0
    assert info["project"] == str(tmp_path / "p.sqlite")
    samples = info["samples"]
    assert len(samples) == 3
    # three samples spread through the data, each rendered as a person reads it
    assert [s["text"].split("\n")[1] for s in samples] == [
        "Explain topic 0.",
        "Explain topic 3.",
        "Explain topic 6.",
    ]
    assert samples[0]["text"] == (
        "[instruction]\nExplain topic 0.\n\n[input]\ncontext 0\n\n[output]\nTopic 0 is explained here."
    )
    assert all(len(s["id"]) == 64 for s in samples)


def test_info_json_through_python_m(tmp_path, data):
    env = dict(os.environ, INSPECTOR_HOME=str(tmp_path / "home"))
    proc = subprocess.run(
        [sys.executable, "-m", "inspector", "info", str(data), "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["format"] == "alpaca" and info["rows"] == 9
    assert info["id_rule"] == "content_sha256"
    assert len(info["samples"]) == 3
    # the default project lives in the user data directory, keyed by the fingerprint
    assert Path(info["project"]).is_relative_to(tmp_path / "home")
    assert info["fingerprint"][:24] in Path(info["project"]).name


def test_info_text_output(tmp_path, data, capsys):
    assert main(["info", str(data), "--project", str(tmp_path / "p.sqlite")]) == 0
    out = capsys.readouterr().out
    assert "alpaca" in out
    assert "instruction=instruction" in out and "output=output" in out
    assert "content_sha256" in out
    assert "Explain topic 0." in out


def test_bad_file_exits_1_naming_file_and_line(tmp_path, capsys):
    lines = [json.dumps(r) for r in ROWS]
    lines[4] = '{"instruction": "broken", '
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", "utf-8")
    assert main(["info", str(bad), "--json", "--project", str(tmp_path / "p.sqlite")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{bad}, line 5" in captured.err
    assert "invalid JSON" in captured.err and "--skip-bad-lines" in captured.err
    assert "Traceback" not in captured.err


def test_bad_file_through_python_m(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": \n', "utf-8")
    env = dict(os.environ, INSPECTOR_HOME=str(tmp_path / "home"))
    proc = subprocess.run(
        [sys.executable, "-m", "inspector", "info", str(bad)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert f"{bad}, line 2" in proc.stderr and "Traceback" not in proc.stderr


def test_skip_bad_lines_reports_the_count(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a"}\nnope\n{"text": "b"}\nnever\n', "utf-8")
    info = info_json(capsys, str(bad), "--skip-bad-lines", "--project", str(tmp_path / "p.sqlite"))
    assert info["rows"] == 2 and info["skipped_records"] == 2


def test_several_bad_lines_are_listed(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a"}\nnope\n{"text": "b"}\nnever\n', "utf-8")
    assert main(["info", str(bad), "--project", str(tmp_path / "p.sqlite")]) == 1
    err = capsys.readouterr().err
    assert "2 bad records" in err
    assert f"{bad}, line 2" in err and f"{bad}, line 4" in err


@pytest.mark.parametrize(
    ("kind", "message"),
    [("missing", "file not found"), ("empty", "empty"), ("folder", "no data files")],
)
def test_other_bad_input_exits_1(tmp_path, capsys, kind, message):
    path = tmp_path / ("nothing" if kind == "folder" else f"{kind}.jsonl")
    if kind == "empty":
        path.write_text("")
    elif kind == "folder":
        path.mkdir()
    assert main(["info", str(path), "--project", str(tmp_path / "p.sqlite")]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and message in err


def test_format_and_field_overrides(tmp_path, capsys):
    data = write_jsonl(tmp_path / "qa.jsonl", [{"text": "t", "q": "Why?", "a": "Because."}] * 3)
    project = str(tmp_path / "p.sqlite")
    info = info_json(
        capsys, str(data), "--format", "prompt_completion",
        "--field", "prompt=q", "--field", "completion=a", "--project", project,
    )  # fmt: skip
    assert info["format"] == "prompt_completion"
    assert info["fields"] == {"prompt": "q", "completion": "a"}
    assert info["samples"][0]["text"].startswith("[prompt]\nWhy?")
    # remembered for this dataset: the next run without options uses it
    assert info_json(capsys, str(data), "--project", project)["fields"] == info["fields"]


def test_bad_field_override_exits_1(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": "t"}])
    code = main(["info", str(data), "--field", "text=nope", "--project", str(tmp_path / "p")])
    assert code == 1
    assert "no column 'nope'" in capsys.readouterr().err
    assert main(["info", str(data), "--field", "oops", "--project", str(tmp_path / "p")]) == 1
    assert "expected ROLE=COLUMN" in capsys.readouterr().err


def test_id_column_with_repeats_exits_1(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [{"key": "same", "text": f"t{i}"} for i in range(3)])
    code = main(["info", str(data), "--id-column", "key", "--project", str(tmp_path / "p")])
    assert code == 1
    err = capsys.readouterr().err
    assert "field 'key'" in err and "2 repeated values" in err


def test_id_column_option(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", [{"key": f"k{i}", "text": "t"} for i in range(3)])
    info = info_json(capsys, str(data), "--id-column", "key", "--project", str(tmp_path / "p"))
    assert info["id_rule"] == "column:key"
    assert [s["id"] for s in info["samples"]] == ["k0", "k1", "k2"]


def test_split_option(tmp_path, capsys):
    folder = tmp_path / "dd"
    (folder).mkdir()
    (folder / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    for split, n in (("train", 4), ("test", 2)):
        table = pa.table({"text": [f"{split} {i}" for i in range(n)]})
        (folder / split).mkdir()
        with ipc.new_stream(str(folder / split / "data-00000-of-00001.arrow"), table.schema) as w:
            w.write_table(table)
        (folder / split / "state.json").write_text(
            json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]})
        )
    info = info_json(capsys, str(folder), "--split", "test", "--project", str(tmp_path / "p"))
    assert info["rows"] == 2 and info["split"] == "test"
    assert info["splits"] == ["train", "test"]
    assert info["samples"][0]["text"] == "[text]\ntest 0"


def test_project_option_naming_a_data_file_exits_1(tmp_path, data, capsys):
    before = data.read_bytes()
    assert main(["info", str(data), "--project", str(data)]) == 1
    err = capsys.readouterr().err
    assert f"{data}: not a project database" in err and "Traceback" not in err
    assert data.read_bytes() == before


def test_project_option_creates_the_store_there(tmp_path, data, capsys):
    store = tmp_path / "projects" / "mine.sqlite"
    info = info_json(capsys, str(data), "--project", str(store))
    assert store.is_file() and info["project"] == str(store)


def test_fewer_rows_than_samples(tmp_path, capsys):
    data = write_jsonl(tmp_path / "one.jsonl", [{"text": "only"}])
    info = info_json(capsys, str(data), "--project", str(tmp_path / "p"))
    assert [s["text"] for s in info["samples"]] == ["[text]\nonly"]
