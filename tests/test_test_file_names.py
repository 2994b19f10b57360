"""Test files are imported by their basename (no __init__.py under tests/): two files of one
name in different folders stop the whole run's collection, so each name is used once."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def test_every_test_file_name_is_used_once() -> None:
    names = Counter(p.name for p in Path(__file__).parent.rglob("test_*.py"))
    assert [n for n, c in names.items() if c > 1] == []
