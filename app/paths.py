"""Where Tocsin's own files are (Qt-free, for every layer).

``resources/`` sits next to the ``app`` package in a source checkout or editable
install; a frozen build sets ``TOCSIN_RESOURCES``.  Leaflet comes from the installed
``xstatic-leaflet`` package — never a CDN.
"""
from __future__ import annotations

import os
from pathlib import Path

import app

RESOURCES = Path(os.environ.get("TOCSIN_RESOURCES") or Path(app.__file__).resolve().parent.parent / "resources")


def resource(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)


def leaflet_dir() -> Path:
    import xstatic.pkg.leaflet as xs_leaflet

    return Path(xs_leaflet.BASE_DIR)
