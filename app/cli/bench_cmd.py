"""``tocsin bench engine|detect|classify|feeds|console`` — benchmarks that print their figures."""
from __future__ import annotations

import importlib

from app.cli import CliError

# name → (module, help)
BENCHES = {
    "engine": ("app.bench.engine", "localization accuracy (Pittsburgh live fire, synthetic) and speed"),
    "detect": ("app.bench.detect", "audio onset detection against Pittsburgh FP1 reported arrivals"),
    "classify": ("app.bench.classify", "gunfire vs decoy classification"),
    "feeds": ("app.bench.feeds", "socket feed load, fuzz and fault tests on loopback"),
    "console": ("app.bench.console", "console latency, start-up and memory"),
}


def register(sub) -> None:
    p = sub.add_parser("bench", help="run a benchmark and print its figures (table + JSON)")
    p.add_argument("which", choices=sorted(BENCHES), help="; ".join(f"{k}: {v[1]}" for k, v in BENCHES.items()))
    p.add_argument("--quick", action="store_true", help="a smaller, faster run")
    p.add_argument("--section", dest="sections", action="append",
                   help="engine only: pittsburgh, synthetic or speed (repeatable; default all)")
    p.add_argument("--shared-data", help="path to shared/data (default ../shared/data next to the project)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    module_name = BENCHES[args.which][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise CliError(f"benchmark {args.which!r} is not available: {exc}") from exc
    module.run(args)
    return 0
