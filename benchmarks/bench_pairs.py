"""Benchmark preference data (issue 16) and print JSON.

    python3 benchmarks/bench_pairs.py [--rows 100000] [--model default] [--prompts 300]

- analysis (``run_analysis``: map, exact/MinHash/semantic duplicates of whole pairs, each
  side near on its own (``junk.PairSides``), the
  quality rules, the pair checks, length bias) of ``--rows`` synthetic preference pairs made
  from benchmarks' real sample (/work/shared/data/alpaca_eval_pairs_sample.jsonl, or
  ``--sample``): groups of five pairs share a prompt and its chosen side (a real pair's,
  15% of the words replaced), each rejected side another real answer varied the same way;
  planted: 1% whole-pair copies, 0.5% swapped sides, 0.5% identical sides. Seconds per stage, peak RSS,
  and what was found against what was planted;
- the compare view (offscreen Qt): seconds from a key press to the next prompt shown,
  median and p95, over ``--prompts`` prompts of four answers each.

Results also go to benchmarks/results/bench_pairs.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks/results/bench_pairs.json"
SAMPLE = Path("/work/shared/data/alpaca_eval_pairs_sample.jsonl")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def vary(text: str, rng: np.random.Generator, share: float = 0.15) -> str:
    """``text`` with ``share`` of its words replaced: another text of the same kind, not a
    near copy (word 3-gram Jaccard well under 0.8)."""
    parts = text.split(" ")
    for _ in range(max(2, int(share * len(parts)))):
        parts[int(rng.integers(len(parts)))] = f"w{int(rng.integers(1_000_000))}"
    return " ".join(parts)


def make_pairs(sample: Path, rows: int, seed: int = 0) -> tuple[list[dict], dict[str, list[str]]]:
    """Groups of five pairs share a prompt and its chosen side (as a reference answer does
    in the real sample); each rejected side is another pair's answer, varied."""
    import polars as pl

    base = pl.read_ndjson(sample).select("prompt", "chosen", "rejected").rows()
    rng = np.random.default_rng(seed)
    out: list[dict] = []
    planted: dict[str, list[str]] = {"copy": [], "swapped": [], "identical": []}
    prompt = chosen = ""
    while len(out) < rows:
        i = len(out)
        if i % 5 == 0:
            b = base[int(rng.integers(len(base)))]
            prompt, chosen = vary(b[0], rng) + f" (case {i // 5})", vary(b[1], rng)
        rejected = vary(base[int(rng.integers(len(base)))][2], rng)
        rec = {"id": f"p{i:07d}", "prompt": prompt, "chosen": chosen, "rejected": rejected}
        kind = rng.random()
        if kind < 0.01 and out:
            rec = dict(out[-1], id=rec["id"])
            planted["copy"].append(rec["id"])
        elif kind < 0.015 and out:
            prev = out[-1]
            rec = dict(rec, prompt=prev["prompt"], chosen=prev["rejected"], rejected=prev["chosen"])
            planted["swapped"] += [prev["id"], rec["id"]]
        elif kind < 0.02:
            rec["rejected"] = rec["chosen"]
            planted["identical"].append(rec["id"])
        out.append(rec)
    return out, planted


