"""File helpers shared by the store, the audio writers and the console (no Qt, no numpy)."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

#: A SHA-256 (or HMAC-SHA256) digest as lowercase hex; use with ``fullmatch``.
HEX64_RE = re.compile(r"[0-9a-f]{64}")


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's contents (hex), read in 64 KiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()
