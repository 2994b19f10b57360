"""``inspector analyze --engine ray`` against the local engine on the same small set: the
same ids and exact groups, the same rule flags on >= 99% of rows, MinHash groups with pair
F1 >= 0.95. Skipped when ray is not installed (``pip install -e ".[ray]"``)."""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

ray = pytest.importorskip("ray", reason='needs ray: pip install -e ".[ray]"')


def _write_set(folder: Path, seed: int = 7) -> None:
    """Two JSONL shards: distinct rows, exact copies, near copies (a word changed or added)."""
    rng = random.Random(seed)
    vocab = [
        "".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(2, 9)))
        for _ in range(3000)
    ]

    def text(lo: int, hi: int) -> str:
        return " ".join(rng.choice(vocab) for _ in range(rng.randint(lo, hi)))

    rows = [{"instruction": text(6, 30), "output": text(20, 80)} for _ in range(900)]
    for _ in range(120):
        rows.append(dict(rng.choice(rows[:900])))
    for _ in range(120):
        r = dict(rng.choice(rows[:900]))
        words = r["output"].split()
        words[rng.randrange(len(words))] = rng.choice(vocab)
        r["output"] = " ".join(words)
        rows.append(r)
    rows.append({"instruction": "", "output": ""})
    rng.shuffle(rows)
    folder.mkdir()
    for name, part in (("a.jsonl", rows[:600]), ("b.jsonl", rows[600:])):
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in part), "utf-8")


def _analyze(data: Path, out: Path, *extra: str) -> None:
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    done = subprocess.run(
        [sys.executable, "-m", "inspector", "analyze", str(data), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def _group_pairs(table: pl.DataFrame, kind: str) -> set[tuple[str, str]]:
    """Pairs of ids joined by the finder ``kind``: each row it removed with its match."""
    removed = table.filter(pl.col("dup_removed") & (pl.col("dup_kind") == kind))
    groups = removed.group_by("dup_group").agg(pl.col("id"), pl.col("dup_representative").first())
    out: set[tuple[str, str]] = set()
    for ids, rep in zip(groups["id"].to_list(), groups["dup_representative"].to_list()):
        members = sorted({*ids, rep})
        out |= set(itertools.combinations(members, 2))
    return out


def _f1(expected: set, got: set) -> float:
    if not expected and not got:
        return 1.0
    tp = len(expected & got)
    precision, recall = tp / max(len(got), 1), tp / max(len(expected), 1)
    return 0.0 if tp == 0 else 2 * precision * recall / (precision + recall)


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[pl.DataFrame, pl.DataFrame, Path]:
    root = tmp_path_factory.mktemp("scale")
    data = root / "data"
    _write_set(data)
    _analyze(data, root / "local", "--project", str(root / "project.db"))
    _analyze(data, root / "ray", "--engine", "ray", "--ray-cpus", "2")
    local = pl.read_parquet(root / "local" / "analysis.parquet")
    remote = pl.read_parquet(root / "ray" / "analysis.parquet")
    return local, remote, root


def test_the_ray_engine_writes_the_local_engines_columns_for_the_same_rows(both) -> None:
    local, remote, root = both
    assert remote.columns == local.columns
    assert remote["id"].to_list() == local["id"].to_list()  # same content-hash ids, same order
    assert remote.select("source_file", "row_index").equals(
        local.select("source_file", "row_index")
    )
    run = json.loads((root / "ray" / "run.json").read_text())
    assert run["engine"] == "ray" and run["rows"] == local.height
    assert set(run["seconds_per_stage"]) >= {"read", "neighbours", "minhash", "map", "write"}
    manifest = json.loads((root / "ray" / "manifest.json").read_text())
    local_manifest = json.loads((root / "local" / "manifest.json").read_text())
    assert manifest["dataset"]["fingerprint"] == local_manifest["dataset"]["fingerprint"]
    assert not list(root.glob(".ray.inspector-tmp-*"))  # the temp folder was renamed away


def test_the_exact_groups_are_the_same(both) -> None:
    local, remote, _ = both
    exact = "exact_duplicate"
    pick = ["id", "dup_matched"]
    lx = local.filter(pl.col("dup_removed") & (pl.col("dup_kind") == exact)).select(pick)
    rx = remote.filter(pl.col("dup_removed") & (pl.col("dup_kind") == exact)).select(pick)
    assert lx.height > 50
    assert sorted(rx.rows()) == sorted(lx.rows())


def test_the_rule_flags_agree_on_99_percent_of_rows(both) -> None:
    local, remote, _ = both
    flags = [c for c in local.columns if c.endswith(".flag")]
    assert flags
    for flag in flags:
        same = (local[flag] == remote[flag]).mean()
        assert same >= 0.99, f"{flag}: {same:.3f}"


def test_minhash_groups_have_pair_f1_of_at_least_095(both) -> None:
    local, remote, _ = both
    expected = _group_pairs(local, "minhash_duplicate")
    assert len(expected) > 20
    assert _f1(expected, _group_pairs(remote, "minhash_duplicate")) >= 0.95


def test_the_filter_proposes_the_same_removals(both) -> None:
    _, _, root = both
    local = pl.read_parquet(root / "local" / "proposed_filter.parquet")
    remote = pl.read_parquet(root / "ray" / "proposed_filter.parquet")
    assert remote.columns == local.columns
    exact = "exact_duplicate"
    assert sorted(remote.filter(pl.col("reason") == exact)["id"].to_list()) == sorted(
        local.filter(pl.col("reason") == exact)["id"].to_list()
    )


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_ctrl_c_stops_the_run_and_leaves_no_output(tmp_path, signum) -> None:
    """SIGINT (Ctrl+C) or SIGTERM (``kill``) once the MinHash stage has started: the command
    stops with an error and neither ``--out`` nor its temp folder is left."""
    import signal
    import time

    data = tmp_path / "data"
    _write_set(data)
    out = tmp_path / "ray"
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "inspector", "analyze", str(data), "--out", str(out)]
    proc = subprocess.Popen(
        [*cmd, "--engine", "ray", "--ray-cpus", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("[minhash]") or time.monotonic() > deadline:
            break
    assert any(line.startswith("[minhash]") for line in seen), "".join(seen)[-2000:]
    proc.send_signal(getattr(signal, signum))
    rest, _ = proc.communicate(timeout=300)
    assert proc.returncode != 0, "".join(seen)[-1000:] + rest[-2000:]
    assert not out.exists()
    assert not list(tmp_path.glob(".ray.inspector-tmp-*"))
