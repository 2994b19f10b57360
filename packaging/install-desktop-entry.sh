#!/usr/bin/env bash
# Put Inspector in the desktop's application menu (Linux, per user): the desktop entry from
# this folder and the icon from the installed package. Run it after `pip install`, with the
# Python that has Inspector installed first on PATH. Undo: delete the two files it names.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
icon="$(python3 -c 'from inspector.core.paths import resources_dir; print(resources_dir() / "icon.svg")')"
command -v inspector >/dev/null || { echo "inspector is not on PATH: pip install it first" >&2; exit 1; }
install -D -m 644 "$here/inspector.desktop" "$data/applications/inspector.desktop"
install -D -m 644 "$icon" "$data/icons/hicolor/scalable/apps/inspector.svg"
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "installed $data/applications/inspector.desktop"
echo "installed $data/icons/hicolor/scalable/apps/inspector.svg"
