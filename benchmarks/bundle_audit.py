"""What the standalone bundle's files are for: which of them the app's runs open.

    python3 benchmarks/bundle_audit.py --bundle OUT_DIR/inspector [--no-write]

Runs every command from the bundle as a user does (``env -i HOME=... PATH=/usr/bin:/bin``),
under ``strace -f`` (needs the ``strace`` package), on the shared sample in each format the
readers take: ``models list``; ``info`` on JSONL, Parquet, CSV, a JSON array, an LZ4 Feather
file, an Arrow file, a save_to_disk folder and a zstd-compressed JSONL; ``map``; ``analyze``
(every finder, ``--against`` the pairs sample; on CSV; on the save_to_disk folder);
``label`` (drop and keep); ``learn``; ``pairs``; ``export`` (Parquet, JSONL, ids); ``apply``
on JSONL, Parquet, CSV, save_to_disk, LZ4 Feather and an Arrow file; ``import-filter``;
``select`` (diversity, both); the window offscreen on the demo (its map runs in a child
process) and on the sample. Every bundle file that one of them opened (``openat``, the
dynamic loader's and Python's alike) counts as opened.

The result says how many bytes the runs open against the bundle's total (bytes, MB = 10^6
bytes, MiB = 2^20 bytes), per part of ``_internal/``, the largest files never opened, the
Python modules in the executable's archive by package, and how much of LLVM (llvmlite's
library) is code and tables for CPU targets other than x86, from the symbol table of the
installed wheel's unstripped library. Written to benchmarks/results/bench_bundle.json
(``audit``). A file the runs opened may still be one that an unused import drags in; a file
they never opened may serve a path they do not take (an X11 or Wayland display, a download).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks/results/bench_bundle.json"
SAMPLE = ROOT.parent / "shared" / "data" / "alpaca_eval_sample.jsonl"
PAIRS = ROOT.parent / "shared" / "data" / "alpaca_eval_pairs_sample.jsonl"
# Name fragments of LLVM's CPU targets in the library's symbols (demangled).
LLVM_TARGETS = {
    "AArch64": ("AArch64",),
    "AMDGPU": ("AMDGPU", "R600", "GCN", "SIInstr", "SIRegister", "SIMachine", "SITarget"),
    "ARM": ("ARM", "Thumb"),
    "AVR": ("AVR",),
    "BPF": ("BPF",),
    "Hexagon": ("Hexagon",),
    "Lanai": ("Lanai",),
    "LoongArch": ("LoongArch",),
    "MSP430": ("MSP430",),
    "Mips": ("Mips", "MIPS"),
    "NVPTX": ("NVPTX", "NVVM"),
    "PowerPC": ("PPC", "PowerPC"),
    "RISCV": ("RISCV",),
    "SPIRV": ("SPIRV",),
    "Sparc": ("Sparc",),
    "SystemZ": ("SystemZ",),
    "VE": ("VE",),
    "WebAssembly": ("WebAssembly",),
    "XCore": ("XCore",),
    "X86": ("X86",),
}


def sizes(n: int) -> dict:
    return {"bytes": n, "mb": round(n / 1e6, 1), "mib": round(n / 2**20, 1)}


def make_inputs(work: Path) -> dict[str, Path]:
    """The sample in every format the steps read (pyarrow, where installed, writes the Arrow
    stream of a save_to_disk folder as datasets does)."""
    import polars as pl
    import zstandard

    frame = pl.read_ndjson(SAMPLE)
    paths = {name: work / name for name in ("s.parquet", "s.csv", "s.json", "s.jsonl.zst")}
    frame.write_parquet(paths["s.parquet"])
    frame.write_csv(paths["s.csv"])
    frame.head(300).write_json(paths["s.json"])
    paths["s.jsonl.zst"].write_bytes(zstandard.ZstdCompressor().compress(SAMPLE.read_bytes()))
    paths["s_lz4.feather"] = work / "s_lz4.feather"
    frame.head(300).write_ipc(paths["s_lz4.feather"], compression="lz4")
    paths["s_plain.arrow"] = work / "s_plain.arrow"
    frame.head(300).write_ipc(paths["s_plain.arrow"], compression="uncompressed")
    try:
        import pyarrow as pa
    except ImportError:
        pa = None
    if pa is not None:
        split = work / "hf" / "train"
        split.mkdir(parents=True)
        table = frame.head(300).to_arrow()
        table = table.replace_schema_metadata({"huggingface": '{"info": {}}'})
        shard = split / "data-00000-of-00001.arrow"
        with pa.OSFile(str(shard), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as out:
            out.write_table(table)
        (split / "state.json").write_text(json.dumps({"_data_files": [{"filename": shard.name}]}))
        (split / "dataset_info.json").write_text("{}")
        (work / "hf" / "dataset_dict.json").write_text(json.dumps({"splits": ["train"]}))
        paths["hf"] = work / "hf"
    ids = frame["id"].to_list()
    paths["drop.txt"] = work / "drop.txt"
    paths["drop.txt"].write_text("\n".join(ids[0:400:4]))
    paths["keep.txt"] = work / "keep.txt"
    paths["keep.txt"].write_text("\n".join(ids[1:400:4]))
    return paths


def steps(inputs: dict[str, Path], work: Path) -> list[tuple[str, list[str], dict[str, str]]]:
    s, p = str(SAMPLE), ["--project", str(work / "p.db")]
    filt = str(work / "filter.parquet")
    out: list[tuple[str, list[str], dict[str, str]]] = [("models list", ["models", "list"], {})]
    readable = ["s.parquet", "s.csv", "s.json", "s_lz4.feather", "s_plain.arrow", "s.jsonl.zst"]
    for name in [None, *readable, "hf"]:
        path = s if name is None else inputs.get(name)
        if path is not None:
            out.append((f"info {name or 'jsonl'}", ["info", str(path), "--json"], {}))
    out += [
        ("map", ["map", s, *p, "--out", str(work / "map")], {}),
        ("analyze", ["analyze", s, *p, "--out", str(work / "an"), "--against", str(PAIRS)], {}),
        ("analyze csv", ["analyze", str(inputs["s.csv"]), "--project", str(work / "c.db"),
                         "--out", str(work / "an_csv")], {}),
        ("label drop", ["label", s, *p, "--ids-file", str(inputs["drop.txt"]),
                        "--decision", "drop"], {}),
        ("label keep", ["label", s, *p, "--ids-file", str(inputs["keep.txt"]),
                        "--decision", "keep", "--tag", "good"], {}),
        ("learn", ["learn", s, *p, "--out", str(work / "learn")], {}),
        ("pairs", ["pairs", s, *p, "--out", str(work / "pairs.jsonl"), "--from", "learned",
                   "--min-margin", "0"], {}),
        ("export", ["export", s, *p, "--out", filt], {}),
        ("export jsonl", ["export", s, *p, "--out", str(work / "f.jsonl"), "--format", "jsonl"],
         {}),
        ("export ids", ["export", s, *p, "--out", str(work / "f.txt"), "--format", "ids"], {}),
        ("apply jsonl", ["apply", s, *p, "--filter", filt, "--out", str(work / "clean"),
                         "--match-by-id"], {}),
    ]  # fmt: skip
    for name in ("s.parquet", "s.csv", "hf", "s_lz4.feather", "s_plain.arrow"):
        if name in inputs:
            db = ["--project", str(work / f"{name}.db")]
            clean = str(work / f"clean_{name}")
            out.append((f"apply {name}", ["apply", str(inputs[name]), *db, "--filter", filt,
                                          "--out", clean, "--match-by-id"], {}))  # fmt: skip
    if "hf" in inputs:
        out.append(("analyze hf", ["analyze", str(inputs["hf"]), "--project", str(work / "h.db"),
                                   "--out", str(work / "an_hf"), "--only",
                                   "quality,duplicates"], {}))  # fmt: skip
    window = {"QT_QPA_PLATFORM": "offscreen"}
    out += [
        ("import-filter", ["import-filter", s, "--project", str(work / "i.db"), filt], {}),
        ("select", ["select", s, *p, "--n", "50", "--out", str(work / "sel.parquet")], {}),
        ("select both", ["select", s, *p, "--n", "50", "--by", "both",
                         "--out", str(work / "sel2.parquet")], {}),
        ("window demo", ["demo"], {**window, "INSPECTOR_PAINT_PROBE": str(work / "painted"),
                                  "INSPECTOR_PAINT_PROBE_LINGER_S": "25"}),
        ("window sample", ["open", s], {**window, "INSPECTOR_PAINT_PROBE": str(work / "p2"),
                                        "INSPECTOR_PAINT_PROBE_LINGER_S": "15"}),
    ]  # fmt: skip
    return out


def run_steps(bundle: Path, work: Path, traces: Path) -> list[dict]:
    strace = shutil.which("strace")
    if strace is None:
        sys.exit("bundle_audit: needs strace (apt-get install strace)")
    home = work / "home"
    home.mkdir()
    done = []
    for number, (name, args, extra) in enumerate(steps(make_inputs(work), work)):
        cmd = [strace, "-f", "-qq", "-e", "trace=openat,open,execve",
               "-o", str(traces / f"{number:02d}"), str(bundle / "inspector"), *args]  # fmt: skip
        env = {"HOME": str(home), "PATH": "/usr/bin:/bin", **extra}
        done.append(run_step(name, cmd, env))
    return done


def run_step(name: str, cmd: list[str], env: dict[str, str], label: str = "") -> dict:
    """One step run to its end: its exit, whether it was clean (no traceback), its seconds."""
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    ok = proc.returncode == 0 and "Traceback" not in proc.stderr
    print(f"{label}{name}: exit {proc.returncode}{'' if ok else ' ' + proc.stderr[-500:]}")
    return {"step": name, "exit": proc.returncode, "ok": ok,
            "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip


def opened_files(traces: Path, bundle: Path) -> set[str]:
    """The bundle's files that a traced call opened successfully, resolved through links."""
    found = re.compile(r'(?:openat|open|execve)\((?:AT_FDCWD, )?"([^"]+)".*= (\d+)')
    prefix = str(bundle)
    opened = set()
    for trace in traces.iterdir():
        for line in trace.read_text(errors="replace").splitlines():
            match = found.search(line)
            if match and match.group(1).startswith(prefix):
                opened.add(os.path.realpath(match.group(1)))
    return opened