def bench_analysis(args: argparse.Namespace, tmp: Path) -> dict:
    import polars as pl

    from inspector.core.jobs import Progress
    from inspector.core.junk.project_junk import AnalysisParams, run_analysis
    from inspector.core.map.project_map import MapParams
    from inspector.core.project import open_project

    t0 = time.perf_counter()
    rows, planted = make_pairs(Path(args.sample), args.rows)
    data = tmp / "pairs.jsonl"
    pl.DataFrame(rows).write_ndjson(data)
    made = time.perf_counter() - t0
    rss_before = peak_rss_mb()
    stages: dict[str, float] = {}
    state = {"stage": None, "t": time.perf_counter()}

    def update(p: Progress) -> None:
        if p.stage != state["stage"]:
            now = time.perf_counter()
            if state["stage"]:
                stages[state["stage"]] = stages.get(state["stage"], 0.0) + now - state["t"]
            state["stage"], state["t"] = p.stage, now

    t0 = time.perf_counter()
    project = open_project(data, project_path=tmp / "p.sqlite", progress=Progress())
    opened = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = run_analysis(
        project,
        AnalysisParams(map=MapParams(model=args.model), out_dir=str(tmp / "out")),
        Progress(on_update=update),
    )
    seconds = time.perf_counter() - t0
    if state["stage"]:
        stages[state["stage"]] = stages.get(state["stage"], 0.0) + time.perf_counter() - state["t"]
    t = result.table
    removed = t.filter(pl.col("dup_removed"))
    swapped = t.filter(pl.col("pairs.swapped_elsewhere.flag"))["id"].to_list()
    identical = t.filter(pl.col("pair.chosen_rejected_similarity.flag"))["id"].to_list()
    found = {
        "duplicate_removals": removed.height,
        "duplicate_removals_by_kind": dict(removed.group_by("dup_kind").len().rows()),
        "planted_copies_found": len(set(planted["copy"]) & set(removed["id"].to_list())),
        "planted_copies": len(planted["copy"]),
        "swapped_flagged": len(swapped),
        "planted_swapped_found": len(set(planted["swapped"]) & set(swapped)),
        "planted_swapped": len(planted["swapped"]),
        "identical_flagged": len(identical),
        "planted_identical_found": len(set(planted["identical"]) & set(identical)),
        "planted_identical": len(planted["identical"]),
        "same_prompt_chosen_flagged": int(t["pairs.same_prompt_chosen.flag"].sum()),
        "length_bias": {
            k: v for k, v in result.findings[0].items() if k not in ("finder", "message")
        },
    }
    project.close()
    return {
        "rows": args.rows,
        "model": result.model,
        "make_data_seconds": round(made, 2),
        "open_seconds": round(opened, 2),
        "analysis_seconds": round(seconds, 2),
        "stage_seconds": {k: round(v, 2) for k, v in stages.items()},
        "peak_rss_mb_before_analysis": round(rss_before, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "found": found,
    }


def bench_compare_view(prompts: int, tmp: Path) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from inspector.core.labels.labelbook import LabelBook
    from inspector.core.pairs.groups import prompt_groups
    from inspector.core.project import open_project
    from inspector.ui.review.compare_view import CompareView

    app = QApplication.instance() or QApplication([])
    rng = np.random.default_rng(1)
    words = "alpha beta gamma delta river stone cloud garden window forest ocean paper".split()
    rows = [
        {
            "id": f"u{i}",
            "prompt": f"Question {i}: " + " ".join(rng.choice(words, 20)),
            "completions": [
                "## Answer\n\n"
                + "\n".join(f"- {' '.join(rng.choice(words, 12))}" for _ in range(8))
                for _ in range(4)
            ],
        }
        for i in range(prompts)
    ]
    data = tmp / "uf.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    project = open_project(data, project_path=tmp / "uf.sqlite")
    book = LabelBook(project.store, project.dataset)
    view = CompareView(book, prompt_groups(project.dataset))
    view.resize(1600, 900)
    view.show()
    app.processEvents()

    def press(key: Qt.Key, mods=Qt.KeyboardModifier.NoModifier) -> None:
        QApplication.sendEvent(view, QKeyEvent(QEvent.Type.KeyPress, key, mods))

    times = []
    for _ in range(prompts - 1):
        press(Qt.Key.Key_1)
        app.processEvents()
        t0 = time.perf_counter()
        press(Qt.Key.Key_2, Qt.KeyboardModifier.ShiftModifier)  # decides: the next prompt
        app.processEvents()
        times.append(time.perf_counter() - t0)
    view.close()
    project.close()
    times.sort()
    return {
        "prompts": prompts,
        "answers_per_prompt": 4,
        "key_to_next_prompt_median_ms": round(1000 * statistics.median(times), 2),
        "key_to_next_prompt_p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 2),
        "note": "offscreen platform: layout and Markdown, no real paint to a display",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--model", default="default")
    parser.add_argument("--sample", default=str(SAMPLE))
    parser.add_argument("--prompts", type=int, default=300)
    args = parser.parse_args()
    report: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        report["analysis"] = bench_analysis(args, Path(tmp))
        print(json.dumps(report["analysis"], indent=1))
        report["compare_view"] = bench_compare_view(args.prompts, Path(tmp))
        print(json.dumps(report["compare_view"], indent=1))
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
