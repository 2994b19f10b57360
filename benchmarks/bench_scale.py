"""The local engine against ``--engine ray`` on one synthetic set, and a two-node Ray run.

    python benchmarks/bench_scale.py --rows 1000000 [--skip-local] [--skip-one-node]
        [--skip-two-node] [--map-sample 20000] [--models DIR] [--keep DIR]
    python benchmarks/bench_scale.py --placement [--fit 20000 --place 100000]
    python benchmarks/bench_scale.py --embed

Rows are made from ``../shared/data/alpaca_eval_sample.jsonl`` with variations (a number and
a few random words added, 8% exact copies, 8% near copies), in shards of 250k rows. Each
run is ``inspector analyze`` in a subprocess; seconds per stage come from its ``run.json``
(Ray) and the wall clock; peak RSS per process is the largest resident size seen (polled
from /proc every 0.5 s) of each process of the run (the CLI, Ray's workers, raylet, GCS),
and its private part (RssAnon: VmRSS also counts the object store's shared pages a process
read). ``--keep DIR`` makes the set and the outputs in DIR and leaves them there.
The two-node run starts a head and a worker node with ``ray start`` (127.0.0.1 only, one CPU
each), joins them with ``--ray-address``, then stops both. Results go to
``benchmarks/results/bench_scale.json`` (keyed by row count), each run with the load average
(``/proc/loadavg``) before and after it, since the machine is shared.

Every run gets a fresh ``INSPECTOR_HOME`` (cold caches: no vectors, graph or layout from an
earlier run), into which the prepared models are copied first (``--models``, by default
``/tmp/insp-home-main/cache/models`` when it exists, else this process's models folder) so the
default model is not distilled again. A run that fails is recorded with its message.

The two-node run gives Ray a temp folder of its own (``--temp-dir``) and finds which node ran
tasks from the process tree: a worker is a child of its node's raylet, which descends from
that node's ``ray start`` process, and a worker whose title names a task (``ray::MapBatches``
...) ran one. Ray's state API needs the dashboard, which these nodes do not start.

``--placement`` compares the two ways of placing rows that are not in the UMAP sample, on
synthetic clustered vectors (a seeded mixture of 50 Gaussians, 64 dimensions, normalised):
UMAP's own ``transform`` (its NNDescent index and a short optimisation per batch) against what
the Ray engine does (``output.write_block``: the similarity-weighted mean of the 10 nearest
sample rows). Seconds per 100k rows, the mean displacement between the two placements (in
units of the sample layout's standard deviation) and the trustworthiness (k=10) of each
placement on 3,000 placed rows. Stored under ``"placement"``, with the load average.

``--embed`` profiles the default model on 4,096 texts (see ``embed_profile``); stored under
``"embed_profile"``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "alpaca_eval_sample.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "bench_scale.json"
SHARD_ROWS = 250_000
MODELS = Path("/tmp/insp-home-main/cache/models")
WORDS = "data model answer question table window river number market music light".split()


def make_set(
    folder: Path, rows: int, seed: int = 0, fmt: str = "jsonl", output_chars: int | None = None
) -> None:
    """``rows`` rows in shards of ``SHARD_ROWS`` (``fmt``: JSON lines or Parquet), each answer
    cut to its first ``output_chars`` characters (at a word) when given."""
    import polars as pl

    rng = random.Random(seed)
    base = []
    if SAMPLE.is_file():
        for line in SAMPLE.read_text("utf-8").splitlines():
            rec = json.loads(line)
            output = str(rec.get("output", ""))
            if output_chars is not None and len(output) > output_chars:
                output = output[:output_chars].rsplit(" ", 1)[0]
            base.append({"instruction": str(rec.get("instruction", "")), "output": output})
    if not base:
        base = [{"instruction": "Say something.", "output": "Something."}]
    folder.mkdir(parents=True)
    made: list[dict] = []
    shard: list[dict] = []

    def flush(number: int) -> None:
        if fmt == "parquet":
            pl.DataFrame(
                shard, schema={"instruction": pl.String, "output": pl.String}
            ).write_parquet(folder / f"part-{number:05d}.parquet", row_group_size=50_000)
        else:
            with (folder / f"part-{number:05d}.jsonl").open("w", encoding="utf-8") as out:
                out.writelines(json.dumps(r) + "\n" for r in shard)
        shard.clear()

    for i in range(rows):
        if i and i % SHARD_ROWS == 0:
            flush(i // SHARD_ROWS - 1)
        roll = rng.random()
        if made and roll < 0.08:
            rec = dict(rng.choice(made))  # an exact copy
        elif made and roll < 0.16:
            rec = dict(rng.choice(made))  # a near copy: one more word
            rec["output"] = rec["output"] + " " + rng.choice(WORDS)
        else:
            b = rng.choice(base)
            extra = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
            rec = {"instruction": f"{b['instruction']} ({i}) {extra}", "output": b["output"]}
            if len(made) < 50_000:
                made.append(rec)
            else:
                made[rng.randrange(len(made))] = rec
        shard.append(rec)
    if shard:
        flush((rows - 1) // SHARD_ROWS)


class PeakRss:
    """Largest VmRSS (and RssAnon) seen per process, polled from /proc every 0.5 s. Only the processes of
    the run count: ``roots`` (the CLI, the ``ray start`` nodes) and their descendants (Ray's
    GCS, raylets and workers), not other people's jobs on the shared machine."""

    def __init__(self) -> None:
        self.roots: set[int] = set()
        self.peak: dict[int, tuple[str, int]] = {}
        self.peak_anon: dict[int, tuple[str, int]] = {}  # RssAnon: without shared pages
        self.parent: dict[int, int] = {}
        self.titles: dict[int, set[str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit() or int(entry.name) == me:
                    continue
                pid = int(entry.name)
                try:
                    status = (entry / "status").read_text().splitlines()
                    ppid = next(int(ln.split()[1]) for ln in status if ln.startswith("PPid:"))
                    self.parent[pid] = ppid
                    if not self._ours(pid):
                        continue
                    cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                    self.titles.setdefault(pid, set()).add(cmd.split("(")[0].strip()[:60])
                    rss = [int(ln.split()[1]) for ln in status if ln.startswith("VmRSS:")]
                    if rss and rss[0] > self.peak.get(pid, ("", 0))[1]:
                        self.peak[pid] = (cmd[:80], rss[0])
                    anon = [int(ln.split()[1]) for ln in status if ln.startswith("RssAnon:")]
                    if anon and anon[0] > self.peak_anon.get(pid, ("", 0))[1]:
                        self.peak_anon[pid] = (cmd[:80], anon[0])
                except (OSError, ValueError, StopIteration):
                    continue
            self._stop.wait(0.5)

    def _under(self, pid: int, roots: set[int]) -> int | None:
        """The root ``pid`` descends from (itself included), or None."""
        for _ in range(30):
            if pid in roots:
                return pid
            if pid not in self.parent:
                return None
            pid = self.parent[pid]
        return None

    def _ours(self, pid: int) -> bool:
        return self._under(pid, self.roots) is not None

    def summary(self) -> dict:
        top = sorted(self.peak.values(), key=lambda v: -v[1])
        anon = sorted(self.peak_anon.values(), key=lambda v: -v[1])
        return {
            "max_process_rss_mb": round(top[0][1] / 1024, 1) if top else None,
            "processes": len(top),
            "sum_of_peaks_mb": round(sum(kb for _, kb in top) / 1024, 1),
            "top": [{"cmd": c, "rss_mb": round(kb / 1024, 1)} for c, kb in top[:8]],
            # private memory only (RssAnon): VmRSS also counts the pages of Ray's shared
            # object store (/dev/shm) a process has read, which every reader shares
            "max_process_rss_anon_mb": round(anon[0][1] / 1024, 1) if anon else None,
            "top_anon": [{"cmd": c, "rss_anon_mb": round(kb / 1024, 1)} for c, kb in anon[:4]],
        }

    def tasks_under(self, root: int) -> dict:
        """Processes under ``root`` that ran a task (a ``ray::`` title other than IDLE), and
        the task names they showed."""
        ran: set[str] = set()
        workers = 0
        for pid, titles in self.titles.items():
            if self._under(pid, {root}) is None:
                continue
            named = {
                t
                for t in titles
                if t.startswith("ray::") and t != "ray::IDLE" and not t.endswith("Agent")
            }
            if named:
                workers += 1
                ran |= named
        return {"workers_that_ran_tasks": workers, "task_names": sorted(ran)}


def load() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def models_source(models: Path | None) -> Path:
    from inspector.core.paths import models_dir

    return models if models is not None else (MODELS if MODELS.is_dir() else models_dir())


def fresh_home(home: Path, models: Path | None) -> Path:
    """A cold INSPECTOR_HOME with the prepared models copied in (not distilled again); one
    left by an earlier run in a --keep folder is removed first."""
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(models_source(models), home / "cache" / "models")
    return home


def analyze(
    data: Path,
    out: Path,
    *extra: str,
    models: Path | None = None,
    env_add=None,
    rss: PeakRss | None = None,
    home: Path | None = None,
) -> dict:
    """One ``inspector analyze`` in a subprocess, on a cold INSPECTOR_HOME (models copied);
    a failure is returned as ``{"failed": ..., "message": ...}``."""
    if home is None:
        home = fresh_home(out.parent / f"{out.name}-home", models)
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", INSPECTOR_HOME=str(home))
    env.pop("INSPECTOR_MODEL_DIR", None)
    env.update(env_add or {})
    before = load()
    t0 = time.monotonic()
    log = out.parent / f"{out.name}.log"
    with rss if rss is not None else PeakRss() as seen, log.open("w+") as sink:
        cli = [sys.executable, "-m", "inspector", "analyze", str(data), "--out", str(out)]
        proc = subprocess.Popen([*cli, *extra], stdout=sink, stderr=subprocess.STDOUT, env=env)
        seen.roots.add(proc.pid)
        code = proc.wait()
        sink.seek(0)
        said = sink.read()
    seconds = time.monotonic() - t0
    result: dict = {
        "seconds": round(seconds, 1),
        "load_before": before,
        "load_after": load(),
        "memory": seen.summary(),
        "cold_home_models_copied_from": str(models_source(models)),
    }
    if code:
        result["failed"] = code
        result["message"] = said[-4000:].strip()
        return result
    run = out / "run.json"
    if run.is_file():
        result["run"] = json.loads(run.read_text())
    rows = result.get("run", {}).get("rows") or 0
    result["rows_per_second"] = round(rows / max(seconds, 1e-9), 1)
    return result


def _stop_nodes(nodes: list[subprocess.Popen], tag: str) -> list[int]:
    """Stop each ``ray start --block`` by its pid (it stops its node's processes), the worker
    node first, then end by pid any process left whose command line names this run's Ray temp
    folder. ``ray stop`` is not used: it stops every Ray process on the machine, other
    people's too."""
    for node in reversed(nodes):
        node.terminate()
        try:
            node.wait(60)
        except subprocess.TimeoutExpired:
            node.kill()
            node.wait(10)
    left = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if tag in cmd:
            try:
                os.kill(int(entry.name), 9)
                left.append(int(entry.name))
            except OSError:
                pass
    return left


def two_node(
    data: Path, out: Path, *extra: str, port: int = 6391, models: Path | None = None
) -> dict:
    """A head and a worker node, each its own ``ray start --block`` process with one CPU and a
    temp folder of this run (stopped by their pids at the end, also on failure). Ray >= 2.5x
    turns token authentication on for ``ray start``: every node and the client read the token
    (RAY_AUTH_MODE=token)."""
    ray_tmp = Path(tempfile.mkdtemp(prefix="rb2n-", dir="/tmp"))  # short: socket paths
    # the nodes' workers load the model: they get the run's cold home too
    home = fresh_home(out.parent / f"{out.name}-home", models)
    env = dict(
        os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="token", INSPECTOR_HOME=str(home)
    )
    env.pop("INSPECTOR_MODEL_DIR", None)
    ray = shutil.which("ray") or "ray"
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--disable-usage-stats", "--block"]
    nodes: list[subprocess.Popen] = []
    logs = out.parent / f"{out.name}-nodes.log"
    result: dict = {"ray_temp_dir": str(ray_tmp)}
    rss = PeakRss()
    with logs.open("w") as log:
        try:
            head = [
                ray,
                "start",
                "--head",
                f"--port={port}",
                "--include-dashboard=false",
                f"--temp-dir={ray_tmp}",
            ]
            nodes.append(subprocess.Popen([*head, *common], env=env, stdout=log, stderr=log))
            rss.roots.add(nodes[-1].pid)
            time.sleep(15)
            worker = [ray, "start", f"--address=127.0.0.1:{port}", *common]
            nodes.append(subprocess.Popen(worker, env=env, stdout=log, stderr=log))
            rss.roots.add(nodes[-1].pid)
            time.sleep(15)
            result.update(
                analyze(
                    data,
                    out,
                    "--engine",
                    "ray",
                    "--ray-address",
                    f"127.0.0.1:{port}",
                    *extra,
                    models=models,
                    env_add={"RAY_AUTH_MODE": "token"},
                    rss=rss,
                    home=home,
                )
            )
            result["tasks_per_node"] = {
                "head": rss.tasks_under(nodes[0].pid),
                "worker": rss.tasks_under(nodes[1].pid),
            }
        except Exception as exc:  # recorded, the nodes still stopped below
            result["failed"] = repr(exc)
        finally:
            result["killed_left_over_pids"] = _stop_nodes(nodes, str(ray_tmp))
            shutil.rmtree(ray_tmp, ignore_errors=True)
    result["nodes_log_tail"] = logs.read_text()[-1500:]
    run = result.get("run", {})
    rows, cpus = run.get("rows", 0), run.get("workers", 1)
    result["rows_per_second_per_cpu"] = round(rows / max(result.get("seconds", 0), 1e-9) / cpus, 1)
    return result


def placement(fit: int, place: int, seed: int = 0) -> dict:
    """UMAP ``transform`` against interpolation from the nearest sample rows (see above)."""
    import warnings

    import numpy as np
    import umap
    from sklearn.manifold import trustworthiness

    from inspector.core.map.neighbors import top_k_rows
    from inspector.core.scale.output import PLACE_K

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, 64)).astype(np.float32)
    topic = rng.integers(0, 50, fit + place)
    v = centres[topic] + 0.35 * rng.normal(size=(fit + place, 64)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    vs, vr = v[:fit], v[fit:]
    load_before = [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    t0 = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reducer = umap.UMAP(n_neighbors=15, metric="cosine", min_dist=0.1, random_state=seed)
        xy_s = reducer.fit_transform(vs).astype(np.float32)
        fit_s = time.monotonic() - t0
        reducer.transform(vr[:256])  # numba compiles on the first call: not timed
        t0 = time.monotonic()
        xy_t = reducer.transform(vr).astype(np.float32)
    transform_s = time.monotonic() - t0
    t0 = time.monotonic()
    xy_i = np.zeros((place, 2), np.float32)
    for s in range(0, place, 2048):  # as write_block does, a block of 2,048 rows at a time
        idx, sims = top_k_rows(vr[s : s + 2048], vs, PLACE_K)
        w = np.maximum(sims, 0.0) + 1e-4
        xy_i[s : s + 2048] = np.einsum("ik,ikd->id", w, xy_s[idx]) / w.sum(1)[:, None]
    interp_s = time.monotonic() - t0
    scale = float(xy_s.std(axis=0).mean())
    shift = np.linalg.norm(xy_t - xy_i, axis=1) / scale
    check = rng.choice(place, min(3000, place), replace=False)
    from sklearn.neighbors import NearestNeighbors

    on_map = NearestNeighbors(n_neighbors=1).fit(xy_s)

    def near_topic(xy: np.ndarray) -> float:
        """Share of placed rows whose nearest sample point on the map is of their cluster."""
        nearest = on_map.kneighbors(xy[check], return_distance=False)[:, 0]
        return round(float(np.mean(topic[:fit][nearest] == topic[fit:][check])), 3)

    per = 100_000 / place
    return {
        "fit_rows": fit,
        "placed_rows": place,
        "vectors": "50 Gaussian clusters, 64 dims, sigma 0.35, normalised",
        "umap_fit_seconds": round(fit_s, 1),
        "transform_seconds_per_100k": round(transform_s * per, 2),
        "interpolation_seconds_per_100k": round(interp_s * per, 2),
        "interpolation_speedup": round(transform_s / max(interp_s, 1e-9), 1),
        "displacement_mean_in_layout_sd": round(float(shift.mean()), 3),
        "displacement_median_in_layout_sd": round(float(np.median(shift)), 3),
        "trustworthiness_k10_transform": round(
            float(trustworthiness(vr[check], xy_t[check], n_neighbors=10, metric="cosine")), 4
        ),
        "trustworthiness_k10_interpolation": round(
            float(trustworthiness(vr[check], xy_i[check], n_neighbors=10, metric="cosine")), 4
        ),
        "same_cluster_as_nearest_sample_point_transform": near_topic(xy_t),
        "same_cluster_as_nearest_sample_point_interpolation": near_topic(xy_i),
        "load_before": load_before,
        "load_after": [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]],
    }


def embed_profile(rows: int = 4096) -> dict:
    """The default model's throughput on the texts the analysis embeds ('all': prompt and
    answer; and the prompt alone), from this set's rows and from the shared sample: model2vec's
    own ``encode`` (one thread) against ``static_encode.ChunkEncoder`` (cold: a new cache; warm:
    the same rows again), in rows per CPU-second of this process (``time.process_time``, so
    less distorted by other jobs than wall time), with the tokenizer's share of model2vec's
    time. The vectors are compared element by element."""
    import numpy as np
    import polars as pl

    from inspector.core.data import formats
    from inspector.core.map.models import load_embedder
    from inspector.core.map.static_encode import ChunkEncoder

    model = load_embedder("default").model  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp:
        make_set(Path(tmp) / "d", rows)
        sets = {"bench_scale rows": Path(tmp) / "d" / "part-00000.jsonl", "shared sample": SAMPLE}
        out: dict = {"load_before": load()}
        for name, path in sets.items():
            frame = pl.read_ndjson(path)
            spec = formats.detect_format(frame)
            for field in ("all", "prompt"):
                expr = formats.embed_field_expr(spec, field, frame.schema).fill_null("")
                texts = frame.select(expr).to_series().to_list()[:rows]
                cut = [t[: model.max_length * model.median_token_length] for t in texts]
                model._set_max_length_in_tokenizer(model.max_length)
                t0 = time.process_time()
                ids = model.tokenize(cut)
                tokenize = time.process_time() - t0
                t0 = time.process_time()
                want = model.encode(texts, use_multiprocessing=False)
                old = time.process_time() - t0
                enc = ChunkEncoder(model)
                t0 = time.process_time()
                got = enc.encode(texts)
                cold = time.process_time() - t0
                t0 = time.process_time()
                enc.encode(texts)
                warm = time.process_time() - t0
                out[f"{name}, {field}"] = {
                    "rows": len(texts),
                    "chars_per_row": round(float(np.mean([len(t) for t in texts])), 1),
                    "tokens_per_row": round(sum(map(len, ids)) / len(texts), 1),
                    "model2vec_rows_per_cpu_s": round(len(texts) / old),
                    "model2vec_tokenizer_share": round(tokenize / old, 2),
                    "chunked_cold_rows_per_cpu_s": round(len(texts) / cold),
                    "chunked_warm_rows_per_cpu_s": round(len(texts) / warm),
                    "vectors_identical": bool(np.array_equal(got, want)),
                }
        out["load_after"] = load()
    return out


def per_cpu_rates(run: dict, cpus: int) -> dict:
    """Rows per second per CPU of each stage (from run.json's seconds per stage)."""
    rows = run.get("rows") or 0
    return {
        stage: round(rows / sec / cpus, 1)
        for stage, sec in (run.get("seconds_per_stage") or {}).items()
        if sec and sec > 0.05
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--skip-local", action="store_true")
    ap.add_argument("--skip-one-node", action="store_true", help="no one-node Ray run")
    ap.add_argument("--skip-two-node", action="store_true")
    ap.add_argument("--map-sample", type=int, default=100_000)
    ap.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl", help="shard format")
    ap.add_argument(
        "--output-chars", type=int, default=None, help="cut each answer to this many characters"
    )
    ap.add_argument("--models", type=Path, default=None, help="prepared models to copy in")
    ap.add_argument("--placement", action="store_true", help="only the placement comparison")
    ap.add_argument("--fit", type=int, default=20_000, help="--placement: UMAP's sample rows")
    ap.add_argument("--place", type=int, default=100_000, help="--placement: rows placed")
    ap.add_argument("--embed", action="store_true", help="only the embedding profile")
    ap.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="make the set and the outputs in this folder and keep them (to open the result)",
    )
    args = ap.parse_args()
    if args.embed:
        figures = embed_profile()
        results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
        results["embed_profile"] = figures
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(figures, indent=2))
        return
    if args.placement:
        figures = placement(args.fit, args.place)
        results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
        results["placement"] = figures
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(figures, indent=2))
        return
    work = args.keep if args.keep is not None else Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        data = work / "data"
        t0 = time.monotonic()
        made = data / ".complete"  # a kept set of the same rows and shape is used again
        shape = f"{args.rows} {args.format} {args.output_chars}"
        if not (made.is_file() and made.read_text() == shape):
            shutil.rmtree(data, ignore_errors=True)
            make_set(data, args.rows, fmt=args.format, output_chars=args.output_chars)
            made.write_text(shape)
        figures: dict = {
            "rows": args.rows,
            "make_seconds": round(time.monotonic() - t0, 1),
            "format": args.format,
            "output_chars": args.output_chars,
            "data_bytes": sum(f.stat().st_size for f in data.iterdir() if f.is_file()),
        }
        sample = ["--map-sample", str(args.map_sample)]
        if not args.skip_local:
            local = analyze(
                data, work / "local", "--project", str(work / "p.db"), models=args.models
            )
            if "run" in local:
                local["rows_per_second_per_stage"] = per_cpu_rates(local["run"], 1)
            figures["local"] = local
            save(args.rows, figures)
        if not args.skip_one_node:
            ray1 = analyze(
                data,
                work / "ray",
                "--engine",
                "ray",
                "--ray-cpus",
                "2",
                *sample,
                models=args.models,
            )
            if "run" in ray1:
                ray1["rows_per_second_per_cpu_per_stage"] = per_cpu_rates(ray1["run"], 2)
            figures["ray_one_node_2cpu"] = ray1
            stored = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
            local = figures.get("local") or stored.get(str(args.rows), {}).get("local", {})
            if "failed" not in local and "failed" not in ray1 and local:
                figures["ray_over_local"] = round(ray1["seconds"] / local["seconds"], 2)
            save(args.rows, figures)
        if not args.skip_two_node:
            two = two_node(data, work / "ray2", *sample, models=args.models)
            if "run" in two:
                two["rows_per_second_per_cpu_per_stage"] = per_cpu_rates(two["run"], 2)
            figures["ray_two_nodes_1cpu_each"] = two
            save(args.rows, figures)
        print(json.dumps(figures, indent=2))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def save(rows: int, figures: dict) -> None:
    """Merge into the results file after each run (runs with --skip-* add up)."""
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    results.setdefault(str(rows), {}).update(figures)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