def account(bundle: Path, opened: set[str]) -> dict:
    internal = bundle / "_internal"
    parts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    never: list[tuple[int, str]] = []
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        size = path.stat().st_size
        rel = path.relative_to(internal if internal in path.parents else bundle)
        kind = "opened" if os.path.realpath(path) in opened else "never_opened"
        part = rel.parts[0] if internal in path.parents else f"{rel} (beside _internal/)"
        parts[part][kind] += size
        if kind == "never_opened":
            never.append((size, str(rel)))
    total = {kind: sum(c[kind] for c in parts.values()) for kind in ("opened", "never_opened")}
    ranked = sorted(parts.items(), key=lambda kv: -sum(kv[1].values()))
    return {
        "total": sizes(sum(total.values())),
        "opened": sizes(total["opened"]),
        "never_opened": sizes(total["never_opened"]),
        "parts_mb": {
            name: {
                "opened": round(c["opened"] / 1e6, 2),
                "never": round(c["never_opened"] / 1e6, 2),
            }
            for name, c in ranked
            if sum(c.values()) >= 100_000
        },
        "largest_never_opened_mb": {rel: round(n / 1e6, 2) for n, rel in sorted(never)[::-1][:30]},
    }


def archive_packages(bundle: Path) -> dict:
    """Compressed bytes of the executable's Python modules, by top-level package."""
    from PyInstaller.archive.readers import CArchiveReader, ZlibArchiveReader

    with tempfile.TemporaryDirectory() as tmp:
        pyz = Path(tmp) / "PYZ.pyz"
        pyz.write_bytes(CArchiveReader(str(bundle / "inspector")).extract("PYZ.pyz"))
        toc = ZlibArchiveReader(str(pyz)).toc
    packages: collections.Counter = collections.Counter()
    for name, (_kind, _offset, length) in toc.items():
        packages[name.split(".")[0]] += length
    return {
        "modules": len(toc),
        "total": sizes(sum(packages.values())),
        "packages_mb": {k: round(v / 1e6, 2) for k, v in packages.most_common(25)},
    }


