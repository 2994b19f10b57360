"""One OpenBLAS in the bundle instead of two: numpy's copy (scipy-openblas64, 64-bit integers,
25 MB) is replaced by a small library of the same name (blas64_shim.c) that carries numpy's
57 BLAS and LAPACK calls out with SciPy's OpenBLAS (32-bit integers).

    python3 packaging/bundle/blas_shim.py BUNDLE_INTERNAL_DIR

Kept only if (otherwise numpy's OpenBLAS stays, and the script says why):
- a C compiler (``cc``) is there;
- the shim defines every BLAS/LAPACK name that numpy's extension modules import (a numpy that
  calls one more function keeps its own OpenBLAS);
- numpy, started by this Python with the shim preloaded in place of its OpenBLAS, computes what
  it computes with its own OpenBLAS (``check_numbers``: products, solves, inverses,
  determinants, factorisations, eigen and singular value problems, least squares, in the four
  types, strided and transposed), and really runs on the shim.
This Python's numpy must be the bundle's (build-bundle.sh runs it with the build environment's).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "blas64_shim.c"
# numpy's calls into scipy-openblas64 end with 64_ (cblas_dgemm64_, dgesv_64_)
NUMPY_BLAS_NAME = re.compile(r"^scipy_\w+64_$")


def undefined_blas_symbols(numpy_dir: Path) -> set[str]:
    """The scipy-openblas64 names that numpy's extension modules import."""
    names: set[str] = set()
    for module in numpy_dir.rglob("*.so"):
        proc = subprocess.run(
            ["nm", "-D", "--undefined-only", str(module)], capture_output=True, text=True
        )
        names.update(
            line.split()[-1]
            for line in proc.stdout.splitlines()
            if line.split() and NUMPY_BLAS_NAME.match(line.split()[-1])
        )
    return names


def defined_symbols(library: Path) -> set[str]:
    proc = subprocess.run(
        ["nm", "-D", "--defined-only", str(library)], capture_output=True, text=True, check=True
    )
    return {line.split()[-1] for line in proc.stdout.splitlines() if line.split()}


def soname(library: Path) -> str:
    proc = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True)
    found = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", proc.stdout)
    return found.group(1) if found else library.name


def build(target: Path, name: str, openblas32: Path, rpath: str) -> None:
    """Compile the shim as ``name`` (file name and soname), linked to ``openblas32``."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise RuntimeError("no C compiler (cc)")
    cmd = [
        cc, "-shared", "-fPIC", "-O2", "-s", "-o", str(target), str(SOURCE),
        f"-L{openblas32.parent}", f"-l:{openblas32.name}", "-lm",
        f"-Wl,-soname,{name}", f"-Wl,-rpath,{rpath}", "-Wl,--no-undefined",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"cc failed: {proc.stderr[-2000:]}")


# Run by this Python with and without the shim preloaded; prints a JSON list of results.
CHECK = r"""
import json, sys
import numpy as np
from numpy import linalg as la

rng = np.random.default_rng(20251203)
out = {}

def cplx(x):
    return {"re": np.real(x).tolist(), "im": np.imag(x).tolist()}

for t in (np.float32, np.float64, np.complex64, np.complex128):
    name = np.dtype(t).name
    def m(*shape):
        a = rng.standard_normal(shape)
        if np.issubdtype(t, np.complexfloating):
            a = a + 1j * rng.standard_normal(shape)
        return a.astype(t)
    a, b, v, w = m(37, 23), m(23, 41), m(23), m(23)
    sq = m(19, 19) + 5 * np.eye(19, dtype=t)
    herm = sq @ sq.conj().T + np.eye(19, dtype=t)
    for key, value in {
        "matmul": a @ b, "matvec": a @ v, "vecmat": v @ b, "dot": np.dot(v, w),
        "vdot": np.vdot(v, w), "strided": a[::2, ::3] @ b[::3, ::2], "transposed": b.T @ a.T,
        "gram": a @ a.conj().T, "gram_t": a.conj().T @ a, "neg_stride": a[::-1] @ v[::-1],
        "solve": la.solve(sq, m(19, 3)), "inv": la.inv(sq), "det": la.det(sq),
        "slogdet": la.slogdet(sq)[1], "cholesky": la.cholesky(herm),
        "r": np.abs(la.qr(a)[1]), "r_complete": np.abs(la.qr(a, mode="complete")[1]),
        "svd_values": la.svd(a, compute_uv=False), "eigvalsh": la.eigvalsh(herm),
        "eigvals": np.sort_complex(la.eigvals(sq).astype(np.complex128)),
        "lstsq": la.lstsq(a, m(37, 2), rcond=None)[0],
        "lstsq_sv": la.lstsq(a, m(37), rcond=None)[3],
        "pinv": la.pinv(a), "rank": la.matrix_rank(a[:, :5] @ b[:5]),
        # reversed and strided views: numpy's copies get negative increments
        "eigvals_reversed": np.sort_complex(la.eigvals(sq[::-1]).astype(np.complex128)),
        "solve_reversed": la.solve(sq[::-1, ::-1], m(19)), "det_strided": la.det(sq[::-2, ::-2]),
        "inv_transposed": la.inv(sq.T[::-1]), "svd_reversed": la.svd(a[::-1], compute_uv=False),
    }.items():
        value = np.asarray(value)
        out[f"{name} {key}"] = cplx(value) if np.iscomplexobj(value) else value.tolist()
    # decompositions, checked by what they must reconstruct (signs and phases are free)
    u, s, vh = la.svd(a, full_matrices=False)
    out[f"{name} svd_rebuild"] = bool(np.allclose((u * s) @ vh, a, atol=1e-3))
    q, r = la.qr(a)
    out[f"{name} qr_rebuild"] = bool(np.allclose(q @ r, a, atol=1e-3))
    vals, vecs = la.eigh(herm)
    out[f"{name} eigh_rebuild"] = bool(np.allclose(herm @ vecs, vecs * vals, atol=1e-2))
    vals, vecs = la.eig(sq)
    out[f"{name} eig_rebuild"] = bool(np.allclose(sq @ vecs, vecs * vals, atol=1e-2))
    try:
        la.solve(np.zeros((4, 4), dtype=t), np.ones(4, dtype=t))
        out[f"{name} singular"] = "no error"
    except la.LinAlgError as exc:
        out[f"{name} singular"] = str(exc)
