"""Render the Tocsin icon (packaging/linux/tocsin.svg) to PNG sizes and a Windows .ico.

Build-time only; outputs go to ``build/icons/`` (never committed).  Uses Qt's SVG
renderer and image writers (PySide6 is already a dependency), so no extra tools::

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py [OUT_DIR]
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "packaging" / "linux" / "tocsin.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(size: int):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {SVG} is not a valid SVG")
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return img


def main(argv: list[str]) -> int:
    from PySide6.QtGui import QGuiApplication

    out = Path(argv[0]) if argv else ROOT / "build" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - image plugins need it
    for size in PNG_SIZES:
        path = out / f"tocsin-{size}.png"
        if not render(size).save(str(path), "PNG"):
            raise SystemExit(f"make_icons: could not write {path}")
    # Qt's ICO writer stores one image per file; the largest is what Windows scales from.
    ico = out / "tocsin.ico"
    if not render(256).save(str(ico), "ICO"):
        print(f"make_icons: Qt has no ICO writer here; {ico} not made (Windows builds need it)", file=sys.stderr)
    print(f"icons written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
