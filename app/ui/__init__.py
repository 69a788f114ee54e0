"""Widgets and windows of the dispatcher console (PySide6).  Business rules live in the
Qt-free services; these files lay out, wire and paint."""
