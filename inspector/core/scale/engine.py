"""``inspector analyze --engine ray``: the local engine's analysis on Ray Data.

Stages (each timed in ``run.json``):

1. **read**: an actor pool (one loaded model per actor, one shard at a time) streams each
   shard's blocks (``blocks.read_blocks``), computes each row's findings
   (``blocks.block_features``), embeds them and writes each block to ``rows/`` (Parquet
   files in a temp folder beside ``--out``).
2. **ids**: the head reads the compact columns (hash, exact key, flags; ~60 bytes a row),
   numbers repeated content hashes in file order (``#2``, ``#3``) and checks id columns.
3. **neighbours**: k-means on a sample of the vectors cuts the rows into partitions of
   similar rows; a shuffle groups each partition; inside it the local engine's kNN graph
   gives the outlier score and its pair search the semantic-duplicate pairs (as SemDeDup
   does), thinned to a spanning forest.
4. **exact** and **minhash**: exact groups by hash on the head; MinHash-LSH by a shuffle on
   the band keys (one partition per key range), candidates verified from the signatures.
5. **map**: UMAP fitted on a sample (``map_sample`` rows), clusters and names from it.
6. **write**: every row placed from its nearest sample rows (found by cells of the sample),
   its cluster from the nearest one; shards of ``analysis.parquet`` and of the filter are
   written by the workers.

``import ray`` happens only inside functions: the core imports without it.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inspector.core.data.readers import ReadLimits
from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.junk.junk_inputs import parse_dedup_on
from inspector.core.scale import cellknn, resolve, rows, stage_minhash, stage_neighbours, udfs
from inspector.core.scale import plan as plan_mod
from inspector.core.scale.plan import Plan
from inspector.core.scale.stage_minhash import BAND_PARTITION_ROWS, JACCARD

__all__ = [
    "BAND_PARTITION_ROWS",
    "JACCARD",
    "MAP_SAMPLE",
    "PARTITION_ROWS",
    "Plan",
    "ScaleParams",
    "ScaleResult",
    "Stages",
    "init_ray",
    "parse_dedup_on",
    "run_ray_analysis",
]

MAP_SAMPLE = 100_000  # rows UMAP is fitted on (and k-means, names)
PARTITION_ROWS = 50_000  # rows per semantic partition (exact kNN inside: ~n²/P work)


@dataclass(frozen=True)
class ScaleParams:
    path: str
    out: str
    address: str | None = None  # None: a local cluster; "auto"; "ray://HOST:PORT"
    num_cpus: int | None = None  # local cluster only
    model: str = "default"
    embed_field: str | None = None
    dedup_on: str | None = None
    rules_path: str | None = None
    keep: str = "first"
    threshold: float | None = None
    map_sample: int = MAP_SAMPLE
    partition_rows: int = PARTITION_ROWS
    split: str | None = None
    kind: str | None = None
    fields: dict[str, str] | None = None
    id_column: str | None = None
    limits: ReadLimits | None = None
    seed: int = 0


@dataclass
class ScaleResult:
    out: Path
    rows: int
    seconds: dict[str, float] = field(default_factory=dict)
    summary: pl.DataFrame | None = None
    threshold: float = 0.0
    model: str = ""
    run: dict[str, Any] = field(default_factory=dict)


class Stages:
    """Seconds per stage, and a status line for each as it starts."""

    def __init__(self, progress: Progress, say: Callable[[str], None]) -> None:
        self.progress = progress
        self.say = say
        self.seconds: dict[str, float] = {}
        self.head_peak_mb: dict[str, float] = {}  # this process's peak RSS after each stage
        self._name: str | None = None
        self._t = 0.0

    def start(self, name: str, what: str) -> None:
        self.stop()
        self._name, self._t = name, time.monotonic()
        self.progress.status(name)
        self.say(f"[{name}] {what}")

    def stop(self) -> None:
        if self._name is not None:
            self.seconds[self._name] = round(time.monotonic() - self._t, 2)
            self.head_peak_mb[self._name] = _peak_rss_mb()
            self.say(f"[{self._name}] done in {self.seconds[self._name]:.1f} s")
            self._name = None


def _peak_rss_mb() -> float:
    try:
        import resource
    except ImportError:  # not on POSIX
        return 0.0
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def init_ray(address: str | None, num_cpus: int | None) -> Any:
    """Join or start a cluster; nothing listens past 127.0.0.1 and no usage stats leave."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray

    if ray.is_initialized():
        return ray
    common: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "ignore_reinit_error": True,
    }
    if address in (None, "", "local"):
        ray.init(address="local", num_cpus=num_cpus, _node_ip_address="127.0.0.1", **common)
    else:
        ray.init(address=address, **common)
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = True
    return ray


