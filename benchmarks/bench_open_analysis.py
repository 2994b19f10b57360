"""Opening a finished analysis of N rows (the Ray engine's sharded shape, written directly:
no embedding) with its data, nothing recomputed.

    python benchmarks/bench_open_analysis.py --rows 1000000 [--window]
    python benchmarks/bench_open_analysis.py --analysis DIR --data PATH [--window]

Stages, each timed: open the data (an id column, so no content hashes), check and read the
analysis (``core.scale.open_analysis.open_analysis``: manifest, filter, shards, map arrays,
proposals), store the proposals (``adopt_analysis``); with ``--window``, the real window
offscreen from ``open_with`` to the map shown and the Issues lists filled, then a review
session over every row (decision key to the next sample painted, undo) and paging through
the lazy table. Results go to
``benchmarks/results/bench_open_analysis.json`` (keyed by row count), with ``uptime``'s load.
``--analysis DIR --data PATH`` opens an engine's real output instead (content-hash ids, as
that run made them); keyed ``<rows>_<engine>_engine_output``.
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


def core_figures(data: Path, out: Path, work: Path, id_column: str | None = "id") -> dict:
    from inspector.core.project import open_project
    from inspector.core.scale.open_analysis import adopt_analysis, open_analysis

    t0 = time.monotonic()
    project = open_project(str(data), id_column=id_column, project_path=str(work / "p.sqlite"))
    t1 = time.monotonic()
    rss = {"open_data": peak_rss_gb()}
    opened = open_analysis(project.dataset, out)
    t2 = time.monotonic()
    rss["open_analysis"] = peak_rss_gb()
    stored = adopt_analysis(project, opened)
    t3 = time.monotonic()
    rss["store_proposals"] = peak_rss_gb()
    project.close()
    return {
        "peak_rss_gb_after": rss,
        "open_data_s": round(t1 - t0, 2),
        "open_analysis_s": round(t2 - t1, 2),
        "store_proposals_s": round(t3 - t2, 2),
        "proposals": stored,
        "shards": len(list((out / "analysis.parquet").glob("*.parquet")))
        if (out / "analysis.parquet").is_dir()
        else 1,
    }


def window_figures(data: Path, out: Path, work: Path, id_column: str | None = "id") -> dict:
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
    opener.open_with(str(data), out, id_column=id_column, project_path=str(work / "w.sqlite"))
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
    keys = review_keys(app, window) if opener.opened is not None else None
    scroll = scroll_table(app, window)
    result = {
        "review_keys": keys,
        "table_scroll": scroll,
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


def _stats_ms(values: list[float]) -> dict:
    import numpy as np

    a = np.asarray(values) * 1000
    return {
        "n": len(a),
        "median_ms": round(float(np.median(a)), 1),
        "p95_ms": round(float(np.percentile(a, 95)), 1),
        "max_ms": round(float(a.max()), 1),
    }


def review_keys(app, window, keys: int = 200) -> dict:
    """A review session over every row of the opened analysis: seconds from each decision key
    to the paint of the next sample (as bench_session measures it), and undo."""
    from PySide6.QtCore import QEvent, QObject, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    review = window.features.review
    t0 = time.perf_counter()
    session = review.start("all")
    app.processEvents()
    start_s = time.perf_counter() - t0
    view = review.view
    painted: list[tuple[float, object]] = []

    class PaintHook(QObject):
        def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
            if event.type() == QEvent.Type.Paint:
                painted.append((time.perf_counter(), view.sample.row))
            return False

    hook = PaintHook()
    view.sample.viewport().installEventFilter(hook)

    def key_to_paint(key) -> float:
        widget = QApplication.focusWidget()
        painted.clear()
        t = time.perf_counter()
        QTest.keyClick(widget, key)
        want = session.current_row()
        deadline = t + 5
        while time.perf_counter() < deadline:
            app.processEvents()
            if any(row == want for _t, row in painted):
                break
        else:
            raise RuntimeError(f"row {want} was never painted")
        return next(p for p, row in painted if row == want) - t

    for _ in range(10):  # warm up the text engine and SQLite's page cache
        key_to_paint(Qt.Key.Key_Right)
    decide = [Qt.Key.Key_A, Qt.Key.Key_X, Qt.Key.Key_Space, Qt.Key.Key_X]
    totals = [key_to_paint(decide[n % len(decide)]) for n in range(keys)]
    undo = [key_to_paint(Qt.Key.Key_Backspace) for _ in range(30)]
    view.sample.viewport().removeEventFilter(hook)
    counts = review.hub.book.counts() if review.hub.book is not None else None
    review.leave()
    app.processEvents()
    return {
        "session_start_s": round(start_s, 2),
        "decision_key_to_paint": _stats_ms(totals),
        "undo_key_to_paint": _stats_ms(undo),
        "decisions_saved": counts,
    }


def scroll_table(app, window, pages: int = 40) -> dict:
    """Page through the table from the middle: each step moves a screenful down, fetching rows
    lazily, and is timed to its repaint."""
    table = window.table
    bar = table.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    app.processEvents()
    times = []
    for _ in range(pages):
        t = time.perf_counter()
        bar.setValue(bar.value() + bar.pageStep())
        table.viewport().repaint()
        app.processEvents()
        times.append(time.perf_counter() - t)
    return _stats_ms(times)


def peak_rss_gb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)


def main() -> None:
    import open_analysis_builders as oab

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument(
        "--analysis",
        type=Path,
        default=None,
        help="an engine's output folder to open (with --data) instead of a synthetic one",
    )
    ap.add_argument("--data", type=Path, default=None, help="the data --analysis was made from")
    ap.add_argument("--window", action="store_true", help="also the real window, offscreen")
    ap.add_argument(
        "--window-only", action="store_true", help="the window alone (no separate core steps)"
    )
    args = ap.parse_args()
    if (args.analysis is None) != (args.data is None):
        ap.error("--analysis and --data go together")
    work = Path(tempfile.mkdtemp(prefix="bench-open-analysis-"))
    os.environ.setdefault("INSPECTOR_HOME", str(work / "home"))
    try:
        t0 = time.monotonic()
        if args.analysis is not None:  # a real run: ids are content hashes, no id column
            data, out, id_column = args.data, args.analysis, None
            run = json.loads((out / "run.json").read_text())
            key = f"{run['rows']}_{run['engine']}_engine_output"
        else:
            data, out = oab.synthetic_analysis(work / "set", args.rows)
            id_column, key = "id", str(args.rows)
        figures: dict = {
            "rows": args.rows if args.analysis is None else run["rows"],
            "make_seconds": round(time.monotonic() - t0, 1),
            "load_before": load(),
        }
        if not args.window_only:
            figures["core"] = core_figures(data, out, work, id_column)
        if args.analysis is not None:
            figures["analysis"] = str(out)
        if args.window or args.window_only:
            figures["window"] = window_figures(data, out, work, id_column)
        figures["peak_rss_gb"] = peak_rss_gb()
        figures["load_after"] = load()
        results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
        results[key] = figures
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps(figures, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
