"""PyInstaller runtime hook: tell ``app.paths`` where the bundled ``resources/`` are.

Runs before any Tocsin code.  An administrator's own ``TOCSIN_RESOURCES`` wins.
"""
import os
import sys

_bundle = getattr(sys, "_MEIPASS", os.path.dirname(sys.executable))
os.environ.setdefault("TOCSIN_RESOURCES", os.path.join(_bundle, "resources"))
