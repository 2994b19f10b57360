"""The standalone bundle (packaging/build-bundle.sh), smoke-tested as a user runs it: built
once, then started with a bare environment (``env -i``: no Python, no virtual environment on
PATH) for ``inspector info`` and ``inspector map`` on the shared sample, ``info`` and
``analyze --only quality`` on it as Parquet, ``label``, ``export`` and ``apply`` on a
save_to_disk folder, and the window opened offscreen on the demo for a few seconds with
nothing wrong in its log.

Marked ``bundle`` and skipped unless ``INSPECTOR_BUNDLE_TESTS=1``: the build takes minutes, so
.ci/run runs this file on its own after the suite. ``INSPECTOR_TEST_BUNDLE=OUT_DIR/inspector``
tests a bundle built before instead of building one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from inspector.core.paths import models_dir

pytestmark = [
    pytest.mark.bundle,
    pytest.mark.skipif(
        not os.environ.get("INSPECTOR_BUNDLE_TESTS"),
        reason="builds the standalone bundle (minutes): INSPECTOR_BUNDLE_TESTS=1, as .ci/run does",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = Path("..") / "shared" / "data" / "alpaca_eval_sample.jsonl"  # relative to ROOT
# The target: 500 MB (10^6 bytes). The bundle measures ~497 MB (polars, LLVM, Qt,
# SciPy with its OpenBLAS; packaging/README.md "Size"). numba's newest LLVM coming back would
# add ~56 MB, numpy's own OpenBLAS 25 MB, pyarrow ~75 MB, PyTorch ~700 MB.
GUARD_BYTES = 500 * 1000 * 1000
REQUIREMENTS = ROOT / "packaging" / "bundle" / "requirements.txt"
LEFT_OUT = (
    "torch", "transformers", "sentence_transformers", "ray", "nvidia", "pandas", "pyarrow",
    "polars_hash",
    # collected by PyInstaller, never imported nor read by the app (benchmarks/bundle_audit.py)
    "scipy/signal", "scipy/cluster", "PySide6/QtDBus.abi3.so", "sklearn/datasets/data",
    "sklearn/datasets/tests", "pyqtgraph/icons/peegee",
)  # fmt: skip
# Python packages left out of the executable's module archive (inspector.spec's EXCLUDES)
LEFT_OUT_MODULES = ("jinja2", "click", "trio", "markdown_it", "distutils", "scipy.signal")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    given = os.environ.get("INSPECTOR_TEST_BUNDLE")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("bundle")
    # The session's model folder: a default model distilled by an earlier test is reused.
    env = {**os.environ, "INSPECTOR_MODEL_DIR": str(models_dir())}
    proc = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build-bundle.sh"), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    return out / "inspector"


def bare_env(home: Path, **extra: str) -> dict[str, str]:
    """What ``env -i HOME=... PATH=/usr/bin:/bin`` leaves: no Python of ours anywhere."""
    home.mkdir(parents=True, exist_ok=True)
    return {"HOME": str(home), "PATH": "/usr/bin:/bin", **extra}


def run(bundle: Path, args: list[str], home: Path, timeout: float = 900, **extra: str):
    return subprocess.run(
        [str(bundle / "inspector"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=bare_env(home, **extra),
        timeout=timeout,
        check=False,
    )


def test_the_bundle_holds_the_model_and_resources_and_no_torch(bundle):
    internal = bundle / "_internal"
    assert (bundle / "inspector").is_file() and os.access(bundle / "inspector", os.X_OK)
    assert (internal / "inspector" / "models" / "default-m2v" / "model.safetensors").is_file()
    resources = internal / "inspector" / "resources"
    for name in ("keymap.toml", "labels.toml", "quality_rules.toml", "icon.svg"):
        assert (resources / name).is_file(), name
    assert sorted(p.name for p in (internal / "PySide6" / "Qt" / "plugins" / "platforms").iterdir())
    assert not [name for name in LEFT_OUT if (internal / name).exists()]
    assert not (internal / "PySide6" / "Qt" / "translations").exists()  # no QTranslator
    assert not list(internal.glob("*.dist-info/RECORD")) and not list(internal.glob("*/sboms"))
    assert not list((internal / "sklearn").rglob("*.pyx"))  # nor scikit-learn's sources
    assert not list(internal.rglob("libarrow*.so*"))  # nor Arrow's libraries, anywhere
    # build-bundle.sh's trim_icu.py did its work (31 MB -> 8)
    (icu_data,) = (p for p in internal.rglob("libicudata.so.*") if not p.is_symlink())
    assert icu_data.stat().st_size < 12 * 2**20
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    assert size <= GUARD_BYTES, f"{size:,} bytes"


def test_the_bundle_carries_the_pinned_numba_llvmlite_and_numpy(bundle):
    """build-bundle.sh builds in its own environment with requirements.txt's pins (an older
    numba and llvmlite: LLVM 15, 56 MB smaller than the newest)."""
    pins = dict(
        line.split("#")[0].strip().split("==")
        for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines()
        if "==" in line.split("#")[0]
    )
    assert {"numba", "llvmlite", "numpy"} <= set(pins)
    internal = bundle / "_internal"
    for name in ("numba", "llvmlite", "numpy"):
        assert (internal / f"{name}-{pins[name]}.dist-info").is_dir(), (name, pins[name])
    (llvm,) = (internal / "llvmlite").rglob("libllvmlite.so")
    assert llvm.stat().st_size < 110 * 2**20


def test_numpy_runs_on_scipy_s_openblas(bundle):
    """build-bundle.sh's blas_shim.py put its shim in place of numpy's OpenBLAS (25 MB): one
    OpenBLAS in the bundle, SciPy's (the map and analyze tests run numpy on it)."""
    internal = bundle / "_internal"
    (numpy_blas,) = (internal / "numpy.libs").glob("libscipy_openblas64_*.so*")
    assert numpy_blas.stat().st_size < 2**20
    (scipy_blas,) = (internal / "scipy.libs").glob("libscipy_openblas-*.so*")
    assert scipy_blas.stat().st_size > 10 * 2**20


