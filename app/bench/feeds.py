"""Benchmarks of the sensor socket (``tocsin bench feeds``), all over loopback:

* load  — N emulated sensors (default 500), one connection each, ≥ 5,000 msg/s for a
  minute into a real server process with the SQLite journal; counts loss and doubles
  from the journal; send → stored latency; server CPU and memory.
* fuzz  — ≥ 100,000 hostile messages on many connections (random bytes, truncated
  JSON, wrong types, huge numbers, wrong MACs, unknown sensors, replays, stale times,
  oversize lines, corrupted audio) plus a flood, while honest sensors keep sending:
  the server stays up, every hostile message gets exactly one counted reject, honest
  traffic is all stored.
* fault — the server is SIGKILLed mid-stream and restarted; emulators reconnect and
  resend; the journal must hold every message exactly once.

``run(args) -> dict`` prints a table and the JSON.  Every loop is bounded in count and
time.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from app.feeds import protocol as P
from app.feeds.fleet import steady_load
from app.feeds.journal import SqliteJournal
from app.feeds.keys import generate_keys, write_keys

HOST = "127.0.0.1"
CLK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- server process
class ServerProc:
    """``tocsin feed serve`` in a child process (demo mode, plain TCP on loopback)."""

    def __init__(self, workdir: Path, keys_path: Path, journal: Path, *, port: int = 0, rate: float = 500.0) -> None:
        self.workdir, self.keys_path, self.journal, self.rate = workdir, keys_path, journal, rate
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.out_path = workdir / f"server-{time.time_ns()}.out"

    def start(self, timeout_s: float = 20.0) -> int:
        port_file = self.workdir / "port"
        port_file.unlink(missing_ok=True)
        self.out_path = self.workdir / f"server-{time.time_ns()}.out"
        cmd = [sys.executable, "-m", "app.cli.feed_cmd", "feed", "serve", "--keys", str(self.keys_path),
               "--listen", f"{HOST}:{self.port}", "--journal", str(self.journal), "--demo", "--stats-every", "0",
               "--rate", str(self.rate), "--port-file", str(port_file), "--for", "900"]
        with open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL,
                                         cwd=Path(__file__).resolve().parents[2])
        t_end = time.monotonic() + timeout_s
        while time.monotonic() < t_end:
            if port_file.exists() and port_file.read_text().strip():
                self.port = int(port_file.read_text())
                return self.port
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"server did not start; see {self.out_path}")

    def cpu_s(self) -> float:
        assert self.proc is not None
        f = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / CLK

    def peak_rss_mib(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> dict[str, Any]:
        """SIGTERM, wait, and return the server's final stats line."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        stats = {}
        for line in self.out_path.read_text(errors="replace").splitlines():
            if line.startswith("stats "):
                stats = json.loads(line[6:])
        return stats


def _keys(workdir: Path, n: int, prefix: str = "S") -> tuple[Path, dict[str, bytes]]:
    keys = generate_keys([f"{prefix}{i + 1:04d}" for i in range(n)])
    return write_keys(workdir / "keys.toml", keys), keys


def _journal_check(journal: Path, expected: set[tuple[str, int]]) -> dict[str, Any]:
    rows = SqliteJournal.read_keys(journal, kind="pulse") + SqliteJournal.read_keys(journal, kind="health")
    got = set(rows)
    return {"rows": len(rows), "distinct": len(got), "expected": len(expected),
            "lost": len(expected - got), "unexpected": len(got - expected), "doubled": len(rows) - len(got)}


def _expected(sensors) -> set[tuple[str, int]]:
    """Every (sensor, seq) an emulator enqueued as pulse or health (hello/bye are not stored)."""
    return {(e.sensor, s) for e in sensors.values() for s in e.enqueued_seqs}


