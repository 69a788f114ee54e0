"""Investigative Lead Summary: shot sequence with ms intervals, shooter attribution,
revision history, audio hashes re-checked, HTML/PDF and the CLI."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from app.cli import main as cli_main
from app.reports import to_html, to_pdf
from app.reports.ils import ils_document, lead_summary
from app.store import Store
from app.store.clock import ManualClock
from tests_support_incident import engine_incident

T0 = 1_700_000_000 * 10**9


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "i.sqlite3", clock=ManualClock(T0))
    s.record_incident(engine_incident(T0, shooters=(0, 0)), None, actor="engine")
    s.clock.advance(3)
    s.record_incident(engine_incident(T0, shooters=(0, 0, 1, 1), interval_ms=250.0, revision=1), None, actor="engine")
    yield s
    s.close_all()


def test_shot_sequence_and_attribution(store):
    s = lead_summary(store, 1)
    assert [sh.n for sh in s.shots] == [1, 2, 3, 4]
    assert s.shots[0].interval_ms is None and [sh.interval_ms for sh in s.shots[1:]] == [250.0, 250.0, 250.0]
    assert [sh.shooter for sh in s.shots] == [1, 1, 2, 2]
    assert s.attribution[0].startswith("2 shooters. Shooter 1 fired first")
    assert "Shooter 2 first fired 500 ms after shot 1" in s.attribution[1]
    assert len(s.detail.revisions) == 2


def test_audio_hash_is_rechecked(store, tmp_path):
    clip = tmp_path / "c.wav"
    sf.write(clip, (np.sin(np.arange(12000) / 5.0) * 0.3).astype("float32"), 12000)
    store.add_audio_clip(1, clip, actor="engine", sensor_id="S01", start_ns=T0 - 10**9, duration_s=1.0)
    s = lead_summary(store, 1)
    assert s.clips[0].intact and s.waveform is not None
    html = to_html(ils_document(s))
    assert s.clips[0].sha256 in html and "Sensor S01 audio clip" in html
    clip.write_bytes(clip.read_bytes()[:-10] + b"0123456789")
    s2 = lead_summary(store, 1)
    assert not s2.clips[0].intact
    doc = ils_document(s2)
    assert "no longer matches its recorded hash" in to_html(doc)
    assert to_pdf(doc)[:5] == b"%PDF-"


def test_cli_ils(store, tmp_path, capsys):
    db = store.path
    store.close_all()
    assert cli_main(["report", "ils", "#1", "--db", str(db), "--out", str(tmp_path), "--pdf"]) == 0
    assert (tmp_path / "ils-1.html").is_file() and (tmp_path / "ils-1.pdf").is_file()
    assert cli_main(["report", "ils", "99", "--db", str(db), "--out", str(tmp_path)]) == 2
