"""``inspector analyze --engine ray``: the local engine's analysis on Ray Data.

Stages (each timed in ``run.json``):

1. **read**: one task per shard streams blocks (``blocks.read_blocks``) and computes each
   row's findings (``blocks.block_features``); an actor pool with one loaded model per actor
   embeds them; the rows go to ``rows/`` (Parquet shards in a temp folder beside ``--out``).
2. **ids**: the head reads the compact columns (hash, exact key, flags; ~60 bytes a row),
   numbers repeated content hashes in file order (``#2``, ``#3``) and checks id columns.
3. **neighbours**: k-means on a sample of the vectors cuts the rows into partitions of
   similar rows; a shuffle groups each partition; inside it an exact kNN graph gives the
   outlier score and the semantic-duplicate pairs (as SemDeDup does).
4. **exact** and **minhash**: exact groups by hash on the head; MinHash-LSH by a shuffle on
   the band keys (one partition per key range), candidates verified from the signatures.
5. **map**: UMAP fitted on a sample (``map_sample`` rows), clusters and names from it.
6. **write**: every row placed from its nearest sample rows, its cluster from the nearest
   one; shards of ``analysis.parquet`` and of the filter are written by the workers.

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
from inspector.core.errors import DataError
from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.junk.junk_inputs import parse_dedup_on
from inspector.core.scale import blocks, resolve

MAP_SAMPLE = 100_000  # rows UMAP is fitted on (and k-means, names)
PARTITION_ROWS = 50_000  # rows per semantic partition (exact kNN inside: ~n²/P work)
BAND_PARTITION_ROWS = 2_000_000  # band keys per MinHash shuffle partition
JACCARD = 0.8


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
            self.say(f"[{self._name}] done in {self.seconds[self._name]:.1f} s")
            self._name = None


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
    try:
        ray = init_ray(params.address, params.num_cpus)
        plan = _plan(params)
        result = _run(ray, params, plan, tmp, stages, say)
        stages.stop()
        result.seconds = dict(stages.seconds)
        result.run = output.finish(tmp, out, plan, result, time.monotonic() - started, ray)
        result.out = out
        return result
    finally:
        output.remove_temp(tmp)


# -- planning on the head: the files, the format, the settings every block uses ---------------


@dataclass
class Plan:
    files: list[Path]
    shown: list[str]
    sources: Any
    target: str
    block: blocks.BlockSpec
    threshold: float
    model: str
    rules: Any
    id_rule: str = "content_sha256"
    rows: int = 0
    file_rows: list[int] = field(default_factory=list)
    file_sha: list[str] = field(default_factory=list)


def _plan(params: ScaleParams) -> Plan:
    from dataclasses import replace

    from inspector.core.data import formats
    from inspector.core.data.dataset import dataset_root
    from inspector.core.data.sources import find_sources
    from inspector.core.junk import minhash
    from inspector.core.junk.junk_inputs import default_threshold
    from inspector.core.junk.quality_rules import load_rules

    sources = replace(find_sources(params.path, params.split), limits=params.limits)
    if sources.kind == "hf_dataset":
        pass  # Arrow shards: read whole per task by the local reader, then cut
    root = dataset_root(params.path, sources)
    shown = [_relative(p, root) for p in sources.files]
    first, _ = next(blocks.read_blocks(sources.files[0], params.limits, 1000))
    if params.kind or params.fields:
        try:
            spec = formats.spec_from_fields(
                params.kind or formats.detect_format(first).kind, params.fields or {}, first.schema
            )
        except ValueError as exc:
            raise DataError(str(exc), file=sources.files[0]) from exc
    else:
        spec = formats.detect_format(first)
    has_response = spec.kind not in ("text", "generic")
    dedup_cols = parse_dedup_on(
        params.dedup_on, kind=spec.kind, has_response=has_response, user_columns=list(first.columns)
    )
    embed_field = params.embed_field
    if not embed_field:
        parts = [p.strip() for p in (params.dedup_on or "").split(",") if p.strip()]
        embed_field = parts[0] if len(parts) == 1 else "all"
    if params.id_column:
        if params.id_column not in first.columns:
            raise DataError(f"no id column '{params.id_column}'", field=params.id_column)
        candidates = [params.id_column]
    else:
        candidates = blocks.id_candidates(first)
    bands, band_rows = minhash.optimal_bands(JACCARD, 128)
    threshold = params.threshold
    if threshold is None:
        threshold = default_threshold(params.model)
    rules = load_rules(params.rules_path)
    block = blocks.BlockSpec(
        spec,
        dedup_cols,
        embed_field,
        params.rules_path,
        128,
        bands,
        band_rows,
        candidates,
        params.limits,
    )
    return Plan(sources.files, shown, sources, params.path, block, threshold, params.model, rules)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


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
    ds = ds.map_batches(_read_shard, fn_args=(plan.block,), batch_size=1)
    say(f"[read] embedding with {params.model}: one loaded model per actor")
    ds = ds.map_batches(
        _Embed,
        fn_constructor_args=(params.model,),
        batch_size=4096,
        batch_format="pyarrow",
        concurrency=(1, workers),  # room for the read tasks beside the actors
    )
    ds.write_parquet(str(rows_dir))

    stages.start("ids", "content hashes numbered in file order; exact keys; flags")
    compact = _compact(rd, rows_dir, plan)
    n = plan.rows
    ids = _ids(rd, rows_dir, plan, compact)

    stages.start("sample", f"sampling {min(n, params.map_sample):,} rows for the map")
    rng = np.random.default_rng(params.seed)
    sample = (
        np.arange(n) if n <= params.map_sample else np.sort(rng.choice(n, params.map_sample, False))
    )
    offsets_ref = ray.put(compact["offsets"])
    fetched = _fetch(rd, rows_dir, ["emb", "etext"], sample, offsets_ref)
    svec = np.asarray(fetched["emb"].to_list(), dtype=np.float32).reshape(len(sample), -1)
    stexts = fetched["etext"].to_list()

    stages.start("neighbours", "k-means partitions, exact kNN inside each (SemDeDup)")
    parts = max(1, math.ceil(n / params.partition_rows))
    centres = _centres(svec, parts, params.seed)
    score, sem_pairs = _neighbours(rd, ray, rows_dir, centres, offsets_ref, plan.threshold, n)

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
    survivors.exact(compact["h1"], compact["h2"], compact["nonempty"])

    stages.start("minhash", "MinHash-LSH: shuffle on band keys, verify candidates")
    alive = survivors.alive()
    _minhash(rd, ray, rows_dir, plan, survivors, alive, compact, offsets_ref)

    stages.start("semantic", "semantic duplicates over what the lexical finders kept")
    survivors.semantic(
        sem_pairs["a"].to_numpy(), sem_pairs["b"].to_numpy(), sem_pairs["similarity"].to_numpy()
    )
    cols = survivors.columns()

    stages.start("map", f"UMAP on {len(sample):,} sample rows, clusters and names")
    from inspector.core.map.mapping import build_map

    mapped = build_map(stexts, model=params.model, vectors=svec, seed=params.seed, cache=False)

    stages.start("write", "placing every row, writing shards")
    from inspector.core.scale import output

    names_needed = np.unique(np.concatenate([cols["representative"], cols["matched"]]))
    names_needed = names_needed[names_needed >= 0]
    id_of = _fetch(rd, rows_dir, ["chash"], names_needed, offsets_ref)["chash"]
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
        "xy": mapped.xy,
        "coarse": np.asarray(mapped.cluster_coarse),
        "fine": np.asarray(mapped.cluster_fine),
        "names_coarse": mapped.names_coarse,
        "names_fine": mapped.names_fine,
        "shown": plan.shown,
        "analysis_dir": str(tmp / "analysis.parquet"),
        "filter_dir": str(tmp / "filter_parts"),
    }
    shared_ref = ray.put(shared)
    columns = [c for c in _schema_names(rows_dir) if c not in ("sig", "bands", "etext")]
    summary = (
        rd.read_parquet(str(rows_dir), columns=columns)
        .map_batches(
            _WriteShard,
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
        run={"workers": workers, "map_sample": int(len(sample)), "partitions": parts},
    )


def _schema_names(rows_dir: Path) -> list[str]:
    import pyarrow.parquet as pq

    first = sorted(rows_dir.glob("*.parquet"))[0]
    return list(pq.read_schema(first).names)


def _frame(table: Any) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _get(value: Any) -> Any:
    """A value passed to a UDF: Ray hands ObjectRefs in ``fn_args`` over as they are."""
    import ray

    return ray.get(value) if isinstance(value, ray.ObjectRef) else value


def _positions(batch: Any, offsets: Any) -> np.ndarray:
    offsets = _get(offsets)
    file = np.asarray(batch["file"], dtype=np.int64)
    rec = np.asarray(batch["rec"], dtype=np.int64)
    return offsets[file] + rec


def _compact(rd: Any, rows_dir: Path, plan: Plan) -> dict[str, Any]:
    """The head's per-row arrays in dataset order (see ``resolve``)."""
    flags = [c for c in _schema_names(rows_dir) if c.startswith("q:") and c.endswith(".flag")]
    wanted = ["file", "rec", "chash", "h1", "h2", "nonempty", "length", *flags]
    parts: list[pl.DataFrame] = []
    for batch in rd.read_parquet(str(rows_dir), columns=wanted).iter_batches(
        batch_format="pyarrow", batch_size=200_000
    ):
        frame = _frame(batch)
        hi, lo = resolve.hash_words(frame["chash"])
        nf = (
            frame.select(pl.sum_horizontal([pl.col(f).cast(pl.Int32) for f in flags])).to_series()
            if flags
            else pl.Series(np.zeros(frame.height, np.int32))
        )
        parts.append(
            frame.select("file", "rec", "h1", "h2", "nonempty", "length").with_columns(
                pl.Series("hi", hi), pl.Series("lo", lo), nf.cast(pl.Int32).alias("n_flags")
            )
        )
    table = pl.concat(parts).sort("file", "rec")
    counts = table.group_by("file").len().sort("file")
    file_rows = np.zeros(len(plan.files), np.int64)
    file_rows[counts["file"].to_numpy()] = counts["len"].to_numpy()
    if not file_rows.sum():
        raise DataError("no readable records", file=plan.target)
    plan.file_rows = file_rows.tolist()
    plan.rows = int(file_rows.sum())
    offsets = np.concatenate([[0], np.cumsum(file_rows)[:-1]]).astype(np.int64)
    return {
        "offsets": offsets,
        "h1": table["h1"].to_numpy(),
        "h2": table["h2"].to_numpy(),
        "nonempty": table["nonempty"].to_numpy(),
        "length": table["length"].to_numpy(),
        "n_flags": table["n_flags"].to_numpy(),
        "hi": table["hi"].to_numpy(),
        "lo": table["lo"].to_numpy(),
    }


