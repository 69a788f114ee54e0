"""Message-by-message decisions of the socket feed, without any I/O.

:class:`IntakeProcessor` takes one line from one connection and decides: reject (with
a reason), reply at once (hello, bye, a buffered audio chunk), or hand an
:class:`~app.feeds.sink.Intake` to the store and acknowledge it once stored.  The
asyncio server (``server.py``) does the sockets, rate limits and group commits.
"""
from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any, Mapping

from app.feeds import protocol as P
from app.feeds.events import AudioClip, HealthReport
from app.feeds.sink import Intake
from localization.types import Pulse

log = logging.getLogger("tocsin.feeds.intake")
NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class IntakePolicy:
    """``max_past_s`` / ``max_future_s``: how far a message's ``sent_ns`` may be from the
    server's clock.  ``replay_window``: sequence numbers remembered per sensor (older
    ones fall back to the store's idempotence).  Audio reassembly limits per sensor."""

    max_past_s: float = 120.0
    max_future_s: float = 10.0
    replay_window: int = 8192
    max_open_clips_per_sensor: int = 8
    max_open_clip_bytes: int = 64 << 20


@dataclass(slots=True)
class ConnState:
    """Per-connection state the processor needs: which sensors said hello on it."""

    peer: str = "?"
    sensors: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Decision:
    """What to do with a line.  ``reject`` set → count and nack.  ``reply`` → send now.
    ``intake`` → store, then send ``ack_fields`` signed with ``sensor``'s key."""

    reject: str | None = None
    detail: str = ""
    sensor: str | None = None
    seq: int | None = None
    reply: dict[str, Any] | None = None
    intake: Intake | None = None
    authenticated: bool = False


@dataclass(slots=True)
class _Clip:
    first: Mapping[str, Any]
    parts: dict[int, bytes]
    nbytes: int = 0


class _RejectLog:
    """Logs the first few rejects per reason in each 10-second window, then a summary."""

    def __init__(self, per_window: int = 5, window_s: float = 10.0) -> None:
        self.per_window, self.window_s = per_window, window_s
        self._start = time.monotonic()
        self._n: Counter[str] = Counter()

    def note(self, reason: str, detail: str, peer: str, sensor: str | None) -> None:
        now = time.monotonic()
        if now - self._start > self.window_s:
            for r, n in self._n.items():
                if n > self.per_window:
                    log.warning("%d more '%s' rejects in the last %.0f s (not logged one by one)", n - self.per_window, r, self.window_s)
            self._n.clear()
            self._start = now
        self._n[reason] += 1
        if self._n[reason] <= self.per_window:
            log.warning("rejected %s from %s%s: %s", reason, peer, f" (sensor {sensor})" if sensor else "", detail)


