"""Does the window stay responsive while the map is computed?

Opens the real window on the AlpacaEval sample (or a 20k-row variant made from it), lets the
map job run (embedding → neighbours → layout → clusters, then drawing the results on the main
thread) and, all along, has a 10 ms QTimer on the main thread note when it fires. A *stall* is
how late a tick came (gap between ticks minus 10 ms): what a user would feel as a frozen
window. Each stall over 50 ms is attributed to the job's stage at the time and to what the
worker thread was running (sampled by a watchdog thread), to tell main-thread work from a
worker holding the GIL. ``during_map`` runs from the map job's start to a second after its
results are drawn; ``during_open`` is opening the file and the window taking in the new
dataset (table, sample pane, map dock reset) before the job starts.

Runs cold (fresh caches: everything computed) and warm (the same dataset again: caches),
with the job in a child process (as the app does) and, for comparison, on a worker thread;
then 10 s with nothing running, the baseline a loaded machine gives by itself.
The default model is prepared beforehand (its one-time distillation is not part of a run).

    INSPECTOR_MODEL_DIR=/tmp/inspector-models QT_QPA_PLATFORM=offscreen \
        python3 benchmarks/bench_ui_responsiveness.py [--rows 20000] [--field all] [--modes process]

prints JSON and writes benchmarks/results/bench_ui_responsiveness.json (one entry per size).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if "INSPECTOR_HOME" not in os.environ:
    os.environ["INSPECTOR_HOME"] = tempfile.mkdtemp(prefix="inspector-bench-ui-")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT.parent / "shared" / "data" / "alpaca_eval_sample.jsonl"
TICK_MS = 10
STALL_MS = 50
RESULTS = ROOT / "benchmarks" / "results" / "bench_ui_responsiveness.json"


def variant(rows: int, folder: Path) -> Path:
    """The sample, or ``rows`` rows made from it: copy c of row i gets a sentence of another
    row's answer appended to its instruction, so texts differ as in a real larger set."""
    if rows <= 0:
        return SAMPLE
    records = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    n = len(records)
    out = []
    for j in range(rows):
        c, i = divmod(j, n)
        r = dict(records[i])
        if c:
            other = records[(i * 7 + c * 131) % n]["output"]
            sentence = other.split(". ")[min(c, len(other.split(". ")) - 1)][:200]
            r["instruction"] = f"{r['instruction']} {sentence}"
            r["id"] = f"{r['id']}#{c}"
        out.append(r)
    path = folder / f"alpaca_{rows}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out))
    return path