# --------------------------------------------------------------------------- load
def bench_load(*, sensors: int = 500, msgs_per_s: float = 5200.0, duration_s: float = 60.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-load-") as d:
        wd = Path(d)
        kpath, keys = _keys(wd, sensors)
        srv = ServerProc(wd, kpath, wd / "journal.sqlite")
        port = srv.start()
        cpu0, bench_cpu0, t0 = srv.cpu_s(), time.process_time(), time.monotonic()
        out, fleet = asyncio.run(steady_load(keys, HOST, port, msgs_per_s=msgs_per_s, duration_s=duration_s,
                                             drain_timeout_s=120.0))
        wall = time.monotonic() - t0
        cpu = srv.cpu_s() - cpu0
        rss = srv.peak_rss_mib()
        stats = srv.stop()
        check = _journal_check(wd / "journal.sqlite", _expected(fleet))
    lat = stats.get("latency_send_to_stored_ms", {})
    stored = check["distinct"]
    return {
        "sensors": sensors, "target_msgs_per_s": msgs_per_s, "duration_s": duration_s, "wall_s": round(wall, 1),
        "enqueued": out["enqueued"], "stored": stored, "stored_msgs_per_s": round(stored / duration_s, 1),
        "lost": check["lost"], "doubled": check["doubled"], "unexpected": check["unexpected"],
        "all_acknowledged": out["all_acknowledged"], "nacks": out["nacks"],
        "latency_ms_p50": lat.get("p50"), "latency_ms_p99": lat.get("p99"), "latency_ms_max": lat.get("max"),
        "server_cpu_pct_of_one_core": round(100 * cpu / wall, 1), "server_peak_rss_mib": round(rss, 1),
        "emulators_cpu_pct_of_one_core": round(100 * (time.process_time() - bench_cpu0) / wall, 1),
        "server_rejects": stats.get("rejects", {}),
        "store_batches": stats.get("counts", {}).get("store_batches"),
        "store_batch_max": stats.get("counts", {}).get("store_batch_max"),
        "store_busy_pct": round(100 * stats.get("counts", {}).get("store_ms_total", 0) / 1000 / wall, 1),
        "host_load_avg_1min_at_end": round(os.getloadavg()[0], 2), "host_cpus": os.cpu_count(),
    }


# --------------------------------------------------------------------------- fault
def bench_fault(*, sensors: int = 50, msgs_per_s: float = 1000.0, duration_s: float = 20.0,
                kill_at_s: float = 7.0, down_s: float = 2.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-fault-") as d:
        wd = Path(d)
        kpath, keys = _keys(wd, sensors)
        srv = ServerProc(wd, kpath, wd / "journal.sqlite")
        srv.start()
        events: dict[str, float] = {}

        async def during(elapsed: float) -> None:
            if "killed" not in events and elapsed >= kill_at_s:
                srv.kill()
                events["killed"] = elapsed
            elif "killed" in events and "restarted" not in events and elapsed >= kill_at_s + down_s:
                await asyncio.to_thread(srv.start)
                events["restarted"] = elapsed

        out, fleet = asyncio.run(steady_load(keys, HOST, srv.port, msgs_per_s=msgs_per_s, duration_s=duration_s,
                                             drain_timeout_s=60.0, during=during))
        srv.stop()
        check = _journal_check(wd / "journal.sqlite", _expected(fleet))
    c = out["counts"]
    return {"sensors": sensors, "enqueued": out["enqueued"], "killed_at_s": events.get("killed"),
            "restarted_at_s": events.get("restarted"), "reconnects": c.get("reconnects", 0),
            "resent": c.get("resent", 0), "duplicate_acks": c.get("ack_duplicate", 0),
            "stored_rows": check["rows"], "lost": check["lost"], "doubled": check["doubled"],
            "all_acknowledged": out["all_acknowledged"]}


# --------------------------------------------------------------------------- fuzz
def _hostile(rng: random.Random, sensor: str, key: bytes, seq: int, captured: list[bytes]) -> tuple[bytes, str]:
    """One hostile line and the reject reason the server must give it."""
    now = time.time_ns()
    good = lambda **kw: P.message("pulse", sensor, seq, now, t_ns=now, **kw)  # noqa: E731
    k = rng.randrange(13)
    if k == 0:
        b = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))).replace(b"\n", b" ")
        try:
            json.loads(b)
        except ValueError:
            if b.strip():  # blank lines are keep-alives, not messages
                return b, "bad_json"
        return b"\xff" + b, "bad_json"
    if k == 1:
        line = P.encode_line(P.sign(key, good()))[:-1]
        return line[: rng.randrange(1, len(line) - 1)], "bad_json"
    if k == 2:
        m = good()
        m[rng.choice(["seq", "sent_ns", "t_ns"])] = rng.choice(["1", 1.5, None, [], {}, True])
        return P.encode_line(P.sign(key, m))[:-1], "bad_schema"
    if k == 3:
        m = good()
        m[rng.choice(["seq", "sent_ns"])] = rng.choice([2**64, -(2**70), 10**30])
        return P.encode_line(m)[:-1], "bad_schema"
    if k == 4:
        return b'{"v":1,"type":"pulse","sensor":"%s","seq":1,"sent_ns":1e400}' % sensor.encode(), "bad_schema"
    if k == 5:
        m = P.sign(key, good())
        m["mac"] = "%064x" % rng.getrandbits(256)
        return P.encode_line(m)[:-1], "bad_mac"
    if k == 6:
        m = P.sign(b"\x00" * 32, P.message("pulse", f"X{rng.randrange(10**6)}", seq, now, t_ns=1))
        return P.encode_line(m)[:-1], "unknown_sensor"
    if k == 7 and captured:
        return rng.choice(captured), "replay"
    if k == 8:
        return P.encode_line(P.sign(key, P.message("pulse", sensor, seq, now - 3600 * 10**9, t_ns=1)))[:-1], "stale_time"
    if k == 9:
        return b"[" * rng.randrange(1000, 5000), "bad_json"
    if k == 10:
        return b'{"v":1,"v":1}', "bad_json"
    if k == 11:
        m = P.sign(key, P.message("pulse", sensor, seq, now, t_ns=1, snr_db=1e300))
        return P.encode_line(m)[:-1], "bad_schema"
    data = os.urandom(64)
    chunk = P.audio_chunks(f"c{seq}", data, start_ns=now, sample_rate_hz=16000)[0]
    chunk["data"] = base64.b64encode(os.urandom(64)).decode()
    return P.encode_line(P.sign(key, P.message("audio", sensor, seq, now, **chunk)))[:-1], "audio_mismatch"