class IntakeProcessor:
    """Validates and authenticates lines; keeps replay and audio-reassembly state."""

    def __init__(self, keys: Mapping[str, bytes], policy: IntakePolicy | None = None, *, clock=time.time_ns) -> None:
        self.keys = dict(keys)
        self.policy = policy or IntakePolicy()
        self.clock = clock
        self.rejects: Counter[str] = Counter()
        self._seen: dict[str, OrderedDict[int, int]] = {}
        self._clips: dict[str, OrderedDict[str, _Clip]] = {}
        self._log = _RejectLog()

    # ------------------------------------------------------------------ bookkeeping
    def count_reject(self, reason: str, detail: str = "", peer: str = "?", sensor: str | None = None) -> None:
        self.rejects[reason] += 1
        self._log.note(reason, detail, peer, sensor)

    def forget(self, sensor: str, seq: int) -> None:
        """Undo the replay record of a message that could not be stored (so a resend is accepted)."""
        seen = self._seen.get(sensor)
        if seen is not None:
            seen.pop(seq, None)

    def sign(self, sensor: str, obj: dict[str, Any]) -> dict[str, Any]:
        return P.sign(self.keys[sensor], obj)

    def server_message(self, type_: str, sensor: str | None, seq: int | None, **fields: Any) -> dict[str, Any]:
        """A reply, signed with the sensor's key when the sensor is known."""
        obj: dict[str, Any] = {"v": P.PROTOCOL_VERSION, "type": type_, "sensor": sensor, "seq": seq,
                               "sent_ns": self.clock()}
        obj.update({k: v for k, v in fields.items() if v is not None})
        if sensor is not None and sensor in self.keys:
            P.sign(self.keys[sensor], obj)
        return obj

    # ------------------------------------------------------------------ the decision
    def process(self, conn: ConnState, line: bytes) -> Decision:
        d = self._decide(conn, line)
        if d.reject is not None:
            self.count_reject(d.reject, d.detail, conn.peer, d.sensor)
        return d

    def _decide(self, conn: ConnState, line: bytes) -> Decision:
        now = self.clock()
        try:
            obj = P.parse_line(line)
            env = P.check_envelope(obj)
        except P.ProtocolError as exc:
            return Decision(reject=exc.reason, detail=exc.detail)
        sensor, seq = env.sensor, env.seq
        key = self.keys.get(sensor)
        if key is None:
            return Decision(reject="unknown_sensor", detail=sensor[:64], seq=seq)
        if not P.verify_mac(key, obj):
            return Decision(reject="bad_mac", sensor=sensor, seq=seq)
        # From here on the message is authentic: replies are signed.
        try:
            P.check_body(env, obj)
        except P.ProtocolError as exc:
            return Decision(reject=exc.reason, detail=exc.detail, sensor=sensor, seq=seq, authenticated=True)
        pol = self.policy
        if env.sent_ns < now - pol.max_past_s * NS or env.sent_ns > now + pol.max_future_s * NS:
            return Decision(reject="stale_time", detail=f"sent {(now - env.sent_ns) / NS:+.1f} s ago",
                            sensor=sensor, seq=seq, authenticated=True)
        if env.type != "hello" and sensor not in conn.sensors:
            return Decision(reject="no_hello", sensor=sensor, seq=seq, authenticated=True)
        seen = self._seen.setdefault(sensor, OrderedDict())
        prev = seen.get(seq)
        if prev is not None and env.sent_ns <= prev:
            return Decision(reject="replay", detail=f"seq {seq}", sensor=sensor, seq=seq, authenticated=True)
        seen[seq] = env.sent_ns
        seen.move_to_end(seq)
        while len(seen) > pol.replay_window:
            seen.popitem(last=False)

        if env.type == "hello":
            conn.sensors.add(sensor)
            return Decision(sensor=sensor, seq=seq, authenticated=True,
                            reply=self.server_message("welcome", sensor, seq, now_ns=now, server="tocsin"))
        if env.type == "bye":
            conn.sensors.discard(sensor)
            return Decision(sensor=sensor, seq=seq, authenticated=True,
                            reply=self.server_message("ack", sensor, seq, status="ok"))
        if env.type == "pulse":
            feats = obj.get("features") or {}
            pulse = Pulse(sensor=sensor, t_ns=obj["t_ns"],
                          snr_db=None if obj.get("snr_db") is None else float(obj["snr_db"]),
                          peak_db=None if obj.get("peak_db") is None else float(obj["peak_db"]),
                          id=obj.get("pulse_id"),
                          features=tuple((k, float(v)) for k, v in sorted(feats.items())))
            return Decision(sensor=sensor, seq=seq, authenticated=True,
                            intake=Intake("pulse", sensor, seq, env.sent_ns, now, pulse=pulse))
        if env.type == "health":
            rep = HealthReport(sensor=sensor, t_ns=env.sent_ns, gps_lock=obj["gps_lock"],
                               clock_err_ns=obj.get("clock_err_ns"),
                               battery_pct=_opt_float(obj.get("battery_pct")),
                               on_mains=obj.get("on_mains"),
                               temperature_c=_opt_float(obj.get("temperature_c")),
                               mic_dbfs=_opt_float(obj.get("mic_dbfs")),
                               uptime_s=_opt_float(obj.get("uptime_s")))
            return Decision(sensor=sensor, seq=seq, authenticated=True,
                            intake=Intake("health", sensor, seq, env.sent_ns, now, health=rep))
        return self._audio(sensor, seq, env, obj, now)

    def _audio(self, sensor: str, seq: int, env: P.Envelope, obj: Mapping[str, Any], now: int) -> Decision:
        try:
            data = P.decode_audio_chunk(obj)
        except P.ProtocolError as exc:
            return Decision(reject=exc.reason, detail=exc.detail, sensor=sensor, seq=seq, authenticated=True)
        clips = self._clips.setdefault(sensor, OrderedDict())
        cid = obj["clip"]
        clip = clips.get(cid)
        if clip is None:
            clip = _Clip(first=obj, parts={})
            clips[cid] = clip
            while len(clips) > self.policy.max_open_clips_per_sensor:
                clips.popitem(last=False)
        fixed = ("count", "total_bytes", "sha256", "start_ns", "sample_rate_hz", "encoding")
        if any(obj[k] != clip.first[k] for k in fixed):
            clips.pop(cid, None)
            return Decision(reject="audio_mismatch", detail=f"clip {cid}: chunk header differs from the first chunk",
                            sensor=sensor, seq=seq, authenticated=True)
        idx = obj["index"]
        if idx not in clip.parts:
            clip.parts[idx] = data
            clip.nbytes += len(data)
        if clip.nbytes > min(obj["total_bytes"], self.policy.max_open_clip_bytes):
            clips.pop(cid, None)
            return Decision(reject="audio_mismatch", detail=f"clip {cid}: more bytes than total_bytes",
                            sensor=sensor, seq=seq, authenticated=True)
        if len(clip.parts) < obj["count"]:
            return Decision(sensor=sensor, seq=seq, authenticated=True,
                            reply=self.server_message("ack", sensor, seq, status="buffered", clip=cid))
        clips.pop(cid, None)
        blob = b"".join(clip.parts[i] for i in range(obj["count"]))
        if len(blob) != obj["total_bytes"] or hashlib.sha256(blob).hexdigest() != obj["sha256"]:
            return Decision(reject="audio_mismatch", detail=f"clip {cid}: size or SHA-256 does not match",
                            sensor=sensor, seq=seq, authenticated=True)
        audio = AudioClip(sensor=sensor, clip_id=cid, start_ns=obj["start_ns"], sample_rate_hz=obj["sample_rate_hz"],
                          encoding=obj["encoding"], data=blob, sha256=obj["sha256"])
        return Decision(sensor=sensor, seq=seq, authenticated=True,
                        intake=Intake("audio", sensor, seq, env.sent_ns, now, audio=audio))


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)
