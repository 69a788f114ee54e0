"""``tocsin demo`` (and ``tocsin`` with no command): the main job on built-in defaults.

Opens the dispatcher console on the fictional demo city, Port Tocsin, fed by the live
sensor-network simulator through the localization engine, with a TRAINING banner.  On
a machine with no display it says so and runs the headless demo instead: the same live
simulator and engine, each alert printed as it is raised (and again as it grows), with
the location in words — until Ctrl-C or ``--duration`` seconds.
"""
from __future__ import annotations

import sys
import time

from app.cli import CliError


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the demo: console on Port Tocsin (headless alert log without a display)")
    p.add_argument("--headless", action="store_true", help="print alerts in the terminal; do not open the console")
    p.add_argument("--duration", type=float, default=0.0, metavar="S",
                   help="stop after S seconds (default: run until Ctrl-C)")
    p.add_argument("--rate", type=float, default=0.2, help="simulated incidents per second (default 0.2)")
    p.add_argument("--speed", type=float, default=1.0, help="simulation speed, 1–60× real time (default 1)")
    p.add_argument("--seed", type=int, default=5, help="random seed of the simulated city (default 5)")
    p.add_argument("--screenshot", metavar="PATH", help="console only: save a PNG after --after seconds and exit")
    p.add_argument("--after", type=float, default=8.0, metavar="S", help="seconds of demo before --screenshot")
    p.set_defaults(func=run)


def run(args) -> int:
    if not 1.0 <= args.speed <= 60.0:
        raise CliError(f"--speed must be between 1 and 60, got {args.speed}")
    if not 0.0 < args.rate <= 10.0:
        raise CliError(f"--rate must be between 0 and 10 incidents per second, got {args.rate}")
    if not args.headless:
        from app.cli import console_cmd

        ok, why = console_cmd.display_available()
        if ok:
            status = console_cmd.open_demo_console(screenshot=args.screenshot, after_s=args.after,
                                                   rate_per_s=args.rate)
            if status is not None:
                return status
            why = "the console could not open"
        print(f"tocsin: {why}; running the headless demo instead (alerts are printed below).", flush=True)
    elif args.screenshot:
        raise CliError("--screenshot needs the console; drop --headless")
    return headless_demo(duration_s=args.duration, rate_per_s=args.rate, speed=args.speed, seed=args.seed)


def headless_demo(*, duration_s: float = 0.0, rate_per_s: float = 0.2, speed: float = 1.0, seed: int = 5,
                  out=None, poll_s: float = 0.5) -> int:
    """Live simulator → engine → alerts on stdout.  Returns 0 (Ctrl-C ends it cleanly)."""
    from app.console_services.engine_source import SimulatedEngineSource
    from app.console_services.alert_record import split_address
    from app.console_services.readout import readout
    from app.console_services.site import demo_site

    out = out or sys.stdout
    site = demo_site()
    source = SimulatedEngineSource(site, rate_per_s=rate_per_s, speed=speed, seed=seed)
    print(f"TRAINING — Tocsin demo on {site.name} (fictional city): {len(site.sensors)} sensors, "
          f"~{rate_per_s:g} simulated incidents/s, {speed:g}× real time. Ctrl-C to stop.", file=out, flush=True)
    print("Alerts appear once every sensor that could hear a shot has reported (about 10–15 s after it).",
          file=out, flush=True)
    first_seen: dict[str, int] = {}
    t_end = time.monotonic() + duration_s if duration_s > 0 else float("inf")
    alerts = 0
    try:
        while time.monotonic() < t_end:
            for inc in source.poll():
                now = time.time_ns()
                first_seen.setdefault(inc.id, now)
                words, near = split_address(site.locator.describe(inc.x_m, inc.y_m).text)
                line = readout(inc, location_words=words, near_words=near, reported_ns=inc.start_ns, now_ns=now)
                tag = "NEW   " if inc.revision == 0 else f"UPDATE r{inc.revision}"
                print(f"[{tag}] {inc.id}: {line}  (±{inc.err95_m:.0f} m)", file=out, flush=True)
                alerts += inc.revision == 0
            time.sleep(poll_s)
    except KeyboardInterrupt:
        pass
    finally:
        source.close()
    print(f"Demo stopped: {alerts} alert(s) raised, {source.pulses_seen} sensor pulses processed.", file=out, flush=True)
    return 0