class Watch:
    """The 10 ms ticker on the main thread and a watchdog that samples the worker when a tick
    is late."""

    def __init__(self, app, window) -> None:
        from PySide6.QtCore import QTimer

        self.window = window
        self.ticks: list[float] = []
        self.stages: list[str] = []
        self.samples: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self._main_id = threading.get_ident()
        self._dog = threading.Thread(target=self._watchdog, daemon=True)

    def start(self) -> None:
        self.ticks.append(time.perf_counter())
        self.stages.append(self._stage())
        self.timer.start()
        self._dog.start()

    def stop(self) -> None:
        self.timer.stop()
        self._stop.set()
        self._dog.join(1)

    def _stage(self) -> str:
        job = self.window.jobs.current("map")
        return job.progress.stage if job is not None else "(drawing / idle)"

    def _tick(self) -> None:
        self.ticks.append(time.perf_counter())
        self.stages.append(self._stage())

    def _watchdog(self) -> None:
        while not self._stop.wait(0.005):
            late = time.perf_counter() - self.ticks[-1]
            if late * 1000 < TICK_MS + 30:
                continue
            frames = sys._current_frames()
            where = []
            for ident, frame in frames.items():
                if ident in (self._main_id, threading.get_ident()):
                    continue
                stack = traceback.extract_stack(frame)
                inner = [
                    f for f in stack if "inspector" in f.filename or "site-packages" in f.filename
                ]
                if inner:
                    top = inner[-1]
                    where.append(f"{Path(top.filename).name}:{top.name}")
            main = (
                traceback.extract_stack(frames.get(self._main_id))
                if self._main_id in frames
                else []
            )
            main_top = f"{Path(main[-1].filename).name}:{main[-1].name}" if main else "?"
            self.samples.append(
                (self.ticks[-1], f"main={main_top} worker={','.join(where) or '-'}")
            )

    def report(self, t0: float, t1: float) -> dict:
        ticks = np.array(self.ticks)
        stages = self.stages
        keep = (ticks[1:] >= t0) & (ticks[:-1] <= t1)
        gaps = np.diff(ticks)[keep] * 1000.0
        stall = np.maximum(gaps - TICK_MS, 0.0)
        by_stage: dict[str, float] = {}
        late: list[dict] = []
        starts = ticks[:-1][keep]
        names = [stages[i + 1] for i in np.flatnonzero(keep)]
        for s, when, stage in zip(stall, starts, names):
            by_stage[stage] = max(by_stage.get(stage, 0.0), round(float(s), 1))
            if s > STALL_MS:
                seen = sorted({w for t, w in self.samples if t == when})
                late.append(
                    {"at_s": round(when - t0, 2), "stall_ms": round(float(s), 1),
                     "stage": stage, "threads": seen[:3]}
                )  # fmt: skip
        return {
            "ticks": int(gaps.size),
            "max_stall_ms": round(float(stall.max()), 1) if stall.size else 0.0,
            "p99_stall_ms": round(float(np.percentile(stall, 99)), 1) if stall.size else 0.0,
            "p50_stall_ms": round(float(np.percentile(stall, 50)), 1) if stall.size else 0.0,
            "stalls_over_50ms": int((stall > STALL_MS).sum()),
            "max_stall_by_stage_ms": by_stage,
            "stalls": sorted(late, key=lambda d: -d["stall_ms"])[:12],
        }


