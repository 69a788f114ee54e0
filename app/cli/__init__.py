"""``tocsin`` command line.  Each area of the product contributes one module with a
``register(subparsers)`` function; this file only collects them and runs the chosen one.

A command's handler returns an exit status.  Errors the user can act on are raised as
``CliError`` and printed as one line on stderr — never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from app import __version__

# Modules that add subcommands, in the order they appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "app.cli.locate_cmd",
    "app.cli.demo_cmd",
    "app.cli.bench_cmd",
    "app.cli.detect_cmd",
    "app.cli.feed_cmd",
    "app.cli.console_cmd",
    "app.cli.config_cmd",
    "app.cli.db_cmd",
    "app.cli.import_cmd",
    "app.cli.report_cmd",
    "app.cli.train_cmd",
)


class CliError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tocsin",
        description="Tocsin — gunfire alert console and acoustic localization engine.",
    )
    parser.add_argument("--version", action="version", version=f"tocsin {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            # One unavailable area (a missing optional dependency) must not take the
            # whole command line down: say so and offer the rest.
            print(f"tocsin: warning: commands from {name} are unavailable ({exc})", file=sys.stderr)
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        # Options without a subcommand are the demo's: `tocsin --screenshot PNG --after S`.
        argv = ["demo", *argv]
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        # No subcommand: the console (or the headless demo where there is no display).
        args = parser.parse_args(["demo", *argv])
    return run_command(args)


def run_command(args) -> int:
    """Run a parsed command: user errors as one line and exit status 2, never a traceback."""
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"tocsin: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
