"""Benchmark labelling against the project store and print JSON.

    python3 benchmarks/bench_labels.py [--rows 100000] [--bulk 100000] [--single 300]

For each id rule (an id column; content sha256 ids):
- one decision per key press: seconds per command (median, p95), each committed with fsync;
- a bulk decision on ``--bulk`` rows (one command), its undo and its redo: seconds;
- the store's size on disk (database file, WAL) after each step;
- the decision-code array for the views, and exporting the filter file (Parquet): seconds.

Results also go to benchmarks/results/bench_labels.json.
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

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks/results/bench_labels.json"


def make_data(path: Path, rows: int, with_id: bool) -> None:
    import polars as pl

    frame = pl.DataFrame(
        {
            "instruction": [
                f"Write a short note about topic {i} and its history." for i in range(rows)
            ],
            "output": [
                f"Topic {i} began long ago; this answer is number {i}." for i in range(rows)
            ],
        }
    )
    if with_id:
        frame = frame.with_columns(pl.Series("id", [f"sample-{i:07d}" for i in range(rows)]))
    frame.write_ndjson(path)


def store_bytes(path: Path) -> dict[str, int]:
    """The database file and its WAL (which keeps its largest size until truncated)."""
    wal = path.with_name(path.name + "-wal")
    return {"db": path.stat().st_size, "wal": wal.stat().st_size if wal.exists() else 0}


def timed(fn):
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def bench(rows: int, bulk: int, single: int, with_id: bool, folder: Path) -> dict:
    from inspector.core.export.filterfile import export_filter
    from inspector.core.labels.labelbook import LabelBook
    from inspector.core.project import open_project

    data = folder / f"train-{'id' if with_id else 'hash'}.jsonl"
    make_data(data, rows, with_id)
    db = folder / f"project-{'id' if with_id else 'hash'}.sqlite"
    open_s, pr = timed(lambda: open_project(data, project_path=db))
    book = LabelBook(pr.store, pr.dataset, annotator="bench")
    out: dict = {"id_rule": pr.dataset.id_rule, "rows": rows, "open_s": round(open_s, 3)}

    rng = np.random.default_rng(0)
    presses = []
    for row in rng.choice(rows, size=single, replace=False).tolist():
        t, _ = timed(lambda row=row: book.decide(row, ("keep", "drop", "unsure")[row % 3]))
        presses.append(t)
    presses.sort()
    out["single_decision_s"] = {
        "n": single,
        "median": round(statistics.median(presses), 5),
        "p95": round(presses[int(0.95 * (len(presses) - 1))], 5),
        "max": round(presses[-1], 5),
    }
    out["store_bytes_after_single"] = store_bytes(db)
    for _ in range(single):  # back to an empty store for the bulk figures
        book.undo()

    target = np.sort(rng.choice(rows, size=min(bulk, rows), replace=False))
    bulk_s, changes = timed(lambda: book.decide(target, "drop", reason="cluster:1"))
    assert len(changes) == len(target)
    out["bulk_rows"] = len(target)
    out["bulk_decide_s"] = round(bulk_s, 3)
    out["store_bytes_after_bulk"] = store_bytes(db)
    codes_s, codes = timed(book.decision_codes)
    assert int((codes == 1).sum()) == len(target)
    out["decision_codes_s"] = round(codes_s, 3)
    export_s, _ = timed(
        lambda: export_filter(pr.dataset, pr.store, folder / "filter" / "filter.parquet")
    )
    out["export_parquet_s"] = round(export_s, 3)
    undo_s, undone = timed(book.undo)
    assert undone is not None and len(undone) == len(target)
    out["bulk_undo_s"] = round(undo_s, 3)
    redo_s, _ = timed(book.redo)
    out["bulk_redo_s"] = round(redo_s, 3)
    out["store_bytes_after_undo_redo"] = store_bytes(db)
    # a new command after an undo discards the redo branch (100k history rows deleted)
    book.undo()
    discard_s, _ = timed(lambda: book.decide(0, "keep"))
    out["new_command_discarding_bulk_redo_s"] = round(discard_s, 3)
    pr.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bulk", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=300)
    parser.add_argument("--folder", help="where to write the data and stores (default: temp)")
    args = parser.parse_args()
    os.environ.setdefault("INSPECTOR_HOME", tempfile.mkdtemp(prefix="inspector-bench-"))
    with tempfile.TemporaryDirectory(dir=args.folder) as tmp:
        results = {
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
            },
            "runs": [
                bench(args.rows, args.bulk, args.single, with_id, Path(tmp))
                for with_id in (True, False)
            ],
        }
    text = json.dumps(results, indent=2)
    print(text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text + "\n")


if __name__ == "__main__":
    main()
