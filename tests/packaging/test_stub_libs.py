"""packaging/bundle/stub_libs.py without a bundle: a listed library that nothing calls into
becomes an empty library of the same name (its dependants still load); one whose symbols
another library uses stays as it came."""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("cc") is None or shutil.which("nm") is None, reason="needs cc and nm"
)


@pytest.fixture(scope="module")
def stub_libs():
    spec = importlib.util.spec_from_file_location(
        "inspector_bundle_stub_libs", ROOT / "packaging" / "bundle" / "stub_libs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compile_lib(folder: Path, name: str, code: str, *needed: str) -> Path:
    source = folder / f"{name}.c"
    source.write_text(code)
    out = folder / name
    links = [f"-l:{lib}" for lib in needed]
    subprocess.run(
        ["cc", "-shared", "-fPIC", f"-Wl,-soname,{name}", "-o", str(out), str(source)]
        + [f"-L{folder}", "-Wl,--no-as-needed", *links, "-Wl,-rpath,$ORIGIN"],
        check=True,
        capture_output=True,
    )
    return out


def test_an_unused_library_becomes_a_stub_and_a_used_one_stays(stub_libs, tmp_path, monkeypatch):
    unused = compile_lib(tmp_path, "libunused.so.1", "int unused_f(void) { return 1; }\n")
    used = compile_lib(tmp_path, "libused.so.1", "int used_f(void) { return 2; }\n")
    user = compile_lib(
        tmp_path,
        "libuser.so.1",
        "int used_f(void);\nint user_f(void) { return used_f() + 40; }\n",
        "libunused.so.1",
        "libused.so.1",
    )
    before = unused.stat().st_size
    monkeypatch.setattr(stub_libs, "STUBBED", {"libunused.so.*": "test", "libused.so.*": "test"})
    monkeypatch.setattr(sys, "argv", ["stub_libs.py", str(tmp_path)])

    assert stub_libs.main() == 0

    assert "unused_f" not in stub_libs.dynamic_symbols("nm", [unused], defined=True)
    assert unused.stat().st_size <= before
    assert os.access(unused, os.X_OK)
    assert "used_f" in stub_libs.dynamic_symbols("nm", [used], defined=True)
    # the library that lists both as NEEDED still loads and calls the one it uses
    lib = ctypes.CDLL(str(user), mode=os.RTLD_LOCAL)
    assert lib.user_f() == 42
