"""The sensor socket: authentication, every reject reason, idempotence across restarts,
stored-before-ack, audio integrity, floods, TLS, keys-file permissions."""
from __future__ import annotations

import asyncio
import json
import os
import time

import pytest

from app.feeds import protocol as P
from app.feeds.emulator import EmulatedSensor, health_body
from app.feeds.feed import EventQueue, StatusEvent
from app.feeds.intake import IntakePolicy
from app.feeds.journal import SqliteJournal
from app.feeds.keys import KeysFileError, load_keys, write_keys
from app.feeds.server import SensorServer, ServerConfig
from app.feeds.sink import MemorySink

KEYS = {"S001": b"\x01" * 32, "S002": b"\x02" * 32, "S003": b"\x03" * 32}


class Client:
    """A raw protocol client for tests."""

    def __init__(self, reader, writer, sensor="S001"):
        self.r, self.w, self.sensor = reader, writer, sensor
        self.seq = 0

    @classmethod
    async def connect(cls, addr, sensor="S001", ssl_context=None):
        r, w = await asyncio.open_connection(*addr, ssl=ssl_context, server_hostname="localhost" if ssl_context else None,
                                             limit=P.MAX_LINE_BYTES)
        return cls(r, w, sensor)

    def msg(self, type_, seq=None, sent_ns=None, key=None, sensor=None, **fields):
        if seq is None:
            self.seq += 1
            seq = self.seq
        s = sensor or self.sensor
        m = P.message(type_, s, seq, time.time_ns() if sent_ns is None else sent_ns, **fields)
        return P.sign(key or KEYS.get(s, b"\0" * 32), m)

    async def send(self, obj_or_bytes):
        self.w.write(obj_or_bytes if isinstance(obj_or_bytes, bytes) else P.encode_line(obj_or_bytes))
        await self.w.drain()

    async def reply(self, timeout=5.0):
        return json.loads(await asyncio.wait_for(self.r.readline(), timeout))

    async def hello(self):
        await self.send(self.msg("hello"))
        rep = await self.reply()
        assert rep["type"] == "welcome" and P.verify_mac(KEYS[self.sensor], rep)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


async def _server(sink=None, **cfg):
    q = EventQueue()
    srv = SensorServer(KEYS, sink or MemorySink(), config=ServerConfig(**cfg), listener=q)
    await srv.start()
    return srv, q


def test_pulse_is_stored_then_acked_and_delivered():
    async def main():
        order = []

        class Sink(MemorySink):
            def accept(self, batch):
                out = super().accept(batch)
                order.append("stored")
                return out

        srv, q = await _server(Sink())
        c = await Client.connect(srv.address)
        await c.hello()
        await c.send(c.msg("pulse", t_ns=123, snr_db=20.5, pulse_id="p1", features={"rise_us": 40}))
        ack = await c.reply()
        order.append("acked")
        assert ack["type"] == "ack" and ack["status"] == "stored" and ack["seq"] == c.seq
        assert P.verify_mac(KEYS["S001"], ack)
        await srv.close()
        pulses = q.pulses(q.drain())
        assert [(p.sensor, p.t_ns, p.snr_db, p.id, p.features) for p in pulses] == [("S001", 123, 20.5, "p1", (("rise_us", 40.0),))]
        assert order == ["stored", "acked"]
    run(main())


@pytest.mark.parametrize("make, reason", [
    (lambda c: b"this is not json\n", "bad_json"),
    (lambda c: b'{"v":1,"type":"pulse"}\n', "bad_schema"),
    (lambda c: P.encode_line({**c.msg("pulse", t_ns=1), "v": 9}), "bad_version"),
    (lambda c: P.encode_line(c.msg("pulse", sensor="S999", t_ns=1)), "unknown_sensor"),
    (lambda c: P.encode_line(c.msg("pulse", key=b"\x09" * 32, t_ns=1)), "bad_mac"),
    (lambda c: P.encode_line(c.msg("pulse", t_ns=1, sent_ns=time.time_ns() - 10**12)), "stale_time"),
    (lambda c: P.encode_line(c.msg("pulse", t_ns=1, sent_ns=time.time_ns() + 10**12)), "stale_time"),
    (lambda c: P.encode_line(c.msg("pulse", sensor="S002", t_ns=1)), "no_hello"),
    (lambda c: P.encode_line(c.msg("pulse", t_ns="soon")), "bad_schema"),
    (lambda c: b"x" * (P.MAX_LINE_BYTES + 10) + b"\n", "oversize"),
])
def test_each_reject_is_counted_nacked_and_the_connection_keeps_working(make, reason):
    async def main():
        srv, _ = await _server()
        c = await Client.connect(srv.address)
        await c.hello()
        await c.send(make(c))
        nack = await c.reply()
        assert nack["type"] == "nack" and nack["reason"] == reason
        await c.send(c.msg("pulse", t_ns=7))
        assert (await c.reply())["status"] == "stored"
        st = srv.stats()
        await srv.close()
        assert st["rejects"] == {reason: 1}
    run(main())