def _ids(rd: Any, rows_dir: Path, plan: Plan, compact: dict[str, Any]) -> dict[str, Any]:
    """The id rule (an id column when one is unique and complete, else content hashes)."""
    from inspector.core.data.dataset import file_sha256

    plan.file_sha = [file_sha256(p) for p in plan.files]  # the manifest's, as the local engine's
    for name in plan.block.id_candidates:
        col = f"idc:{name}"
        parts = []
        for batch in rd.read_parquet(str(rows_dir), columns=["file", "rec", col]).iter_batches(
            batch_format="pyarrow", batch_size=500_000
        ):
            parts.append(_frame(batch))
        frame = pl.concat(parts).sort("file", "rec")
        values = frame[col]
        ok = values.null_count() == 0 and values.n_unique() == frame.height
        if ok:
            plan.id_rule = f"column:{name}"
            return {"nth": None, "column": values.alias("id")}
        if len(plan.block.id_candidates) == 1 and name not in blocks.ID_CANDIDATES:
            raise DataError(
                f"the id column '{name}' is not unique and complete",
                field=name,
                hint="choose a unique column, or leave it out to use content hashes",
            )
    return {"nth": resolve.occurrences(compact["hi"], compact["lo"]), "column": None}


def _fetch(
    rd: Any, rows_dir: Path, columns: list[str], positions: np.ndarray, offsets_ref: Any
) -> pl.DataFrame:
    """The given columns of the rows at ``positions`` (sorted), in that order."""
    positions = np.asarray(positions, dtype=np.int64)
    if not len(positions):
        return pl.DataFrame({c: [] for c in columns})
    import ray

    want_ref = ray.put(positions)

    def pick(batch: Any, offsets: np.ndarray, want: np.ndarray) -> Any:
        import pyarrow as pa

        pos = _positions(batch, offsets)
        keep = np.isin(pos, _get(want))
        table = batch.filter(pa.array(keep))
        return table.append_column("pos", pa.array(pos[keep]))

    got = (
        rd.read_parquet(str(rows_dir), columns=["file", "rec", *columns])
        .map_batches(pick, fn_args=(offsets_ref, want_ref), batch_format="pyarrow")
        .to_arrow_refs()
    )
    tables = [_frame(t) for t in ray.get(got)]
    frame = pl.concat([t for t in tables if t.height], how="vertical")
    frame = frame.sort("pos")
    if frame.height != len(positions):
        raise RuntimeError(f"fetched {frame.height} of {len(positions)} rows")
    return frame.select(columns)