READ_ARCHIVE = """
import sys
from PyInstaller.archive import readers
exe, pyz = sys.argv[1:]
with open(pyz, "wb") as fh:
    fh.write(readers.CArchiveReader(exe).extract("PYZ.pyz"))
print("\\n".join(readers.ZlibArchiveReader(pyz).toc))
"""


def archive_modules(bundle: Path, tmp_path: Path) -> set[str]:
    """The modules in the executable's archive, read by the PyInstaller that built it (in the
    build's own environment, OUT_DIR/.build/venv) or, for a bundle built elsewhere, this one."""
    python = bundle.parent / ".build" / "venv" / "bin" / "python"
    if not python.is_file():
        pytest.importorskip("PyInstaller.archive.readers")
        python = Path(sys.executable)
    args = [str(python), "-c", READ_ARCHIVE, str(bundle / "inspector"), str(tmp_path / "PYZ")]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return set(proc.stdout.split())


def test_the_module_archive_leaves_out_what_the_app_never_imports(bundle, tmp_path):
    modules = archive_modules(bundle, tmp_path)
    packages = {name.split(".")[0] for name in modules}
    assert {"inspector", "numpy", "polars", "scipy", "huggingface_hub", "httpx2"} <= packages
    assert not [name for name in LEFT_OUT_MODULES if name in packages or name in modules]


def test_every_command_s_help_runs(bundle, tmp_path):
    """The help of every command (argparse through rich) needs none of what was left out."""
    proc = run(bundle, ["--help"], tmp_path / "home")
    assert proc.returncode == 0, proc.stderr[-3000:]
    commands = ["open", "info", "demo", "map", "models", "analyze", "export", "apply"]
    commands += ["import-filter", "label", "review", "learn", "pairs", "select"]
    assert all(name in proc.stdout for name in commands)
    for name in commands:
        proc = run(bundle, [name, "--help"], tmp_path / "home")
        assert proc.returncode == 0 and "usage: inspector" in proc.stdout, (name, proc.stderr)


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory) -> Path:
    """One HOME for the command-line tests: analyze reuses the kernels map compiled there."""
    return tmp_path_factory.mktemp("cli") / "home"


def test_info_and_map_run_with_no_python_environment(bundle, cli_home, tmp_path):
    rows = sum(1 for line in (ROOT / SAMPLE).read_text(encoding="utf-8").splitlines() if line)
    proc = run(bundle, ["info", str(SAMPLE), "--json"], cli_home)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout[proc.stdout.index("{") :])["rows"] == rows

    out = tmp_path / "map"
    proc = run(bundle, ["map", str(SAMPLE), "--out", str(out)], cli_home)
    assert proc.returncode == 0, proc.stderr[-3000:]
    frame = pl.read_parquet(out / "map.parquet")
    assert frame.height == rows
    assert (out / "map.png").stat().st_size > 0
    assert "Traceback" not in proc.stderr


