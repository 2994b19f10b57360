#!/usr/bin/env bash
# Build the standalone Inspector bundle: OUT_DIR/inspector/ with an `inspector` executable that
# runs the window and every command with no Python on the machine (PyInstaller, one folder).
#
#   packaging/build-bundle.sh OUT_DIR
#
# Runs in the Python environment it is started from (PYTHON, default python3), which must have
# Inspector's dependencies (`pip install -e .` or the wheel); it installs PyInstaller there.
# The default embedding model is distilled here, once (INSPECTOR_MODEL_DIR is reused when it
# already holds it), and shipped inside the bundle, so the bundle needs no PyTorch.
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
"$py" -m pip install -q "pyinstaller>=6.10,<7"
"$py" -c "import inspector" 2>/dev/null || "$py" -m pip install -q "$root"

# The default model: distilled with PyTorch here, at build time, never in the bundle.
export INSPECTOR_MODEL_DIR="${INSPECTOR_MODEL_DIR:-$work/models}"
model="$("$py" -c 'from inspector.core.map.models import prepare_default; print(prepare_default())')"
echo "default model: $model"

INSPECTOR_BUNDLE_MODEL="$model" "$py" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$out" --workpath "$work/pyinstaller" "$here/bundle/inspector.spec"

# Symbol tables: ~150 MB that nothing reads at run time (each stripped library must still load).
"$py" "$here/bundle/strip_libs.py" "$out/inspector/_internal"
# ICU's data without what Qt never reads (22 MB: display names, break rules, legacy codecs)
"$py" "$here/bundle/trim_icu.py" "$out/inspector/_internal"

# The desktop menu entry travels with the bundle: OUT_DIR/inspector/install-desktop-entry.sh
install -m 755 "$here/install-desktop-entry.sh" "$out/inspector/install-desktop-entry.sh"
install -m 644 "$here/inspector.desktop" "$out/inspector/inspector.desktop"

echo "built $out/inspector/inspector in $(( $(date +%s) - started )) s; $(du -sh "$out/inspector" | cut -f1) unpacked"