def test_exact_replay_is_rejected_and_a_resend_is_a_duplicate():
    async def main():
        srv, q = await _server()
        c = await Client.connect(srv.address)
        await c.hello()
        m = c.msg("pulse", t_ns=99)
        await c.send(m)
        assert (await c.reply())["status"] == "stored"
        await c.send(m)  # captured and replayed byte for byte
        assert (await c.reply())["reason"] == "replay"
        resend = c.msg("pulse", seq=m["seq"], t_ns=99)  # firmware resend: same seq, fresh time and MAC
        await c.send(resend)
        assert (await c.reply())["status"] == "duplicate"
        await srv.close()
        assert len(q.pulses(q.drain())) == 1
        assert srv.stats()["rejects"] == {"replay": 1}
    run(main())


def test_idempotent_across_a_server_restart_with_the_journal(tmp_path):
    async def main():
        db = tmp_path / "j.sqlite"
        srv, _ = await _server(SqliteJournal(db))
        c = await Client.connect(srv.address)
        await c.hello()
        for t in range(5):
            await c.send(c.msg("pulse", t_ns=t))
            assert (await c.reply())["status"] == "stored"
        await srv.close()
        srv2, q2 = await _server(SqliteJournal(db))  # replay memory is gone; the journal remembers
        c2 = await Client.connect(srv2.address)
        await c2.hello()
        statuses = []
        for seq in range(1, 8):
            await c2.send(c2.msg("pulse", seq=100 + seq if seq > 5 else seq + 1, t_ns=seq))
            statuses.append((await c2.reply())["status"])
        await srv2.close()
        assert statuses == ["duplicate"] * 5 + ["stored"] * 2
        assert sorted(SqliteJournal.read_keys(db)) == [("S001", s) for s in (2, 3, 4, 5, 6, 106, 107)]
        assert len(q2.pulses(q2.drain())) == 2
    run(main())


def test_store_failure_is_not_acked_and_the_resend_is_stored():
    async def main():
        class Flaky(MemorySink):
            fail = True

            def accept(self, batch):
                if self.fail:
                    self.fail = False
                    raise OSError("disk full")
                return super().accept(batch)

        sink = Flaky()
        srv, _ = await _server(sink)
        c = await Client.connect(srv.address)
        await c.hello()
        m = c.msg("pulse", t_ns=1)
        await c.send(m)
        assert (await c.reply())["reason"] == "store_error"
        await c.send(c.msg("pulse", seq=m["seq"], t_ns=1))
        assert (await c.reply())["status"] == "stored"
        await srv.close()
        assert len(sink.items) == 1
    run(main())


def test_audio_is_reassembled_and_a_corrupted_clip_rejected():
    async def main():
        srv, q = await _server()
        c = await Client.connect(srv.address)
        await c.hello()
        data = os.urandom(70_000)
        chunks = P.audio_chunks("clip-1", data, start_ns=5, sample_rate_hz=16000, chunk_bytes=30_000)
        for ch in chunks:
            await c.send(c.msg("audio", **ch))
        replies = [await c.reply() for _ in chunks]
        assert [r["status"] for r in replies] == ["buffered", "buffered", "stored"]
        assert replies[-1]["clip"] == "clip-1"
        bad = P.audio_chunks("clip-2", data, start_ns=5, sample_rate_hz=16000, chunk_bytes=30_000)
        bad[1]["data"] = P.audio_chunks("x", b"\0" * 30_000, start_ns=5, sample_rate_hz=16000)[0]["data"]
        for ch in bad:
            await c.send(c.msg("audio", **ch))
        replies = [await c.reply() for _ in bad]
        assert replies[-1] == {**replies[-1], "type": "nack", "reason": "audio_mismatch"}
        await srv.close()
        clips = [e.clip for e in q.drain() if hasattr(e, "clip")]
        assert [(x.clip_id, x.data == data) for x in clips] == [("clip-1", True)]
        assert srv.stats()["rejects"] == {"audio_mismatch": 1}
    run(main())