def test_a_parquet_file_is_read_and_analyzed(bundle, cli_home, tmp_path):
    """Parquet is read by polars (the bundle has no pyarrow), then the quality rules. (The duplicate finder compiles its own kernels on a first run,
    ~1 min on 2 busy cores: run by hand, not in CI's time; packaging/README.md "Tests".)"""
    sample = pl.read_ndjson(ROOT / SAMPLE)
    parquet = tmp_path / "sample.parquet"
    sample.write_parquet(parquet)
    proc = run(bundle, ["info", str(parquet), "--json"], cli_home)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout[proc.stdout.index("{") :])["rows"] == sample.height

    out = tmp_path / "analysis"
    args = ["analyze", str(parquet), "--only", "quality", "--out", str(out)]
    proc = run(bundle, [*args, "--project", str(tmp_path / "project.db")], cli_home)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert pl.read_parquet(out / "analysis.parquet").height == sample.height
    assert (out / "proposed_filter.parquet").is_file()


def test_a_save_to_disk_folder_is_labelled_exported_and_applied(bundle, cli_home, tmp_path):
    """apply in the bundle (no pyarrow) filters the Arrow shard as bytes
    (core/export/arrow_rows.py): its types and schema metadata stay, which datasets'
    load_from_disk checks against dataset_info.json."""
    pa = pytest.importorskip("pyarrow")
    folder = tmp_path / "hf"
    folder.mkdir()
    rows = [{"id": f"r{i}", "prompt": f"question {i}", "tags": ["t"] * (i % 3)} for i in range(9)]
    table = pa.Table.from_pylist(rows).replace_schema_metadata({"huggingface": '{"info": {}}'})
    shard = folder / "data-00000-of-00001.arrow"
    with pa.OSFile(str(shard), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    (folder / "state.json").write_text(json.dumps({"_data_files": [{"filename": shard.name}]}))
    (folder / "dataset_info.json").write_text("{}")
    (tmp_path / "drop.txt").write_text("r2\nr5\n")
    project = ["--project", str(tmp_path / "project.db")]
    steps = (
        ["label", str(folder), *project, "--ids-file", str(tmp_path / "drop.txt")],
        ["export", str(folder), *project, "--out", str(tmp_path / "filter.parquet")],
        ["apply", str(folder), *project, "--filter", str(tmp_path / "filter.parquet")],
    )
    for args in steps:
        extra = ["--decision", "drop"] if args[0] == "label" else []
        extra += ["--out", str(tmp_path / "clean")] if args[0] == "apply" else []
        proc = run(bundle, [*args, *extra], cli_home)
        assert proc.returncode == 0, (args[0], proc.stderr[-3000:])
        assert "Traceback" not in proc.stderr
    out = pa.ipc.open_stream((tmp_path / "clean" / shard.name).read_bytes()).read_all()
    assert out.schema.equals(table.schema, check_metadata=True)
    assert out.column("id").to_pylist() == [r["id"] for r in rows if r["id"] not in ("r2", "r5")]


def test_the_window_opens_on_the_demo_offscreen(bundle, tmp_path):
    home = tmp_path / "home"
    painted = tmp_path / "painted"
    started = time.time()
    proc = run(
        bundle,
        ["demo"],
        home,
        timeout=300,
        QT_QPA_PLATFORM="offscreen",
        INSPECTOR_PAINT_PROBE=str(painted),
        INSPECTOR_PAINT_PROBE_LINGER_S="8",
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert float(painted.read_text()) >= started  # the table painted with the demo's rows
    logs = list(home.rglob("inspector.log"))
    assert logs, "no inspector.log under HOME"
    log = logs[0].read_text(encoding="utf-8")
    assert " started" in log
    bad = [ln for ln in log.splitlines() if " ERROR " in ln or " CRITICAL " in ln]
    # The map starts by itself on the demo, in a child process that the frozen executable
    # must be able to start (forkserver): its failures are warnings, not errors.
    bad += [ln for ln in log.splitlines() if "map process" in ln or "fork server" in ln]
    assert not bad, "\n".join(bad)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]


def test_a_missing_display_is_a_message_not_a_crash(bundle, tmp_path):
    proc = run(bundle, ["demo"], tmp_path / "home", timeout=300, QT_QPA_PLATFORM="xcb")
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-3000:])
    assert "Inspector cannot open its window" in proc.stderr