async def _fuzz_conn(port: int, sensor: str, key: bytes, n: int, seed: int, per_s: float) -> dict[str, Any]:
    rng = random.Random(seed)
    r, w = await asyncio.open_connection(HOST, port, limit=P.MAX_LINE_BYTES)
    seq = 1
    w.write(P.encode_line(P.sign(key, P.message("hello", sensor, seq, time.time_ns()))))
    await w.drain()
    assert json.loads(await r.readline())["type"] == "welcome"
    captured: list[bytes] = []
    # one valid message to capture for replays
    seq += 1
    valid = P.encode_line(P.sign(key, P.message("pulse", sensor, seq, time.time_ns(), t_ns=1)))
    w.write(valid)
    captured.append(valid[:-1])
    expected: dict[str, int] = {}
    got: dict[str, int] = {}
    replies = 0

    async def read() -> None:
        nonlocal replies
        while True:
            line = await r.readline()
            if not line:
                return
            m = json.loads(line)
            replies += 1
            if m.get("type") == "nack":
                got[m["reason"]] = got.get(m["reason"], 0) + 1

    reader = asyncio.create_task(read())
    t0 = time.monotonic()
    for i in range(n):
        seq += 1
        line, reason = _hostile(rng, sensor, key, seq, captured)
        if i % 1000 == 999:  # a few oversize lines
            line, reason = b"A" * (P.MAX_LINE_BYTES + 100), "oversize"
        w.write(line + b"\n")
        expected[reason] = expected.get(reason, 0) + 1
        if i % 50 == 49:
            await w.drain()
            ahead = (i + 1) / per_s - (time.monotonic() - t0)
            if ahead > 0:
                await asyncio.sleep(ahead)
    await w.drain()
    for _ in range(200):  # wait (bounded) for the last nacks
        if replies >= n + 1:
            break
        await asyncio.sleep(0.05)
    w.close()
    reader.cancel()
    return {"expected": expected, "got": got}


