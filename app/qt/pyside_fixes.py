"""Process-wide workarounds for bugs in the Qt binding, applied when ``app.qt`` is imported.

PySide6 6.12.0 on CPython 3.11: ``SignalInstance.emit()`` returns ``True`` without taking
a reference to it, so every signal emitted from Python takes one reference away from the
``True`` singleton.  After some thousands of emits (a once-a-second signal: about an
hour) its count reaches zero and the interpreter aborts with "Fatal Python error:
bool_dealloc: deallocating True or False".  CPython 3.12+ makes ``True``/``False``
immortal, so there is nothing to do there; on 3.11 we give them a reference count no
console run can use up (2**40), which is harmless if the binding is fixed.

The same binding drops a reference to ``None`` on every call of a ``void`` C++ method
(``QFont.setBold``, ``QPainter.save``, ``QPainter.setPen`` …): measured with
``sys.getrefcount(None)``, each call takes one away.  The queue delegate's paint makes
dozens of such calls per cell per repaint, so a console (or the console benchmark) aborted
within seconds with "Fatal Python error: none_dealloc: deallocating None".  ``None`` is
pinned the same way.
"""
from __future__ import annotations

import sys

PINNED_REFS = 1 << 40


def pin_bool_refcounts() -> bool:
    """Make ``True``/``False``/``None`` effectively immortal on CPython < 3.12; True if applied."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    import ctypes

    for obj in (True, False, None):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))   # ob_refcnt: the first field of every object
        if refcnt.value < PINNED_REFS // 2:
            refcnt.value += PINNED_REFS
    return True