def run_ray_analysis(
    params: ScaleParams, progress: Progress = NULL_PROGRESS, say: Callable[[str], None] = print
) -> ScaleResult:
    """The whole analysis into ``params.out`` (written to a temp folder, renamed at the end)."""
    from inspector.core.scale import output

    started = time.monotonic()
    out = Path(params.out)
    tmp = output.temp_dir(out)
    stages = Stages(progress, say)
    ray = None
    try:
        ray = init_ray(params.address, params.num_cpus)
        plan = plan_mod.make_plan(params)
        result = _run(ray, params, plan, tmp, stages, say)
        stages.stop()
        result.seconds = dict(stages.seconds)
        result.run["head_peak_rss_mb_after_stage"] = dict(stages.head_peak_mb)
        result.run = output.finish(tmp, out, plan, result, time.monotonic() - started, ray)
        result.out = out
        return result
    except BaseException:
        # Stopped (Ctrl+C, kill) or failed: end the job first, so that no task still writes
        # into the temp folder while it is removed (a task's file written after the removal
        # left the folder behind)
        if ray is not None:
            try:
                ray.shutdown()
            except Exception:  # noqa: BLE001 - the removal below matters more
                pass
        raise
    finally:
        output.remove_temp(tmp)


# -- the stages ----------------------------------------------------------------------------------


