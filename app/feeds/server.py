"""The authenticated sensor socket: an asyncio TCP (optionally TLS) server.

One event loop serves every connection; a slow, hostile or flooding connection only
ever costs its own throughput.  Accepted messages are group-committed to the
:class:`~app.feeds.sink.PulseSink` on one dedicated thread and acknowledged only after
the sink returns.  Newly stored pulses, audio, sensor status and operational alerts go
to the :class:`~app.feeds.feed.FeedListener`.

:class:`SocketFeed` wraps the server as a :class:`~app.feeds.feed.Feed` running on its
own thread; :class:`SensorServer` is the asyncio core (for tests and ``tocsin feed serve``).
"""
from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from array import array
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Sequence

from app.feeds import protocol as P
from app.feeds.feed import Feed, FeedListener
from app.feeds.health import HealthMonitor, HealthPolicy
from app.feeds.intake import ConnState, Decision, IntakePolicy, IntakeProcessor
from app.feeds.sink import Intake, PulseSink
from localization.types import Pulse, Sensor

log = logging.getLogger("tocsin.feeds.server")


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """``rate_msgs_per_s`` / ``burst_msgs``: per-connection token bucket; messages over it
    are rejected ``rate_limited`` and a connection with ``flood_close_after`` of them in a
    row is closed.  ``max_inflight_per_conn``: messages of a connection waiting for the
    store before the server stops reading it.  ``max_write_buffer``: a peer that does not
    read its replies is closed.  ``drop_untrusted``: pulses from sensors with untrusted
    timing are stored but not passed to the listener (the engine)."""

    host: str = "127.0.0.1"
    port: int = 0
    ssl_context: ssl.SSLContext | None = None
    max_line_bytes: int = P.MAX_LINE_BYTES
    rate_msgs_per_s: float = 500.0
    burst_msgs: float = 1000.0
    flood_close_after: int = 5000
    max_inflight_per_conn: int = 4096
    max_write_buffer: int = 4 << 20
    max_batch: int = 4096
    tick_s: float = 1.0
    drop_untrusted: bool = True
    intake: IntakePolicy = field(default_factory=IntakePolicy)
    health: HealthPolicy = field(default_factory=HealthPolicy)


class _NullListener:
    def on_pulses(self, pulses: Sequence[Pulse]) -> None: ...
    def on_audio(self, clip) -> None: ...
    def on_status(self, status) -> None: ...
    def on_alert(self, alert) -> None: ...


@dataclass(slots=True, eq=False)
class _Conn:
    state: ConnState
    writer: asyncio.StreamWriter
    tokens: float
    last_refill: float
    inflight: int = 0
    limited_in_row: int = 0
    room: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False


@dataclass(slots=True)
class _Pending:
    conn: _Conn
    decision: Decision
    intake: Intake


