"""Where the console's files are: ``resources/`` next to the ``app`` package (a source or
editable install) and Leaflet from the installed ``xstatic-leaflet`` package."""
from __future__ import annotations

from pathlib import Path

import app

RESOURCES = Path(app.__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)


def leaflet_dir() -> Path:
    import xstatic.pkg.leaflet as xs_leaflet

    return Path(xs_leaflet.BASE_DIR)
