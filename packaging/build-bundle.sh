#!/usr/bin/env bash
# Build the standalone Inspector bundle: OUT_DIR/inspector/ with an `inspector` executable that
# runs the window and every command with no Python on the machine (PyInstaller, one folder).
#
#   packaging/build-bundle.sh OUT_DIR
#
# The bundle is built in a virtual environment of its own (OUT_DIR/.build/venv, or
# INSPECTOR_BUNDLE_VENV; reused while its requirements are unchanged), made with the Python it
# is started from (PYTHON, default python3) and installed from the package index: Inspector
# (from a copy of these sources, not editable), PyInstaller and packaging/bundle/requirements.txt,
# every version as in the calling environment (pins.py) except the pins there (an older numba
# and llvmlite, whose LLVM is 56 MB smaller). The calling environment's packages are left as
# they are. The default embedding model is distilled with the calling environment (PyTorch),
# once (INSPECTOR_MODEL_DIR is reused when it already holds it), and shipped inside the
# bundle, so the bundle needs no PyTorch.
# Work files go to OUT_DIR/.build (delete it after); OUT_DIR/inspector is replaced.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
case "$out/" in "$root/inspector/"*|"$root/resources/"*|"$root/packaging/"*)
    echo "OUT_DIR must not be inside the sources: $out" >&2; exit 2;;
esac
py="${PYTHON:-python3}"
work="$out/.build"
mkdir -p "$work"
started=$(date +%s)

export PIP_DISABLE_PIP_VERSION_CHECK=1

# The default model: distilled with PyTorch here, at build time, never in the bundle.
export INSPECTOR_MODEL_DIR="${INSPECTOR_MODEL_DIR:-$work/models}"
model="$("$py" -c 'from inspector.core.map.models import prepare_default; print(prepare_default())')"
echo "default model: $model"

# The build environment: its own virtual environment, so the calling one keeps its packages.
venv="${INSPECTOR_BUNDLE_VENV:-$work/venv}"
"$py" "$here/bundle/pins.py" "$here/bundle/requirements.txt" > "$work/constraints.txt"
stamp="$(cat "$here/bundle/requirements.txt" "$work/constraints.txt" | sha256sum | cut -c1-16)"
if [ "$(cat "$venv/.bundle-requirements" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install -q -r "$here/bundle/requirements.txt" \
        -c "$work/constraints.txt"
    echo "$stamp" > "$venv/.bundle-requirements"
fi
# Inspector itself, not editable, from a copy (pip writes build files beside the sources)
rm -rf "$work/src" && mkdir -p "$work/src"
tar -C "$root" --exclude=__pycache__ -cf - pyproject.toml README.md inspector resources \
    | tar -C "$work/src" -xf -
"$venv/bin/python" -m pip install -q --no-deps --force-reinstall "$work/src"
"$venv/bin/python" -c 'import numba, llvmlite, numpy; print("numba", numba.__version__,
    "llvmlite", llvmlite.__version__, "numpy", numpy.__version__)'

INSPECTOR_BUNDLE_MODEL="$model" "$venv/bin/python" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$out" --workpath "$work/pyinstaller" "$here/bundle/inspector.spec"

# Symbol tables: ~150 MB that nothing reads at run time (each stripped library must still load).
"$venv/bin/python" "$here/bundle/strip_libs.py" "$out/inspector/_internal"
# One OpenBLAS: numpy's calls go to SciPy's (25 MB less; numpy's own stays unless the check passes)
"$venv/bin/python" "$here/bundle/blas_shim.py" "$out/inspector/_internal"
# ICU's data without what Qt never reads (22 MB: display names, break rules, legacy codecs)
"$venv/bin/python" "$here/bundle/trim_icu.py" "$out/inspector/_internal"

# The desktop menu entry travels with the bundle: OUT_DIR/inspector/install-desktop-entry.sh
install -m 755 "$here/install-desktop-entry.sh" "$out/inspector/install-desktop-entry.sh"
install -m 644 "$here/inspector.desktop" "$out/inspector/inspector.desktop"

echo "built $out/inspector/inspector in $(( $(date +%s) - started )) s; $(du -sh "$out/inspector" | cut -f1) unpacked"