def llvm_targets() -> dict:
    """Bytes of the installed llvmlite library's symbols by CPU target (from its own symbol
    table: the wheel's copy, before build-bundle.sh strips it)."""
    import llvmlite.binding

    library = Path(llvmlite.binding.__file__).parent / "libllvmlite.so"
    proc = subprocess.run(
        ["nm", "-S", "-C", "--size-sort", str(library)], capture_output=True, text=True, check=False
    )
    if proc.returncode or not proc.stdout:
        return {"library": str(library), "error": "no symbol table (nm)"}
    patterns = {
        target: re.compile(r"(?:^|[^A-Za-z])(?:" + "|".join(names) + ")")
        for target, names in LLVM_TARGETS.items()
    }
    by_target: collections.Counter = collections.Counter()
    for line in proc.stdout.splitlines():
        fields = line.split(" ", 3)
        if len(fields) < 4:
            continue
        size, name = int(fields[1], 16), fields[3]
        target = next((t for t, pattern in patterns.items() if pattern.search(name)), "shared")
        by_target[target] += size
    others = sum(v for k, v in by_target.items() if k not in ("X86", "shared"))
    return {
        "library": str(library),
        "file": sizes(library.stat().st_size),
        "symbols": sizes(sum(by_target.values())),
        "non_x86_targets": sizes(others),
        "by_target_mb": {k: round(v / 1e6, 2) for k, v in by_target.most_common()},
        "note": "symbols named after a target; internal tables without a target in their name "
        "count as shared, so the non-x86 share is a lower bound",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True, help="a built bundle (OUT_DIR/inspector)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    bundle = Path(args.bundle).resolve()
    work = Path(tempfile.mkdtemp(prefix="bundle-audit-"))
    traces = work / "traces"
    traces.mkdir()
    result: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "note": args.note}
    result["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    result["steps"] = run_steps(bundle, work, traces)
    result["files"] = account(bundle, opened_files(traces, bundle))
    result["executable_archive"] = archive_packages(bundle)
    result["llvm"] = llvm_targets()
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps({k: v for k, v in result.items() if k != "steps"}, indent=2))
    if not all(step["ok"] for step in result["steps"]):
        print("bundle_audit: a step failed (see above)", file=sys.stderr)
    if not args.no_write:
        recorded = json.loads(OUT.read_text()) if OUT.is_file() else {"runs": []}
        recorded["audit"] = result
        OUT.write_text(json.dumps(recorded, indent=2) + "\n")
    return 0 if all(step["ok"] for step in result["steps"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
