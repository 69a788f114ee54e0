"""Qt adapters: models, the engine/feed worker, the map bridge and playback.  They turn
Qt-free services into signals and roles; widgets in ``app.ui`` sit on top of them."""
from app.qt.pyside_fixes import pin_bool_refcounts

pin_bool_refcounts()   # before any signal is emitted (see pyside_fixes)
