"""The sensor wire protocol: canonical bytes, MACs, and message validation.

Pure functions, no I/O (the server and the emulator do the sockets).  See
``docs/protocol.md`` for the specification this module implements.

A message is one JSON object on one line (UTF-8, ``\\n``-terminated, at most
:data:`MAX_LINE_BYTES` bytes including the newline).  Its ``mac`` field is
HMAC-SHA256, in lowercase hex, over the *canonical bytes* of the object without
``mac``: RFC 8785 (JSON Canonicalization Scheme) — keys sorted by code point, no
whitespace, UTF-8, numbers in ECMAScript form.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

from app.fileutil import HEX64_RE

PROTOCOL_VERSION = 1
MAX_LINE_BYTES = 1 << 20
"""1 MiB: the longest line (message plus newline) a server reads."""
MAX_AUDIO_CHUNKS = 4096
MAX_AUDIO_BYTES = 64 << 20
MAX_INT = (1 << 63) - 1
SENSOR_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

SENSOR_TYPES = ("hello", "pulse", "audio", "health", "bye")
SERVER_TYPES = ("welcome", "ack", "nack")
AUDIO_ENCODINGS = ("pcm_s16le", "wav", "flac")

REJECT_REASONS: tuple[str, ...] = (
    "oversize",          # line longer than MAX_LINE_BYTES
    "bad_json",          # not UTF-8, not JSON, not an object, duplicate keys, NaN/Infinity
    "bad_version",       # "v" is not PROTOCOL_VERSION
    "bad_schema",        # missing field, wrong type, number out of range, unknown type
    "unknown_sensor",    # no key for this sensor id
    "bad_mac",           # MAC missing or wrong
    "stale_time",        # sent_ns outside the accepted window around the server's clock
    "no_hello",          # a sensor's first message on a connection was not hello
    "replay",            # same sensor+seq seen before with the same or a newer sent_ns
    "rate_limited",      # connection over its message rate
    "audio_mismatch",    # chunks of a clip disagree, or size/SHA-256 of the whole clip is wrong
    "store_error",       # the durable store failed; nothing acknowledged, sensor resends
)


class ProtocolError(ValueError):
    """A message was rejected; ``reason`` is one of :data:`REJECT_REASONS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# --------------------------------------------------------------------------- canonical JSON
def _es_number(v: float) -> str:
    """ECMAScript Number.prototype.toString for a finite float (RFC 8785 §3.2.2.3)."""
    if v == 0:
        return "0"
    if v < 0:
        return "-" + _es_number(-v)
    digits, exp = _shortest_digits(v)
    k = len(digits)
    n = exp + k  # value = 0.digits × 10^n
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    mant = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{mant}e{sign}{abs(e)}"


def _shortest_digits(v: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of positive ``v`` and exponent: v = int(digits) × 10^exp."""
    r = repr(v)
    if "e" in r:
        mant, e = r.split("e")
        exp = int(e)
    else:
        mant, exp = r, 0
    if "." in mant:
        ip, fp = mant.split(".")
        if fp == "0":
            fp = ""
    else:
        ip, fp = mant, ""
    digits = (ip + fp).lstrip("0")
    exp -= len(fp)
    stripped = digits.rstrip("0")
    exp += len(digits) - len(stripped)
    return stripped or "0", exp


def _canon(obj: Any, out: list[str]) -> None:
    if obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, int):
        out.append(str(obj))
    elif isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError("NaN and Infinity have no canonical JSON form")
        out.append(_es_number(obj))
    elif isinstance(obj, str):
        out.append(json.dumps(obj, ensure_ascii=False))
    elif isinstance(obj, (list, tuple)):
        out.append("[")
        for i, item in enumerate(obj):
            if i:
                out.append(",")
            _canon(item, out)
        out.append("]")
    elif isinstance(obj, Mapping):
        out.append("{")
        # RFC 8785 sorts by UTF-16 code units; for keys in the BMP this is code-point order.
        keys = sorted(obj, key=lambda s: s.encode("utf-16-be"))
        for i, k in enumerate(keys):
            if not isinstance(k, str):
                raise TypeError("object keys must be strings")
            if i:
                out.append(",")
            out.append(json.dumps(k, ensure_ascii=False))
            out.append(":")
            _canon(obj[k], out)
        out.append("}")
    else:
        raise TypeError(f"cannot canonicalize {type(obj).__name__}")


def canonical_bytes(obj: Mapping[str, Any]) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of ``obj`` with its ``mac`` field left out."""
    body = {k: v for k, v in obj.items() if k != "mac"}
    fast = _fast_form(body, 0)
    if fast is not _SLOW:
        return json.dumps(fast, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    return canonical_bytes_reference(body)


def canonical_bytes_reference(obj: Mapping[str, Any]) -> bytes:
    """The plain, slow implementation (the fast path must give the same bytes)."""
    out: list[str] = []
    _canon({k: v for k, v in obj.items() if k != "mac"}, out)
    return "".join(out).encode("utf-8")


_SLOW = object()


def _fast_form(v: Any, depth: int) -> Any:
    """``v`` made safe for ``json.dumps(sort_keys=True)`` to print canonically, or _SLOW.

    json.dumps matches RFC 8785 except for floats outside [1e-4, 1e16) or integral ones
    (ECMAScript prints those differently) and for keys outside the BMP (sort order)."""
    if depth > 8:
        return _SLOW
    t = type(v)
    if t is str or t is int or t is bool or v is None:
        return v
    if t is float:
        a = abs(v)
        if v.is_integer():
            return int(v) if a < 9007199254740992.0 else _SLOW
        if 1e-4 <= a < 1e16:
            return v
        return _SLOW
    if t is dict:
        out = {}
        for k, x in v.items():
            if type(k) is not str or (k and max(k) > "\uffff"):
                return _SLOW
            f = _fast_form(x, depth + 1)
            if f is _SLOW:
                return _SLOW
            out[k] = f
        return out
    if t is list or t is tuple:
        out_l = []
        for x in v:
            f = _fast_form(x, depth + 1)
            if f is _SLOW:
                return _SLOW
            out_l.append(f)
        return out_l
    return _SLOW


def compute_mac(key: bytes, obj: Mapping[str, Any]) -> str:
    return hmac.new(key, canonical_bytes(obj), hashlib.sha256).hexdigest()


def sign(key: bytes, obj: dict[str, Any]) -> dict[str, Any]:
    """Set ``obj["mac"]`` (in place) and return ``obj``."""
    obj["mac"] = compute_mac(key, obj)
    return obj


def verify_mac(key: bytes, obj: Mapping[str, Any]) -> bool:
    mac = obj.get("mac")
    if not isinstance(mac, str) or not HEX64_RE.fullmatch(mac):
        return False
    return hmac.compare_digest(mac, compute_mac(key, obj))


def encode_line(obj: Mapping[str, Any]) -> bytes:
    """One wire line.  The field order on the wire does not matter; the MAC is over canonical bytes."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8") + b"\n"


# --------------------------------------------------------------------------- parsing
def _no_dup_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for k, v in pairs:
        if k in d:
            raise ValueError(f"duplicate key {k!r}")
        d[k] = v
    return d


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


_DECODER = json.JSONDecoder(object_pairs_hook=_no_dup_keys, parse_constant=_no_constants)


def parse_line(line: bytes) -> dict[str, Any]:
    """Bytes of one line (without or with its trailing newline) → JSON object, or ProtocolError."""
    if len(line) > MAX_LINE_BYTES:
        raise ProtocolError("oversize", f"{len(line)} bytes")
    try:
        text = line.decode("utf-8")
        obj = _DECODER.decode(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError("bad_json", str(exc)[:120]) from None
    if not isinstance(obj, dict):
        raise ProtocolError("bad_json", "top level is not an object")
    return obj


def _int(obj: Mapping[str, Any], name: str, lo: int = 0, hi: int = MAX_INT, *, optional: bool = False) -> int | None:
    v = obj.get(name)
    if v is None and optional:
        return None
    if type(v) is not int:
        raise ProtocolError("bad_schema", f"{name} must be an integer")
    if not lo <= v <= hi:
        raise ProtocolError("bad_schema", f"{name} out of range [{lo}, {hi}]")
    return v


def _num(obj: Mapping[str, Any], name: str, lo: float, hi: float, *, optional: bool = True) -> float | None:
    v = obj.get(name)
    if v is None and optional:
        return None
    if type(v) not in (int, float):
        raise ProtocolError("bad_schema", f"{name} must be a number")
    f = float(v)
    if not (math.isfinite(f) and lo <= f <= hi):
        raise ProtocolError("bad_schema", f"{name} out of range [{lo}, {hi}]")
    return f


def _str(obj: Mapping[str, Any], name: str, max_len: int = 256, *, optional: bool = False) -> str | None:
    v = obj.get(name)
    if v is None and optional:
        return None
    if not isinstance(v, str) or not 0 < len(v) <= max_len:
        raise ProtocolError("bad_schema", f"{name} must be a string of 1–{max_len} characters")
    return v


def _bool(obj: Mapping[str, Any], name: str) -> bool:
    v = obj.get(name)
    if not isinstance(v, bool):
        raise ProtocolError("bad_schema", f"{name} must be true or false")
    return v


@dataclass(frozen=True, slots=True)
class Envelope:
    """The fields every sensor message has, validated."""

    type: str
    sensor: str
    seq: int
    sent_ns: int


def check_envelope(obj: Mapping[str, Any]) -> Envelope:
    """Validate version, type, sensor id, seq and sent_ns (not the MAC, not the body)."""
    if obj.get("v") != PROTOCOL_VERSION or type(obj.get("v")) is not int:
        raise ProtocolError("bad_version", f"v must be {PROTOCOL_VERSION}")
    t = obj.get("type")
    if t not in SENSOR_TYPES:
        raise ProtocolError("bad_schema", "type must be one of " + ", ".join(SENSOR_TYPES))
    sensor = obj.get("sensor")
    if not isinstance(sensor, str) or not SENSOR_ID_RE.match(sensor):
        raise ProtocolError("bad_schema", "sensor must match [A-Za-z0-9_.:-]{1,64}")
    seq = _int(obj, "seq")
    sent = _int(obj, "sent_ns")
    assert seq is not None and sent is not None
    return Envelope(t, sensor, seq, sent)


def check_body(env: Envelope, obj: Mapping[str, Any]) -> None:
    """Validate the type-specific fields; raises ProtocolError("bad_schema")."""
    t = env.type
    if t == "pulse":
        _int(obj, "t_ns")
        _num(obj, "snr_db", -200.0, 300.0)
        _num(obj, "peak_db", -200.0, 300.0)
        _str(obj, "pulse_id", 128, optional=True)
        feats = obj.get("features")
        if feats is not None:
            if not isinstance(feats, dict) or len(feats) > 64:
                raise ProtocolError("bad_schema", "features must be an object of at most 64 numbers")
            for k in feats:
                if len(k) > 64:
                    raise ProtocolError("bad_schema", "feature names are at most 64 characters")
                _num(feats, k, -1e12, 1e12, optional=False)
    elif t == "health":
        _bool(obj, "gps_lock")
        _int(obj, "clock_err_ns", 0, MAX_INT, optional=True)
        _num(obj, "battery_pct", 0.0, 100.0)
        if obj.get("on_mains") is not None:
            _bool(obj, "on_mains")
        _num(obj, "temperature_c", -100.0, 150.0)
        _num(obj, "mic_dbfs", -200.0, 20.0)
        _num(obj, "uptime_s", 0.0, 1e10)
    elif t == "audio":
        _str(obj, "clip", 128)
        count = _int(obj, "count", 1, MAX_AUDIO_CHUNKS)
        _int(obj, "index", 0, (count or 1) - 1)
        _int(obj, "total_bytes", 0, MAX_AUDIO_BYTES)
        sha = obj.get("sha256")
        if not isinstance(sha, str) or not HEX64_RE.fullmatch(sha):
            raise ProtocolError("bad_schema", "sha256 must be 64 lowercase hex digits")
        _int(obj, "start_ns")
        _int(obj, "sample_rate_hz", 1, 1_000_000)
        if obj.get("encoding") not in AUDIO_ENCODINGS:
            raise ProtocolError("bad_schema", "encoding must be one of " + ", ".join(AUDIO_ENCODINGS))
        data = obj.get("data")
        if not isinstance(data, str):
            raise ProtocolError("bad_schema", "data must be base64 text")
    elif t == "hello":
        _str(obj, "firmware", 128, optional=True)
        pos = obj.get("position")
        if pos is not None:
            if not isinstance(pos, dict):
                raise ProtocolError("bad_schema", "position must be an object")
            _num(pos, "x_m", -1e7, 1e7, optional=False)
            _num(pos, "y_m", -1e7, 1e7, optional=False)
            _num(pos, "z_m", -1e5, 1e5)
    elif t == "bye":
        _str(obj, "reason", 256, optional=True)


def decode_audio_chunk(obj: Mapping[str, Any]) -> bytes:
    try:
        return base64.b64decode(obj["data"], validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("bad_schema", "data is not valid base64") from None


# --------------------------------------------------------------------------- building messages
def message(type_: str, sensor: str, seq: int, sent_ns: int, **fields: Any) -> dict[str, Any]:
    """An unsigned sensor message; ``None`` fields are left out."""
    obj: dict[str, Any] = {"v": PROTOCOL_VERSION, "type": type_, "sensor": sensor, "seq": seq, "sent_ns": sent_ns}
    obj.update({k: v for k, v in fields.items() if v is not None})
    return obj


def audio_chunks(clip: str, data: bytes, *, start_ns: int, sample_rate_hz: int,
                 encoding: str = "pcm_s16le", chunk_bytes: int = 256 * 1024) -> list[dict[str, Any]]:
    """Bodies (without envelope) of the chunk messages that carry ``data``.

    ``chunk_bytes`` is raw bytes per chunk; base64 grows it by 4/3, so the default keeps
    each line well under 1 MiB."""
    if not 0 < chunk_bytes <= (MAX_LINE_BYTES // 4) * 3 - 4096:
        raise ValueError("chunk_bytes must leave each base64 line under the 1 MiB limit")
    sha = hashlib.sha256(data).hexdigest()
    n = max(1, -(-len(data) // chunk_bytes))
    return [
        {"clip": clip, "index": i, "count": n, "total_bytes": len(data), "sha256": sha,
         "start_ns": start_ns, "sample_rate_hz": sample_rate_hz, "encoding": encoding,
         "data": base64.b64encode(data[i * chunk_bytes:(i + 1) * chunk_bytes]).decode("ascii")}
        for i in range(n)
    ]
