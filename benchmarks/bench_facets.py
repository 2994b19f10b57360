"""Facets at a million rows: the time of a facet update (counts for 5 charts and the combined
row mask) and the map's frame time while a facet filter greys out half the points.

    QT_QPA_PLATFORM=offscreen python3 benchmarks/bench_facets.py [n]

prints JSON and writes benchmarks/results/bench_facets.json. Frames are timed as in
bench_map_view.py (change the view range, let the map re-render, repaint synchronously) over
the same scripted pan/zoom, with and without the grey-out.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from bench_map_view import HEIGHT, WIDTH, _stats, clustered_points, scripted_views  # noqa: E402

UPDATES = 15


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def facet_frame(n: int, seed: int = 0) -> pl.DataFrame:
    """What a big chat set offers: a model per row (40, uneven), a source (5), a length
    (log-normal), a cluster (30 names and noise), a decision and flags (a list per row)."""
    rng = np.random.default_rng(seed)
    models = np.array([f"model-{i:02d}" for i in range(40)])
    weights = rng.dirichlet(np.full(40, 1.0))
    flags = ["cut_off", "repetition_loop", "refusal", "duplicate"]
    picks = rng.random((n, len(flags))) < [0.05, 0.02, 0.08, 0.1]
    flag_rows = [[f for f, p in zip(flags, row) if p] for row in picks[:1000]]
    return pl.DataFrame(
        {
            "model": models[rng.choice(40, n, p=weights)],
            "source": np.array(["a", "b", "c", "d", "e"])[rng.integers(0, 5, n)],
            "length": rng.lognormal(6.5, 1.1, n).astype(np.int64),
            "cluster": np.array([f"topic {i}" for i in range(30)] + ["(no cluster)"])[
                rng.integers(0, 31, n)
            ],
            "decision": np.array(["none", "keep", "drop", "unsure"])[
                rng.choice(4, n, p=[0.9, 0.05, 0.04, 0.01])
            ],
            # the flag lists repeat every 1,000 rows (building 1M Python lists is not the point)
            "flags": pl.Series([flag_rows[i % 1000] for i in range(n)], dtype=pl.List(pl.String)),
        }
    )


def measure_updates(n: int) -> dict:
    from inspector.core.data.facets import Categories, FacetSet, Range

    frame = facet_frame(n)
    names = ["model", "source", "length", "cluster", "flags"]
    facets = FacetSet(frame)
    t = time.perf_counter()
    facets.update(names, {})
    prepare_s = time.perf_counter() - t
    rng = np.random.default_rng(1)
    base = np.flatnonzero(rng.random(n) < 0.7)  # what a filter bar query matched
    scenarios = {
        "no_filter": ({}, None),  # the totals, counted when the facets are prepared
        "filter_bar_only": ({}, base),  # the recount after each filter bar query
        "one_category": ({"model": Categories({"model-01", "model-02"})}, None),
        "three_filters_and_filter_bar": (
            {
                "model": Categories({"model-01", "model-02", "model-03"}),
                "length": Range(200.0, 2_000.0),
                "flags": Categories({"refusal"}),
            },
            base,
        ),
        "five_filters_and_filter_bar": (
            {
                "model": Categories({"model-01", "model-02", "model-03"}),
                "source": Categories({"a", "b", "c"}),
                "length": Range(200.0, 5_000.0),
                "cluster": Categories({f"topic {i}" for i in range(15)}),
                "flags": Categories({"(none)"}),
            },
            base,
        ),
    }
    out: dict = {"rows": n, "facets": names, "prepare_s": round(prepare_s, 3)}
    for key, (filters, rows) in scenarios.items():
        times = []
        for _ in range(UPDATES):
            t = time.perf_counter()
            update = facets.update(names, filters, base=rows)
            times.append(time.perf_counter() - t)
        a = np.asarray(times) * 1000
        out[key] = {
            "filters": len(filters),
            "median_ms": round(float(np.median(a)), 1),
            "p95_ms": round(float(np.percentile(a, 95)), 1),
            "rows_matched": update.matched,
        }
    return out


def measure_frames(n: int) -> dict:
    """Median frame time of MapView over bench_map_view's scripted views, without a grey-out
    and with a facet filter greying out a random half of the rows (the worst case: both
    halves cover the whole map)."""
    from PySide6 import QtWidgets

    from inspector.ui.map.map_view import MapView

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    xy, coarse, _fine = clustered_points(n)
    view = MapView()
    view.resize(WIDTH, HEIGHT)
    view.show()
    app.processEvents()
    view.set_points(xy)
    view.set_color_categorical(coarse, {c: f"topic {c}" for c in range(24)}, "Cluster")
    app.processEvents()
    big = np.bincount(coarse[coarse >= 0]).argmax()
    focus = tuple(float(v) for v in np.median(xy[coarse == big], axis=0))
    x0, y0, x1, y1 = (float(v) for v in (*xy.min(axis=0), *xy.max(axis=0)))
    views = scripted_views((x0, y0, x1, y1), focus)

    def frame(rect: tuple[float, float, float, float]) -> float:
        start = time.perf_counter()
        view.set_view_rect(*rect)
        app.processEvents()
        view.viewport().repaint()
        return time.perf_counter() - start

    def run() -> tuple[list[float], dict]:
        for rect in views[:3]:
            frame(rect)
        counts = dict(view.render_counts)
        times = [frame(rect) for rect in views]
        return times, {k: view.render_counts[k] - counts[k] for k in counts}

    plain, plain_work = run()
    mask = np.random.default_rng(2).random(n) < 0.5
    t = time.perf_counter()
    view.set_dim_mask(mask)
    set_mask_s = time.perf_counter() - t
    dimmed, dimmed_work = run()
    # a density image rebuilt with the grey-out at full view, alone
    rebuild = []
    for i in range(5):
        view.set_view_rect(x0 - i * 0.01, y0, x1 - i * 0.01, y1)
        view._base.drawn = None  # noqa: SLF001 - force a rebuild
        s = time.perf_counter()
        view.refresh(exact=True)
        rebuild.append(time.perf_counter() - s)
    view.close()
    return {
        "n_points": n,
        "view_px": [WIDTH, HEIGHT],
        "rows_greyed_out": int((~mask).sum()),
        "set_dim_mask_s": round(set_mask_s, 3),
        "frames_plain": {**_stats(plain), "work": plain_work},
        "frames_half_greyed_out": {**_stats(dimmed), "work": dimmed_work},
        "full_view_density_rebuild_greyed_ms": round(float(np.median(rebuild)) * 1000, 1),
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    load_before, uptime_before = os.getloadavg()[0], _uptime()
    updates = measure_updates(n)
    frames = measure_frames(n)
    result = {
        "facet_update": updates,
        "map": frames,
        "targets": {"facet_update_ms": 150, "map_median_frame_ms": 33},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Qt offscreen (software raster)",
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "uptime": [uptime_before, _uptime()],
        "note": "the cores are shared with other agents' work: see the load average",
    }
    text = json.dumps(result, indent=2)
    print(text)
    out = Path(__file__).parent / "results" / "bench_facets.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