def _centres(svec: np.ndarray, parts: int, seed: int) -> np.ndarray:
    from inspector.core.map.models import normalise

    if parts <= 1 or len(svec) <= parts:
        return np.zeros((1, svec.shape[1]), np.float32)
    from sklearn.cluster import MiniBatchKMeans

    km = MiniBatchKMeans(n_clusters=parts, random_state=seed, n_init=1, batch_size=4096)
    km.fit(normalise(svec))
    return normalise(km.cluster_centers_.astype(np.float32))


def _neighbours(
    rd: Any,
    ray: Any,
    rows_dir: Path,
    centres: np.ndarray,
    offsets_ref: Any,
    threshold: float,
    n: int,
) -> tuple[np.ndarray, pl.DataFrame]:
    centres_ref = ray.put(centres)

    def assign(batch: Any, offsets: np.ndarray, c: np.ndarray) -> Any:
        import pyarrow as pa

        pos = _positions(batch, offsets)
        emb = _matrix(batch["emb"])
        c = _get(c)
        part = (
            np.argmax(emb @ c.T, axis=1).astype(np.int32)
            if len(c) > 1
            else np.zeros(len(pos), np.int32)
        )
        return pa.table(
            {"pos": pos, "part": part, "emb": batch["emb"], "nonempty": batch["nonempty"]}
        )

    def within(group: Any, thr: float) -> Any:
        import pyarrow as pa

        from inspector.core.scale.partitions import neighbours

        pos = np.asarray(group["pos"], dtype=np.int64)
        emb = _matrix(group["emb"])
        score, pairs = neighbours(pos, emb, np.asarray(group["nonempty"]), thr)
        pa_list = pa.array([None] * len(pos), pa.list_(pa.int64()))
        sims_list = pa.array([None] * len(pos), pa.list_(pa.float32()))
        if pairs.height:
            per = pairs.group_by("a").agg("b", "similarity")
            where = {int(a): i for i, a in enumerate(per["a"].to_list())}
            bs_, ss_ = per["b"].to_list(), per["similarity"].to_list()
            pa_list = pa.array(
                [bs_[where[p]] if p in where else None for p in pos.tolist()], pa.list_(pa.int64())
            )
            sims_list = pa.array(
                [ss_[where[p]] if p in where else None for p in pos.tolist()],
                pa.list_(pa.float32()),
            )
        return pa.table(
            {"pos": pos, "score": score.astype(np.float32), "pb": pa_list, "ps": sims_list}
        )

    ds = (
        rd.read_parquet(str(rows_dir), columns=["file", "rec", "emb", "nonempty"])
        .map_batches(assign, fn_args=(offsets_ref, centres_ref), batch_format="pyarrow")
        .groupby("part")
        .map_groups(within, fn_args=(threshold,), batch_format="pyarrow")
    )
    score = np.full(n, np.nan, np.float32)
    pa_: list[np.ndarray] = []
    pb_: list[np.ndarray] = []
    ps_: list[np.ndarray] = []
    for batch in ds.iter_batches(batch_format="pyarrow", batch_size=200_000):
        frame = _frame(batch)
        score[frame["pos"].to_numpy()] = frame["score"].to_numpy()
        pairs = frame.select("pos", "pb", "ps").drop_nulls("pb").explode("pb", "ps")
        pa_.append(pairs["pos"].to_numpy())
        pb_.append(pairs["pb"].to_numpy())
        ps_.append(pairs["ps"].to_numpy())
    pairs = pl.DataFrame(
        {
            "a": np.concatenate(pa_) if pa_ else np.zeros(0, np.int64),
            "b": np.concatenate(pb_) if pb_ else np.zeros(0, np.int64),
            "similarity": np.concatenate(ps_).astype(np.float32)
            if ps_
            else np.zeros(0, np.float32),
        }
    )
    return score, pairs


