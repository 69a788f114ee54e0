#!/usr/bin/env bash
# Arrange the PyInstaller onedir bundle (dist/tocsin/) as an installable Linux folder and
# tarball (AppImage-style AppDir: AppRun + .desktop + icon at the top):
#
#   dist/tocsin-<version>-linux-x86_64/
#     AppRun                          runs the bundle ("AppRun" alone opens the console)
#     org.tocsin.Tocsin.desktop, org.tocsin.Tocsin.svg     (AppImage convention)
#     install.sh                      system-wide install into /opt/tocsin (run as root)
#     bin/tocsin -> ../lib/tocsin/tocsin
#     lib/tocsin/                     the onedir bundle (tocsin + _internal/)
#     share/applications/org.tocsin.Tocsin.desktop
#     share/metainfo/org.tocsin.Tocsin.metainfo.xml
#     share/icons/hicolor/{scalable,16x16…256x256}/apps/org.tocsin.Tocsin.{svg,png}
#   dist/tocsin-<version>-linux-x86_64.tar.gz
#
# The folder also works as an AppDir for appimagetool (not run here: it is not installed,
# and an AppImage adds nothing an IT department needs over the tarball).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIST="${DIST:-$ROOT/dist}"
ICONS="${ICONS:-$ROOT/build/icons}"
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/pyproject.toml" | head -1)"
ARCH="$(uname -m)"
NAME="tocsin-$VERSION-linux-$ARCH"
OUT="$DIST/$NAME"
APP_ID="org.tocsin.Tocsin"

[ -x "$DIST/tocsin/tocsin" ] || { echo "build_layout: no bundle at $DIST/tocsin; run pyinstaller first" >&2; exit 1; }
rm -rf "$OUT" "$OUT.tar.gz"
mkdir -p "$OUT/bin" "$OUT/lib" "$OUT/share/applications" "$OUT/share/metainfo" \
         "$OUT/share/icons/hicolor/scalable/apps"
cp -a "$DIST/tocsin" "$OUT/lib/tocsin"
ln -s ../lib/tocsin/tocsin "$OUT/bin/tocsin"
install -m 644 "$ROOT/packaging/linux/$APP_ID.desktop" "$OUT/share/applications/"
install -m 644 "$ROOT/packaging/linux/$APP_ID.metainfo.xml" "$OUT/share/metainfo/"
install -m 644 "$ROOT/packaging/linux/tocsin.svg" "$OUT/share/icons/hicolor/scalable/apps/$APP_ID.svg"
for png in "$ICONS"/tocsin-*.png; do
  [ -e "$png" ] || { echo "build_layout: note: no PNG icons in $ICONS (packaging/make_icons.py makes them)"; break; }
  size="$(basename "$png" .png)"; size="${size#tocsin-}"
  mkdir -p "$OUT/share/icons/hicolor/${size}x${size}/apps"
  install -m 644 "$png" "$OUT/share/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done
# AppImage-style top level
cp "$ROOT/packaging/linux/$APP_ID.desktop" "$OUT/$APP_ID.desktop"
cp "$ROOT/packaging/linux/tocsin.svg" "$OUT/$APP_ID.svg"
install -m 755 "$ROOT/packaging/system-deps.sh" "$OUT/system-deps.sh"   # Debian/Ubuntu runtime libraries
cat > "$OUT/AppRun" <<'APPRUN'
#!/bin/sh
# Run Tocsin from this folder.  No arguments: open the console.
HERE="$(dirname "$(readlink -f "$0")")"
if [ $# -eq 0 ]; then set -- console; fi
exec "$HERE/lib/tocsin/tocsin" "$@"
APPRUN
chmod 755 "$OUT/AppRun"
cat > "$OUT/install.sh" <<'INSTALL'
#!/bin/sh
# System-wide install: /opt/tocsin, the `tocsin` command in /usr/local/bin, menu entry,
# icon and AppStream metadata under /usr/local/share.  Run as root.  Uninstall with
#   rm -rf /opt/tocsin /usr/local/bin/tocsin /usr/local/share/applications/org.tocsin.Tocsin.desktop \
#          /usr/local/share/metainfo/org.tocsin.Tocsin.metainfo.xml /usr/local/share/icons/hicolor/*/apps/org.tocsin.Tocsin.*
set -eu
HERE="$(dirname "$(readlink -f "$0")")"
PREFIX="${PREFIX:-/usr/local}"
DEST="${DEST:-/opt/tocsin}"
rm -rf "$DEST"
mkdir -p "$DEST" "$PREFIX/bin"
cp -a "$HERE/lib/tocsin/." "$DEST/"
ln -sf "$DEST/tocsin" "$PREFIX/bin/tocsin"
(cd "$HERE/share" && find applications metainfo icons -type f) | while read -r f; do
  mkdir -p "$PREFIX/share/$(dirname "$f")"
  install -m 644 "$HERE/share/$f" "$PREFIX/share/$f"
done
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$PREFIX/share/applications" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$PREFIX/share/icons/hicolor" || true
echo "Tocsin installed in $DEST; run: tocsin --version"
INSTALL
chmod 755 "$OUT/install.sh"
tar -C "$DIST" -czf "$OUT.tar.gz" "$NAME"
echo "layout:  $OUT ($(du -sh "$OUT" | cut -f1))"
echo "tarball: $OUT.tar.gz ($(du -sh "$OUT.tar.gz" | cut -f1))"