class SensorServer:
    """asyncio core.  ``await start()``, then ``address``; ``await close()`` to stop."""

    def __init__(self, keys: dict[str, bytes], sink: PulseSink, *, config: ServerConfig | None = None,
                 listener: FeedListener | None = None, sensor_ids: Sequence[str] | None = None,
                 clock=time.time_ns) -> None:
        self.config = config or ServerConfig()
        self.sink = sink
        self.listener = listener or _NullListener()
        self.clock = clock
        self.intake = IntakeProcessor(keys, self.config.intake, clock=clock)
        self.health = HealthMonitor(sensor_ids if sensor_ids is not None else keys.keys(), self.config.health, now_ns=clock())
        self.counts: Counter[str] = Counter()
        self.latency_ns = array("q")  # send → stored, one per newly stored message
        self._pending: list[_Pending] = []
        self._wake: asyncio.Event | None = None
        self._server: asyncio.base_events.Server | None = None
        self._conns: set[_Conn] = set()
        self._tasks: list[asyncio.Task] = []
        self._store_exec = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tocsin-feed-store")
        self.address: tuple[str, int] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> tuple[str, int]:
        cfg = self.config
        self._wake = asyncio.Event()
        self._server = await asyncio.start_server(
            self._handle, cfg.host, cfg.port, ssl=cfg.ssl_context, limit=cfg.max_line_bytes,
            ssl_handshake_timeout=10.0 if cfg.ssl_context else None)
        sock = self._server.sockets[0].getsockname()
        self.address = (sock[0], sock[1])
        self._tasks = [asyncio.create_task(self._store_loop(), name="store"),
                       asyncio.create_task(self._tick_loop(), name="tick")]
        log.info("listening on %s:%d (%s)", *self.address, "TLS" if cfg.ssl_context else "plain TCP")
        return self.address

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for c in list(self._conns):
            c.closed = True
            c.writer.close()
        # Let the store finish what it has (those messages get acked if their peer is still there).
        for _ in range(200):
            if not self._pending:
                break
            await asyncio.sleep(0.01)
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._store_exec, self.sink.close)
        self._store_exec.shutdown(wait=True)

    def stats(self) -> dict[str, Any]:
        lat = sorted(self.latency_ns)

        def pct(q: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(q * len(lat)))] / 1e6, 3) if lat else None

        return {
            "connections_open": len(self._conns),
            "counts": dict(self.counts),
            "rejects": dict(self.intake.rejects),
            "rejects_total": sum(self.intake.rejects.values()),
            "latency_send_to_stored_ms": {"p50": pct(0.50), "p99": pct(0.99), "max": pct(1.0), "n": len(lat)},
        }

    # ------------------------------------------------------------------ connections
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        cfg = self.config
        peer = writer.get_extra_info("peername")
        conn = _Conn(ConnState(peer=f"{peer[0]}:{peer[1]}" if peer else "?"), writer,
                     tokens=cfg.burst_msgs, last_refill=time.monotonic())
        conn.room.set()
        self._conns.add(conn)
        self.counts["connections"] += 1
        buf = bytearray()
        discarding = False
        try:
            while not conn.closed:
                try:
                    data = await reader.read(65536)
                except (ConnectionError, ssl.SSLError, OSError):
                    break
                if not data:
                    break
                self.counts["bytes_in"] += len(data)
                buf += data
                start = 0
                while not conn.closed:
                    nl = buf.find(b"\n", start)
                    if nl < 0:
                        break
                    if discarding:
                        discarding = False
                    else:
                        self._line(conn, bytes(buf[start:nl]))
                    start = nl + 1
                del buf[:start]
                if len(buf) >= cfg.max_line_bytes:
                    if not discarding:
                        self._reject(conn, Decision(reject="oversize", detail=f"no newline within {cfg.max_line_bytes} bytes"))
                        discarding = True
                    buf.clear()
                if conn.inflight >= cfg.max_inflight_per_conn:
                    conn.room.clear()
                    await conn.room.wait()
                if writer.transport.get_write_buffer_size() > cfg.max_write_buffer:
                    log.warning("closing %s: it does not read its replies", conn.state.peer)
                    self.counts["closed_slow_reader"] += 1
                    break
        except Exception:  # never let one connection take the server down
            log.exception("connection %s failed", conn.state.peer)
            self.counts["connection_errors"] += 1
        finally:
            conn.closed = True
            self._conns.discard(conn)
            try:
                writer.close()
            except Exception:
                pass

    def _line(self, conn: _Conn, line: bytes) -> None:
        cfg = self.config
        now = time.monotonic()
        conn.tokens = min(cfg.burst_msgs, conn.tokens + (now - conn.last_refill) * cfg.rate_msgs_per_s)
        conn.last_refill = now
        if conn.tokens < 1.0:
            conn.limited_in_row += 1
            self._reject(conn, Decision(reject="rate_limited", detail=f"over {cfg.rate_msgs_per_s:.0f} msg/s"))
            if conn.limited_in_row >= cfg.flood_close_after:
                log.warning("closing %s: flooding", conn.state.peer)
                self.counts["closed_flood"] += 1
                conn.closed = True
            return
        conn.tokens -= 1.0
        conn.limited_in_row = 0
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line.strip():
            return
        d = self.intake.process(conn.state, line)
        if d.reject is not None:
            self._nack(conn, d)
            return
        assert d.sensor is not None
        self._seen(d.sensor)
        if d.reply is not None:
            self.counts[f"reply_{d.reply['type']}"] += 1
            self._send(conn, d.reply)
        if d.intake is not None:
            conn.inflight += 1
            self._pending.append(_Pending(conn, d, d.intake))
            assert self._wake is not None
            self._wake.set()

    def _reject(self, conn: _Conn, d: Decision) -> None:
        assert d.reject is not None
        self.intake.count_reject(d.reject, d.detail, conn.state.peer, d.sensor)
        self._nack(conn, d)

    def _nack(self, conn: _Conn, d: Decision) -> None:
        sensor = d.sensor if d.authenticated else None
        self._send(conn, self.intake.server_message("nack", sensor, d.seq, reason=d.reject))

    def _send(self, conn: _Conn, obj: dict[str, Any]) -> None:
        if conn.closed or conn.writer.is_closing():
            return
        try:
            conn.writer.write(P.encode_line(obj))
        except (ConnectionError, RuntimeError, OSError):
            conn.closed = True

    def _seen(self, sensor: str) -> None:
        changes, alerts = self.health.seen(sensor, self.clock())
        self._publish(changes, alerts)

    def _publish(self, changes, alerts) -> None:
        for s in changes:
            self.listener.on_status(s)
        for a in alerts:
            log.warning("operational alert: %s", a.message) if a.active else log.info("%s", a.message)
            self.listener.on_alert(a)

    # ------------------------------------------------------------------ store + ack
    async def _store_loop(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = self._pending[: self.config.max_batch]
                del self._pending[: len(batch)]
                items = [p.intake for p in batch]
                self.counts["store_batches"] += 1
                self.counts["store_batch_max"] = max(self.counts["store_batch_max"], len(batch))
                t_store = time.perf_counter()
                try:
                    new = await loop.run_in_executor(self._store_exec, self.sink.accept, items)
                    self.counts["store_ms_total"] += int((time.perf_counter() - t_store) * 1000)
                except Exception as exc:
                    log.error("store failed for %d messages (not acknowledged; sensors will resend): %s", len(batch), exc)
                    for p in batch:
                        self.intake.forget(p.intake.sensor, p.intake.seq)
                        p.conn.inflight -= 1
                        p.conn.room.set()
                        self._reject(p.conn, Decision(reject="store_error", sensor=p.intake.sensor, seq=p.intake.seq,
                                                      authenticated=True))
                    continue
                self._after_store(batch, new)

    def _after_store(self, batch: list[_Pending], new: list[bool]) -> None:
        now = self.clock()
        pulses: list[Pulse] = []
        untrusted = self.health.untrusted() if self.config.drop_untrusted else frozenset()
        for p, is_new in zip(batch, new):
            it = p.intake
            conn = p.conn
            conn.inflight -= 1
            if conn.inflight < self.config.max_inflight_per_conn:
                conn.room.set()
            status = "stored" if is_new else "duplicate"
            self.counts[f"{it.kind}_{status}"] += 1
            self._send(conn, self.intake.server_message(
                "ack", it.sensor, it.seq, status=status, clip=it.audio.clip_id if it.audio else None))
            if not is_new:
                continue
            self.latency_ns.append(now - it.sent_ns)
            if it.pulse is not None:
                if it.sensor in untrusted:
                    self.counts["pulses_untrusted_withheld"] += 1
                else:
                    pulses.append(it.pulse)
            elif it.health is not None:
                self._publish(*self.health.report(it.health, now))
            elif it.audio is not None:
                self.listener.on_audio(it.audio)
        if pulses:
            self.listener.on_pulses(pulses)

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.tick_s)
            self._publish(*self.health.tick(self.clock()))