def _matrix(column: Any) -> np.ndarray:
    """A fixed-size list column as a float32 matrix."""
    import pyarrow as pa

    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    width = arr.type.list_size
    return np.asarray(arr.flatten().to_numpy(zero_copy_only=False), dtype=np.float32).reshape(
        -1, width
    )


def _minhash(
    rd: Any,
    ray: Any,
    rows_dir: Path,
    plan: Plan,
    survivors: resolve.Survivors,
    alive: np.ndarray,
    compact: dict[str, Any],
    offsets_ref: Any,
) -> None:
    from inspector.core.junk import minhash

    n = survivors.n
    mask = np.zeros(n, bool)
    mask[alive] = True
    mask_ref = ray.put(mask)
    bands = plan.block.bands
    parts = max(1, math.ceil(n * bands / BAND_PARTITION_ROWS))

    def explode(batch: Any, offsets: np.ndarray, ok: np.ndarray, p: int) -> Any:
        import pyarrow as pa

        pos = _positions(batch, offsets)
        keep = _get(ok)[pos] & ~np.asarray(batch["empty_sig"])
        keys = _matrix_u64(batch["bands"])[keep]
        pos = pos[keep]
        width = keys.shape[1]
        flat = keys.reshape(-1)
        return pa.table(
            {
                "pos": np.repeat(pos, width),
                "band": np.tile(np.arange(width, dtype=np.int32), len(pos)),
                "key": flat,
                "full": np.repeat(keys[:, 0], width),
                "part": (flat % np.uint64(p)).astype(np.int32),
            }
        )

    def buckets(group: Any) -> Any:
        import pyarrow as pa

        from inspector.core.scale.partitions import bucket_candidates

        a, b = bucket_candidates(
            np.asarray(group["pos"], np.int64),
            np.asarray(group["band"], np.int32),
            np.asarray(group["key"], np.uint64),
            np.asarray(group["full"], np.uint64),
        )
        return pa.table({"a": a, "b": b})

    ds = (
        rd.read_parquet(str(rows_dir), columns=["file", "rec", "bands", "empty_sig"])
        .map_batches(explode, fn_args=(offsets_ref, mask_ref, parts), batch_format="pyarrow")
        .groupby("part")
        .map_groups(buckets, batch_format="pyarrow")
    )
    frames = [_frame(b) for b in ds.iter_batches(batch_format="pyarrow", batch_size=500_000)]
    cand = pl.concat(frames).unique().sort("a", "b") if frames else pl.DataFrame({"a": [], "b": []})
    if not cand.height:
        return
    a, b = cand["a"].to_numpy().astype(np.int64), cand["b"].to_numpy().astype(np.int64)
    involved = np.unique(np.concatenate([a, b]))
    sig_rows = _fetch(rd, rows_dir, ["sig"], involved, offsets_ref)["sig"]
    sig = np.frombuffer(b"".join(sig_rows.to_list()), dtype=np.uint32).reshape(len(involved), -1)
    ia, ib = np.searchsorted(involved, a), np.searchsorted(involved, b)
    sim = minhash.estimated_jaccard(sig, ia, ib)
    keep = sim >= JACCARD
    where = np.searchsorted(alive, np.concatenate([a[keep], b[keep]]))
    k = int(keep.sum())
    pairs = pl.DataFrame(
        {"a": where[:k].astype(np.int64), "b": where[k:].astype(np.int64), "similarity": sim[keep]}
    ).sort("a", "b")

    def rep_sim(rows: np.ndarray, reps: np.ndarray) -> np.ndarray:
        ra = np.searchsorted(involved, alive[rows])
        rb = np.searchsorted(involved, alive[reps])
        return minhash.estimated_jaccard(sig, ra, rb)

    survivors.minhash(alive, pairs, rep_sim)


