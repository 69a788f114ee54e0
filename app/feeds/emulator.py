"""Emulated sensors that speak the wire protocol, one TCP connection each.

An :class:`EmulatedSensor` behaves like real firmware should: it numbers every
message, keeps each one until the server acknowledges it as stored, and after a lost
connection reconnects (with back-off), says hello again and resends everything
unacknowledged with a fresh send time and MAC — the server's idempotence turns the
resends of already-stored messages into "duplicate" acks, never second rows.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
import time
from collections import Counter, OrderedDict
from typing import Any

from app.feeds import protocol as P

log = logging.getLogger("tocsin.feeds.emulator")
RETRY_REASONS = frozenset({"rate_limited", "store_error"})


class EmulatedSensor:
    """One sensor.  ``enqueue`` messages; ``run()`` keeps the connection up until ``stop()``."""

    def __init__(self, sensor: str, key: bytes, host: str, port: int, *, ssl_context: ssl.SSLContext | None = None,
                 server_hostname: str | None = None, first_seq: int = 1, clock=time.time_ns,
                 max_backoff_s: float = 2.0, seed: int = 0) -> None:
        self.sensor, self.key, self.host, self.port = sensor, key, host, port
        self.ssl_context, self.server_hostname = ssl_context, server_hostname
        self.clock = clock
        self.max_backoff_s = max_backoff_s
        self._rng = random.Random(seed)
        self._next_seq = first_seq
        self.unacked: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._clip_seqs: dict[str, list[int]] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._ready = False
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()
        self.counts: Counter[str] = Counter()
        self.nacks: Counter[str] = Counter()
        self.stored_seqs: set[int] = set()
        self.enqueued_seqs: list[int] = []
        self._link_down_until = 0.0

    def link_down(self, seconds: float) -> None:
        """Drop the connection now and stay away for ``seconds`` (a network outage);
        messages queued meanwhile are sent after reconnecting."""
        self._link_down_until = time.monotonic() + seconds
        self._ready = False
        if self._writer is not None:
            self._writer.close()
        self.counts["link_down"] += 1

    # ------------------------------------------------------------------ producing
    def enqueue(self, type_: str, **fields: Any) -> int:
        """Queue a pulse / health / audio message; sent now when connected, else on reconnect."""
        seq = self._next_seq
        self._next_seq += 1
        body = {k: v for k, v in fields.items() if v is not None}
        self.unacked[seq] = {"type": type_, **body}
        if type_ in ("pulse", "health"):
            self.enqueued_seqs.append(seq)
        if type_ == "audio":
            self._clip_seqs.setdefault(body["clip"], []).append(seq)
        self._idle.clear()
        if self._ready:
            self._send(seq)
        return seq

    def enqueue_audio(self, clip: str, data: bytes, *, start_ns: int, sample_rate_hz: int,
                      encoding: str = "pcm_s16le", chunk_bytes: int = 256 * 1024) -> list[int]:
        return [self.enqueue("audio", **c) for c in
                P.audio_chunks(clip, data, start_ns=start_ns, sample_rate_hz=sample_rate_hz,
                               encoding=encoding, chunk_bytes=chunk_bytes)]

    def _line(self, type_: str, seq: int, body: dict[str, Any]) -> bytes:
        obj = P.message(type_, self.sensor, seq, self.clock(), **{k: v for k, v in body.items() if k != "type"})
        return P.encode_line(P.sign(self.key, obj))

    def _send(self, seq: int) -> None:
        body = self.unacked.get(seq)
        if body is None or self._writer is None:
            return
        try:
            self._writer.write(self._line(body["type"], seq, body))
            self.counts["sent"] += 1
        except (ConnectionError, RuntimeError, OSError):
            self._ready = False

    # ------------------------------------------------------------------ connection
    async def run(self) -> None:
        backoff = 0.05
        while not self._stopping:
            down = self._link_down_until - time.monotonic()
            if down > 0:
                await asyncio.sleep(min(down, 0.5))
                continue
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(
                    self.host, self.port, ssl=self.ssl_context,
                    server_hostname=self.server_hostname if self.ssl_context else None, limit=P.MAX_LINE_BYTES), 5.0)
            except (OSError, asyncio.TimeoutError, ssl.SSLError):
                self.counts["connect_failures"] += 1
                await asyncio.sleep(backoff * (0.5 + self._rng.random()))
                backoff = min(self.max_backoff_s, backoff * 2)
                continue
            self.counts["connects"] += 1
            try:
                await self._session(reader, writer)
                backoff = 0.05
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ssl.SSLError, ConnectionError) as exc:
                log.debug("%s: connection lost: %s", self.sensor, exc)
            finally:
                self._ready = False
                self._writer = None
                writer.close()
            if not self._stopping:
                self.counts["reconnects"] += 1
                await asyncio.sleep(backoff * (0.5 + self._rng.random()))

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hello_seq = self._next_seq
        self._next_seq += 1
        obj = P.sign(self.key, P.message("hello", self.sensor, hello_seq, self.clock(), firmware="tocsin-emulator/1"))
        writer.write(P.encode_line(obj))
        line = await asyncio.wait_for(reader.readline(), 10.0)
        welcome = json.loads(line) if line else None
        if not welcome or welcome.get("type") != "welcome" or not P.verify_mac(self.key, welcome):
            raise ConnectionError(f"no valid welcome: {line[:200]!r}")
        self._writer = writer
        self._ready = True
        resend = list(self.unacked)
        if resend and self.counts["connects"] > 1:
            self.counts["resent"] += len(resend)
        for seq in resend:
            self._send(seq)
            if writer.transport.get_write_buffer_size() > 1 << 20:
                await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                raise ConnectionError("server closed the connection")
            self._on_reply(line)
            if writer.transport.get_write_buffer_size() > 1 << 20:
                await writer.drain()

    def _on_reply(self, line: bytes) -> None:
        try:
            msg = json.loads(line)
        except ValueError:
            self.counts["bad_replies"] += 1
            return
        t = msg.get("type")
        seq = msg.get("seq")
        if t == "ack":
            if not P.verify_mac(self.key, msg):  # only a genuine ack may release a message
                self.counts["forged_acks"] += 1
                return
            status = msg.get("status")
            self.counts[f"ack_{status}"] += 1
            if status in ("stored", "duplicate"):
                if msg.get("clip"):
                    for s in self._clip_seqs.pop(msg["clip"], []):
                        self.unacked.pop(s, None)
                else:
                    self.unacked.pop(seq, None)
                if status == "stored":
                    self.stored_seqs.add(seq)
                if not self.unacked:
                    self._idle.set()
        elif t == "nack":
            reason = msg.get("reason", "?")
            self.nacks[reason] += 1
            if reason in RETRY_REASONS and seq in self.unacked:
                asyncio.get_running_loop().call_later(0.2 + self._rng.random() * 0.3, self._send, seq)
            elif seq in self.unacked and reason not in RETRY_REASONS:
                log.warning("%s: message %s rejected: %s", self.sensor, seq, reason)
                self.unacked.pop(seq, None)
                if not self.unacked:
                    self._idle.set()

    async def flush(self, timeout_s: float) -> bool:
        """Wait until everything sent so far is acknowledged; False on timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
            return True
        except asyncio.TimeoutError:
            return False

    async def close(self, reason: str = "shutdown") -> None:
        """Say bye (when connected) and stop reconnecting."""
        self._stopping = True
        if self._ready and self._writer is not None:
            seq = self._next_seq
            self._next_seq += 1
            try:
                self._writer.write(P.encode_line(P.sign(self.key, P.message("bye", self.sensor, seq, self.clock(), reason=reason))))
                await asyncio.wait_for(self._writer.drain(), 2.0)
            except (OSError, ConnectionError, asyncio.TimeoutError):
                pass
        if self._writer is not None:
            self._writer.close()


def health_body(rng: random.Random, *, gps_lock: bool = True, clock_err_ns: int | None = None,
                on_mains: bool = True) -> dict[str, Any]:
    """A plausible health report body."""
    return {
        "gps_lock": gps_lock,
        "clock_err_ns": clock_err_ns if clock_err_ns is not None else int(rng.uniform(20, 40) * 1e3),
        "on_mains": on_mains,
        "battery_pct": None if on_mains else round(rng.uniform(40, 100), 1),
        "temperature_c": round(rng.uniform(5, 35), 1),
        "mic_dbfs": round(rng.uniform(-60, -40), 1),
    }