class SocketFeed(Feed):
    """The socket server as a :class:`Feed`: runs its own event loop on its own thread."""

    def __init__(self, keys: dict[str, bytes], sink: PulseSink, *, sensors: Sequence[Sensor] = (),
                 config: ServerConfig | None = None) -> None:
        self._keys = keys
        self._sink = sink
        self._sensors = tuple(sensors)
        self.config = config or ServerConfig()
        self._done = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.server: SensorServer | None = None
        self.error: BaseException | None = None

    @property
    def sensors(self) -> tuple[Sensor, ...]:
        return self._sensors

    @property
    def done(self) -> threading.Event:
        return self._done

    @property
    def address(self) -> tuple[str, int] | None:
        return self.server.address if self.server else None

    @property
    def health(self) -> HealthMonitor | None:
        """The server's sensor health monitor once started (thread-safe to read)."""
        return self.server.health if self.server else None

    def start(self, listener: FeedListener) -> None:
        if self._thread is not None:
            raise RuntimeError("feed already started")
        self._thread = threading.Thread(target=self._run, args=(listener,), name="tocsin-socket-feed", daemon=True)
        self._thread.start()
        self._ready.wait(10.0)
        if self.error is not None:
            raise self.error

    def _run(self, listener: FeedListener) -> None:
        try:
            asyncio.run(self._main(listener))
        except BaseException as exc:  # reported to start() or kept for stats
            self.error = exc
            log.exception("socket feed stopped with an error")
        finally:
            self._ready.set()
            self._done.set()

    async def _main(self, listener: FeedListener) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        ids = [s.id for s in self._sensors] or list(self._keys)
        self.server = SensorServer(self._keys, self._sink, config=self.config, listener=listener, sensor_ids=ids)
        await self.server.start()
        self._ready.set()
        await self._stop.wait()
        await self.server.close()

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._loop is not None and self._stop is not None and not self._done.is_set():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout_s)

    def stats(self) -> dict[str, Any]:
        return self.server.stats() if self.server else {}
