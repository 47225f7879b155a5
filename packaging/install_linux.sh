#!/usr/bin/env bash
# Install the built desktop app for the current user (no root): the one-folder build to $PREFIX/lib/matting-studio,
# a matting-studio link in $PREFIX/bin, the .desktop entry ("Open with Matting Studio" for images) and the icons.
#   packaging/install_linux.sh [BUILD_DIR]     BUILD_DIR defaults to dist/matting-studio; PREFIX to ~/.local
#   packaging/install_linux.sh --uninstall
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${PREFIX:-$HOME/.local}"
NAME=matting-studio
APP_DIR="$PREFIX/lib/$NAME"
DESKTOP="$PREFIX/share/applications/$NAME.desktop"
ICONS="$PREFIX/share/icons/hicolor"

refresh() {  # let the desktop notice (both tools are optional)
    command -v update-desktop-database >/dev/null && update-desktop-database -q "$PREFIX/share/applications" || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$ICONS" 2>/dev/null || true
}

if [[ "${1:-}" == "--uninstall" ]]; then
    rm -rf "$APP_DIR"
    rm -f "$PREFIX/bin/$NAME" "$DESKTOP" "$ICONS/scalable/apps/$NAME.svg" "$ICONS/256x256/apps/$NAME.png"
    refresh
    echo "install_linux.sh: removed Matting Studio from $PREFIX"
    exit 0
fi

BUILD="${1:-$ROOT/dist/$NAME}"
if [[ ! -x "$BUILD/$NAME" ]]; then
    echo "install_linux.sh: no build at '$BUILD'; run packaging/build.sh first" >&2
    exit 2
fi
mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$(dirname "$DESKTOP")" "$ICONS/scalable/apps" "$ICONS/256x256/apps"
rm -rf "$APP_DIR.new"
cp -a "$BUILD" "$APP_DIR.new"
rm -rf "$APP_DIR"
mv "$APP_DIR.new" "$APP_DIR"
ln -sfn "$APP_DIR/$NAME" "$PREFIX/bin/$NAME"
install -m 644 "$ROOT/matting_studio/resources/$NAME.svg" "$ICONS/scalable/apps/$NAME.svg"
install -m 644 "$ROOT/matting_studio/resources/$NAME.png" "$ICONS/256x256/apps/$NAME.png"
# the entry names the installed binary by its absolute path, so it works whether or not $PREFIX/bin is on PATH
sed -e "s|^Exec=$NAME |Exec=\"$APP_DIR/$NAME\" |" -e "s|^TryExec=$NAME\$|TryExec=$APP_DIR/$NAME|" \
    "$ROOT/resources/$NAME.desktop" > "$DESKTOP"
refresh
echo "install_linux.sh: installed $APP_DIR, $PREFIX/bin/$NAME and $DESKTOP"
