"""Tocsin application: Qt-free services (store, dispatch, geo, feeds, audio, reports),
Qt adapters and the dispatcher console.  Layers import downward only."""
__version__ = "0.1.0"