def _matrix_u64(column: Any) -> np.ndarray:
    import pyarrow as pa

    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    width = arr.type.list_size
    return np.asarray(arr.flatten().to_numpy(zero_copy_only=False), dtype=np.uint64).reshape(
        -1, width
    )


# -- the callable classes Ray runs (one instance per actor) --------------------------------------


def _read_shard(batch: dict[str, np.ndarray], block: blocks.BlockSpec) -> Any:
    """Reads the shard(s) of one call, yielding one table of findings per block."""
    for file_index, path in zip(batch["file"].tolist(), batch["path"].tolist()):
        rec = 0
        for frame, rows in blocks.read_blocks(Path(path), block.limits):
            features = blocks.block_features(frame, rows, int(file_index), rec, block)
            rec += frame.height
            yield features.to_arrow()


class _Embed:
    """One loaded model per actor; adds ``emb`` (float32, L2-normalised)."""

    def __init__(self, model: str) -> None:
        from inspector.core.map.models import load_embedder

        self.embedder = load_embedder(model)

    def __call__(self, table: Any) -> Any:
        import pyarrow as pa

        texts = table.column("etext").to_pylist()
        vectors = self.embedder.encode(texts).astype(np.float32)
        dim = vectors.shape[1] if vectors.ndim == 2 else self.embedder.dim
        flat = pa.array(vectors.reshape(-1), pa.float32())
        return table.append_column("emb", pa.FixedSizeListArray.from_arrays(flat, dim))


class _WriteShard:
    """Places rows on the map, fills in ids and duplicate columns, writes a shard."""

    def __init__(self, shared_ref: Any) -> None:
        import ray

        self.shared = ray.get(shared_ref) if isinstance(shared_ref, ray.ObjectRef) else shared_ref

    def __call__(self, table: Any) -> Any:
        from inspector.core.scale.output import write_block

        return write_block(table, self.shared)
