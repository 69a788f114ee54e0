"""Per-sensor HMAC keys, kept in a file only its owner may read.

Format (TOML)::

    # tocsin sensor keys — keep secret (chmod 600)
    [sensors]
    S001 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

Each key is 32–128 hex digits (16–64 bytes).  :func:`load_keys` refuses a file that
the group or others can read or write.
"""
from __future__ import annotations

import os
import re
import secrets
import stat
import tomllib
from pathlib import Path
from typing import Iterable

from app.feeds.protocol import SENSOR_ID_RE

_HEX_KEY_RE = re.compile(r"^(?:[0-9a-fA-F]{2}){16,64}$")


class KeysFileError(ValueError):
    """The keys file is missing, unsafe or malformed (message says which and how to fix)."""


def check_permissions(path: Path) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise KeysFileError(f"keys file {path} does not exist") from None
    if os.name == "posix" and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeysFileError(
            f"keys file {path} is accessible by group or others (mode {stat.S_IMODE(st.st_mode):03o}); "
            f"run: chmod 600 {path}"
        )


def load_keys(path: str | os.PathLike[str]) -> dict[str, bytes]:
    """Sensor id → key bytes.  Raises :class:`KeysFileError`."""
    p = Path(path)
    check_permissions(p)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KeysFileError(f"keys file {p} is not valid TOML: {exc}") from None
    table = data.get("sensors")
    if not isinstance(table, dict) or not table:
        raise KeysFileError(f"keys file {p} has no [sensors] table")
    keys: dict[str, bytes] = {}
    for sensor, hexkey in table.items():
        if not SENSOR_ID_RE.match(sensor):
            raise KeysFileError(f"keys file {p}: sensor id {sensor!r} must match [A-Za-z0-9_.:-]{{1,64}}")
        if not isinstance(hexkey, str) or not _HEX_KEY_RE.match(hexkey):
            raise KeysFileError(f"keys file {p}: key of {sensor} must be 32–128 hex digits")
        keys[sensor] = bytes.fromhex(hexkey)
    return keys


def generate_keys(sensor_ids: Iterable[str], *, nbytes: int = 32) -> dict[str, bytes]:
    return {s: secrets.token_bytes(nbytes) for s in sensor_ids}


def write_keys(path: str | os.PathLike[str], keys: dict[str, bytes]) -> Path:
    """Write a keys file created with mode 600 (never briefly readable by others)."""
    p = Path(path)
    for sensor in keys:
        if not SENSOR_ID_RE.match(sensor):
            raise KeysFileError(f"sensor id {sensor!r} must match [A-Za-z0-9_.:-]{{1,64}}")
    lines = ["# tocsin sensor keys — keep secret (chmod 600)", "[sensors]"]
    lines += [f'"{s}" = "{k.hex()}"' for s, k in sorted(keys.items())]
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, ("\n".join(lines) + "\n").encode("utf-8"))
    finally:
        os.close(fd)
    return p
