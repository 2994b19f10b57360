"""Strip the symbol tables from the bundle's shared libraries, keeping each stripped copy only
if it still loads: ``strip`` breaks libraries that auditwheel has patched with patchelf (numpy's
OpenBLAS: "ELF load command address/offset not page-aligned"), so every library is checked
with ``dlopen`` after stripping, beside the original (so ``$ORIGIN`` paths still resolve), and
the original is kept whenever the stripped copy fails to load.

Then identical copies of a library (numpy's and SciPy's wheels each vendor the same
libgfortran and libquadmath) become relative symbolic links to one of them.

    python3 packaging/bundle/strip_libs.py BUNDLE_INTERNAL_DIR
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path


def shared_libraries(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        if path.suffix == ".so" or ".so." in path.name:
            with path.open("rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def loads(path: Path) -> bool:
    try:
        ctypes.CDLL(str(path), mode=os.RTLD_LAZY | os.RTLD_LOCAL)
    except OSError:
        return False
    return True


def link_duplicates(libraries: list[Path]) -> int:
    """Replace each later byte-identical copy with a relative link to the first; bytes saved.
    The dynamic loader follows the link and, by the shared soname, loads the library once."""
    first: dict[tuple[int, str], Path] = {}
    saved = 0
    for lib in libraries:
        key = (lib.stat().st_size, hashlib.sha256(lib.read_bytes()).hexdigest())
        if key not in first:
            first[key] = lib
            continue
        target = os.path.relpath(first[key], lib.parent)
        lib.unlink()
        lib.symlink_to(target)
        saved += key[0]
    return saved


def main() -> int:
    folder = Path(sys.argv[1])
    strip = shutil.which("strip")
    if strip is None:
        print("strip_libs: no `strip` (binutils): the libraries keep their symbols")
        return 0
    saved = kept = 0
    for lib in shared_libraries(folder):
        trial = lib.with_name(lib.name + ".stripped")
        done = subprocess.run(
            [strip, "--strip-unneeded", "-o", str(trial), str(lib)], capture_output=True
        )
        if done.returncode or trial.stat().st_size >= lib.stat().st_size:
            trial.unlink(missing_ok=True)
            continue
        # Only a copy that loads replaces the original (a library that cannot load here at
        # all, for a dependency this machine lacks, stays as it came).
        if loads(trial):
            saved += lib.stat().st_size - trial.stat().st_size
            shutil.copymode(lib, trial)
            trial.replace(lib)
        else:
            kept += 1
            trial.unlink()
    print(f"strip_libs: {saved / 2**20:.0f} MB of symbols removed; {kept} libraries kept whole")
    linked = link_duplicates(shared_libraries(folder))
    print(f"strip_libs: {linked / 2**20:.1f} MB of duplicate libraries made links")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
