#!/usr/bin/env bash
# Put Inspector in the desktop's application menu (Linux, per user): the desktop entry and the
# icon, for one of
#   packaging/install-desktop-entry.sh                 the pip-installed `inspector` on PATH
#   packaging/install-desktop-entry.sh --bundle DIR    a standalone bundle (DIR/inspector)
#   DIR/install-desktop-entry.sh                       the copy inside a bundle: that bundle
# For a bundle it also links ~/.local/bin/inspector to it (unless something else is there), so
# `inspector` works in a terminal. Undo: delete the files it names.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
apps="$data/applications"
icons="$data/icons/hicolor/scalable/apps"

bundle=""
if [ "${1:-}" = "--bundle" ]; then
    [ -n "${2:-}" ] || { echo "usage: $0 [--bundle DIR]" >&2; exit 2; }
    bundle="$(cd "$2" && pwd)"
elif [ $# -gt 0 ]; then
    echo "usage: $0 [--bundle DIR]" >&2; exit 2
elif [ -x "$here/inspector" ] && [ -d "$here/_internal" ]; then
    bundle="$here"
fi

if [ -z "$bundle" ]; then
    # The pip install: the entry runs `inspector` from PATH, the icon comes from the package.
    command -v inspector >/dev/null || { echo "inspector is not on PATH: pip install it first" >&2; exit 1; }
    icon="$(python3 -c 'from inspector.core.paths import resources_dir; print(resources_dir() / "icon.svg")')"
    install -D -m 644 "$here/inspector.desktop" "$apps/inspector.desktop"
else
    exe="$bundle/inspector"
    icon="$bundle/_internal/inspector/resources/icon.svg"
    [ -x "$exe" ] && [ -f "$icon" ] || { echo "$bundle is not an Inspector bundle (no inspector, no _internal)" >&2; exit 1; }
    case "$exe" in *[\"\`\$\\%]*)
        echo "move the bundle to a folder whose path has none of \" \` \$ \\ %: $exe" >&2; exit 1;;
    esac
    mkdir -p "$apps"
    tmp="$(mktemp "$apps/.inspector.desktop.XXXXXX")"
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in
            Exec=*) printf 'Exec="%s" %%f\nTryExec=%s\n' "$exe" "$exe" ;;
            TryExec=*) ;;
            *) printf '%s\n' "$line" ;;
        esac
    done < "$here/inspector.desktop" > "$tmp"
    chmod 644 "$tmp"
    mv "$tmp" "$apps/inspector.desktop"
    bin="$HOME/.local/bin"
    if [ ! -e "$bin/inspector" ] || [ -L "$bin/inspector" ]; then
        mkdir -p "$bin"
        ln -sfn "$exe" "$bin/inspector"
        echo "linked $bin/inspector -> $exe"
    else
        echo "left $bin/inspector as it is (not a link); the menu entry runs $exe" >&2
    fi
fi
install -D -m 644 "$icon" "$icons/inspector.svg"
command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
echo "installed $apps/inspector.desktop"
echo "installed $icons/inspector.svg"
