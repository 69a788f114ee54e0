"""The store, dispatch, geo and export services are Qt-free: importing them (and their CLI
commands) must not load PySide6, pyqtgraph or any other GUI module."""
from __future__ import annotations

import subprocess
import sys


def test_services_import_without_qt():
    code = ("import sys, app.store, app.dispatch, app.geo, app.exports, app.geo.democity, app.cli.db_cmd, "
            "app.cli.import_cmd; bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'pyqtgraph', 'shiboken6', 'folium')); print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"Qt-free services imported GUI modules: {out}"
