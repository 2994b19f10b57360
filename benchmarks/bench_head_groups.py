"""The Ray engine's head-side group steps (``scale.resolve.Survivors``) on N synthetic rows:
seconds and peak memory of each, with no Ray and no data files.

    python benchmarks/bench_head_groups.py [--rows 10000000]

The steps and their inputs, shaped like the 10M benchmark set (most rows near copies):
exact groups over 128-bit keys (10% of rows repeat a key), MinHash groups from one pair a
grouped row (97% of the rows left in groups of ~500), semantic groups from one random pair a
row, then the output columns. The peak of each step is the process's high-water mark, reset
before the step (``/proc/self/clear_refs``), so it includes what earlier steps left. Results
go to ``benchmarks/results/bench_head_groups.json`` (keyed by rows), with the load average and
a digest of the columns (the same input gives the same digest in any process).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import polars as pl

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "bench_head_groups.json"


def memory_mb() -> dict[str, float]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, value = line.split(":", 1)
            if key in ("VmRSS", "VmHWM", "RssAnon"):
                out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def star_pairs(m: int, rng: np.random.Generator) -> pl.DataFrame:
    """One pair (first member, member) a grouped row: 97% of ``m`` rows in groups of ~500."""
    group = rng.integers(0, max(1, int(m * 0.97 / 500)), m)
    rows = np.flatnonzero(rng.random(m) < 0.97)
    order = rows[np.argsort(group[rows], kind="stable")]
    g = group[order]
    first = np.r_[True, g[1:] != g[:-1]]
    head = order[first][np.cumsum(first) - 1]
    a, b = np.minimum(head, order), np.maximum(head, order)
    keep = a != b
    return pl.DataFrame(
        {
            "a": a[keep].astype(np.int64),
            "b": b[keep].astype(np.int64),
            "similarity": np.ones(int(keep.sum()), np.float32),
        }
    )


def run(n: int) -> dict:
    from inspector.core.scale import resolve

    rng = np.random.default_rng(0)
    keys = rng.integers(0, int(n * 0.9), n).astype(np.uint64)
    h1 = keys * np.uint64(0x9E3779B97F4A7C15)
    h2 = keys * np.uint64(0xC2B2AE3D27D4EB4F)
    nonempty = rng.random(n) > 0.001
    length = rng.integers(10, 5000, n)
    n_flags = rng.integers(0, 3, n).astype(np.int32)
    out: dict = {"rows": n, "inputs_mb": memory_mb()}

    def step(name: str, fn) -> None:
        reset_peak()
        t = time.perf_counter()
        fn()
        out[name] = {"seconds": round(time.perf_counter() - t, 2), **memory_mb()}

    survivors = resolve.Survivors(resolve.keep_priority("best", length, n_flags))
    step("exact", lambda: survivors.exact(h1, h2, nonempty))
    alive = survivors.alive()
    pairs = star_pairs(len(alive), rng)
    out["minhash_pairs"] = pairs.height
    step(
        "minhash",
        lambda: survivors.minhash(alive, pairs, lambda r, _reps: np.full(len(r), 0.9, np.float32)),
    )
    a, b = rng.integers(0, n, n), rng.integers(0, n, n)
    sim = rng.random(n).astype(np.float32)
    step("semantic", lambda: survivors.semantic(a, b, sim))
    cols: dict = {}
    step("columns", lambda: cols.update(survivors.columns()))
    digest = hashlib.sha256()
    for key in sorted(cols):
        digest.update(np.ascontiguousarray(cols[key]).tobytes())
    out["digest"] = digest.hexdigest()[:16]
    out["removed"] = int(cols["removed"].sum())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    args = ap.parse_args()
    before = list(os.getloadavg())
    figures = run(args.rows)
    figures["load_before"] = [round(x, 2) for x in before]
    figures["load_after"] = [round(x, 2) for x in os.getloadavg()]
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    results[str(args.rows)] = figures
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
