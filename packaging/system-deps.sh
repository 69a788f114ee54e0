#!/usr/bin/env bash
# Debian packages the Qt console needs at run time (QtMultimedia needs libpulse0,
# QtWebEngine needs NSS and friends, the X11 (xcb) and Wayland platform plugins need the
# xcb-util and wayland client libraries, soundfile needs libsndfile via its wheel).
# Installs only what is missing, and only when running as root with apt-get.
set -u
pkgs=(libpulse0 libnss3 libxkbcommon0 libxkbcommon-x11-0 libegl1 libgl1 libfontconfig1 libdbus-1-3
      libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxi6 libasound2 libxshmfence1 libgbm1
      libxcb-cursor0 libxkbfile1 libxcb-icccm4 libxcb-keysyms1 libwayland-cursor0 libwayland-egl1)
command -v dpkg-query >/dev/null 2>&1 || exit 0
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || echo "warning: could not install some of: ${missing[*]} (the console may not start; the engine works)"
else
  echo "note: missing system packages ${missing[*]}; install them with your package manager for the console."
fi
exit 0
