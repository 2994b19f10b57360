"""Benchmark a review session in the real window and print JSON.

    python3 benchmarks/bench_session.py [--rows 1000000] [--keys 300] [--bulk 100000]

- key press → next sample painted: a real key press (QTest.keyClick on the focused session
  view) until the sample view has painted the next sample (a paint-event hook), for decision
  keys (commit to SQLite with fsync, then advance) and for plain moves; median, p95, max;
- every row selected (what Ctrl+A ends in) until the table has repainted, then a sort by length
  with them all selected;
- bulk: label ``--bulk`` selected rows through Labels ▸ Label Selection (the function the
  confirmation ends in), then Edit ▸ Undo, each until the table has repainted;
- the decision filter on the table at that size.

The dataset is a Parquet file of short rows with an id column, made in memory. Runs on the
offscreen Qt platform (set QT_QPA_PLATFORM=xcb to time a real display). Results also go to
benchmarks/results/bench_session.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks/results/bench_session.json"


def make_data(path: Path, rows: int) -> float:
    import polars as pl

    t = time.perf_counter()
    i = pl.int_range(rows, dtype=pl.Int64).cast(pl.String)
    frame = pl.select(
        ("id-" + i).alias("id"),
        ("Write a short note about topic " + i + " and its history.").alias("instruction"),
        ("Topic " + i + " began long ago; this is answer " + i + ".").alias("output"),
    )
    frame.write_parquet(path, row_group_size=100_000)
    return time.perf_counter() - t


def stats(values: list[float]) -> dict:
    ms = sorted(v * 1000 for v in values)
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[max(0, int(round(0.95 * len(ms))) - 1)], 2),
        "max_ms": round(ms[-1], 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keys", type=int, default=300)
    ap.add_argument("--bulk", type=int, default=100_000)
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()

    home = tempfile.mkdtemp(prefix="inspector-bench-home-")
    os.environ["INSPECTOR_HOME"] = home
    import numpy as np
    from PySide6.QtCore import QEvent, QObject, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from inspector.ui.shell.app import make_app
    from inspector.ui.shell.features import install_review
    from inspector.ui.shell.main_window import MainWindow

    app = make_app()
    tmp = Path(tempfile.mkdtemp(prefix="inspector-bench-"))
    data = tmp / "rows.parquet"
    make_s = make_data(data, args.rows)

    window = MainWindow()
    review = install_review(window)
    window.show()
    QTest.qWaitForWindowExposed(window)
    opened: list[object] = []
    window.datasetOpened.connect(opened.append)
    t = time.perf_counter()
    window.open_path(data, project_path=tmp / "project.sqlite")
    while not opened:
        app.processEvents()
        time.sleep(0.002)
    open_s = time.perf_counter() - t

    t = time.perf_counter()
    session = review.start("all")
    app.processEvents()
    start_s = time.perf_counter() - t

    view = review.view
    painted: list[tuple[float, int | None]] = []

    class PaintHook(QObject):
        def eventFilter(self, obj, event) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                painted.append((time.perf_counter(), view.sample.row))
            return False

    hook = PaintHook()
    view.sample.viewport().installEventFilter(hook)

    def key_to_paint(key) -> tuple[float, float]:
        """Seconds from the key press to the paint of the sample now current; and the part
        spent inside the key press (commit, advance, layout of the next sample)."""
        widget = QApplication.focusWidget()
        painted.clear()
        t0 = time.perf_counter()
        QTest.keyClick(widget, key)
        handled = time.perf_counter() - t0
        want = session.current_row()
        deadline = t0 + 5
        while time.perf_counter() < deadline:
            app.processEvents()
            if any(row == want for _t, row in painted):
                break
        else:
            raise RuntimeError(f"row {want} was never painted")
        t1 = next(t for t, row in painted if row == want)
        return t1 - t0, handled

    for _ in range(10):  # warm up the text engine and SQLite's page cache
        key_to_paint(Qt.Key.Key_Right)
    decide_keys = [Qt.Key.Key_A, Qt.Key.Key_X, Qt.Key.Key_Space, Qt.Key.Key_X]
    decide_total, decide_in_key, move_total = [], [], []
    for n in range(args.keys):
        total, inside = key_to_paint(decide_keys[n % len(decide_keys)])
        decide_total.append(total)
        decide_in_key.append(inside)
        if n % 3 == 0:
            move_total.append(key_to_paint(Qt.Key.Key_Right)[0])
    undo_total = [key_to_paint(Qt.Key.Key_Backspace)[0] for _ in range(30)]
    view.sample.viewport().removeEventFilter(hook)
    assert review.hub.book is not None
    counts_after_keys = review.hub.book.counts()

    # -- selecting and sorting every row --------------------------------------------------
    review.leave()
    app.processEvents()
    t = time.perf_counter()
    window.select_rows(np.arange(args.rows, dtype=np.int64))  # what Ctrl+A ends in
    window.table.viewport().repaint()
    app.processEvents()
    select_all_s = time.perf_counter() - t
    t = time.perf_counter()
    window.sort_by("length", descending=True)
    window.table.viewport().repaint()
    app.processEvents()
    sort_all_selected_s = time.perf_counter() - t
    assert len(window.selected_rows()) == args.rows
    window.sort_by("")
    window.select_rows(np.zeros(0, dtype=np.int64))
    app.processEvents()

    # -- bulk through the UI path ----------------------------------------------------------
    window.select_rows(np.arange(args.bulk, dtype=np.int64))
    app.processEvents()
    t = time.perf_counter()
    changes = review.selection.label_selection("drop", confirm=False)
    window.table.viewport().repaint()
    app.processEvents()
    bulk_s = time.perf_counter() - t
    assert changes is not None
    bulk_changed = len(changes)
    t = time.perf_counter()
    window.actions.trigger("edit.undo")
    window.table.viewport().repaint()
    app.processEvents()
    bulk_undo_s = time.perf_counter() - t
    after_undo = review.hub.book.counts()
    window.actions.trigger("edit.redo")
    app.processEvents()
    t = time.perf_counter()
    review.decision_filter.set_choice("drop")
    app.processEvents()
    filter_s = time.perf_counter() - t
    shown_drop = len(window.view_rows())
    window.close()
    app.processEvents()

    result = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "qt_platform": os.environ.get("QT_QPA_PLATFORM"),
            "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
        },
        "rows": args.rows,
        "make_parquet_s": round(make_s, 2),
        "open_s": round(open_s, 2),
        "start_session_all_rows_s": round(start_s, 3),
        "key_to_next_sample_painted": {
            "decision_keys": stats(decide_total),
            "decision_keys_inside_key_press": stats(decide_in_key),
            "move_keys": stats(move_total),
            "undo_key": stats(undo_total),
            "target_p95_ms": 30,
        },
        "counts_after_keys": counts_after_keys,
        "every_row_selected": {
            "select_all_and_paint_s": round(select_all_s, 3),
            "sort_by_length_and_paint_s": round(sort_all_selected_s, 3),
        },
        "bulk": {
            "rows": args.bulk,
            "changed": bulk_changed,
            "label_selection_drop_s": round(bulk_s, 2),
            "edit_undo_s": round(bulk_undo_s, 2),
            "counts_after_undo": after_undo,
        },
        "decision_filter": {"drop_rows_shown": shown_drop, "seconds": round(filter_s, 3)},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if not args.no_write:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
