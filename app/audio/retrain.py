"""Retrain the shipped gunfire model deterministically: ``python -m app.audio.retrain``.

Writes ``localization/audio/gunfire_model.json`` (or ``--out``).  Training uses synthetic
incidents only (see ``localization.audio.training``); the same seed gives the same file.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from localization.audio.training import TRAIN_SEED, train

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "localization" / "audio" / "gunfire_model.json"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m app.audio.retrain", description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=TRAIN_SEED)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    t = time.perf_counter()
    model = train(args.seed)
    args.out.write_text(model.to_json() + "\n")
    print(f"wrote {args.out} ({dict(model.info)}) in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
