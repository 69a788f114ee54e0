"""Progress reporting for long report runs.  Services take a plain callback
``progress(done, total, label)``; the CLI prints it on stderr, the console shows a
``QProgressDialog`` (``app.qt.report_progress``)."""
from __future__ import annotations

import sys
import time
from typing import Callable, Protocol, TextIO

ProgressCallback = Callable[[int, int, str], None]


class Cancelled(Exception):
    """Raised by a progress callback to stop a long run (the user pressed Cancel)."""


class SupportsProgress(Protocol):
    def __call__(self, done: int, total: int, label: str) -> None: ...


def no_progress(done: int, total: int, label: str) -> None:  # noqa: ARG001
    return None


class TextProgress:
    """``[#####.....]  45%  label`` on one stderr line, redrawn at most 10 times a second.
    Silent when the stream is not a terminal unless ``force``."""

    def __init__(self, stream: TextIO | None = None, *, width: int = 30, force: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = force or bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0
        self._shown = False

    def __call__(self, done: int, total: int, label: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        final = total > 0 and done >= total
        if not final and now - self._last < 0.1:
            return
        self._last = now
        frac = 0.0 if total <= 0 else min(1.0, done / total)
        n = int(round(frac * self.width))
        self.stream.write(f"\r[{'#' * n}{'.' * (self.width - n)}] {frac * 100:3.0f}%  {label[:40]:<40}")
        self._shown = True
        if final:
            self.finish()
        self.stream.flush()

    def finish(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False
