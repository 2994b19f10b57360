"""What ``--engine ray`` writes: each worker's shard of ``analysis.parquet`` and of the filter,
then on the head one file of each (or, past :data:`SINGLE_FILE_ROWS`, a folder of shards named
``analysis.parquet/``), ``manifest.json`` and ``run.json``. Everything is written in a temp
folder beside ``--out`` and renamed into place at the end: an interrupted run leaves none."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inspector.core.data.dataset import Dataset, FileInfo
from inspector.core.scale.resolve import KINDS

SINGLE_FILE_ROWS = 2_000_000
PLACE_K = 10  # sample rows a placed row's position is interpolated from


def temp_dir(out: Path) -> Path:
    out = out.expanduser()
    tmp = out.parent / f".{out.name}.inspector-tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def remove_temp(tmp: Path, tries: int = 20) -> None:
    """Remove the temp folder; a file a task on another node writes meanwhile is removed on
    the next try (up to ``tries``, 0.25 s apart)."""
    import time

    for _ in range(tries):
        if not tmp.exists():
            return
        shutil.rmtree(tmp, ignore_errors=True)
        if tmp.exists():
            time.sleep(0.25)


def ids_from(chash: pl.Series, nth: np.ndarray | None, column: pl.Series | None) -> pl.Series:
    """Row ids: the id column's values, else the content hash with ``#2``, ``#3``…"""
    if column is not None:
        return column.cast(pl.String).alias("id")
    frame = pl.DataFrame({"h": chash.cast(pl.String), "n": nth})
    return frame.select(
        pl.when(pl.col("n") <= 1)
        .then(pl.col("h"))
        .otherwise(pl.col("h") + "#" + pl.col("n").cast(pl.String))
        .alias("id")
    ).to_series()


def write_block(table: Any, shared: dict[str, Any]) -> Any:
    """One block's rows of ``analysis.parquet`` and of the filter, written as shards; returns
    the block's counts per finder."""
    import pyarrow as pa

    from inspector import __version__
    from inspector.core.scale.cellknn import cell_top_k

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    pos = shared["offsets"][frame["file"].to_numpy()] + frame["rec"].to_numpy()
    order = np.argsort(pos, kind="stable")
    frame, pos = frame[order], pos[order]
    n = frame.height
    column = shared["column"]
    ids = ids_from(
        frame["chash"],
        None if shared["nth"] is None else shared["nth"][pos],
        None if column is None else column.gather(pos),
    )

    # the map: sample rows keep their place, others sit among their nearest sample rows
    # (found by cells of the sample: ~2,800 products a row at 100k sample rows, not 100k)
    sample = shared["sample"]
    at = np.clip(np.searchsorted(sample, pos), 0, len(sample) - 1)
    in_sample = sample[at] == pos
    xy = np.zeros((n, 2), np.float32)
    coarse = np.full(n, -1, np.int32)
    fine = np.full(n, -1, np.int32)
    xy[in_sample] = shared["xy"][at[in_sample]]
    coarse[in_sample] = shared["coarse"][at[in_sample]]
    fine[in_sample] = shared["fine"][at[in_sample]]
    rest = np.flatnonzero(~in_sample)
    if len(rest):
        emb = _matrix(frame["emb"].gather(rest))
        idx, sims = cell_top_k(emb, shared["svec"], shared["cells"], min(PLACE_K, len(sample)))
        w = np.where(idx >= 0, np.maximum(sims, 0.0) + 1e-4, 0.0)
        idx = np.maximum(idx, 0)
        xy[rest] = np.einsum("ik,ikd->id", w, shared["xy"][idx]) / w.sum(1)[:, None]
        coarse[rest] = shared["coarse"][idx[:, 0]]
        fine[rest] = shared["fine"][idx[:, 0]]
    shown = pl.Series(shared["shown"], dtype=pl.String)
    out = pl.DataFrame(
        {
            "id": ids,
            "source_file": shown.gather(frame["file"].to_numpy()),
            "row_index": frame["row"],
            "x": xy[:, 0],
            "y": xy[:, 1],
            "cluster": coarse,
            "cluster_label": _names(shared["names_coarse"], coarse),
            "cluster_fine": fine,
            "cluster_fine_label": _names(shared["names_fine"], fine),
        }
    )

    # duplicates (resolved on the head), ids of the rows they point at
    cols = shared["cols"]
    ref_pos, ref_ids = shared["ref_pos"], shared["ref_ids"]

    def ref(positions: np.ndarray) -> pl.Series:
        found = positions >= 0
        where = np.searchsorted(ref_pos, np.where(found, positions, 0))
        where = np.clip(where, 0, max(len(ref_pos) - 1, 0))
        values = ref_ids.gather(where) if len(ref_pos) else pl.Series([None] * n, dtype=pl.String)
        return pl.select(pl.when(pl.lit(pl.Series(found))).then(pl.lit(values))).to_series()

    kind = cols["kind"][pos]
    names = np.array([*KINDS, None], dtype=object)
    group = cols["group"][pos]
    sim = cols["similarity"][pos]
    removed = cols["removed"][pos]
    out = out.with_columns(
        pl.Series("dup_group", group, pl.Int64),
        pl.Series("dup_kind", names[np.where(kind >= 0, kind, len(KINDS))].tolist(), pl.String),
        ref(cols["representative"][pos]).alias("dup_representative"),
        ref(cols["matched"][pos]).alias("dup_matched"),
        pl.Series("dup_similarity", sim, pl.Float32).fill_nan(None),
        pl.Series("dup_removed", removed, pl.Boolean),
    )

    # quality: the block's rules, then the outlier from the partitions' graphs
    quality = frame.select([c for c in frame.columns if c.startswith("q:")])
    quality = quality.rename({c: c[2:] for c in quality.columns})
    if shared["oflag"] is not None:
        quality = quality.with_columns(
            pl.Series("outlier_score", shared["score"][pos]).fill_nan(None),
            pl.Series("row.outlier", shared["z"][pos]).fill_nan(None),
            pl.Series("row.outlier.flag", shared["oflag"][pos]),
        )
    flags = [c for c in quality.columns if c.endswith(".flag")]
    quality = quality.with_columns(
        pl.Series("n_flags", shared["n_flags"][pos], pl.Int32),
    ).with_columns(any_flag=pl.col("n_flags") > 0)
    out = pl.concat([out, quality], how="horizontal").with_columns(
        eval_leak=pl.lit(False),
        eval_match_id=pl.lit(None, pl.String),
        eval_match_kind=pl.lit(None, pl.String),
        eval_similarity=pl.lit(None, pl.Float32),
    )
    Path(shared["analysis_dir"]).mkdir(parents=True, exist_ok=True)
    Path(shared["filter_dir"]).mkdir(parents=True, exist_ok=True)
    for start, stop in runs(pos):
        # a shard a run of consecutive rows, named by its first: the names sort in row order
        # (a block can hold rows of several places in the data)
        name = f"part-{int(pos[start]) if n else 0:012d}.parquet"
        part = out.slice(start, stop - start)
        part.write_parquet(Path(shared["analysis_dir"]) / name)
        chash = frame["chash"].slice(start, stop - start)
        proposals = filter_rows(part, flags, chash, shared["id_rule"], __version__)
        proposals.write_parquet(Path(shared["filter_dir"]) / name)
    counts = {f.removesuffix(".flag"): int(out[f].sum()) for f in flags}
    counts["any_quality_flag"] = int(out["any_flag"].sum())
    return pa.table({"finder": list(counts), "rows": list(counts.values())})


