"""Do ``inspector analyze`` and ``inspector analyze --engine ray`` agree on a set large enough
to have several semantic partitions?

    python benchmarks/bench_agreement.py [--rows 60000] [--keep DIR]

Makes the benchmark set of ``bench_scale`` (rows from the shared sample with numbered
variations, exact and near copies), runs both engines on it (cold homes, the prepared models
copied in) and compares their ``analysis.parquet`` row by row: the same ids in the same
order, the exact groups (the same rows removed for the same matches), every rule flag's
agreement, the outlier flag's, the MinHash groups' pair F1, and the rows each finder groups.
Results go to ``benchmarks/results/bench_agreement.json`` (keyed by rows), with the load.
The CI test on a small set is ``tests/scale/test_ray_engine.py``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import bench_scale
import polars as pl

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "bench_agreement.json"


def pair_set(table: pl.DataFrame, kind: str) -> set[tuple[str, str]]:
    """Each removed row of ``kind`` with the row it was matched to (its group's star)."""
    removed = table.filter(pl.col("dup_removed") & (pl.col("dup_kind") == kind))
    return set(zip(removed["id"].to_list(), removed["dup_representative"].to_list(), strict=True))


def group_pairs(table: pl.DataFrame, kind: str) -> set[tuple[str, str]]:
    """Every pair of rows in the same group of ``kind`` (groups as member sets)."""
    rows = table.filter(pl.col("dup_kind") == kind).select("id", "dup_group")
    out: set[tuple[str, str]] = set()
    for members in rows.group_by("dup_group").agg(pl.col("id"))["id"].to_list():
        members = sorted(members)
        out |= {(a, b) for i, a in enumerate(members) for b in members[i + 1 :]}
    return out


def f1(expected: set, got: set) -> float:
    if not expected and not got:
        return 1.0
    tp = len(expected & got)
    if not tp:
        return 0.0
    precision, recall = tp / len(got), tp / len(expected)
    return round(2 * precision * recall / (precision + recall), 4)


def compare(local: pl.DataFrame, ray: pl.DataFrame) -> dict:
    same_order = local["id"].equals(ray["id"])
    flags = [c for c in local.columns if c.endswith(".flag") and c in ray.columns]
    agree = {
        f: round(float((local[f].fill_null(False) == ray[f].fill_null(False)).mean()), 6)
        for f in flags
    }
    rule_flags = {f: v for f, v in agree.items() if f != "row.outlier.flag"}
    kinds = ("exact_duplicate", "minhash_duplicate", "semantic_duplicate")
    in_groups = {
        k: {
            "local": int((local["dup_kind"] == k).sum()),
            "ray": int((ray["dup_kind"] == k).sum()),
        }
        for k in kinds
    }
    exact_local = dict(pair_set(local, "exact_duplicate"))
    exact_ray = dict(pair_set(ray, "exact_duplicate"))
    return {
        "rows": local.height,
        "same_ids_same_order": bool(same_order),
        # the same rows removed as exact copies; their kept row can differ where the local
        # engine's semantic finder joined the group to another across a partition border
        "exact_removed_rows_identical": set(exact_local) == set(exact_ray),
        "exact_removed_same_kept_row": round(
            sum(exact_local[k] == exact_ray.get(k) for k in exact_local) / max(len(exact_local), 1),
            4,
        ),
        "rule_flags_lowest_agreement": min(rule_flags.values()) if rule_flags else None,
        "rule_flags_below_99pc": sorted(f for f, v in rule_flags.items() if v < 0.99),
        "outlier_flag_agreement": agree.get("row.outlier.flag"),
        "minhash_pair_f1": f1(group_pairs(local, "minhash_duplicate"), group_pairs(ray, kinds[1])),
        "semantic_pair_f1": f1(group_pairs(local, kinds[2]), group_pairs(ray, kinds[2])),
        "rows_in_groups": in_groups,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=60_000)
    ap.add_argument("--keep", type=Path, default=None, help="keep the set and outputs here")
    ap.add_argument(
        "--compare-only", action="store_true", help="compare the outputs already in --keep"
    )
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-agreement-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        data = work / "data"
        if not data.is_dir():
            bench_scale.make_set(data, args.rows)
        before = bench_scale.load()
        old: dict = {}
        if args.compare_only:
            old = json.loads(RESULTS.read_text()).get(str(args.rows), {})
            runs = {
                k: {
                    "seconds": (old.get("seconds") or {}).get(k),
                    "run": {"semantic_partitions": old.get("ray_partitions")},
                }
                for k in ("local", "ray")
            }
            before = old.get("load_before", before)
        else:
            runs = {
                "local": bench_scale.analyze(data, work / "local"),
                "ray": bench_scale.analyze(
                    data, work / "ray", "--engine", "ray", "--ray-cpus", "2"
                ),
            }
        failed = {k: v for k, v in runs.items() if "failed" in v}
        figures: dict = {
            "load_before": before,
            "seconds": {k: v.get("seconds") for k, v in runs.items()},
        }
        if failed:
            figures["failed"] = {k: v.get("message", "")[-2000:] for k, v in failed.items()}
        else:
            local = pl.read_parquet(work / "local" / "analysis.parquet")
            ray = pl.read_parquet(work / "ray" / "analysis.parquet")
            figures.update(compare(local, ray))
            figures["ray_partitions"] = runs["ray"].get("run", {}).get("semantic_partitions")
        figures["load_after"] = old.get("load_after") if args.compare_only else bench_scale.load()
        results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
        results[str(args.rows)] = figures
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(figures, indent=2))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
