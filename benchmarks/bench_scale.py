"""The local engine against ``--engine ray`` on one synthetic set, and a two-node Ray run.

    python benchmarks/bench_scale.py --rows 1000000 [--skip-local] [--skip-two-node]

Rows are made from ``../shared/data/alpaca_eval_sample.jsonl`` with variations (a number and
a few random words added, 8% exact copies, 8% near copies), in shards of 250k rows. Each
run is ``inspector analyze`` in a subprocess; seconds per stage come from its ``run.json``
(Ray) and the wall clock; peak RSS per process is the largest resident size seen (polled
from /proc every 0.5 s) of each process of the run (the CLI, Ray's workers, raylet, GCS).
The two-node run starts a head and a worker node with ``ray start`` (127.0.0.1 only, one CPU
each), joins them with ``--ray-address``, then stops both. Results go to
``benchmarks/results/bench_scale.json`` (keyed by row count).
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
WORDS = "data model answer question table window river number market music light".split()


def make_set(folder: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    base = []
    if SAMPLE.is_file():
        for line in SAMPLE.read_text("utf-8").splitlines():
            rec = json.loads(line)
            base.append(
                {
                    "instruction": str(rec.get("instruction", "")),
                    "output": str(rec.get("output", "")),
                }
            )
    if not base:
        base = [{"instruction": "Say something.", "output": "Something."}]
    folder.mkdir(parents=True)
    made: list[dict] = []
    shard = 0
    out = None
    for i in range(rows):
        if i % SHARD_ROWS == 0:
            if out is not None:
                out.close()
            out = (folder / f"part-{shard:05d}.jsonl").open("w", encoding="utf-8")
            shard += 1
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
        assert out is not None
        out.write(json.dumps(rec) + "\n")
    if out is not None:
        out.close()


class PeakRss:
    """Largest VmRSS seen per process whose command line names ray or inspector."""

    def __init__(self) -> None:
        self.peak: dict[int, tuple[str, int]] = {}
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
                try:
                    cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                    if "ray" not in cmd and "inspector" not in cmd:
                        continue
                    for line in (entry / "status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            kb = int(line.split()[1])
                            old = self.peak.get(int(entry.name), ("", 0))[1]
                            if kb > old:
                                self.peak[int(entry.name)] = (cmd[:80], kb)
                except (OSError, ValueError):
                    continue
            self._stop.wait(0.5)

    def summary(self) -> dict:
        top = sorted(self.peak.values(), key=lambda v: -v[1])
        return {
            "max_process_rss_mb": round(top[0][1] / 1024, 1) if top else None,
            "processes": len(top),
            "top": [{"cmd": c, "rss_mb": round(kb / 1024, 1)} for c, kb in top[:5]],
        }


def analyze(data: Path, out: Path, *extra: str) -> dict:
    from inspector.core.paths import models_dir

    # a cold cache (the local engine would reuse vectors, graph and layout of an earlier
    # run on the same rows), the prepared models kept
    home = out.parent / f"{out.name}-home"
    env = dict(
        os.environ,
        RAY_USAGE_STATS_ENABLED="0",
        INSPECTOR_HOME=str(home),
        INSPECTOR_MODEL_DIR=str(models_dir()),
    )
    t0 = time.monotonic()
    with PeakRss() as rss:
        done = subprocess.run(
            [sys.executable, "-m", "inspector", "analyze", str(data), "--out", str(out), *extra],
            capture_output=True,
            text=True,
            env=env,
        )
    seconds = time.monotonic() - t0
    if done.returncode:
        raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
    result = {"seconds": round(seconds, 1), "memory": rss.summary()}
    run = out / "run.json"
    if run.is_file():
        result["run"] = json.loads(run.read_text())
    return result


def two_node(data: Path, out: Path, port: int = 6391) -> dict:
    """A head and a worker node, each its own ``ray start --block`` process (stopped by
    their pids at the end). Ray >= 2.5x turns token authentication on for ``ray start``:
    every node and the client read the token (RAY_AUTH_MODE=token)."""
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="token")
    ray = shutil.which("ray") or "ray"
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--disable-usage-stats", "--block"]
    nodes = []
    logs = out.parent / f"{out.name}-nodes.log"
    with logs.open("w") as log:
        try:
            head = [ray, "start", "--head", f"--port={port}", "--include-dashboard=false"]
            nodes.append(subprocess.Popen([*head, *common], env=env, stdout=log, stderr=log))
            time.sleep(15)
            worker = [ray, "start", f"--address=127.0.0.1:{port}", *common]
            nodes.append(subprocess.Popen(worker, env=env, stdout=log, stderr=log))
            time.sleep(15)
            os.environ["RAY_AUTH_MODE"] = "token"
            result = analyze(data, out, "--engine", "ray", "--ray-address", f"127.0.0.1:{port}")
        finally:
            for node in reversed(nodes):
                node.terminate()
                try:
                    node.wait(60)
                except subprocess.TimeoutExpired:
                    node.kill()
    run = result.get("run", {})
    rows, cpus = run.get("rows", 0), run.get("workers", 1)
    result["rows_per_second_per_cpu"] = round(rows / max(result["seconds"], 1e-9) / cpus, 1)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--skip-local", action="store_true")
    ap.add_argument("--skip-two-node", action="store_true")
    ap.add_argument("--map-sample", type=int, default=100_000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        data = work / "data"
        t0 = time.monotonic()
        make_set(data, args.rows)
        figures: dict = {"rows": args.rows, "make_seconds": round(time.monotonic() - t0, 1)}
        sample = ["--map-sample", str(args.map_sample)]
        if not args.skip_local:
            figures["local"] = analyze(data, work / "local", "--project", str(work / "p.db"))
        figures["ray_one_node_2cpu"] = analyze(
            data, work / "ray", "--engine", "ray", "--ray-cpus", "2", *sample
        )
        if "local" in figures:
            figures["ray_over_local"] = round(
                figures["ray_one_node_2cpu"]["seconds"] / figures["local"]["seconds"], 2
            )
        if not args.skip_two_node:
            figures["ray_two_nodes_1cpu_each"] = two_node(data, work / "ray2")
        results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
        results.setdefault(str(args.rows), {}).update(figures)  # runs with --skip-* add up
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(figures, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
