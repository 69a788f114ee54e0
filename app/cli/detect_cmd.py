"""``tocsin detect WAV...`` — impulses in sensor recordings → pulses as JSON lines on stdout.

Each line is one pulse in the engine's format (``sensor``, ``t_ns``, ``snr_db``,
``peak_db``, ``id``) plus the detector's feature fields and ``gunfire_p`` (the pulse
model's gunfire probability).  Sensor id and start time come from the file (ShotSpotter
``smj0`` chunk or a JSON sidecar) unless given on the command line.
"""
from __future__ import annotations

import argparse
import json
import sys

from app.cli import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("detect", help="detect impulses in sensor WAV files → pulses JSONL",
                              description=__doc__.splitlines()[0])
    p.add_argument("wav", nargs="+", metavar="WAV", help="sensor recording(s), mono")
    p.add_argument("--sensor", help="sensor id (default: from the file's metadata)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--start", metavar="ISO8601", help="UTC time of the first sample, e.g. 2018-12-19T00:49:26.000Z")
    g.add_argument("--start-ns", type=int, metavar="N", help="UTC time of the first sample in ns since the epoch")
    p.add_argument("--full-scale-db", type=float, default=None,
                   help="dB SPL of a full-scale sample (default: from the file, else 93.09)")
    p.add_argument("--threshold-db", type=float, default=12.0, help="detection threshold over the noise floor (dB)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.audio.wav_io import AudioFileError, parse_utc_ns, read_recording
    from localization.audio.classify import pulse_gunfire_probability
    from localization.audio.onset import detect_impulses

    start_override = args.start_ns
    if args.start is not None:
        try:
            start_override = parse_utc_ns(args.start)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    if args.sensor and len(args.wav) > 1:
        raise CliError("--sensor applies to one file; give one WAV per run or let the files name their sensor")
    for path in args.wav:
        try:
            rec = read_recording(path)
        except AudioFileError as exc:
            raise CliError(str(exc)) from None
        sensor = args.sensor or rec.sensor_id
        start_ns = start_override if start_override is not None else rec.start_ns
        if not sensor:
            raise CliError(f"{path}: no sensor id in the file; give --sensor ID")
        if start_ns is None:
            raise CliError(f"{path}: no start time in the file; give --start ISO8601 or --start-ns N")
        fs = args.full_scale_db if args.full_scale_db is not None else (rec.full_scale_db or 93.09)
        dets = detect_impulses(rec.samples, rec.sample_rate_hz, full_scale_db=fs, threshold_db=args.threshold_db)
        probs = pulse_gunfire_probability([d.features for d in dets]) if dets else []
        for i, (d, p) in enumerate(zip(dets, probs)):
            t_ns = int(start_ns + round(d.onset_s * 1e9))
            row = {"sensor": sensor, "t_ns": t_ns, "snr_db": round(d.snr_db, 2),
                   "peak_db": None if d.peak_db is None else round(d.peak_db, 2),
                   "id": f"{sensor}:{t_ns}", **{k: round(v, 4) for k, v in d.features.items()},
                   "gunfire_p": round(float(p), 4)}
            sys.stdout.write(json.dumps(row) + "\n")
    sys.stdout.flush()
    return 0