async def _fuzz_all(port: int, keys: dict[str, bytes], *, messages: int, conns: int, honest: dict[str, bytes],
                    flood_key: tuple[str, bytes], per_conn_s: float) -> dict[str, Any]:
    from app.feeds.emulator import EmulatedSensor

    good = {s: EmulatedSensor(s, k, HOST, port) for s, k in honest.items()}
    tasks = [asyncio.create_task(e.run()) for e in good.values()]
    stop = asyncio.Event()

    async def honest_traffic() -> int:
        n = 0
        while not stop.is_set() and n < 100_000:
            for e in good.values():
                e.enqueue("pulse", t_ns=time.time_ns())
                n += 1
            await asyncio.sleep(0.1)
        return n

    async def flood() -> int:
        s, k = flood_key
        r, w = await asyncio.open_connection(HOST, port)
        w.write(P.encode_line(P.sign(k, P.message("hello", s, 1, time.time_ns()))))
        line = P.encode_line(P.sign(k, P.message("pulse", s, 2, time.time_ns(), t_ns=1)))
        sent = 0
        replies = 0

        async def discard() -> None:
            nonlocal replies
            while chunk := await r.read(65536):
                replies += chunk.count(b"\n")

        reader = asyncio.create_task(discard())
        try:
            for _ in range(200):  # 20,000 lines as fast as the socket takes them, for about a second
                w.write(line * 100)
                sent += 100
                await w.drain()
                await asyncio.sleep(0.005)
            for _ in range(400):  # wait (bounded) for the server to answer them all
                if replies >= sent or reader.done():
                    break
                await asyncio.sleep(0.05)
        except (ConnectionError, OSError):
            pass
        w.close()
        reader.cancel()
        return sent

    ht = asyncio.create_task(honest_traffic())
    fl = asyncio.create_task(flood())
    per = messages // conns
    ids = list(keys)
    res = await asyncio.gather(*(_fuzz_conn(port, ids[i], keys[ids[i]], per, i, per_conn_s) for i in range(conns)))
    stop.set()
    honest_sent = await ht
    flood_sent = await fl
    ok = all(await asyncio.gather(*(e.flush(30) for e in good.values())))
    for e in good.values():
        await e.close()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    exp: dict[str, int] = {}
    got: dict[str, int] = {}
    for r in res:
        for k, v in r["expected"].items():
            exp[k] = exp.get(k, 0) + v
        for k, v in r["got"].items():
            got[k] = got.get(k, 0) + v
    stored = sum(e.counts.get("ack_stored", 0) for e in good.values())
    return {"hostile_sent": per * conns, "expected_by_reason": exp, "nacked_by_reason": got,
            "honest_sent": honest_sent, "honest_stored": stored, "honest_all_acked": ok, "flood_sent": flood_sent}


