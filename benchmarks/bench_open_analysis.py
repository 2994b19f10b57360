"""Opening a finished analysis of N rows (the Ray engine's sharded shape, written directly:
no embedding) with its data, nothing recomputed.

    python benchmarks/bench_open_analysis.py --rows 1000000 [--window]

Stages, each timed: open the data (an id column, so no content hashes), check and read the
analysis (``core.scale.open_analysis.open_analysis``: manifest, filter, shards, map arrays,
proposals), store the proposals (``adopt_analysis``); with ``--window``, the real window
offscreen from ``open_with`` to the map shown and the Issues lists filled. Results go to
``benchmarks/results/bench_open_analysis.json`` (keyed by row count), with ``uptime``'s load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "bench_open_analysis.json"
sys.path.insert(0, str(ROOT / "tests"))  # the tests' builder of synthetic analyses


def load() -> list[float]:
    """1, 5 and 15 minute load averages (2 cores shared with other jobs)."""
    return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]


def core_figures(data: Path, out: Path, work: Path) -> dict:
    from inspector.core.project import open_project
    from inspector.core.scale.open_analysis import adopt_analysis, open_analysis

    t0 = time.monotonic()
    project = open_project(str(data), id_column="id", project_path=str(work / "p.sqlite"))
    t1 = time.monotonic()
    opened = open_analysis(project.dataset, out)
    t2 = time.monotonic()
    stored = adopt_analysis(project, opened)
    t3 = time.monotonic()
    project.close()
    return {
        "open_data_s": round(t1 - t0, 2),
        "open_analysis_s": round(t2 - t1, 2),
        "store_proposals_s": round(t3 - t2, 2),
        "proposals": stored,
        "shards": len(list((out / "analysis.parquet").glob("*.parquet")))
        if (out / "analysis.parquet").is_dir()
        else 1,
    }


def window_figures(data: Path, out: Path, work: Path) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from inspector.ui.shell.app import build_window, configure_settings

    configure_settings()
    app = QApplication.instance() or QApplication([])
    window = build_window()
    window.resize(1400, 900)
    window.show()
    opener = window.features.open_analysis
    t0 = time.monotonic()
    opener.open_with(str(data), out, id_column="id", project_path=str(work / "w.sqlite"))
    painted = None
    while opener.opened is None and opener.message_box is None and time.monotonic() - t0 < 600:
        app.processEvents()
        if painted is None and window.model.rowCount():
            window.table.viewport().repaint()
            painted = time.monotonic() - t0
        time.sleep(0.005)
    shown = time.monotonic() - t0
    panel = window.features.map
    panel.view.refresh()
    frame0 = time.monotonic()
    panel.view.refresh(exact=True)
    app.processEvents()
    frame = time.monotonic() - frame0
    result = {
        "table_painted_s": None if painted is None else round(painted, 2),
        "map_and_issues_shown_s": round(shown, 2),
        "map_mode": panel.view.render_mode(),
        "map_frame_ms": round(frame * 1000, 1),
        "map_job_ran": window.jobs.current("map") is not None,
        "error": None if opener.last_error is None else str(opener.last_error)[:300],
    }
    window.jobs.shutdown()
    window.close()
    return result


def main() -> None:
    import open_analysis_builders as oab

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--window", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-open-analysis-"))
    os.environ.setdefault("INSPECTOR_HOME", str(work / "home"))
    try:
        t0 = time.monotonic()
        data, out = oab.synthetic_analysis(work / "set", args.rows)
        figures: dict = {
            "rows": args.rows,
            "make_seconds": round(time.monotonic() - t0, 1),
            "load_before": load(),
            "core": core_figures(data, out, work),
        }
        if args.window:
            figures["window"] = window_figures(data, out, work)
        figures["load_after"] = load()
        results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
        results[str(args.rows)] = figures
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(figures, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
