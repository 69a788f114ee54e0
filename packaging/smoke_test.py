"""Smoke test of the **frozen** build (``dist/tocsin/``), run after ``make package``.

Checks, in order, and prints one line per check (exit status 1 if any fails):

1. ``tocsin --version`` prints ``tocsin <version of pyproject.toml>``;
2. ``tocsin locate --help`` works (a CLI module imported dynamically is in the bundle);
3. no Qt library in the bundle has an unresolved Qt dependency (the spec prunes QML
   modules; this proves it pruned nothing that is needed).  Missing *system* libraries
   are listed as notes: ``packaging/system-deps.sh`` installs them on Debian/Ubuntu;
4. ``tocsin console --screenshot`` offscreen exits 0 and writes a PNG of the expected size
   whose map area shows the rendered demo city (many colours, street colour present — a
   blank or failed web view is one flat colour) and whose alert queue shows rows (text
   and the selected-row highlight).

``--runs N`` repeats the screenshot run and reports the median start-up time: from
process start to the console's "window shown" line (the window is up and usable; the
map fills in over the next second), and the whole run's wall time.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/smoke_test.py [--bundle dist/tocsin] [--runs 5]

Image checks use PySide6 from the build environment's venv (QImage) and numpy.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_MIN_SIZE = (1600, 1000)  # the console's --size default; the window may be wider (minimum widths)
# Regions as fractions of the window (x0, y0, x1, y1) for the default dock layout.
MAP_REGION = (0.40, 0.12, 0.71, 0.60)   # default layout: queue left, map centre-top
QUEUE_REGION = (0.0, 0.12, 0.38, 0.95)
STREET_RGB = (0x59, 0x66, 0x7A)      # app/ui/map_page.py CITY_STYLES["streets"]
SELECTED_ROW_RGB = (0x0A, 0x5A, 0x8A)  # resources/ui/dark.qss selection colour


class Checks:
    def __init__(self) -> None:
        self.failed = 0

    def report(self, ok: bool, what: str, detail: str = "") -> bool:
        print(f"{'PASS' if ok else 'FAIL'}  {what}" + (f"  ({detail})" if detail else ""), flush=True)
        self.failed += not ok
        return ok


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("TOCSIN_RESOURCES", None)  # the bundle must find its own resources
    return env


def check_cli(exe: Path, checks: Checks) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60, env=_env())
    checks.report(r.returncode == 0 and r.stdout.strip() == f"tocsin {version}", "tocsin --version",
                  f"rc={r.returncode} out={r.stdout.strip()!r}")
    r = subprocess.run([str(exe), "locate", "--help"], capture_output=True, text=True, timeout=60, env=_env())
    checks.report(r.returncode == 0 and "usage: tocsin locate" in r.stdout, "tocsin locate --help",
                  f"rc={r.returncode}")


def check_libraries(bundle: Path, checks: Checks) -> None:
    if not sys.platform.startswith("linux"):
        return
    internal = bundle / "_internal"
    qt_lib = internal / "PySide6" / "Qt" / "lib"
    env = dict(os.environ, LD_LIBRARY_PATH=f"{internal}:{qt_lib}")
    missing_qt: dict[str, set[str]] = {}
    missing_sys: set[str] = set()
    for so in sorted(internal.rglob("*.so*")):
        if not so.is_file() or so.is_symlink():
            continue
        out = subprocess.run(["ldd", str(so)], capture_output=True, text=True, env=env).stdout
        for lib in re.findall(r"^\s*(\S+) => not found", out, re.M):
            if lib.startswith("libQt6"):
                missing_qt.setdefault(lib, set()).add(so.name)
            else:
                missing_sys.add(lib)
    checks.report(not missing_qt, "every bundled library finds its Qt libraries",
                  "; ".join(f"{k} needed by {', '.join(sorted(v))}" for k, v in missing_qt.items()))
    if missing_sys:
        print(f"note  system libraries not installed here: {', '.join(sorted(missing_sys))} "
              "(packaging/system-deps.sh lists what the console needs)")


def run_console(exe: Path, png: Path, after_s: float) -> tuple[int, float | None, float, str]:
    """(exit status, seconds to 'window shown', total seconds, stderr)."""
    png.unlink(missing_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(exe), "console", "--screenshot", str(png), "--after", str(after_s)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_env())
    shown: list[float] = []
    lines: list[str] = []

    def read() -> None:
        for line in proc.stderr:
            lines.append(line)
            if "window shown" in line and not shown:
                shown.append(time.perf_counter() - t0)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        rc = proc.wait(timeout=180)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = -9
    reader.join(5)
    return rc, (shown[0] if shown else None), time.perf_counter() - t0, "".join(lines)


def _region(a, frac):
    h, w = a.shape[:2]
    x0, y0, x1, y1 = frac
    return a[int(y0 * h):int(y1 * h), int(x0 * w):int(x1 * w)]


def _near(region, rgb, tol: int = 24) -> float:
    import numpy as np

    d = np.abs(region.astype(np.int16) - np.array(rgb, np.int16)).max(axis=-1)
    return float((d <= tol).mean())


def check_screenshot(png: Path, checks: Checks) -> None:
    import numpy as np
    from PySide6.QtGui import QImage

    img = QImage(str(png))
    if not checks.report(not img.isNull(), "screenshot is a readable PNG", str(png)):
        return
    w, h = img.width(), img.height()
    checks.report(w >= EXPECTED_MIN_SIZE[0] and h >= EXPECTED_MIN_SIZE[1], "screenshot size",
                  f"{w}x{h}, expected at least {EXPECTED_MIN_SIZE[0]}x{EXPECTED_MIN_SIZE[1]}")
    img = img.convertToFormat(QImage.Format.Format_RGB32)
    bgra = np.frombuffer(img.constBits(), np.uint8).reshape(h, img.bytesPerLine() // 4, 4)[:, :w]
    rgb = bgra[..., 2::-1]
    for name, frac in (("map", MAP_REGION), ("queue", QUEUE_REGION)):
        region = _region(rgb, frac).reshape(-1, 3)
        colours, counts = np.unique(region, axis=0, return_counts=True)
        dominant = counts.max() / len(region)
        checks.report(len(colours) >= 100 and dominant <= 0.9, f"{name} area is not blank",
                      f"{len(colours)} colours, most common covers {dominant:.0%}")
    street = _near(_region(rgb, MAP_REGION), STREET_RGB)
    checks.report(street >= 0.003, "map shows the demo city's streets (Leaflet rendered the GeoJSON)",
                  f"{street:.1%} street-coloured pixels")
    queue = _region(rgb, QUEUE_REGION)
    text = float((queue.mean(axis=-1) > 180).mean())
    selected = _near(queue, SELECTED_ROW_RGB, tol=16)
    checks.report(text >= 0.003 and selected >= 0.01, "alert queue shows rows and the selected incident",
                  f"{text:.1%} text pixels, {selected:.1%} selected-row pixels")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bundle", type=Path, default=ROOT / "dist" / "tocsin", help="onedir bundle (default dist/tocsin)")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "smoke", help="where screenshots go")
    ap.add_argument("--runs", type=int, default=1, help="screenshot runs (median start-up time over them)")
    ap.add_argument("--after", type=float, default=4.0, help="seconds of demo before each screenshot")
    args = ap.parse_args(argv)
    exe = args.bundle / ("tocsin.exe" if os.name == "nt" else "tocsin")
    if not exe.is_file():
        print(f"FAIL  no bundle at {exe}; run `make package` first")
        return 1
    checks = Checks()
    check_cli(exe, checks)
    check_libraries(args.bundle, checks)
    shown_s, total_s = [], []
    for i in range(max(1, args.runs)):
        png = args.out / f"console-{i + 1}.png"
        rc, shown, total, err = run_console(exe, png, args.after)
        ok = checks.report(rc == 0 and png.is_file(), f"console --screenshot run {i + 1}",
                           f"rc={rc}, window shown after {shown if shown is None else round(shown, 2)} s, "
                           f"{total:.1f} s in all")
        if not ok:
            print(err[-3000:])
            break
        if shown is not None:
            shown_s.append(shown)
        total_s.append(total)
        if i == 0:
            check_screenshot(png, checks)
    size_mb = sum(f.stat().st_size for f in args.bundle.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6
    print(f"bundle  {args.bundle}: {size_mb:.0f} MB on disk (apparent size)")
    if shown_s:
        print(f"startup process start → window shown: median {statistics.median(shown_s):.2f} s over "
              f"{len(shown_s)} run(s) (min {min(shown_s):.2f}, max {max(shown_s):.2f}); whole run with "
              f"--after {args.after:g}: median {statistics.median(total_s):.1f} s")
    print(f"screenshot {args.out / 'console-1.png'}")
    print("smoke test " + ("FAILED" if checks.failed else "passed"))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
