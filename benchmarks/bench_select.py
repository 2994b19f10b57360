"""Benchmark the subset builder (``inspector select``) and print JSON.

    python3 benchmarks/bench_select.py [--rows 1000000] [--only coverage,million]

- coverage at N = 1%, 5%, 10% of the same vectors: ours (``--by diversity``: cluster quotas,
  then facility-location picks within cells) against random sampling (mean of 5 seeds) and against semhash's
  representative selection (``self_find_representative``: centrality ranking then MMR), as
  the mean cosine distance from every row to its nearest selected row (lower is better) and
  the clusters with at least one selected row. Vectors: AlpacaEval answers embedded with
  Inspector's default model, and the same answers grown to ~32k varied copies
  (``bench_junk.varied_answers``); clusters: k-means cells of the vectors (the strata the
  command uses when there is no map).
- time at 1M rows on synthetic vectors (256 dims, 2,000 Gaussian topics of varied size; the
  embeddings are taken as existing), N = 1%, 5%, 10%; target <= 60 s.

semhash is this benchmark's own dependency (``pip install semhash``). Results go to
benchmarks/results/bench_select.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
SAMPLE = Path(
    os.environ.get("INSPECTOR_SAMPLE", ROOT.parent / "shared/data/alpaca_eval_sample.jsonl")
)
OUT = ROOT / "benchmarks/results/bench_select.json"
FRACTIONS = (0.01, 0.05, 0.10)


def _coverage(v: np.ndarray, strata: np.ndarray, rows: np.ndarray) -> dict[str, Any]:
    from inspector.core.select.diversity import nearest_selected_distance

    d = nearest_selected_distance(v, rows)
    return {
        "mean_nearest_selected_distance": round(float(np.mean(d)), 4),
        "clusters_covered": int(len(np.unique(strata[rows]))),
    }


def _semhash_rows(v: np.ndarray, n: int) -> tuple[np.ndarray, float]:
    from model2vec import StaticModel
    from semhash import SemHash

    from inspector.core.map.models import default_model_dir

    model = StaticModel.from_pretrained(str(default_model_dir()))
    records = [str(i) for i in range(len(v))]
    t0 = time.perf_counter()
    sh = SemHash.from_embeddings(v, records, model=model)
    picked = sh.self_find_representative(selection_size=n)
    seconds = time.perf_counter() - t0
    return np.array(sorted(int(r) for r in picked.selected)), seconds


def coverage_on(v: np.ndarray, name: str, semhash: bool = True) -> dict[str, Any]:
    from inspector.core.select.diversity import kmeans_cells, select_diverse, unit

    v = unit(v)
    n_rows = len(v)
    k = int(max(1, min(256, round(math.sqrt(n_rows / 10)))))
    strata = kmeans_cells(v, k, 0)
    ones = np.ones(n_rows, np.float32)
    everyone = np.ones(n_rows, bool)
    out: dict[str, Any] = {"rows": n_rows, "dims": v.shape[1], "clusters": k, "at": {}}
    for frac in FRACTIONS:
        n = max(1, round(frac * n_rows))
        t0 = time.perf_counter()
        ours = select_diverse(v, strata, ones, everyone, n, seed=0)
        t_ours = time.perf_counter() - t0
        rng = np.random.default_rng(0)
        randoms = [_coverage(v, strata, np.sort(rng.choice(n_rows, n, False))) for _ in range(5)]
        entry: dict[str, Any] = {
            "n": n,
            "inspector": {**_coverage(v, strata, ours), "seconds": round(t_ours, 2)},
            "random_mean_of_5": {
                "mean_nearest_selected_distance": round(
                    float(np.mean([r["mean_nearest_selected_distance"] for r in randoms])), 4
                ),
                "clusters_covered": round(
                    float(np.mean([r["clusters_covered"] for r in randoms])), 1
                ),
            },
        }
        if semhash:
            try:
                rows, seconds = _semhash_rows(v, n)
                entry["semhash_representative"] = {
                    **_coverage(v, strata, rows),
                    "seconds": round(seconds, 2),
                    "selected": int(len(rows)),
                }
            except ImportError as exc:
                entry["semhash_representative"] = f"not run: {exc}"
        out["at"][f"{int(frac * 100)}%"] = entry
    return {name: out}


def sample_vectors(rows: int | None = None) -> np.ndarray:
    from inspector.core.map.embed import embed_texts

    frame = pl.read_ndjson(SAMPLE)
    if rows:
        from bench_junk import varied_answers

        frame = varied_answers(frame, rows)
    return embed_texts(frame.get_column("output").to_list(), "default")


def synthetic(rows: int, dims: int = 256, topics: int = 2000, seed: int = 0) -> np.ndarray:
    """Unit vectors around ``topics`` random centres with Zipf-like topic sizes."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(topics, dims)).astype(np.float32)
    sizes = 1.0 / np.arange(1, topics + 1) ** 0.8
    topic = rng.choice(topics, size=rows, p=sizes / sizes.sum())
    v = centres[topic] + rng.normal(scale=0.6, size=(rows, dims)).astype(np.float32)
    return v.astype(np.float32)