def runs(pos: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each run of consecutive values in sorted ``pos`` (one empty run for
    no rows)."""
    breaks = (np.flatnonzero(np.diff(pos) != 1) + 1).tolist()
    return list(zip([0, *breaks], [*breaks, len(pos)], strict=True))


def filter_rows(
    table: pl.DataFrame, flags: list[str], chash: pl.Series, id_rule: str, version: str
) -> pl.DataFrame:
    """The filter's proposal rows for one block: per row the first reason the local engine's
    ``build_filter`` keeps (a duplicate removal, else the first quality flag, else keep as a
    group's kept row)."""
    from inspector.core.export.filterfile import FILTER_SCHEMA

    reason = pl.lit(None, pl.String)
    score = pl.lit(None, pl.Float64)
    for f in reversed(flags):
        value = f.removesuffix(".flag")
        reason = pl.when(pl.col(f)).then(pl.lit(value)).otherwise(reason)
        val = pl.col(value).cast(pl.Float64) if value in table.columns else pl.lit(None, pl.Float64)
        score = pl.when(pl.col(f)).then(val).otherwise(score)
    dup_removed = pl.col("dup_removed")
    kept = pl.col("dup_kind").is_not_null() & ~dup_removed
    flagged = pl.col("any_flag") if flags else pl.lit(False)
    frame = table.with_columns(chash.alias("content_sha256")).select(
        "id",
        pl.lit(id_rule).alias("id_kind"),
        "source_file",
        pl.col("row_index").cast(pl.Int64),
        "content_sha256",
        # removals only, as ``inspector analyze`` exports them (``result.removals()``)
        pl.when(dup_removed | flagged).then(pl.lit("remove")).alias("action"),
        pl.lit(None, pl.String).alias("label"),
        pl.lit([], pl.List(pl.String)).alias("tags"),
        pl.when(dup_removed)
        .then(pl.col("dup_kind"))
        .when(flagged)
        .then(reason)
        .when(kept)
        .then(pl.col("dup_kind"))
        .alias("reason"),
        pl.when(pl.col("dup_kind").is_not_null() & (dup_removed | ~flagged))
        .then(pl.col("dup_group").cast(pl.String))
        .alias("group_id"),
        pl.when(dup_removed)
        .then(pl.col("dup_representative"))
        .when(kept & ~flagged)
        .then(pl.col("id"))
        .alias("representative_id"),
        pl.when(dup_removed)
        .then(pl.col("dup_similarity").cast(pl.Float64))
        .when(kept & ~flagged)
        .then(pl.lit(1.0))
        .alias("similarity"),
        pl.when(dup_removed)
        .then(pl.col("dup_similarity").cast(pl.Float64))
        .when(flagged)
        .then(score)
        .alias("score"),
        pl.lit("auto:junk").alias("annotator"),
        pl.lit(None, pl.String).alias("timestamp"),
        pl.lit(version).alias("tool_version"),
        pl.lit(None, pl.String).alias("note"),
    )
    return frame.filter(pl.col("action").is_not_null()).select(
        pl.col(c).cast(t) for c, t in FILTER_SCHEMA.items()
    )


def _names(names: dict[int, str], clusters: np.ndarray) -> pl.Series:
    """Each row's cluster name ("" for a cluster without one, e.g. -1), by lookup."""
    known = pl.DataFrame(
        {"c": list(names), "name": list(names.values())},
        schema={"c": pl.Int64, "name": pl.String},
    )
    rows = pl.DataFrame({"c": clusters.astype(np.int64)})
    return rows.join(known, on="c", how="left", maintain_order="left")["name"].fill_null("")


def _matrix(series: pl.Series) -> np.ndarray:
    return np.asarray(series.to_numpy(), dtype=np.float32).reshape(len(series), -1)


# -- the end of a run: one file (or a folder of shards), the manifest, run.json, the rename -----


@dataclass
class ScaleDataset:
    """What ``filterfile.make_manifest`` reads of a dataset, for data no process holds."""

    target: str
    sources: Any
    files: list[FileInfo]
    height: int
    id_rule: str

    fingerprint = property(Dataset.fingerprint.fget)  # type: ignore[attr-defined]  # same rule


def _merge(parts: Path, dest: Path) -> int:
    """Shards (names sort in row order) into one Parquet file, one shard at a time."""
    import pyarrow.parquet as pq

    rows = 0
    writer = None
    try:
        for shard in sorted(parts.glob("*.parquet")):
            table = pq.read_table(shard)
            if writer is None:
                writer = pq.ParquetWriter(dest, table.schema, compression="zstd")
            writer.write_table(table.cast(writer.schema))
            rows += table.num_rows
    finally:
        if writer is not None:
            writer.close()
    return rows


def finish(
    tmp: Path, out: Path, plan: Any, result: Any, seconds: float, ray: Any
) -> dict[str, Any]:
    from inspector.core.data.dataset import file_sha256
    from inspector.core.export.filterfile import FILTER_SCHEMA, make_manifest

    shutil.rmtree(tmp / "rows", ignore_errors=True)
    parts = tmp / "analysis.parquet"
    if result.rows <= SINGLE_FILE_ROWS:
        moved = tmp / "analysis_parts"
        parts.rename(moved)
        _merge(moved, tmp / "analysis.parquet")
        shutil.rmtree(moved)
    filter_path = tmp / "proposed_filter.parquet"
    if _merge(tmp / "filter_parts", filter_path) == 0:
        pl.DataFrame(schema=FILTER_SCHEMA).write_parquet(filter_path, compression="zstd")
    shutil.rmtree(tmp / "filter_parts", ignore_errors=True)
    files = [
        FileInfo(shown, p.stat().st_size, sha, rows, p.suffix.lstrip("."), None)
        for shown, p, sha, rows in zip(plan.shown, plan.files, plan.file_sha, plan.file_rows)
    ]
    ds = ScaleDataset(plan.target, plan.sources, files, result.rows, plan.id_rule)
    counted = pl.read_parquet(filter_path, columns=["action", "reason", "annotator"])
    manifest = make_manifest(
        ds,  # type: ignore[arg-type]
        counted,
        filter_path,
        "parquet",
        embedding_model=result.model,
        rules=plan.rules.source,
        thresholds={"semantic": result.threshold},
        filter_sha256=file_sha256(filter_path),
    )
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    run = {
        "engine": "ray",
        "ray_version": ray.__version__,
        "workers": result.run.get("workers"),
        "nodes": len([nd for nd in ray.nodes() if nd.get("Alive")]),
        "rows": result.rows,
        "files": len(plan.files),
        "seconds": round(seconds, 2),
        "seconds_per_stage": result.seconds,
        "map_sample": result.run.get("map_sample"),
        "semantic_partitions": result.run.get("partitions"),
        "semantic_pairs": result.run.get("semantic_pairs"),
        "head_peak_rss_mb_after_stage": result.run.get("head_peak_rss_mb_after_stage"),
        "id_rule": plan.id_rule,
        "model": result.model,
        "semantic_threshold": result.threshold,
        "analysis": "analysis.parquet" + ("/" if result.rows > SINGLE_FILE_ROWS else ""),
        "fingerprint": ds.fingerprint,
    }
    (tmp / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    _move_into(tmp, out)
    return run


def _move_into(tmp: Path, out: Path) -> None:
    """Rename the finished outputs into ``out`` (the whole folder when it is new)."""
    if not out.exists():
        os.replace(tmp, out)
        return
    for entry in sorted(tmp.iterdir()):
        dest = out / entry.name
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        os.replace(entry, dest)
