"""`inspector analyze` run as a process ends without the interpreter's teardown
(cli.exit_at_once): its exit code, its printed summary, its files and the atexit handlers are
all still there; called in-process (``main([...])``) it returns as before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import builders  # tests/builders.py: the planted rows
import polars as pl

from inspector.cli import main

ENTRY = """
import atexit, sys
marker = sys.argv[1]
atexit.register(lambda: open(marker, "w").write("atexit ran"))
sys.argv = ["inspector", *sys.argv[2:]]


class Teardown:
    def __del__(self):  # runs when the interpreter tears its modules down
        sys.stdout.write("torn down")


keep = Teardown()
from inspector.cli import main
raise SystemExit(main())  # as the console script calls it: no argv
"""


def run_entry(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    marker = tmp_path / "marker.txt"
    script = tmp_path / "entry.py"
    script.write_text(ENTRY, "utf-8")
    env = {**os.environ, "INSPECTOR_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, str(script), str(marker), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done, marker


def test_the_process_ends_with_its_files_output_and_atexit_handlers(tmp_path):
    data = builders.write_jsonl(tmp_path / "train.jsonl", builders.planted_rows())
    out = tmp_path / "out"
    done, marker = run_entry(
        tmp_path,
        "analyze", str(data), "--project", str(tmp_path / "p.sqlite"), "--out", str(out),
        "--vectors", "vec", "--only", "duplicates",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "exact_duplicate" in done.stdout and "run.json" in done.stdout  # flushed
    assert "torn down" not in done.stdout  # the process ended before its teardown
    assert marker.read_text() == "atexit ran"
    reasons = dict(pl.read_parquet(out / "proposed_filter.parquet").select("id", "reason").rows())
    assert reasons["s30"] == "exact_duplicate"


def test_a_failing_run_keeps_its_exit_code_and_message(tmp_path):
    data = builders.write_jsonl(tmp_path / "train.jsonl", builders.planted_rows())
    done, marker = run_entry(
        tmp_path,
        "analyze", str(data), "--project", str(tmp_path / "p.sqlite"),
        "--out", str(tmp_path / "out"), "--only", "duplicates,junk",
    )  # fmt: skip
    assert done.returncode not in (0, None)
    assert "junk" in done.stderr
    assert marker.read_text() == "atexit ran"


def test_called_in_process_it_returns(tmp_path):
    data = builders.write_jsonl(tmp_path / "train.jsonl", builders.planted_rows())
    args = ["analyze", str(data), "--project", str(tmp_path / "p.sqlite")]
    code = main([*args, "--out", str(tmp_path / "out"), "--vectors", "vec", "--only", "quality"])
    assert code == 0  # this test is still running: nothing ended the process
