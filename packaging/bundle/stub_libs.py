"""Replace libraries that the bundle loads but never calls into with empty ones of the same
name (a few KB), so that the libraries listing them as NEEDED still load.

pyarrow's extension modules and ``libarrow_python`` all list ``libarrow_substrait`` (4.3 MB,
the Substrait query plan consumer behind ``pyarrow.substrait``, which the bundle leaves out)
as NEEDED, without calling any function of it. A library is replaced only when no other
shared object in the bundle refers to any symbol it defines (``nm -D``); otherwise, or without
``nm`` and a C compiler, it stays as it came.

    python3 packaging/bundle/stub_libs.py BUNDLE_INTERNAL_DIR
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# file name pattern -> why nothing calls into it
STUBBED = {
    "libarrow_substrait.so.*": "pyarrow.substrait is left out (inspector.spec EXCLUDES)",
}


def dynamic_symbols(nm: str, paths: list[Path], defined: bool) -> set[str]:
    """The dynamic symbols the libraries define (or use), without versions; one ``nm`` run
    per 200 libraries (one run per library takes ~20 s over a bundle, this under a second)."""
    flag = "--defined-only" if defined else "--undefined-only"
    found: set[str] = set()
    for start in range(0, len(paths), 200):
        chunk = [str(p) for p in paths[start : start + 200]]
        done = subprocess.run([nm, "-D", "-A", flag, *chunk], capture_output=True, text=True)
        # "FILE: ADDR T name@@VERSION" / "FILE: U name@VERSION": the name, without its version
        found |= {ln.split()[-1].split("@")[0] for ln in done.stdout.splitlines() if ln.strip()}
    return found


def elf_files(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file() or ".so" not in path.name:
            continue
        with path.open("rb") as fh:
            if fh.read(4) == b"\x7fELF":
                found.append(path)
    return found


def build_stub(cc: str, soname: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "stub.S"
        source.write_text('\t.section .note.GNU-stack,"",@progbits\n')
        subprocess.run(
            [cc, "-shared", "-nostdlib", f"-Wl,-soname,{soname}", "-o", str(out), str(source)],
            check=True,
            capture_output=True,
        )


def main() -> int:
    folder = Path(sys.argv[1])
    nm = shutil.which("nm")
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if nm is None or cc is None:
        print("stub_libs: no nm or C compiler: the libraries stay as they are")
        return 0
    libraries = elf_files(folder)
    targets = [
        lib for pattern in STUBBED for lib in libraries if lib.match(pattern) and lib.is_file()
    ]
    if not targets:
        return 0
    wanted = dynamic_symbols(nm, [lib for lib in libraries if lib not in targets], defined=False)
    for lib in targets:
        used = dynamic_symbols(nm, [lib], defined=True) & wanted
        if used:
            print(f"stub_libs: {lib.name} stays: {len(used)} of its symbols are used")
            continue
        size = lib.stat().st_size
        trial = lib.with_name(lib.name + ".stub")
        try:
            build_stub(cc, lib.name, trial)
        except subprocess.CalledProcessError as exc:
            print(f"stub_libs: {lib.name} stays: {exc.stderr.decode(errors='replace')[-300:]}")
            continue
        shutil.copymode(lib, trial)
        trial.replace(lib)
        print(f"stub_libs: {lib.name} is an empty stub now ({size / 2**20:.1f} MB less)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
