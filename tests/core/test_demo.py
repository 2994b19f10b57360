"""The built-in demo: ``inspector demo --no-window`` writes the same bytes every time, and
the data holds what the demo is for (planted exact duplicates and junk answers, checked by
content, across several topics)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from inspector.cli import main
from inspector.core.data import demo
from inspector.core.data.dataset import open_dataset

CONTENT = ("instruction", "input", "output")


def run_demo(home: Path, monkeypatch, capsys) -> Path:
    monkeypatch.setenv("INSPECTOR_HOME", str(home))
    assert main(["demo", "--no-window"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.is_file() and path.is_relative_to(home)
    return path


@pytest.fixture
def demo_rows(tmp_path, monkeypatch, capsys) -> list[dict]:
    path = run_demo(tmp_path / "home", monkeypatch, capsys)
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_demo_is_deterministic(tmp_path, monkeypatch, capsys):
    first = run_demo(tmp_path / "one", monkeypatch, capsys)
    second = run_demo(tmp_path / "two", monkeypatch, capsys)
    assert first.read_bytes() == second.read_bytes()
    assert first.stat().st_size > 100_000


def test_demo_is_written_once(tmp_path, monkeypatch, capsys):
    path = run_demo(tmp_path / "home", monkeypatch, capsys)
    stamp = path.stat().st_mtime_ns
    assert run_demo(tmp_path / "home", monkeypatch, capsys) == path
    assert path.stat().st_mtime_ns == stamp


def test_demo_has_a_few_thousand_rows_across_topics(demo_rows):
    assert 2000 <= len(demo_rows) <= 10_000
    topics = Counter(r["topic"] for r in demo_rows)
    assert len(topics) >= 5
    assert min(topics.values()) > 100
    assert len({r["id"] for r in demo_rows}) == len(demo_rows)  # ids stay unique


def test_demo_has_planted_exact_duplicates(demo_rows):
    copies = Counter(tuple(r[k] for k in CONTENT) for r in demo_rows)
    repeated = {content: n for content, n in copies.items() if n > 1}
    assert sum(n - 1 for n in repeated.values()) >= 50
    # real duplicates: a substantive answer, not two blank junk answers that happen to match
    assert any(len(content[2]) > 80 for content in repeated)


def test_demo_has_junk_answers(demo_rows):
    junk = [
        r
        for r in demo_rows
        if not r["output"].strip()
        or r["output"] == r["instruction"]
        or "As an AI language model" in r["output"]
        or "I cannot fulfill" in r["output"]
        or len(r["output"].split()) <= 2
    ]
    assert len(junk) >= 50
    assert any(not r["output"].strip() for r in junk)
    assert any(r["output"] == r["instruction"] for r in junk)


def test_demo_has_near_duplicates(demo_rows):
    """A near duplicate differs from its original by a word or a punctuation mark."""

    def loose(text: str) -> str:
        return re.sub(r"\band\b|[&.!?]", "", text)

    groups: dict[str, set[str]] = {}
    for r in demo_rows:
        groups.setdefault(loose(r["output"]), set()).add(r["output"])
    near = [outputs for key, outputs in groups.items() if len(outputs) > 1 and len(key) > 80]
    assert len(near) >= 20


def test_demo_rows_are_the_same_for_the_same_seed():
    assert demo.make_demo_rows(200, seed=3) == demo.make_demo_rows(200, seed=3)
    assert demo.make_demo_rows(200, seed=3) != demo.make_demo_rows(200, seed=4)


def test_demo_opens_as_alpaca(tmp_path, monkeypatch, capsys):
    path = run_demo(tmp_path / "home", monkeypatch, capsys)
    ds = open_dataset(path)
    assert ds.spec.kind == "alpaca"
    assert ds.id_rule == "column:id"
    assert ds.height == len(path.read_text("utf-8").splitlines())
    # the planted copies share a content hash: that is what the duplicate finder keys on
    hashes = ds.frame.select(*CONTENT).hash_rows()
    assert hashes.n_unique() < ds.height
