"""Reading sensor files: smj0 chunk on the shared Chicago files, sidecar JSON, time parsing."""
from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from app.audio.wav_io import AudioFileError, format_utc_ns, parse_utc_ns, read_recording, read_smj0


def test_parse_utc_keeps_nanoseconds():
    assert parse_utc_ns("1970-01-01T00:00:01.000000001Z") == 1_000_000_001
    assert parse_utc_ns("2018-12-19T00:49:27.467Z") % 1_000_000_000 == 467_000_000
    t = parse_utc_ns("2022-09-18T05:20:54.178Z")
    assert parse_utc_ns(format_utc_ns(t)) == t
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_utc_ns("yesterday")


@pytest.mark.realdata
def test_smj0_chunk_of_chicago_files(shared_data):
    files = sorted((shared_data / "chicago-sensor-audio" / "examples").rglob("*.wav"))
    if not files:
        pytest.skip("no Chicago sensor WAVs under chicago-sensor-audio/examples")
    for f in files:
        meta = read_smj0(f)
        assert meta and meta["serialNumber"].startswith("SCP-")
        rec = read_recording(f)
        assert rec.sensor_id == meta["serialNumber"]
        assert rec.start_ns == parse_utc_ns(meta["startTimeUTC"])
        assert rec.full_scale_db == pytest.approx(93.09)
        assert rec.sample_rate_hz == 12000 and 40.0 < rec.latitude_deg < 43.0


def test_sidecar_json_and_plain_wav(tmp_path):
    p = tmp_path / "a.wav"
    sf.write(p, np.zeros(1200), 12000)
    rec = read_recording(p)
    assert rec.start_ns is None and rec.sensor_id is None and read_smj0(p) is None
    (tmp_path / "a.json").write_text(json.dumps({"serial_number": "S9", "timestamp": "2020-01-01T00:00:00.5Z"}))
    rec = read_recording(p)
    assert rec.sensor_id == "S9" and rec.start_ns == parse_utc_ns("2020-01-01T00:00:00.500Z")


def test_unreadable_files_raise_clear_errors(tmp_path):
    bad = tmp_path / "x.wav"
    bad.write_text("not audio")
    with pytest.raises(AudioFileError, match="not a readable audio file"):
        read_recording(bad)
    with pytest.raises(AudioFileError, match="no such file"):
        read_recording(tmp_path / "missing.wav")
