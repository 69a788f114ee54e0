"""``tocsin feed …`` (serve / simulate / keygen / selfsigned), ``tocsin serve`` and
``tocsin sensor-emulator``: the live feeds from the command line."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from app.cli import CliError

DEFAULT_PORT = 7700


def _hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise CliError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def _plan(args: argparse.Namespace):
    from app.feeds.scenario import MIX_PROFILES, load_plan, random_plan

    try:
        if args.scenario and args.scenario not in MIX_PROFILES:
            return load_plan(args.scenario, seed=args.seed)
        return random_plan(args.scenario or args.mix or "busy_weekend", duration_s=args.duration, seed=args.seed or 0,
                           outages=args.outages, area_sq_mi=args.area_sq_mi)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def _keys(path: str) -> dict[str, bytes]:
    from app.feeds.keys import KeysFileError, load_keys

    try:
        return load_keys(path)
    except KeysFileError as exc:
        raise CliError(str(exc)) from None


def _add_plan_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", metavar="FILE|PROFILE",
                   help="scenario TOML file, or a random mix: quiet_night, busy_weekend, july_4th, new_years_eve")
    p.add_argument("--mix", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the file's, or 0)")
    p.add_argument("--duration", type=float, default=600.0, help="random mix length in seconds (default 600)")
    p.add_argument("--outages", type=int, default=2, help="random sensor outages in a random mix (default 2)")
    p.add_argument("--area-sq-mi", type=float, default=4.0, help="random mix area (default 4 sq mi)")
    p.add_argument("--speed", type=float, default=1.0, help="×1 … ×60 (0 = as fast as possible)")
    p.add_argument("--audio", action="store_true", help="also deliver audio clips of each incident's loudest sensors")


def register(subparsers: argparse._SubParsersAction) -> None:
    feed = subparsers.add_parser("feed", help="live feeds: run the sensor socket, a simulation, make keys or a certificate")
    fsub = feed.add_subparsers(dest="feed_command", metavar="ACTION", required=True)

    serve = fsub.add_parser("serve", help="run the authenticated sensor socket (Ctrl-C stops)")
    _add_serve_args(serve)
    serve.set_defaults(func=_serve)
    alias = subparsers.add_parser("serve", help="same as 'tocsin feed serve'")
    _add_serve_args(alias)
    alias.set_defaults(func=_serve)

    sim = fsub.add_parser("simulate", help="run the live simulator feed and print what it delivers")
    _add_plan_args(sim)
    sim.add_argument("--json", action="store_true", help="print one JSON line per event")
    sim.set_defaults(func=_simulate)

    kg = fsub.add_parser("keygen", help="write a keys file (mode 600) for the sensors of a scenario or a list")
    kg.add_argument("--out", required=True, help="keys file to write")
    kg.add_argument("--sensors", help="comma-separated sensor ids")
    kg.add_argument("--count", type=int, help="make ids S001 … for this many sensors")
    _add_plan_args(kg)
    kg.set_defaults(func=_keygen)

    ss = fsub.add_parser("selfsigned", help="make a self-signed TLS certificate for localhost (cert.pem, key.pem)")
    ss.add_argument("--out", required=True, help="directory")
    ss.set_defaults(func=_selfsigned)

    em = subparsers.add_parser("sensor-emulator", help="play simulated sensors over the socket, one connection per sensor")
    em.add_argument("--connect", required=True, metavar="HOST:PORT")
    em.add_argument("--keys", required=True, help="keys file (mode 600) with the sensors' keys")
    em.add_argument("--tls-ca", help="verify the server's TLS certificate against this file")
    em.add_argument("--no-tls", action="store_true", help="plain TCP (demo mode servers)")
    em.add_argument("--now", action="store_true", help="shift scenario times to start at the wall clock")
    _add_plan_args(em)
    em.set_defaults(func=_emulate)


def _add_serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--keys", required=True, help="keys file (TOML, mode 600)")
    p.add_argument("--listen", default=f"127.0.0.1:{DEFAULT_PORT}", metavar="HOST:PORT")
    p.add_argument("--journal", default="tocsin-intake.sqlite", help="SQLite intake journal (default ./tocsin-intake.sqlite)")
    p.add_argument("--tls-cert", help="PEM certificate (TLS is required unless --demo)")
    p.add_argument("--tls-key", help="PEM private key")
    p.add_argument("--demo", action="store_true", help="demo mode: plain TCP allowed")
    p.add_argument("--rate", type=float, default=500.0, help="per-connection message rate limit (msg/s)")
    p.add_argument("--for", dest="run_for", type=float, default=None, help="stop after this many seconds")
    p.add_argument("--stats-every", type=float, default=10.0, help="print a stats line every N seconds (0 = never)")
    p.add_argument("--port-file", help="write the bound port here once listening")


def _serve(args: argparse.Namespace) -> int:
    from app.feeds.journal import SqliteJournal
    from app.feeds.server import ServerConfig, SocketFeed

    host, port = _hostport(args.listen)
    keys = _keys(args.keys)
    ctx = None
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            raise CliError("--tls-cert and --tls-key go together")
        from app.feeds.tls import server_context

        try:
            ctx = server_context(args.tls_cert, args.tls_key)
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot load the TLS certificate: {exc}") from None
    elif not args.demo:
        raise CliError("TLS is on outside demo mode: give --tls-cert and --tls-key "
                       "(make a test pair with 'tocsin feed selfsigned'), or --demo for plain TCP")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    cfg = ServerConfig(host=host, port=port, ssl_context=ctx, rate_msgs_per_s=args.rate, burst_msgs=2 * args.rate)
    feed = SocketFeed(keys, SqliteJournal(args.journal), config=cfg)
    listener = _PrintListener(json_lines=False)
    try:
        feed.start(listener)
    except OSError as exc:
        raise CliError(f"cannot listen on {args.listen}: {exc}") from None
    addr = feed.address
    print(f"tocsin: sensor socket on {addr[0]}:{addr[1]} ({'TLS' if ctx else 'plain TCP, demo mode'}), "
          f"{len(keys)} sensor keys, journal {args.journal}", flush=True)
    if args.port_file:
        Path(args.port_file).write_text(str(addr[1]))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    t_end = time.monotonic() + args.run_for if args.run_for else None
    last = time.monotonic()
    try:
        while not stop.is_set() and not feed.done.is_set():
            stop.wait(0.5)
            if t_end is not None and time.monotonic() >= t_end:
                break
            if args.stats_every and time.monotonic() - last >= args.stats_every:
                last = time.monotonic()
                print("stats " + json.dumps(feed.stats(), sort_keys=True), flush=True)
    except KeyboardInterrupt:
        pass
    feed.stop()
    print("stats " + json.dumps(feed.stats(), sort_keys=True), flush=True)
    return 0


class _PrintListener:
    def __init__(self, json_lines: bool) -> None:
        self.json = json_lines
        self.pulses = 0

    def _out(self, kind: str, text: str, obj: dict) -> None:
        if self.json:
            print(json.dumps({"event": kind, **obj}, default=str), flush=True)
        else:
            print(f"{kind:6s} {text}", flush=True)

    def on_pulses(self, pulses) -> None:
        self.pulses += len(pulses)
        if self.json:
            for p in pulses:
                self._out("pulse", "", {"sensor": p.sensor, "t_ns": p.t_ns, "snr_db": p.snr_db, "id": p.id})

    def on_audio(self, clip) -> None:
        self._out("audio", f"{clip.sensor} clip {clip.clip_id}: {len(clip.data)} bytes {clip.encoding} @ {clip.sample_rate_hz} Hz",
                  {"sensor": clip.sensor, "clip": clip.clip_id, "bytes": len(clip.data), "start_ns": clip.start_ns})

    def on_status(self, s) -> None:
        self._out("status", f"{s.sensor} {s.state}{'' if s.timing_trusted else ' (timing untrusted)'} {s.detail}",
                  {"sensor": s.sensor, "state": s.state, "timing_trusted": s.timing_trusted, "detail": s.detail})

    def on_alert(self, a) -> None:
        self._out("alert", f"[{a.severity}] {a.message}",
                  {"sensor": a.sensor, "kind": a.kind, "severity": a.severity, "active": a.active, "message": a.message})


def _simulate(args: argparse.Namespace) -> int:
    from app.feeds.simulator import SimulatorFeed

    plan = _plan(args)
    try:
        feed = SimulatorFeed(plan, speed=args.speed, audio=args.audio)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    listener = _PrintListener(json_lines=args.json)
    if not args.json:
        print(f"simulating {plan.name}: {len(plan.sensors)} sensors, {len(plan.events.incidents)} incidents, "
              f"{len(plan.outages)} outages, {plan.duration_s:.0f} s at ×{args.speed:g}", flush=True)
    try:
        feed.run(listener)
    except KeyboardInterrupt:
        pass
    st = feed.stats()
    if args.json:
        print(json.dumps({"event": "done", **st}), flush=True)
    else:
        print(f"done: {json.dumps(st['counts'], sort_keys=True)}", flush=True)
    return 0


def _keygen(args: argparse.Namespace) -> int:
    from app.feeds.keys import generate_keys, write_keys

    if args.sensors:
        ids = [s.strip() for s in args.sensors.split(",") if s.strip()]
    elif args.count:
        ids = [f"S{i + 1:03d}" for i in range(args.count)]
    else:
        ids = [s.id for s in _plan(args).sensors]
    try:
        write_keys(args.out, generate_keys(ids))
    except (OSError, ValueError) as exc:
        raise CliError(str(exc)) from None
    print(f"wrote {len(ids)} sensor keys to {args.out} (mode 600)")
    return 0


def _selfsigned(args: argparse.Namespace) -> int:
    from app.feeds.tls import make_self_signed

    try:
        cert, key = make_self_signed(args.out)
    except (RuntimeError, OSError) as exc:
        raise CliError(str(exc)) from None
    print(f"wrote {cert} and {key}")
    return 0


def _emulate(args: argparse.Namespace) -> int:
    from app.feeds.fleet import play_timeline
    from app.feeds.timeline import build_timeline

    host, port = _hostport(args.connect)
    if host not in ("127.0.0.1", "localhost", "::1") and not args.tls_ca:
        print("tocsin: warning: sending sensor data to a non-loopback host", file=sys.stderr)
    keys = _keys(args.keys)
    if not (args.speed == 0 or 1 <= args.speed <= 60):
        raise CliError(f"--speed must be 0 or 1 … 60, got {args.speed:g}")
    ctx = None
    if not args.no_tls:
        from app.feeds.tls import client_context

        try:
            ctx = client_context(args.tls_ca)
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot load --tls-ca: {exc}") from None
    plan = _plan(args)
    tl = build_timeline(plan, audio=args.audio)
    offset = (time.time_ns() - tl.start_ns) if args.now else 0
    print(f"emulating {len(plan.sensors)} sensors of {plan.name} → {host}:{port} "
          f"({'TLS' if ctx else 'plain TCP'}), {len(tl.items)} messages over {plan.duration_s:.0f} s at ×{args.speed:g}",
          flush=True)
    try:
        out = asyncio.run(play_timeline(tl, keys, host, port, speed=args.speed, ssl_context=ctx,
                                        server_hostname=host if ctx else None, offset_ns=offset))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    except KeyboardInterrupt:
        return 130
    print("emulator " + json.dumps(out, sort_keys=True), flush=True)
    return 0 if out["all_acknowledged"] else 1


def main(argv: list[str] | None = None) -> int:
    """``python -m app.cli.feed_cmd …``: these commands alone (used by the benchmarks'
    subprocesses, independent of the rest of the CLI)."""
    parser = argparse.ArgumentParser(prog="tocsin")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    from app.cli import run_command

    return run_command(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
