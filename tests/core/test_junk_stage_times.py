"""The seconds per stage that `inspector analyze` prints and writes to run.json: the exact
keys (and the compiled kernels they load first) count under the exact duplicates, not under
whatever stage ran before them (the embedding)."""

from __future__ import annotations

import polars as pl

from inspector.core.jobs import Progress, StageClock
from inspector.core.junk import duplicates
from inspector.core.junk.junk import analyze_junk


def test_the_exact_keys_count_under_the_exact_duplicates(monkeypatch):
    clock = StageClock(Progress())
    clock.status("embedding")
    seen = []
    real = duplicates.exact_keys

    def recording(*a, **k):
        seen.append(clock._current)
        return real(*a, **k)

    monkeypatch.setattr(duplicates, "exact_keys", recording)
    frame = pl.DataFrame({"id": ["a", "b", "c"], "response": ["one two", "one two", "three"]})
    result = analyze_junk(frame, id_col="id", response_col="response", progress=clock)
    assert seen[0] == "exact duplicates"
    assert result.table["dup_kind"].to_list()[1] == "exact_duplicate"
    assert "exact duplicates" in clock.stop()


def test_without_the_exact_finder_the_keys_count_under_the_quality_rules(monkeypatch):
    clock = StageClock(Progress())
    clock.status("embedding")
    seen = []
    real = duplicates.exact_keys

    def recording(*a, **k):
        seen.append(clock._current)
        return real(*a, **k)

    monkeypatch.setattr(duplicates, "exact_keys", recording)
    frame = pl.DataFrame({"id": ["a", "b"], "response": ["one two", "three"]})
    analyze_junk(frame, id_col="id", response_col="response", exact=False, progress=clock)
    assert seen[0] == "quality rules"