def test_a_flood_is_rate_limited_and_closed_while_other_sensors_flow():
    async def main():
        srv, _ = await _server(rate_msgs_per_s=100, burst_msgs=50, flood_close_after=500)
        flood = await Client.connect(srv.address, "S002")
        await flood.hello()
        good = EmulatedSensor("S001", KEYS["S001"], *srv.address)
        task = asyncio.create_task(good.run())
        line = P.encode_line(flood.msg("pulse", t_ns=1))
        flood.w.write(line * 2000)
        for i in range(20):
            good.enqueue("pulse", t_ns=i)
        assert await good.flush(10)
        await asyncio.sleep(0.3)
        st = srv.stats()
        await good.close()
        task.cancel()
        await srv.close()
        assert st["rejects"]["rate_limited"] >= 500
        assert st["counts"]["closed_flood"] == 1
        assert good.counts["ack_stored"] == 20
    run(main())


def test_emulator_reconnects_and_resends_without_loss_or_doubles(tmp_path):
    async def main():
        db = tmp_path / "j.sqlite"
        srv, _ = await _server(SqliteJournal(db))
        port = srv.address[1]
        e = EmulatedSensor("S003", KEYS["S003"], "127.0.0.1", port)
        task = asyncio.create_task(e.run())
        for i in range(50):
            e.enqueue("pulse", t_ns=i)
        await asyncio.sleep(0.05)
        await srv.close()  # "kill" mid-stream
        for i in range(50, 100):
            e.enqueue("pulse", t_ns=i)
        srv2, _ = await _server(SqliteJournal(db), port=port)
        assert await e.flush(20)
        await e.close()
        task.cancel()
        await srv2.close()
        keys = SqliteJournal.read_keys(db)
        assert len(keys) == len(set(keys)) == 100
    run(main())


def test_health_drives_status_and_untrusted_pulses_are_withheld():
    async def main():
        srv, q = await _server()
        c = await Client.connect(srv.address, "S002")
        await c.hello()
        await c.send(c.msg("health", gps_lock=True, clock_err_ns=5_000_000))
        await c.reply()
        await c.send(c.msg("pulse", t_ns=1))
        assert (await c.reply())["status"] == "stored"  # stored for the record …
        await srv.close()
        events = q.drain()
        assert q.pulses(events) == []  # … but not given to the engine
        states = [e.status.state for e in events if isinstance(e, StatusEvent) and e.status.sensor == "S002"]
        assert states[-1] == "clock_untrusted"
        assert not srv.health.timing_trusted("S002")
    run(main())


def test_tls_round_trip(tmp_path):
    from app.feeds.tls import client_context, make_self_signed, server_context

    try:
        cert, key = make_self_signed(tmp_path)
    except RuntimeError as exc:
        pytest.skip(f"no way to make a certificate here: {exc}")

    async def main():
        srv, q = await _server(ssl_context=server_context(cert, key))
        c = await Client.connect(srv.address, ssl_context=client_context(cert))
        await c.hello()
        await c.send(c.msg("pulse", t_ns=5))
        assert (await c.reply())["status"] == "stored"
        r, w = await asyncio.open_connection(*srv.address)  # plain TCP to a TLS port
        w.write(P.encode_line(c.msg("pulse", t_ns=6)))
        assert await asyncio.wait_for(r.read(), 15) == b""
        await srv.close()
    run(main())


def test_keys_file_must_be_private(tmp_path):
    p = write_keys(tmp_path / "k.toml", {"S001": b"a" * 32})
    assert load_keys(p) == {"S001": b"a" * 32}
    os.chmod(p, 0o640)
    with pytest.raises(KeysFileError, match="chmod 600"):
        load_keys(p)
    os.chmod(p, 0o600)
    p.write_text('[sensors]\n"S 1" = "00"\n')
    with pytest.raises(KeysFileError, match="sensor id"):
        load_keys(p)
    with pytest.raises(KeysFileError, match="does not exist"):
        load_keys(tmp_path / "missing.toml")


def test_replay_window_is_bounded():
    async def main():
        srv, _ = await _server(intake=IntakePolicy(replay_window=4))
        c = await Client.connect(srv.address)
        await c.hello()
        for _ in range(10):
            await c.send(c.msg("health", **health_body(__import__("random").Random(0))))
            await c.reply()
        await srv.close()
        assert len(srv.intake._seen["S001"]) == 4
    run(main())
