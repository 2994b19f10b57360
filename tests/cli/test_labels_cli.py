"""The label commands on small files: label, export, apply, import-filter — through
``inspector.cli.main`` and once through ``python3 -m inspector``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from inspector.cli import main
from inspector.core.export import filterfile
from inspector.core.labels.labelbook import LabelBook
from inspector.core.project import open_project

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def data(tmp_path) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": f"s{i}", "prompt": f"p{i}", "response": f"r{i}"}) + "\n"
            for i in range(10)
        )
    )
    return path


def project_args(tmp_path: Path) -> list[str]:
    return ["--project", str(tmp_path / "project.sqlite")]


def ids_file(tmp_path: Path, ids: list[str], name: str = "ids.txt") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(ids) + "\n")
    return path


def store_state(tmp_path: Path, data: Path):
    pr = open_project(data, project_path=tmp_path / "project.sqlite")
    return pr, LabelBook(pr.store, pr.dataset)


def test_label_export_apply(tmp_path, data, capsys):
    p = project_args(tmp_path)
    ids = ids_file(tmp_path, ["s1", "s2", "nope"])
    assert (
        main(
            [
                "label",
                str(data),
                *p,
                "--ids-file",
                str(ids),
                "--decision",
                "drop",
                "--tag",
                "unsafe",
                "--reason",
                "blocklist",
                "--annotator",
                "ci",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "drop 2 rows: 2 rows changed" in out and "ids not in the data: 1" in out
    assert (
        main(
            [
                "label",
                str(data),
                *p,
                "--ids-file",
                str(ids_file(tmp_path, ["s3"], "k.txt")),
                "--decision",
                "keep",
            ]
        )
        == 0
    )

    pr, book = store_state(tmp_path, data)
    try:
        s1 = book.state("s1")
        assert (s1.decision, s1.tags, s1.state.reason, s1.state.annotator) == (
            "drop",
            ("unsafe",),
            "blocklist",
            "ci",
        )
        assert len(book.history()) == 2  # one command per `label` call
    finally:
        pr.close()

    filt = tmp_path / "filter" / "filter.parquet"
    assert main(["export", str(data), *p, "--out", str(filt)]) == 0
    out = capsys.readouterr().out
    assert "3 rows" in out and "remove 2" in out and "keep 1" in out
    assert (tmp_path / "filter" / "manifest.json").is_file()
    assert pl.read_parquet(filt).height == 3

    clean = tmp_path / "clean.jsonl"
    assert main(["apply", str(data), *p, "--filter", str(filt), "--out", str(clean)]) == 0
    out = capsys.readouterr().out
    assert "rows in:  10" in out and "removed:   2" in out and "written:   8" in out
    kept = [json.loads(x)["id"] for x in clean.read_text().splitlines()]
    assert kept == [f"s{i}" for i in range(10) if i not in (1, 2)]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "ids"])
def test_export_formats_and_proposals(tmp_path, data, capsys, fmt):
    p = project_args(tmp_path)
    main(
        [
            "label",
            str(data),
            *p,
            "--ids-file",
            str(ids_file(tmp_path, ["s0"])),
            "--decision",
            "drop",
        ]
    )
    pr = open_project(data, project_path=tmp_path / "project.sqlite")
    try:
        filterfile.save_proposals(
            pr.store,
            pl.DataFrame(
                {"id": ["s0", "s5"], "action": ["keep", "remove"], "reason": ["x", "empty"]}
            ),
            source="quality",
        )
        pr.store.set("manifest.thresholds", {"min_chars": 3})
    finally:
        pr.close()
    out = tmp_path / "f" / f"filter.{fmt}"
    assert (
        main(["export", str(data), *p, "--out", str(out), "--format", fmt, "--include-proposals"])
        == 0
    )
    manifest = json.loads((tmp_path / "f" / "manifest.json").read_text())
    assert manifest["format"] == fmt and manifest["thresholds"] == {"min_chars": 3}
    assert manifest["counts"]["by_action"]["remove"] == 2
    if fmt == "ids":
        assert out.read_text() == "s0\ns5\n"
    else:
        frame = filterfile.read_filter(out).frame
        assert dict(zip(frame["id"], frame["action"])) == {"s0": "remove", "s5": "remove"}


def test_import_filter_as_decisions_and_proposals(tmp_path, data, capsys):
    p = project_args(tmp_path)
    nemo = tmp_path / "nemo.parquet"
    pl.DataFrame({"id": ["s4", "s6", "zz"]}).write_parquet(nemo)
    assert main(["import-filter", str(data), *p, str(nemo), "--as", "proposals"]) == 0
    assert "stored 2 proposals" in capsys.readouterr().out
    assert (
        main(["import-filter", str(data), *p, str(ids_file(tmp_path, ["s7"])), "--reason", "legal"])
        == 0
    )
    out = capsys.readouterr().out
    assert "1 in the data" in out and "drop 1" in out
    pr, book = store_state(tmp_path, data)
    try:
        assert book.state("s7").state.reason == "legal"
        assert book.state("s4") is None
        assert sorted(filterfile.load_proposals(pr.store)["id"].to_list()) == ["s4", "s6"]
    finally:
        pr.close()
    # nothing matches: a clear failure
    assert main(["import-filter", str(data), *p, str(ids_file(tmp_path, ["x"], "x.txt"))]) == 1


def test_apply_refuses_changed_data_with_a_clear_message(tmp_path, data, capsys):
    p = project_args(tmp_path)
    main(
        [
            "label",
            str(data),
            *p,
            "--ids-file",
            str(ids_file(tmp_path, ["s0"])),
            "--decision",
            "drop",
        ]
    )
    filt = tmp_path / "f" / "filter.parquet"
    main(["export", str(data), *p, "--out", str(filt)])
    with open(data, "a") as fh:
        fh.write(json.dumps({"id": "s10", "prompt": "p", "response": "r"}) + "\n")
    capsys.readouterr()
    assert main(["apply", str(data), *p, "--filter", str(filt), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "data changed" in err and "train.jsonl" in err and "--match-by-id" in err
    assert not (tmp_path / "o").exists()
    assert (
        main(
            [
                "apply",
                str(data),
                *p,
                "--filter",
                str(filt),
                "--out",
                str(tmp_path / "o"),
                "--match-by-id",
            ]
        )
        == 0
    )
    assert "written:  10" in capsys.readouterr().out


def test_label_needs_something_to_do(tmp_path, data, capsys):
    ids = ids_file(tmp_path, ["s1"])
    assert main(["label", str(data), *project_args(tmp_path), "--ids-file", str(ids)]) == 1
    assert "--decision" in capsys.readouterr().err
    assert (
        main(
            [
                "label",
                str(data),
                *project_args(tmp_path),
                "--ids-file",
                str(ids_file(tmp_path, ["x", "y"], "xy.txt")),
                "--decision",
                "drop",
            ]
        )
        == 1
    )
    assert "none of the 2 ids" in capsys.readouterr().err


def test_python_m_inspector_subprocess(tmp_path, data):
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = project_args(tmp_path)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "inspector", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=300,
        )

    ids = ids_file(tmp_path, ["s2", "s3"])
    r = run("label", str(data), *p, "--ids-file", str(ids), "--decision", "drop")
    assert r.returncode == 0, r.stderr
    r = run("export", str(data), *p, "--out", str(tmp_path / "f" / "removed.txt"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "f" / "removed.txt").read_text() == "s2\ns3\n"
    r = run(
        "apply",
        str(data),
        *p,
        "--filter",
        str(tmp_path / "f" / "removed.txt"),
        "--out",
        str(tmp_path / "out"),
    )
    assert r.returncode == 0, r.stderr
    assert "removed:   2" in r.stdout and "written:   8" in r.stdout
    assert len((tmp_path / "out" / "train.jsonl").read_text().splitlines()) == 8
