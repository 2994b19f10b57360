"""Analysis folders for the Open Analysis tests (and benchmarks/bench_open_analysis.py).

``local_analysis``: the planted rows through ``inspector analyze --only duplicates,quality,
outliers`` (no layout: fast), then a known map written into its analysis.parquet (x = the row,
y = its square, clusters by row modulo 3 and 5), so a test can tell the map came from the file.
``synthetic_analysis``: N rows of data and of analysis output written directly (no embedding):
the shape the Ray engine writes, for the lazy-at-scale test and the benchmark.
"""

from __future__ import annotations

import json
from pathlib import Path

import builders
import numpy as np
import polars as pl

ANALYSIS = "analysis.parquet"


def known_map(table: pl.DataFrame) -> pl.DataFrame:
    i = np.arange(table.height)
    return table.with_columns(
        pl.Series("x", i.astype(np.float32)),
        pl.Series("y", (i.astype(np.float32) ** 2) / 100),
        pl.Series("cluster", (i % 3).astype(np.int32)),
        pl.Series("cluster_label", [f"topic {c}" for c in i % 3]),
        pl.Series("cluster_fine", (i % 5).astype(np.int32)),
        pl.Series("cluster_fine_label", [f"fine {c}" for c in i % 5]),
    )


def local_analysis(tmp: Path, rows: list[dict] | None = None) -> tuple[Path, Path]:
    """(data file, analysis folder) of the planted rows."""
    from inspector.cli import main

    tmp.mkdir(parents=True, exist_ok=True)
    data = builders.write_jsonl(tmp / "train.jsonl", rows or builders.planted_rows())
    out = tmp / "analysis"
    args = ["analyze", str(data), "--out", str(out), "--vectors", "vec"]
    args += ["--project", str(tmp / "made.sqlite"), "--only", "duplicates,quality,outliers"]
    assert main(args) == 0
    path = out / ANALYSIS
    known_map(pl.read_parquet(path)).write_parquet(path)
    return data, out


def shard(out: Path, pieces: int = 3) -> list[Path]:
    """Turn analysis.parquet into a folder of shards named as the Ray engine names them."""
    path = out / ANALYSIS
    table = pl.read_parquet(path)
    path.unlink()
    path.mkdir()
    step = -(-table.height // pieces)
    made = []
    for start in range(0, table.height, step):
        part = path / f"part-{start:012d}.parquet"
        table.slice(start, step).write_parquet(part)
        made.append(part)
    return made


def synthetic_analysis(tmp: Path, rows: int, seed: int = 0) -> tuple[Path, Path]:
    """(data file, analysis folder): ``rows`` instruction rows with an id column (Parquet) and
    an analysis of them as the Ray engine writes one (map, clusters, a flag, exact groups),
    sharded past 100k rows; its manifest made by the filter's own code."""
    from inspector.core.data.dataset import file_sha256, open_dataset
    from inspector.core.export.filterfile import FILTER_SCHEMA, make_manifest

    rng = np.random.default_rng(seed)
    tmp.mkdir(parents=True, exist_ok=True)
    data = tmp / "train.parquet"
    i = np.arange(rows)
    ids = pl.Series("id", [f"r{k}" for k in range(rows)])
    pl.DataFrame(
        {
            "id": ids,
            "instruction": pl.Series([f"Question {k % 997}" for k in range(rows)]),
            "output": pl.Series([f"Answer number {k}" for k in range(rows)]),
        }
    ).write_parquet(data)
    dataset = open_dataset(str(data), id_column="id")
    centres = rng.normal(scale=20, size=(40, 2)).astype(np.float32)
    topic = rng.integers(0, 40, rows)
    xy = centres[topic] + rng.normal(size=(rows, 2)).astype(np.float32)
    dup = (i % 50 == 1) & (i > 0)  # every 50th row copies the one before it
    group = np.where(dup | np.roll(dup, -1), i // 50, -1)
    flag = i % 97 == 0
    table = pl.DataFrame(
        {
            "id": ids,
            "source_file": pl.Series([data.name] * rows),
            "row_index": pl.Series(i.astype(np.int64)),
            "x": xy[:, 0],
            "y": xy[:, 1],
            "cluster": (topic % 8).astype(np.int32),
            "cluster_label": [f"topic {t % 8}" for t in topic],
            "cluster_fine": topic.astype(np.int32),
            "cluster_fine_label": [f"fine {t}" for t in topic],
            "dup_group": pl.Series(group.astype(np.int64)),
            "dup_kind": pl.Series(["exact_duplicate" if g >= 0 else None for g in group]),
            "dup_representative": pl.Series(
                [f"r{k - 1}" if d else None for k, d in enumerate(dup)]
            ),
            "dup_similarity": pl.Series(np.where(dup, 1.0, np.nan).astype(np.float32)),
            "dup_removed": pl.Series(dup),
            "response.too_short": pl.Series(np.where(flag, 2, 20), dtype=pl.Int64),
            "response.too_short.flag": pl.Series(flag),
            "n_flags": pl.Series(flag.astype(np.int32)),
            "any_flag": pl.Series(flag),
        }
    ).with_columns(
        pl.col("dup_representative").alias("dup_matched"),
        pl.col("dup_similarity").fill_nan(None),
        pl.when(pl.col("dup_group") >= 0).then(pl.col("dup_group")).alias("dup_group"),
    )
    out = tmp / "analysis"
    out.mkdir()
    if rows > 100_000:
        (out / ANALYSIS).mkdir()
        step = 100_000
        for start in range(0, rows, step):
            table.slice(start, step).write_parquet(out / ANALYSIS / f"part-{start:012d}.parquet")
    else:
        table.write_parquet(out / ANALYSIS)
    removed = table.filter(pl.col("dup_removed") | pl.col("any_flag"))
    reason = pl.when(pl.col("dup_removed")).then(pl.lit("exact_duplicate"))
    given = {
        "id": pl.col("id"),
        "id_kind": pl.lit(dataset.id_rule),
        "source_file": pl.col("source_file"),
        "row_index": pl.col("row_index"),
        "action": pl.lit("remove"),
        "tags": pl.lit([], pl.List(pl.String)),
        "reason": reason.otherwise(pl.lit("response.too_short")),
        "annotator": pl.lit("auto:junk"),
    }
    filt = removed.select(
        given.get(c, pl.lit(None)).cast(t).alias(c) for c, t in FILTER_SCHEMA.items()
    )
    filter_path = out / "proposed_filter.parquet"
    filt.write_parquet(filter_path)
    manifest = make_manifest(
        dataset, filt, filter_path, "parquet", filter_sha256=file_sha256(filter_path)
    )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    (out / "run.json").write_text(json.dumps({"engine": "ray", "rows": rows, "seconds": 1.0}))
    return data, out