def bench_fuzz(*, messages: int = 100_000, conns: int = 40, honest: int = 20, per_conn_msgs_s: float = 450.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-fuzz-") as d:
        wd = Path(d)
        kpath, keys = _keys(wd, conns + honest + 1)
        ids = list(keys)
        fuzz_keys = {s: keys[s] for s in ids[:conns]}
        honest_keys = {s: keys[s] for s in ids[conns:conns + honest]}
        srv = ServerProc(wd, kpath, wd / "journal.sqlite")
        port = srv.start()
        t0 = time.monotonic()
        out = asyncio.run(_fuzz_all(port, fuzz_keys, messages=messages, conns=conns, honest=honest_keys,
                                    flood_key=(ids[-1], keys[ids[-1]]), per_conn_s=per_conn_msgs_s))
        wall = time.monotonic() - t0
        alive = srv.proc is not None and srv.proc.poll() is None
        rss = srv.peak_rss_mib()
        stats = srv.stop()
    rej = stats.get("rejects", {})
    out.update({
        "wall_s": round(wall, 1), "server_alive_at_end": alive, "server_peak_rss_mib": round(rss, 1),
        "server_rejects_by_reason": rej, "server_rejects_total": stats.get("rejects_total"),
        "server_closed_flood": stats.get("counts", {}).get("closed_flood", 0),
        "every_hostile_message_nacked_with_its_reason": out["expected_by_reason"] == out["nacked_by_reason"],
        "connection_errors": stats.get("counts", {}).get("connection_errors", 0),
    })
    return out


# --------------------------------------------------------------------------- entry
def run(args: Any = None) -> dict[str, Any]:
    """``args`` may carry: quick (bool: small sizes), parts ("load,fuzz,fault"),
    sensors, rate, duration."""
    quick = bool(getattr(args, "quick", False))
    parts = (getattr(args, "parts", None) or "load,fuzz,fault").split(",")
    res: dict[str, Any] = {"quick": quick}
    if "load" in parts:
        res["load"] = bench_load(sensors=getattr(args, "sensors", None) or (50 if quick else 500),
                                 msgs_per_s=getattr(args, "rate", None) or (500.0 if quick else 5200.0),
                                 duration_s=getattr(args, "duration", None) or (5.0 if quick else 60.0))
    if "fuzz" in parts:
        res["fuzz"] = bench_fuzz(messages=5_000 if quick else 100_000, conns=10 if quick else 40)
    if "fault" in parts:
        res["fault"] = bench_fault(duration_s=8.0 if quick else 20.0, kill_at_s=3.0 if quick else 7.0,
                                   sensors=20 if quick else 50, msgs_per_s=300.0 if quick else 1000.0)
    _print_table(res)
    print(json.dumps(res, sort_keys=True))
    return res


def _print_table(res: dict[str, Any]) -> None:
    rows: list[tuple[str, str]] = []
    if "load" in res:
        L = res["load"]
        rows += [("load: sensors / duration", f"{L['sensors']} / {L['duration_s']:.0f} s"),
                 ("load: stored msg/s", f"{L['stored_msgs_per_s']:,.0f} (target {L['target_msgs_per_s']:,.0f})"),
                 ("load: lost / doubled", f"{L['lost']} / {L['doubled']}"),
                 ("load: send→stored p50 / p99 / max", f"{L['latency_ms_p50']} / {L['latency_ms_p99']} / {L['latency_ms_max']} ms"),
                 ("load: server CPU / peak RSS", f"{L['server_cpu_pct_of_one_core']} % of a core / {L['server_peak_rss_mib']} MiB"),
                 ("load: emulators CPU", f"{L['emulators_cpu_pct_of_one_core']} % of a core")]
    if "fuzz" in res:
        F = res["fuzz"]
        rows += [("fuzz: hostile messages", f"{F['hostile_sent']:,} + {F['flood_sent']:,} flood"),
                 ("fuzz: server rejects", f"{F['server_rejects_total']:,}"),
                 ("fuzz: nacked with expected reason", str(F["every_hostile_message_nacked_with_its_reason"])),
                 ("fuzz: honest stored / sent", f"{F['honest_stored']:,} / {F['honest_sent']:,}"),
                 ("fuzz: server alive", str(F["server_alive_at_end"]))]
    if "fault" in res:
        X = res["fault"]
        rows += [("fault: kill at / restart at", f"{X['killed_at_s']:.1f} s / {X['restarted_at_s']:.1f} s"),
                 ("fault: resent / duplicate acks", f"{X['resent']} / {X['duplicate_acks']}"),
                 ("fault: enqueued / stored rows", f"{X['enqueued']} / {X['stored_rows']}"),
                 ("fault: lost / doubled", f"{X['lost']} / {X['doubled']}")]
    w = max(len(k) for k, _ in rows) if rows else 0
    for k, v in rows:
        print(f"{k:<{w}}  {v}")