def bench_million(rows: int) -> dict[str, Any]:
    from inspector.core.select.diversity import (
        kmeans_cells,
        nearest_selected_distance,
        select_diverse,
        unit,
    )

    t0 = time.perf_counter()
    v = unit(synthetic(rows))
    out: dict[str, Any] = {
        "rows": rows,
        "dims": v.shape[1],
        "what": "synthetic vectors (2,000 topics, Zipf sizes); embeddings taken as existing",
        "build_seconds": round(time.perf_counter() - t0, 1),
        "at": {},
        "target_seconds": 60,
    }
    t0 = time.perf_counter()
    strata = kmeans_cells(v, 256, 0)  # as the command without a map: k-means cells
    out["strata_seconds"] = round(time.perf_counter() - t0, 1)
    w = np.random.default_rng(1).uniform(0.2, 1.0, rows).astype(np.float32)
    everyone = np.ones(rows, bool)
    probe = np.sort(np.random.default_rng(2).choice(rows, 5000, replace=False))
    for frac in FRACTIONS:
        n = round(frac * rows)
        t0 = time.perf_counter()
        wall0, cpu0 = t0, time.process_time()
        picked = select_diverse(v, strata, w, everyone, n, seed=0)
        t_pick = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        t0 = time.perf_counter()
        d = nearest_selected_distance(v, picked, probe)
        t_cov = time.perf_counter() - t0
        out["at"][f"{int(frac * 100)}%"] = {
            "n": n,
            "selected": int(len(picked)),
            "seconds_select": round(t_pick, 1),
            "cpu_seconds_select": round(cpu, 1),
            "seconds_coverage_on_5000_rows": round(t_cov, 1),
            "mean_nearest_selected_distance_5000_rows": round(float(np.mean(d)), 4),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", default="coverage,million")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    only = set(args.only.split(","))
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "sample": SAMPLE.name,
    }
    if "coverage" in only:
        report["coverage"] = {
            **coverage_on(sample_vectors(), "alpaca_eval_answers"),
            **coverage_on(sample_vectors(32_192), "answers_varied_32k"),
            "semhash": "semhash 0.5 self_find_representative(selection_size=N): records "
            "ranked by mean similarity, then MMR (diversity 0.5) on the top candidates",
        }
    if "million" in only:
        report["million_rows"] = bench_million(args.rows)
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:  # parts not run this time keep their last figures
        previous = json.loads(args.out.read_text()) if args.out.is_file() else {}
        runs = previous.get("runs", [])
        runs.append({"parts": args.only, **report["machine"]})
        previous.update(report)
        previous["runs"] = runs
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(previous, indent=2) + "\n")


if __name__ == "__main__":
    main()
