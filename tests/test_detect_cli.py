"""``tocsin detect``: JSONL pulses; bad input → one-line error, exit 2, no traceback."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import soundfile as sf

from app.cli import CliError, detect_cmd
from localization.audio import SourceEvent, synthesize


def _run(argv, capsys):
    ap = argparse.ArgumentParser(prog="tocsin")
    detect_cmd.register(ap.add_subparsers())
    args = ap.parse_args(["detect", *argv])
    try:
        rc = args.func(args)
    except CliError as exc:  # what app.cli.main does
        return 2, capsys.readouterr().out, str(exc)
    return rc, capsys.readouterr().out, ""


def test_detect_writes_engine_pulses(tmp_path, capsys):
    ev = [SourceEvent(100.0, 0.0, 1_000_000_000, "gunshot", "handgun", level_db=160.0)]
    a = synthesize([[0, 0, 10]], ev, start_ns=0, duration_s=3.0, seed=2, sample_rate_hz=12000)
    p = tmp_path / "s.wav"
    sf.write(p, a.samples[0], 12000, subtype="PCM_16")
    rc, out, err = _run([str(p), "--sensor", "S1", "--start", "2020-01-01T00:00:00Z"], capsys)
    assert rc == 0 and not err
    rows = [json.loads(line) for line in out.splitlines()]
    base = 1577836800 * 10**9
    truth = base + a.arrivals[0].t_ns
    best = min(rows, key=lambda r: abs(r["t_ns"] - truth))
    assert abs(best["t_ns"] - truth) < 1_000_000
    assert {"sensor", "t_ns", "snr_db", "peak_db", "id", "rise_time_ms", "gunfire_p"} <= set(best)
    assert best["sensor"] == "S1"


@pytest.mark.parametrize("make,extra,msg", [
    (lambda d: d.joinpath("x.wav").write_text("hello") and d / "x.wav", [], "not a readable audio file"),
    (lambda d: d / "missing.wav", [], "no such file"),
    (lambda d: (sf.write(d / "n.wav", np.zeros(1200), 12000), d / "n.wav")[1], [], "no sensor id"),
    (lambda d: (sf.write(d / "n.wav", np.zeros(1200), 12000), d / "n.wav")[1], ["--sensor", "S"], "no start time"),
    (lambda d: (sf.write(d / "n.wav", np.zeros(1200), 12000), d / "n.wav")[1], ["--sensor", "S", "--start", "noon"], "ISO 8601"),
])
def test_bad_input_gives_clear_error(tmp_path, capsys, make, extra, msg):
    path = make(tmp_path)
    rc, out, err = _run([str(path), *extra], capsys)
    assert rc == 2 and msg in err and "\n" not in err and out == ""


def test_main_entry_point_exit_status(tmp_path, capsys):
    from app import cli

    try:
        cli.build_parser()
    except ModuleNotFoundError as exc:
        pytest.skip(f"another area's CLI module is not there yet ({exc}); entry point not testable")
    (tmp_path / "x.wav").write_text("hello")
    assert cli.main(["detect", str(tmp_path / "x.wav")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tocsin: error:") and "Traceback" not in err


@pytest.mark.realdata
def test_detect_reads_smj0_file(shared_data, capsys):
    files = sorted((shared_data / "chicago-sensor-audio" / "examples").rglob("*.wav"))
    if not files:
        pytest.skip("no Chicago sensor WAVs")
    rc, out, err = _run([str(files[0])], capsys)
    assert rc == 0 and out
    assert json.loads(out.splitlines()[0])["sensor"].startswith("SCP-")