def run_once(app, path: Path, field: str, label: str, mode: str, idle_s: float = 0.0) -> dict:
    """Open ``path`` in a new window, let its map be computed (``mode`` "process": the job in
    a child process, as the app does; "thread": on the job runner's thread) and measure the
    stalls; ``idle_s`` > 0 then also measures that long with nothing running (the baseline
    the machine itself gives)."""
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    import inspector.ui.map.map_compute as map_compute
    from inspector.core.map.project_map import MapParams
    from inspector.ui.shell.features import install_map
    from inspector.ui.shell.main_window import MainWindow

    map_compute.ISOLATE = mode == "process"
    QSettings().clear()
    QSettings().setValue("map/embed_field", field)
    window = MainWindow()
    panel = install_map(window)
    window.show()
    # What the results cost on the main thread, step by step (each its own event-loop turn).
    handler_ms: dict[str, list[float]] = {}

    def timed(name, fn):
        def wrapper(*args):
            t = time.perf_counter()
            try:
                return fn(*args)
            finally:
                handler_ms.setdefault(name, []).append(round((time.perf_counter() - t) * 1000, 1))

        return wrapper

    window.datasetOpened.disconnect(panel.dataset_opened)
    for name in ("dataset_opened", "_show_points", "_show_clusters", "_finish"):
        owner = panel.computer if name == "_finish" else panel  # the job half draws the end
        setattr(owner, name, timed(name.strip("_"), getattr(owner, name)))
    window.datasetOpened.connect(panel.dataset_opened)
    loop = QEventLoop()
    for _ in range(20):  # the window's first layout and paint are not part of the figures
        app.processEvents()
        time.sleep(0.01)
    watch = Watch(app, window)
    watch.start()
    opened = [0.0]
    window.datasetOpened.connect(lambda _p: opened.__setitem__(0, time.perf_counter()))
    job_started: list[float] = []
    window.jobs.started.connect(
        lambda job: job_started.append(time.perf_counter()) if job.kind == "map" else None
    )
    # A real event loop, as in the app: Python runs only in slots and paints.
    marks: dict[str, float] = {}

    def check() -> None:
        if "done" in marks:
            return
        if panel.result is not None or "Could not" in panel.message.text():
            marks["done"] = time.perf_counter()
            QTimer.singleShot(1000, loop.quit)  # and the drawing the results cause
        elif time.perf_counter() - marks["open"] > 1200:
            loop.quit()

    checker = QTimer()
    checker.setInterval(20)
    checker.timeout.connect(check)
    checker.start()
    marks["open"] = t_open = time.perf_counter()
    QTimer.singleShot(0, lambda: window.open_path(str(path)))
    loop.exec()
    checker.stop()
    if "done" not in marks:
        raise TimeoutError("the map took over 20 minutes")
    t_done = marks["done"]
    settle = time.perf_counter()
    if idle_s:
        QTimer.singleShot(int(idle_s * 1000), loop.quit)
        loop.exec()
    watch.stop()
    result = panel.result
    out = {
        "run": label,
        "mode": mode,
        "rows": window.project.dataset.height if window.project else 0,
        "params": (panel.params or MapParams()).to_json(),
        "open_s": round(opened[0] - t_open, 2),
        "map_s": round(t_done - opened[0], 2),
        "stage_s": {k: round(v, 2) for k, v in (result.timings if result else {}).items()},
        "clusters": len(result.names_coarse) if result else 0,
        "main_thread_steps_ms": handler_ms,
        # From the job's start to a second after its results are drawn: what the map costs.
        "during_map": watch.report(job_started[0] if job_started else opened[0], settle),
        # Opening the file and the window taking in the new dataset (table, sample pane, the
        # map dock reset), before the map job starts.
        "during_open": watch.report(t_open, job_started[0] if job_started else opened[0]),
    }
    if idle_s:
        out["idle_baseline"] = watch.report(settle + 0.5, time.perf_counter())
    window.close()
    window.deleteLater()
    app.processEvents()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=0, help="0: the 2,415-row sample")
    parser.add_argument("--field", default="prompt", help="the text embedded (prompt, all, …)")
    parser.add_argument("--modes", default="process,thread", help="process and/or thread")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle baseline")
    args = parser.parse_args()

    from inspector.core.map.models import prepare_default
    from inspector.ui.shell.app import make_app

    prepare_default()  # once; not part of what is measured
    app = make_app()
    home = Path(os.environ["INSPECTOR_HOME"])
    load_before = os.getloadavg()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        path = variant(args.rows, Path(tmp))
        for mode in args.modes.split(","):
            os.environ["INSPECTOR_HOME"] = str(home / mode)  # fresh caches: a cold first run
            for label in ("cold", "warm"):
                idle = args.idle if label == "warm" and mode == "process" else 0.0
                runs.append(run_once(app, path, args.field, label, mode, idle))
    summary = {
        f"{r['mode']} {r['run']}": {
            "map_s": r["map_s"],
            "max_stall_ms": r["during_map"]["max_stall_ms"],
            "p99_stall_ms": r["during_map"]["p99_stall_ms"],
            "stalls_over_50ms": r["during_map"]["stalls_over_50ms"],
            "open_max_stall_ms": r["during_open"]["max_stall_ms"],
        }
        for r in runs
    }
    for r in runs:
        if "idle_baseline" in r:
            b = r["idle_baseline"]
            summary["idle baseline"] = {
                "max_stall_ms": b["max_stall_ms"],
                "p99_stall_ms": b["p99_stall_ms"],
                "stalls_over_50ms": b["stalls_over_50ms"],
            }
    figures = {
        "dataset": path.name,
        "embed_field": args.field,
        "tick_ms": TICK_MS,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "load_average": [round(x, 1) for x in (*load_before, *os.getloadavg())],
        "summary": summary,
        "runs": runs,
    }
    print(json.dumps(figures, indent=2))
    existing = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    existing[f"{figures['dataset']}:{args.field}"] = figures
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(existing, indent=2) + "\n")


if __name__ == "__main__":
    main()
