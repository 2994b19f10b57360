"""packaging/bundle/blas_shim.py without a bundle: the shim is built against this
environment's numpy and SciPy and preloaded in place of numpy's OpenBLAS (same soname), so
numpy runs every BLAS and LAPACK call on SciPy's 32-bit OpenBLAS. numpy's own linear algebra
tests pass on it, the results equal those on numpy's own OpenBLAS, and a size that does not fit
32 bits stops the process with a message instead of a wrong result."""

from __future__ import annotations

import importlib.util
import os
import re
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
def blas_shim():
    spec = importlib.util.spec_from_file_location(
        "inspector_bundle_blas_shim", ROOT / "packaging" / "bundle" / "blas_shim.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shim(blas_shim, tmp_path_factory) -> Path:
    import numpy

    site = Path(numpy.__file__).resolve().parents[1]
    numpy_blas = list((site / "numpy.libs").glob("libscipy_openblas64_*.so*"))
    scipy_blas = list((site / "scipy.libs").glob("libscipy_openblas-*.so*"))
    if len(numpy_blas) != 1 or len(scipy_blas) != 1:
        pytest.skip("numpy and SciPy are not the wheels with scipy-openblas")
    target = tmp_path_factory.mktemp("shim") / numpy_blas[0].name
    blas_shim.build(
        target, blas_shim.soname(numpy_blas[0]), scipy_blas[0], str(scipy_blas[0].parent)
    )
    needed = blas_shim.undefined_blas_symbols(site / "numpy")
    assert len(needed) >= 50 and needed <= blas_shim.defined_symbols(target)
    return target


def test_numpy_on_the_shim_computes_what_it_computes_on_its_own_openblas(blas_shim, shim):
    assert blas_shim.check_numbers(sys.executable, shim, shim.name) == []


def test_numpy_s_linear_algebra_tests_pass_on_the_shim(shim, tmp_path):
    # test_blas64_geqrf_lwork_smoketest passes lwork = 2**32 + 1: stopped (the next test)
    args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs", "numpy.linalg"]
    args += ["-k", "not test_blas64_geqrf_lwork_smoketest", "-W", "ignore::DeprecationWarning"]
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=tmp_path,
        env={**os.environ, "LD_PRELOAD": str(shim)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert re.search(r"\d{3} passed", proc.stdout) and not re.search(r"\d+ failed", proc.stdout)


def test_a_size_over_32_bits_stops_with_a_message(shim):
    code = (
        "import numpy as np\n"
        "from numpy.linalg import lapack_lite\n"
        "a = np.zeros((1, 1), order='F'); tau = np.zeros(1); work = np.zeros(1)\n"
        "lapack_lite.dgeqrf(1, 1, a, 1, tau, work, 2**32 + 1, 0)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "LD_PRELOAD": str(shim)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert "4294967297 does not fit the bundle's 32-bit BLAS" in proc.stderr
