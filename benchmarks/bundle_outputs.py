"""Does the bundle write what the wheel install writes? The command-line steps of
bundle_audit.py (every reader's format, map, analyze with every finder and ``--against``,
label, learn, pairs, export, apply on every format, import-filter, select), run once from the
bundle (``env -i``) and once from this Python's wheel install, in the same folder (moved aside
after each side, so paths inside outputs are the same), with the bundle's default model and
the same OpenBLAS kernel choice (``OPENBLAS_*`` from here), and every file they wrote compared:
Parquet files as frames (values and types), everything else byte for byte. The window steps
are left out. The bundle carries older numba, llvmlite and numpy than the wheel install
(packaging/bundle/requirements.txt); this is the check that they compute the same results.

    python3 benchmarks/bundle_outputs.py --bundle OUT_DIR/inspector [--no-write]

Written to benchmarks/results/bench_bundle.json (``outputs``): each side's steps (exit status,
seconds), the files that are equal, those that differ (with how), those only one side wrote.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle_audit  # noqa: E402

ROOT = bundle_audit.ROOT
OUT = bundle_audit.OUT
# Files whose bytes hold the time of the run or the machine's state, not results: the project
# databases (SQLite pages with timestamps) and the logs.
NOT_COMPARED = (".db", ".db-wal", ".db-shm", ".log")


def run_side(kind: str, bundle: Path, work: Path) -> list[dict]:
    home = work / "home"
    home.mkdir()
    # Both sides embed with the bundle's default model (the wheel side would otherwise
    # distil one in its fresh HOME) and let OpenBLAS choose its CPU kernels alike: an
    # OPENBLAS_CORETYPE here (Haswell on this project's machines) goes to the bundle too,
    # since other kernels round sums differently and the map's layout follows the last bits.
    models = work / "models"
    models.mkdir(exist_ok=True)
    shipped = bundle / "_internal" / "inspector" / "models" / "default-m2v"
    if not (models / shipped.name).exists():
        (models / shipped.name).symlink_to(shipped)
    blas = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")}
    done = []
    for name, args, extra in bundle_audit.steps(bundle_audit.make_inputs(work), work):
        if name.startswith("window"):
            continue
        if kind == "bundle":
            cmd = [str(bundle / "inspector"), *args]
            env = {"HOME": str(home), "PATH": "/usr/bin:/bin", **blas, **extra}
        else:
            cmd = [sys.executable, "-m", "inspector", *args]
            env = {k: v for k, v in os.environ.items() if not k.startswith(("INSPECTOR_", "QT_"))}
            env = {k: v for k, v in env.items() if not k.startswith("XDG_")}
            env.update(HOME=str(home), INSPECTOR_MODEL_DIR=str(models), **extra)
        done.append(bundle_audit.run_step(name, cmd, env, label=f"{kind} "))
    shutil.rmtree(home)  # caches, settings, logs: not outputs
    return done


def written(folder: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(folder)): p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink() and not p.name.endswith(NOT_COMPARED)
    }


def flat(value, prefix: str = "") -> dict[str, object]:
    """A JSON value as {path: leaf}."""
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in flat(item, f"{prefix}.{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in flat(item, f"{prefix}[{i}]").items()
        }
    return {prefix: value}


def json_differences(one: list, other: list) -> str:
    a = {k: v for i, item in enumerate(one) for k, v in flat(item, f"#{i}").items()}
    b = {k: v for i, item in enumerate(other) for k, v in flat(item, f"#{i}").items()}
    keys = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    named = sorted({k.split("]", 1)[-1].split(".", 1)[-1] if "." in k else k for k in keys})
    return f"{len(keys)} values differ, in {named[:12]}"


def compare(one: Path, other: Path) -> str | None:
    """None when equal, else how they differ."""
    if one.read_bytes() == other.read_bytes():
        return None
    if one.suffix in (".json", ".jsonl"):
        lines = [one.read_text(), other.read_text()]
        try:
            if one.suffix == ".json":
                return json_differences([json.loads(lines[0])], [json.loads(lines[1])])
            parsed = [[json.loads(x) for x in text.splitlines() if x] for text in lines]
            return json_differences(*parsed)
        except ValueError:
            pass
    if one.suffix != ".parquet":
        return f"bytes differ ({one.stat().st_size} vs {other.stat().st_size})"
    import polars as pl

    a, b = pl.read_parquet(one), pl.read_parquet(other)
    if a.schema != b.schema:
        return f"schemas differ: {a.schema} vs {b.schema}"
    if a.equals(b):
        return None  # the same frame; the files differ in how they were written
    how = []
    for c in a.columns:
        if not a[c].equals(b[c]):
            if a[c].dtype.is_numeric() and a.height == b.height:
                gap = (a[c].cast(pl.Float64) - b[c].cast(pl.Float64)).abs().max()
                how.append(f"{c} (largest gap {gap})")
            else:
                how.append(c)
    return f"values differ in {how}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True, help="a built bundle (OUT_DIR/inspector)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--note", default="")
    parser.add_argument("--keep", action="store_true", help="keep both sides' folders")
    args = parser.parse_args()
    bundle = Path(args.bundle).resolve()
    base = Path(tempfile.mkdtemp(prefix="bundle-outputs-"))
    work = base / "work"
    result: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "note": args.note}
    result["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    steps = {}
    for kind in ("bundle", "wheel"):
        work.mkdir()
        steps[kind] = run_side(kind, bundle, work)
        work.rename(base / kind)
    files = {kind: written(base / kind) for kind in ("bundle", "wheel")}
    equal, differ = [], {}
    for rel in sorted(files["bundle"].keys() & files["wheel"].keys()):
        how = compare(files["bundle"][rel], files["wheel"][rel])
        if how is None:
            equal.append(rel)
        else:
            differ[rel] = how
    result.update(
        steps=steps,
        files_equal=equal,
        files_differ=differ,
        only_bundle=sorted(files["bundle"].keys() - files["wheel"].keys()),
        only_wheel=sorted(files["wheel"].keys() - files["bundle"].keys()),
        load_average_at_end=[round(x, 2) for x in os.getloadavg()],
    )
    print(json.dumps({k: v for k, v in result.items() if k != "steps"}, indent=2))
    if args.keep:
        print(f"outputs kept in {base}")
    else:
        shutil.rmtree(base)
    ok = all(s["ok"] for side in steps.values() for s in side)
    if not args.no_write:
        recorded = json.loads(OUT.read_text()) if OUT.is_file() else {"runs": []}
        recorded["outputs"] = result
        OUT.write_text(json.dumps(recorded, indent=2) + "\n")
    return 0 if ok and not differ and not result["only_bundle"] and not result["only_wheel"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