maps = open("/proc/self/maps").read()
out["libraries"] = sorted({line.split()[-1].rsplit("/", 1)[-1] for line in maps.splitlines()
                           if "openblas" in line})
print(json.dumps(out))
"""


def numbers(python: str, preload: Path | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    if preload is not None:
        env["LD_PRELOAD"] = str(preload)
    proc = subprocess.run([python, "-c", CHECK], capture_output=True, text=True, env=env)
    if proc.returncode:
        raise RuntimeError(
            f"numpy failed{' with the shim' if preload else ''}: {proc.stderr[-2000:]}"
        )
    return json.loads(proc.stdout)


def close(one, other, rtol: float) -> bool:
    import numpy as np

    if isinstance(one, dict):
        return close(one["re"], other["re"], rtol) and close(one["im"], other["im"], rtol)
    if isinstance(one, (bool, str)):
        return one == other
    a, b = np.asarray(one, dtype=float), np.asarray(other, dtype=float)
    scale = max(float(np.max(np.abs(b))) if b.size else 0.0, 1.0)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=rtol * scale))


def check_numbers(python: str, shim: Path, shim_name: str) -> list[str]:
    """What differs between numpy on its own OpenBLAS and on the shim (empty: nothing)."""
    own, shimmed = numbers(python, None), numbers(python, shim)
    problems = []
    if shim_name not in shimmed["libraries"] or any("64_" in n for n in shimmed["libraries"]
                                                    if n != shim_name):  # fmt: skip
        problems.append(f"numpy did not run on the shim: {shimmed['libraries']}")
    for key, value in own.items():
        if key == "libraries":
            continue
        rtol = 2e-3 if key.startswith(("float32", "complex64")) else 1e-9
        if key not in shimmed or not close(shimmed[key], value, rtol):
            problems.append(key)
    return problems


def put(source: Path, target: Path) -> None:
    """Replace ``target`` by a copy of ``source`` as a new file (a rename), never by writing
    into it: a process that has the library loaded keeps its pages (rewriting a loaded
    library in place crashed a bundle that was running, SIGSEGV)."""
    staged = target.with_name(target.name + ".new")
    shutil.copy2(source, staged)
    os.replace(staged, target)


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    internal = Path(sys.argv[1]).resolve()
    found64 = [p for p in (internal / "numpy.libs").glob("libscipy_openblas64_*.so*")]
    found32 = [p for p in (internal / "scipy.libs").glob("libscipy_openblas-*.so*")]
    if len(found64) != 1 or len(found32) != 1 or found64[0].is_symlink():
        print(f"blas_shim: numpy's OpenBLAS kept (found {found64} and {found32})")
        return 0
    numpy_blas, scipy_blas = found64[0], found32[0]
    needed = undefined_blas_symbols(internal / "numpy")
    with tempfile.TemporaryDirectory() as tmp:
        shim = Path(tmp) / numpy_blas.name
        try:
            build(shim, soname(numpy_blas), scipy_blas, "$ORIGIN/../scipy.libs")
        except RuntimeError as exc:
            print(f"blas_shim: numpy's OpenBLAS kept ({exc})")
            return 0
        missing = needed - defined_symbols(shim)
        if not needed or missing:
            print(f"blas_shim: numpy's OpenBLAS kept (the shim lacks {sorted(missing)[:8]})")
            return 0
        original = Path(tmp) / "original"
        shutil.copy2(numpy_blas, original)
        put(shim, numpy_blas)  # in place: $ORIGIN/../scipy.libs resolves from there
        try:
            problems = check_numbers(sys.executable, numpy_blas, numpy_blas.name)
        except RuntimeError as exc:
            problems = [str(exc)]
        if problems:
            put(original, numpy_blas)
            print(f"blas_shim: numpy's OpenBLAS kept (with the shim: {problems[:8]})")
            return 0
    print(f"blas_shim: numpy's OpenBLAS replaced ({len(needed)} functions now carried out by "
          f"{scipy_blas.name}; {numpy_blas.stat().st_size} bytes)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
