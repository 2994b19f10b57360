"""The standalone bundle against the wheel install: cold start to a painted demo table, the
bundle's size and what takes it, and (when it builds one) the build time.

    python3 benchmarks/bench_bundle.py [--bundle OUT_DIR/inspector] [--repeat 5]

Without ``--bundle`` it builds one with packaging/build-bundle.sh into a temporary folder.
Each run starts ``inspector demo`` offscreen in a fresh process with a fresh empty HOME (so the
demo file, settings and caches are made anew, as on a first start) and times it from the
launch to the first paint of the main table with rows, as the launcher's paint probe
(``INSPECTOR_PAINT_PROBE``) reports it; the process quits at that paint. The wheel install
runs the same launcher (packaging/bundle/launcher.py) with this Python, so both go through
the same code; the bundle runs with a bare environment (``HOME`` and ``PATH=/usr/bin:/bin``).
The kinds take turns; each figure is the best and the median of ``--repeat`` runs (other work
on a shared machine only ever adds time). Target: bundle <= 1.5 x wheel; size <= 500 MB.
Each run is added to benchmarks/results/bench_bundle.json (``runs``, oldest first), with the
bundle's size (MiB, and bytes), every part of it and its 60 largest files;
benchmarks/bundle_audit.py adds which of the files the app's runs open (``audit``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks/results/bench_bundle.json"
LAUNCHER = ROOT / "packaging/bundle/launcher.py"
TARGETS = {"start_ratio": 1.5, "size_mb": 500}
VERSIONS_OF = {"numba", "llvmlite", "numpy", "scipy", "polars"}


def build(out: Path) -> tuple[Path, dict]:
    t0, c0 = time.perf_counter(), os.times()
    proc = subprocess.run(
        ["bash", str(ROOT / "packaging/build-bundle.sh"), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    c1 = os.times()
    if proc.returncode:
        sys.exit(proc.stdout[-3000:] + proc.stderr[-3000:])
    cpu = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
    return out / "inspector", {
        "wall_s": round(time.perf_counter() - t0, 1),
        "cpu_s": round(cpu, 1),
        "model_dir_given": bool(os.environ.get("INSPECTOR_MODEL_DIR")),
    }


def size_report(bundle: Path) -> dict:
    def size(p: Path) -> int:
        if p.is_symlink():
            return 0
        if p.is_file():
            return p.stat().st_size
        return sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink())

    internal = bundle / "_internal"
    parts = {p.name: size(p) for p in internal.iterdir()}
    biggest = sorted(parts.items(), key=lambda kv: kv[1], reverse=True)
    files = [(str(p.relative_to(internal)), size(p)) for p in internal.rglob("*") if p.is_file()]
    files.append(
        ("inspector (the executable: launcher and Python modules)", size(bundle / "inspector"))
    )
    largest = sorted(files, key=lambda kv: kv[1], reverse=True)
    total = size(bundle)
    # the versions that decide the size most (llvmlite: LLVM; packaging/bundle/requirements.txt)
    dists = [d.name.removesuffix(".dist-info").split("-") for d in internal.glob("*.dist-info")]
    versions = {name: version for name, version in dists if name in VERSIONS_OF}
    return {
        "versions": dict(sorted(versions.items())),
        # MiB (2^20 bytes), as before; total_bytes and total_mb_decimal (10^6) beside it
        "total_mb": round(total / 2**20, 1),
        "total_bytes": total,
        "total_mb_decimal": round(total / 1e6, 1),
        "biggest_mb": {name: round(n / 2**20, 1) for name, n in biggest[:15]},
        "largest_files_mb": {name: round(n / 2**20, 1) for name, n in largest[:15]},
        # every part of _internal/ of 0.1 MiB or more, and the 60 largest files, in bytes
        "parts_bytes": {name: n for name, n in biggest if n >= 2**20 // 10},
        "largest_files_bytes": dict(largest[:60]),
    }


# What the bundle leaves out (packaging/bundle/inspector.spec), checked in the built folder.
LEFT_OUT = (
    "torch",
    "transformers",
    "sentence_transformers",
    "ray",
    "nvidia",
    "pandas",
    "pyarrow",
    "polars_hash",
    "pygments",
    "hypothesis",
    "PySide6/Qt/translations",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "libreadline.so.8",
)
# Rebuilt smaller by build-bundle.sh: ICU's data (trim_icu.py)
REDUCED = ("PySide6/Qt/lib/libicudata.so.*",)


def left_out_report(bundle: Path) -> dict:
    internal = bundle / "_internal"
    return {
        "absent": [name for name in LEFT_OUT if not (internal / name).exists()],
        "present": [name for name in LEFT_OUT if (internal / name).exists()],
        "reduced_mb": {
            str(p.relative_to(internal)): round(p.stat().st_size / 2**20, 2)
            for pattern in REDUCED
            for p in internal.glob(pattern)
            if not p.is_symlink()
        },
        # strip_libs.py's links (PyInstaller's own links to libraries sit at the top level)
        "duplicate_libraries_linked": sorted(
            str(p.relative_to(internal))
            for p in internal.rglob("*.so*")
            if p.is_symlink() and p.parent != internal
        ),
    }


def start_once(kind: str, bundle: Path, work: Path) -> float:
    """Seconds from launch to the demo table's first paint, in a fresh HOME."""
    home = Path(tempfile.mkdtemp(prefix=f"home-{kind}-", dir=work))
    probe = home / "painted"
    if kind == "bundle":
        cmd = [str(bundle / "inspector"), "demo"]
        env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    else:
        cmd = [sys.executable, str(LAUNCHER), "demo"]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INSPECTOR_", "QT_"))}
        env["HOME"] = str(home)
        env.pop("XDG_CACHE_HOME", None)
        env.pop("XDG_DATA_HOME", None)
    env.update(QT_QPA_PLATFORM="offscreen", INSPECTOR_PAINT_PROBE=str(probe))
    started = time.time()
    proc = subprocess.run(
        cmd, cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if proc.returncode or not probe.is_file():
        raise RuntimeError(f"{kind}: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    return float(probe.read_text()) - started


def earlier_runs() -> list[dict]:
    """The runs recorded before, oldest first (a file of one run, the old layout, is one)."""
    if not OUT.is_file():
        return []
    recorded = json.loads(OUT.read_text())
    return recorded["runs"] if "runs" in recorded else [recorded]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", help="a built bundle folder (OUT_DIR/inspector)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--note", default="", help="what this run measures (kept with it)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-bundle-"))
    result: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "note": args.note,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "targets": TARGETS,
    }
    if args.bundle:
        bundle = Path(args.bundle).resolve()
    else:
        bundle, result["build"] = build(work / "out")
    result["size"] = size_report(bundle)
    result["left_out"] = left_out_report(bundle)
    times: dict[str, list[float]] = {"wheel": [], "bundle": []}
    for _ in range(args.repeat):
        for kind in ("wheel", "bundle"):
            times[kind].append(round(start_once(kind, bundle, work), 3))
    start = {
        kind: {
            "first_s": values[0],
            "best_s": min(values),
            "median_s": round(statistics.median(values), 3),
            "runs_s": values,
        }
        for kind, values in times.items()
    }
    start["ratio_best"] = round(start["bundle"]["best_s"] / start["wheel"]["best_s"], 2)
    start["ratio_median"] = round(start["bundle"]["median_s"] / start["wheel"]["median_s"], 2)
    result["start_to_painted_demo_table"] = start
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(result, indent=2)
    print(text)
    if not args.no_write:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        recorded = json.loads(OUT.read_text()) if OUT.is_file() else {}
        if "runs" not in recorded:  # the old layout: one run, the file itself
            recorded = {"runs": earlier_runs()}
        recorded["runs"] = [*recorded["runs"], result]  # the audit (bundle_audit.py) stays
        OUT.write_text(json.dumps(recorded, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
