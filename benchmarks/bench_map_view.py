"""Frame times of the map view at a million points, beside a plain ScatterPlotItem.

A frame is: change the view range, let the event loop run (the map re-renders for the new
range), then force a synchronous repaint of the view. So the figure includes the binning or
sprite work and the actual painting, not just the range change.

    QT_QPA_PLATFORM=offscreen python3 benchmarks/bench_map_view.py [n]

prints JSON and writes benchmarks/results/bench_map_view.json.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

WIDTH, HEIGHT = 1000, 720


def clustered_points(
    n: int, k: int = 24, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A UMAP-like layout: k blobs of uneven size and spread, sub-blobs, 5% background noise.
    Returns (xy float32, coarse codes, fine codes)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-15, 15, (k, 2))
    weights = rng.dirichlet(np.full(k, 2.0))
    coarse = rng.choice(k, n, p=weights)
    spread = rng.uniform(0.4, 1.6, k)
    fine = coarse * 4 + rng.integers(0, 4, n)
    offsets = rng.normal(0, 0.9, (k * 4, 2))
    xy = centres[coarse] + (rng.normal(0, 1, (n, 2)) + offsets[fine]) * spread[coarse, None]
    noise = rng.random(n) < 0.05
    xy[noise] = rng.uniform(-19, 19, (int(noise.sum()), 2))
    coarse = np.where(noise, -1, coarse)
    fine = np.where(noise, -1, fine)
    return xy.astype(np.float32), coarse, fine


def scripted_views(bounds: tuple[float, float, float, float], focus: tuple[float, float]):
    """What a user does: fit all; wheel-zoom into a cluster (1.3x a frame, about one wheel
    notch) until single points show; drag around there (5% of the view a frame); zoom back
    out; drag at 4x zoom and at full view."""
    x0, y0, x1, y1 = bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = x1 - x0, y1 - y0
    views = [(cx, cy, w, h)]
    fx, fy = focus
    for i in range(1, 25):  # ~540x at the end
        t = min(1.0, i / 8)
        s = 1.3**-i
        views.append((cx + (fx - cx) * t, cy + (fy - cy) * t, w * s, h * s))
    zx, zy, zw, zh = views[-1]
    for i in range(1, 21):
        views.append((zx + zw * 0.05 * i, zy + zh * 0.02 * i, zw, zh))
    px, py, pw, ph = views[-1]
    for i in range(1, 13):
        s = 1.5**i
        views.append((px, py, min(pw * s, w * 1.2), min(ph * s, h * 1.2)))
    mw, mh = w / 4, h / 4
    for i in range(20):
        views.append((x0 + mw + i * 0.05 * mw, cy + i * 0.02 * mh, mw, mh))
    for i in range(10):
        views.append((cx + i * 0.05 * w, cy, w, h))
    return [(vx - vw / 2, vy - vh / 2, vx + vw / 2, vy + vh / 2) for vx, vy, vw, vh in views]


def _stats(times: list[float]) -> dict:
    a = np.asarray(times) * 1000
    return {
        "frames": len(a),
        "median_ms": round(float(np.median(a)), 2),
        "p95_ms": round(float(np.percentile(a, 95)), 2),
        "mean_ms": round(float(a.mean()), 2),
        "max_ms": round(float(a.max()), 2),
    }


def measure_frames(n: int = 1_000_000, baseline_frames: int = 3) -> dict:
    """Median and p95 frame time of MapView over a scripted pan/zoom, a plain ScatterPlotItem
    of the same points (a few frames only: ~1 s each), and the hover look-up time."""
    import pyqtgraph as pg
    from PySide6 import QtCore, QtWidgets

    from inspector.ui.map.map_view import MapView

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    xy, coarse, fine = clustered_points(n)
    coarse_names = {c: f"topic {c}" for c in range(24)}
    fine_names = {c: f"topic {c // 4}.{c % 4}" for c in range(96)}

    view = MapView()
    view.resize(WIDTH, HEIGHT)
    view.show()
    app.processEvents()
    t = time.perf_counter()
    view.set_points(xy)
    set_points_s = time.perf_counter() - t
    t = time.perf_counter()
    view.set_color_categorical(coarse, coarse_names, "Cluster")
    view.set_cluster_labels(coarse, coarse_names, fine, fine_names)
    colour_s = time.perf_counter() - t
    app.processEvents()
    view.refresh()

    # Zoom towards the middle of the biggest cluster.
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

    for rect in views[:3]:  # warm-up: first-use costs (fonts, atlas, allocator)
        frame(rect)
    load_before = os.getloadavg()[0]
    times, frame_modes, frame_work = [], [], []
    renders_before = view.renders
    for rect in views:
        counts = dict(view.render_counts)
        times.append(frame(rect))
        frame_modes.append(view.render_mode())
        # What the base layer had to do this frame: bin a new density image, refill the
        # sprites, or neither (the last frame still covered the view at about this zoom).
        done = {k: view.render_counts[k] - counts[k] for k in counts}
        frame_work.append(
            "density_rebuilt"
            if done["density"]
            else "points_refilled"
            if done["points"]
            else "reused"
        )
    renders = view.renders - renders_before
    modes = {m: frame_modes.count(m) for m in sorted(set(frame_modes))}
    by_work = {
        work: _stats([t for t, w in zip(times, frame_work) if w == work])
        for work in ("density_rebuilt", "points_refilled", "reused")
        if work in frame_work
    }

    # Hover: the row under random cursor positions, at full view and zoomed in.
    rng = np.random.default_rng(1)
    hover = []
    for rect in (views[0], views[12]):
        view.set_view_rect(*rect)
        app.processEvents()
        qx = rng.uniform(rect[0], rect[2], 1000)
        qy = rng.uniform(rect[1], rect[3], 1000)
        for x, y in zip(qx, qy):
            s = time.perf_counter()
            view.row_at(float(x), float(y))
            hover.append(time.perf_counter() - s)
    hover_us = np.asarray(hover) * 1e6

    # Lasso: a 64-gon around the biggest cluster.
    angles = np.linspace(0, 2 * np.pi, 65)[:-1]
    lasso = np.column_stack([focus[0] + 2.5 * np.cos(angles), focus[1] + 2.5 * np.sin(angles)])
    s = time.perf_counter()
    selected = view.select_polygon(lasso, emit=False)
    lasso_s = time.perf_counter() - s
    view.set_selection([])
    view.close()

    # Baseline: one plain ScatterPlotItem holding every point, same size of view.
    plain = pg.GraphicsView(background="w")
    vb = pg.ViewBox(lockAspect=True)
    plain.setCentralItem(vb)
    plain.resize(WIDTH, HEIGHT)
    plain.show()
    app.processEvents()
    scatter = pg.ScatterPlotItem(pen=None, size=4, brush=pg.mkBrush(66, 103, 172, 200))
    vb.addItem(scatter)
    s = time.perf_counter()
    scatter.setData(x=xy[:, 0], y=xy[:, 1])
    plain_set_s = time.perf_counter() - s
    base_times = []
    for i in range(baseline_frames + 1):
        s = time.perf_counter()
        vb.setRange(QtCore.QRectF(x0 + i * 0.1, y0, x1 - x0, y1 - y0), padding=0)
        app.processEvents()
        plain.viewport().repaint()
        base_times.append(time.perf_counter() - s)
    base_times = base_times[1:]  # the first paint builds the symbol atlas
    plain.close()

    ours = _stats(times)
    base = _stats(base_times)
    return {
        "n_points": n,
        "view_px": [WIDTH, HEIGHT],
        "map_view": {**ours, "frames_by_mode": modes, "renders": renders},
        "map_view_by_work": by_work,
        "plain_scatter": {**base, "set_data_s": round(plain_set_s, 3)},
        "speedup_median": round(base["median_ms"] / ours["median_ms"], 1),
        "hover_lookup_us": {
            "median": round(float(np.median(hover_us)), 1),
            "p95": round(float(np.percentile(hover_us, 95)), 1),
            "lookups": int(hover_us.size),
        },
        "lasso_64_vertices": {"seconds": round(lasso_s, 4), "rows": int(selected.size)},
        "set_points_s": round(set_points_s, 3),
        "colour_and_labels_s": round(colour_s, 3),
        "targets": {"median_ms": 33, "speedup": 30},
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Qt offscreen (software raster)",
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    result = measure_frames(n)
    text = json.dumps(result, indent=2)
    print(text)
    out = Path(__file__).parent / "results" / "bench_map_view.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