def _run(
    ray: Any, params: ScaleParams, plan: Plan, tmp: Path, stages: Stages, say: Callable[[str], None]
) -> ScaleResult:
    import importlib

    rd: Any = importlib.import_module("ray.data")  # typed loosely: ray's stubs are partial
    workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
    rows_dir = tmp / "rows"

    stages.start("read", f"{len(plan.files)} file(s) on {workers} CPU(s): hashes, rules, MinHash")
    items = [{"file": i, "path": str(p)} for i, p in enumerate(plan.files)]
    ds = rd.from_items(items, override_num_blocks=max(1, len(items)))
    ds = ds.map_batches(udfs.read_shard, fn_args=(plan.block,), batch_size=1)
    say(f"[read] embedding with {params.model}: one loaded model per actor")
    # Ray fuses the read into these actors. One shard at a time an actor (an actor took up
    # to 4 in flight: with 4 files one took them all and the other CPU idled); each actor
    # writes its blocks itself (udfs.EmbedAndWrite).
    actors = max(1, min(workers, len(plan.files)))
    ds = ds.map_batches(
        udfs.EmbedAndWrite,
        fn_constructor_args=(params.model, str(rows_dir)),
        batch_size=None,
        batch_format="pyarrow",
        compute=rd.ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=1),
    )
    written = sum(int(b["rows"].sum()) for b in ds.iter_batches(batch_format="numpy"))
    say(f"[read] {written:,} rows embedded and written by {actors} actor(s)")

    stages.start("ids", "content hashes numbered in file order; exact keys; flags")
    compact = rows.compact_arrays(rd, rows_dir, plan)
    n = plan.rows
    ids = rows.id_rule(rd, rows_dir, plan, compact)
    del compact["hi"], compact["lo"]  # only the ids need the full hashes

    stages.start("sample", f"sampling {min(n, params.map_sample):,} rows for the map")
    rng = np.random.default_rng(params.seed)
    sample = (
        np.arange(n) if n <= params.map_sample else np.sort(rng.choice(n, params.map_sample, False))
    )
    offsets_ref = ray.put(compact["offsets"])
    svec, stexts = rows.fetch_sample(rd, rows_dir, sample, offsets_ref)

    stages.start("neighbours", "k-means partitions; kNN graph and pairs inside each (SemDeDup)")
    parts = max(1, math.ceil(n / params.partition_rows))
    centres = stage_neighbours.partition_centres(svec, parts, params.seed)
    score, sem_pairs = stage_neighbours.semantic_neighbours(
        rd, ray, rows_dir, centres, offsets_ref, plan.threshold, n
    )

    stages.start("exact", "exact duplicates by hash; keep policy")
    flags_base = compact["n_flags"]
    z = resolve.robust_z(score)
    outlier_on = "outlier" in {r.name for r in plan.rules.enabled}
    if outlier_on:
        from inspector.core.junk.quality import _flag

        oflag = _flag(pl.Series("row.outlier", z).fill_nan(None), None, plan.rules["outlier"])
        oflag_np = oflag.to_numpy().astype(bool)
    else:
        oflag_np = np.zeros(n, bool)
    n_flags = flags_base + oflag_np.astype(np.int32)
    survivors = resolve.Survivors(resolve.keep_priority(params.keep, compact["length"], n_flags))
    survivors.exact(compact.pop("h1"), compact.pop("h2"), compact.pop("nonempty"))
    del compact["length"]

    stages.start("minhash", "MinHash-LSH: shuffle on band keys, verify candidates")
    alive = survivors.alive()
    stage_minhash.minhash_pairs(rd, ray, rows_dir, plan, survivors, alive, compact, offsets_ref)

    stages.start("semantic", "semantic duplicates over what the lexical finders kept")
    survivors.semantic(
        sem_pairs["a"].to_numpy(), sem_pairs["b"].to_numpy(), sem_pairs["similarity"].to_numpy()
    )
    cols = survivors.columns()

    stages.start("map", f"UMAP on {len(sample):,} sample rows, clusters and names")
    mapped = _sample_map(ray, stexts, svec, params)
    del stexts

    stages.start("write", "placing every row, writing shards")
    from inspector.core.scale import output

    names_needed = np.unique(np.concatenate([cols["representative"], cols["matched"]]))
    names_needed = names_needed[names_needed >= 0]
    id_of = rows.fetch(rd, rows_dir, ["chash"], names_needed, offsets_ref)["chash"]
    ref_ids = output.ids_from(
        id_of,
        ids["nth"][names_needed] if ids["nth"] is not None else None,
        ids["column"].gather(names_needed) if ids["column"] is not None else None,
    )
    shared = {
        "offsets": compact["offsets"],
        "nth": ids["nth"],
        "column": ids["column"],
        "id_rule": plan.id_rule,
        "cols": cols,
        "score": score,
        "z": z,
        "oflag": oflag_np if outlier_on else None,
        "n_flags": n_flags,
        "ref_pos": names_needed,
        "ref_ids": ref_ids,
        "sample": sample,
        "svec": svec,
        "cells": cellknn.make_cells(svec, params.seed),
        "xy": mapped["xy"],
        "coarse": mapped["coarse"],
        "fine": mapped["fine"],
        "names_coarse": mapped["names_coarse"],
        "names_fine": mapped["names_fine"],
        "shown": plan.shown,
        "analysis_dir": str(tmp / "analysis.parquet"),
        "filter_dir": str(tmp / "filter_parts"),
    }
    shared_ref = ray.put(shared)
    columns = [c for c in rows.schema_names(rows_dir) if c not in ("sig", "bands", "etext")]
    summary = (
        rd.read_parquet(str(rows_dir), columns=columns)
        .map_batches(
            udfs.WriteShard,
            fn_constructor_args=(shared_ref,),
            batch_size=None,
            batch_format="pyarrow",
            concurrency=(1, workers),
        )
        .to_pandas()
    )
    stages.stop()
    return ScaleResult(
        out=Path(params.out),
        rows=n,
        summary=pl.from_pandas(summary),
        threshold=float(plan.threshold),
        model=params.model,
        run={
            "workers": workers,
            "map_sample": int(len(sample)),
            "partitions": parts,
            "semantic_pairs": int(sem_pairs.height),
        },
    )


def _sample_map(ray: Any, texts: list[str], vectors: np.ndarray, params: ScaleParams) -> dict:
    """The map of the sample (UMAP, clusters, names) in a task of its own: its working
    memory (the sample's graph, UMAP's) is not the head's. One CPU asked (a request for
    more could wait on actors still holding theirs); numba's threads use the node's cores
    all the same, as nothing else runs in this stage."""

    def build(texts: list[str], vectors: np.ndarray, model: str, seed: int) -> dict:
        from inspector.core.map.mapping import build_map

        m = build_map(texts, model=model, vectors=vectors, seed=seed, cache=False)
        return {
            "xy": np.asarray(m.xy),
            "coarse": np.asarray(m.cluster_coarse),
            "fine": np.asarray(m.cluster_fine),
            "names_coarse": m.names_coarse,
            "names_fine": m.names_fine,
        }

    task = ray.remote(num_cpus=1, max_retries=2)(build)
    return ray.get(task.remote(texts, vectors, params.model, params.seed))
